"""Reading a JSON file with one-line errors, and duplicate top-level ids caught.

>>> import os, tempfile
>>> p = os.path.join(tempfile.mkdtemp(), "x.json")
>>> _ = open(p, "w").write('{"b": 1}')
>>> read_json(p)
{'b': 1}
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import stat
import sys
import zlib
from pathlib import Path
from typing import Any

from usi_metric.errors import UsiError


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; duplicate keys in the top-level object are an error.

    Objects inside the entries keep the last value of a repeated key, as ``json`` does.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.json")
    >>> _ = open(p, "w").write('{"a": 1, "a": 2}')
    >>> read_json(p)
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: ...x.json: id a: duplicate id in the top-level object
    """
    path = str(path)
    try:
        text = read_bytes(path).decode("utf-8")
        data, duplicate = parse_top_level(text)
    except FileNotFoundError:
        raise UsiError("file not found", file=path) from None
    except IsADirectoryError:
        raise UsiError("is a folder, not a JSON file", file=path) from None
    except UnicodeDecodeError as exc:
        raise UsiError(f"not UTF-8 text ({exc.reason})", file=path) from None
    except json.JSONDecodeError as exc:
        raise UsiError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                       file=path) from None
    except RecursionError:
        raise UsiError("malformed JSON: arrays or objects nested too deeply (Python reads "
                       f"about {sys.getrecursionlimit()} levels)", file=path) from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            raise UsiError(f"malformed JSON: a number has more than {_max_digits()} digits, "
                           "more than any value of the release can hold", file=path) from None
        raise UsiError(str(exc), file=path) from None
    except MemoryError:
        raise UsiError("too large to read into memory", file=path) from None
    except OSError as exc:
        raise UsiError(f"cannot read ({exc.strerror})", file=path) from None
    if duplicate is not None:
        raise UsiError("duplicate id in the top-level object", file=path, id=duplicate)
    if may_hold_lone_surrogate(text):
        reject_lone_surrogates(data, path)
    return data


GZIP_MAGIC = b"\x1f\x8b"
# a pipe (``<(zcat runs.json.gz)``) has no size: read at most this much from one
MAX_STREAM_BYTES = 2**31


