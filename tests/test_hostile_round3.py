"""A third hostile round (found by a black-box tester on the CLI, each through the real
command): the reference builder writing onto its own input, a run number too long for
``int``, a JSON Lines file that is a device or holds U+2028, people whose sessions yield no
features said when a reference is built or a run is scored."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from pyrun import one_line_error
from test_reference_hostile import GOOD, _conv, _lines, _rec
from test_reference_independent import usi_run

from usi_metric import sample_release_dir
from usi_metric.errors import UsiError
from usi_metric.io.ids import batch_order, ece_run_index


def _people(tmp_path: Path, records: list | None = None, name: str = "people.jsonl") -> Path:
    src = tmp_path / name
    src.write_text("\n".join(_lines(GOOD if records is None else records)) + "\n",
                   encoding="utf-8")
    return src


# ----------------------------------------------------------------------------- own input


@pytest.mark.parametrize("how", ["same", "symlink", "second-survey", "difficulty"])
def test_reference_build_never_writes_onto_its_input(tmp_path: Path, how: str) -> None:
    src = _people(tmp_path)
    other = tmp_path / "other.json"
    other.write_text('{"airline_2": 0.5}', encoding="utf-8")
    args = ["reference", "build", "--humans", str(src), "--overwrite"]
    if how == "same":
        target = src
    elif how == "symlink":
        link = tmp_path / "link.jsonl"
        link.symlink_to(src)
        args[3] = str(link)
        target = src
    else:
        args += [f"--{how}", str(other)]
        target = other
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    proc = usi_run(*args, "-o", str(target))
    one_line_error(proc, target.name, "is one of this command's inputs")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


@pytest.mark.parametrize("target", ["data/tau_bench_tasks_unified.json",
                                    "eval_results/eval_results_synth-terse.json", "."])
def test_reference_build_never_replaces_the_release_it_reads(tmp_path: Path,
                                                             target: str) -> None:
    rel = tmp_path / "rel"
    shutil.copytree(sample_release_dir(), rel)
    human = rel / "data" / "tau_bench_tasks_unified.json"
    before = human.read_bytes()
    proc = usi_run("reference", "build", "--data-dir", str(rel), "-o", str(rel / target),
                   "--overwrite")
    one_line_error(proc, "this command's input")
    assert human.read_bytes() == before
    assert (rel / "eval_results" / "eval_results_synth-terse.json").is_file()


# ----------------------------------------------------------------------------- long numbers


def test_a_run_number_too_long_for_int_is_one_line(tmp_path: Path) -> None:
    ref = tmp_path / "ref.parquet"
    assert usi_run("reference", "build", "--humans", str(_people(tmp_path)), "-o",
                   str(ref)).returncode == 0
    long_id = "airline_2_" + "7" * 5000
    runs = {iid: {"instance_id": iid, "reward": 1.0, "conversation": _conv("hello there")}
            for iid in ("airline_10_1", long_id)}
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(runs), encoding="utf-8")
    err = one_line_error(usi_run("score", str(path), "--reference", str(ref)),
                         "runs.json", "5000 digits", "field id")
    assert "airline_2_777" in err


def test_ids_and_labels_of_any_length() -> None:
    with pytest.raises(UsiError, match="5000 digits"):
        ece_run_index("retail_1_" + "1" * 5000)
    assert ece_run_index("retail_1_" + "0" * 3990 + "3") == 3  # 3,991 digits: read
    huge = "1" * 5000
    assert batch_order({"10", "9", huge, "010"}) == ("9", "010", "10", huge)


# ----------------------------------------------------------------------------- JSON Lines


def test_a_people_file_that_is_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "people.jsonl"
    link.symlink_to("/dev/zero")
    out = tmp_path / "ref.parquet"
    proc = usi_run("reference", "build", "--humans", str(link), "-o", str(out))
    one_line_error(proc, "people.jsonl", "not a regular file")
    assert not out.exists()


def test_line_separators_inside_strings_are_text(tmp_path: Path) -> None:
    recs = [dict(r) for r in GOOD]
    recs[0]["conversation"] = _conv("My booking \u2028 is wrong\u0085 please \u2029 help")
    src = tmp_path / "people.jsonl"
    src.write_text("\r\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\r\n",
                   encoding="utf-8")
    proc = usi_run("reference", "build", "--humans", str(src), "-o",
                   str(tmp_path / "ref.parquet"))
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout and ": 4 sessions (4 kept)" in proc.stdout


# ----------------------------------------------------------------------------- said drops


def test_people_without_features_are_said_when_a_reference_is_built(tmp_path: Path) -> None:
    recs = [*GOOD, _rec("a3", "airline_3", "1"), _rec("a3b", "airline_3", "2")]
    for r in recs[-2:]:
        r["conversation"] = [{"role": "HUMAN" if m["role"] == "user" else m["role"],
                              "content": m["content"]} for m in r["conversation"]]
    proc = usi_run("reference", "build", "--humans", str(_people(tmp_path, recs)), "-o",
                   str(tmp_path / "ref.parquet"))
    assert proc.returncode == 0, proc.stderr
    warned = [ln for ln in proc.stderr.splitlines() if "yield no features" in ln]
    assert len(warned) == 1, proc.stderr
    assert "2 of its 6 kept sessions" in warned[0] and "'HUMAN'" in warned[0]


def test_people_without_features_are_said_when_scoring_a_release(tmp_path: Path) -> None:
    rel = tmp_path / "rel"
    shutil.copytree(sample_release_dir(), rel)
    human = rel / "data" / "tau_bench_tasks_unified.json"
    data = json.loads(human.read_text(encoding="utf-8"))
    changed = 0  # kept sessions of batch 2 that had a user turn, now "USER"
    for iid, entry in data.items():
        if iid.endswith("_ann2") and entry.get("keep", True) is True:
            users = [m for m in entry["conversation"] if m.get("role") == "user"]
            for m in users:
                m["role"] = "USER"
            changed += bool(users)
    human.write_text(json.dumps(data), encoding="utf-8")
    kept = sum(e.get("keep", True) is True for e in data.values())
    runs = rel / "eval_results" / "eval_results_synth-terse.json"
    proc = usi_run("score", str(runs), "--data-dir", str(rel))
    assert proc.returncode == 0, proc.stderr
    said = [ln for ln in proc.stderr.splitlines() if "yield no features" in ln
            and "tau_bench_tasks_unified.json" in ln]
    assert len(said) == 1, proc.stderr
    assert f"of its {kept} kept sessions" in said[0]
    assert f"{changed} have no message whose role is exactly 'user' (roles seen: 'USER'" \
        in said[0], said[0]


# ----------------------------------------------------------------------------- the reference


def test_a_pipe_as_the_reference_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "people.parquet"
    os.mkfifo(fifo)  # no writer: opening it for reading would wait for ever
    runs = sample_release_dir() / "eval_results" / "eval_results_synth-terse.json"
    proc = usi_run("score", str(runs), "--reference", str(fifo))
    one_line_error(proc, "people.parquet", "not a regular file")


def _metric(tmp_path: Path) -> object:
    import importlib.util
    import uuid

    from usi_metric.hf.evaluate_metric import evaluate_module_path

    spec = importlib.util.spec_from_file_location("usi_round3_script", evaluate_module_path())
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Usi(cache_dir=str(tmp_path / "cache"), experiment_id=uuid.uuid4().hex)


def test_evaluate_names_the_rollout_and_the_argument(tmp_path: Path) -> None:
    ref = tmp_path / "ref.parquet"
    assert usi_run("reference", "build", "--humans", str(_people(tmp_path)), "-o",
                   str(ref)).returncode == 0
    good = {"conversation": _conv("hello there"), "task_key": "airline_2", "reward": 1.0}
    metric = _metric(tmp_path)
    with pytest.raises(UsiError, match=r"predictions\[1\]\.task_key"):
        metric.add_batch(predictions=[good, {"conversation": _conv("hi"), "reward": 0.0}])
    metric = _metric(tmp_path)
    metric.add_batch(predictions=[good])
    with pytest.raises(UsiError, match=r"predictions is missing \(references= came alone\)"):
        metric.compute(reference=str(ref), references=[[]])


def test_survey_answers_under_unknown_fields_are_said(tmp_path: Path) -> None:
    recs = [dict(r) for r in GOOD]
    recs[0]["survey"] = {"task_sucess": "Yes - Task completed", "reuse": "no answer"}
    recs[1]["survey"] = {"task_sucess": "No", "Overall_Score": "5"}
    proc = usi_run("reference", "build", "--humans", str(_people(tmp_path, recs)), "-o",
                   str(tmp_path / "ref.parquet"))
    assert proc.returncode == 0, proc.stderr
    said = [ln for ln in proc.stderr.splitlines() if "none of the 8 questions" in ln]
    assert len(said) == 1, proc.stderr
    assert said[0].startswith("usi: warning: 3 survey answers")
    assert "'Overall_Score', 'task_sucess'" in said[0]
