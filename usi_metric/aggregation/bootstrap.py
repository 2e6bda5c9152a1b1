"""The USI pipeline as weighted sums of per-task sufficient statistics, vectorized over
replicates (the task-level bootstrap and the paired permutation test of ``scoring.intervals``).

A replicate of the task bootstrap is a vector of integer weights, one per task of the human
release (how many times the task was drawn). Every additive quantity of docs/rows-and-dice.md is
stored per task: feature sums and counts of the sessions with features (per human batch and
simulator run), the run and human-session overlap, per-bin reward counts of the ECE and
per-entry Eval agreements. A replicate is then a weighted sum over tasks (one matrix product
for all replicates at once) followed by the same non-linear steps as the plain scorer: rows,
Dice, ECE, Eval, USI per batch and the mean over batches. With every weight 1 the result is
the plain USI (to float rounding; the tests hold it to 1e-9).

A table's arrays keep the task axis last. ``weighted_sums([(W, table)])`` takes a
``(replicates, tasks)`` weight matrix; several ``(W, table)`` parts of the same layout are
summed, which is how a paired permutation swaps two simulators' tasks.

>>> import numpy as np
>>> weights_from_indices(np.array([[0, 0, 2], [1, 2, 2]]), 3)
array([[2., 0., 1.],
       [0., 1., 2.]])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from usi_metric.aggregation.dice import dice_similarity
from usi_metric.aggregation.ece import N_BINS
from usi_metric.aggregation.rows import SCALE
from usi_metric.features.names import COLUMNS, DIMENSION_KEYS, DIMENSIONS, FEATURE_NAMES

CELLS: tuple[str, ...] = (*DIMENSION_KEYS, "eval_agree", "ece", "usi")
FEATURES: tuple[int, ...] = tuple(COLUMNS.index(f) for f in FEATURE_NAMES)
_FEAT_SCALE = SCALE[list(FEATURES)]
_DIM_IDX = [np.array([FEATURE_NAMES.index(f) for f in feats]) for feats in DIMENSIONS.values()]
MAX_RUNS = 62  # runs are bits of an int64 mask

Weighted = dict[str, np.ndarray]


def weights_from_indices(idx: np.ndarray, n_tasks: int) -> np.ndarray:
    """Multiplicity of every task in each resample: ``(..., m)`` task indices -> ``(..., n)``.

    >>> weights_from_indices(np.array([1, 1, 0]), 2)
    array([1., 2.])
    """
    idx = np.asarray(idx, dtype=np.int64)
    lead = idx.shape[:-1]
    flat = idx.reshape(-1, idx.shape[-1])
    rows = flat.shape[0]
    offsets = (flat + n_tasks * np.arange(rows, dtype=np.int64)[:, None]).ravel()
    counts = np.bincount(offsets, minlength=rows * n_tasks).astype(float)
    return counts.reshape(*lead, n_tasks)


def _safe(n: np.ndarray) -> np.ndarray:
    return np.where(n > 0, n, 1.0)


def _mean_over_last(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Mean over the last axis of the present entries; NaN where none is present."""
    n = present.sum(axis=-1)
    total = np.where(present, values, 0.0).sum(axis=-1)
    return np.where(n > 0, total / _safe(n), np.nan)


def _dims(human_row: np.ndarray, sim_row: np.ndarray) -> np.ndarray:
    """``(..., F)`` rows (scaled) -> ``(..., 4)`` dimension scores, 100 x mean Dice."""
    sims = dice_similarity(human_row, sim_row)
    return np.stack([100.0 * sims[..., idx].mean(axis=-1) for idx in _DIM_IDX], axis=-1)


