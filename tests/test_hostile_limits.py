"""Hostile round 2, unbounded work and bad surroundings: a resample or permutation count
that cannot fit is refused up front in one line; a judge's reply holding numbers no float
holds or a lone surrogate is journaled and written; a closed or full stderr costs no
output; a special file (``/dev/zero`` behind a symlink) is refused, not read forever."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hostile import mini_release, one_line_error, usi
from judge_fixtures import KEPT, ChatServer, write_release

from usi_metric.cli import main
from usi_metric.errors import UsiError
from usi_metric.runtime.memory import check_fits
from usi_metric.samples import sample_release_dir

SAMPLE = str(sample_release_dir())


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mini_release(tmp_path_factory.mktemp("limits"))


# ----------------------------------------------------------------------------- memory


def test_a_resample_count_beyond_memory_is_one_line(mini: Path) -> None:
    for command in (["leaderboard", "--data-dir", str(mini), "--ci"],
                    ["score", "--data-dir", str(mini), "--ci",
                     str(mini / "eval_results" / "eval_results_s.json")]):
        proc = usi(*command, "--resamples", "10000000")
        one_line_error(proc, "field resamples", "10000000", "GiB", "fit")


def test_evaluate_refuses_a_trillion_resamples_by_name() -> None:
    from test_intervals import evaluate_inputs

    from usi_metric.hf.evaluate_metric import compute_usi

    with pytest.raises(UsiError) as exc:
        compute_usi(**evaluate_inputs(SAMPLE, "synth-terse"), confidence_level=0.95,
                    n_resamples=10**12)
    assert exc.value.field == "n_resamples" and "memory" in str(exc.value)


def test_the_memory_rule_is_need_against_half_the_room() -> None:
    check_fits(1000, 1000, field="resamples", available=2_000_000)  # 1 MB of 2: fits
    with pytest.raises(UsiError) as exc:
        check_fits(1001, 1000, field="resamples", available=2_000_000)
    assert exc.value.field == "resamples" and "at most 1000 fit" in str(exc.value)


def test_a_permutation_count_without_end_is_one_line() -> None:
    proc = usi("compare", "--data-dir", SAMPLE, "synth-terse", "synth-echo",
               "--permutations", str(10**8))
    one_line_error(proc, "field permutations", "100000000")


# ----------------------------------------------------------------------------- journal

HOSTILE_REPLY = ('{"human_like": 5e400, "reuse": NaN, "overall_score": -Infinity, '
                 '"efficiency": "\\ud800"}')


def test_a_reply_no_json_text_holds_is_journaled_and_written(tmp_path: Path) -> None:
    release = write_release(tmp_path / "rel")
    out = tmp_path / "survey_comparable_judge.json"

    def script(body: dict[str, Any], n: int) -> dict[str, str]:
        return {"content": HOSTILE_REPLY}

    with ChatServer(script) as srv:
        code = main(["survey", "--data-dir", str(release), "--model", "judge-7b",
                     "--endpoint", srv.url, "--out", str(out), "--date", "2026-03-14",
                     "--backoff", "0.01"])
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data) == KEPT
    survey = data[KEPT[0]]["survey"]
    assert survey["human_like"]["answer"] == "inf"
    assert survey["reuse"]["answer"] == "nan"
    assert survey["overall_score"]["answer"] == "-inf"
    meta = json.loads((tmp_path / "survey_comparable_judge.meta.json").read_text())
    assert meta["answers"]["valid"] == 0
    assert survey["efficiency"]["answer"] == "\\ud800"  # the surrogate as its escape


# ----------------------------------------------------------------------------- stderr


def _stderr_closed() -> None:
    os.close(2)


def _stderr_full() -> None:
    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, 2)
    os.close(full)


def _warning_args(mini: Path) -> list[str]:
    """``score`` given a runs file as its survey file: a warning, then the result."""
    runs = str(mini / "eval_results" / "eval_results_s2.json")
    return ["score", "--data-dir", str(mini), "--survey", runs,
            str(mini / "eval_results" / "eval_results_s.json")]


def test_the_warning_case_warns(mini: Path) -> None:  # the precondition of the two below
    proc = usi(*_warning_args(mini), "--format", "json")
    assert proc.returncode == 0 and "usi: warning:" in proc.stderr
    json.loads(proc.stdout)


@pytest.mark.parametrize("preexec", [_stderr_closed, _stderr_full])
def test_a_closed_or_full_stderr_keeps_the_json_clean(mini: Path, preexec: Any) -> None:
    proc = usi(*_warning_args(mini), "--format", "json", preexec=preexec)
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["rows"]


@pytest.mark.parametrize("preexec", [_stderr_closed, _stderr_full])
def test_a_closed_or_full_stderr_keeps_the_table(mini: Path, preexec: Any) -> None:
    proc = usi(*_warning_args(mini), preexec=preexec)
    assert proc.returncode == 0 and "D1 conv" in proc.stdout and "warning" not in proc.stdout


@pytest.mark.parametrize("preexec", [_stderr_closed, _stderr_full])
def test_report_with_a_closed_or_full_stderr_writes_the_report(mini: Path, tmp_path: Path,
                                                               preexec: Any) -> None:
    out = tmp_path / "rep"
    proc = usi("report", "--data-dir", str(mini), "--out", str(out), preexec=preexec)
    assert proc.returncode == 0, proc.stdout
    assert (out / "report.md").is_file() and (out / "report.html").is_file()
    assert "usi:" not in (out / "report.md").read_text(encoding="utf-8")
