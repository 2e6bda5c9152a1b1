"""τ-bench results straight to a USI: the reader, on a file built from release sessions the
way tau-bench's runner writes it and on real τ-bench trajectories, and its one-line errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from formats_build import (
    POLICY,
    REL,
    SURVEYS,
    one_line_error,
    release_entries,
    score_json,
    to_taubench,
    usi,
    write_json,
)

from usi_metric import group_by_task
from usi_metric.errors import UsiError
from usi_metric.hf.evaluate_inputs import session_records
from usi_metric.io import load_simulator
from usi_metric.io.formats import read_runs_file

DATA = Path(__file__).resolve().parent / "data"
SIM = "synth-mirror"  # 3 runs; its keep-false session is left out (runner files have no keep)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The release file of the sessions, and the runner's airline.json / retail.json."""
    tmp = tmp_path_factory.mktemp("taubench")
    entries = release_entries(SIM)
    assert len(entries) == 173 and "airline_5_3" not in entries
    out = {"release": write_json(tmp / f"eval_results_{SIM}.json", entries)}
    for domain, records in to_taubench(entries, 174).items():
        out[domain] = write_json(tmp / f"gpt-4o-{domain}.json", records)
    return out


def test_the_built_files_look_like_the_runners(files: dict[str, Path]) -> None:
    records = json.loads(files["airline"].read_text("utf-8"))
    assert isinstance(records, list) and len(records) == 29 * 3 - 1  # airline_5_3 out
    assert [r["trial"] for r in records[:30:29]] == [0, 1]  # trial-major, from 0
    assert set(records[0]) == {"task_id", "reward", "info", "traj", "trial"}
    roles = {m["role"] for r in records for m in r["traj"]}
    assert roles == {"system", "user", "assistant", "tool"}
    calls = [m for r in records for m in r["traj"] if m.get("tool_calls")]
    assert any(m["content"] is None for m in calls)  # tool-call-only messages
    assert any(m["content"] == "" for m in calls)


def test_score_equals_the_release_layout_cell_for_cell(files: dict[str, Path]) -> None:
    survey = SURVEYS / f"survey_comparable_{SIM}.json"
    got = score_json(files["airline"], files["retail"], "--survey", survey, "--label", SIM)
    want = score_json(files["release"], "--survey", survey, "--label", SIM)
    assert got == want
    row = want["rows"][1]
    assert row["name"] == SIM and row["usi"] is not None and row["eval_agree"] is not None


def test_conversations_equal_the_release_dialogue(files: dict[str, Path]) -> None:
    runs = [read_runs_file(files[d]) for d in ("airline", "retail")]
    got = {(s.base_id, s.group): list(s.conversation) for r in runs for s in r.sessions}
    entries = release_entries(SIM)
    want = {}
    for iid, e in entries.items():
        key = (iid[: iid.rindex("_")], iid[-1])
        want[key] = [{"role": m["role"], "content": m["content"]} for m in e["conversation"]
                     if m["role"] != "tool"]
    assert got == want
    rewards = {(s.base_id, s.group): s.reward for r in runs for s in r.sessions}
    assert rewards == {(k[: k.rindex("_")], k[-1]): e["reward"] for k, e in entries.items()}


def test_group_by_task_reads_the_runner_files(files: dict[str, Path]) -> None:
    rows = group_by_task([files["airline"], files["retail"]])
    records = session_records(load_simulator(files["release"]))
    for rec in records:  # the runner's dialogue has no tool messages
        rec["conversation"] = [m for m in rec["conversation"] if m["role"] != "tool"]
    want = group_by_task(records)
    assert len(rows["predictions"]) == 58
    assert rows["predictions"] == want["predictions"]


# ----------------------------------------------------------------------------- real τ-bench


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    raw = gzip.decompress((DATA / "taubench_gpt-4o_airline_subset.json.gz").read_bytes())
    path = tmp_path_factory.mktemp("real") / "gpt-4o-airline.json"
    path.write_bytes(raw)
    return path, json.loads(raw)


