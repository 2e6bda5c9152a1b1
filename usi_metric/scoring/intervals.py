"""How sure is a USI: confidence intervals over tasks (a task-level bootstrap).

The unit of resampling is the task of the human release (``airline_7``). A bootstrap replicate
draws as many tasks as the release has, with replacement, and applies the SAME draw to the
three human batches, every run of every simulator and the survey entries; the difficulty map
(the ECE's yardstick) is held fixed. A task drawn twice counts twice everywhere, exactly as
if the release held two copies of it. The whole pipeline (rows, Dice, ECE, Eval, USI per batch,
the mean over batches) is recomputed for every replicate from per-task sufficient statistics
(``usi_metric.aggregation.bootstrap``), vectorized over replicates, and
``scipy.stats.bootstrap`` draws the replicates.

The default interval is the **centred percentile** interval: the bootstrap distribution's
spread around its median, placed on the estimate, ``[est - (median - q_lo), est + (q_hi -
median)]``. Dice of resampled means and the ECE are biased (a resample adds noise, which
lowers a Dice and raises an ECE), so the replicates sit to one side of the estimate; the plain
percentile interval inherits that shift twice over and, on full-size releases, can exclude its
own estimate (the human ceiling did so in most releases). The centred interval always holds
its estimate; its measured coverage is in docs/intervals.md. ``percentile`` and ``bca`` stay
available.

The Eval's seeded fill draws (docs/eval.md) depend on the order in which entries are
visited, which a resample would change. The bootstrap computes each survey entry's agreement
ONCE, with the draws of the original order, and resamples those per-entry values: the
interval reflects which tasks were sampled, not the fill generator's stream.

>>> from usi_metric.io import load_release
>>> from usi_metric.samples import sample_release_dir
>>> rel = load_release(sample_release_dir())
>>> iv = leaderboard_intervals(rel, "self", CIOptions(n_resamples=200, seed=1))
>>> name = next(iter(rel.simulators))
>>> low, high = iv.cells[name]["usi"]
>>> bool(low <= iv.estimates[name]["usi"] <= high)
True
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from usi_metric.aggregation.bootstrap import (
    CELLS,
    FEATURES,
    HumanTable,
    SimTable,
    table_cells,
    weights_from_indices,
)
from usi_metric.aggregation.ece import N_BINS, bin_index
from usi_metric.errors import UsiError
from usi_metric.io import Release, SessionSet, SurveySet
from usi_metric.runtime.memory import bytes_per_call, check_fits
from usi_metric.scoring.difficulty import (
    Difficulty,
    human_reward_map,
    resolve_difficulty,
    run_reward_maps,
)
from usi_metric.scoring.evaluation import (
    batch_pairs,
    human_batches,
    human_eval_entries,
    simulator_eval_entries,
)
from usi_metric.scoring.leaderboard import HUMAN_ROW_NAME, ScoreRow
from usi_metric.scoring.overlap import kept_indices, run_sort_key

METHODS = ("centred", "percentile", "bca")
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 0
DEFAULT_CONFIDENCE = 0.95

METHOD_NAMES = {"centred": "centred percentile", "percentile": "percentile", "bca": "BCa"}

Interval = tuple[float, float]


# ----------------------------------------------------------------------------- options


@dataclass(frozen=True)
class CIOptions:
    """How to bootstrap: ``method`` ``centred`` (default), ``percentile`` or ``bca``,
    replicates, seed, level.

    >>> CIOptions().describe()
    '95% centred percentile bootstrap intervals over tasks (2000 resamples, seed 0)'
    >>> CIOptions(method="median")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: field ci-method: must be centred, percentile or bca, got 'median'
    """

    method: str = "centred"  # measured coverage: docs/intervals.md
    n_resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    confidence_level: float = DEFAULT_CONFIDENCE

    def __post_init__(self) -> None:
        method = str(self.method).lower()
        if method not in METHODS:
            raise UsiError(f"must be {', '.join(METHODS[:-1])} or {METHODS[-1]}, got "
                           f"{self.method!r}", field="ci-method")
        object.__setattr__(self, "method", method)
        n = self.n_resamples
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
            raise UsiError(f"must be a whole number >= 2, got {n!r}", field="resamples")
        seed = self.seed
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise UsiError(f"must be a whole number >= 0, got {seed!r}", field="seed")
        c = self.confidence_level
        if (isinstance(c, bool) or not isinstance(c, int | float | np.floating)
                or not 0.0 < float(c) < 1.0):
            raise UsiError(f"must be a number between 0 and 1, got {c!r}", field="confidence")

    def describe(self) -> str:
        """One line for captions and JSON."""
        name = METHOD_NAMES[self.method]
        level = f"{100 * self.confidence_level:g}%"
        return (f"{level} {name} bootstrap intervals over tasks ({self.n_resamples} resamples, "
                f"seed {self.seed})")

    def as_json(self) -> dict[str, object]:
        return {"method": self.method, "n_resamples": int(self.n_resamples),
                "seed": int(self.seed), "confidence_level": float(self.confidence_level)}


# ----------------------------------------------------------------------------- statistics


def task_keys(humans: SessionSet) -> tuple[str, ...]:
    """The resampling units: the task keys of the human release, sorted.

    >>> from usi_metric.io import Session
    >>> s = [Session(i, i, i.split("_ann")[0], "1", 0, 1.0, True, (), {})
    ...      for i in ("airline_10", "airline_2", "airline_10_ann2")]
    >>> task_keys(SessionSet("h", "human", "x", s, np.zeros((3, 20)), np.ones(3, bool)))
    ('airline_10', 'airline_2')
    """
    return tuple(sorted({s.task_key for s in humans.sessions}))


def _index(tasks: Sequence[str]) -> dict[str, int]:
    return {t: i for i, t in enumerate(tasks)}


def _ece_cells(n: np.ndarray, s: np.ndarray, h: np.ndarray, at: tuple[int, ...],
               sim_map: Mapping[str, int], human_map: Mapping[str, int],
               difficulty: Mapping[str, float], tix: Mapping[str, int]) -> None:
    """Fill the per-bin ECE statistics of one reward map against another (§6)."""
    for task, succ in sim_map.items():
        if task in human_map and task in difficulty and task in tix:
            k = bin_index(difficulty[task])
            t = tix[task]
            n[(*at, k, t)] = 1.0
            s[(*at, k, t)] = float(succ)
            h[(*at, k, t)] = float(human_map[task])


def simulator_table(sim: SessionSet, humans: SessionSet, difficulty: Difficulty,
                    survey: SurveySet | None = None,
                    tasks: Sequence[str] | None = None) -> SimTable:
    """Per-task sufficient statistics of one simulator against the human batches (§4-8)."""
    tasks = task_keys(humans) if tasks is None else tuple(tasks)
    tix = _index(tasks)
    n_t, n_f = len(tasks), len(FEATURES)
    feats = np.asarray(sim.features, dtype=float)[:, list(FEATURES)] if len(sim) else \
        np.zeros((0, n_f))
    kept = kept_indices(sim)
    runs: dict[str, list[int]] = {}
    for i in kept:
        runs.setdefault(sim.sessions[i].group, []).append(i)
    run_keys = tuple(sorted(runs, key=run_sort_key))
    n_r = len(run_keys)
    sim_bases = {sim.sessions[i].base_id for i in kept}
    batches = human_batches(humans)
    n_b = len(batches)
    overlap = np.zeros((n_b, n_t))
    run_sum = np.zeros((n_b, n_r, n_f, n_t))
    run_n = np.zeros((n_b, n_r, n_t))
    human_parts: list[tuple[int, int, int, int]] = []  # (batch, mask, task, session)
    for bi, b in enumerate(batches):
        h_task: dict[str, int] = {}
        h_idx = kept_indices(humans, b)
        for i in h_idx:
            h_task[humans.sessions[i].base_id] = tix[humans.sessions[i].task_key]
        for base in sim_bases & h_task.keys():
            overlap[bi, h_task[base]] += 1.0
        bits: dict[str, int] = {}
        sel_r, sel_t, sel_i = [], [], []
        for r, key in enumerate(run_keys):
            for i in runs[key]:
                base = sim.sessions[i].base_id
                t = h_task.get(base)
                if t is None:
                    continue
                bits[base] = bits.get(base, 0) | (1 << r)
                if sim.has_features[i]:
                    sel_r.append(r)
                    sel_t.append(t)
                    sel_i.append(i)
        if sel_i:
            np.add.at(run_sum[bi], (np.array(sel_r), slice(None), np.array(sel_t)),
                      feats[sel_i])
            np.add.at(run_n[bi], (np.array(sel_r), np.array(sel_t)), 1.0)
        for i in h_idx:
            mask = bits.get(humans.sessions[i].base_id, 0)
            if mask and humans.has_features[i]:
                human_parts.append((bi, mask, h_task[humans.sessions[i].base_id], i))
    masks = tuple(sorted({m for _, m, _, _ in human_parts}))
    mix = _index([str(m) for m in masks])
    hum_sum = np.zeros((n_b, len(masks), n_f, n_t))
    hum_n = np.zeros((n_b, len(masks), n_t))
    if human_parts:
        hb = np.array([p[0] for p in human_parts])
        hm = np.array([mix[str(p[1])] for p in human_parts])
        ht = np.array([p[2] for p in human_parts])
        hfeats = np.asarray(humans.features, dtype=float)[:, list(FEATURES)]
        np.add.at(hum_sum, (hb, hm, slice(None), ht), hfeats[[p[3] for p in human_parts]])
        np.add.at(hum_n, (hb, hm, ht), 1.0)

    run_maps = run_reward_maps(sim)
    ece_runs = tuple(run_maps)
    shape = (n_b, len(ece_runs), N_BINS, n_t)
    ece_n, ece_s, ece_h = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for bi, b in enumerate(batches):
        h_map = human_reward_map(humans, b)
        for e, rmap in enumerate(run_maps.values()):
            _ece_cells(ece_n, ece_s, ece_h, (bi, e), rmap, h_map, difficulty.values, tix)

    eval_sum = np.zeros((n_b, n_t))
    eval_n = np.zeros((n_b, n_t))
    if survey is not None:
        for bi, entries in enumerate(simulator_eval_entries(survey, humans).values()):
            for task, a in entries:
                eval_sum[bi, tix[task]] += a
                eval_n[bi, tix[task]] += 1.0
    return SimTable(overlap, run_sum, run_n, hum_sum, hum_n, ece_n, ece_s, ece_h, eval_sum,
                    eval_n, runs=run_keys, masks=masks, ece_runs=ece_runs,
                    has_survey=survey is not None, name=sim.name)


def human_table(humans: SessionSet, difficulty: Difficulty,
                human_eval_set: SurveySet | None = None,
                tasks: Sequence[str] | None = None) -> HumanTable:
    """Per-task sufficient statistics of the human ceiling (batch pairs, §8)."""
    tasks = task_keys(humans) if tasks is None else tuple(tasks)
    tix = _index(tasks)
    n_t, n_f = len(tasks), len(FEATURES)
    feats = np.asarray(humans.features, dtype=float)[:, list(FEATURES)] if len(humans) else \
        np.zeros((0, n_f))
    pairs = batch_pairs(human_batches(humans))
    common = np.zeros((len(pairs), n_t))
    sums = {k: np.zeros((len(pairs), n_f, n_t)) for k in ("a", "b")}
    counts = {k: np.zeros((len(pairs), n_t)) for k in ("a", "b")}
    shape = (len(pairs), N_BINS, n_t)
    ece_n, ece_s, ece_h = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for p, (a, b) in enumerate(pairs):
        ia, ib = kept_indices(humans, a), kept_indices(humans, b)
        bases_a = {humans.sessions[i].base_id: i for i in ia}
        both = set(bases_a) & {humans.sessions[i].base_id for i in ib}
        for base in both:
            common[p, tix[humans.sessions[bases_a[base]].task_key]] += 1.0
        for side, idx in (("a", ia), ("b", ib)):
            sel = [i for i in idx if humans.sessions[i].base_id in both and humans.has_features[i]]
            if sel:
                t = np.array([tix[humans.sessions[i].task_key] for i in sel])
                np.add.at(sums[side][p], (slice(None), t), feats[sel].T)
                np.add.at(counts[side][p], t, 1.0)
        _ece_cells(ece_n, ece_s, ece_h, (p,), human_reward_map(humans, a),
                   human_reward_map(humans, b), difficulty.values, tix)
    eval_sum, eval_n = np.zeros(n_t), np.zeros(n_t)
    if human_eval_set is not None:
        for task, a in human_eval_entries(human_eval_set, humans):
            eval_sum[tix[task]] += a
            eval_n[tix[task]] += 1.0
    return HumanTable(common, sums["a"], counts["a"], sums["b"], counts["b"], ece_n, ece_s,
                      ece_h, eval_sum, eval_n, has_eval=human_eval_set is not None)


# ----------------------------------------------------------------------------- bootstrap


def _rng_kwargs(func: Callable[..., object], seed: int) -> dict[str, object]:
    """scipy >= 1.15 names the generator ``rng``, older versions ``random_state``; a
    ``Generator`` object means the same stream under either name."""
    name = "rng" if "rng" in inspect.signature(func).parameters else "random_state"
    return {name: np.random.default_rng(int(seed))}


def _interval(dist: np.ndarray, low: float, high: float, estimate: float,
              options: CIOptions) -> Interval | None:
    """One output's interval: None when the cell has no value (here or in a replicate);
    a constant bootstrap distribution gives [v, v]; a BCa interval that is undefined (every
    jackknife value equal) falls back to the percentile interval."""
    if not math.isfinite(estimate) or not np.all(np.isfinite(dist)):
        return None
    if options.method == "centred":
        return centred_interval(dist, estimate, options.confidence_level)
    if dist.min() == dist.max():
        v = float(dist[0])
        return (v, v)
    if not (math.isfinite(low) and math.isfinite(high)):
        alpha = (1.0 - options.confidence_level) / 2.0
        low, high = (float(q) for q in np.quantile(dist, [alpha, 1.0 - alpha]))
    return (float(low), float(high))


def centred_interval(dist: np.ndarray, estimate: float, confidence_level: float) -> Interval:
    """The bootstrap distribution's percentile spread around its median, on the estimate.

    It holds the estimate whatever the distribution's shift (the bias of a Dice of resampled
    means or of an ECE moves the replicates, not the estimate):

    >>> centred_interval(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 9.0, 0.5)
    (8.0, 10.0)
    >>> centred_interval(np.array([2.0, 2.0]), 7.0, 0.95)
    (7.0, 7.0)
    """
    alpha = (1.0 - float(confidence_level)) / 2.0
    q_lo, med, q_hi = (float(q) for q in np.quantile(dist, [alpha, 0.5, 1.0 - alpha]))
    return (float(estimate) - max(med - q_lo, 0.0), float(estimate) + max(q_hi - med, 0.0))


def bootstrap_intervals(n_tasks: int, statistic: Callable[[np.ndarray], np.ndarray],
                        options: CIOptions) -> tuple[np.ndarray, list[Interval | None]]:
    """``scipy.stats.bootstrap`` over task indices with a weight-vectorized statistic.

    ``statistic(W)`` maps a ``(replicates, n_tasks)`` weight matrix to ``(replicates, K)``.
    Returns the estimate (all weights 1) and one interval (or None) per output.
    """
    from scipy import stats

    if n_tasks < 2:
        raise UsiError(f"a bootstrap over tasks needs at least 2 tasks, the release has "
                       f"{n_tasks}")

    def over_indices(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = np.moveaxis(np.asarray(idx), axis, -1)
        lead = idx.shape[:-1]
        w = weights_from_indices(idx, n_tasks).reshape(-1, n_tasks)
        out = statistic(w)
        return np.moveaxis(out.reshape(*lead, out.shape[-1]), -1, 0)

    estimate = statistic(np.ones((1, n_tasks)))[0]
    _check_memory(over_indices, n_tasks, estimate.shape[0], int(options.n_resamples))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # degenerate outputs are handled in _interval
        method = "percentile" if options.method == "centred" else options.method
        res = stats.bootstrap((np.arange(n_tasks),), over_indices, vectorized=True,
                              n_resamples=int(options.n_resamples), method=method,
                              confidence_level=float(options.confidence_level),
                              **_rng_kwargs(stats.bootstrap, options.seed))
    low = np.atleast_1d(res.confidence_interval.low)
    high = np.atleast_1d(res.confidence_interval.high)
    dist = np.atleast_2d(res.bootstrap_distribution)
    return estimate, [_interval(dist[k], float(low[k]), float(high[k]), float(estimate[k]),
                                options) for k in range(estimate.shape[0])]


PROBE = 16  # replicates whose memory is measured before the bootstrap runs them all


def _check_memory(over_indices: Callable[[np.ndarray], np.ndarray], n_tasks: int,
                  n_outputs: int, n_resamples: int) -> None:
    """Refuse up front (one line) a bootstrap whose replicates cannot fit in memory: the
    statistic's bytes per replicate, measured on :data:`PROBE` of them, plus scipy's index
    draw and the kept distribution (twice: it is sorted for the quantiles)."""
    idx = np.zeros((PROBE, n_tasks), dtype=np.int64)
    per = bytes_per_call(lambda: over_indices(idx)) / PROBE + 8 * n_tasks + 16 * n_outputs
    check_fits(n_resamples, per, field="resamples")


@dataclass(frozen=True)
class Intervals:
    """Intervals of every row's cells, and of each simulator's USI gap to the leader.

    ``cells[name][cell]``: ``(low, high)`` or None; ``estimates``: the cells recomputed from
    the per-task statistics (they equal the plain scores). ``leader_gap[name]``: interval of
    ``USI(leader) - USI(name)`` over the same resamples (a paired comparison).
    """

    options: CIOptions
    n_tasks: int
    cells: dict[str, dict[str, Interval | None]]
    estimates: dict[str, dict[str, float | None]]
    leader: str | None
    leader_gap: dict[str, Interval | None]

    def tied_with_leader(self, name: str) -> bool | None:
        """True when ``name`` cannot be told apart from the leader (the interval of the USI
        gap holds 0), False when it can, None without a leader or a gap interval."""
        if self.leader is None or name not in self.leader_gap:
            return None
        if name == self.leader:
            return True
        gap = self.leader_gap[name]
        if gap is None:
            return None
        return gap[0] <= 0.0 <= gap[1]


def _value(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def usi_intervals(humans: SessionSet, simulators: Mapping[str, SessionSet],
                  difficulty: Difficulty, surveys: Mapping[str, SurveySet] | None = None,
                  human_eval_set: SurveySet | None = None, *, human_row: bool = True,
                  options: CIOptions | None = None) -> Intervals:
    """Bootstrap intervals for the human ceiling and each simulator, one shared resample.

    Every row sees the same resampled tasks, so the gap of each simulator to the leader (the
    simulator with the highest USI) gets a paired interval too.
    """
    options = options or CIOptions()
    surveys = surveys or {}
    tasks = task_keys(humans)
    names = list(simulators)
    tables: list[SimTable | HumanTable] = []
    row_names: list[str] = []
    if human_row:
        tables.append(human_table(humans, difficulty, human_eval_set, tasks))
        row_names.append(HUMAN_ROW_NAME)
    for name in names:
        tables.append(simulator_table(simulators[name], humans, difficulty,
                                      surveys.get(name), tasks))
        row_names.append(name)
    n_cells = len(CELLS)
    usi_col = CELLS.index("usi")
    first_sim = 1 if human_row else 0
    point = np.concatenate([table_cells(t, np.ones((1, len(tasks)))) for t in tables], axis=1)[0]
    sim_usi = {n: point[(first_sim + j) * n_cells + usi_col] for j, n in enumerate(names)}
    ranked = sorted((n for n in names if math.isfinite(sim_usi[n])),
                    key=lambda n: (-sim_usi[n], n))
    leader = ranked[0] if ranked else None
    gap_rows = [first_sim + names.index(n) for n in ranked]
    lead_row = first_sim + names.index(leader) if leader is not None else None

    def statistic(w: np.ndarray) -> np.ndarray:
        cells = np.concatenate([table_cells(t, w) for t in tables], axis=1)
        if lead_row is None:
            return cells
        lead = cells[:, lead_row * n_cells + usi_col]
        gaps = [lead - cells[:, r * n_cells + usi_col] for r in gap_rows]
        return np.concatenate([cells, np.stack(gaps, axis=1)], axis=1)

    estimate, ivs = bootstrap_intervals(len(tasks), statistic, options)
    out_cells: dict[str, dict[str, Interval | None]] = {}
    out_est: dict[str, dict[str, float | None]] = {}
    for r, name in enumerate(row_names):
        out_cells[name] = {c: ivs[r * n_cells + j] for j, c in enumerate(CELLS)}
        out_est[name] = {c: _value(estimate[r * n_cells + j]) for j, c in enumerate(CELLS)}
    base = len(row_names) * n_cells
    gaps = {n: ivs[base + k] for k, n in enumerate(ranked)}
    return Intervals(options, len(tasks), out_cells, out_est, leader, gaps)


def leaderboard_intervals(release: Release, difficulty: str | Difficulty | None = "published",
                          options: CIOptions | None = None) -> Intervals:
    """:func:`usi_intervals` for every simulator of a release and the human ceiling."""
    diff = resolve_difficulty(release, difficulty)
    return usi_intervals(release.humans, release.simulators, diff, release.surveys,
                         release.human_eval, options=options)


def attach_intervals(rows: Iterable[ScoreRow], intervals: Intervals) -> list[ScoreRow]:
    """Copies of the rows carrying their cells' intervals (``ScoreRow.ci``)."""
    out = []
    for row in rows:
        cis = intervals.cells.get(row.name)
        out.append(row if cis is None else replace(row, ci=dict(cis)))
    return out
