"""Hostile user, part 1: outputs. Nothing a user wrote is replaced without ``--overwrite``,
outputs appear whole or not at all (a full disk, a read-only folder or Ctrl-C leave the
previous state), and stdout on a full disk or a closed pipe ends cleanly (issue 14).

Every case runs the real ``usi`` command in a subprocess and checks the exit code, the one
stderr line, that no traceback appears, and that the files under the test's folder are
byte-identical afterwards (which also proves no temporary file was left behind).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from hostile import (
    assert_denied,
    closed_pipe,
    file_size_limit,
    interrupt_on_call,
    interrupted,
    mini_release,
    one_line_error,
    sample_release,
    snapshot,
    usi,
    without_file_permissions,
)

# ----------------------------------------------------------------------------- usi difficulty


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    return sample_release(tmp_path)


@pytest.mark.parametrize(("target", "said"), [
    ("eval_results/eval_results_synth-echo.json", "is one of this command's inputs"),
    ("my_map.json", "already exists")])
def test_difficulty_never_replaces_a_file_without_overwrite(sample: Path, tmp_path: Path,
                                                            target: str, said: str) -> None:
    (sample / "my_map.json").write_text('{"airline_0": 0.5}\n', "utf-8")
    before = snapshot(tmp_path)
    proc = usi("difficulty", "--data-dir", str(sample), "-o", str(sample / target))
    one_line_error(proc, str(sample / target), said)
    assert snapshot(tmp_path) == before
    assert usi("leaderboard", "--data-dir", str(sample), "--format", "json").returncode == 0


def test_difficulty_overwrite_replaces_whole_and_keeps_the_mode(sample: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "map.json"
    out.write_text("old", "utf-8")
    os.chmod(out, 0o640)
    proc = usi("difficulty", "--data-dir", str(sample), "-o", str(out), "--overwrite")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text("utf-8"))
    assert len(data["difficulty"]) == 58  # every task: 5 simulators x 3 runs = 15 samples
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.json", "sample"]


@pytest.mark.parametrize(("target", "needles"), [
    ("folder", ["is a folder"]),
    ("no/such/parent/map.json", ["does not exist"]),
])
def test_difficulty_onto_a_bad_target(sample: Path, tmp_path: Path, target: str,
                                      needles: list[str]) -> None:
    (tmp_path / "folder").mkdir()
    before = snapshot(tmp_path)
    proc = usi("difficulty", "--data-dir", str(sample), "-o", str(tmp_path / target))
    one_line_error(proc, str(tmp_path / target), *needles)
    assert proc.stdout == ""
    assert snapshot(tmp_path) == before


def test_difficulty_onto_dev_full(sample: Path) -> None:
    proc = usi("difficulty", "--data-dir", str(sample), "-o", "/dev/full")
    one_line_error(proc, "/dev/full", "No space left on device")
    assert Path("/dev/full").is_char_device()


def test_difficulty_into_a_read_only_folder(sample: Path, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o555)
    assert_denied(ro, write=True)
    before = snapshot(tmp_path)
    proc = usi("difficulty", "--data-dir", str(sample), "-o", str(ro / "map.json"),
               preexec=without_file_permissions)
    err = one_line_error(proc, str(ro / "map.json"), "Permission denied")
    assert ".partial" not in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("previous", [False, True])
def test_difficulty_on_a_full_disk_leaves_the_previous_state(sample: Path, tmp_path: Path,
                                                            previous: bool) -> None:
    out = tmp_path / "maps" / "map.json"
    out.parent.mkdir()
    if previous:
        out.write_text('{"difficulty": {"airline_0": 0.5}}\n', "utf-8")
    before = snapshot(tmp_path)
    args = ["--overwrite"] if previous else []
    proc = usi("difficulty", "--data-dir", str(sample), "-o", str(out), *args,
               preexec=file_size_limit(100))
    one_line_error(proc, str(out), "File too large")
    assert snapshot(tmp_path) == before  # no 0-byte file, no temporary file


def test_difficulty_interrupted_keeps_the_old_map(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.json"
    out.write_text('{"difficulty": {"airline_0": 0.5}}\n', "utf-8")
    before = snapshot(tmp_path)
    proc = usi("difficulty", "--data-dir", str(sample), "-o", str(out), "--overwrite",
               prelude=interrupt_on_call("os", "fsync", 1))
    interrupted(proc)
    assert snapshot(tmp_path) == before


# ----------------------------------------------------------------------------- usi report

REPORT_FULL = {"report.md", "report.html", "leaderboard.png", "radar.png", "calibration.png",
               "features_01.png", "features_02.png"}


@pytest.fixture()
def mini(tmp_path: Path) -> Path:
    return mini_release(tmp_path)


def report(mini: Path, out: Path, *args: str, **kw: object) -> object:
    return usi("report", "--data-dir", str(mini), "--out", str(out), *args, **kw)


@pytest.fixture(scope="module")
def first_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini release and its full report in ``out``, made once for this module."""
    root = tmp_path_factory.mktemp("first")
    proc = report(mini_release(root), root / "out")
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in (root / "out").iterdir()} == REPORT_FULL
    return root


