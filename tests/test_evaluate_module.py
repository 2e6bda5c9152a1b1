"""The ``evaluate`` metric ``usi``: hand-computed values, the leaderboard's numbers, streaming,
the typed storage and bad inputs. The metric class is imported from its script here; loading
it through ``evaluate.load`` (registered, by path, in two processes) is in
test_evaluate_loading.py."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from minirelease import DIFFICULTY
from test_mini_release import (
    DIMS,
    ECE,
    KEYS,
    PAIR_DIMS,
    PAIR_ECE,
    human_eval_entries,
    sim_eval_batches,
)

from usi_metric.errors import UsiError
from usi_metric.hf.evaluate_inputs import (
    evaluate_inputs,
    group_by_task,
    release_inputs,
    session_records,
)
from usi_metric.hf.evaluate_metric import (
    HUMAN_FIELDS,
    SIM_FIELDS,
    compute_usi,
    evaluate_module_path,
    metric_features,
)
from usi_metric.io import load_release, load_simulator, load_survey
from usi_metric.samples import new_simulator_dir, sample_release_dir
from usi_metric.scoring import (
    HUMAN_ROW_NAME,
    human_ceiling,
    leaderboard,
    resolve_difficulty,
    score_simulator,
)

CELLS = ("usi", "D1_conv", "D2_info", "D3_clarif", "D4_react", "ece", "eval_agree")
OUTPUT_KEYS = {*CELLS, *(f"{c}_std" for c in CELLS), "human_usi", "human_usi_std", "n_tasks",
               "difficulty_source", "n_tasks_outside_difficulty", "coverage"}


def _script_module() -> Any:
    spec = importlib.util.spec_from_file_location("usi_metric_script", evaluate_module_path())
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script_module()


@pytest.fixture()
def metric(tmp_path: Path) -> Any:
    """A fresh metric instance storing its rows under tmp_path (not in ~/.cache)."""
    return SCRIPT.Usi(cache_dir=str(tmp_path / "cache"), experiment_id=uuid.uuid4().hex)


def conv(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": "Hi! How can I help you today?"},
            {"role": "user", "content": text}]


def assert_no_nan(out: dict[str, Any]) -> None:
    for k, v in out.items():
        if k == "difficulty_source":
            assert isinstance(v, str) and v, k
            continue
        if k == "coverage":
            assert set(v) == {"tasks_met", "tasks_total", "sessions_met", "sessions_total"}
            continue
        assert v is None or np.isfinite(v), k


# ----------------------------------------------------------------------------- by hand


def test_mini_release_through_the_metric_equals_the_hand_computed_values(
        mini: Path, metric: Any) -> None:
    kwargs = evaluate_inputs(mini, "s")
    kwargs["difficulty"] = DIFFICULTY  # the mini release has too few runs to pool one
    out = metric.compute(**kwargs)
    assert set(out) == OUTPUT_KEYS
    # the runs of s meet the 3 tasks; of its 6 sessions, keep false and keep null are out
    assert out["coverage"] == {"tasks_met": 3, "tasks_total": 3, "sessions_met": 4,
                               "sessions_total": 4}
    eval_b = sim_eval_batches()
    usis = [(sum(DIMS[b]) + np.mean(eval_b) + (1 - ECE[b]) * 100) / 6 for b in (1, 2, 3)]
    assert out["usi"] == pytest.approx(np.mean(usis), abs=1e-12)
    assert out["usi_std"] == pytest.approx(np.std(usis), abs=1e-12)
    for i, k in enumerate(KEYS):
        vals = [DIMS[b][i] for b in (1, 2, 3)]
        assert out[k] == pytest.approx(np.mean(vals), abs=1e-12), k
        assert out[f"{k}_std"] == pytest.approx(np.std(vals), abs=1e-12), k
    assert out["ece"] == pytest.approx(np.mean(list(ECE.values())), abs=1e-12)
    assert out["ece_std"] == pytest.approx(np.std(list(ECE.values())), abs=1e-12)
    assert out["eval_agree"] == pytest.approx(np.mean(eval_b), abs=1e-12)
    assert out["eval_agree_std"] == pytest.approx(np.std(eval_b), abs=1e-12)
    he = np.mean(human_eval_entries())
    ceil = [(sum(d) + he + (1 - e) * 100) / 6 for d, e in zip(PAIR_DIMS, PAIR_ECE, strict=True)]
    assert out["human_usi"] == pytest.approx(np.mean(ceil), abs=1e-12)
    assert out["human_usi_std"] == pytest.approx(np.std(ceil), abs=1e-12)
    assert out["n_tasks"] == 3


def test_without_survey_eval_is_none_and_usi_has_five_terms(mini: Path, metric: Any) -> None:
    kwargs = evaluate_inputs(mini, "s2")
    assert kwargs["survey_judgments"] is None
    out = metric.compute(**{**kwargs, "difficulty": DIFFICULTY, "human_eval": None})
    assert out["eval_agree"] is None and out["eval_agree_std"] is None
    usis = [(sum(DIMS[b]) + (1 - ECE[b]) * 100) / 5 for b in (1, 2, 3)]
    assert out["usi"] == pytest.approx(np.mean(usis), abs=1e-12)
    ceil = [(sum(d) + (1 - e) * 100) / 5 for d, e in zip(PAIR_DIMS, PAIR_ECE, strict=True)]
    assert out["human_usi"] == pytest.approx(np.mean(ceil), abs=1e-12)
    assert_no_nan(out)


def two_task_groups(sim_reward: dict[str, float]) -> tuple[list, list]:
    texts = {"airline_0": "I need to move my flight to Friday.",
             "airline_1": "Cancel order 5 please."}
    preds = [[{"instance_id": t, "run": 1, "conversation": conv(x), "reward": sim_reward[t]}]
             for t, x in texts.items()]
    refs = [[{"instance_id": t, "annotator": a, "conversation": conv(x), "reward": 1.0}
             for a in (1, 2, 3)] for t, x in texts.items()]
    return preds, refs


def test_card_example_by_hand(metric: Any) -> None:
    # Same words as the humans: D1..D4 = 100. ECE per batch: bin 0 holds airline_0
    # (|0 - 1| = 1), bin 4 airline_1 (0): 1/2. USI = (400 + 50) / 5 = 90; ceiling 100.
    preds, refs = two_task_groups({"airline_0": 0.0, "airline_1": 1.0})
    out = metric.compute(predictions=preds, references=refs,
                         difficulty={"airline_0": 0.1, "airline_1": 0.9})
    assert (out["usi"], out["usi_std"], out["ece"], out["human_usi"]) == (90.0, 0.0, 0.5, 100.0)
    assert out["D1_conv"] == out["D4_react"] == 100.0
    assert out["n_tasks"] == 2


def test_keep_null_false_and_absent_and_ece_run_by_hand() -> None:
    # Task airline_0 (difficulty 0.1, bin 0), humans all succeed (reward 1).
    # run 1: reward 0, keep absent (= true)      -> rows and ECE run 1: ECE |0 - 1| = 1
    # run 2: reward 1, keep null                 -> not in rows; in ECE run 2: |1 - 1| = 0
    # run 3: reward 1, keep false                -> out of everything
    # run 4: reward 1, keep true, ece_run 1      -> ECE run 1 again with ANOTHER outcome: the
    #        ECE would depend on which session comes last, so it is refused (issue 19.7).
    base = {"instance_id": "airline_0", "conversation": conv("I need to move my flight.")}
    preds = [[{**base, "run": 1, "reward": 0.0},
              {**base, "run": 2, "reward": 1.0, "keep": None},
              {**base, "run": 3, "reward": 1.0, "keep": False},
              {**base, "run": 4, "reward": 1.0, "keep": True, "ece_run": 1}]]
    refs = [[{**base, "annotator": a, "reward": 1.0} for a in (1, 2, 3)]]
    with pytest.raises(ValueError, match="different outcomes"):
        compute_usi(preds, refs, difficulty={"airline_0": 0.1})
    # Run 4 with run 1's outcome (reward 0) is counted once in ECE run 1, with a warning:
    # ECE runs {1: |0 - 1| = 1, 2: 0} -> ECE 1/2. Rows: runs 1 and 4 have the humans' words
    # -> D = 100. USI = (400 + 50) / 5 = 90 for every batch.
    preds[0][3]["reward"] = 0.0
    with pytest.warns(UserWarning, match="counted once in the ECE"):
        out = compute_usi(preds, refs, difficulty={"airline_0": 0.1})
    assert (out["ece"], out["usi"]) == (0.5, 90.0)
    # Without ece_run, run 4 is an ECE run of its own: runs {1: 1, 2: 0, 4: 0} -> ECE 1/3.
    preds[0][3]["reward"] = 1.0
    preds[0][3]["ece_run"] = None
    out = compute_usi(preds, refs, difficulty={"airline_0": 0.1})
    assert out["ece"] == pytest.approx(1 / 3, abs=1e-15)
    # A human with keep null is out of rows and rewards: batch 3 has no session, so only
    # batches 1 and 2 score, and the ceiling has only the pair (1, 2).
    refs[0][2]["keep"] = None
    out = compute_usi(preds, refs, difficulty={"airline_0": 0.1})
    assert out["usi_std"] == 0.0 and out["human_usi"] == 100.0


def test_annotator_ids_key_the_survey_judgments() -> None:
    # Annotator 2's human said "Yes" (1.0); the judge answers "Partially" (0.5) for
    # airline_0_ann2 only: batch 2 Eval = 50, batches 1 and 3 have no judged entry.
    preds, refs = two_task_groups({"airline_0": 1.0, "airline_1": 1.0})
    refs[0][1]["survey"] = {"human_like": "Yes"}
    out = compute_usi(preds, refs, difficulty={"airline_0": 0.1, "airline_1": 0.9},
                      survey_judgments={"airline_0_ann2": {"human_like": "Partially"}})
    assert (out["eval_agree"], out["eval_agree_std"]) == (50.0, 0.0)
    # The release file's form {"survey": {field: {"answer": ...}}} is the same judgment.
    out2 = compute_usi(preds, refs, difficulty={"airline_0": 0.1, "airline_1": 0.9},
                       survey_judgments={"airline_0_ann2": {"survey": {
                           "human_like": {"answer": "Partially"}}}})
    assert out2 == out


# ----------------------------------------------------------------------------- leaderboard


def sample_simulators() -> list[str]:
    return sorted(load_release(sample_release_dir()).simulators)


def test_the_sample_has_several_simulators() -> None:
    assert len(sample_simulators()) >= 2


@pytest.mark.parametrize("sim", sample_simulators())
def test_every_sample_simulator_equals_its_leaderboard_row(sim: str, metric: Any) -> None:
    sample_board = {r.name: r
                    for r in leaderboard(load_release(sample_release_dir(), strict=False))}
    out = metric.compute(**evaluate_inputs(sample_release_dir(), sim))
    row = sample_board[sim]
    assert row.usi is not None
    for k in CELLS:
        cell = row.cells[k]
        if cell is None:
            assert out[k] is None and out[f"{k}_std"] is None, k
        else:
            assert abs(out[k] - cell.mean) <= 1e-9, k
            assert abs(out[f"{k}_std"] - cell.std) <= 1e-9, k
    human = sample_board[HUMAN_ROW_NAME].cells["usi"]
    assert abs(out["human_usi"] - human.mean) <= 1e-9
    assert abs(out["human_usi_std"] - human.std) <= 1e-9
    assert_no_nan(out)


def test_a_new_simulator_equals_usi_score(metric: Any) -> None:
    """release_inputs + group_by_task + add_batch = ``usi score``'s default scoring."""
    runs = next(p for p in sorted(new_simulator_dir().glob("*.json")) if "survey" not in p.name)
    release = load_release(sample_release_dir())
    sim = load_simulator(runs)
    want = score_simulator(sim, release.humans, resolve_difficulty(release, "release"))
    side = release_inputs(sample_release_dir())
    rows = group_by_task(session_records(sim), side["human_sessions"])
    for start in range(0, len(rows["predictions"]), 16):
        metric.add_batch(predictions=rows["predictions"][start:start + 16],
                         references=rows["references"][start:start + 16])
    out = metric.compute(difficulty=side["difficulty"], human_eval=side["human_eval"])
    assert abs(out["usi"] - want.usi) <= 1e-9
    ceiling = human_ceiling(release.humans, resolve_difficulty(release, "release"),
                            release.human_eval).cells["usi"]
    assert abs(out["human_usi"] - ceiling.mean) <= 1e-9


