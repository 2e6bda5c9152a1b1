"""The 14 regex lexicons of the USI features, loaded from the shipped ``lexicons.json``.

The patterns are part of the metric's definition (docs/features.md): changing one
changes the metric. They are compiled exactly as written, with Python's ``re``.

>>> bool(LEXICONS["POLITE"].search("thanks a lot"))
True
>>> sorted(LEXICONS) == sorted(LEXICON_NAMES)
True
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

LEXICON_NAMES: tuple[str, ...] = (
    "POLITE",
    "EMOTION",
    "DASH",
    "ACK",
    "ID",
    "UNCERTAIN",
    "CERTAIN",
    "PUSHBACK",
    "CLARIFY",
    "INFOQ",
    "ACCUSE",
    "PIVOT",
    "ID_CONFUSE",
    "AGENT_MARKUP",
)

_FLAGS = {"": 0, "DOTALL": re.DOTALL}


def load_lexicon_data() -> dict[str, Any]:
    """Return the raw lexicon table shipped with the package (patterns as data).

    >>> load_lexicon_data()["DASH"]["how"]
    'search'
    """
    text = resources.files("usi_metric").joinpath("data", "lexicons.json").read_text("utf-8")
    return json.loads(text)


def lexicons_sha256() -> str:
    """The sha256 of the shipped ``lexicons.json`` (its bytes): which lexicons made a
    feature value (a human reference records it).

    >>> len(lexicons_sha256())
    64
    """
    import hashlib

    data = resources.files("usi_metric").joinpath("data", "lexicons.json").read_bytes()
    return hashlib.sha256(data).hexdigest()


def _compile_all() -> dict[str, re.Pattern[str]]:
    data = load_lexicon_data()
    out: dict[str, re.Pattern[str]] = {}
    for name in LEXICON_NAMES:
        entry = data[name]
        out[name] = re.compile(entry["pattern"], _FLAGS[entry.get("flags", "")])
    return out


LEXICONS: dict[str, re.Pattern[str]] = _compile_all()
