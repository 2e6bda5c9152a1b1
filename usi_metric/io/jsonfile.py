"""Reading a JSON file with one-line errors, and duplicate top-level ids caught.

>>> import os, tempfile
>>> p = os.path.join(tempfile.mkdtemp(), "x.json")
>>> _ = open(p, "w").write('{"b": 1}')
>>> read_json(p)
{'b': 1}
"""

from __future__ import annotations

import json
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
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        data, duplicate = parse_top_level(text)
    except FileNotFoundError:
        raise UsiError("file not found", file=path) from None
    except UnicodeDecodeError as exc:
        raise UsiError(f"not UTF-8 text ({exc.reason})", file=path) from None
    except json.JSONDecodeError as exc:
        raise UsiError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                       file=path) from None
    except ValueError as exc:
        raise UsiError(str(exc), file=path) from None
    except OSError as exc:
        raise UsiError(f"cannot read ({exc.strerror})", file=path) from None
    if duplicate is not None:
        raise UsiError("duplicate id in the top-level object", file=path, id=duplicate)
    return data


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
