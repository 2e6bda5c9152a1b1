"""Confidence intervals over tasks (``usi_metric.scoring.intervals``, issue 13).

- With every replicate weight 1 the vectorized pipeline is the plain USI (property test over
  random small releases), and with integer weights it is the plain USI of the release in which
  every task is copied that many times (the plain scorer is the independent reference).
- A calibration study: many releases drawn from one generator; the 95% interval covers the
  generator's population USI (from a very large draw) in 90-99% of them.
- Width shrinks as tasks grow; the same seed gives byte-identical output; flags and errors.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from interval_data import (
    Population,
    draw_spec,
    draw_tables,
    materialize,
    population_cells,
    renamed,
)

from usi_metric.aggregation.bootstrap import (
    CELLS,
    table_cells,
)
from usi_metric.cli import main
from usi_metric.errors import UsiError
from usi_metric.hf.evaluate_inputs import evaluate_inputs
from usi_metric.hf.evaluate_metric import compute_usi
from usi_metric.io import load_release
from usi_metric.samples import sample_release_dir
from usi_metric.scoring import human_ceiling, resolve_difficulty, score_simulator
from usi_metric.scoring.intervals import (
    CIOptions,
    bootstrap_intervals,
    human_table,
    simulator_table,
    task_keys,
    usi_intervals,
)

SAMPLE = str(sample_release_dir())


def plain_cells(row) -> np.ndarray:
    return np.array([np.nan if row.cells[k] is None else row.cells[k].mean for k in CELLS])


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        if math.isnan(w):
            assert math.isnan(g), (CELLS[k], g, w)
        else:
            assert abs(g - w) <= 1e-9, (CELLS[k], g, w)


# ----------------------------------------------------------------------------- exactness


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9))
def test_all_weights_one_is_the_plain_usi(seed: int) -> None:
    rel = materialize(draw_spec(seed))
    tasks = task_keys(rel.humans)
    ones = np.ones((1, len(tasks)))
    sim = simulator_table(rel.sim, rel.humans, rel.difficulty, rel.survey, tasks)
    assert_same(table_cells(sim, ones)[0],
                plain_cells(score_simulator(rel.sim, rel.humans, rel.difficulty, rel.survey)))
    ceiling = human_table(rel.humans, rel.difficulty, rel.human_eval, tasks)
    assert_same(table_cells(ceiling, ones)[0],
                plain_cells(human_ceiling(rel.humans, rel.difficulty, rel.human_eval)))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9), st.lists(st.integers(0, 3), min_size=7, max_size=7))
def test_integer_weights_score_like_a_release_of_copied_tasks(seed: int,
                                                               counts: list[int]) -> None:
    # judges answer every field validly, so no seeded fill draw depends on the order
    spec = draw_spec(seed, valid_judges=True)
    rel = materialize(spec)
    tasks = task_keys(rel.humans)
    weight = {t: counts[i] for i, t in enumerate(spec.tasks)}
    dup = materialize(spec, {t: [renamed(t, k) for k in range(weight[t])]
                             for t in spec.tasks})
    if not dup.humans.sessions:
        return
    w = np.array([[weight[t] for t in tasks]], dtype=float)
    sim = simulator_table(rel.sim, rel.humans, rel.difficulty, rel.survey, tasks)
    assert_same(table_cells(sim, w)[0],
                plain_cells(score_simulator(dup.sim, dup.humans, dup.difficulty, dup.survey)))
    ceiling = human_table(rel.humans, rel.difficulty, rel.human_eval, tasks)
    assert_same(table_cells(ceiling, w)[0],
                plain_cells(human_ceiling(dup.humans, dup.difficulty, dup.human_eval)))


def test_sample_release_estimates_are_the_leaderboard() -> None:
    rel = load_release(SAMPLE)
    diff = resolve_difficulty(rel, "self")
    iv = usi_intervals(rel.humans, rel.simulators, diff, rel.surveys, rel.human_eval,
                       options=CIOptions(n_resamples=100, seed=3))
    rows = [human_ceiling(rel.humans, diff, rel.human_eval)] + [
        score_simulator(s, rel.humans, diff, rel.surveys.get(n))
        for n, s in rel.simulators.items()]
    for row in rows:
        got = np.array([np.nan if v is None else v for v in iv.estimates[row.name].values()])
        assert_same(got, plain_cells(row))
        for k in CELLS:
            assert (iv.cells[row.name][k] is None) == (row.cells[k] is None)
    # the leader is the highest USI; its own gap is exactly 0, so it is tied with itself
    best = max(rows[1:], key=lambda r: r.usi)
    assert iv.leader == best.name and iv.leader_gap[best.name] == (0.0, 0.0)
    assert iv.tied_with_leader(best.name) is True
    assert iv.tied_with_leader(rows[0].name) is None  # the human row is not ranked


def test_the_same_simulator_twice_is_tied_exactly() -> None:
    rel = load_release(SAMPLE)
    diff = resolve_difficulty(rel, "self")
    name = next(n for n in rel.simulators if n in rel.surveys)
    sim = rel.simulators[name]
    iv = usi_intervals(rel.humans, {name: sim, "twin": sim}, diff,
                       {name: rel.surveys[name], "twin": rel.surveys[name]}, human_row=False,
                       options=CIOptions(n_resamples=200, seed=1))
    assert iv.cells[name] == iv.cells["twin"]
    other = "twin" if iv.leader == name else name
    assert iv.leader_gap[other] == (0.0, 0.0) and iv.tied_with_leader(other)


# ----------------------------------------------------------------------------- calibration


def _population(pop: Population) -> np.ndarray:
    """The generator's USI cells from a draw of 100,000 tasks."""
    return population_cells(pop, chunks=4, size=25_000, seed=99)


