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

Matching is linear in the length of the text whatever it contains: the three official patterns
that backtrack badly on crafted text (ID, PUSHBACK, AGENT_MARKUP) go through the proven-equal
fast paths of :mod:`usi_metric.fastmatch`; every other pattern is used as shipped. Large sets
are featurized on several processes (:mod:`usi_metric.parallel`) with identical results.
"""

from __future__ import annotations

import gc
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from usi_metric import fastmatch
from usi_metric.anchors import anchor_words, may_match, word_runs
from usi_metric.lexicons import LEXICONS
from usi_metric.numpy_order import numpy_sum

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
_ACK = _P["ACK"]
# Searches that cannot match (none of the lexicon's anchor words in the turn) are skipped.
_ANCHORS = {name: anchor_words(_P[name]) for name in (
    "POLITE", "EMOTION", "UNCERTAIN", "CERTAIN", "CLARIFY", "INFOQ", "ACCUSE", "PIVOT",
    "ID_CONFUSE")}
# The DASH lexicon ``[\u2014\u2013]`` as two substring tests (the regex if it ever changes).
_DASH_AS_SUBSTRINGS = _P["DASH"].pattern == r"[\u2014\u2013]"

# Per-turn results are memoised by text (identical texts give identical results); long texts
# are not kept, so the memory held stays small.
_CACHE_TEXT_MAX = 2048
_CACHE_SIZE = 1 << 15


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
            or ("<|" in content and any(m in content for m in _HUMAN_META_MARKERS))
            or ("/stop" in content and content.strip() == "/stop")
        )
    return _LLM_STOP in content and content.strip() == _LLM_STOP


def strip_markup(text: str) -> str:
    """Remove agent markup (think blocks, function calls, tool blocks), across lines.

    Same result as ``LEXICONS["AGENT_MARKUP"].sub("", text)``, in linear time.

    >>> strip_markup("a<|think|>x\\ny<|/think|>b")
    'ab'
    """
    return fastmatch.strip_markup(text)


def is_mapping(value: Any) -> bool:
    """``isinstance(value, Mapping)``, with the common case (a plain dict) checked first:
    the ABC check costs more than the rest of a message's handling.

    >>> is_mapping({}), is_mapping([("role", "user")])
    (True, False)
    """
    return type(value) is dict or isinstance(value, Mapping)


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
        if not is_mapping(msg):
            continue
        content = _text(msg.get("content"))
        if is_meta(content, source):
            continue
        role = msg.get("role")
        out.append((role if isinstance(role, str) else "", strip_markup(content)))
    return out


def _user_texts(conversation: Iterable[Mapping[str, Any]], source: str) -> tuple[list[str], int]:
    """``(user texts, number of remaining messages)``: what ``clean_conversation`` keeps.

    >>> _user_texts([{"role": "user", "content": "a<|tool|>x<|/tool|>"}, "junk",
    ...              {"role": "assistant"}, {"content": "###STOP###"}], "llm")
    (['a'], 2)
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    human = source == "human"
    texts: list[str] = []
    n = 0
    for msg in conversation:
        if not is_mapping(msg):
            continue
        content = msg.get("content")
        if not isinstance(content, str):
            content = ""
        if human:
            if is_meta(content, "human"):
                continue
        elif _LLM_STOP in content and content.strip() == _LLM_STOP:
            continue
        n += 1
        role = msg.get("role")
        if isinstance(role, str) and role == "user":
            texts.append(fastmatch.strip_markup(content) if "<" in content else content)
    return texts, n


# (pattern, anchor words) of the lexicons searched in every turn, in the _compute_turn order
_PLAIN_SEARCHES = tuple((_P[n], _ANCHORS[n]) for n in (
    "POLITE", "ID_CONFUSE", "UNCERTAIN", "CERTAIN", "EMOTION", "ACCUSE", "PIVOT"))


def _search(name: str, low: str, words: set[str]) -> bool:
    """``LEXICONS[name].search(low) is not None``, skipped when it cannot match."""
    return may_match(_ANCHORS[name], words) and _P[name].search(low) is not None


def _max_trigram_count(words: tuple[str, ...]) -> int:
    if len(set(words)) == len(words):
        return 1 if len(words) >= 3 else 0  # distinct words: distinct trigrams
    trigrams = list(zip(words, words[1:], words[2:], strict=False))
    if len(set(trigrams)) == len(trigrams):
        return 1 if trigrams else 0
    return max(Counter(trigrams).values())


