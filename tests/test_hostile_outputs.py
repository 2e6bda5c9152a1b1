"""Hostile user, round 2 (issue 19.3): one rule for every output (never one of the tool's
own inputs, even with ``--overwrite``), SIGTERM/SIGHUP cleaned up as Ctrl-C is, ``--overwrite``
through a symlinked output folder, and the longest valid output name.

Each case runs the real ``usi`` command and compares every file under the test's folder
byte for byte before and after (which also proves no ``.partial`` was left behind).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest
from hostile import (
    interrupt_on_call,
    mini_release,
    one_line_error,
    sample_release,
    snapshot,
    usi,
)

from usi_metric.errors import UsiError
from usi_metric.runtime.output import refuse_own_input, write_atomic, write_folder_atomic


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    return sample_release(tmp_path)


@pytest.mark.parametrize("target", ["tau_bench_tasks_unified.json",
                                    "eval_results/eval_results_synth-echo.json"])
def test_difficulty_never_writes_onto_its_own_input(sample: Path, tmp_path: Path,
                                                    target: str) -> None:
    found = list(sample.rglob(Path(target).name))
    assert len(found) == 1, found
    before = snapshot(tmp_path)
    proc = usi("difficulty", "--data-dir", str(sample), "-o", str(found[0]), "--overwrite")
    one_line_error(proc, str(found[0]), "is one of this command's inputs")
    assert snapshot(tmp_path) == before


def test_difficulty_onto_a_symlink_to_its_input_is_refused(sample: Path,
                                                            tmp_path: Path) -> None:
    human = next(sample.rglob("tau_bench_tasks_unified.json"))
    link = tmp_path / "map.json"
    link.symlink_to(human)
    before = snapshot(tmp_path)
    proc = usi("difficulty", "--data-dir", str(sample), "-o", str(link), "--overwrite")
    one_line_error(proc, str(link), "is one of this command's inputs")
    assert snapshot(tmp_path) == before


def test_report_into_a_folder_of_the_release_is_refused(tmp_path: Path) -> None:
    mini = mini_release(tmp_path)
    out = next(p.parent for p in mini.rglob("eval_results_*.json"))
    before = snapshot(tmp_path)
    proc = usi("report", "--data-dir", str(mini), "--out", str(out), "--overwrite")
    one_line_error(proc, str(out), "holds this command's input")
    assert snapshot(tmp_path) == before


def test_convert_onto_its_own_input_is_refused(sample: Path, tmp_path: Path) -> None:
    src = next(sample.rglob("eval_results_synth-echo.json"))
    before = snapshot(tmp_path)
    proc = usi("convert", str(src), "--out", str(src), "--overwrite")
    one_line_error(proc, str(src), "is one of this command's inputs")
    assert snapshot(tmp_path) == before


def test_the_rule_is_one_function() -> None:
    with pytest.raises(UsiError, match="holds this command's input"):
        refuse_own_input("/", ["/etc/hostname"])
    refuse_own_input("/tmp/a.json", ["/tmp/b.json", "/tmp/a.json.bak"])


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_report_terminated_leaves_no_partial(tmp_path: Path, sig: str) -> None:
    mini = mini_release(tmp_path)
    before = snapshot(tmp_path)
    proc = usi("report", "--data-dir", str(mini), "--out", str(tmp_path / "out"),
               prelude=interrupt_on_call("usi_metric.report.plots", "save_png", 2, sig))
    signum = getattr(signal, sig)
    assert proc.returncode == 128 + signum, (proc.returncode, proc.stderr)
    assert proc.stderr.strip() == f"usi: terminated (signal {signum})", proc.stderr
    assert snapshot(tmp_path) == before  # no out/, no .out.partial-*


def test_overwrite_through_a_symlinked_folder_replaces_the_target(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.md").write_text("old", "utf-8")
    (real / "stale.md").write_text("old", "utf-8")
    link = tmp_path / "link"
    link.symlink_to(real)
    write_folder_atomic(link, lambda out: (out / "a.md").write_text("new", "utf-8"),
                        overwrite=True)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert sorted(p.name for p in real.iterdir()) == ["a.md"]
    assert (real / "a.md").read_text("utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_report_overwrite_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    mini = mini_release(tmp_path)
    real = tmp_path / "reports" / "v1"
    assert usi("report", "--data-dir", str(mini), "--out", str(real)).returncode == 0
    (real / "report.md").write_text("stale", "utf-8")
    link = tmp_path / "latest"
    link.symlink_to(real)
    proc = usi("report", "--data-dir", str(mini), "--out", str(link), "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink()
    assert (real / "report.md").read_text("utf-8").startswith("# ")
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["v1"]


def test_a_245_character_output_name_works(sample: Path, tmp_path: Path) -> None:
    name = "m" * 240 + ".json"
    assert len(name) == 245
    out = tmp_path / name
    proc = usi("difficulty", "--data-dir", str(sample), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "difficulty" in json.loads(out.read_text("utf-8"))
    assert usi("difficulty", "--data-dir", str(sample), "-o", str(out),
               "--overwrite").returncode == 0
    folder = tmp_path / ("é" * 120 + "x" * 10)  # 250 bytes of UTF-8
    write_folder_atomic(folder, lambda o: (o / "a").write_text("x", "utf-8"))
    write_folder_atomic(folder, lambda o: (o / "b").write_text("y", "utf-8"), overwrite=True)
    assert [p.name for p in folder.iterdir()] == ["b"]
    write_atomic(tmp_path / ("é" * 125 + ".json"), "{}")
    shutil.rmtree(folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["sample", name, "é" * 125 + ".json"])