def _ece(k: np.ndarray, s: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted per-bin counts ``(..., bins)`` -> (ECE, has an ECE) over the leading axes."""
    n = k.sum(axis=-1)
    kk = _safe(k)
    term = np.where(k > 0, (k / _safe(n)[..., None]) * np.abs(s / kk - h / kk), 0.0)
    return term.sum(axis=-1), n > 0


class _Table:
    """Arrays with the task axis last, packed into one ``(columns, tasks)`` matrix."""

    STATS: tuple[str, ...] = ()

    @property
    def n_tasks(self) -> int:
        return int(getattr(self, self.STATS[0]).shape[-1])

    @cached_property
    def matrix(self) -> np.ndarray:
        t = self.n_tasks
        return np.ascontiguousarray(
            np.concatenate([getattr(self, k).reshape(-1, t) for k in self.STATS], axis=0))

    @cached_property
    def distinct(self) -> tuple[np.ndarray, np.ndarray]:
        """``(distinct rows of matrix, index of each row among them)``: batches that keep
        the same tasks repeat whole blocks, and a replicate needs each distinct row once."""
        m = self.matrix
        seen: dict[bytes, int] = {}
        keep: list[int] = []
        inverse = np.empty(m.shape[0], dtype=np.intp)
        for i in range(m.shape[0]):
            key = m[i].tobytes()
            j = seen.get(key)
            if j is None:
                j = seen[key] = len(keep)
                keep.append(i)
            inverse[i] = j
        return np.ascontiguousarray(m[keep]), inverse

    def layout(self) -> list[tuple[str, tuple[int, ...]]]:
        return [(k, getattr(self, k).shape[:-1]) for k in self.STATS]

    def same_layout(self, other: _Table) -> bool:
        return type(self) is type(other) and self.layout() == other.layout()


def weighted_sums(parts: Sequence[tuple[np.ndarray, _Table]]) -> Weighted:
    """``sum over parts of W @ table``: every statistic with a leading replicate axis.

    Parts must share one layout (``align_simulators`` makes two simulators' tables agree).
    The parts are added in the given order.
    """
    if not parts:
        raise ValueError("weighted_sums needs at least one (weights, table) part")
    first = parts[0][1]
    total: np.ndarray | None = None
    for w, table in parts:
        if not first.same_layout(table):
            raise ValueError("weighted_sums: tables of different layouts")
        w = np.asarray(w, dtype=float)
        if w.ndim != 2 or w.shape[1] != table.n_tasks:
            raise ValueError(f"weights must be (replicates, {table.n_tasks}), got {w.shape}")
        rows, inverse = table.distinct
        prod = (w @ rows.T)[:, inverse]
        total = prod if total is None else total + prod
    assert total is not None
    out: Weighted = {}
    col = 0
    for k, shape in first.layout():
        size = int(np.prod(shape)) if shape else 1
        out[k] = total[:, col:col + size].reshape(total.shape[0], *shape)
        col += size
    return out


# ----------------------------------------------------------------------------- simulator


@dataclass(frozen=True, eq=False)
class SimTable(_Table):
    """One simulator against the three human batches, per task (task axis last).

    ``runs``: the run keys of the run axis (rows); ``masks[m]``: which runs (bit ``r`` = run
    ``runs[r]``) have a kept session whose base id is the base id of the human sessions
    counted under mask ``m``, so a human session joins the human row when any of those runs
    takes part in the replicate. ``ece_runs``: the ECE run indices of the ECE run axis.
    """

    overlap: np.ndarray    # (3, T)       shared kept base ids with batch b
    run_sum: np.ndarray    # (3, R, F, T) feature sums, run sessions with features
    run_n: np.ndarray      # (3, R, T)    how many
    hum_sum: np.ndarray    # (3, M, F, T) feature sums of the batch's sessions under mask m
    hum_n: np.ndarray      # (3, M, T)
    ece_n: np.ndarray      # (3, E, 5, T) 1 where the task is in run e, batch b, difficulty bin
    ece_s: np.ndarray      # (3, E, 5, T) the run's success there
    ece_h: np.ndarray      # (3, E, 5, T) the batch's success there
    eval_sum: np.ndarray   # (3, T) Eval agreements of the batch's entries
    eval_n: np.ndarray     # (3, T)
    runs: tuple[str, ...] = ()
    masks: tuple[int, ...] = ()
    ece_runs: tuple[int, ...] = ()
    has_survey: bool = False
    name: str = field(default="", compare=False)

    STATS = ("overlap", "run_sum", "run_n", "hum_sum", "hum_n", "ece_n", "ece_s", "ece_h",
             "eval_sum", "eval_n")

    def equal(self, other: SimTable) -> bool:
        """Same statistics, keys and survey flag (the name may differ)."""
        return (self.same_layout(other) and self.runs == other.runs
                and self.masks == other.masks and self.ece_runs == other.ece_runs
                and self.has_survey == other.has_survey
                and all(np.array_equal(getattr(self, k), getattr(other, k))
                        for k in self.STATS))


def simulator_cells(table: SimTable, sums: Mapping[str, np.ndarray]) -> np.ndarray:
    """The seven cells (``CELLS`` order) of every replicate: ``(replicates, 7)``, NaN = none.

    Follows ``scoring.score_simulator``: a batch with no shared kept id yields nothing; a run
    takes part when it has sessions with features in the overlap; the human row pools the
    batch's sessions whose base id some taking-part run holds; ECE per run, then averaged;
    Eval (mean over the batches that scored) enters every batch's USI.
    """
    overlap = sums["overlap"] > 0                                   # (P, 3)
    run_n = sums["run_n"]                                           # (P, 3, R)
    part = run_n > 0
    run_rows = sums["run_sum"] / _safe(run_n)[..., None]            # (P, 3, R, F)
    n_part = part.sum(axis=-1)                                      # (P, 3)
    sim_row = (np.where(part[..., None], run_rows, 0.0).sum(axis=-2)
               / _safe(n_part)[..., None]) * _FEAT_SCALE
    n_runs = run_n.shape[-1]
    if n_runs > MAX_RUNS:
        raise ValueError(f"at most {MAX_RUNS} runs, got {n_runs}")
    bits = (part.astype(np.int64) << np.arange(n_runs, dtype=np.int64)).sum(axis=-1)
    include = (bits[..., None] & np.asarray(table.masks, dtype=np.int64)) != 0  # (P, 3, M)
    h_n = np.where(include, sums["hum_n"], 0.0).sum(axis=-1)         # (P, 3)
    h_sum = np.where(include[..., None], sums["hum_sum"], 0.0).sum(axis=-2)
    human_row = h_sum / _safe(h_n)[..., None] * _FEAT_SCALE
    match = overlap & (n_part > 0) & (h_n > 0)
    dims = _dims(human_row, sim_row)                                # (P, 3, 4)

    ece_run, ece_ok = _ece(sums["ece_n"], sums["ece_s"], sums["ece_h"])  # (P, 3, E)
    n_ok = ece_ok.sum(axis=-1)
    ece_b = np.where(ece_ok, ece_run, 0.0).sum(axis=-1) / _safe(n_ok)
    has_ece = overlap & (n_ok > 0)

    scored = sums["eval_n"] > 0                                     # (P, 3)
    batch_eval = sums["eval_sum"] / _safe(sums["eval_n"])
    eval_mean = _mean_over_last(batch_eval, scored)                 # (P,)
    has_eval = np.isfinite(eval_mean) & table.has_survey

    terms = dims.sum(axis=-1) + (1.0 - ece_b) * 100.0
    terms = terms + np.where(has_eval, eval_mean, 0.0)[:, None]
    usi_b = terms / np.where(has_eval, 6.0, 5.0)[:, None]
    has_usi = match & has_ece

    out = np.empty((overlap.shape[0], len(CELLS)))
    for j in range(len(DIMENSION_KEYS)):
        out[:, j] = _mean_over_last(dims[..., j], match)
    out[:, 4] = np.where(has_eval, eval_mean, np.nan)
    out[:, 5] = _mean_over_last(ece_b, has_ece)
    out[:, 6] = _mean_over_last(usi_b, has_usi)
    return out


def _remap_mask(mask: int, where: Sequence[int]) -> int:
    out = 0
    for r, new in enumerate(where):
        if mask >> r & 1:
            out |= 1 << new
    return out


def _expand(table: SimTable, runs: tuple[str, ...], masks: tuple[int, ...],
            ece_runs: tuple[int, ...], has_survey: bool) -> SimTable:
    """The same statistics on a larger run / mask / ECE-run axis (zeros elsewhere)."""
    t = table.n_tasks
    f = table.run_sum.shape[2]
    nb = table.run_sum.shape[0]  # human batches (a release: 3)
    pos = [runs.index(r) for r in table.runs]
    run_sum = np.zeros((nb, len(runs), f, t))
    run_n = np.zeros((nb, len(runs), t))
    run_sum[:, pos] = table.run_sum
    run_n[:, pos] = table.run_n
    mpos = [masks.index(_remap_mask(m, pos)) for m in table.masks]
    hum_sum = np.zeros((nb, len(masks), f, t))
    hum_n = np.zeros((nb, len(masks), t))
    hum_sum[:, mpos] = table.hum_sum
    hum_n[:, mpos] = table.hum_n
    epos = [ece_runs.index(e) for e in table.ece_runs]
    ece = {}
    for k in ("ece_n", "ece_s", "ece_h"):
        arr = np.zeros((nb, len(ece_runs), N_BINS, t))
        arr[:, epos] = getattr(table, k)
        ece[k] = arr
    return replace(table, run_sum=run_sum, run_n=run_n, hum_sum=hum_sum, hum_n=hum_n,
                   runs=runs, masks=masks, ece_runs=ece_runs, has_survey=has_survey, **ece)


def align_simulators(a: SimTable, b: SimTable) -> tuple[SimTable, SimTable]:
    """Two simulators' tables on one layout (union of runs, masks, ECE runs), for swapping
    tasks between them. Run ``k`` of one lines up with run ``k`` of the other; the survey
    flag becomes "either has one"."""
    runs = tuple(dict.fromkeys(a.runs + b.runs))
    if len(runs) > MAX_RUNS:
        raise ValueError(f"at most {MAX_RUNS} runs, got {len(runs)}")
    ma = [_remap_mask(m, [runs.index(r) for r in a.runs]) for m in a.masks]
    mb = [_remap_mask(m, [runs.index(r) for r in b.runs]) for m in b.masks]
    masks = tuple(sorted(set(ma) | set(mb)))
    ece_runs = tuple(sorted(set(a.ece_runs) | set(b.ece_runs)))
    survey = a.has_survey or b.has_survey
    return (_expand(a, runs, masks, ece_runs, survey), _expand(b, runs, masks, ece_runs, survey))


# ----------------------------------------------------------------------------- human ceiling


@dataclass(frozen=True, eq=False)
class HumanTable(_Table):
    """The human ceiling per task: batch pairs (1,2) (1,3) (2,3) against each other."""

    common: np.ndarray     # (3, T)    base ids kept in both batches of the pair
    a_sum: np.ndarray      # (3, F, T) first batch of the pair, sessions with features
    a_n: np.ndarray        # (3, T)
    b_sum: np.ndarray      # (3, F, T) second batch
    b_n: np.ndarray        # (3, T)
    ece_n: np.ndarray      # (3, 5, T)
    ece_s: np.ndarray      # (3, 5, T) first batch's success
    ece_h: np.ndarray      # (3, 5, T) second batch's success
    eval_sum: np.ndarray   # (T,)      second human's agreements with batch 1
    eval_n: np.ndarray     # (T,)
    has_eval: bool = False

    STATS = ("common", "a_sum", "a_n", "b_sum", "b_n", "ece_n", "ece_s", "ece_h",
             "eval_sum", "eval_n")


def human_cells(table: HumanTable, sums: Mapping[str, np.ndarray]) -> np.ndarray:
    """The ceiling's seven cells per replicate (``CELLS`` order), as ``scoring.human_ceiling``."""
    common = sums["common"] > 0                                     # (P, 3)
    a_n, b_n = sums["a_n"], sums["b_n"]
    a_row = sums["a_sum"] / _safe(a_n)[..., None] * _FEAT_SCALE
    b_row = sums["b_sum"] / _safe(b_n)[..., None] * _FEAT_SCALE
    match = common & (a_n > 0) & (b_n > 0)
    dims = _dims(a_row, b_row)                                      # (P, 3, 4)
    ece_p, ece_ok = _ece(sums["ece_n"], sums["ece_s"], sums["ece_h"])  # (P, 3)
    has_ece = common & ece_ok
    en = sums["eval_n"]
    has_eval = (en > 0) & table.has_eval
    eval_mean = sums["eval_sum"] / _safe(en)
    terms = dims.sum(axis=-1) + (1.0 - ece_p) * 100.0 + np.where(has_eval, eval_mean, 0.0)[:, None]
    usi_p = terms / np.where(has_eval, 6.0, 5.0)[:, None]
    out = np.empty((common.shape[0], len(CELLS)))
    for j in range(len(DIMENSION_KEYS)):
        out[:, j] = _mean_over_last(dims[..., j], match)
    out[:, 4] = np.where(has_eval, eval_mean, np.nan)
    out[:, 5] = _mean_over_last(ece_p, has_ece)
    out[:, 6] = _mean_over_last(usi_p, match & has_ece)
    return out


def table_cells(table: _Table, weights: np.ndarray) -> np.ndarray:
    """Cells ``(replicates, 7)`` of a simulator or ceiling table under a weight matrix.

    >>> t = HumanTable(*(np.zeros(s) for s in [(3, 2), (3, 19, 2), (3, 2), (3, 19, 2),
    ...     (3, 2), (3, 5, 2), (3, 5, 2), (3, 5, 2), (2,), (2,)]))
    >>> bool(np.isnan(table_cells(t, np.ones((1, 2)))).all())
    True
    """
    sums = weighted_sums([(weights, table)])
    if isinstance(table, SimTable):
        return simulator_cells(table, sums)
    if isinstance(table, HumanTable):
        return human_cells(table, sums)
    raise TypeError(f"not a table: {type(table).__name__}")