# What one user turn contributes, in this order (``_compute_turn``).
_TURN_FIELDS = ("n_words", "words", "max_trigram", "polite", "dash", "ack", "id_confuse",
                "ids", "uncertain", "certain", "pushback", "clarify", "infoq", "emotion",
                "accuse", "pivot")


def _compute_turn(text: str) -> tuple[Any, ...]:
    """One user turn's contribution, ``_TURN_FIELDS`` in order (lexicons on the lowered
    text, the dash on the text itself)."""
    low = text.lower()
    words = tuple(text.split())
    runs = word_runs(low)
    ws = set(runs)
    polite, id_confuse, uncertain, certain, emotion, accuse, pivot = [
        may_match(anchors, ws) and pattern.search(low) is not None
        for pattern, anchors in _PLAIN_SEARCHES]
    pushback = fastmatch.has_pushback(low, ws)
    clarify = (not pushback) and _search("CLARIFY", low, ws)
    infoq = (not pushback) and (not clarify) and _search("INFOQ", low, ws)
    return (len(words), words, _max_trigram_count(words), polite, _has_dash(text),
            _ACK.match(low.strip()) is not None, id_confuse, fastmatch.id_count(low, runs),
            uncertain, certain, pushback, clarify, infoq, emotion, accuse, pivot)


def _has_dash(text: str) -> bool:
    if _DASH_AS_SUBSTRINGS:
        return "\u2014" in text or "\u2013" in text
    return _P["DASH"].search(text) is not None


_cached_turn = lru_cache(maxsize=_CACHE_SIZE)(_compute_turn)


def _repeat(word_lists: Iterable[tuple[str, ...]], bound: int) -> float:
    """1.0 when a word trigram occurs more than 10 times over the turns, else 0.0.

    ``bound`` is the sum over turns of the largest count of one trigram in that turn: no
    trigram can occur more often than that in total, so at most 10 settles it at once.
    """
    if bound <= _REPEAT_LIMIT:
        return 0.0
    counts: Counter[tuple[str, str, str]] = Counter()
    for words in word_lists:
        counts.update(zip(words, words[1:], words[2:], strict=False))
    return 1.0 if any(c > _REPEAT_LIMIT for c in counts.values()) else 0.0


def population_std(values: Sequence[int], mean: float) -> float:
    """``float(numpy.std(values))`` for small whole numbers, bit for bit; ``mean`` is
    ``sum(values) / len(values)``: the squared deviations summed in numpy's order
    (:func:`usi_metric.numpy_order.numpy_sum`), divided by the count.

    >>> population_std([1, 2, 4], 7 / 3) == float(np.std([1.0, 2.0, 4.0]))
    True
    """
    if len(values) == 1 or min(values) == max(values):
        return 0.0  # every deviation is exactly 0
    squares = [(v - mean) * (v - mean) for v in values]
    return math.sqrt(numpy_sum(squares) / len(values))


def _session_vector(user_texts: list[str], n_turns: int) -> list[float]:
    """The ``COLUMNS`` values of a non-empty list of user turns, as Python floats.

    Sums of word counts and ID counts are exact integers, so ``total / n`` equals numpy's
    ``mean`` (and every share is the same division as before); the standard deviation is
    numpy's, step for step (``population_std``).
    """
    turns = [_cached_turn(t) if len(t) <= _CACHE_TEXT_MAX else _compute_turn(t)
             for t in user_texts]
    n = len(turns)
    col = dict(zip(_TURN_FIELDS, zip(*turns, strict=True), strict=True))
    w = col["n_words"]
    total = sum(w)
    mean_w = total / n

    def share(field: str) -> float:
        return sum(col[field]) / n

    values = {
        "politeness_rate": share("polite"),
        "short_msg_rate": sum(1 for x in w if x <= _SHORT_WORDS) / n,
        "formality_rate": share("dash"),
        "ack_only_rate": share("ack"),
        "verbosity_cv": 0.0 if mean_w == 0 else population_std(w, mean_w) / mean_w,
        "repeat_rate": _repeat(col["words"], sum(col["max_trigram"])),
        "id_confuse_rate": 1.0 if any(col["id_confuse"]) else 0.0,
        "info_frontload": (w[0] + (w[1] if n > 1 else 0)) / total if total != 0 else 0.0,
        "id_density": share("ids"),
        "user_words_per_turn": mean_w,
        "opening_words": float(w[0]),
        "uncertainty_rate": share("uncertain"),
        "certainty_rate": share("certain"),
        "pushback_q_rate": share("pushback"),
        "clarify_q_rate": share("clarify"),
        "info_q_rate": share("infoq"),
        "emotion_rate": share("emotion"),
        "accusation_rate": share("accuse"),
        "pivot_rate": share("pivot"),
        "n_turns": float(n_turns),
    }
    return [values[c] for c in COLUMNS]