def test_calibration_95_percent_interval_covers_the_population_usi() -> None:
    # 300 releases of the real release's size (165 tasks) from one generator; both methods
    # see the same releases (the default centred interval and the plain percentile one).
    # Measured coverage of every cell and method: docs/intervals.md.
    pop = Population()  # a simulator clearly not human: every feature off by 1.5-2.5x
    truth = _population(pop)
    usi = CELLS.index("usi")
    rng = np.random.default_rng(2024)
    n_rel, n_tasks = 300, 165
    covered = {"centred": 0, "percentile": 0}
    for i in range(n_rel):
        sim, _ = draw_tables(pop, n_tasks, rng)
        for method in covered:
            _, ivs = bootstrap_intervals(
                n_tasks, lambda w, s=sim: table_cells(s, w)[:, usi:usi + 1],
                CIOptions(method=method, n_resamples=400, seed=i))
            low, high = ivs[0]
            covered[method] += low <= truth[usi] <= high
    for method, n in covered.items():
        assert 0.90 <= n / n_rel <= 0.99, (method, n / n_rel)


def test_the_ceiling_interval_does_not_cover_an_identical_population() -> None:
    # documented limitation: three human batches from ONE population have a population
    # Dice of 100 on every feature, but finite batches score below it (Dice takes a min),
    # so the ceiling's interval sits below its population value
    pop = Population()
    rng = np.random.default_rng(5)
    _, ceiling = draw_tables(pop, 165, rng)
    est, ivs = bootstrap_intervals(165, lambda w: table_cells(ceiling, w), CIOptions(
        n_resamples=300, method="percentile"))
    d1 = CELLS.index("D1_conv")
    assert est[d1] < 100.0 and ivs[d1][1] < 100.0


def test_width_shrinks_as_tasks_grow() -> None:
    pop = Population()
    rng = np.random.default_rng(7)
    usi = CELLS.index("usi")
    widths = []
    for n in (40, 160, 640):
        w = []
        for i in range(4):
            sim, _ = draw_tables(pop, n, rng)
            _, ivs = bootstrap_intervals(n, lambda x, s=sim: table_cells(s, x)[:, usi:usi + 1],
                                         CIOptions(n_resamples=300, seed=i))
            w.append(ivs[0][1] - ivs[0][0])
        widths.append(float(np.mean(w)))
    assert widths[0] > widths[1] > widths[2] > 0
    assert widths[2] < 0.6 * widths[0]  # about 1/sqrt(16) in theory


