"""Bad input to the human reference and the training reward (issues 20, 21): a JSON Lines
file of people, a Parquet file that is not a reference, NaN rewards and lengths that differ.
The command line answers in one line naming file, line or id, and field, exits 2 and writes
nothing; the library raises one ``UsiError`` naming the position and field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pyrun import one_line_error
from test_reference_independent import usi_run


def _conv(text: str) -> list[dict]:
    return [{"role": "assistant", "content": "Hello, how can I help you today?"},
            {"role": "user", "content": text}]


def _rec(iid: str, key: str, batch: str, **extra) -> dict:
    return {"id": iid, "task_key": key, "batch": batch,
            "conversation": _conv(f"I need help with {key} for batch {batch} please"),
            "reward": 1.0, **extra}


GOOD = [_rec("a2", "airline_2", "1"), _rec("a10", "airline_10", "1"),
        _rec("a2b", "airline_2", "2"), _rec("a10b", "airline_10", "2")]


def _build(tmp_path: Path, lines: list[str]):
    src = tmp_path / "people.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "ref.parquet"
    return usi_run("reference", "build", "--humans", str(src), "-o", str(out)), src, out


def _lines(records: list) -> list[str]:
    return [r if isinstance(r, str) else json.dumps(r) for r in records]


@pytest.mark.parametrize(("bad", "needles"), [
    ("[1, 2]", ("line 3", "object")),
    ("{not json", ("line 3",)),
    (json.dumps({k: v for k, v in _rec("x", "airline_4", "1").items() if k != "task_key"}),
     ("line 3", "task_key")),
    (json.dumps({k: v for k, v in _rec("x", "airline_4", "1").items() if k != "batch"}),
     ("line 3", "batch")),
    (json.dumps({k: v for k, v in _rec("x", "airline_4", "1").items() if k != "id"}),
     ("line 3", "id")),
    (json.dumps(_rec("a2", "airline_4", "1")), ("a2", "id")),  # a duplicate id
    (json.dumps(_rec("x", "airline_2", "1")), ("airline_2",)),  # two kept in (1, airline_2)
])
def test_bad_people_line(tmp_path: Path, bad: str, needles: tuple[str, ...]) -> None:
    lines = _lines(GOOD[:2]) + [bad] + _lines(GOOD[2:])
    proc, src, out = _build(tmp_path, lines)
    one_line_error(proc, src.name, *needles)
    assert not out.exists()
    assert not list(tmp_path.glob("ref.parquet*"))


def test_an_answer_that_is_not_an_option_is_no_answer_and_counted(tmp_path: Path) -> None:
    recs = [dict(r) for r in GOOD]
    recs[0]["survey"] = {"human_like": {"answer": "no answer"}, "reuse": {"answer": "Maybe"}}
    recs[1]["survey"] = {"human_like": {"answer": "Yes "}}
    proc, _, out = _build(tmp_path, _lines(recs))
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr.replace(str(tmp_path), "DIR")
    assert "Traceback" not in err and "answer" in err.lower(), err
    assert re.search(r"\b2\b", err), err  # the two answers that are not an option
    import pyarrow.parquet as pq

    rows = {r["id"]: r for r in pq.read_table(out).to_pylist()}
    assert rows["a2"]["survey_human_like"] is None and rows["a2"]["survey_reuse"] == 3
    assert rows["a10"]["survey_human_like"] is None


def _runs(tmp_path: Path) -> Path:
    path = tmp_path / "runs.json"
    path.write_text(json.dumps({"airline_2": {"conversation": _conv("change my flight"),
                                              "reward": 1.0}}), encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["garbage", "foreign", "empty"])
def test_score_refuses_a_file_that_is_not_a_reference(tmp_path: Path, kind: str) -> None:
    bad = tmp_path / "people.parquet"
    if kind == "garbage":
        bad.write_bytes(b"PAR1 this is not parquet at all \x00\x01\x02")
    elif kind == "empty":
        bad.write_bytes(b"")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"id": ["a"], "score": [1.0]}), bad)
    proc = usi_run("score", str(_runs(tmp_path)), "--reference", str(bad), "--format", "json")
    one_line_error(proc, bad.name)
    proc = usi_run("reference", "show", str(bad))
    one_line_error(proc, bad.name)
