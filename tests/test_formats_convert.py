"""``usi convert``: a benchmark run as a simulator file of the release that reads back as the
same sessions (so it scores the same), written atomically, never over a file without
``--overwrite``; and the one line that replaces a table of dashes when the release's
170-entry rule hides a small file's run suffixes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from formats_build import (
    REL,
    one_line_error,
    release_entries,
    score_json,
    to_odyssim,
    to_tau2,
    to_taubench,
    usi,
    write_json,
)

from dataset_builder.records import file_records, simulator_agent_ids
from usi_metric.io.formats import read_runs_file, read_runs_files
from usi_metric.io.formats.write import session_identity


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("convert")
    mirror = release_entries("synth-mirror")
    tb = {d: write_json(tmp / f"tb-{d}.json", r) for d, r in to_taubench(mirror, 174).items()}
    idcard = release_entries("synth-idcard")
    t2 = {d: write_json(tmp / f"t2-{d}" / "results.json", r)
          for d, r in to_tau2(idcard, 174).items()}
    terse = release_entries("synth-terse")
    return {"tmp": tmp, "tb": tb, "t2": t2,
            "tb_release": write_json(tmp / "eval_results_mirror.json", mirror),
            "odyssim": write_json(tmp / "terse_task_results.json", to_odyssim(terse, 58))}


def _convert(*args: str | Path) -> str:
    proc = usi("convert", *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def _identities(runs: Any) -> list[tuple[Any, ...]]:
    return [session_identity(s) for s in runs.sessions]


@pytest.mark.parametrize(("key", "form", "first_id"), [
    ("tb", "release layout", "airline_0_1"),  # 173 sessions of 3 runs: ids with run suffixes
    ("t2", "release layout", "airline_27_1"),  # order kept: τ² "9" (τ-bench 27) first
    ("odyssim", "release layout", "airline_0"),  # one run: ids as they are
    ("tb-airline", "rollout form", None),  # 3 runs in 86 entries: runs numbered
])
def test_convert_reads_back_the_same_sessions_and_score(inputs: dict[str, Any], key: str,
                                                        form: str, first_id: str | None
                                                        ) -> None:
    if key in ("tb", "t2"):
        src = [inputs[key]["airline"], inputs[key]["retail"]]
    elif key == "tb-airline":
        src = [inputs["tb"]["airline"]]
    else:
        src = [inputs[key]]
    out = inputs["tmp"] / f"eval_results_{key}.json"
    said = _convert(*src, "--out", out)
    assert said.startswith(f"wrote {out}: ") and form in said
    data = json.loads(out.read_text("utf-8"))
    if first_id is None:
        assert list(data) == ["results"] and data["results"][0]["run"] == 1
    else:
        assert next(iter(data)) == first_id
    assert _identities(read_runs_file(out)) == _identities(read_runs_files(src))
    assert score_json(out, "--label", "m") == score_json(*src, "--label", "m")
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_converted_file_matches_the_release_file(inputs: dict[str, Any]) -> None:
    out = inputs["tmp"] / "eval_results_tbmirror.json"
    _convert(inputs["tb"]["airline"], inputs["tb"]["retail"], "--out", out)
    got = json.loads(out.read_text("utf-8"))
    want = json.loads(inputs["tb_release"].read_text("utf-8"))
    assert sorted(got) == sorted(want)  # the same ids
    for iid, entry in want.items():
        assert got[iid]["reward"] == entry["reward"]
        assert got[iid]["conversation"] == [m for m in entry["conversation"]
                                            if m["role"] != "tool"]


def test_never_over_a_file_without_overwrite(inputs: dict[str, Any]) -> None:
    out = inputs["tmp"] / "eval_results_mine.json"
    out.write_text("{\"keep\": \"me\"}", "utf-8")
    one_line_error(usi("convert", inputs["odyssim"], "--out", out), str(out),
                   "already exists", "--overwrite")
    assert out.read_text("utf-8") == "{\"keep\": \"me\"}"
    _convert(inputs["odyssim"], "--out", out, "--overwrite")
    assert len(json.loads(out.read_text("utf-8"))) == 57


@pytest.mark.parametrize("name", ["runs.json", "eval_results_.json", "eval_results_x.jsonl"])
def test_the_output_is_named_as_a_release_file(inputs: dict[str, Any], name: str) -> None:
    out = inputs["tmp"] / name
    one_line_error(usi("convert", inputs["odyssim"], "--out", out), str(out),
                   "eval_results_<name>.json")
    assert not out.exists()


def test_a_bad_input_writes_nothing(inputs: dict[str, Any]) -> None:
    bad = write_json(inputs["tmp"] / "bad.json", [{"task_id": 0, "trial": 0, "traj": []}])
    out = inputs["tmp"] / "eval_results_bad.json"
    one_line_error(usi("convert", bad, "--out", out), str(bad), "cannot tell the domain")
    assert not out.exists()


def test_a_converted_run_joins_a_release(inputs: dict[str, Any], tmp_path: Path) -> None:
    rel = tmp_path / "rel"
    shutil.copytree(REL, rel)
    for key, src in (("newtb", inputs["tb"]), ("newt2", inputs["t2"])):
        _convert(src["airline"], src["retail"], "--out",
                 rel / "eval_results" / f"eval_results_{key}.json")
    proc = usi("leaderboard", "--data-dir", rel, "--format", "json")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)["rows"]}
    assert rows["newtb"]["usi"] is not None and rows["newt2"]["usi"] is not None
    # the dataset builder reads it too, with the agent of the τ²-bench run
    path = rel / "eval_results" / "eval_results_newt2.json"
    assert {r["agent_id"] for r in file_records("simulators", "newt2", path)} == {"gpt-4.1"}
    assert set(simulator_agent_ids(inputs["t2"]["airline"], 87)) == {"gpt-4.1"}


# ----------------------------------------------------------------------------- 170 rule


def _small_suffixed(tmp: Path) -> Path:
    """86 airline entries of 3 runs, ids with run suffixes: at most 170, so one run."""
    entries = {k: e for k, e in release_entries("synth-mirror").items()
               if k.startswith("airline_")}
    assert len(entries) == 86
    return write_json(tmp / "eval_results_small.json", entries)


def test_score_says_why_no_id_meets_a_human(tmp_path: Path) -> None:
    path = _small_suffixed(tmp_path)
    one_line_error(usi("score", path, "--data-dir", REL), str(path),
                   "all 86 ids carry a run suffix (airline_0_1, ...)", "at most 170 entries",
                   "no id meets a human session", "\"run\"")


def test_leaderboard_names_the_file_in_one_line(tmp_path: Path) -> None:
    rel = tmp_path / "rel"
    shutil.copytree(REL, rel)
    path = _small_suffixed(rel / "eval_results")
    proc = usi("leaderboard", "--data-dir", rel, "--format", "json")
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"usi: warning: {path}: all 86 ids carry")
    assert "Traceback" not in proc.stderr and proc.returncode == 0
    assert "small" in {r["name"] for r in json.loads(proc.stdout)["rows"]}


def test_converting_the_small_file_fixes_it(tmp_path: Path) -> None:
    """The small file's runs cannot be told from its ids; a rollout-form file of the same
    sessions (what convert writes for several runs in at most 170 entries) scores."""
    entries = {k: e for k, e in release_entries("synth-mirror").items()
               if k.startswith("airline_")}
    records = [{**e, "instance_id": k[: k.rindex("_")], "run": int(k[-1])}
               for k, e in entries.items()]
    path = write_json(tmp_path / "runs.json", {"results": records})
    out = tmp_path / "eval_results_fixed.json"
    assert "rollout form" in _convert(path, "--out", out)
    assert score_json(out)["rows"][1]["usi"] is not None