def test_a_survey_file_path_is_accepted() -> None:
    surveys = sorted(new_simulator_dir().glob("*survey*.json"))
    runs = next(p for p in sorted(new_simulator_dir().glob("*.json")) if "survey" not in p.name)
    if not surveys:
        pytest.fail("the synthetic new simulator has no survey file to test with")
    release = load_release(sample_release_dir())
    sim = load_simulator(runs)
    diff = resolve_difficulty(release, "release")
    want = score_simulator(sim, release.humans, diff, load_survey(surveys[0]))
    rows = group_by_task(session_records(sim), session_records(release.humans))
    out = compute_usi(rows["predictions"], rows["references"], difficulty=diff.values,
                      survey_judgments=str(surveys[0]))
    assert want.cells["eval_agree"] is not None
    assert abs(out["eval_agree"] - want.cells["eval_agree"].mean) <= 1e-9
    assert abs(out["usi"] - want.usi) <= 1e-9


# ----------------------------------------------------------------------------- streaming


def test_chunked_add_batch_and_add_equal_one_shot(tmp_path: Path) -> None:
    sim = sample_simulators()[0]
    kwargs = evaluate_inputs(sample_release_dir(), sim)
    preds, refs = kwargs.pop("predictions"), kwargs.pop("references")

    def fresh() -> Any:
        return SCRIPT.Usi(cache_dir=str(tmp_path), experiment_id=uuid.uuid4().hex)

    one_shot = fresh().compute(predictions=preds, references=refs, **kwargs)
    for size in (1, 7, 50):
        m = fresh()
        for start in range(0, len(preds), size):
            m.add_batch(predictions=preds[start:start + size], references=refs[start:start + size])
        assert m.compute(**kwargs) == one_shot, size
    m = fresh()
    for i in reversed(range(len(preds))):  # another order: the rows are put in task order
        m.add(prediction=preds[i], reference=refs[i])
    assert m.compute(**kwargs) == one_shot
    in_memory = SCRIPT.Usi(keep_in_memory=True, cache_dir=str(tmp_path))
    in_memory.add_batch(predictions=preds, references=refs)
    assert in_memory.compute(**kwargs) == one_shot
    assert compute_usi(preds, refs, **kwargs) == one_shot


