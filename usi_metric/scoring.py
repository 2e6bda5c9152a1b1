"""The USI of simulators against the human batches, and the human ceiling (USI_SPEC.md §6-8).

This module selects sessions and hands arrays and maps to the pure functions of
``usi_metric.aggregation``. Every session was featurized once when its file was read.

>>> from usi_metric.io import load_release
>>> from usi_metric.samples import sample_release_dir
>>> rows = leaderboard(load_release(sample_release_dir()))
>>> rows[0].name
'Human (inter-ann.)'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from usi_metric.aggregation import (
    MeanStd,
    agreement,
    difficulty_from_samples,
    dimension_scores,
    ece,
    mean_std,
    pooled_row,
    success_pct,
    usi_value,
)
from usi_metric.aggregation.usi import DIMENSION_KEYS
from usi_metric.errors import UsiError
from usi_metric.io import Release, SessionSet, SurveySet, load_simulator, read_json

HUMAN_ROW_NAME = "Human (inter-ann.)"
BATCHES = (1, 2, 3)
PAIRS = ((1, 2), (1, 3), (2, 3))
CELL_KEYS = (*DIMENSION_KEYS, "eval_agree", "ece", "usi")
EVAL_SEED = 42


# ----------------------------------------------------------------------------- difficulty


@dataclass(frozen=True)
class Difficulty:
    """A task difficulty map with where it came from."""

    values: dict[str, float]
    counts: dict[str, int] = field(default_factory=dict)
    source: str = "map"
    simulators: tuple[str, ...] = ()

    def provenance(self) -> dict[str, Any]:
        """What the map was pooled from, for a frozen map file."""
        return {"source": self.source, "simulators": list(self.simulators),
                "samples_per_task": dict(self.counts), "min_samples": 10,
                "n_tasks_with_difficulty": len(self.values)}


def run_reward_maps(sim: SessionSet) -> dict[int, dict[str, int]]:
    """``{run index: {task: success}}``; only ``keep: false`` is dropped (null still counts)."""
    maps: dict[int, dict[str, int]] = {}
    for s in sim.sessions:
        if s.keep is False:
            continue
        maps.setdefault(s.ece_run, {})[s.task_key] = s.success
    return dict(sorted(maps.items()))


def human_reward_map(humans: SessionSet, batch: int) -> dict[str, int]:
    """``{task: success}`` of a human batch's kept sessions (``keep: null`` is left out)."""
    g = str(batch)
    return {s.task_key: s.success for s in humans.sessions if s.group == g and s.kept}


def pooled_difficulty(sims: Iterable[SessionSet], source: str = "self-pooled") -> Difficulty:
    """Mean success per task pooled over every run of every simulator (>= 10 samples)."""
    sims = list(sims)
    samples = [(task, succ) for sim in sims for rmap in run_reward_maps(sim).values()
               for task, succ in rmap.items()]
    values, counts = difficulty_from_samples(samples)
    return Difficulty(values, counts, source, tuple(s.name for s in sims))


def difficulty_from_files(paths: Sequence[str | Path]) -> Difficulty:
    """Difficulty pooled over the given simulator files."""
    return pooled_difficulty((load_simulator(p) for p in paths), source="simulator files")


def load_difficulty_map(path: str | Path) -> Difficulty:
    """Read a frozen map: ``{task: d}`` or ``usi difficulty``'s ``{"difficulty": {...}, ...}``."""
    path = str(path)
    data = read_json(path)
    prov: Mapping[str, Any] = {}
    if isinstance(data, Mapping) and isinstance(data.get("difficulty"), Mapping):
        prov = data.get("provenance") or {}
        data = data["difficulty"]
    if not isinstance(data, Mapping):
        raise UsiError("a difficulty map must be a JSON object {task: difficulty}", file=path)
    values: dict[str, float] = {}
    for task, d in data.items():
        if isinstance(d, bool) or not isinstance(d, int | float) or not 0.0 <= d <= 1.0:
            raise UsiError(f"difficulty must be a number in [0, 1], got {d!r}",
                           file=path, id=task, field="difficulty")
        values[task] = float(d)
    if not values:
        raise UsiError("the difficulty map is empty", file=path)
    sims = prov.get("simulators", []) if isinstance(prov, Mapping) else []
    return Difficulty(values, {}, f"map {path}", tuple(str(s) for s in sims))


# ----------------------------------------------------------------------------- results


@dataclass
class BatchResult:
    """One simulator against one human batch (or one human pair)."""

    batch: str
    dims: dict[str, float] | None
    ece: float | None
    usi: float | None
    human_row: np.ndarray | None = field(default=None, repr=False)
    sim_row: np.ndarray | None = field(default=None, repr=False)
    human_success_pct: float | None = None
    sim_success_pct: float | None = None
    n_overlap: int = 0


