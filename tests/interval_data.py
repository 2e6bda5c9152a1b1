"""Data for the interval tests: random small releases (sessions with their feature rows given
directly, no text) and a generator of per-task statistics for the calibration study.

``draw_spec(seed)`` draws a release as an abstract per-task spec; ``materialize(spec, copies)``
turns it into SessionSets, each task written once per name in ``copies[task]`` (renamed
copies: ``airline_10`` -> ``airline_2010``). A bootstrap replicate with integer weights must
score exactly like the release in which every task is copied that many times.

What the random releases hold: ids whose string and numeric order differ (``airline_10`` <
``airline_2``), a ``telecom`` task, missing batches, ``keep`` true/false/null/absent, rewards
1/0/0.5/null, sessions without features, feature rows with zeros (Dice 0/0), several runs with
an odd-suffix run ``0``, single-run files whose ids carry ``_2``, simulator tasks the humans
do not have, surveys full of "no answer", invalid and missing fields, a human-eval file in
shuffled order, and difficulty maps that miss tasks or sit on bin edges.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from usi_metric.aggregation.bootstrap import (
    HumanTable,
    SimTable,
    human_cells,
    simulator_cells,
    weighted_sums,
)
from usi_metric.aggregation.eval_agree import SURVEY_SCALES
from usi_metric.features.names import COLUMNS
from usi_metric.io import SessionSet, SurveySet
from usi_metric.io.sessions import human_session, simulator_session
from usi_metric.scoring import Difficulty

TASK_POOL = ("airline_1", "airline_10", "airline_2", "retail_3", "retail_12", "telecom_4",
             "airline_0")
SUFFIX = {1: "", 2: "_ann2", 3: "_ann3"}
INVALID = ("no answer", "N/A", "", "Good", "about right")
EDGES = (0.0, 0.2, 0.19999, 0.4, 0.5, 0.6, 0.8, 1.0)


def answers(r: random.Random, valid_only: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, scale in SURVEY_SCALES.items():
        u = r.random()
        if valid_only or u < 0.55:
            out[field] = {"answer": r.choice(sorted(scale))}
        elif u < 0.75:
            out[field] = {"answer": r.choice(INVALID)}
        elif u < 0.8:
            out[field] = {"answer": None}
        # else: missing
    return out


def _features(r: random.Random) -> np.ndarray:
    row = np.zeros(len(COLUMNS))
    for j in range(len(COLUMNS)):
        u = r.random()
        row[j] = 0.0 if u < 0.3 else (r.randint(1, 6) if u < 0.5 else r.uniform(0.0, 3.0))
    return row


def _fields(r: random.Random) -> dict[str, Any]:
    f: dict[str, Any] = {"reward": r.choice((1.0, 0.0, 0.0, 0.5, None))}
    k = r.random()
    if k < 0.12:
        f["keep"] = False
    elif k < 0.2:
        f["keep"] = None
    elif k < 0.6:
        f["keep"] = True
    return f


@dataclass
class Spec:
    tasks: list[str]
    humans: dict[str, dict[int, dict[str, Any]]]   # task -> batch -> fields (+ features)
    sim: dict[str, list[tuple[str, dict[str, Any]]]]  # task -> [(id suffix, fields)]
    extra_sim: list[tuple[str, dict[str, Any]]]     # ids of tasks the humans do not have
    multi_run: bool
    survey: dict[str, dict[int, dict[str, Any]]]    # task -> batch -> answers
    human_eval: dict[str, dict[str, Any]]           # task -> answers (batch 1)
    eval_order: list[str]                           # tasks, the human-eval file's order
    difficulty: dict[str, float]
    has_survey: bool
    has_human_eval: bool


def draw_spec(seed: int, valid_judges: bool = False) -> Spec:
    """A random small release. ``valid_judges``: every judge answer is a valid option (so
    no seeded fill draw happens and the Eval does not depend on the visiting order)."""
    r = random.Random(seed)
    tasks = r.sample(TASK_POOL, r.randint(2, len(TASK_POOL)))
    multi = r.random() < 0.6
    humans: dict[str, dict[int, dict[str, Any]]] = {}
    sim: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    survey: dict[str, dict[int, dict[str, Any]]] = {}
    heval: dict[str, dict[str, Any]] = {}
    for t in tasks:
        humans[t] = {}
        for b in (1, 2, 3):
            if r.random() < 0.85:
                f = _fields(r)
                f["survey"] = answers(r, False)
                f["features"] = _features(r) if r.random() < 0.88 else None
                humans[t][b] = f
        runs = []
        suffixes = ["_1", "_2", "_3"] if multi else ["", "_2"]
        if multi and r.random() < 0.25:
            suffixes.append("_x")  # run "0" in a multi-run file
        for suf in suffixes:
            if r.random() < 0.85:
                f = _fields(r)
                f["features"] = _features(r) if r.random() < 0.88 else None
                runs.append((suf, f))
        sim[t] = runs
        survey[t] = {b: answers(r, valid_judges) for b in (1, 2, 3) if r.random() < 0.8}
        if r.random() < 0.7:
            heval[t] = answers(r, valid_judges)
    extra = [(f"retail_{77 + k}" + ("_1" if multi else ""),
              {**_fields(r), "features": _features(r)}) for k in range(r.randint(0, 2))]
    order = list(heval)
    r.shuffle(order)
    diff = {}
    for t in tasks + ["retail_88"]:
        if r.random() < 0.8:
            diff[t] = r.choice(EDGES) if r.random() < 0.4 else r.random()
    return Spec(tasks, humans, sim, extra, multi, survey, heval, order, diff,
                has_survey=r.random() < 0.8, has_human_eval=r.random() < 0.8)


def renamed(task: str, copy: int) -> str:
    """The ``copy``-th copy of a task: ``airline_10`` -> ``airline_{10 + 1000 * (copy+1)}``;
    copy -1 is the task itself."""
    if copy < 0:
        return task
    domain, index = task.rsplit("_", 1)
    return f"{domain}_{int(index) + 1000 * (copy + 1)}"


def _set(name: str, source: str, sessions: list, rows: list) -> SessionSet:
    feats = np.array([np.zeros(len(COLUMNS)) if v is None else v for v in rows]).reshape(
        len(rows), len(COLUMNS))
    mask = np.array([v is not None for v in rows], dtype=bool)
    return SessionSet(name, source, f"<{name}>", sessions, feats, mask)


@dataclass
class Release:
    humans: SessionSet
    sim: SessionSet
    survey: SurveySet | None
    human_eval: SurveySet | None
    difficulty: Difficulty


def materialize(spec: Spec, copies: dict[str, list[str]] | None = None) -> Release:
    """SessionSets of the spec; ``copies[task]``: the names the task is written under."""
    copies = copies or {t: [t] for t in spec.tasks}
    h_sessions, h_rows = [], []
    s_sessions, s_rows = [], []
    surveys: dict[str, Any] = {}
    for t in spec.tasks:
        for name in copies[t]:
            for b, f in spec.humans[t].items():
                iid = name + SUFFIX[b]
                h_sessions.append(human_session(iid, {k: v for k, v in f.items()
                                                      if k != "features"}))
                h_rows.append(f["features"])
            for suf, f in spec.sim[t]:
                s_sessions.append(simulator_session(name + suf, f, multi_run=spec.multi_run))
                s_rows.append(f["features"])
            for b, ans in spec.survey[t].items():
                surveys[name + SUFFIX[b]] = ans
    for iid, f in spec.extra_sim:
        s_sessions.append(simulator_session(iid, f, multi_run=spec.multi_run))
        s_rows.append(f["features"])
    heval = {name: spec.human_eval[t] for t in spec.eval_order for name in copies[t]}
    diff = {}
    for t, d in spec.difficulty.items():
        for name in copies.get(t, [t]):
            diff[name] = d
    return Release(
        humans=_set("human", "human", h_sessions, h_rows),
        sim=_set("sim", "llm", s_sessions, s_rows),
        survey=SurveySet("sim", "<survey>", surveys) if spec.has_survey else None,
        human_eval=SurveySet("he", "<he>", heval) if spec.has_human_eval else None,
        difficulty=Difficulty(diff, {}, "map"))


# ----------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Population:
    """A generator of tasks: per task a difficulty, three human sessions (one per batch) and
    ``runs`` simulator sessions, each with feature rows, success and Eval agreements.

    Features: zero-inflated gamma with a task effect shared by humans and simulator (tasks
    matter); the simulator's feature means are the humans' times ``ratio`` (bounded away from
    1, as for a simulator that is clearly not human); success: humans ``0.15 + 0.7 d``, the
    simulator ``gap`` more (capped); Eval agreements around 72 with a task effect.
    """

    n_features: int = 19
    runs: int = 3
    gap: float = 0.2
    seed: int = 12345

    def knobs(self) -> dict[str, np.ndarray]:
        g = np.random.default_rng(self.seed)
        f = self.n_features
        sign = g.choice([-1.0, 1.0], size=f)
        ratio = np.exp(sign * g.uniform(np.log(1.5), np.log(2.5), size=f))
        return {"base": g.uniform(0.5, 5.0, size=f), "zero": g.uniform(0.0, 0.6, size=f),
                "ratio": ratio, "sim_zero": np.clip(g.uniform(0.0, 0.6, size=f), 0, 0.9)}


def draw_tables(pop: Population, n_tasks: int,
                rng: np.random.Generator) -> tuple[SimTable, HumanTable]:
    """Per-task statistics of ``n_tasks`` tasks drawn from ``pop`` (every task in every
    batch and run, every session with features, every task with a difficulty)."""
    k = pop.knobs()
    f, t, runs = pop.n_features, n_tasks, pop.runs
    task_effect = rng.lognormal(0.0, 0.35, size=(t, f))

    def sessions(n: int, mean: np.ndarray, zero: np.ndarray) -> np.ndarray:
        shape = 2.0
        x = rng.gamma(shape, 1.0, size=(n, t, f)) / shape * mean * task_effect / (1 - zero)
        return np.where(rng.random((n, t, f)) < zero, 0.0, x)

    human = sessions(3, k["base"], k["zero"])                       # (3, T, F)
    sim = sessions(runs, k["base"] * k["ratio"], k["sim_zero"])     # (R, T, F)
    d = rng.random(t)
    bins = np.minimum((d / 0.2).astype(int), 4)
    p_h = 0.15 + 0.7 * d
    p_s = np.minimum(p_h + pop.gap, 0.98)
    h_succ = (rng.random((3, t)) < p_h).astype(float)
    s_succ = (rng.random((runs, t)) < p_s).astype(float)
    effect = rng.normal(0.0, 6.0, size=t)
    agree = np.clip(72.0 + effect + rng.normal(0.0, 12.0, size=(3, t)), 0.0, 100.0)
    h_agree = np.clip(80.0 + effect + rng.normal(0.0, 12.0, size=t), 0.0, 100.0)

    ones = np.ones((3, t))
    run_sum = np.broadcast_to(np.moveaxis(sim, 1, 2)[None], (3, runs, f, t)).copy()
    run_n = np.ones((3, runs, t))
    hum_sum = np.moveaxis(human, 1, 2)[:, None]                     # (3, 1, F, T)
    hum_n = np.ones((3, 1, t))
    onehot = np.zeros((5, t))
    onehot[bins, np.arange(t)] = 1.0
    ece_n = np.broadcast_to(onehot, (3, runs, 5, t)).copy()
    ece_s = ece_n * s_succ[None, :, None, :]
    ece_h = ece_n * h_succ[:, None, None, :]
    table = SimTable(ones.copy(), run_sum, run_n, hum_sum, hum_n, ece_n, ece_s, ece_h, agree,
                     ones.copy(), runs=tuple(str(r + 1) for r in range(runs)),
                     masks=((1 << runs) - 1,), ece_runs=tuple(range(1, runs + 1)),
                     has_survey=True)
    pairs = ((0, 1), (0, 2), (1, 2))
    h_feat = np.moveaxis(human, 1, 2)                               # (3, F, T)
    pn = np.broadcast_to(onehot, (3, 5, t)).copy()
    ceiling = HumanTable(
        np.ones((3, t)), np.stack([h_feat[a] for a, _ in pairs]), np.ones((3, t)),
        np.stack([h_feat[b] for _, b in pairs]), np.ones((3, t)), pn,
        np.stack([pn[0] * h_succ[a] for a, _ in pairs]),
        np.stack([pn[0] * h_succ[b] for _, b in pairs]), h_agree, np.ones(t), has_eval=True)
    return table, ceiling


def population_rows(pop: Population, chunks: int, size: int,
                    seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The generator's simulator cells and human-ceiling cells from one very large draw."""
    rng = np.random.default_rng(seed)
    totals: list[dict[str, np.ndarray] | None] = [None, None]
    tables: tuple[SimTable, HumanTable] | None = None
    for _ in range(chunks):
        tables = draw_tables(pop, size, rng)
        for i, table in enumerate(tables):
            part = weighted_sums([(np.ones((1, size)), table)])
            prev = totals[i]
            totals[i] = part if prev is None else {k: prev[k] + part[k] for k in part}
    assert tables is not None and totals[0] is not None and totals[1] is not None
    return (simulator_cells(tables[0], totals[0])[0], human_cells(tables[1], totals[1])[0])


def population_cells(pop: Population, chunks: int, size: int, seed: int) -> np.ndarray:
    """The generator's simulator cells from a very large draw of ``chunks * size`` tasks:
    the additive per-task statistics summed over chunks, then the same non-linear steps."""
    rng = np.random.default_rng(seed)
    total = None
    sim = None
    for _ in range(chunks):
        sim, _ceiling = draw_tables(pop, size, rng)
        part = weighted_sums([(np.ones((1, size)), sim)])
        total = part if total is None else {k: total[k] + part[k] for k in part}
    return simulator_cells(sim, total)[0]