# ----------------------------------------------------------------------------- the CLI


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_leaderboard_ci_json_and_same_seed_same_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["leaderboard", "--data-dir", SAMPLE, "--ci", "--resamples", "200", "--format", "json"]
    code, first, _ = _run(capsys, *args, "--seed", "7")
    assert code == 0
    assert _run(capsys, *args, "--seed", "7")[1] == first
    assert _run(capsys, *args, "--seed", "8")[1] != first
    data = json.loads(first)
    assert data["intervals"]["method"] == "centred" and data["intervals"]["n_resamples"] == 200
    assert data["intervals"]["seed"] == 7 and data["intervals"]["n_tasks"] > 10
    n_ci = 0
    for row in data["rows"]:
        for k in CELLS:
            cell = row[k]
            if cell is None:
                continue
            low, high = cell["ci"]
            assert low <= cell["mean"] <= high  # the interval holds its estimate
            n_ci += 1
    assert n_ci >= 6 * len(data["rows"])
    # a fresh interpreter with another hash seed prints the same bytes
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    proc = subprocess.run([sys.executable, "-m", "usi_metric.cli", *args, "--seed", "7"],
                          capture_output=True, text=True, env=env, check=True)
    assert proc.stdout == first


def test_leaderboard_ci_table_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["leaderboard", "--data-dir", SAMPLE, "--ci", "--resamples", "100",
            "--ci-method", "percentile", "--confidence", "0.9"]
    code, table, _ = _run(capsys, *base)
    assert code == 0 and "90% percentile bootstrap" in table
    assert table.count("[") >= 6 and _run(capsys, *base)[1] == table
    code, text, _ = _run(capsys, *base, "--format", "csv")
    head = text.splitlines()[0].split(",")
    assert code == 0 and head[-2:] == ["usi_ci_low", "usi_ci_high"]


def test_score_ci(capsys: pytest.CaptureFixture[str]) -> None:
    runs = Path(SAMPLE).parent / "synthetic_new_simulator"
    code, out, _ = _run(capsys, "score", str(runs / "runs.json"), "--survey",
                        str(runs / "survey.json"), "--data-dir", SAMPLE, "--difficulty",
                        "release", "--ci", "--resamples", "150", "--format", "json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert [r["name"] for r in rows][0] == "Human (inter-ann.)" and len(rows) == 2
    for r in rows:
        low, high = r["usi"]["ci"]
        assert low <= high


def test_interval_flags_without_ci_are_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "leaderboard", "--data-dir", SAMPLE, "--resamples", "50")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "--resamples" in err and "--ci" in err
    code, _, err = _run(capsys, "leaderboard", "--data-dir", SAMPLE, "--ci", "--confidence", "2")
    assert code == 2 and "field confidence" in err and len(err.strip().splitlines()) == 1


def test_options_are_checked() -> None:
    for kwargs, field in (({"method": "basic"}, "ci-method"),
                          ({"method": "median"}, "ci-method"), ({"n_resamples": 1}, "resamples"),
                          ({"seed": -1}, "seed"), ({"confidence_level": 0.0}, "confidence")):
        with pytest.raises(UsiError) as exc:
            CIOptions(**kwargs)
        assert exc.value.field == field
    assert CIOptions(method="BCa").method == "bca"


# ----------------------------------------------------------------------------- evaluate


def test_evaluate_compute_adds_the_usi_interval() -> None:
    kwargs = evaluate_inputs(SAMPLE, "synth-terse")
    plain = compute_usi(**kwargs)
    assert "usi_ci_low" not in plain
    out = compute_usi(**kwargs, confidence_level=0.95, n_resamples=150, seed=4)
    assert {k: v for k, v in out.items() if not k.startswith("usi_ci")} == plain
    assert out["usi_ci_low"] <= out["usi_ci_high"]
    assert compute_usi(**kwargs, confidence_level=0.95, n_resamples=150, seed=4) == out
    with pytest.raises(UsiError) as exc:
        compute_usi(**kwargs, confidence_level=0.95, n_resamples=0)
    assert exc.value.field == "n_resamples"
