"""Hostile round 2, the files a user hands over: gzip'd results (read by their magic bytes,
wherever a results file is read), special files (``/dev/zero`` behind a symlink: refused,
never read forever), a deleted working folder (a read error said as one), a simulator the
release lacks (the ones it has are listed), and the Space's misconfigured upload limit."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import mini_release, one_line_error, usi

from usi_metric.samples import new_simulator_dir

HANG_GUARD = 300  # seconds: a run that would read /dev/zero forever fails, a fast one passes


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mini_release(tmp_path_factory.mktemp("files"))


def gzip_copy(src: Path, dst: Path) -> Path:
    dst.write_bytes(gzip.compress(src.read_bytes()))
    return dst


def rows_of(proc: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    assert proc.returncode == 0, proc.stderr
    return [{k: v for k, v in r.items() if k not in ("name", "path")}
            for r in json.loads(proc.stdout)["rows"]]


# ----------------------------------------------------------------------------- gzip


def test_a_gzipd_runs_file_scores_as_the_plain_one(mini: Path, tmp_path: Path) -> None:
    plain = mini / "eval_results" / "eval_results_s.json"
    packed = gzip_copy(plain, tmp_path / "runs.json.gz")
    odd = gzip_copy(plain, tmp_path / "runs.bin")  # by the magic bytes, not the name
    want = rows_of(usi("score", "--data-dir", str(mini), str(plain), "--format", "json"))
    for f in (packed, odd):
        assert rows_of(usi("score", "--data-dir", str(mini), str(f), "--format", "json")) \
            == want
    proc = usi("score", "--data-dir", str(mini), str(packed))
    assert proc.returncode == 0 and "│ runs " in proc.stdout  # named without .json.gz


def test_a_release_of_gzipd_files_reads_as_the_plain_one(mini: Path, tmp_path: Path) -> None:
    packed = Path(shutil.copytree(mini, tmp_path / "packed"))
    for sub in ("eval_results", "survey_data", "data"):
        for f in (packed / sub).glob("*.json"):
            gzip_copy(f, f.with_name(f.name + ".gz"))
            if sub != "data":  # the human file keeps its one name
                f.unlink()
    want = json.loads(usi("leaderboard", "--data-dir", str(mini), "--format", "json").stdout)
    got = usi("leaderboard", "--data-dir", str(packed), "--format", "json")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["rows"] == want["rows"]
    gap = usi("gap", "--data-dir", str(packed), "--simulator", "s", "--format", "json")
    assert gap.returncode == 0 and json.loads(gap.stdout)["simulators"]


def test_a_plain_and_a_gzipd_copy_side_by_side_is_one_line(mini: Path, tmp_path: Path) -> None:
    both = Path(shutil.copytree(mini, tmp_path / "both"))
    f = both / "eval_results" / "eval_results_s.json"
    gzip_copy(f, f.with_name(f.name + ".gz"))
    one_line_error(usi("leaderboard", "--data-dir", str(both)), "eval_results_s.json",
                   "eval_results_s.json.gz", "keep one")


def test_a_broken_gzip_is_one_line(mini: Path, tmp_path: Path) -> None:
    bad = tmp_path / "runs.json.gz"
    bad.write_bytes(gzip.compress(b'{"results": []}')[:12])
    one_line_error(usi("score", "--data-dir", str(mini), str(bad)), "runs.json.gz", "gzip")


# ----------------------------------------------------------------------------- special files


@pytest.mark.parametrize("where", ["runs", "survey", "difficulty"])
def test_a_link_to_dev_zero_is_refused_not_read(mini: Path, tmp_path: Path, where: str) -> None:
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    runs = str(mini / "eval_results" / "eval_results_s.json")
    args = {"runs": ["score", "--data-dir", str(mini), str(zero)],
            "survey": ["score", "--data-dir", str(mini), "--survey", str(zero), runs],
            "difficulty": ["score", "--data-dir", str(mini), "--difficulty", str(zero), runs]}
    proc = usi(*args[where], timeout=HANG_GUARD)
    one_line_error(proc, "zero.json", "not a regular file")


def test_a_pipe_is_still_read(mini: Path) -> None:
    runs = mini / "eval_results" / "eval_results_s.json"
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as w:
        w.write(runs.read_bytes())  # small: fits in the pipe's buffer
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "usi_metric", "score", "--data-dir", str(mini),
             f"/dev/fd/{read_end}", "--format", "json"], capture_output=True, text=True,
            pass_fds=(read_end,), timeout=HANG_GUARD, check=False)
    finally:
        os.close(read_end)
    want = usi("score", "--data-dir", str(mini), str(runs), "--format", "json")
    assert rows_of(proc) == rows_of(want)


# ----------------------------------------------------------------------------- surroundings


def test_a_deleted_working_folder_is_a_read_error(mini: Path, tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    proc = usi("leaderboard", "--data-dir", "release", cwd=gone,
               preexec=lambda: os.rmdir(gone))
    err = one_line_error(proc, "cannot read", "current folder no longer exists")
    assert "write" not in err


def test_gap_for_a_missing_simulator_lists_those_there(mini: Path) -> None:
    for command in ("gap", "report"):
        extra = ["--out", str(mini.parent / "never")] if command == "report" else []
        one_line_error(usi(command, "--data-dir", str(mini), "--simulator", "nonexistent",
                           *extra), "'nonexistent'", "(have: s, s2)")
    assert not (mini.parent / "never").exists()


# ----------------------------------------------------------------------------- the Space


def test_the_space_refuses_special_files_and_reads_gzip(tmp_path: Path) -> None:
    code = f"""
import os, sys, gzip
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_space_browser import load_app
app = load_app()
runs = {str(new_simulator_dir() / "runs.json")!r}
zero = {str(tmp_path / "zero.json")!r}
os.symlink("/dev/zero", zero)
bad = app.score_upload(zero)
assert not bad.ok and "not a regular file" in bad.message, bad.message
packed = {str(tmp_path / "runs.json.gz")!r}
open(packed, "wb").write(gzip.compress(open(runs, "rb").read()))
a, b = app.score_upload(runs), app.score_upload(packed)
assert a.ok and b.ok and a.usi == b.usi, (a.message, b.message)
over = app.score_upload(packed, limit=os.path.getsize(packed) + 10)
assert not over.ok and "(unpacked)" in over.message, over.message
os.environ["USI_MAX_UPLOAD_MB"] = "abc"
conf = app.score_upload(runs)
assert not conf.ok and "USI_MAX_UPLOAD_MB" in conf.message, conf.message
print("ok")
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=HANG_GUARD, check=False, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
