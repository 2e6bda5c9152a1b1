"""The ``usi`` command line: its contract, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pyrun import one_line_error as assert_one_line_error

from usi_metric.cli import main


def run_usi(*args: str) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a subprocess (exit code, stdout, stderr)."""
    return subprocess.run([sys.executable, "-m", "usi_metric.cli", *args],
                          capture_output=True, text=True, check=False)


def test_malformed_human_file(mini: Path) -> None:
    (mini / "data" / "tau_bench_tasks_unified.json").write_text('{"airline_0": {', "utf-8")
    proc = run_usi("leaderboard", "--data-dir", str(mini))
    assert_one_line_error(proc, "tau_bench_tasks_unified.json", "malformed JSON")
    assert proc.stdout == ""


def test_missing_field_names_file_id_field(mini: Path) -> None:
    path = mini / "data" / "tau_bench_tasks_unified.json"
    data = json.loads(path.read_text("utf-8"))
    del data["airline_1_ann2"]["conversation"]
    path.write_text(json.dumps(data), "utf-8")
    proc = run_usi("leaderboard", "--data-dir", str(mini))
    assert_one_line_error(proc, str(path), "id airline_1_ann2", "field conversation")


def test_non_list_conversation(mini: Path) -> None:
    path = mini / "data" / "tau_bench_tasks_unified.json"
    data = json.loads(path.read_text("utf-8"))
    data["airline_2"]["conversation"] = {"role": "user", "content": "hi"}
    path.write_text(json.dumps(data), "utf-8")
    proc = run_usi("leaderboard", "--data-dir", str(mini))
    assert_one_line_error(proc, "id airline_2", "field conversation", "must be a list")


def test_empty_release(tmp_path: Path) -> None:
    (tmp_path / "tau_bench_tasks_unified.json").write_text("{}", "utf-8")
    assert_one_line_error(run_usi("leaderboard", "--data-dir", str(tmp_path)), "no entries")
    assert_one_line_error(run_usi("leaderboard", "--data-dir", str(tmp_path / "nope")),
                          "not a folder")


