"""The deliberate deviations from the paper's scorer (docs/deviations.md), each pinned by hand.

Every expected value is worked out in the comments; the project is reached through its CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def usi(*args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "usi_metric", *args], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def conv(*turns: tuple[str, str | None]) -> list[dict[str, Any]]:
    return [{"role": r, "content": c} for r, c in turns]


def entry(c: list[dict[str, Any]], reward: float) -> dict[str, Any]:
    return {"conversation": c, "reward": reward}


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), "utf-8")
    return path


def row(out: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in out["rows"] if r["name"] == name)


OK = conv(("assistant", "How can I help?"), ("user", "ok"))


def test_a_run_without_features_is_left_out_not_a_perfect_score(tmp_path: Path) -> None:
    # Humans: airline_0 in three batches, "ok". The simulator's only session has no user turn:
    # the paper's row would be NaN and its Dice 100 in every dimension. Here: no dimension
    # score, no USI; the ECE (the runs share the kept id airline_0) is still there:
    # sim success 1 vs human 1 in one bin -> ECE 0.
    humans = {f"airline_0{s}": entry(OK, 1.0) for s in ("", "_ann2", "_ann3")}
    write(tmp_path / "data" / "tau_bench_tasks_unified.json", humans)
    write(tmp_path / "eval_results" / "eval_results_mute.json",
          {"airline_0": entry(conv(("assistant", "Hello?")), 1.0)})
    write(tmp_path / "map.json", {"airline_0": 0.5})
    out = usi("leaderboard", "--data-dir", str(tmp_path), "--difficulty",
              str(tmp_path / "map.json"), "--format", "json")
    mute = row(out, "mute")
    assert mute["D1_conv"] is None and mute["usi"] is None
    assert mute["ece"] == {"mean": 0.0, "std": 0.0}


def test_null_content_is_empty_text_not_the_word_none(tmp_path: Path) -> None:
    # User turns: null and "ok". Words: 0 and 1 -> user_words_per_turn 0.5 (the paper: "None"
    # is one word -> 1.0); both turns have <= 3 words -> short_msg_rate 1.0.
    path = write(tmp_path / "eval_results_x.json",
                 {"airline_0": entry(conv(("user", None), ("user", "ok")), 0.0)})
    out = usi("features", str(path), "--format", "json")
    rec = out["rows"][0]
    assert rec["user_words_per_turn"] == 0.5 and rec["short_msg_rate"] == 1.0


def test_an_id_without_run_suffix_in_a_multi_run_file_is_its_own_run(tmp_path: Path) -> None:
    # 171 entries (more than 170: several runs). `airline_1` has no run suffix: run "0" under
    # its whole id (the paper would make it run 1 of a task called "airline").
    data = {f"retail_{i}_{r}": entry(OK, 1.0) for i in range(57) for r in (1, 2, 3)}
    data["airline_1"] = entry(OK, 1.0)
    assert len(data) == 172
    path = write(tmp_path / "eval_results_x.json", data)
    out = usi("features", str(path), "--format", "json")
    rec = next(r for r in out["rows"] if r["instance_id"] == "airline_1")
    assert rec["group"] == "0" and rec["task_key"] == "airline_1"
    rec = next(r for r in out["rows"] if r["instance_id"] == "retail_10_2")
    assert rec["group"] == "2" and rec["task_key"] == "retail_10"


def test_each_human_pair_uses_its_own_ece(tmp_path: Path) -> None:
    # Batch 1 holds tasks A, B; batch 2 holds A, C; batch 3 holds B, C. The map knows B and C
    # only, so pair (1,2) (common task A) has Dice but no ECE; pairs (1,3) and (2,3) have
    # ECE 0 (equal rewards). Every text is "ok" except batch 2's A ("no way, that is
    # wrong"), so only pair (1,2) has Dice below 100. Own pairing: USI(1,3) = USI(2,3)
    # = (4 x 100 + 100) / 5 = 100 -> 100 +- 0. The paper pairs (1,2)'s Dice with (1,3)'s ECE
    # and would report less than 100.
    a, b, c = "airline_3", "airline_12", "retail_7"
    odd = conv(("assistant", "Hi"), ("user", "no way, that is wrong"))
    humans = {a: entry(OK, 1.0), b: entry(OK, 0.0),
              a + "_ann2": entry(odd, 1.0), c + "_ann2": entry(OK, 1.0),
              b + "_ann3": entry(OK, 0.0), c + "_ann3": entry(OK, 1.0)}
    write(tmp_path / "data" / "tau_bench_tasks_unified.json", humans)
    write(tmp_path / "eval_results" / "eval_results_s.json", {a: entry(OK, 1.0)})
    write(tmp_path / "map.json", {b: 0.3, c: 0.9})
    out = usi("leaderboard", "--data-dir", str(tmp_path), "--difficulty",
              str(tmp_path / "map.json"), "--format", "json")
    human = row(out, "Human (inter-ann.)")
    assert human["usi"] == {"mean": 100.0, "std": 0.0}
    assert human["ece"] == {"mean": 0.0, "std": 0.0}
    assert human["D1_conv"]["mean"] < 100.0  # pair (1,2)'s Dice is still counted


def test_a_null_survey_or_a_bare_field_is_unanswered(tmp_path: Path) -> None:
    # One human session (batch 1) answered human_like "Yes" (normalised 1.0). The judge's
    # entry is `survey: null`: the field gets the seeded fill, rng(42).choice([1, 2, 3]).
    # numpy's default_rng(42) first choice of 3 values is index 0 -> value 1 -> normalised 0
    # -> |1 - 0| = 1 -> agreement 0.0; a bare string field is unanswered the same way.
    import numpy as np

    assert int(np.random.default_rng(42).choice([1, 2, 3])) == 1
    expected = 0.0  # (1 - |1.0 - 0.0|) x 100
    humans = {"airline_0": {**entry(OK, 1.0), "survey": {"human_like": {"answer": "Yes"}}}}
    write(tmp_path / "data" / "tau_bench_tasks_unified.json", humans)
    write(tmp_path / "eval_results" / "eval_results_s.json", {"airline_0": entry(OK, 1.0)})
    write(tmp_path / "survey_data" / "survey_comparable_s.json",
          {"airline_0": {"survey": None}})
    write(tmp_path / "map.json", {"airline_0": 0.5})
    out = usi("leaderboard", "--data-dir", str(tmp_path), "--difficulty",
              str(tmp_path / "map.json"), "--format", "json")
    assert row(out, "s")["eval_agree"] == {"mean": expected, "std": 0.0}
    write(tmp_path / "survey_data" / "survey_comparable_s.json",
          {"airline_0": {"survey": {"human_like": "Yes"}}})
    out = usi("leaderboard", "--data-dir", str(tmp_path), "--difficulty",
              str(tmp_path / "map.json"), "--format", "json")
    assert row(out, "s")["eval_agree"] == {"mean": expected, "std": 0.0}