def test_typed_storage_keeps_true_false_and_null_apart(tmp_path: Path) -> None:
    class Probe(SCRIPT.Usi):
        def _compute(self, predictions, references, **kwargs):
            return {"predictions": predictions, "references": references}

    probe = Probe(cache_dir=str(tmp_path), experiment_id="probe")
    msg = [{"role": "user", "content": None}]
    probe.add_batch(
        predictions=[[{"instance_id": "retail_1", "conversation": msg},
                      {"instance_id": "retail_1", "run": 2, "conversation": msg, "keep": None,
                       "reward": 1},
                      {"instance_id": "retail_1", "run": 3, "conversation": [], "keep": False,
                       "ece_run": 0}]],
        references=[[{"instance_id": "retail_1", "annotator": 2, "conversation": msg,
                      "survey": {"human_like": {"answer": "Yes"}, "reuse": None}},
                     {"instance_id": "retail_1", "annotator": 3, "conversation": msg,
                      "keep": False}]])
    got = probe.compute()
    p = got["predictions"][0]
    assert [s["keep"] for s in p] == [True, None, False]
    assert [s["run"] for s in p] == [1, 2, 3]
    assert [s["ece_run"] for s in p] == [None, None, 0]
    assert [s["reward"] for s in p] == [None, 1.0, None]
    assert p[0]["conversation"] == [{"role": "user", "content": None}]
    r = got["references"][0]
    assert r[0]["survey"]["human_like"] == "Yes" and r[0]["survey"]["reuse"] == ""
    assert r[1]["survey"] is None and r[1]["keep"] is False