@dataclass
class ScoreRow:
    """A leaderboard row: cells (mean, std) plus the per-batch detail behind them."""

    name: str
    cells: dict[str, MeanStd | None]
    batches: list[BatchResult]
    kind: str = "simulator"  # or "human"
    eval_batches: list[float] = field(default_factory=list)

    @property
    def usi(self) -> float | None:
        cell = self.cells.get("usi")
        return None if cell is None else cell.mean

    def as_json(self) -> dict[str, Any]:
        """The stable JSON form: name and the seven cells, each null or {mean, std}."""
        out: dict[str, Any] = {"name": self.name}
        for k in CELL_KEYS:
            cell = self.cells.get(k)
            out[k] = None if cell is None else cell.as_dict()
        return out


def _cells(results: list[BatchResult], eval_cell: MeanStd | None) -> dict[str, MeanStd | None]:
    cells: dict[str, MeanStd | None] = {}
    for k in DIMENSION_KEYS:
        cells[k] = mean_std([r.dims[k] for r in results if r.dims is not None])
    cells["eval_agree"] = eval_cell
    cells["ece"] = mean_std([r.ece for r in results if r.ece is not None])
    cells["usi"] = mean_std([r.usi for r in results if r.usi is not None])
    return cells


# ----------------------------------------------------------------------------- rows


def _indices(sset: SessionSet, group: str | None = None) -> list[int]:
    return [i for i, s in enumerate(sset.sessions)
            if s.kept and (group is None or s.group == group)]


def _row(sset: SessionSet, idx: Sequence[int]) -> tuple[np.ndarray, float] | None:
    """(pooled row, success_pct) of the selected sessions, None if none yields features."""
    if not idx:
        return None
    with_feats = [i for i in idx if sset.has_features[i]]
    if not with_feats:
        return None
    row = pooled_row(sset.features[with_feats])
    return row, success_pct([sset.sessions[i].reward for i in idx])


def simulator_rows_vs_batch(
    sim: SessionSet, humans: SessionSet, batch: int
) -> tuple[np.ndarray, np.ndarray, float, float, int] | None:
    """§8 step 1: ``(human row, pooled sim row, human success %, sim success %, overlap)``.

    Each run's row uses its kept sessions whose base id is a kept id of the batch; the
    simulator's row is the plain average of the run rows; the human row uses the batch's
    kept sessions in the union of the overlaps. A run with no overlap (or whose overlapping
    sessions yield no features) is left out. None when no run is left.
    """
    h_idx = _indices(humans, str(batch))
    h_base = {humans.sessions[i].base_id for i in h_idx}
    runs: dict[str, list[int]] = {}
    for i in _indices(sim):
        runs.setdefault(sim.sessions[i].group, []).append(i)
    run_rows: list[np.ndarray] = []
    run_success: list[float] = []
    union: set[str] = set()
    for run in sorted(runs, key=_run_sort_key):
        sel = [i for i in runs[run] if sim.sessions[i].base_id in h_base]
        got = _row(sim, sel)
        if got is None:
            continue
        run_rows.append(got[0])
        run_success.append(got[1])
        union.update(sim.sessions[i].base_id for i in sel)
    if not run_rows:
        return None
    h_got = _row(humans, [i for i in h_idx if humans.sessions[i].base_id in union])
    if h_got is None:
        return None
    sim_row = np.mean(np.vstack(run_rows), axis=0)
    return h_got[0], sim_row, h_got[1], float(np.mean(run_success)), len(union)


def _run_sort_key(run: str) -> tuple[int, str]:
    return (int(run), run) if run.isdigit() else (1 << 30, run)


# ----------------------------------------------------------------------------- eval


def survey_batches(survey: SurveySet) -> dict[int, dict[str, Mapping[str, Any]]]:
    """Split a survey file into batches 1..3 by the ``_ann2`` / ``_ann3`` suffixes."""
    from usi_metric.ids import human_batch

    out: dict[int, dict[str, Mapping[str, Any]]] = {b: {} for b in BATCHES}
    for iid, answers in survey.surveys.items():
        out[human_batch(iid)][iid] = answers
    return out


def simulator_eval(survey: SurveySet | None, humans: SessionSet) -> tuple[MeanStd | None,
                                                                          list[float]]:
    """A simulator's Eval: (mean, std) over batch scores, and the batch scores."""
    if survey is None:
        return None, []
    rng = np.random.default_rng(EVAL_SEED)
    by_batch = survey_batches(survey)
    batch_scores: list[float] = []
    for b in BATCHES:
        kept = {s.instance_id: s for s in humans.sessions if s.group == str(b) and s.kept}
        scores = []
        for iid in sorted(set(kept) & set(by_batch[b])):
            a = agreement(kept[iid].survey, by_batch[b][iid], rng)
            if a is not None:
                scores.append(a)
        if scores:
            batch_scores.append(float(np.mean(scores)))
    return mean_std(batch_scores), batch_scores


