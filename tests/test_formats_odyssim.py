"""OdysSim task results straight to a USI: one run, ids as they are, the agent from
``model``; and telling every format apart by content."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from formats_build import (
    REL,
    SURVEYS,
    one_line_error,
    release_entries,
    score_json,
    to_odyssim,
    usi,
    write_json,
)

from usi_metric.errors import UsiError
from usi_metric.io.formats import detect_format, read_runs_file

SIM = "synth-terse"  # one run of 58 tasks; its keep-null session is left out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("odyssim")
    entries = release_entries(SIM)
    assert len(entries) == 57 and "airline_8" not in entries
    data = to_odyssim(entries, 58)
    return {"tmp": tmp, "data": data, "entries": entries,
            "release": write_json(tmp / f"eval_results_{SIM}.json", entries),
            "odyssim": write_json(tmp / "synth-user_task_results.json", data)}


def test_score_equals_the_release_layout_cell_for_cell(built: dict[str, Any]) -> None:
    survey = SURVEYS / f"survey_comparable_{SIM}.json"
    got = score_json(built["odyssim"], "--survey", survey, "--label", SIM)
    want = score_json(built["release"], "--survey", survey, "--label", SIM)
    assert got == want
    assert want["rows"][1]["usi"] is not None and want["rows"][1]["eval_agree"] is not None


def test_one_file_per_domain_merges_to_the_same_score(built: dict[str, Any]) -> None:
    paths = []
    for domain in ("airline", "retail"):
        part = copy.deepcopy(built["data"])
        part["results"] = [r for r in part["results"] if r["domain"] == domain]
        part["n"] = len(part["results"])
        paths.append(write_json(built["tmp"] / f"{domain}_task_results.json", part))
    assert score_json(*paths, "--label", SIM) == score_json(built["release"], "--label", SIM)


def test_sessions_are_one_run_with_the_agent_and_survey(built: dict[str, Any]) -> None:
    runs = read_runs_file(built["odyssim"])
    assert runs.kind == "odyssim"
    assert {s.group for s in runs.sessions} == {"1"}
    assert {s.ece_run for s in runs.sessions} == {1}
    assert set(runs.agent_ids) == {"gpt-5.2"}
    got = {s.instance_id: (list(s.conversation), s.reward) for s in runs.sessions}
    want = {iid: ([m for m in e["conversation"] if m["role"] != "tool"], e["reward"])
            for iid, e in built["entries"].items()}
    assert got == want


def test_an_instance_given_twice(built: dict[str, Any]) -> None:
    data = copy.deepcopy(built["data"])
    data["results"].append(copy.deepcopy(data["results"][4]))
    path = write_json(built["tmp"] / "twice_task_results.json", data)
    one_line_error(usi("score", path, "--data-dir", REL), str(path), "id airline_4",
                   f"field results[{len(data['results']) - 1}].instance_id",
                   "holds one run")


def test_a_record_without_id(built: dict[str, Any]) -> None:
    data = copy.deepcopy(built["data"])
    for key in ("instance_id", "domain"):
        del data["results"][2][key]
    path = write_json(built["tmp"] / "noid_task_results.json", data)
    one_line_error(usi("score", path, "--data-dir", REL), str(path),
                   "field results[2].instance_id", "needs instance_id")


# ----------------------------------------------------------------------------- detection


@pytest.mark.parametrize(("data", "kind"), [
    ({"airline_1": {"conversation": []}}, "release"),
    ({"results": [{"instance_id": "airline_1", "conversation": []}]}, "rollout"),
    ({"results": [{"instance_id": "airline_1", "conversation": []}], "note": "x"}, "rollout"),
    ({"results": "oops"}, "rollout"),  # read as the rollout form, whose reader says what is wrong
    ({"benchmark": "tau_usi", "n": 0, "results": []}, "odyssim"),
    ({"timestamp": "t", "info": {}, "tasks": [], "simulations": []}, "tau2bench"),
    ([{"task_id": 0, "reward": 1.0, "info": {}, "traj": [], "trial": 0}], "taubench"),
    ([{"task_id": 0, "reward": 1.0, "trial": 0}], "taubench"),
])
def test_formats_are_told_by_content(data: Any, kind: str) -> None:
    assert detect_format("f.json", data) == kind


@pytest.mark.parametrize(("data", "got"), [
    ([1, 2], "got a list of int"),
    ([], "got an empty list"),
    ([{"id": 1}], "got a list of records with keys id"),
    ("runs", "got str"),
])
def test_unknown_files_say_what_is_read(data: Any, got: str) -> None:
    with pytest.raises(UsiError) as err:
        detect_format("f.json", data)
    msg = str(err.value)
    assert msg.startswith("f.json: not a results file this tool reads") and got in msg
    assert "tau-bench" in msg and "tau2-bench" in msg and "OdysSim" in msg

