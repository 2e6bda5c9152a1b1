"""Hostile user, part 3: names, folders and empty results.

Paths, labels and file names are shown as written (never read as rich markup or TeX); a
folder that cannot be read is one line, never a silently empty table; a release without
simulator files, a run file the release rule reads as one run, a map that covers no task and
a one-session file each say what they cover; and the wording says what a bad file costs.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hostile import (
    assert_denied,
    mini_release,
    one_line_error,
    snapshot,
    usi,
    without_file_permissions,
)

HUMAN = Path("data") / "tau_bench_tasks_unified.json"


@pytest.fixture()
def mini(tmp_path: Path) -> Path:
    return mini_release(tmp_path)


def diff_map(mini: Path) -> str:
    return str(mini / "difficulty.json")


def runs_of(mini: Path, name: str = "s") -> str:
    return str(mini / "eval_results" / f"eval_results_{name}.json")


# ----------------------------------------------------------------------------- markup

def test_a_data_dir_with_markup_is_shown_as_written(mini: Path, tmp_path: Path) -> None:
    data_dir = str(tmp_path / "runs[/]rel")  # the folder "]rel" inside "runs["
    shutil.copytree(mini, data_dir)
    proc = usi("leaderboard", "--data-dir", data_dir, "--difficulty", diff_map(mini))
    assert proc.returncode == 0, proc.stderr
    assert f"USI leaderboard: {data_dir}" in proc.stdout
    proc = usi("score", runs_of(mini), "--data-dir", data_dir, "--difficulty", diff_map(mini))
    assert proc.returncode == 0, proc.stderr
    assert f"against {data_dir}" in proc.stdout


@pytest.mark.parametrize("label", ["[/]", "exp[v2]", "[bold]x[/bold]", "a\\", "[link=x]y"])
def test_a_label_with_markup_is_shown_as_written(mini: Path, label: str) -> None:
    proc = usi("score", runs_of(mini), "--data-dir", str(mini), "--difficulty",
               diff_map(mini), "--label", label)
    assert proc.returncode == 0, proc.stderr
    row = next(ln for ln in proc.stdout.splitlines() if ln.startswith("│ ") and "Human" not in ln)
    assert row.split("│")[1].strip() == label


def test_file_names_with_brackets_and_dollars_everywhere(mini: Path, tmp_path: Path) -> None:
    """``eval_results_x[old].json`` used to show as a second ``x``; a ``$`` pair made
    matplotlib read TeX and the report crash."""
    ev, sv = mini / "eval_results", mini / "survey_data"
    os.rename(ev / "eval_results_s.json", ev / "eval_results_x[old].json")
    os.rename(sv / "survey_comparable_s.json", sv / "survey_comparable_x[old].json")
    os.rename(ev / "eval_results_s2.json", ev / "eval_results_a$\\frac$.json")
    proc = usi("leaderboard", "--data-dir", str(mini), "--difficulty", diff_map(mini))
    assert proc.returncode == 0, proc.stderr
    names = [ln.split("│")[1].strip() for ln in proc.stdout.splitlines() if ln.startswith("│")]
    assert sorted(names) == ["Human (inter-ann.)", "a$\\frac$", "x[old]"]
    proc = usi("gap", "--data-dir", str(mini))
    assert proc.returncode == 0, proc.stderr
    assert "Survey: x[old] vs humans" in proc.stdout
    proc = usi("report", "--data-dir", str(mini), "--out", str(tmp_path / "rep"))
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "rep" / "report.md").read_text("utf-8")
    # as Markdown shows them as written: brackets and the backslash escaped (report.escape)
    assert "| x\\[old\\] |" in md and "| a$\\\\frac$ |" in md


def test_a_file_name_that_is_not_utf8(mini: Path) -> None:
    bad = os.path.join(os.fsencode(mini / "eval_results"), b"eval_results_\xff.json")
    shutil.copyfile(runs_of(mini), bad)
    proc = usi("leaderboard", "--data-dir", str(mini))
    one_line_error(proc, "eval_results_\\xff.json", "not UTF-8")
    assert proc.stdout == ""


def test_a_label_that_is_not_utf8_prints(mini: Path) -> None:
    proc = usi("score", runs_of(mini), "--data-dir", str(mini), "--difficulty",
               diff_map(mini), "--label", os.fsdecode(b"sim\xff"))
    assert proc.returncode == 0, proc.stderr
    assert "sim\\udcff" in proc.stdout


# ----------------------------------------------------------------------------- unreadable

UNREADABLE = {
    "data/": ("data", ["data", "cannot read the folder", "Permission denied"]),
    "eval_results/": ("eval_results", ["eval_results", "cannot read the folder"]),
    "survey_data/": ("survey_data", ["survey_data", "cannot read the folder"]),
    "the human file": (str(HUMAN), [str(HUMAN), "cannot read", "Permission denied"]),
    "the release folder": (".", ["cannot read the folder", "Permission denied"]),
}


@pytest.mark.parametrize(("rel", "needles"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_part_of_the_release(mini: Path, rel: str, needles: list[str]) -> None:
    target = mini / rel
    os.chmod(target, 0)
    try:
        assert_denied(target)
        proc = usi("leaderboard", "--data-dir", str(mini), preexec=without_file_permissions)
    finally:
        os.chmod(target, 0o755)
    one_line_error(proc, *needles)
    assert proc.stdout == ""


@pytest.mark.parametrize("command", ["gap", "report", "dataset", "difficulty", "score"])
def test_unreadable_eval_results_in_every_command(mini: Path, tmp_path: Path,
                                                  command: str) -> None:
    args = {"gap": ["gap", "--data-dir", str(mini)],
            "report": ["report", "--data-dir", str(mini), "--out", str(tmp_path / "rep")],
            "dataset": ["dataset", "build", str(mini), str(tmp_path / "repo")],
            "difficulty": ["difficulty", "--data-dir", str(mini), "-o", str(tmp_path / "m")],
            "score": ["score", runs_of(mini), "--data-dir", str(mini)]}[command]
    if command == "score":  # the runs file itself is elsewhere, readable
        shutil.copyfile(runs_of(mini), tmp_path / "runs.json")
        args[1] = str(tmp_path / "runs.json")
    os.chmod(mini / "eval_results", 0)
    try:
        before = snapshot(tmp_path)
        proc = usi(*args, preexec=without_file_permissions)
    finally:
        os.chmod(mini / "eval_results", 0o755)
    one_line_error(proc, str(mini / "eval_results"), "cannot read the folder")
    assert snapshot(tmp_path) == before


def test_an_unreadable_simulator_file_costs_its_row_only(mini: Path) -> None:
    bad = Path(runs_of(mini, "s2"))
    os.chmod(bad, 0)
    assert_denied(bad)
    proc = usi("leaderboard", "--data-dir", str(mini), "--format", "json",
               preexec=without_file_permissions)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"usi: error: {bad}: cannot read (Permission denied) "
                                   "(left out of the table)")
    assert [r["name"] for r in json.loads(proc.stdout)["rows"]] == ["Human (inter-ann.)", "s"]


# ----------------------------------------------------------------------------- empties

@pytest.fixture()
def no_sims(mini: Path) -> Path:
    shutil.rmtree(mini / "eval_results")
    for p in (mini / "survey_data").glob("survey_comparable_s*.json"):
        p.unlink()
    return mini


def test_no_simulator_files_is_said(no_sims: Path, tmp_path: Path) -> None:
    note = f"usi: note: no simulator files (eval_results_*.json) in {no_sims / 'eval_results'}"
    proc = usi("leaderboard", "--data-dir", str(no_sims), "--format", "json")
    assert proc.returncode == 0
    assert [r["name"] for r in json.loads(proc.stdout)["rows"]] == ["Human (inter-ann.)"]
    assert proc.stderr.startswith(note) and len(proc.stderr.splitlines()) == 1
    proc = usi("gap", "--data-dir", str(no_sims))
    assert proc.returncode == 0 and proc.stderr.startswith(note)
    proc = usi("report", "--data-dir", str(no_sims), "--out", str(tmp_path / "rep"))
    assert proc.returncode == 0 and proc.stderr.startswith(note)
    proc = usi("difficulty", "--data-dir", str(no_sims), "-o", str(tmp_path / "m.json"))
    one_line_error(proc, "no simulator files")


def test_run_suffixes_read_as_one_run_are_said(mini: Path, tmp_path: Path) -> None:
    """Three runs in the release layout with at most 170 entries: the release rule reads one
    run whose ids meet no human session (issue 11's message)."""
    runs = json.loads(Path(runs_of(mini)).read_text("utf-8"))["results"]
    layout = {f"{r['instance_id']}_{r['run']}": {k: v for k, v in r.items() if k != "run"}
              for r in runs}
    bad = tmp_path / "eval_results_three.json"
    bad.write_text(json.dumps(layout), "utf-8")
    proc = usi("score", str(bad), "--data-dir", str(mini), "--difficulty", diff_map(mini))
    one_line_error(proc, str(bad), "carry a run suffix", "170")
    shutil.copyfile(bad, mini / "eval_results" / bad.name)
    proc = usi("leaderboard", "--data-dir", str(mini), "--difficulty", diff_map(mini))
    assert proc.returncode == 0
    assert "carry a run suffix" in proc.stderr and "Traceback" not in proc.stderr


def test_a_map_that_covers_no_task_says_so(mini: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"retail_9": 0.5, "retail_10": 0.2}', "utf-8")
    proc = usi("score", runs_of(mini), "--data-dir", str(mini), "--difficulty", str(other))
    err = one_line_error(proc, "covers 0 of the 3 tasks", "check that the map's task keys")
    assert "pooled samples" not in err and "--difficulty MAP.json" not in err
    proc = usi("leaderboard", "--data-dir", str(mini), "--difficulty", str(other))
    assert proc.returncode == 0
    assert "3 of the 3 tasks of the runs have none" in proc.stdout


def test_a_one_session_file_says_its_coverage(mini: Path, tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    runs = json.loads(Path(runs_of(mini)).read_text("utf-8"))
    one.write_text(json.dumps({"results": runs["results"][:1]}), "utf-8")
    proc = usi("score", str(one), "--data-dir", str(mini), "--difficulty", diff_map(mini))
    assert proc.returncode == 0, proc.stderr
    assert ("Coverage: the runs meet 1 of the 3 tasks of the human sessions (1 of their 1 "
            "kept sessions match a kept human session).") in " ".join(proc.stdout.split())
    proc = usi("score", str(one), "--data-dir", str(mini), "--difficulty", diff_map(mini),
               "--format", "json")
    assert json.loads(proc.stdout)["coverage"] == {
        "n_human_tasks": 3, "n_kept_sessions": 1, "n_matched_featureless": 0,
        "n_sessions_matched": 1, "n_tasks_matched": 1}


# ----------------------------------------------------------------------------- wording

@pytest.mark.parametrize(("survey", "cost"), [
    ("survey_comparable_s.json", "survey left out: this simulator scores 5 terms"),
    ("survey_comparable_human-eval-100.json", "survey left out: the human row scores 5 terms"),
])
def test_a_bad_survey_file_says_what_it_costs(mini: Path, survey: str, cost: str) -> None:
    bad = mini / "survey_data" / survey
    bad.write_text('{"airline_0": 5}', "utf-8")
    proc = usi("leaderboard", "--data-dir", str(mini), "--difficulty", diff_map(mini),
               "--format", "json")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"usi: error: {bad}: id airline_0: entry must be an "
                                   f"object, got int ({cost})")
    rows = {r["name"]: r for r in json.loads(proc.stdout)["rows"]}
    assert set(rows) == {"Human (inter-ann.)", "s", "s2"}
    name = "s" if "simulator" in cost else "Human (inter-ann.)"
    assert rows[name]["eval_agree"] is None and rows[name]["usi"] is not None


def test_results_beside_other_keys_read_as_the_rollout_form(mini: Path,
                                                            tmp_path: Path) -> None:
    runs = json.loads(Path(runs_of(mini)).read_text("utf-8"))
    plain, meta = tmp_path / "plain.json", tmp_path / "meta.json"
    plain.write_text(json.dumps(runs), "utf-8")
    meta.write_text(json.dumps({**runs, "meta": 1}), "utf-8")
    out = []
    for path in (plain, meta):
        proc = usi("score", str(path), "--data-dir", str(mini), "--difficulty",
                   diff_map(mini), "--format", "json", "--label", "s")
        assert proc.returncode == 0, proc.stderr
        out.append(json.loads(proc.stdout)["rows"])
    assert out[0] == out[1]
