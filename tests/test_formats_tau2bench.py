"""τ²-bench results straight to a USI: task ids through the τ²→τ-bench map (never guessed),
runs from trials, rewards from ``reward_info``, and the one-line errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from formats_build import (
    REL,
    SURVEYS,
    one_line_error,
    release_entries,
    score_json,
    to_tau2,
    usi,
    write_json,
)

from usi_metric.io.formats import read_runs_file, tau2_to_taubench

SIM = "synth-idcard"  # 3 runs; its keep-null session is left out (runner files have no keep)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("tau2")
    entries = release_entries(SIM)
    assert len(entries) == 173 and "retail_4_3" not in entries
    results = to_tau2(entries, 174)
    out: dict[str, Any] = {"release": write_json(tmp / f"eval_results_{SIM}.json", entries),
                           "results": results, "tmp": tmp}
    for domain, data in results.items():
        out[domain] = write_json(tmp / domain / "results.json", data)
    return out


def test_the_map_renumbers_as_tau2_bench_did() -> None:
    airline, retail = tau2_to_taubench("airline"), tau2_to_taubench("retail")
    assert airline["0"] == 49  # τ² airline "0" is τ-bench airline 49
    assert sorted(airline.values()) == list(range(50))  # one to one onto τ-bench's 50
    # retail: τ-bench 93 and 95 are the same task, τ² kept one: ids from 95 on are off by one
    assert [retail[str(i)] for i in (0, 93, 94, 95, 113)] == [0, 93, 94, 96, 114]
    assert sorted(retail.values()) == [i for i in range(115) if i != 95]


def test_the_built_files_look_like_the_runners(built: dict[str, Any]) -> None:
    airline = built["results"]["airline"]
    assert airline["info"]["environment_info"]["domain_name"] == "airline"
    sims = airline["simulations"]
    assert len(sims) == 29 * 3 and sims[0]["trial"] == 0
    assert all(isinstance(s["task_id"], str) for s in sims)
    # the τ² ids of τ-bench airline 0-28 are not 0-28 (τ-bench 0 is τ² "20")
    assert sorted({int(s["task_id"]) for s in sims}) == [*range(9, 36), 37, 39]
    assert sims[0]["task_id"] == "9"
    roles = {m["role"] for s in sims for m in s["messages"]}
    assert roles == {"user", "assistant", "tool"}


def test_score_equals_the_release_layout_cell_for_cell(built: dict[str, Any]) -> None:
    survey = SURVEYS / f"survey_comparable_{SIM}.json"
    got = score_json(built["airline"], built["retail"], "--survey", survey, "--label", SIM)
    want = score_json(built["release"], "--survey", survey, "--label", SIM)
    assert got == want
    assert want["rows"][1]["usi"] is not None and want["rows"][1]["eval_agree"] is not None


def test_sessions_are_the_release_sessions(built: dict[str, Any]) -> None:
    sessions = [s for d in ("airline", "retail") for s in read_runs_file(built[d]).sessions]
    got = {(s.base_id, s.group): (list(s.conversation), s.reward) for s in sessions}
    want = {}
    for iid, e in release_entries(SIM).items():
        conv = [{"role": m["role"], "content": m["content"]} for m in e["conversation"]
                if m["role"] != "tool"]
        want[iid[: iid.rindex("_")], iid[-1]] = (conv, e["reward"])
    assert got == want


def _write(built: dict[str, Any], name: str, data: dict[str, Any]) -> Path:
    return write_json(built["tmp"] / name / "results.json", data)


def _unmapped(sim: dict[str, Any], tau2_id: str, trial: int) -> dict[str, Any]:
    out = copy.deepcopy(sim)
    out["task_id"], out["trial"], out["id"] = tau2_id, trial, f"x-{tau2_id}-{trial}"
    return out


def test_an_id_without_counterpart_is_left_out_and_counted(built: dict[str, Any]) -> None:
    data = copy.deepcopy(built["results"]["retail"])
    sims = data["simulations"]
    # ids the map does not have: a task added after the map was made, a non-number id
    sims += [_unmapped(sims[0], "114", t) for t in (0, 1)] + [_unmapped(sims[1], "x7", 0)]
    path = _write(built, "retail_plus", data)
    proc = usi("score", built["airline"], path, "--data-dir", REL, "--format", "json",
               "--label", SIM)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"usi: warning: {path}: left out 3 simulation(s) of 2 ")
    assert "'114', 'x7'" in lines[0] and "no tau-bench counterpart" in lines[0]
    want = score_json(built["release"], "--label", SIM)
    assert json.loads(proc.stdout) == want  # scored without them, never as a guessed task


def test_nothing_with_a_counterpart_is_an_error(built: dict[str, Any]) -> None:
    data = copy.deepcopy(built["results"]["airline"])
    data["simulations"] = [_unmapped(data["simulations"][0], "77", 0)]
    path = _write(built, "unmapped", data)
    one_line_error(usi("score", path, "--data-dir", REL), str(path), "id 77",
                   "field simulations[0].task_id", "no simulation has a tau-bench counterpart")


def test_a_trial_given_twice(built: dict[str, Any]) -> None:
    data = copy.deepcopy(built["results"]["airline"])
    data["simulations"].append(copy.deepcopy(data["simulations"][2]))
    path = _write(built, "twice", data)
    index = tau2_to_taubench("airline")[data["simulations"][2]["task_id"]]
    one_line_error(usi("score", path, "--data-dir", REL), str(path), f"id airline_{index}",
                   f"field simulations[{29 * 3}].trial", "trial 0 of this task",
                   "given twice")


def test_a_domain_without_counterpart(built: dict[str, Any]) -> None:
    data = copy.deepcopy(built["results"]["airline"])
    data["info"]["environment_info"]["domain_name"] = "telecom"
    path = _write(built, "telecom", data)
    one_line_error(usi("score", path, "--data-dir", REL), str(path),
                   "field info.environment_info.domain_name", "'telecom' has no tau-bench")


def test_domain_fills_in_and_may_not_contradict(built: dict[str, Any]) -> None:
    data = copy.deepcopy(built["results"]["retail"])
    del data["info"]["environment_info"]["domain_name"]
    path = _write(built, "nameless", data)
    one_line_error(usi("score", path, "--data-dir", REL), str(path),
                   "field info.environment_info.domain_name", "pass --domain")
    assert {s.task_key for s in read_runs_file(path, "retail").sessions} == {
        f"retail_{i}" for i in range(29)}
    one_line_error(usi("score", built["retail"], "--data-dir", REL, "--domain", "airline"),
                   str(built["retail"]), "--domain airline contradicts", "'retail'")


@pytest.mark.parametrize(("change", "needles"), [
    (lambda s: s.update(trial=None), ("field simulations[0].trial", "got null")),
    (lambda s: s.update(task_id=3.0), ("field simulations[0].task_id", "got float")),
    (lambda s: s.update(messages=None), ("field simulations[0].messages", "missing")),
    (lambda s: s.update(reward_info=[1]), ("field simulations[0].reward_info", "got list")),
    (lambda s: s["reward_info"].update(reward="1"), ("field simulations[0].reward_info.reward",
                                                     "got str")),
    (lambda s: s["messages"][0].update(role=None), ("field simulations[0].messages[0].role",
                                                    "got null")),
])
def test_bad_simulations_give_one_line_errors(built: dict[str, Any], change,
                                              needles: tuple[str, ...]) -> None:
    data = copy.deepcopy(built["results"]["airline"])
    change(data["simulations"][0])
    path = _write(built, "bad", data)
    one_line_error(usi("score", path, "--data-dir", REL), str(path), *needles)


def test_reward_info_null_is_no_reward(built: dict[str, Any]) -> None:
    data = copy.deepcopy(built["results"]["airline"])
    data["simulations"][0]["reward_info"] = None
    path = _write(built, "noreward", data)
    assert read_runs_file(path).sessions[0].reward is None