def read_bytes(path: str) -> bytes:
    """The bytes of a results file, gunzipped when they start with gzip's magic bytes (a
    ``.json.gz`` or any other name). Only regular files and pipes are read: a device
    (``/dev/zero`` behind a symlink) would never end. A pipe is read up to
    :data:`MAX_STREAM_BYTES`, a gzip stream up to the memory this process may take.

    >>> import gzip, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "runs.json.gz")
    >>> _ = open(p, "wb").write(gzip.compress(b'{"a": 1}'))
    >>> read_bytes(p), read_json(p)
    (b'{"a": 1}', {'a': 1})
    >>> read_bytes("/dev/zero")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: /dev/zero: not a regular file (a character device), so not read
    """
    with open(path, "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if stat.S_ISREG(mode):
            raw = fh.read()
        elif stat.S_ISFIFO(mode):
            raw = fh.read(MAX_STREAM_BYTES + 1)
            if len(raw) > MAX_STREAM_BYTES:
                raise UsiError(f"a stream longer than {MAX_STREAM_BYTES} bytes: not read to "
                               "its end; pass a file", file=path)
        else:
            raise UsiError(f"not a regular file ({_kind(mode)}), so not read", file=path)
    return gunzip(raw, path) if raw.startswith(GZIP_MAGIC) else raw


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def gunzip(raw: bytes, path: str) -> bytes:
    r"""The content of gzip data; more than the memory allows (a gzip bomb) is refused.

    >>> gunzip(b"\x1f\x8bxx", "runs.json.gz")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: runs.json.gz: starts like gzip data but cannot be unpacked ...
    """
    from usi_metric.runtime.memory import SHARE, available_bytes

    room = available_bytes()
    cap = MAX_STREAM_BYTES * 8 if room is None else int(room * SHARE)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
            out = gz.read(cap + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise UsiError(f"starts like gzip data but cannot be unpacked ({exc})",
                       file=path) from None
    if len(out) > cap:
        raise UsiError(f"unpacks to more than {cap} bytes, more than the memory available",
                       file=path)
    return out


def _max_digits() -> int:
    get = getattr(sys, "get_int_max_str_digits", None)
    return get() if get is not None else 4300


# A ``\uD800``-``\uDFFF`` escape: the only way a lone surrogate gets into parsed text (a
# strict UTF-8 decode refuses encoded ones). Most files have none, so most skip the walk.
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
# A surrogate escape that is a real escape (an even run of backslashes before it): a
# high + low pair (one character once parsed, as ``json.dumps`` writes an emoji), or alone
# (group 1: a lone surrogate once parsed). Pairs are consumed first, so a low escape right
# after a pair is seen alone.
_SURROGATE_ESCAPE = re.compile(
    r"(?<!\\)(?:\\\\)*(?:\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|(\\u[dD][89a-fA-F][0-9a-fA-F]{2}))")


def may_hold_lone_surrogate(text: str) -> bool:
    r"""True when the JSON text escapes a surrogate that is not half of a pair: only then
    does a lone surrogate get into the parsed data (a strict UTF-8 decode refuses encoded
    ones), and the walk of ``reject_lone_surrogates`` is needed. Escaped pairs (an emoji as
    ``json.dumps`` writes it) and text that merely looks like an escape (``\ud800``) are not.

    >>> may_hold_lone_surrogate(r'"\ud83d\udc4d"'), may_hold_lone_surrogate(r'"\ud83d"')
    (False, True)
    >>> may_hold_lone_surrogate(r'"\\ud800\udc00"')   # text "\ud800", then a lone low
    True
    """
    if _MAYBE_SURROGATE.search(text) is None:
        return False
    return any(_SURROGATE_ESCAPE.findall(text))  # group 1 of each: '' for a pair


_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    r"""True when ``text`` holds a surrogate code point (only a lone one survives parsing).

    >>> has_lone_surrogate("ok"), has_lone_surrogate("\udc80")
    (False, True)
    """
    return not text.isascii() and _SURROGATE.search(text) is not None


def shown(text: str) -> str:
    r"""Text safe to print: a lone surrogate written as its escape.

    >>> shown("airline_1\ud800")
    'airline_1\\ud800'
    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def reject_lone_surrogates(data: Any, path: str) -> None:
    r"""A :class:`UsiError` naming the id and field of the first string (key or value) that
    holds a lone surrogate: JSON allows the escape (``"\ud800"``), but it is not Unicode
    text, and no file, table or dataset can hold it.

    >>> reject_lone_surrogates({"airline_1": {"conversation": [{"content": "ok\udc00"}]}},
    ...                        "runs.json")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: runs.json: id airline_1: field conversation[0].content: ...
    """
    stack: list[tuple[Any, str | None, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if _SURROGATE.search(key):
                raise UsiError(SURROGATE_MSG, file=path, id=shown(key))
            stack.append((value, key, ""))
    else:
        stack.append((data, None, ""))
    while stack:
        value, iid, where = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise UsiError(SURROGATE_MSG, file=path, id=iid, field=where or None)
        elif isinstance(value, dict):
            for key, item in value.items():
                at = f"{where}.{shown(key)}" if where else shown(key)
                if _SURROGATE.search(key):
                    raise UsiError(SURROGATE_MSG, file=path, id=iid, field=at)
                stack.append((item, iid, at))
        elif isinstance(value, list):
            stack.extend((item, iid, f"{where}[{i}]") for i, item in
                         reversed(list(enumerate(value))))


SURROGATE_MSG = ("holds a lone surrogate (a \\ud800-\\udfff code point without its "
                 "pair), which is not Unicode text")


def parse_top_level(text: str) -> tuple[Any, str | None]:
    """``(value, first duplicate top-level key or None)`` of a JSON document.

    The top-level object is walked member by member and every value is parsed by ``json``'s
    own scanner, so a repeated top-level key is seen without a Python hook on every nested
    object (the slow way). Anything else is plain ``json.loads``.

    >>> parse_top_level('{"a": {"x": 1, "x": 2}, "b": [1], "a": 3}')
    ({'a': 3, 'b': [1]}, 'a')
    """
    decoder = json.JSONDecoder(parse_constant=reject_constant)
    skip = json.decoder.WHITESPACE.match
    i = skip(text, 0).end()
    if not text.startswith("{", i):
        return decoder.decode(text), None
    out: dict[str, Any] = {}
    duplicate: str | None = None
    i = skip(text, i + 1).end()
    if text.startswith("}", i):
        i += 1
    else:
        while True:
            if not text.startswith('"', i):
                raise json.JSONDecodeError(
                    "Expecting property name enclosed in double quotes", text, i)
            key, i = json.decoder.scanstring(text, i + 1, True)
            i = skip(text, i).end()
            if not text.startswith(":", i):
                raise json.JSONDecodeError("Expecting ':' delimiter", text, i)
            i = skip(text, i + 1).end()
            try:
                value, i = decoder.scan_once(text, i)
            except StopIteration as stop:
                raise json.JSONDecodeError("Expecting value", text, stop.value) from None
            if duplicate is None and key in out:
                duplicate = key
            out[key] = value
            i = skip(text, i).end()
            if text.startswith("}", i):
                i += 1
                break
            if not text.startswith(",", i):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
            i = skip(text, i + 1).end()
    i = skip(text, i).end()
    if i != len(text):
        raise json.JSONDecodeError("Extra data", text, i)
    return out, duplicate


def reject_constant(name: str) -> Any:
    raise ValueError(f"malformed JSON: {name} is not a number JSON allows")
