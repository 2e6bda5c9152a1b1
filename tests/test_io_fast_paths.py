"""The fast paths of reading a release give what the plain ones give.

- ``io.jsonfile.parse_top_level`` (the top-level object walked member by member, values parsed by
  ``json``'s scanner) equals ``json.loads`` and finds the first repeated top-level key;
- reading simulator files on two processes (``USI_WORKERS=2``) gives the same release, the
  same leaderboard bytes and the same errors, in the same order, as one process;
- ``conversations=False`` keeps every feature and score and drops only the texts.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrun import run_python

from usi_metric import io as usi_io
from usi_metric.errors import UsiError
from usi_metric.io.jsonfile import parse_top_level, reject_constant
from usi_metric.samples import sample_release_dir
from usi_metric.scoring import leaderboard, rows_json

json_scalars = st.none() | st.booleans() | st.integers() | st.text() | st.floats(
    allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), json_values, max_size=6), st.sampled_from([None, 0, 2]),
       st.sampled_from(["", " ", "\n\t "]))
def test_top_level_parse_equals_json_loads(doc: dict[str, Any], indent: int | None,
                                           pad: str) -> None:
    text = pad + json.dumps(doc, indent=indent) + pad
    value, duplicate = parse_top_level(text)
    assert value == json.loads(text) and duplicate is None


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_any_other_document_is_plain_json(value: Any) -> None:
    text = json.dumps(value)
    assert parse_top_level(text) == (json.loads(text), None)


def test_first_repeated_top_level_key_is_reported_and_nested_repeats_are_not() -> None:
    text = '{"a": {"k": 1, "k": 2}, "b": 1, "c": 0, "b": 2, "c": 3}'
    value, duplicate = parse_top_level(text)
    assert duplicate == "b"
    assert value == {"a": {"k": 2}, "b": 2, "c": 3}  # last one wins, as in json


@pytest.mark.parametrize("text", [
    "", "{", '{"a"', '{"a":', '{"a": 1', '{"a": 1,', '{"a": 1,}', '{"a" 1}', '{a: 1}',
    '{"a": 1} x', '{"a": 1}{}', '{"a": [1, 2}', '{"a": NaN}', '{"a": {"b": Infinity}}',
    '{"a": -Infinity}', '{"a": tru}', "[1, 2", "\ufeff{}",
])
def test_malformed_documents_fail_like_json(text: str) -> None:
    with pytest.raises(ValueError) as ours:
        parse_top_level(text)
    with pytest.raises(ValueError):
        json.loads(text, parse_constant=reject_constant)
    if isinstance(ours.value, json.JSONDecodeError):  # the position a user is shown
        try:
            json.loads(text)
        except json.JSONDecodeError as plain:
            assert (ours.value.lineno, ours.value.colno) == (plain.lineno, plain.colno)


def test_malformed_file_is_one_line_with_the_position(tmp_path: Path) -> None:
    p = tmp_path / "eval_results_x.json"
    p.write_text('{\n  "airline_1": {"conversation": []},\n  "airline_2": {"conversation": [}\n}')
    with pytest.raises(UsiError) as err:
        usi_io.read_json(p)
    msg = str(err.value)
    assert msg.startswith(str(p)) and "line 3 column" in msg and "\n" not in msg


def test_usi_error_keeps_its_parts_through_pickle() -> None:
    err = UsiError("must be a number", file="f.json", id="airline_1", field="reward")
    back = pickle.loads(pickle.dumps(err))
    assert (str(back), back.file, back.id, back.field, back.reason) == (
        str(err), "f.json", "airline_1", "reward", "must be a number")


def test_map_parallel_keeps_the_order_and_returns_error_objects() -> None:
    proc = run_python(MAP_PARALLEL, workers="2")
    out, n_workers = proc.stdout.decode().strip().splitlines()
    assert out == "[0, 1, 4, 9, 16, 25, 'six', 49, 64, 81, 100]" and n_workers == "1"


MAP_PARALLEL = """
from usi_metric.runtime import parallel
from usi_metric.errors import UsiError
import test_io_fast_paths as t
out = parallel.map_parallel(t._square_or_error, [(n,) for n in range(11)], workers=2,
                            costs=[1, 5, 1, 1, 2, 1, 1, 3, 1, 1, 1])
