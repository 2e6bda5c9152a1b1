"""The definition of the features written the obvious way: the oracle of the fast path.

``plain_featurize`` follows docs/features.md line by line with the plain ``re``
patterns of ``usi_metric.features.lexicons``. It is slow (some official patterns backtrack badly on
crafted text) and is not used to score; the tests and ``make bench`` check that
``usi_metric.features`` gives the same floats, and the benchmark's baseline scorer uses it.

>>> plain_featurize([{"role": "user", "content": "thanks, my id is 123456"}], "human")[8]
np.float64(2.0)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from usi_metric.features.lexicons import LEXICONS as P


def plain_is_meta(content: str, source: str) -> bool:
    if source == "human":
        return (content.startswith(("\\tau ", "\\reward"))
                or any(m in content for m in ("<|canvas|>", "<|highlight|>", "<|survey|>"))
                or content.strip() == "/stop")
    return content.strip() == "###STOP###"


def plain_featurize(conversation: list[Mapping[str, Any]], source: str) -> np.ndarray | None:
    """docs/features.md with the plain patterns: the 20 ``COLUMNS`` values, or None."""
    cleaned = []
    for msg in conversation:
        if not isinstance(msg, Mapping):
            continue
        content = msg.get("content")
        content = content if isinstance(content, str) else ""
        if plain_is_meta(content, source):
            continue
        role = msg.get("role")
        cleaned.append((role if isinstance(role, str) else "", P["AGENT_MARKUP"].sub("", content)))
    texts = [t for r, t in cleaned if r == "user"]
    if not cleaned or not texts:
        return None
    low = [t.lower() for t in texts]
    words = [t.split() for t in texts]
    w = np.array([len(x) for x in words], dtype=float)
    total, mean_w = float(w.sum()), float(w.mean())

    def share(flags: list[bool]) -> float:
        return sum(flags) / len(flags)

    def rate(name: str) -> float:
        return share([P[name].search(t) is not None for t in low])

    pb = [P["PUSHBACK"].search(t) is not None for t in low]
    cl = [not p and P["CLARIFY"].search(t) is not None for t, p in zip(low, pb, strict=True)]
    iq = [not p and not c and P["INFOQ"].search(t) is not None
          for t, p, c in zip(low, pb, cl, strict=True)]
    tri: Counter[tuple[str, ...]] = Counter()
    for ws in words:
        tri.update(zip(ws, ws[1:], ws[2:], strict=False))
    return np.array([
        rate("POLITE"),
        share([n <= 3 for n in w]),
        share([P["DASH"].search(t) is not None for t in texts]),
        share([P["ACK"].match(t.strip()) is not None for t in low]),
        float(np.std(w)) / mean_w if mean_w != 0 else 0.0,
        1.0 if any(c > 10 for c in tri.values()) else 0.0,
        1.0 if any(P["ID_CONFUSE"].search(t) for t in low) else 0.0,
        float(w[:2].sum()) / total if total != 0 else 0.0,
        float(np.mean([len(P["ID"].findall(t)) for t in low])),
        mean_w,
        float(w[0]),
        rate("UNCERTAIN"),
        rate("CERTAIN"),
        share(pb),
        share(cl),
        share(iq),
        rate("EMOTION"),
        rate("ACCUSE"),
        rate("PIVOT"),
        float(len(cleaned)),
    ])
