"""Malformed release files through the real ``usi`` command, in a subprocess.

Every problem is one line on stderr (``usi: error: FILE: id ID: field FIELD: reason``, the
parts that are known), exit code 2, no traceback. A bad human file stops everything; a bad
simulator or survey file is named on stderr while ``usi leaderboard`` still prints the other
rows and exits 2 (never a silent partial table).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from minirelease import RUNS, conv
from pyrun import one_line_error

HUMAN = Path("data") / "tau_bench_tasks_unified.json"


def usi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "usi_metric", *args],
                          capture_output=True, text=True, check=False)


def edit_human(mini: Path, change: Callable[[dict[str, Any]], Any]) -> Path:
    path = mini / HUMAN
    data = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps(change(data)), "utf-8")
    return path


def _set(data: dict[str, Any], iid: str, key: str, value: Any) -> dict[str, Any]:
    data[iid][key] = value
    return data


# ----------------------------------------------------------------------------- human file


def test_truncated_human_file(mini: Path) -> None:
    path = mini / HUMAN
    path.write_text(path.read_text("utf-8")[:200], "utf-8")
    proc = usi("leaderboard", "--data-dir", str(mini))
    one_line_error(proc, str(path), "malformed JSON at line")
    assert proc.stdout == ""


@pytest.mark.parametrize("top", [[], "text", 3, None])
def test_human_file_of_the_wrong_top_level_type(mini: Path, top: Any) -> None:
    path = edit_human(mini, lambda _: top)
    one_line_error(usi("leaderboard", "--data-dir", str(mini)), str(path),
                   "must be a JSON object")


@pytest.mark.parametrize(("key", "value", "field", "reason"), [
    ("survey", 7, "field survey", "got int"),
    ("conversation", "hello", "field conversation", "must be a list"),
    ("conversation", [{"role": "user", "content": 7}], "field conversation[0].content",
     "got int"),
    ("conversation", ["hi"], "field conversation[0]", "got str"),
    ("reward", "1.0", "field reward", "got str"),
    ("keep", "yes", "field keep", "got str"),
])
def test_bad_human_entry_names_file_id_field(mini: Path, key: str, value: Any, field: str,
                                             reason: str) -> None:
    path = edit_human(mini, lambda d: _set(d, "airline_1_ann3", key, value))
    proc = usi("leaderboard", "--data-dir", str(mini))
    one_line_error(proc, str(path), "id airline_1_ann3", field, reason)
    assert proc.stdout == ""


# ----------------------------------------------------------------------------- simulator file


def write_sim(path: Path, data: Any, raw: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(raw if raw is not None else json.dumps(data), "utf-8")
    return path


def _runs_with(change: Callable[[list[dict[str, Any]]], None]) -> dict[str, Any]:
    records = json.loads(json.dumps(RUNS["results"]))
    change(records)
    return {"results": records}


BAD_SIMS: dict[str, tuple[Any, str | None, tuple[str, ...]]] = {
    # name: (data, raw text or None, what the error line must say)
    "truncated": (None, json.dumps(RUNS)[:150], ("malformed JSON at line",)),
    "list_top": ([1, 2], None, ("must be a JSON object",)),
    "string_top": ("runs", None, ("must be a JSON object",)),
    "reward_string": (_runs_with(lambda r: r[1].update(reward="0.5")), None,
                      ("id airline_1", "field reward", "got str")),
    "conversation_dict": (_runs_with(lambda r: r[0].update(conversation={"a": 1})), None,
                          ("id airline_0", "field conversation", "must be a list")),
    "duplicate_run": (_runs_with(lambda r: r.append(dict(r[0]))), None,
                      ("id airline_0", "field instance_id", "duplicate id in run 1")),
    "duplicate_key": (None, '{"airline_0": {"conversation": []}, "airline_0": '
                            '{"conversation": []}}', ("id airline_0", "duplicate id")),
    "survey_list": ({"airline_0": {"conversation": conv("ok"), "reward": 1.0,
                                   "survey": [1]}}, None,
                    ("id airline_0", "field survey", "got list")),
}


@pytest.mark.parametrize("name", sorted(BAD_SIMS))
def test_bad_simulator_file_with_usi_score(mini: Path, tmp_path: Path, name: str) -> None:
    data, raw, needles = BAD_SIMS[name]
    path = write_sim(tmp_path / "new" / f"{name}.json", data, raw)
    proc = usi("score", str(path), "--data-dir", str(mini), "--difficulty",
               str(mini / "difficulty.json"))
    one_line_error(proc, str(path), *needles)
    assert proc.stdout == ""


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_leaderboard_prints_the_good_rows_and_names_every_bad_file(mini: Path,
                                                                   fmt: str) -> None:
    bad = {}
    for name, (data, raw, needles) in BAD_SIMS.items():
        bad[name] = (write_sim(mini / "eval_results" / f"eval_results_z{name}.json", data,
                               raw), needles)
    survey = mini / "survey_data" / "survey_comparable_s2.json"
    survey.write_text(json.dumps({"airline_0": {"survey": "Yes"}}), "utf-8")
    proc = usi("leaderboard", "--data-dir", str(mini), "--difficulty",
               str(mini / "difficulty.json"), "--format", fmt)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == len(bad) + 1  # one line per bad file
    for path, needles in bad.values():
        line = next(ln for ln in lines if str(path) in ln)
        assert line.startswith("usi: error: ") and "left out of the table" in line
        assert all(n in line for n in needles), line
    assert any(str(survey) in ln and "field survey" in ln for ln in lines)
    if fmt == "json":
        names = [r["name"] for r in json.loads(proc.stdout)["rows"]]
        assert sorted(names) == ["Human (inter-ann.)", "s", "s2"]
    else:
        assert "Human (inter-ann.)" in proc.stdout and " s2 " in proc.stdout
        assert "zreward_string" not in proc.stdout


def test_a_good_release_exits_0_with_nothing_on_stderr(mini: Path) -> None:
    proc = usi("leaderboard", "--data-dir", str(mini), "--difficulty",
               str(mini / "difficulty.json"), "--format", "json")
    assert proc.returncode == 0 and proc.stderr == ""
    assert len(json.loads(proc.stdout)["rows"]) == 3