def test_bad_simulator_file_keeps_other_rows(mini: Path) -> None:
    bad = mini / "eval_results" / "eval_results_zbad.json"
    bad.write_text('{"airline_0": {"conversation": [], "reward": "high"}}', "utf-8")
    proc = run_usi("leaderboard", "--data-dir", str(mini), "--difficulty",
                   str(mini / "difficulty.json"), "--format", "json")
    assert proc.returncode == 2
    names = [r["name"] for r in json.loads(proc.stdout)["rows"]]
    assert "s" in names and "s2" in names and "zbad" not in names
    assert "eval_results_zbad.json" in proc.stderr and "field reward" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_table_and_csv_formats(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    diff = str(mini / "difficulty.json")
    assert main(["leaderboard", "--data-dir", str(mini), "--difficulty", diff]) == 0
    table = capsys.readouterr().out
    assert "Human (inter-ann.)" in table and "±" in table
    assert main(["leaderboard", "--data-dir", str(mini), "--difficulty", diff,
                 "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["name"] == "Human (inter-ann.)"
    assert "usi_mean" in rows[0] and "ece_std" in rows[0]


def test_json_is_byte_identical_across_runs(mini: Path) -> None:
    args = ("leaderboard", "--data-dir", str(mini), "--difficulty",
            str(mini / "difficulty.json"), "--format", "json")
    assert run_usi(*args).stdout == run_usi(*args).stdout


def test_score_with_frozen_map_equals_leaderboard_row(mini: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    diff = str(mini / "difficulty.json")
    main(["leaderboard", "--data-dir", str(mini), "--difficulty", diff, "--format", "json"])
    board = {r["name"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    runs = mini / "eval_results" / "eval_results_s.json"
    survey = mini / "survey_data" / "survey_comparable_s.json"
    assert main(["score", str(runs), "--data-dir", str(mini), "--survey", str(survey),
                 "--difficulty", diff, "--label", "s", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["name"] for r in rows] == ["Human (inter-ann.)", "s"]
    assert rows[1] == board["s"]


def test_score_self_pooled_without_enough_samples_says_why(mini: Path) -> None:
    runs = mini / "eval_results" / "eval_results_s.json"
    proc = run_usi("score", str(runs), "--data-dir", str(mini), "--difficulty", "self")
    assert_one_line_error(proc, "no ECE", ">= 10 samples", "--difficulty published")
    assert proc.stdout == ""


def test_score_defaults_to_the_published_yardstick_and_says_so(mini: Path) -> None:
    runs = mini / "eval_results" / "eval_results_s.json"
    proc = run_usi("score", str(runs), "--data-dir", str(mini), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    y = json.loads(proc.stdout)["difficulty"]
    # the mini release's runs cover airline_0..2, all in the paper's 165-task yardstick
    assert y == {"source": "published", "n_tasks_with_difficulty": 165,
                 "n_tasks_scored": 3, "n_tasks_outside": 0}


def test_difficulty_command_writes_provenance(tmp_path: Path, mini: Path) -> None:
    # 6 copies of the two-run simulator give each task 12 pooled samples (>= 10).
    src = (mini / "eval_results" / "eval_results_s.json").read_text("utf-8")
    for i in range(3, 7):
        (mini / "eval_results" / f"eval_results_s{i}.json").write_text(src, "utf-8")
    out = tmp_path / "map.json"
    proc = run_usi("difficulty", "--data-dir", str(mini), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text("utf-8"))
    # airline_0: runs 1,2 rewards 1,0 -> 6/12; airline_1: run 2 keep false -> 6/6 < 10 samples;
    # airline_2: 12/12 (keep null counts)
    assert data["difficulty"] == {"airline_0": 0.5, "airline_2": 1.0}
    assert data["provenance"]["samples_per_task"] == {"airline_0": 12, "airline_1": 6,
                                                      "airline_2": 12}
    assert data["provenance"]["simulators"] == ["s", "s2", "s3", "s4", "s5", "s6"]


def test_features_command(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    human = mini / "data" / "tau_bench_tasks_unified.json"
    assert main(["features", str(human), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"] == "human"
    first = out["rows"][0]
    assert first["instance_id"] == "airline_0" and first["ack_only_rate"] == 1.0
    assert first["n_turns"] == 2.0
    assert main(["features", str(human)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 9 and rows[2]["uncertainty_rate"] == "1.0"


def _survey_release(tmp_path: Path) -> Path:
    # Humans: airline_1 (batch 1), airline_1_ann2 (batch 2), airline_2 (keep false). The
    # runs cover both tasks; the map gives both a difficulty.
    ok = [{"role": "assistant", "content": "Hi"}, {"role": "user", "content": "ok"}]
    humans = {"airline_1": {"conversation": ok, "reward": 1.0},
              "airline_1_ann2": {"conversation": ok, "reward": 1.0},
              "airline_2": {"conversation": ok, "reward": 1.0, "keep": False}}
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "tau_bench_tasks_unified.json").write_text(json.dumps(humans), "utf-8")
    runs = {"airline_1": {"conversation": ok, "reward": 1.0},
            "airline_2": {"conversation": ok, "reward": 0.0}}
    (tmp_path / "runs.json").write_text(json.dumps(runs), "utf-8")
    (tmp_path / "map.json").write_text(json.dumps({"airline_1": 0.5, "airline_2": 0.5}), "utf-8")
    return tmp_path


def test_score_says_what_the_survey_covers(tmp_path: Path) -> None:
    rel = _survey_release(tmp_path)
    # 2 kept human sessions; the file covers airline_1 only (airline_2 is not kept, x_9 is
    # no human id): 8 answers there, of which "Yes" (human_like) and "Maybe" (reuse) are
    # options, "no answer" is not -> 2 of 8 valid.
    survey = {"airline_1": {"survey": {"human_like": {"answer": "Yes"},
                                       "reuse": {"answer": "Maybe"},
                                       "efficiency": {"answer": "no answer"}}},
              "airline_2": {"survey": {"human_like": {"answer": "Yes"}}},
              "x_9": {"survey": {}}}
    (rel / "s.json").write_text(json.dumps(survey), "utf-8")
    proc = run_usi("score", str(rel / "runs.json"), "--data-dir", str(rel), "--survey",
                   str(rel / "s.json"), "--difficulty", str(rel / "map.json"), "--format",
                   "json")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert json.loads(proc.stdout)["survey"] == {
        "n_entries": 3, "n_kept_human_sessions": 2, "n_covered": 1, "n_answers": 8,
        "n_valid": 2, "n_compared": 0, "n_filled": 0}  # the people gave no answers here


def test_score_warns_when_no_survey_answer_is_an_option(tmp_path: Path) -> None:
    rel = _survey_release(tmp_path)
    (rel / "s.json").write_text(json.dumps({"airline_1": {"survey": {}}}), "utf-8")
    proc = run_usi("score", str(rel / "runs.json"), "--data-dir", str(rel), "--survey",
                   str(rel / "s.json"), "--difficulty", str(rel / "map.json"))
    assert proc.returncode == 0
    assert proc.stderr.startswith("usi: warning: ") and "seeded fills only" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_score_refuses_a_survey_that_covers_no_human_session(tmp_path: Path) -> None:
    rel = _survey_release(tmp_path)
    (rel / "s.json").write_text(json.dumps({"retail_4": {"survey": {}}}), "utf-8")
    proc = run_usi("score", str(rel / "runs.json"), "--data-dir", str(rel), "--survey",
                   str(rel / "s.json"), "--difficulty", str(rel / "map.json"))
    assert_one_line_error(proc, "s.json", "no id of the survey file is a kept human session")


def test_a_data_subfolder_reads_the_whole_release() -> None:
    sample = Path(__file__).resolve().parents[1] / "usi_metric" / "samples" / "synthetic_tau_usi"
    whole = run_usi("leaderboard", "--data-dir", str(sample), "--format", "json")
    sub = run_usi("leaderboard", "--data-dir", str(sample / "data"), "--format", "json")
    assert whole.returncode == sub.returncode == 0
    assert json.loads(whole.stdout)["rows"] == json.loads(sub.stdout)["rows"]


def test_usage_errors_are_one_line() -> None:
    assert_one_line_error(run_usi("leaderboard"), "--data-dir", "usi leaderboard --help")
    sample = Path(__file__).resolve().parents[1] / "usi_metric" / "samples"
    proc = run_usi("score", str(sample / "synthetic_new_simulator" / "runs.json"),
                   "--data-dir", str(sample / "synthetic_tau_usi"), "--difficulty", "publised")
    assert_one_line_error(proc, "field difficulty", "published, release, self")
