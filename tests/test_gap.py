"""The evaluative gap (docs/gap.md), computed by hand on tiny releases.

Normalised answers used below (§7): task_success 1..5 -> (v-1)/4, so "Yes - Task completed"
is 3/4 and "No - Task failed" 0; human_like No/Partially/Yes -> 0, 1/2, 1; overall_score
"4 (Good)" -> 3/4; question_amount_preference "Too few"/"Too many" -> 0; efficiency
"About right" -> 2/3; reuse "Maybe" -> 1/2.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from minirelease import write

from usi_metric.cli import main
from usi_metric.errors import UsiError
from usi_metric.io import load_humans, load_release
from usi_metric.report.gap import (
    SuccessRate,
    evaluative_gap,
    field_gap,
    gap_for,
    gap_json,
    judged_successful,
    reward_vs_judgement,
)


def approx(x: float) -> object:
    return pytest.approx(x, abs=1e-12)


def gap_cli(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["gap", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


# ----------------------------------------------------------------------------- the mini release


def test_mini_success_inflation(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gap = gap_cli(capsys, "--data-dir", str(mini))
    # Humans: 8 kept (airline_2_ann3 has keep null); rewards > 0: airline_0, airline_2,
    # airline_0_ann2, airline_1_ann2 -> 4/8.
    assert gap["humans"]["success"] == {"n_sessions": 8, "n_success": 4, "success_pct": 50.0}
    # Simulator s: run 1 a0 1, a1 1, a2 1; run 2 a0 0, a1 (keep false: dropped), a2 1 (keep
    # null: counts) -> 4 of 5.
    s = gap["simulators"][0]
    assert s["name"] == "s"
    assert s["success"]["simulator"] == {"n_sessions": 5, "n_success": 4,
                                         "success_pct": approx(100 * 4 / 5)}
    assert s["success"]["inflation_pp"] == approx(100 * 4 / 5 - 100 * 4 / 8)
    assert [x["name"] for x in gap["simulators"]] == ["s", "s2"]
    assert gap["synthetic"] is False


def test_mini_survey_fields(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = gap_cli(capsys, "--data-dir", str(mini), "--simulator", "s")["simulators"][0]
    # Covered: survey ids that are kept human ids: a0, a1, a2, a0_ann2, a0_ann3 (a2_ann3 has
    # human keep null) -> 5.
    assert s["survey"]["n_covered"] == 5
    f = s["survey"]["fields"]
    # task_success: sim a0_ann3 "No - Task failed" 0; human a0_ann3 "Yes - Task completed" 3/4
    assert f["task_success"] == {"sim_mean": 0.0, "human_mean": 3 / 4, "n_sim": 1, "n_human": 1,
                                 "overestimation_pct": approx(100 * (0 - 3 / 4))}
    # human_like: sim a0 "Partially" 1/2 and a1 "Yes" 1 -> 3/4; human a0 "Yes" 1 (a1 none)
    assert f["human_like"] == {"sim_mean": 3 / 4, "human_mean": 1.0, "n_sim": 2, "n_human": 1,
                               "overestimation_pct": approx(100 * (3 / 4 - 1))}
    # question_amount_preference: "Too many" 0 vs "Too few" 0
    assert f["question_amount_preference"]["overestimation_pct"] == 0.0
    # overall_score: "4 (Good)" on both sides of a0_ann2
    assert f["overall_score"]["sim_mean"] == f["overall_score"]["human_mean"] == 3 / 4
    # efficiency: the simulator did not answer; reuse: its answer "garbage" is not an option
    assert f["efficiency"] == {"sim_mean": None, "human_mean": 2 / 3, "n_sim": 0, "n_human": 1,
                               "overestimation_pct": None}
    assert f["reuse"] == {"sim_mean": None, "human_mean": 1 / 2, "n_sim": 0, "n_human": 1,
                          "overestimation_pct": None}
    # nobody answered these: null, not NaN
    for name in ("answer_effort_time", "interaction_flow"):
        assert f[name] == {"sim_mean": None, "human_mean": None, "n_sim": 0, "n_human": 0,
                           "overestimation_pct": None}
    assert list(f) == sorted(f)  # stable JSON: sorted keys


def test_mini_simulator_without_survey(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s2 = gap_cli(capsys, "--data-dir", str(mini), "--simulator", "s2")["simulators"]
    assert len(s2) == 1 and s2[0]["name"] == "s2" and s2[0]["survey"] is None


def test_mini_reward_vs_judgement(mini: Path) -> None:
    rj = evaluative_gap(load_release(mini))["reward_vs_judgement"]
    # Only airline_0_ann3 has a valid task_success ("Yes - Task completed") and it has
    # reward 0: 1 of 1 judged successful; no reward-1 session has an answer -> null share.
    assert rj == {"n_reward0": 1, "n_reward0_judged_success": 1, "reward0_judged_success": 1.0,
                  "n_reward1": 0, "n_reward1_judged_failure": 0, "reward1_judged_failure": None,
                  "n_without_answer": 7}


def test_unknown_simulator_is_a_one_line_error(mini: Path) -> None:
    with pytest.raises(UsiError, match="no simulator 'nope'"):
        gap_for(mini, ["nope"])


# ----------------------------------------------------------------------------- a judgement release

TS = {"fail": "No - Task failed", "policy": "No - Due to a policy issue, which the agent "
      "clearly explained", "part": "Partially - Some progress", "yes": "Yes - Task completed",
      "fully": "Fully - Exceeded expectations"}


def human(iid: str, reward: float | None, task_success: str | None, keep: bool | None = True,
          human_like: str | None = None) -> dict:
    survey = {}
    if task_success is not None:
        survey["task_success"] = {"answer": task_success}
    if human_like is not None:
        survey["human_like"] = {"answer": human_like}
    return {"instance_id": iid, "conversation": [{"role": "user", "content": "ok"}],
            "reward": reward, "keep": keep, "survey": survey}


JUDGED = {
    "airline_0": human("airline_0", 0.0, TS["fully"], human_like="No"),   # r0, judged ok
    "airline_1": human("airline_1", 0.0, TS["fail"], human_like="Partially"),  # r0, not ok
    "airline_2": human("airline_2", None, TS["yes"]),             # null reward = 0, judged ok
    "airline_0_ann2": human("airline_0_ann2", 1.0, TS["part"]),   # r1, judged failure
    "airline_1_ann2": human("airline_1_ann2", 0.5, TS["yes"]),    # 0.5 > 0: r1, judged ok
    "airline_2_ann2": human("airline_2_ann2", 1.0, TS["policy"]),  # r1, judged failure
    "retail_0": human("retail_0", 1.0, TS["yes"], human_like="Yes"),  # r1, judged ok
    "airline_0_ann3": human("airline_0_ann3", 1.0, TS["fully"], keep=False),  # not kept
    "airline_2_ann3": human("airline_2_ann3", 0.0, TS["yes"], keep=None),     # not kept
    "airline_1_ann3": human("airline_1_ann3", 1.0, "completed"),  # invalid answer: left out
}
SIM_SURVEY = {  # over-rates: "Yes" for human_like everywhere, "Fully" for task success
    "airline_0": {"survey": {"human_like": {"answer": "Yes"}, "task_success": {"answer":
                                                                              TS["fully"]}}},
    "airline_1": {"survey": {"human_like": {"answer": "Yes"}, "task_success": {"answer":
                                                                              TS["fully"]}}},
    "retail_0": {"survey": {"human_like": {"answer": "Partially"}}},
    "airline_0_ann3": {"survey": {"human_like": {"answer": "No"}}},  # human not kept: out
    "retail_9": {"survey": {"human_like": {"answer": "No"}}},        # no such human: out
}
SIM_RUNS = {"results": [
    {"instance_id": "airline_0", "run": 1, "conversation": [], "reward": 1.0},
    {"instance_id": "airline_1", "run": 1, "conversation": [], "reward": 1.0},
    {"instance_id": "airline_2", "run": 1, "conversation": [], "reward": 0.0},
    {"instance_id": "airline_0", "run": 2, "conversation": [], "reward": 0.25},
    {"instance_id": "airline_1", "run": 2, "conversation": [], "reward": None},
    {"instance_id": "airline_2", "run": 2, "conversation": [], "reward": 1.0, "keep": False},
]}


@pytest.fixture()
def judged(tmp_path: Path) -> Path:
    write(tmp_path / "tau_bench_tasks_unified.json", JUDGED)
    write(tmp_path / "eval_results" / "eval_results_over.json", SIM_RUNS)
    write(tmp_path / "survey_data" / "survey_comparable_over.json", SIM_SURVEY)
    return tmp_path


def test_reward_vs_judgement_by_hand(judged: Path) -> None:
    rj = reward_vs_judgement(load_humans(judged / "tau_bench_tasks_unified.json").sessions)
    # kept, valid answer: reward 0 -> airline_0 (fully), airline_1 (fail), airline_2 (yes,
    # null reward): 2 of 3 judged successful.
    assert (rj.n_reward0, rj.n_reward0_judged_success) == (3, 2)
    assert rj.reward0_judged_success == approx(2 / 3)
    # reward > 0 -> airline_0_ann2 (partially), airline_1_ann2 (yes, reward 0.5),
    # airline_2_ann2 (policy), retail_0 (yes): 2 of 4 judged unsuccessful.
    assert (rj.n_reward1, rj.n_reward1_judged_failure) == (4, 2)
    assert rj.reward1_judged_failure == approx(1 / 2)
    # airline_1_ann3 answered "completed" (not an option); the two unkept ones don't count.
    assert rj.n_without_answer == 1


def test_overestimation_and_inflation_by_hand(judged: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    gap = gap_cli(capsys, "--data-dir", str(judged))
    # humans kept: 8 (airline_0_ann3 keep false, airline_2_ann3 keep null are out);
    # reward > 0: airline_0_ann2, airline_1_ann2 (0.5), airline_2_ann2, retail_0,
    # airline_1_ann3 -> 5/8
    assert gap["humans"]["success"]["success_pct"] == approx(100 * 5 / 8)
    s = gap["simulators"][0]
    # simulator: 5 sessions (run 2 airline_2 keep false dropped); reward > 0: 1, 1, 0.25 -> 3/5
    assert s["success"]["simulator"]["success_pct"] == approx(100 * 3 / 5)
    assert s["success"]["inflation_pp"] == approx(100 * 3 / 5 - 100 * 5 / 8)
    # covered: airline_0, airline_1, retail_0 (airline_0_ann3 unkept, retail_9 absent)
    assert s["survey"]["n_covered"] == 3
    hl = s["survey"]["fields"]["human_like"]
    # sim: Yes 1, Yes 1, Partially 1/2 -> 5/6; humans: No 0, Partially 1/2, Yes 1 -> 1/2
    assert hl["sim_mean"] == approx(5 / 6) and hl["human_mean"] == approx(1 / 2)
    assert hl["overestimation_pct"] == approx(100 * (5 / 6 - 1 / 2))
    ts = s["survey"]["fields"]["task_success"]
    # sim: Fully 1, Fully 1 -> 1; humans on those and retail_0: 1, 0, 3/4 -> 7/12
    assert ts["sim_mean"] == 1.0 and ts["human_mean"] == approx(7 / 12)
    assert (ts["n_sim"], ts["n_human"]) == (2, 3)
    assert ts["overestimation_pct"] == approx(100 * (1 - 7 / 12))
    rj = gap["reward_vs_judgement"]
    assert rj["reward0_judged_success"] == approx(2 / 3)


def test_pure_helpers() -> None:
    g = field_gap("overall_score", [("1 (Very poor)", "5 (Excellent)"), ("3 (Acceptable)",
                                                                       {"answer": "4 (Good)"})])
    # sim (1 + 3/4)/2 = 7/8; human (0 + 1/2)/2 = 1/4
    assert g.sim_mean == approx(7 / 8) and g.human_mean == approx(1 / 4)
    assert g.overestimation_pct == approx(100 * (7 / 8 - 1 / 4))
    assert field_gap("reuse", []).overestimation_pct is None
    assert [judged_successful(TS[k]) for k in ("fail", "policy", "part", "yes", "fully")] == [
        False, False, False, True, True]
    assert judged_successful(None) is None and judged_successful({"answer": TS["yes"]}) is True
    assert SuccessRate(0, 0).pct is None


def test_gap_json_has_no_nan_and_is_stable(judged: Path) -> None:
    text = gap_json(evaluative_gap(load_release(judged)))
    assert "NaN" not in text and "Infinity" not in text
    assert text == gap_json(evaluative_gap(load_release(judged)))
    with pytest.raises(ValueError):
        gap_json({"x": math.nan})