def human_eval(human_eval_set: SurveySet | None, humans: SessionSet) -> MeanStd | None:
    """The ceiling's Eval: batch 1's kept entries against the second human, file order."""
    if human_eval_set is None:
        return None
    rng = np.random.default_rng(EVAL_SEED)
    kept = {s.instance_id: s for s in humans.sessions if s.group == "1" and s.kept}
    scores = []
    for iid, answers in human_eval_set.surveys.items():
        if iid in kept:
            a = agreement(kept[iid].survey, answers, rng)
            if a is not None:
                scores.append(a)
    return mean_std(scores)


# ----------------------------------------------------------------------------- scores


def score_simulator(
    sim: SessionSet,
    humans: SessionSet,
    difficulty: Difficulty,
    survey: SurveySet | None = None,
) -> ScoreRow:
    """One simulator's leaderboard row against the three human batches."""
    eval_cell, eval_batches = simulator_eval(survey, humans)
    eval_mean = None if eval_cell is None else eval_cell.mean
    run_maps = run_reward_maps(sim)
    results = []
    for b in BATCHES:
        rows = simulator_rows_vs_batch(sim, humans, b)
        h_map = human_reward_map(humans, b)
        eces = [e for e in (ece(m, h_map, difficulty.values) for m in run_maps.values())
                if e is not None]
        e = float(np.mean(eces)) if eces else None
        res = BatchResult(batch=str(b), dims=None, ece=e, usi=None)
        if rows is not None:
            h_row, s_row, h_succ, s_succ, n = rows
            res.dims = dimension_scores(h_row, s_row)
            res.human_row, res.sim_row = h_row, s_row
            res.human_success_pct, res.sim_success_pct, res.n_overlap = h_succ, s_succ, n
            if e is not None:
                res.usi = usi_value(res.dims, e, eval_mean)
        results.append(res)
    return ScoreRow(sim.name, _cells(results, eval_cell), results, "simulator", eval_batches)


def human_ceiling(
    humans: SessionSet, difficulty: Difficulty, human_eval_set: SurveySet | None = None
) -> ScoreRow:
    """The "Human (inter-ann.)" row: batch pairs (1,2) (1,3) (2,3) against each other."""
    eval_cell = human_eval(human_eval_set, humans)
    eval_mean = None if eval_cell is None else eval_cell.mean
    results = []
    for a, b in PAIRS:
        ia, ib = _indices(humans, str(a)), _indices(humans, str(b))
        common = ({humans.sessions[i].base_id for i in ia}
                  & {humans.sessions[i].base_id for i in ib})
        ra = _row(humans, [i for i in ia if humans.sessions[i].base_id in common])
        rb = _row(humans, [i for i in ib if humans.sessions[i].base_id in common])
        e = ece(human_reward_map(humans, a), human_reward_map(humans, b), difficulty.values)
        res = BatchResult(batch=f"{a}-{b}", dims=None, ece=e, usi=None)
        if ra is not None and rb is not None:
            res.dims = dimension_scores(ra[0], rb[0])
            res.human_row, res.sim_row = ra[0], rb[0]
            res.human_success_pct, res.sim_success_pct = ra[1], rb[1]
            res.n_overlap = len(common)
            if e is not None:
                res.usi = usi_value(res.dims, e, eval_mean)
        results.append(res)
    return ScoreRow(HUMAN_ROW_NAME, _cells(results, eval_cell), results, "human")


def sort_rows(rows: Iterable[ScoreRow]) -> list[ScoreRow]:
    """Human ceiling first, then simulators by USI descending (no USI last), ties by name."""
    rows = list(rows)
    human = [r for r in rows if r.kind == "human"]
    sims = sorted((r for r in rows if r.kind != "human"),
                  key=lambda r: (r.usi is None, -(r.usi or 0.0), r.name))
    return human + sims


def resolve_difficulty(release: Release, spec: str | Difficulty | None = "self",
                       extra: Sequence[SessionSet] = ()) -> Difficulty:
    """The difficulty reference: a map file, ``self`` (the simulators scored together:
    the release's plus ``extra``), or ``release`` (the release's own simulators only)."""
    if isinstance(spec, Difficulty):
        return spec
    if spec in (None, "self"):
        return pooled_difficulty([*release.simulators.values(), *extra], "self-pooled")
    if spec == "release":
        return pooled_difficulty(release.simulators.values(), "release simulators")
    return load_difficulty_map(spec)


def leaderboard(release: Release, difficulty: str | Difficulty | None = "self") -> list[ScoreRow]:
    """Every simulator of the release plus the human ceiling, sorted as the paper's table."""
    diff = resolve_difficulty(release, difficulty)
    rows = [human_ceiling(release.humans, diff, release.human_eval)]
    for name, sim in release.simulators.items():
        rows.append(score_simulator(sim, release.humans, diff, release.surveys.get(name)))
    return sort_rows(rows)


def rows_json(rows: Sequence[ScoreRow]) -> str:
    """Stable JSON text of rows: sorted keys, fixed row order."""
    return json.dumps({"rows": [r.as_json() for r in rows]}, sort_keys=True, indent=2,
                      allow_nan=False)