def user_turn_features(user_texts: list[str], n_turns: int) -> np.ndarray:
    """The feature vector (``COLUMNS`` order, raw units) of a non-empty list of user turns.

    >>> user_turn_features(["ok", "my id is 123456"], 3)[list(COLUMNS).index("id_density")]
    np.float64(0.5)
    """
    if not user_texts:
        raise ValueError("user_turn_features needs at least one user turn")
    return np.array(_session_vector(list(user_texts), n_turns), dtype=float)


def _vector_or_none(conversation: Iterable[Mapping[str, Any]], source: str) -> list[float] | None:
    texts, n = _user_texts(conversation, source)
    if not texts:
        return None
    return _session_vector(texts, n)


def featurize_array(conversation: Iterable[Mapping[str, Any]], source: str) -> np.ndarray | None:
    """The ``COLUMNS`` vector of one conversation, or None when it yields no features.

    >>> featurize_array([{"role": "assistant", "content": "hello"}], "human") is None
    True
    """
    vec = _vector_or_none(conversation, source)
    return None if vec is None else np.array(vec, dtype=float)


def featurize(
    conversation: Iterable[Mapping[str, Any]], source: str = "human"
) -> dict[str, float] | None:
    """The 19 features plus ``n_turns`` of one conversation, raw units, or None.

    >>> featurize([{"role": "user", "content": "ok"}])["ack_only_rate"]
    1.0
    """
    vec = _vector_or_none(conversation, source)
    if vec is None:
        return None
    return dict(zip(COLUMNS, vec, strict=True))


def featurize_rows(
    conversations: Iterable[Iterable[Mapping[str, Any]]], source: str
) -> list[list[float] | None]:
    """One ``COLUMNS`` list (or None) per conversation, in this process.

    The cyclic garbage collector is paused meanwhile: featurizing makes no reference
    cycles, and collections would otherwise rescan every object the caller holds.

    >>> featurize_rows([[{"role": "user", "content": "hi"}], []], "human")[1] is None
    True
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return [_vector_or_none(c, source) for c in conversations]
    finally:
        if paused:
            gc.enable()


def rows_to_matrix(rows: list[list[float] | None]) -> tuple[np.ndarray, np.ndarray]:
    """``(matrix N x len(COLUMNS), mask)`` from ``featurize_rows`` output; None rows are zeros.

    >>> m, ok = rows_to_matrix([[1.0] * len(COLUMNS), None])
    >>> m.shape, ok.tolist()
    ((2, 20), [True, False])
    """
    zeros = [0.0] * len(COLUMNS)
    matrix = np.array([zeros if r is None else r for r in rows], dtype=float)
    matrix = matrix.reshape(len(rows), len(COLUMNS))
    mask = np.array([r is not None for r in rows], dtype=bool)
    return matrix, mask


def featurize_many(
    conversations: Iterable[Iterable[Mapping[str, Any]]], source: str,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Featurize many conversations once: ``(matrix N x len(COLUMNS), mask of valid rows)``.

    Rows that yield no features are zeros with ``mask`` False. ``workers``: processes to use
    (1: this process only); None picks by size (``usi_metric.parallel.auto_workers``: one
    process for small sets, every core for large ones, ``USI_WORKERS`` overrides). The
    result is the same whatever the number of processes.

    >>> m, ok = featurize_many([[{"role": "user", "content": "hi"}], []], "human")
    >>> m.shape, ok.tolist()
    ((2, 20), [True, False])
    """
    from usi_metric import parallel

    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    return rows_to_matrix(parallel.featurize_rows_parallel(list(conversations), source, workers))
