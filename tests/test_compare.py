"""``usi compare``: the paired difference of two simulators (``usi_metric.scoring.paired``).

The permutation test's null distribution is checked against an independent reference: every
set of swapped tasks is built as real SessionSets and scored by the plain scorer.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from interval_data import Release, Spec, answers, draw_spec, materialize

from usi_metric.aggregation.bootstrap import CELLS
from usi_metric.cli import main
from usi_metric.io import SessionSet, SurveySet
from usi_metric.io.ids import human_task_key
from usi_metric.scoring import score_simulator
from usi_metric.scoring.intervals import CIOptions, simulator_table, task_keys
from usi_metric.scoring.paired import compare_simulators, permutation_test

SAMPLE = Path(__file__).resolve().parent.parent / "usi_metric" / "samples" / "synthetic_tau_usi"
NEW = SAMPLE.parent / "synthetic_new_simulator"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


# ----------------------------------------------------------------------------- A vs A


def test_compare_a_with_itself_is_exactly_zero_with_p_one(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "compare", "--data-dir", str(SAMPLE), "synth-terse",
                        "synth-terse", "--resamples", "200", "--permutations", "300",
                        "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["a"] == data["b"] == "synth-terse"
    for key in CELLS:
        term = data["terms"][key]
        assert term["a"] is not None and term["a"] == term["b"]
        assert term["difference"] == 0.0 and term["p_value"] == 1.0
        assert term["ci"] == [0.0, 0.0]


def test_the_same_runs_file_twice_is_exactly_zero(capsys: pytest.CaptureFixture[str]) -> None:
    runs, survey = str(NEW / "runs.json"), str(NEW / "survey.json")
    code, out, _ = _run(capsys, "compare", "--data-dir", str(SAMPLE), runs, runs,
                        "--survey-a", survey, "--survey-b", survey, "--resamples", "100",
                        "--permutations", "100", "--format", "json")
    assert code == 0
    for term in json.loads(out)["terms"].values():
        assert term["difference"] == 0.0 and term["p_value"] == 1.0


# ----------------------------------------------------------------------------- A vs B


def test_compare_two_simulators_table_json_and_same_bytes(
        capsys: pytest.CaptureFixture[str]) -> None:
    args = ["compare", "--data-dir", str(SAMPLE), "synth-idcard", "synth-polite-xl",
            "--difficulty", "release", "--resamples", "300", "--permutations", "400",
            "--seed", "5", "--format", "json"]
    code, first, _ = _run(capsys, *args)
    assert code == 0 and _run(capsys, *args)[1] == first
    data = json.loads(first)
    lb = json.loads(_run(capsys, "leaderboard", "--data-dir", str(SAMPLE), "--difficulty",
                         "release", "--format", "json")[1])
    cells = {r["name"]: r for r in lb["rows"]}
    for key in CELLS:
        term = data["terms"][key]
        a, b = cells["synth-idcard"][key]["mean"], cells["synth-polite-xl"][key]["mean"]
        assert term["a"] == a and term["b"] == b and term["difference"] == a - b
        low, high = term["ci"]
        assert low <= high and 0.0 < term["p_value"] <= 1.0
    assert data["test"]["permutations"] == 400 and data["interval"]["n_resamples"] == 300
    code, table, _ = _run(capsys, *args[:-2])
    assert code == 0 and "synth-idcard (A) vs synth-polite-xl (B)" in table
    assert "permutation" in table and "USI" in table


def test_compare_a_runs_file_with_a_release_simulator(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "compare", "--data-dir", str(SAMPLE), str(NEW / "runs.json"),
                        "synth-terse", "--survey-a", str(NEW / "survey.json"),
                        "--resamples", "100", "--permutations", "100", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["a"] == "runs" and data["b"] == "synth-terse"
    # synth-terse's session of airline_8 has keep: null (not kept): it meets 57 of the 58
    assert data["tasks_met"] == {"a": 58, "b": 57, "shared": 57}
    assert [n.split(";")[0] for n in data["notes"]] == [
        "Tasks: runs meets 58 of the 58 tasks of the human sessions, synth-terse 57"]
    assert data["terms"]["eval_agree"]["p_value"] is not None


def test_only_one_survey_leaves_the_eval_term_out(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "compare", "--data-dir", str(SAMPLE), "synth-terse",
                        "synth-echo", "--resamples", "100", "--permutations", "100",
                        "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["terms"]["eval_agree"]["difference"] is None
    assert data["terms"]["usi"]["p_value"] is not None and len(data["notes"]) == 2
    assert data["notes"][1].startswith("Tasks: synth-terse meets 57 of the 58 tasks")


def test_unknown_simulator_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "compare", "--data-dir", str(SAMPLE), "synth-terse",
                          "no-such-sim")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "no-such-sim" in err and "synth-terse" in err
    code, _, err = _run(capsys, "compare", "--data-dir", str(SAMPLE), "synth-terse",
                        "synth-echo", "--permutations", "0")
    assert code == 2 and "permutations" in err


# ----------------------------------------------------------------------------- the test itself


def _perturbed(spec: Spec, seed: int) -> Spec:
    """Simulator B: A's ids, keep flags and humans; other features, rewards and answers."""
    rng = np.random.default_rng(seed)
    sim = {}
    for t, runs in spec.sim.items():
        sim[t] = []
        for suf, f in runs:
            g = dict(f)
            if g["features"] is not None:
                g["features"] = g["features"] * rng.uniform(0.3, 3.0, size=len(g["features"]))
            g["reward"] = float(rng.random() < 0.6)
            sim[t].append((suf, g))
    r = random.Random(seed)
    survey = {t: {b: answers(r, True) for b in spec.survey[t]} for t in spec.tasks}
    return Spec(spec.tasks, spec.humans, sim, spec.extra_sim, spec.multi_run, survey,
                spec.human_eval, spec.eval_order, spec.difficulty, spec.has_survey,
                spec.has_human_eval)


