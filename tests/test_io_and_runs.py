"""Reading files: ids, the run rules of §1, validation errors, difficulty pooling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from usi_metric.errors import UsiError, UsiWarning
from usi_metric.io import ids, load_humans, load_release, load_simulator, load_survey, read_json
from usi_metric.scoring import (
    load_difficulty_map,
    pooled_difficulty,
    run_reward_maps,
    simulator_rows_vs_batch,
)

CONV = [{"role": "user", "content": "ok"}]


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("iid", "key", "run", "batch", "base"),
    [
        ("airline_7", "airline_7", 1, 1, "airline_7"),
        ("airline_7_ann2", "airline_7", 1, 2, "airline_7"),
        ("retail_12_ann3", "retail_12", 1, 3, "retail_12"),
        ("retail_12_2", "retail_12", 2, 1, "retail_12_2"),
        ("telecom_4_2", "telecom_4_2", 1, 1, "telecom_4_2"),  # unknown domain: whole id
    ],
)
def test_id_rules(iid: str, key: str, run: int, batch: int, base: str) -> None:
    assert ids.task_key(iid) == key
    assert ids.ece_run_index(iid) == run
    assert ids.human_batch(iid) == batch
    assert ids.human_base_id(iid) == base


def test_multi_run_file_splits_by_suffix_and_other_suffixes_form_run_0(tmp_path: Path) -> None:
    data = {}
    for t in range(57):
        for r in (1, 2, 3):
            data[f"airline_{t}_{r}"] = {"conversation": CONV, "reward": float(r == 1)}
    data["airline_0_x"] = {"conversation": CONV, "reward": 1.0}
    data["airline_1"] = {"conversation": CONV, "reward": 1.0}  # run 1 of airline_1, as _1_1
    assert len(data) > 170
    with pytest.warns(UsiWarning) as caught:
        sim = load_simulator(write(tmp_path / "eval_results_m.json", data))
    notes = [str(w.message) for w in caught]
    # airline_0_x is run 1 of airline_0 for the ECE (no third number), as airline_0_1 is
    assert any("2 sessions are the same run of a task as another id (airline_0_1 and "
               "airline_0_x: run 1 of airline_0)" in n for n in notes)
    assert any("1 session has an id outside the file's run suffixes _1/_2/_3 (airline_0_x"
               in n for n in notes)
    groups = {s.instance_id: (s.group, s.base_id) for s in sim.sessions}
    assert groups["airline_5_2"] == ("2", "airline_5")
    assert groups["airline_0_x"] == ("0", "airline_0_x")
    assert groups["airline_1"] == ("0", "airline_1")
    # ECE runs come from the third number; airline_1 (no third number) is run 1.
    maps = run_reward_maps(sim)
    assert sorted(maps) == [1, 2, 3]
    assert maps[2]["airline_5"] == 0 and maps[1]["airline_5"] == 1


def test_single_run_file_keeps_ids_as_they_are(tmp_path: Path) -> None:
    data = {f"airline_{t}_2": {"conversation": CONV, "reward": 1.0} for t in range(170)}
    sim = load_simulator(write(tmp_path / "eval_results_one.json", data))
    assert {s.group for s in sim.sessions} == {"1"}
    assert sim.sessions[0].base_id == "airline_0_2"
    humans = load_humans(write(tmp_path / "h.json",
                               {"airline_0": {"conversation": CONV, "reward": 1.0}}))
    # base ids keep their suffix, so nothing overlaps the human ids
    assert simulator_rows_vs_batch(sim, humans, 1) is None


def test_pooled_difficulty_ten_sample_rule_and_keep_rules(tmp_path: Path) -> None:
    recs = []
    for run in range(1, 11):  # 10 runs of task a; 9 of task b
        recs.append({"instance_id": "airline_1", "run": run, "conversation": CONV,
                     "reward": 1.0 if run <= 3 else 0.0, "keep": None if run == 4 else True})
        if run <= 9:
            recs.append({"instance_id": "airline_2", "run": run, "conversation": CONV,
                         "reward": 1.0})
    recs.append({"instance_id": "airline_2", "run": 10, "conversation": CONV, "reward": 1.0,
                 "keep": False})  # keep false: not a sample
    sim = load_simulator(write(tmp_path / "r.json", {"results": recs}))
    diff = pooled_difficulty([sim])
    assert diff.values == {"airline_1": 0.3}  # 3 of 10; keep null still counts
    assert diff.counts == {"airline_1": 10, "airline_2": 9}


def test_difficulty_map_file_forms(tmp_path: Path) -> None:
    plain = load_difficulty_map(write(tmp_path / "a.json", {"airline_1": 0.25}))
    frozen = load_difficulty_map(write(tmp_path / "b.json", {
        "difficulty": {"airline_1": 0.25}, "provenance": {"simulators": ["x"]}}))
    assert plain.values == frozen.values == {"airline_1": 0.25}
    with pytest.raises(UsiError, match="airline_1.*difficulty"):
        load_difficulty_map(write(tmp_path / "c.json", {"airline_1": 1.5}))


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"airline_1": {"conversation": [', "malformed JSON at line 1"),
        ("[1, 2]", "must be a JSON object"),
        ("{}", "has no entries"),
        ('{"airline_1": {"reward": 1}}', "id airline_1: field conversation: missing field"),
        ('{"airline_1": {"conversation": "hi"}}', "field conversation: must be a list"),
        ('{"airline_1": {"conversation": [], "reward": "1"}}', "field reward: must be a number"),
        ('{"airline_1": {"conversation": [], "reward": NaN}}', "NaN is not a number"),
        ('{"airline_1": {"conversation": [], "keep": "yes"}}', "field keep"),
        ('{"airline_1": {"conversation": [], "survey": 3}}', "field survey"),
        ('{"airline_1": {"conversation": [{"role": "user", "content": 5}]}}',
         "field conversation[0].content"),
        ('{"airline_1": {"conversation": [{"content": "x"}]}}', "field conversation[0].role"),
        ('{"airline_1": {"conversation": []}, "airline_1": {"conversation": []}}',
         "id airline_1: duplicate id"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path: Path, content: str, needle: str) -> None:
    path = write(tmp_path / "bad.json", content)
    with pytest.raises(UsiError) as err:
        load_humans(path)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg and needle in msg


def test_results_format_duplicate_run_and_id(tmp_path: Path) -> None:
    recs = [{"instance_id": "airline_1", "run": 1, "conversation": CONV}] * 2
    with pytest.raises(UsiError, match="id airline_1: field instance_id: duplicate id in run 1"):
        load_simulator(write(tmp_path / "r.json", {"results": recs}))


def test_results_format_domain_task_index_and_trial(tmp_path: Path) -> None:
    recs = [{"domain": "retail", "task_index": 4, "trial": 0, "conversation": CONV, "reward": 1},
            {"domain": "retail", "task_index": 4, "trial": 1, "conversation": CONV, "reward": 0}]
    sim = load_simulator(write(tmp_path / "r.json", {"results": recs}))
    assert [(s.instance_id, s.group, s.ece_run) for s in sim.sessions] == [
        ("retail_4", "1", 1), ("retail_4", "2", 2)]


def test_a_survey_entry_without_answers_is_unanswered(tmp_path: Path) -> None:
    # The paper's scorer: no survey key, a null survey, a field that is not {"answer": ...}
    # or an answer that is not a string is "no valid answer" (the seeded fill applies).
    path = write(tmp_path / "survey_comparable_x.json",
                 {"airline_1": {"a": 1}, "airline_2": {"survey": None},
                  "airline_3": {"survey": {"reuse": {"answer": 4}, "human_like": "Yes",
                                           "efficiency": {"answer": "About right"}}}})
    got = load_survey(path).surveys
    assert got == {"airline_1": {}, "airline_2": {},
                   "airline_3": {"reuse": None, "human_like": None,
                                 "efficiency": "About right"}}


def test_release_layouts_and_non_strict_problems(tmp_path: Path) -> None:
    humans = {"airline_1": {"conversation": CONV, "reward": 1.0}}
    write(tmp_path / "flat" / "tau_bench_tasks_unified.json", humans)
    write(tmp_path / "flat" / "eval_results_a.json", humans)
    write(tmp_path / "flat" / "eval_results_bad.json", "{")
    rel = load_release(tmp_path / "flat", strict=False)
    assert list(rel.simulators) == ["a"]
    assert len(rel.problems) == 1 and "eval_results_bad.json" in str(rel.problems[0])
    with pytest.raises(UsiError, match="eval_results_bad.json"):
        load_release(tmp_path / "flat")
    with pytest.raises(UsiError, match="no tau_bench_tasks_unified.json"):
        load_release(tmp_path)


def test_read_json_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsiError, match="file not found"):
        read_json(tmp_path / "nope.json")


def _collide(tmp_path: Path, first: str, second: str, rewards: tuple[float, float]) -> Path:
    """A 3-run file of 57 tasks where ``first`` and ``second`` are both run 1 of a task."""
    data = {f"airline_{t}_{r}": {"conversation": CONV, "reward": float((t + r) % 2)}
            for t in range(2, 59) for r in (1, 2, 3)}
    data[first] = {"conversation": CONV, "reward": rewards[0]}
    data[second] = {"conversation": CONV, "reward": rewards[1]}
    return write(tmp_path / "eval_results_c.json", data)


def test_colliding_run_ids_with_other_outcomes_are_refused_naming_both(tmp_path: Path) -> None:
    path = _collide(tmp_path, "airline_1_1", "airline_1_01", (1.0, 0.0))
    with pytest.raises(UsiError) as err:
        load_simulator(path)
    msg = str(err.value)
    assert "ids airline_1_01 and airline_1_1 are both run 1 of task airline_1" in msg
    assert msg.startswith(str(path)) and "field reward" in msg


def test_colliding_run_ids_never_make_the_ece_order_dependent(tmp_path: Path) -> None:
    """The same two entries in either order: refused both times when outcomes differ, the
    same reward maps (counted once) when they agree."""
    for order in ((("airline_1_1", 1.0), ("airline_1_01", 0.0)),
                  (("airline_1_01", 0.0), ("airline_1_1", 1.0))):
        (a, ra), (b, rb) = order
        with pytest.raises(UsiError):
            load_simulator(_collide(tmp_path, a, b, (ra, rb)))
    maps = []
    for a, b in (("airline_1_1", "airline_1_01"), ("airline_1_01", "airline_1_1")):
        with pytest.warns(UsiWarning, match="counted once in the ECE"):
            maps.append(run_reward_maps(load_simulator(_collide(tmp_path, a, b, (1.0, 1.0)))))
    assert maps[0] == maps[1] and maps[0][1]["airline_1"] == 1


def test_a_dropped_colliding_session_is_no_collision(tmp_path: Path) -> None:
    """``keep: false`` is not an outcome (section 6): it cannot collide."""
    path = _collide(tmp_path, "airline_1_1", "airline_1_01", (1.0, 0.0))
    data = json.loads(path.read_text("utf-8"))
    data["airline_1_01"]["keep"] = False
    path.write_text(json.dumps(data), "utf-8")
    assert run_reward_maps(load_simulator(path))[1]["airline_1"] == 1