@pytest.fixture()
def reported(first_report: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of ``first_report`` in this test's folder: (release, report folder)."""
    shutil.copytree(first_report / "release", tmp_path / "release")
    shutil.copytree(first_report / "out", tmp_path / "out")
    return tmp_path / "release", tmp_path / "out"


def test_report_refuses_a_folder_with_the_users_files(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("my own notes", "utf-8")
    (out / "photo.png").write_bytes(b"\x89PNG mine")
    before = snapshot(tmp_path)
    one_line_error(report(mini, out), str(out), "already exists", "--overwrite")
    assert snapshot(tmp_path) == before
    (out / "diary.txt").write_text("mine", "utf-8")
    before = snapshot(tmp_path)
    one_line_error(report(mini, out, "--overwrite"), str(out), "not a previous report",
                   "diary.txt")
    assert snapshot(tmp_path) == before


def test_report_overwrite_leaves_no_stale_picture(reported: tuple[Path, Path],
                                                  tmp_path: Path) -> None:
    mini, out = reported
    again = report(mini, out, "--overwrite", "--simulator", "s")
    assert again.returncode == 0, again.stderr
    assert {p.name for p in out.iterdir()} == REPORT_FULL - {"features_02.png"}
    assert "| s2 |" not in (out / "report.md").read_text("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "release"]


def test_report_out_is_a_file(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    out.write_text("mine", "utf-8")
    before = snapshot(tmp_path)
    one_line_error(report(mini, out, "--overwrite"), str(out), "not a folder")
    assert snapshot(tmp_path) == before


def test_report_interrupted_keeps_the_previous_report(reported: tuple[Path, Path],
                                                     tmp_path: Path) -> None:
    mini, out = reported
    before = snapshot(tmp_path)
    proc = report(mini, out, "--overwrite",
                  prelude=interrupt_on_call("usi_metric.report.plots", "save_png", 3))
    interrupted(proc)
    assert snapshot(tmp_path) == before


def test_report_on_a_full_disk_keeps_the_previous_report(reported: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    mini, out = reported
    before = snapshot(tmp_path)
    proc = report(mini, out, "--overwrite", preexec=file_size_limit(4000))
    err = one_line_error(proc, str(out), "File too large")
    assert ".partial" not in err
    assert snapshot(tmp_path) == before


def test_report_into_a_read_only_parent_names_the_target(mini: Path, tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    os.chmod(parent, 0o555)
    assert_denied(parent, write=True)
    before = snapshot(tmp_path)
    proc = report(mini, parent / "out", preexec=without_file_permissions)
    err = one_line_error(proc, str(parent / "out"), "Permission denied")
    assert ".partial" not in err
    assert snapshot(tmp_path) == before


# ----------------------------------------------------------------------------- stdout

def printing_commands(mini: Path) -> dict[str, list[str]]:
    runs = str(mini / "eval_results" / "eval_results_s.json")
    diff = str(mini / "difficulty.json")
    human = str(mini / "data" / "tau_bench_tasks_unified.json")
    return {
        "leaderboard": ["leaderboard", "--data-dir", str(mini), "--difficulty", diff],
        "leaderboard-json": ["leaderboard", "--data-dir", str(mini), "--format", "json"],
        "leaderboard-csv": ["leaderboard", "--data-dir", str(mini), "--format", "csv"],
        "score": ["score", runs, "--data-dir", str(mini), "--difficulty", diff],
        "score-json": ["score", runs, "--data-dir", str(mini), "--difficulty", diff,
                       "--format", "json"],
        "gap": ["gap", "--data-dir", str(mini)],
        "gap-json": ["gap", "--data-dir", str(mini), "--format", "json"],
        "features": ["features", human],
        "features-json": ["features", runs, "--format", "json"],
    }


COMMANDS = ["leaderboard", "leaderboard-json", "leaderboard-csv", "score", "score-json", "gap",
            "gap-json", "features", "features-json"]


@pytest.mark.parametrize("command", COMMANDS)
def test_stdout_on_a_full_disk_is_one_line(mini: Path, command: str) -> None:
    with open("/dev/full", "w") as full:
        proc = usi(*printing_commands(mini)[command], stdout=full.fileno())
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr
    assert lines[-1] == "usi: error: cannot write the output (No space left on device)"
    # a CSV keeps its notes on stderr; nothing else is said
    assert all(not ln.startswith("usi:") for ln in lines[:-1]), lines


@pytest.mark.parametrize("command", COMMANDS)
def test_stdout_into_a_closed_pipe_exits_0_quietly(mini: Path, command: str) -> None:
    fd = closed_pipe()  # `usi ... | head -1` once head has gone
    try:
        proc = usi(*printing_commands(mini)[command], stdout=fd)
    finally:
        os.close(fd)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "usi: error" not in proc.stderr
    assert "Exception ignored" not in proc.stderr


@pytest.mark.parametrize("command", ["leaderboard", "leaderboard-json", "features"])
def test_started_with_stdout_closed(mini: Path, command: str) -> None:
    """``usi ... >&-``: Python has no stdout at all; nobody reads it, as with a closed pipe."""
    proc = usi(*printing_commands(mini)[command], stdout=subprocess.DEVNULL,
               preexec=lambda: os.close(1))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "usi: error" not in proc.stderr


def test_ctrl_c_in_the_middle_of_a_leaderboard(mini: Path) -> None:
    proc = usi("leaderboard", "--data-dir", str(mini),
               prelude=interrupt_on_call("usi_metric.scoring.leaderboard", "score_simulator",
                                         2))
    interrupted(proc)
    assert proc.stdout == ""  # no half table


def test_ctrl_c_in_the_middle_of_a_build_keeps_the_previous_build(mini: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "repo"
    first = usi("dataset", "build", str(mini), str(out))
    assert first.returncode == 0, first.stderr
    before = snapshot(tmp_path)
    proc = usi("dataset", "build", str(mini), str(out), "--overwrite",
               prelude=interrupt_on_call("dataset_builder.repo", "write_shards", 2))
    interrupted(proc)
    assert snapshot(tmp_path) == before