def test_features_are_typed_as_documented() -> None:
    import datasets

    f = metric_features()
    sim, human = f["predictions"].feature, f["references"].feature
    assert tuple(sim) == SIM_FIELDS and tuple(human) == HUMAN_FIELDS
    assert sim["keep"] == datasets.Value("bool") and sim["reward"] == datasets.Value("float64")
    assert dict(sim["conversation"].feature) == {"role": datasets.Value("string"),
                                                 "content": datasets.Value("string")}
    assert sorted(human["survey"]) == sorted(
        ["task_success", "efficiency", "question_amount_preference", "answer_effort_time",
         "human_like", "interaction_flow", "overall_score", "reuse"])


# ----------------------------------------------------------------------------- errors


def good_groups() -> tuple[list, list]:
    return two_task_groups({"airline_0": 0.0, "airline_1": 1.0})


BAD_ADD = [
    (lambda p, r: (None, r), "predictions is missing"),
    (lambda p, r: (p[:1], r), "predictions has 1 task groups and references 2"),
    (lambda p, r: ("airline_0", r), "must be a list of task groups"),
    (lambda p, r: ([p[0], {"instance_id": "x"}], r), "a task group must be a list of sessions"),
    (lambda p, r: ([[{"run": 1, "conversation": []}], p[1]], r),
     "predictions[0][0].instance_id: needs the task instance id"),
    (lambda p, r: ([[{**p[0][0], "reward": "1"}], p[1]], r),
     "field predictions[0][0].reward: must be a number or null, got str"),
    (lambda p, r: ([[{**p[0][0], "reward": float("nan")}], p[1]], r), "finite"),
    (lambda p, r: ([[{**p[0][0], "keep": "yes"}], p[1]], r), "must be true, false or null"),
    (lambda p, r: ([[{**p[0][0], "run": True}], p[1]], r), "predictions[0][0].run"),
    (lambda p, r: ([[{**p[0][0], "conversation": "hi"}], p[1]], r),
     "must be a list of messages"),
    (lambda p, r: ([[{**p[0][0], "conversation": [{"content": "hi"}]}], p[1]], r),
     "conversation[0].role: role must be a string"),
    (lambda p, r: (p, [[{**r[0][0], "annotator": 4}], r[1]]), "annotator: must be a whole"),
    (lambda p, r: (p, [[{k: v for k, v in r[0][0].items() if k != "annotator"}], r[1]]),
     "annotator: missing field"),
    (lambda p, r: (p, [[{**r[0][0], "instance_id": "airline_0_ann2"}], r[1]]),
     "without its _annN suffix"),
    (lambda p, r: (p, [[{**r[0][0], "survey": {"human_like": 3}}], r[1]]),
     "survey.human_like: must be the answer text"),
    (lambda p, r: ([p[0] + p[1]], [r[0] + r[1]]), "mixes tasks airline_0, airline_1"),
    (lambda p, r: ([[], p[1]], [[], r[1]]), "field task group 0: is empty on both sides"),
]


