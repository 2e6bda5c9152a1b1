"""The 3-task mini release of test_mini_release.py, as data (see that module's docstring).

Kinds: K1 "ok", K2 "no way", K3 "i am not sure now"; airline_0..2; batches 1-3;
simulator ``s`` (runs 1 and 2, with a survey file) and ``s2`` (same runs, no survey).
"""

from __future__ import annotations

import json
from pathlib import Path

K1, K2, K3 = "ok", "no way", "i am not sure now"
A0, A1, A2 = "airline_0", "airline_1", "airline_2"


def conv(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": "Hi, how are you"},
            {"role": "user", "content": text}]


def entry(iid: str, text: str, reward: float, keep: bool | None = True,
          survey: dict | None = None) -> dict:
    e = {"instance_id": iid, "agent_id": "agent", "conversation": conv(text),
         "reward": reward, "keep": keep}
    e["survey"] = {k: {"answer": v} for k, v in (survey or {}).items()}
    return e


HUMANS = {
    A0: entry(A0, K1, 1.0, survey={"human_like": "Yes", "question_amount_preference": "Too few"}),
    A1: entry(A1, K2, 0.0, survey={}),
    A2: entry(A2, K3, 1.0, survey={"efficiency": "About right", "reuse": "Maybe"}),
    A0 + "_ann2": entry(A0 + "_ann2", K1, 1.0, survey={"overall_score": "4 (Good)"}),
    A1 + "_ann2": entry(A1 + "_ann2", K1, 1.0),
    A2 + "_ann2": entry(A2 + "_ann2", K3, 0.0),
    A0 + "_ann3": entry(A0 + "_ann3", K2, 0.0, survey={"task_success": "Yes - Task completed"}),
    A1 + "_ann3": entry(A1 + "_ann3", K2, 0.0),
    A2 + "_ann3": entry(A2 + "_ann3", K3, 1.0, keep=None, survey={"human_like": "Yes"}),
}


def record(run: int, iid: str, text: str, reward: float, keep: bool | None = True) -> dict:
    return {"instance_id": iid, "run": run, "conversation": conv(text), "reward": reward,
            "keep": keep}


RUNS = {"results": [
    record(1, A0, K1, 1.0), record(1, A1, K1, 1.0), record(1, A2, K2, 1.0),
    record(2, A0, K3, 0.0), record(2, A1, K1, 1.0, keep=False), record(2, A2, K2, 1.0, keep=None),
]}

SIM_SURVEY = {
    A0: {"survey": {"human_like": {"answer": "Partially"},
                    "question_amount_preference": {"answer": "Too many"}}},
    A1: {"survey": {"human_like": {"answer": "Yes"}}},
    A2: {"survey": {"reuse": {"answer": "garbage"}}},  # efficiency missing, reuse invalid
    A0 + "_ann2": {"survey": {"overall_score": {"answer": "4 (Good)"}}},
    A0 + "_ann3": {"survey": {"task_success": {"answer": "No - Task failed"}}},
    A2 + "_ann3": {"survey": {"human_like": {"answer": "No"}}},  # human keep null: left out
}

HUMAN_EVAL = {  # file order matters: airline_2 first
    A2: {"survey": {"efficiency": {"answer": "Very efficient"}}},
    A0: {"survey": {"question_amount_preference": {"answer": "About right"},
                    "human_like": {"answer": "Yes"}}},
    A1 + "_ann2": {"survey": {"human_like": {"answer": "No"}}},  # not batch 1: skipped
}

DIFFICULTY = {A0: 0.1, A1: 0.19, A2: 0.8}


def write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def write_mini(tmp_path: Path) -> Path:
    write(tmp_path / "data" / "tau_bench_tasks_unified.json", HUMANS)
    write(tmp_path / "eval_results" / "eval_results_s.json", RUNS)
    write(tmp_path / "eval_results" / "eval_results_s2.json", RUNS)  # same runs, no survey
    write(tmp_path / "survey_data" / "survey_comparable_s.json", SIM_SURVEY)
    write(tmp_path / "survey_data" / "survey_comparable_human-eval-100.json", HUMAN_EVAL)
    write(tmp_path / "difficulty.json", DIFFICULTY)
    return tmp_path
