"""Hostile user, part 2: JSON that parses badly or holds values no float or text can carry.

Deep nesting (``RecursionError``), integers beyond a float (``OverflowError``) or beyond
Python's digit limit, and lone surrogates (``"\\ud800"``: valid JSON, not Unicode text) are
each one line naming file, id and field, in every command that reads them. A bad simulator
file never takes the good rows of ``usi leaderboard`` down, and ``usi features`` never prints
a CSV header before failing. The same values given to the library (``evaluate`` inputs, the
dataset's rows) are :class:`UsiError` too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hostile import mini_release, one_line_error, snapshot, usi
from minirelease import conv

from dataset_builder import release_from_records
from usi_metric.errors import UsiError
from usi_metric.hf.evaluate_metric import prepare_task_groups

HUMAN = Path("data") / "tau_bench_tasks_unified.json"
CONV = '[{"role": "assistant", "content": "Hi"}, {"role": "user", "content": "ok"}]'


@pytest.fixture()
def mini(tmp_path: Path) -> Path:
    return mini_release(tmp_path)


def entry_text(conversation: str = CONV, reward: str = "1", extra: str = "") -> str:
    return f'{{"conversation": {conversation}, "reward": {reward}{extra}}}'


def runs_text(first_id: str = "airline_0", **kw: str) -> str:
    """A release-layout runs file (one run) whose first entry is built from ``kw``."""
    return (f'{{"{first_id}": {entry_text(**kw)}, "airline_1": {entry_text()}, '
            f'"airline_2": {entry_text()}}}')


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def leaderboard_names(proc: Any) -> list[str]:
    return [r["name"] for r in json.loads(proc.stdout)["rows"]]


# ----------------------------------------------------------------------------- nesting

NESTINGS = {
    "top-level array 100,000 deep": deep(100_000),
    "top-level array 2,000 deep": deep(2_000),
    "conversation 100,000 deep": runs_text(conversation=deep(100_000)),
    "an ignored field 5,000 deep": runs_text(extra=f', "meta": {{"x": {deep(5_000)}}}'),
}


@pytest.mark.parametrize("text", NESTINGS.values(), ids=NESTINGS.keys())
def test_deep_nesting_in_a_simulator_file(mini: Path, tmp_path: Path, text: str) -> None:
    bad = mini / "eval_results" / "eval_results_deep.json"
    bad.write_text(text, "utf-8")
    proc = usi("features", str(bad))
    one_line_error(proc, str(bad), "nested too deeply")
    assert proc.stdout == ""
    proc = usi("score", str(bad), "--data-dir", str(mini))
    one_line_error(proc, str(bad), "nested too deeply")
    proc = usi("leaderboard", "--data-dir", str(mini), "--format", "json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (f"usi: error: {bad}: malformed JSON: arrays or objects "
                                   "nested too deeply (Python reads about 1000 levels) "
                                   "(left out of the table)")
    assert sorted(leaderboard_names(proc)) == ["Human (inter-ann.)", "s", "s2"]
    before = snapshot(tmp_path)
    one_line_error(usi("dataset", "build", str(mini), str(tmp_path / "repo")), str(bad),
                   "nested too deeply")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("where", ["human", "survey", "difficulty", "human-eval"])
def test_deep_nesting_in_the_other_files(mini: Path, where: str) -> None:
    paths = {"human": mini / HUMAN, "survey": mini / "survey_data" / "survey_comparable_s.json",
             "difficulty": mini / "difficulty.json",
             "human-eval": mini / "survey_data" / "survey_comparable_human-eval-100.json"}
    bad = paths[where]
    bad.write_text('{"airline_0": ' + deep(50_000) + "}", "utf-8")
    runs = str(mini / "eval_results" / "eval_results_s.json")
    args = {"human": ["leaderboard", "--data-dir", str(mini)],
            "survey": ["score", runs, "--data-dir", str(mini), "--survey", str(bad)],
            "difficulty": ["score", runs, "--data-dir", str(mini), "--difficulty", str(bad)],
            "human-eval": ["gap", "--data-dir", str(mini)]}[where]
    proc = usi(*args)
    one_line_error(proc, str(bad), "nested too deeply")
    assert proc.stdout == ""


# ----------------------------------------------------------------------------- numbers

@pytest.mark.parametrize(("reward", "needles"), [
    ("1" + "0" * 400, ["id airline_0", "field reward", "must be a finite number"]),
    ("-1" + "0" * 4000, ["id airline_0", "field reward", "must be a finite number"]),
    ("1e400", ["id airline_0", "field reward", "must be a finite number"]),
    ("1" * 5001, ["more than 4300 digits"]),
])
def test_numbers_no_float_holds(mini: Path, tmp_path: Path, reward: str,
                                needles: list[str]) -> None:
    bad = mini / "eval_results" / "eval_results_big.json"
    bad.write_text(runs_text(reward=reward), "utf-8")
    proc = usi("features", str(bad))
    err = one_line_error(proc, str(bad), *needles)
    assert "set_int_max_str_digits" not in err
    assert proc.stdout == ""
    one_line_error(usi("score", str(bad), "--data-dir", str(mini)), str(bad), *needles)
    proc = usi("leaderboard", "--data-dir", str(mini), "--format", "json")
    assert proc.returncode == 2 and str(bad) in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert sorted(leaderboard_names(proc)) == ["Human (inter-ann.)", "s", "s2"]
    before = snapshot(tmp_path)
    one_line_error(usi("dataset", "build", str(mini), str(tmp_path / "repo")), str(bad),
                   *needles)
    assert snapshot(tmp_path) == before


def test_huge_reward_in_the_human_file(mini: Path) -> None:
    path = mini / HUMAN
    data = json.loads(path.read_text("utf-8"))
    text = json.dumps(data).replace('"reward": 0.0', '"reward": ' + "9" * 500, 1)
    path.write_text(text, "utf-8")
    first_zero = next(k for k, v in data.items() if v["reward"] == 0.0)
    proc = usi("leaderboard", "--data-dir", str(mini))
    one_line_error(proc, str(path), f"id {first_zero}", "field reward", "finite")
    assert proc.stdout == ""


def test_huge_difficulty_in_a_map(mini: Path) -> None:
    bad = mini / "my_map.json"
    bad.write_text('{"airline_0": ' + "1" * 400 + ', "airline_1": 0.5}', "utf-8")
    runs = str(mini / "eval_results" / "eval_results_s.json")
    proc = usi("score", runs, "--data-dir", str(mini), "--difficulty", str(bad))
    one_line_error(proc, str(bad), "id airline_0", "field difficulty")
    proc = usi("leaderboard", "--data-dir", str(mini), "--difficulty", str(bad))
    one_line_error(proc, str(bad), "id airline_0", "field difficulty")


# ----------------------------------------------------------------------------- surrogates

SURROGATES = {
    "id": (runs_text(first_id="airline_0\\ud800"), ["id airline_0\\ud800"]),
    "content": (runs_text(conversation='[{"role": "user", "content": "hi \\udc00 there"}]'),
                ["id airline_0", "field conversation[0].content"]),
    "role": (runs_text(conversation='[{"role": "\\udfff", "content": "hi"}]'),
             ["id airline_0", "field conversation[0].role"]),
    "survey answer": (runs_text(extra=', "survey": {"reuse": {"answer": "Yes\\udbff"}}'),
                      ["id airline_0", "field survey.reuse.answer"]),
    "agent_id": (runs_text(extra=', "agent_id": "\\ud83d"'), ["id airline_0",
                                                              "field agent_id"]),
    "a key of an ignored object": (runs_text(extra=', "meta": {"\\ud800": 1}'),
                                   ["id airline_0", "field meta.\\ud800"]),
}


@pytest.mark.parametrize(("text", "needles"), SURROGATES.values(), ids=SURROGATES.keys())
def test_lone_surrogates_are_refused_where_read(mini: Path, tmp_path: Path, text: str,
                                               needles: list[str]) -> None:
    bad = mini / "eval_results" / "eval_results_sur.json"
    bad.write_text(text, "utf-8")
    proc = usi("features", str(bad))  # the header used to be printed, then a traceback
    one_line_error(proc, str(bad), "lone surrogate", *needles)
    assert proc.stdout == ""
    one_line_error(usi("score", str(bad), "--data-dir", str(mini)), str(bad), *needles)
    proc = usi("leaderboard", "--data-dir", str(mini), "--format", "json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "lone surrogate" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert sorted(leaderboard_names(proc)) == ["Human (inter-ann.)", "s", "s2"]
    before = snapshot(tmp_path)
    one_line_error(usi("dataset", "build", str(mini), str(tmp_path / "repo")), str(bad),
                   *needles)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("where", "text", "needles"), [
    ("survey", '{"airline_0\\udc00": {"survey": {}}}', ["id airline_0\\udc00"]),
    ("difficulty", '{"airline_0": 0.5, "airline_\\ud800": 0.1}', ["id airline_\\ud800"]),
])
def test_lone_surrogates_in_surveys_and_maps(mini: Path, where: str, text: str,
                                             needles: list[str]) -> None:
    bad = mini / f"{where}.json"
    bad.write_text(text, "utf-8")
    runs = str(mini / "eval_results" / "eval_results_s.json")
    proc = usi("score", runs, "--data-dir", str(mini), f"--{where}", str(bad))
    one_line_error(proc, str(bad), "lone surrogate", *needles)


def test_surrogate_pairs_and_escaped_backslashes_are_text(mini: Path) -> None:
    """No false alarm: an emoji written as a surrogate pair, and the six characters
    ``\\ud800`` after an escaped backslash, are ordinary text."""
    good = mini / "eval_results" / "eval_results_ok.json"
    good.write_text(runs_text(conversation='[{"role": "user", "content": '
                                           '"\\ud83d\\ude00 and \\\\ud800"}]'), "utf-8")
    proc = usi("features", str(good), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rows"][0]["instance_id"] == "airline_0"


# ----------------------------------------------------------------------------- the library

CONVERSATION = conv("ok")
HUMAN_ROW = [{"instance_id": "airline_0", "annotator": 1, "conversation": CONVERSATION,
              "reward": 1}]


@pytest.mark.parametrize(("session", "field"), [
    ({"reward": 10**400}, "predictions[0][0].reward"),
    ({"reward": "x"}, "predictions[0][0].reward"),
    ({"conversation": [{"role": "user", "content": "a\udc80"}]},
     "predictions[0][0].conversation[0].content"),
    ({"keep": 1}, "predictions[0][0].keep"),
])
def test_evaluate_inputs_no_float_or_text_holds(session: dict[str, Any], field: str) -> None:
    pred = {"instance_id": "airline_0", "conversation": CONVERSATION, **session}
    with pytest.raises(UsiError) as info:
        prepare_task_groups([[pred]], [HUMAN_ROW])
    assert info.value.field == field and info.value.id == "airline_0"


def test_evaluate_inputs_surrogate_id_and_answer() -> None:
    pred = {"instance_id": "airline_0\ud800", "conversation": CONVERSATION}
    with pytest.raises(UsiError, match="lone surrogate"):
        prepare_task_groups([[pred]], [HUMAN_ROW])
    human = [{**HUMAN_ROW[0], "survey": {"reuse": "Yes\udfff"}}]
    with pytest.raises(UsiError) as info:
        prepare_task_groups([[{"instance_id": "airline_0", "conversation": CONVERSATION}]],
                            [human])
    assert info.value.field == "references[0][0].survey.reuse"


ROW = {"instance_id": "airline_0", "base_id": "airline_0", "task_id": "airline_0",
       "annotator": 1, "conversation": CONVERSATION, "survey": {}, "reward": 1.0,
       "keep": True, "features": None}
SIM = {**{k: v for k, v in ROW.items() if k != "annotator"}, "simulator": "s", "run": 1,
       "ece_run": 1}


@pytest.mark.parametrize(("human", "sims", "file", "field", "words"), [
    ([1], [], "<human records>", "record 0", "must be an object"),
    ([None], [], "<human records>", "record 0", "must be an object"),
    ([{**ROW, "reward": "x"}], [], "<human records>", "reward", "must be a number"),
    ([{**ROW, "reward": 10**400}], [], "<human records>", "reward", "finite"),
    ([{**ROW, "annotator": "1"}], [], "<human records>", "annotator", "whole number"),
    ([{**ROW, "keep": "yes"}], [], "<human records>", "keep", "true, false or null"),
    ([{**ROW, "conversation": "hi"}], [], "<human records>", "conversation", "list"),
    ([{**ROW, "survey": {"reuse": 3}}], [], "<human records>", "survey.reuse", "answer text"),
    ([ROW], [SIM, {**SIM, "reward": 0.0}], "<simulators records>", "instance_id",
     "duplicate id in run 1"),
    ([ROW], [{**SIM, "reward": float("nan")}], "<simulators records>", "reward", "finite"),
    ([ROW], [{**SIM, "run": 1.5}], "<simulators records>", "run", "whole number"),
    ([ROW], [{**SIM, "simulator": 7}], "<simulators records>", "simulator", "string"),
    ([ROW], ["row"], "<simulators records>", "record 0", "must be an object"),
    ([{**ROW, "instance_id": "airline_0\ud800"}], [], "<human records>", "instance_id",
     "lone surrogate"),
])
def test_release_from_rows_refuses_bad_rows(human: list[Any], sims: list[Any], file: str,
                                            field: str, words: str) -> None:
    with pytest.raises(UsiError) as info:
        release_from_records(human, sims)
    assert info.value.file == file and info.value.field == field, str(info.value)
    assert words in str(info.value)


def test_release_from_rows_refuses_bad_stored_features() -> None:
    from usi_metric.features import COLUMNS

    feats = dict.fromkeys(COLUMNS, 0.5) | {COLUMNS[3]: "x"}
    with pytest.raises(UsiError) as info:
        release_from_records([{**ROW, "features": feats}])
    assert info.value.field == f"features.{COLUMNS[3]}"