print([x.reason if isinstance(x, UsiError) else x for x in out])
print(len(parallel.worker_pids()))
"""


def _square_or_error(n: int) -> int | UsiError:
    return UsiError("six", id=str(n)) if n == 6 else n * n


# ----------------------------------------------------------------------------- releases


def _release_copy(tmp_path: Path, bad: dict[str, str]) -> Path:
    root = tmp_path / "rel"
    shutil.copytree(sample_release_dir(), root)
    for name, text in bad.items():
        (root / "eval_results" / name).write_text(text)
    return root


LOAD = """
import hashlib, json, sys
from usi_metric.runtime import parallel
from usi_metric.errors import UsiError
from usi_metric.io import load_release
from usi_metric.scoring import leaderboard, rows_json
try:
    rel = load_release(sys.argv[1], strict=sys.argv[2] == "strict")
except UsiError as exc:
    print(json.dumps({"error": str(exc), "workers": len(parallel.worker_pids())}))
    raise SystemExit(0)
sets = {n: hashlib.sha256(repr(s.sessions).encode() + s.features.tobytes()
                          + s.has_features.tobytes()).hexdigest()
        for n, s in [("human", rel.humans), *rel.simulators.items()]}
print(json.dumps({"problems": [str(p) for p in rel.problems], "sets": sets,
                  "surveys": {n: s.surveys for n, s in rel.surveys.items()},
                  "rows": rows_json(leaderboard(rel)), "workers": len(parallel.worker_pids())}))
"""


def _load(root: Path, workers: str, strict: bool = False) -> dict[str, Any]:
    out = json.loads(run_python(LOAD, str(root), "strict" if strict else "lenient",
                                workers=workers).stdout)
    assert out["workers"] == int(workers) - 1  # the second process really took part
    return out


def test_two_processes_read_the_same_release(tmp_path: Path) -> None:
    root = _release_copy(tmp_path, {
        "eval_results_zz-bad.json": '{"airline_1": {"conversation": "oops"}}',
        "eval_results_aa-bad.json": '{"airline_1": ',
    })
    one, two = _load(root, "1"), _load(root, "2")
    assert one == {**two, "workers": 0}
    assert len(one["problems"]) == 2 and "aa-bad" in one["problems"][0]
    assert len(one["sets"]) >= 4 and len(one["surveys"]) >= 3


def test_strict_reading_raises_the_first_bad_file_whatever_the_processes(
        tmp_path: Path) -> None:
    root = _release_copy(tmp_path, {
        "eval_results_b-bad.json": '{"airline_1": {"conversation": [], "reward": "1"}}',
        "eval_results_a-bad.json": "[]",
    })
    one, two = _load(root, "1", strict=True), _load(root, "2", strict=True)
    assert one["error"] == two["error"] and "a-bad" in one["error"]


def test_without_conversations_the_scores_are_the_same() -> None:
    full = usi_io.load_release(sample_release_dir())
    lean = usi_io.load_release(sample_release_dir(), conversations=False)
    for name, a in full.simulators.items():
        b = lean.simulators[name]
        assert all(s.conversation == () for s in b.sessions)
        assert any(s.conversation for s in a.sessions)
        assert [s.instance_id for s in a.sessions] == [s.instance_id for s in b.sessions]
        assert a.features.tobytes() == b.features.tobytes()
    assert rows_json(leaderboard(full)) == rows_json(leaderboard(lean))


def test_only_some_simulators_still_reads_the_humans_and_the_second_human() -> None:
    rel = usi_io.load_release(sample_release_dir(), only=["synth-terse"])
    assert list(rel.simulators) == ["synth-terse"] and list(rel.surveys) == ["synth-terse"]
    assert rel.humans.source == "human" and rel.human_eval is not None
