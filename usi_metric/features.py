"""Cleaning a conversation and its 19 behavioural features (USI_SPEC.md sections 2-3).

Pure functions: a conversation (list of ``{"role", "content"}``) in, numbers out.
Features are in RAW units here (rates as fractions); rows (``usi_metric.rows``) scale them.

>>> conv = [{"role": "assistant", "content": "How can I help?"},
...         {"role": "user", "content": "Thanks! Move my trip ABC123 please."}]
>>> f = featurize(conv)
>>> f["politeness_rate"], f["opening_words"], f["n_turns"]
(1.0, 6.0, 2.0)

The ID lexicon counts every lower-cased run of 6+ letters or digits, so ``thanks``,
``abc123`` and ``please`` are three matches here: that is the metric's definition.

>>> f["id_density"]
3.0
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from usi_metric.lexicons import LEXICONS

FEATURE_NAMES: tuple[str, ...] = (
    "politeness_rate",
    "short_msg_rate",
    "formality_rate",
    "ack_only_rate",
    "verbosity_cv",
    "repeat_rate",
    "id_confuse_rate",
    "info_frontload",
    "id_density",
    "user_words_per_turn",
    "opening_words",
    "uncertainty_rate",
    "certainty_rate",
    "pushback_q_rate",
    "clarify_q_rate",
    "info_q_rate",
    "emotion_rate",
    "accusation_rate",
    "pivot_rate",
)
COLUMNS: tuple[str, ...] = FEATURE_NAMES + ("n_turns",)

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "D1_conv": FEATURE_NAMES[0:7],
    "D2_info": FEATURE_NAMES[7:11],
    "D3_clarif": FEATURE_NAMES[11:16],
    "D4_react": FEATURE_NAMES[16:19],
}

# Columns reported x100 in a row (section 4): the rate features and info_frontload.
PERCENT_COLUMNS: frozenset[str] = frozenset(
    [n for n in FEATURE_NAMES if n.endswith("_rate")] + ["info_frontload"]
)

SOURCES = ("human", "llm")

_HUMAN_META_PREFIXES = ("\\tau ", "\\reward")
_HUMAN_META_MARKERS = ("<|canvas|>", "<|highlight|>", "<|survey|>")
_LLM_STOP = "###STOP###"
_REPEAT_LIMIT = 10
_SHORT_WORDS = 3

_P = LEXICONS


def _text(content: Any) -> str:
    """Message content as text: a missing or non-string content counts as empty."""
    return content if isinstance(content, str) else ""


def is_meta(content: str, source: str) -> bool:
    """True when a message is a meta message of its source, dropped before anything else.

    >>> is_meta("\\\\tau 3 of 5", "human"), is_meta(" ###STOP### ", "llm"), is_meta("ok", "llm")
    (True, True, False)
    """
    if source == "human":
        return (
            content.startswith(_HUMAN_META_PREFIXES)
            or any(m in content for m in _HUMAN_META_MARKERS)
            or content.strip() == "/stop"
        )
    return content.strip() == _LLM_STOP


def strip_markup(text: str) -> str:
    """Remove agent markup (think blocks, function calls, tool blocks), across lines.

    >>> strip_markup("a<|think|>x\\ny<|/think|>b")
    'ab'
    """
    return _P["AGENT_MARKUP"].sub("", text)


def clean_conversation(
    conversation: Iterable[Mapping[str, Any]], source: str
) -> list[tuple[str, str]]:
    """Drop meta messages, strip markup; return ``(role, text)`` of the remaining messages.

    >>> clean_conversation([{"role": "user", "content": "/stop"},
    ...                     {"role": "user", "content": "hi"}], "human")
    [('user', 'hi')]
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    out: list[tuple[str, str]] = []
    for msg in conversation:
        if not isinstance(msg, Mapping):
            continue
        content = _text(msg.get("content"))
        if is_meta(content, source):
            continue
        role = msg.get("role")
        out.append((role if isinstance(role, str) else "", strip_markup(content)))
    return out