@pytest.mark.parametrize(("mutate", "needle"), BAD_ADD)
def test_bad_rows_raise_usi_error_from_add_batch_and_compute(
        mutate: Any, needle: str, metric: Any) -> None:
    preds, refs = mutate(*good_groups())
    with pytest.raises(UsiError) as info:
        metric.add_batch(predictions=preds, references=refs)
    assert needle in str(info.value)
    with pytest.raises(UsiError) as info:
        metric.compute(predictions=preds, references=refs, difficulty={"airline_0": 0.5})
    assert needle in str(info.value)


BAD_COMPUTE = [
    (lambda p, r: ([p[0], p[0]], [r[0], r[0]]), {}, "task airline_0 is in task groups 0 and 1"),
    (lambda p, r: ([p[0] + p[0], p[1]], r), {}, "run 1 of this task instance is given twice"),
    (lambda p, r: ([[], []], r), {}, "no simulator session"),
    (lambda p, r: ([[{**s, "keep": False} for s in p[0]], []], r), {},
     "no kept session of the runs is a kept human session"),
    (lambda p, r: (p, r), {"difficulty": {"airline_0": 1.5}}, "must be a number in [0, 1]"),
    (lambda p, r: (p, r), {"difficulty": {"retail_9": 0.5}},
     "the given map yardstick covers 0 of the 2 tasks of the runs"),
    (lambda p, r: (p, r), {"difficulty": "self"}, "a pooled task needs >= 10 samples"),
    (lambda p, r: (p, r), {"survey_judgments": {"retail_1": {"human_like": "Yes"}}},
     "survey_judgments: no id matches a human session"),
    (lambda p, r: (p, r), {"survey_judgments": ["x"]}, "survey_judgments: must be a"),
]