def _swapped(a: Release, b: Release, tasks: set[str]) -> tuple[SessionSet, SurveySet | None]:
    """A with B's sessions and survey answers on ``tasks`` (the same ids, position by
    position)."""
    sessions, feats, mask = [], a.sim.features.copy(), a.sim.has_features.copy()
    for i, (sa, sb) in enumerate(zip(a.sim.sessions, b.sim.sessions, strict=True)):
        assert sa.instance_id == sb.instance_id
        if sa.task_key in tasks:
            sessions.append(sb)
            feats[i], mask[i] = b.sim.features[i], b.sim.has_features[i]
        else:
            sessions.append(sa)
    sim = replace(a.sim, sessions=sessions, features=feats, has_features=mask)
    if a.survey is None:
        return sim, None
    surveys = {iid: (b.survey if human_task_key(iid) in tasks else a.survey).surveys[iid]
               for iid in a.survey.surveys}
    return sim, SurveySet("x", "<x>", surveys)


def _cells(sim: SessionSet, survey: SurveySet | None, rel: Release) -> np.ndarray:
    row = score_simulator(sim, rel.humans, rel.difficulty, survey)
    return np.array([np.nan if row.cells[k] is None else row.cells[k].mean for k in CELLS])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9))
@example(2957)  # a release of one task: scipy needs two, so the swap sets are enumerated here
def test_permutation_null_matches_swapped_releases_scored_plainly(seed: int) -> None:
    spec = draw_spec(seed, valid_judges=True)  # no fill draws: the order does not matter
    a, b = materialize(spec), materialize(_perturbed(spec, seed + 1))
    tasks = task_keys(a.humans)
    ta = simulator_table(a.sim, a.humans, a.difficulty, a.survey, tasks)
    tb = simulator_table(b.sim, b.humans, b.difficulty, b.survey, tasks)
    res = permutation_test(ta, tb, 9999, seed=0)  # <= 7 tasks: every swap set enumerated
    null = np.asarray(res.null_distribution).reshape(-1, len(CELLS))
    assert null.shape[0] == 2 ** len(tasks)
    ref = []
    for k in range(len(tasks) + 1):
        for swap in itertools.combinations(tasks, k):
            sa, va = _swapped(a, b, set(swap))
            sb, vb = _swapped(b, a, set(swap))
            ref.append(_cells(sa, va, a) - _cells(sb, vb, a))
    ref_arr = np.array(ref)
    observed = _cells(a.sim, a.survey, a) - _cells(b.sim, b.survey, a)
    for j in range(len(CELLS)):
        got, want = np.sort(null[:, j]), np.sort(ref_arr[:, j])
        assert np.array_equal(np.isnan(got), np.isnan(want)), CELLS[j]
        ok = ~np.isnan(want)
        assert np.all(np.abs(got[ok] - want[ok]) <= 1e-9), CELLS[j]
        stat = float(np.atleast_1d(res.statistic)[j])
        assert (math.isnan(stat) and math.isnan(observed[j])) or abs(
            stat - observed[j]) <= 1e-9


def test_compare_function_matches_plain_scores_on_a_small_release() -> None:
    spec = draw_spec(11, valid_judges=True)
    a, b = materialize(spec), materialize(_perturbed(spec, 12))
    c = compare_simulators(a.sim, b.sim, a.humans, a.difficulty, a.survey, b.survey,
                           options=CIOptions(n_resamples=100), permutations=200)
    want = _cells(a.sim, a.survey, a) - _cells(b.sim, b.survey, a)
    for j, key in enumerate(CELLS):
        d = c.terms[key].difference
        assert (d is None and math.isnan(want[j])) or abs(d - want[j]) <= 1e-12