def _share(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


def _repeat(word_lists: list[list[str]]) -> float:
    counts: Counter[tuple[str, str, str]] = Counter()
    for words in word_lists:
        counts.update(zip(words, words[1:], words[2:], strict=False))
    return 1.0 if any(c > _REPEAT_LIMIT for c in counts.values()) else 0.0


def user_turn_features(user_texts: list[str], n_turns: int) -> np.ndarray:
    """The feature vector (``COLUMNS`` order, raw units) of a non-empty list of user turns.

    >>> user_turn_features(["ok", "my id is 123456"], 3)[list(COLUMNS).index("id_density")]
    np.float64(0.5)
    """
    lowered = [t.lower() for t in user_texts]
    words = [t.split() for t in user_texts]
    w = np.array([len(ws) for ws in words], dtype=float)
    total = float(w.sum())
    mean_w = float(w.mean())

    pushback = [_P["PUSHBACK"].search(t) is not None for t in lowered]
    clarify = [
        (not pb) and _P["CLARIFY"].search(t) is not None
        for t, pb in zip(lowered, pushback, strict=True)
    ]
    infoq = [
        (not pb) and (not cl) and _P["INFOQ"].search(t) is not None
        for t, pb, cl in zip(lowered, pushback, clarify, strict=True)
    ]

    def rate(name: str) -> float:
        return _share([_P[name].search(t) is not None for t in lowered])

    values = {
        "politeness_rate": rate("POLITE"),
        "short_msg_rate": _share([n <= _SHORT_WORDS for n in w]),
        "formality_rate": _share([_P["DASH"].search(t) is not None for t in user_texts]),
        "ack_only_rate": _share([_P["ACK"].match(t.strip()) is not None for t in lowered]),
        "verbosity_cv": float(np.std(w)) / mean_w if mean_w != 0 else 0.0,
        "repeat_rate": _repeat(words),
        "id_confuse_rate": 1.0 if any(_P["ID_CONFUSE"].search(t) for t in lowered) else 0.0,
        "info_frontload": float(w[:2].sum()) / total if total != 0 else 0.0,
        "id_density": float(np.mean([len(_P["ID"].findall(t)) for t in lowered])),
        "user_words_per_turn": mean_w,
        "opening_words": float(w[0]),
        "uncertainty_rate": rate("UNCERTAIN"),
        "certainty_rate": rate("CERTAIN"),
        "pushback_q_rate": _share(pushback),
        "clarify_q_rate": _share(clarify),
        "info_q_rate": _share(infoq),
        "emotion_rate": rate("EMOTION"),
        "accusation_rate": rate("ACCUSE"),
        "pivot_rate": rate("PIVOT"),
        "n_turns": float(n_turns),
    }
    return np.array([values[c] for c in COLUMNS], dtype=float)


def featurize_array(conversation: Iterable[Mapping[str, Any]], source: str) -> np.ndarray | None:
    """The ``COLUMNS`` vector of one conversation, or None when it yields no features.

    >>> featurize_array([{"role": "assistant", "content": "hello"}], "human") is None
    True
    """
    cleaned = clean_conversation(conversation, source)
    user_texts = [text for role, text in cleaned if role == "user"]
    if not cleaned or not user_texts:
        return None
    return user_turn_features(user_texts, len(cleaned))


def featurize(
    conversation: Iterable[Mapping[str, Any]], source: str = "human"
) -> dict[str, float] | None:
    """The 19 features plus ``n_turns`` of one conversation, raw units, or None.

    >>> featurize([{"role": "user", "content": "ok"}])["ack_only_rate"]
    1.0
    """
    vec = featurize_array(conversation, source)
    if vec is None:
        return None
    return {name: float(v) for name, v in zip(COLUMNS, vec, strict=True)}


def featurize_many(
    conversations: Iterable[Iterable[Mapping[str, Any]]], source: str
) -> tuple[np.ndarray, np.ndarray]:
    """Featurize many conversations once: ``(matrix N x len(COLUMNS), mask of valid rows)``.

    Rows that yield no features are zeros with ``mask`` False.

    >>> m, ok = featurize_many([[{"role": "user", "content": "hi"}], []], "human")
    >>> m.shape, ok.tolist()
    ((2, 20), [True, False])
    """
    vecs = [featurize_array(c, source) for c in conversations]
    matrix = np.zeros((len(vecs), len(COLUMNS)), dtype=float)
    mask = np.zeros(len(vecs), dtype=bool)
    for i, v in enumerate(vecs):
        if v is not None:
            matrix[i] = v
            mask[i] = True
    return matrix, mask
