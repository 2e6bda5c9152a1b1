"""The files of a judge run beside ``FILE``: the answer journal and the metadata sidecar.

For ``FILE = survey_comparable_<name>.json``:

- ``survey_comparable_<name>.meta.json``: how the answers were made (prompt, model, backend,
  decoding, version, date, truncation counts). The release readers skip ``*.meta.json``
  (:func:`usi_metric.io.layout.release_files`), so the sidecar may sit in ``survey_data/``.
- ``survey_comparable_<name>.journal.jsonl``: one JSON line per answered session, appended
  (and flushed to disk) as each answer arrives. Its first line names the settings; a run with
  the same settings resumes from it and skips what is done, other settings are refused
  (``--overwrite`` starts over). A line cut short by a crash is dropped on resume; a journal
  that holds no answer is removed when the run ends.

``FILE`` and the sidecar are written atomically (a temp file in the same folder, then
``os.replace``): a reader sees the old file or the new one, never half of one.

>>> meta_path("out/survey_comparable_x.json").name, journal_path("answers").name
('survey_comparable_x.meta.json', 'answers.journal.jsonl')
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.io.jsonfile import shown
from usi_metric.io.layout import META_SUFFIX

JOURNAL_FORMAT = "usi-survey-journal-1"
JOURNAL_SUFFIX = ".journal.jsonl"


def _stem(out: str | Path) -> Path:
    p = Path(out)
    return p.with_name(p.name.removesuffix(".json"))


def meta_path(out: str | Path) -> Path:
    """The metadata sidecar of ``out``: ``x.json`` -> ``x.meta.json``."""
    s = _stem(out)
    return s.with_name(s.name + META_SUFFIX)


def journal_path(out: str | Path) -> Path:
    """The answer journal of ``out``: ``x.json`` -> ``x.journal.jsonl``."""
    s = _stem(out)
    return s.with_name(s.name + JOURNAL_SUFFIX)


def json_safe(value: Any) -> Any:
    r"""``value`` with what JSON text cannot hold written as text: a number no float holds
    (a reply's ``5e400`` parses as ``inf``, ``NaN`` as ``nan``) as ``"inf"`` / ``"nan"``, a
    lone surrogate (``"\ud800"`` in a reply) as its escape. A survey reader then sees a
    value that is no answer, as it would see any other.

    >>> json_safe({"reuse": float("inf"), "x": [float("nan"), "a\ud800"]})
    {'reuse': 'inf', 'x': ['nan', 'a\\ud800']}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return value if value.isascii() else shown(value)
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def dumps(data: Any) -> str:
    """Stable JSON text of an output file: sorted keys, 2-space indent, final newline.

    >>> dumps({"b": 1, "a": [None]})
    '{\\n  "a": [\\n    null\\n  ],\\n  "b": 1\\n}\\n'
    """
    return json.dumps(json_safe(data), sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` as a whole (``runtime.output.write_atomic``), creating the
    folder; the judge decides about replacing files itself (``--overwrite``, resuming).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.json")
    >>> write_atomic(p, "{}\\n"); open(p).read()
    '{}\\n'
    """
    from usi_metric.runtime.output import write_atomic as write_whole

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsiError(f"cannot write ({exc.strerror})", file=str(path)) from None
    write_whole(path, text, overwrite=True)


def _line(record: Mapping[str, Any]) -> str:
    return json.dumps(json_safe(record), sort_keys=True, ensure_ascii=False,
                      allow_nan=False) + "\n"


class Journal:
    """The answer journal of one output file: ``records`` (id -> record) done so far.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.journal.jsonl")
    >>> j = Journal.open(p, {"model": "m"}, "2026-01-01")
    >>> Journal.open(p, {"model": "m"}, "2026-01-01").close()   # no answer: no file left
    >>> os.path.exists(p)
    False
    >>> j = Journal.open(p, {"model": "m"}, "2026-01-01")
    >>> j.append({"id": "airline_1", "answers": {}}); j.close()
    >>> again = Journal.open(p, {"model": "m"}, "2026-02-02")
    >>> sorted(again.records), again.date
    (['airline_1'], '2026-01-01')
    """

    def __init__(self, path: Path, settings: Mapping[str, Any], date: str,
                 records: dict[str, dict[str, Any]]) -> None:
        self.path = path
        self.settings = dict(settings)
        self.date = date
        self.records = records
        self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()

    @classmethod
    def open(cls, path: str | Path, settings: Mapping[str, Any], date: str,
             overwrite: bool = False) -> Journal:
        """Resume the journal at ``path`` (same settings only), or start a new one."""
        path = Path(path)
        try:
            if overwrite:
                path.unlink(missing_ok=True)
            if not path.exists():
                header = {"format": JOURNAL_FORMAT, "settings": dict(settings), "date": date}
                write_atomic(path, _line(header))
                return cls(path, settings, date, {})
            header, records, good = _read(path)
        except OSError as exc:
            raise UsiError(f"cannot use the journal ({exc.strerror})", file=str(path)) from None
        if header.get("settings") != dict(settings) and not records:
            path.unlink()  # nothing was answered under the old settings: start afresh
            return cls.open(path, settings, date)
        if header.get("settings") != dict(settings):
            old = header.get("settings") or {}
            diff = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
            raise UsiError(f"written with other settings (changed: {', '.join(diff)}): pass "
                           "--overwrite to start over, or the same settings to resume",
                           file=str(path))
        if good is not None:  # a line cut short by a crash: keep the good lines only
            write_atomic(path, good)
        return cls(path, settings, str(header.get("date")), records)

    def append(self, record: Mapping[str, Any]) -> None:
        """Add one session's record, on disk before this returns."""
        self._fh.write(_line(record))
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.records[record["id"]] = dict(record)

    def close(self) -> None:
        """Close the file; a journal that holds no answer is removed (nothing to resume)."""
        self._fh.close()
        if not self.records:
            self.path.unlink(missing_ok=True)


def _read(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]], str | None]:
    """``(header, records, text to rewrite or None)`` of a journal file. Only the last line
    may be cut short (a crash while it was written): it is dropped, and the file rewritten."""
    lines = path.read_text(encoding="utf-8").split("\n")
    clean_end = lines[-1] == ""
    if clean_end:
        lines.pop()
    parsed: list[Any] = []
    for i, line in enumerate(lines, 1):
        try:
            parsed.append(json.loads(line))
        except ValueError:
            if i == len(lines):
                break
            raise UsiError(f"line {i} is not JSON: pass --overwrite to start over",
                           file=str(path)) from None
    if not parsed or not isinstance(parsed[0], dict) or \
            parsed[0].get("format") != JOURNAL_FORMAT:
        raise UsiError("not a usi survey journal: pass --overwrite to start over",
                       file=str(path))
    records: dict[str, dict[str, Any]] = {}
    for i, rec in enumerate(parsed[1:], 2):
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
            raise UsiError(f"line {i} is not a session record: pass --overwrite to start "
                           "over", file=str(path))
        records[rec["id"]] = rec
    rewrite = not clean_end or len(parsed) < len(lines)
    good = "".join(line + "\n" for line in lines[:len(parsed)]) if rewrite else None
    return parsed[0], records, good
