"""The USI of simulators against the human batches, and the human ceiling (docs/usi.md).

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from usi_metric.aggregation import MeanStd, dimension_scores, ece, mean_std, usi_value
from usi_metric.features.names import DIMENSION_KEYS
from usi_metric.io import Release, SessionSet, SurveySet
from usi_metric.io.layout import HUMAN_ROW_NAME
from usi_metric.scoring.difficulty import (
    Difficulty,
    human_reward_map,
    resolve_difficulty,
    run_reward_maps,
)
from usi_metric.scoring.evaluation import (
    batch_pairs,
    human_batches,
    human_eval,
    simulator_eval,
)
from usi_metric.scoring.overlap import kept_indices, set_row, simulator_rows_vs_batch

PAIRS = ((1, 2), (1, 3), (2, 3))  # the release's batch pairs (the bootstrap's tables)
CELL_KEYS = (*DIMENSION_KEYS, "eval_agree", "ece", "usi")


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
    # bootstrap intervals of the cells' means (scoring.intervals), when asked for
    ci: dict[str, tuple[float, float] | None] | None = None

    @property
    def usi(self) -> float | None:
        cell = self.cells.get("usi")
        return None if cell is None else cell.mean

    def as_json(self) -> dict[str, Any]:
        """The stable JSON form: name and the seven cells, each null or {mean, std}
        (plus ``"ci": [low, high]`` or null when the row carries intervals)."""
        out: dict[str, Any] = {"name": self.name}
        for k in CELL_KEYS:
            cell = self.cells.get(k)
            out[k] = None if cell is None else cell.as_dict()
            if out[k] is not None and self.ci is not None:
                ci = self.ci.get(k)
                out[k]["ci"] = None if ci is None else [float(ci[0]), float(ci[1])]
        return out


def _cells(results: list[BatchResult], eval_cell: MeanStd | None) -> dict[str, MeanStd | None]:
    cells: dict[str, MeanStd | None] = {}
    for k in DIMENSION_KEYS:
        cells[k] = mean_std([r.dims[k] for r in results if r.dims is not None])
    cells["eval_agree"] = eval_cell
    cells["ece"] = mean_std([r.ece for r in results if r.ece is not None])
    cells["usi"] = mean_std([r.usi for r in results if r.usi is not None])
    return cells


# ----------------------------------------------------------------------------- scores


def score_simulator(
    sim: SessionSet,
    humans: SessionSet,
    difficulty: Difficulty,
    survey: SurveySet | None = None,
) -> ScoreRow:
    """One simulator's leaderboard row against each human batch (a release: 1, 2, 3)."""
    eval_cell, eval_batches = simulator_eval(survey, humans)
    eval_mean = None if eval_cell is None else eval_cell.mean
    run_maps = run_reward_maps(sim)
    results = []
    sim_bases = {sim.sessions[i].base_id for i in kept_indices(sim)}
    for b in human_batches(humans):
        res = BatchResult(batch=b, dims=None, ece=None, usi=None)
        results.append(res)
        h_bases = {humans.sessions[i].base_id for i in kept_indices(humans, b)}
        if not sim_bases & h_bases:
            continue  # no run shares a kept id with the batch: no rows, no ECE (the paper)
        h_map = human_reward_map(humans, b)
        eces = [e for e in (ece(m, h_map, difficulty.values) for m in run_maps.values())
                if e is not None]
        res.ece = float(np.mean(eces)) if eces else None
        match = simulator_rows_vs_batch(sim, humans, b)
        if match is None:
            continue
        res.dims = dimension_scores(match.human_row, match.sim_row)
        res.human_row, res.sim_row = match.human_row, match.sim_row
        res.human_success_pct, res.sim_success_pct = match.human_success_pct, match.sim_success_pct
        res.n_overlap = match.n_overlap
        if res.ece is not None:
            res.usi = usi_value(res.dims, res.ece, eval_mean)
    return ScoreRow(sim.name, _cells(results, eval_cell), results, "simulator", eval_batches)


def human_ceiling(
    humans: SessionSet, difficulty: Difficulty, human_eval_set: SurveySet | None = None
) -> ScoreRow:
    """The "Human (inter-ann.)" row: every pair of batches (a release: (1,2) (1,3) (2,3))
    against each other."""
    eval_cell = human_eval(human_eval_set, humans)
    eval_mean = None if eval_cell is None else eval_cell.mean
    results = []
    for a, b in batch_pairs(human_batches(humans)):
        ia, ib = kept_indices(humans, a), kept_indices(humans, b)
        common = ({humans.sessions[i].base_id for i in ia}
                  & {humans.sessions[i].base_id for i in ib})
        res = BatchResult(batch=f"{a}-{b}", dims=None, ece=None, usi=None)
        results.append(res)
        if not common:
            continue  # the two batches share no kept session: the pair is left out
        ra = set_row(humans, [i for i in ia if humans.sessions[i].base_id in common])
        rb = set_row(humans, [i for i in ib if humans.sessions[i].base_id in common])
        e = ece(human_reward_map(humans, a), human_reward_map(humans, b), difficulty.values)
        res.ece = e
        if ra is not None and rb is not None:
            res.dims = dimension_scores(ra[0], rb[0])
            res.human_row, res.sim_row = ra[0], rb[0]
            res.human_success_pct, res.sim_success_pct = ra[1], rb[1]
            res.n_overlap = len(common)
            if e is not None:
                res.usi = usi_value(res.dims, e, eval_mean)
    return ScoreRow(HUMAN_ROW_NAME, _cells(results, eval_cell), results, "human")


def sort_rows(rows: Iterable[ScoreRow]) -> list[ScoreRow]:
    """Human ceiling first, then simulators by USI descending (no USI last), ties by name."""
    rows = list(rows)
    human = [r for r in rows if r.kind == "human"]
    sims = sorted((r for r in rows if r.kind != "human"),
                  key=lambda r: (r.usi is None, -(r.usi or 0.0), r.name))
    return human + sims


def leaderboard(release: Release,
                difficulty: str | Difficulty | None = "published") -> list[ScoreRow]:
    """Every simulator of the release plus the human ceiling, sorted as the paper's table;
    on the published yardstick by default (``"self"``: pooled over the release's simulators,
    the paper's own table, which on the paper's release is the same map)."""
    diff = resolve_difficulty(release, difficulty)
    rows = [human_ceiling(release.humans, diff, release.human_eval)]
    for name, sim in release.simulators.items():
        rows.append(score_simulator(sim, release.humans, diff, release.surveys.get(name)))
    return sort_rows(rows)


def rows_json(rows: Sequence[ScoreRow], extra: dict[str, Any] | None = None) -> str:
    """Stable JSON text of rows: sorted keys, fixed row order; ``extra`` top-level keys."""
    return json.dumps({**(extra or {}), "rows": [r.as_json() for r in rows]}, sort_keys=True,
                      indent=2, allow_nan=False)