def test_reader_on_real_taubench_trajectories(real: tuple[Path, list[dict]]) -> None:
    path, records = real
    runs = read_runs_file(path)
    assert runs.kind == "taubench"
    s = runs.sessions
    assert [(x.instance_id, x.group, x.ece_run) for x in s] == [
        ("airline_0", "1", 1), ("airline_1", "1", 1), ("airline_5", "1", 1),
        ("airline_0", "2", 2), ("airline_1", "2", 2), ("airline_5", "2", 2)]
    assert [x.reward for x in s] == [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    # counted by hand in the trajectories: e.g. record 0 has 32 messages = 1 system + 8 user
    # + 7 assistant texts + 8 tool-call-only assistant messages + 8 tool results
    assert [len(x.conversation) for x in s] == [15, 11, 14, 14, 11, 13]
    assert [sum(m["role"] == "user" for m in x.conversation) for x in s] == [8, 6, 7, 7, 6, 7]
    for x, rec in zip(s, records, strict=True):
        assert list(x.conversation) == [
            {"role": m["role"], "content": m["content"]} for m in rec["traj"]
            if m["role"] in ("user", "assistant") and m.get("content")]
    assert s[0].conversation[0]["content"] == ("Hi! I'm looking to book a flight from New "
                                               "York to Seattle on May 20th.")
    # an assistant turn that speaks and calls a tool keeps its text
    assert any(m["content"].startswith("No problem, I can look up your reservation details")
               for m in s[2].conversation)
    sim = load_simulator(path)
    assert sim.name == "gpt-4o-airline" and int(sim.has_features.sum()) == 6


def test_records_without_reward_count_as_failures_and_say_so(
        real: tuple[Path, list[dict]], tmp_path: Path) -> None:
    _, records = real
    records = [dict(r) for r in records]
    del records[4]["reward"], records[5]["reward"]  # two of the six (rewards 1.0 and 1.0)
    path = tmp_path / "no-reward.json"
    path.write_text(json.dumps(records), "utf-8")
    runs = read_runs_file(path)
    assert [x.reward for x in runs.sessions] == [0.0, 0.0, 0.0, 0.0, None, None]
    assert runs.warnings == [f"{path}: 2 of 6 sessions have no reward; they count as failures"]


# ----------------------------------------------------------------------------- domains


def _records(files: dict[str, Path], domain: str) -> list[dict]:
    return json.loads(files[domain].read_text("utf-8"))


def test_a_file_without_policy_heading_needs_domain(files: dict[str, Path],
                                                    tmp_path: Path) -> None:
    records = _records(files, "retail")
    for r in records:
        r["traj"][0]["content"] = "You are a helpful customer service agent."
    path = write_json(tmp_path / "custom.json", records)
    one_line_error(usi("score", path, "--data-dir", REL), str(path),
                   "field [0].traj[0].content", "cannot tell the domain", "--domain")
    sessions = read_runs_file(path, "retail").sessions
    assert {s.task_key for s in sessions} == {f"retail_{i}" for i in range(29)}
    assert score_json(path, "--domain", "retail")["rows"][1]["usi"] is not None


def test_domain_may_not_contradict_the_policy(files: dict[str, Path]) -> None:
    one_line_error(usi("score", files["airline"], files["retail"], "--data-dir", REL,
                       "--domain", "airline"),
                   str(files["retail"]), "field [0].traj[0].content",
                   "--domain airline contradicts", "retail policy")


def test_policy_heading_tells_the_domain() -> None:
    from usi_metric.io.formats.taubench import policy_domain

    assert policy_domain(POLICY["airline"]) == "airline"
    assert policy_domain(POLICY["retail"]) == "retail"
    assert policy_domain("# Telecom Agent Policy\n...") is None


# ----------------------------------------------------------------------------- bad files


def test_a_trial_given_twice(files: dict[str, Path], tmp_path: Path) -> None:
    records = _records(files, "airline")
    records.append(dict(records[3]))
    path = write_json(tmp_path / "twice.json", records)
    one_line_error(usi("score", path, "--data-dir", REL), str(path), "id airline_3",
                   f"field [{len(records) - 1}].trial", "trial 0 of this task is given twice")


def test_a_session_in_two_files(files: dict[str, Path], tmp_path: Path) -> None:
    records = _records(files, "airline")
    part = write_json(tmp_path / "again.json", records[40:41])  # trial 1 of task 11
    one_line_error(usi("score", files["airline"], part, "--data-dir", REL), str(part),
                   "id airline_11", "field run", "run 2 of this task is given twice",
                   f"also in {files['airline']}")


def test_two_domains_in_one_file(files: dict[str, Path], tmp_path: Path) -> None:
    records = _records(files, "airline") + _records(files, "retail")
    path = write_json(tmp_path / "both.json", records)
    one_line_error(usi("score", path, "--data-dir", REL), str(path),
                   "records of two domains", "field [86].traj[0].content")


@pytest.mark.parametrize(("change", "needles"), [
    (lambda r: r.pop("trial"), ("id airline_0", "field [0].trial", "missing field")),
    (lambda r: r.update(trial=-1), ("field [0].trial", "whole number >= 0, got -1")),
    (lambda r: r.update(task_id="0"), ("field [0].task_id", "got str")),
    (lambda r: r.update(reward="1.0"), ("id airline_0", "field reward", "got str")),
    (lambda r: r.update(traj={"role": "user"}), ("field [0].traj", "must be a list")),
    (lambda r: r["traj"][1].update(content=["hi"]), ("field [0].traj[1].content",
                                                     "string or null")),
])
def test_bad_records_give_one_line_errors(files: dict[str, Path], tmp_path: Path,
                                          change, needles: tuple[str, ...]) -> None:
    records = _records(files, "airline")
    change(records[0])
    path = write_json(tmp_path / "bad.json", records)
    one_line_error(usi("score", path, "--data-dir", REL), str(path), *needles)
    with pytest.raises(UsiError):
        read_runs_file(path)
