"""The straightforward scorer the benchmark compares against (not used by the library).

It follows USI_SPEC.md the way a first implementation (and the paper's scorer) does: read the
JSON files as they are and, for every simulator and every human batch (and every human pair),
featurize again every session the comparison needs, with the plain ``re`` patterns of
``usi_metric.features.lexicons``. The math (rows, Dice, ECE, survey agreement, USI) reuses the pure
functions of ``usi_metric.aggregation``, so a difference between this and ``usi leaderboard``
can only come from session selection or featurization.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from plain_features import plain_featurize

from usi_metric.aggregation import (
    agreement,
    difficulty_from_samples,
    dimension_scores,
    ece,
    mean_std,
    pooled_row,
    success_pct,
    usi_value,
)
from usi_metric.io import ids

Cells = dict[str, tuple[float, float] | None]
CELL_KEYS = ("D1_conv", "D2_info", "D3_clarif", "D4_react", "eval_agree", "ece", "usi")


# ----------------------------------------------------------------------------- featurization


def _row(entries: list[dict[str, Any]], source: str) -> tuple[np.ndarray, float] | None:
    """Featurize the entries (again) and pool them: (row, success %), None without features."""
    if not entries:
        return None
    feats = [f for f in (plain_featurize(e["conversation"], source) for e in entries)
             if f is not None]
    if not feats:
        return None
    return pooled_row(np.vstack(feats)), success_pct([e.get("reward") for e in entries])


# ----------------------------------------------------------------------------- data


def _load(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _success(entry: Mapping[str, Any]) -> int:
    r = entry.get("reward")
    return 1 if r is not None and r > 0 else 0


def _kept(entry: Mapping[str, Any]) -> bool:
    return entry.get("keep", True) is True


def _sim_sessions(data: dict[str, Any]) -> list[dict[str, Any]]:
    multi = len(data) > ids.MULTI_RUN_THRESHOLD
    out = []
    for iid, e in data.items():
        run, base = ids.split_run(iid, multi)
        out.append({**e, "_run": run, "_base": base, "_task": ids.task_key(iid),
                    "_ece_run": ids.ece_run_index(iid)})
    return out


def _run_maps(sessions: list[dict[str, Any]]) -> dict[int, dict[str, int]]:
    maps: dict[int, dict[str, int]] = {}
    for s in sessions:
        if s.get("keep", True) is False:
            continue
        maps.setdefault(s["_ece_run"], {})[s["_task"]] = _success(s)
    return maps


def _cells(results: list[dict[str, Any]], eval_cell: Any) -> Cells:
    out: Cells = {}
    for k in CELL_KEYS[:4]:
        out[k] = _pair(mean_std([r["dims"][k] for r in results if r["dims"] is not None]))
    out["eval_agree"] = _pair(eval_cell)
    out["ece"] = _pair(mean_std([r["ece"] for r in results if r["ece"] is not None]))
    out["usi"] = _pair(mean_std([r["usi"] for r in results if r["usi"] is not None]))
    return out


def _pair(cell: Any) -> tuple[float, float] | None:
    return None if cell is None else (cell.mean, cell.std)


def _run_key(run: str) -> tuple[int, str]:
    return (int(run), run) if run.isdigit() else (1 << 30, run)


# ----------------------------------------------------------------------------- scorer


def baseline_leaderboard(data_dir: str | Path) -> dict[str, Cells]:
    """Every simulator of the release and the human ceiling: ``{name: {cell: (mean, std)}}``."""
    root = Path(data_dir)
    humans = _load(root / "data" / "tau_bench_tasks_unified.json")
    batch: dict[int, dict[str, dict[str, Any]]] = {1: {}, 2: {}, 3: {}}
    for iid, e in humans.items():
        batch[ids.human_batch(iid)][iid] = {**e, "_base": ids.human_base_id(iid),
                                            "_task": ids.task_key(iid)}
    sims = {p.name[len("eval_results_"):-len(".json")]: _sim_sessions(_load(p))
            for p in sorted((root / "eval_results").glob("eval_results_*.json"))}
    surveys = {p.name[len("survey_comparable_"):-len(".json")]: _load(p)
               for p in sorted((root / "survey_data").glob("survey_comparable_*.json"))}
    samples = [(t, s) for sess in sims.values() for m in _run_maps(sess).values()
               for t, s in m.items()]
    difficulty, _ = difficulty_from_samples(samples)

    def h_map(b: int) -> dict[str, int]:
        return {e["_task"]: _success(e) for e in batch[b].values() if _kept(e)}

    out: dict[str, Cells] = {"Human (inter-ann.)": _human_row(batch, surveys, difficulty, h_map)}
    for name, sessions in sims.items():
        out[name] = _sim_row(sessions, batch, surveys.get(name), difficulty, h_map)
    return out


def _sim_row(sessions: list[dict[str, Any]], batch: dict[int, dict[str, dict[str, Any]]],
             survey: dict[str, Any] | None, difficulty: dict[str, float], h_map: Any) -> Cells:
    eval_cell = None
    if survey is not None:
        rng = np.random.default_rng(42)
        scores = []
        for b in (1, 2, 3):
            s_b = {iid: e for iid, e in survey.items() if ids.human_batch(iid) == b}
            kept = {iid: e for iid, e in batch[b].items() if _kept(e)}
            vals = [agreement(kept[i].get("survey", {}), s_b[i].get("survey", {}), rng)
                    for i in sorted(set(kept) & set(s_b))]
            vals = [v for v in vals if v is not None]
            if vals:
                scores.append(float(np.mean(vals)))
        eval_cell = mean_std(scores)
    eval_mean = None if eval_cell is None else eval_cell.mean
    maps = _run_maps(sessions)
    runs: dict[str, list[dict[str, Any]]] = {}
    for s in sessions:
        if _kept(s):
            runs.setdefault(s["_run"], []).append(s)
    results = []
    for b in (1, 2, 3):
        h_base = {e["_base"] for e in batch[b].values() if _kept(e)}
        rows, union = [], set()
        for run in sorted(runs, key=_run_key):
            sel = [s for s in runs[run] if s["_base"] in h_base]
            got = _row(sel, "llm")  # featurized again for every batch
            if got is not None:
                rows.append(got[0])
                union.update(s["_base"] for s in sel)
        eces = [e for e in (ece(m, h_map(b), difficulty) for m in maps.values()) if e is not None]
        e = float(np.mean(eces)) if eces else None
        res: dict[str, Any] = {"dims": None, "ece": e, "usi": None}
        h_got = _row([x for x in batch[b].values() if _kept(x) and x["_base"] in union], "human")
        if rows and h_got is not None:
            res["dims"] = dimension_scores(h_got[0], np.mean(np.vstack(rows), axis=0))
            if e is not None:
                res["usi"] = usi_value(res["dims"], e, eval_mean)
        results.append(res)
    return _cells(results, eval_cell)


def _human_row(batch: dict[int, dict[str, dict[str, Any]]], surveys: dict[str, Any],
               difficulty: dict[str, float], h_map: Any) -> Cells:
    eval_cell = None
    second = surveys.get("human-eval-100")
    if second is not None:
        rng = np.random.default_rng(42)
        kept = {iid: e for iid, e in batch[1].items() if _kept(e)}
        vals = [agreement(kept[i].get("survey", {}), e.get("survey", {}), rng)
                for i, e in second.items() if i in kept]
        eval_cell = mean_std([v for v in vals if v is not None])
    eval_mean = None if eval_cell is None else eval_cell.mean
    results = []
    for a, b in ((1, 2), (1, 3), (2, 3)):
        ka = [e for e in batch[a].values() if _kept(e)]
        kb = [e for e in batch[b].values() if _kept(e)]
        common = {e["_base"] for e in ka} & {e["_base"] for e in kb}
        ra = _row([e for e in ka if e["_base"] in common], "human")
        rb = _row([e for e in kb if e["_base"] in common], "human")
        e = ece(h_map(a), h_map(b), difficulty)
        res: dict[str, Any] = {"dims": None, "ece": e, "usi": None}
        if ra is not None and rb is not None:
            res["dims"] = dimension_scores(ra[0], rb[0])
            if e is not None:
                res["usi"] = usi_value(res["dims"], e, eval_mean)
        results.append(res)
    return _cells(results, eval_cell)