@pytest.mark.parametrize(("mutate", "kwargs", "needle"), BAD_COMPUTE)
def test_bad_inputs_raise_usi_error_out_of_compute(
        mutate: Any, kwargs: dict, needle: str, metric: Any) -> None:
    preds, refs = mutate(*good_groups())
    kwargs = {"difficulty": {"airline_0": 0.1, "airline_1": 0.9}, **kwargs}
    with pytest.raises(UsiError) as info:
        metric.compute(predictions=preds, references=refs, **kwargs)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_no_ece_error_says_how_to_pass_difficulty(mini: Path, metric: Any) -> None:
    kwargs = evaluate_inputs(mini, "s")
    kwargs["difficulty"] = {}  # an empty map (what pooling 2 simulators x 2 runs gives)
    with pytest.raises(UsiError) as info:
        metric.compute(**kwargs)
    msg = str(info.value)
    assert "yardstick is empty" in msg and "no ECE" in msg and "difficulty='published'" in msg
    kwargs["difficulty"] = "self"  # pooled over this simulator's 2 runs
    with pytest.raises(UsiError, match="at most 2 per task.*difficulty="):
        compute_usi(**kwargs)
    kwargs["difficulty"] = None  # the default: the published yardstick covers airline_0..2
    assert compute_usi(**kwargs)["difficulty_source"] == "published"


# ----------------------------------------------------------------------------- helpers


def test_group_by_task_aligns_the_two_sides() -> None:
    sims = [{"instance_id": "retail_2", "run": 1}, {"instance_id": "airline_9_4", "run": 0},
            {"instance_id": "retail_2", "run": 2}]
    humans = [{"instance_id": "retail_5", "annotator": 1},
              {"instance_id": "retail_2", "annotator": 3}]
    rows = group_by_task(sims, humans)
    assert [[s["run"] for s in row] for row in rows["predictions"]] == [[0], [1, 2], []]
    assert [[s["instance_id"] for s in row] for row in rows["references"]] == [
        [], ["retail_2"], ["retail_5"]]
    with pytest.raises(UsiError, match="predictions record 1: instance_id"):
        group_by_task([sims[0], {"run": 1}])


def test_session_records_round_trip_the_release_ids(mini: Path) -> None:
    release = load_release(mini)
    recs = session_records(release.humans)
    assert [(r["instance_id"], r["annotator"]) for r in recs[:4]] == [
        ("airline_0", 1), ("airline_1", 1), ("airline_2", 1), ("airline_0", 2)]
    assert recs[0]["survey"] == {"question_amount_preference": "Too few", "human_like": "Yes"}
    sims = session_records(release.simulators["s"])
    assert [(r["run"], r["ece_run"], r["keep"]) for r in sims[3:]] == [
        (2, None, True), (2, None, False), (2, None, None)]


def test_evaluate_inputs_unknown_simulator(mini: Path) -> None:
    with pytest.raises(UsiError, match="no simulator 'nope' here \\(simulators: s, s2\\)"):
        evaluate_inputs(mini, "nope")


def test_evaluate_inputs_names_the_problem_of_a_bad_simulator_file(mini: Path) -> None:
    (mini / "eval_results" / "eval_results_s2.json").write_text("[1, 2", "utf-8")
    with pytest.raises(UsiError, match="eval_results_s2.json: malformed JSON"):
        evaluate_inputs(mini, "s2")
    assert evaluate_inputs(mini, "s")["predictions"]  # the good file still works


@pytest.mark.parametrize("module", ["usi_metric.hf.evaluate_metric",
                                    "usi_metric.hf.evaluate_inputs", "usi_metric.cli.hub"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_sessions_are_built_by_the_release_constructors() -> None:
    # evaluate's sessions come from io.sessions.human_session / simulator_session, so an
    # annotator-2 session of another domain has the task key of its base id, as in a release
    # (the human id telecom_4_ann2 is task telecom_4, not a task of its own).
    from usi_metric.hf.evaluate_metric import prepare_task_groups, session_sets

    conv = [{"role": "user", "content": "my phone has no signal"}]
    p, r = prepare_task_groups(
        [[{"instance_id": "telecom_4", "run": 2, "ece_run": 3, "conversation": conv,
           "reward": np.float64(1.0)}]],
        [[{"instance_id": "telecom_4", "annotator": a, "conversation": conv}
          for a in (1, 2)]])
    sim, humans = session_sets(p, r)
    assert [(s.instance_id, s.task_key, s.group) for s in humans.sessions] == [
        ("telecom_4", "telecom_4", "1"), ("telecom_4_ann2", "telecom_4", "2")]
    s = sim.sessions[0]
    assert (s.task_key, s.group, s.ece_run, s.reward) == ("telecom_4", "2", 3, 1.0)
