"""Cleaning a conversation and its 19 behavioural features (docs/features.md).

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
fast paths of :mod:`usi_metric.features.fastmatch`; every other pattern is used as
shipped. Large sets are featurized on several processes (:mod:`usi_metric.runtime.parallel`)
with identical results.
"""

from __future__ import annotations

import math
import re
import struct
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from usi_metric.aggregation.numpy_order import numpy_sum
from usi_metric.features import fastmatch
from usi_metric.features.anchors import AnchorIndex, anchor_words
from usi_metric.features.lexicons import LEXICONS
from usi_metric.features.names import COLUMNS

SOURCES = ("human", "llm")

_HUMAN_META_PREFIXES = ("\\tau ", "\\reward")
_HUMAN_META_MARKERS = ("<|canvas|>", "<|highlight|>", "<|survey|>")
_LLM_STOP = "###STOP###"
_REPEAT_LIMIT = 10
_SHORT_WORDS = 3

_P = LEXICONS
_ACK = _P["ACK"].match
# Searches that cannot match (none of the lexicon's anchor words in the turn) are skipped.
_ANCHORS = {name: anchor_words(_P[name]) for name in (
    "POLITE", "EMOTION", "UNCERTAIN", "CERTAIN", "CLARIFY", "INFOQ", "ACCUSE", "PIVOT",
    "ID_CONFUSE")}
# The DASH lexicon ``[\u2014\u2013]`` as two substring tests (the regex if it ever changes).
_DASH_AS_SUBSTRINGS = _P["DASH"].pattern == r"[\u2014\u2013]"

# Per-turn results are memoised by text (identical texts give identical results) in a plain
# table that is emptied when full (an LRU's bookkeeping costs more than a turn on text that
# never repeats); long texts are not kept, so the memory held stays small.
_CACHE_TEXT_MAX = 2048
_CACHE_SIZE = 1 << 15
_TURNS: dict[str, tuple[Any, ...]] = {}


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


def user_texts(conversation: Iterable[Mapping[str, Any]], source: str) -> tuple[list[str], int]:
    """``(user texts, number of remaining messages)``: meta messages dropped, markup removed.

    >>> user_texts([{"role": "user", "content": "a<|tool|>x<|/tool|>"}, "junk",
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


# Every anchored search of a turn in one table: one look-up of the turn's words says which
# lexicons may match ("PUSHBACK_REST": PUSHBACK without its slow alternative).
_PUSHBACK_REST = "PUSHBACK_REST"
_INDEX = AnchorIndex({**_ANCHORS, _PUSHBACK_REST: fastmatch.PUSHBACK_REST_ANCHORS})
_B_POLITE, _POLITE = _INDEX.bits["POLITE"], _P["POLITE"].search
_B_ID_CONFUSE, _ID_CONFUSE = _INDEX.bits["ID_CONFUSE"], _P["ID_CONFUSE"].search
_B_UNCERTAIN, _UNCERTAIN = _INDEX.bits["UNCERTAIN"], _P["UNCERTAIN"].search
_B_CERTAIN, _CERTAIN = _INDEX.bits["CERTAIN"], _P["CERTAIN"].search
_B_EMOTION, _EMOTION = _INDEX.bits["EMOTION"], _P["EMOTION"].search
_B_ACCUSE, _ACCUSE = _INDEX.bits["ACCUSE"], _P["ACCUSE"].search
_B_PIVOT, _PIVOT = _INDEX.bits["PIVOT"], _P["PIVOT"].search
_B_PUSHBACK_REST = _INDEX.bits[_PUSHBACK_REST]
_B_CLARIFY, _CLARIFY = _INDEX.bits["CLARIFY"], _P["CLARIFY"].search
_B_INFOQ, _INFOQ = _INDEX.bits["INFOQ"], _P["INFOQ"].search
_WORD_RUN = re.compile(r"\w+").findall  # the runs of word characters (anchors.word_runs)
_id_count = fastmatch.id_count_scan
_has_pushback = fastmatch.has_pushback
_ascii_id_count = fastmatch.ascii_id_count
_ID_BY_RUNS = fastmatch.id_count_by_runs("")  # the ID fast path is in use
_RUN_IDS = fastmatch.RunIdCounts()  # the ID count of each run met (a pure function of it)
# Non-ASCII characters that are not word characters (punctuation, dashes, quotes,
# currency signs): a text with no other non-ASCII character has the runs of word characters
# and the ID count of its ASCII form with '?' (also a non-word character) for each of them.
_NON_WORD_LISTED = "".join(
    c for c in map(chr, [*range(0x80, 0x100), *range(0x2000, 0x2070), *range(0x20A0, 0x20D0)])
    if re.fullmatch(r"\w", c) is None)
_UNLISTED = re.compile("[^\x00-\x7f" + re.escape(_NON_WORD_LISTED) + "]").search
_NON_WORD_TO_SPACE = fastmatch.NON_WORD_TO_SPACE


def _max_trigram_count(words: list[str]) -> int:
    """The largest number of times one word trigram occurs in the words (0: none).

    A trigram at two positions i < j fills at least three positions beyond its first
    occurrence's distinct ones with repeated words (j >= i+3: positions j..j+2; j = i+2:
    a b a b a; j = i+1: a a a a), so with fewer than 3 repeated words every trigram is
    distinct.

    >>> _max_trigram_count("a b a b a".split()), _max_trigram_count("a b c a b".split())
    (2, 1)
    """
    n = len(words)
    if n < 3:
        return 0
    if n - len(set(words)) < 3:
        return 1
    trigrams = list(zip(words, words[1:], words[2:], strict=False))
    if len(set(trigrams)) == len(trigrams):
        return 1
    return max(Counter(trigrams).values())


# What one user turn contributes (``_compute_turn``): its word count, the largest count of one
# word trigram in it, its ID count, and its yes/no answers (``_FLAGS``) packed into one int,
# each in its own 32-bit lane. The sum of the turns' ints holds every count at once: a lane
# cannot overflow into the next below 2**32 turns (``_session_vector`` checks it).
_TURN_FIELDS = ("n_words", "max_trigram", "ids", "flags")
_FLAGS = ("short", "polite", "dash", "ack", "id_confuse", "uncertain", "certain", "pushback",
          "clarify", "infoq", "emotion", "accuse", "pivot")
_LANE = 32
_LANE_MASK = (1 << _LANE) - 1
(_F_SHORT, _F_POLITE, _F_DASH, _F_ACK, _F_ID_CONFUSE, _F_UNCERTAIN, _F_CERTAIN, _F_PUSHBACK,
 _F_CLARIFY, _F_INFOQ, _F_EMOTION, _F_ACCUSE, _F_PIVOT) = (
    1 << (_LANE * i) for i in range(len(_FLAGS)))


def _compute_turn(text: str) -> tuple[int, int, int, int]:
    """One user turn's contribution, ``_TURN_FIELDS`` in order (lexicons and trigram words on
    the lowered text, the dash on the text itself; lowering never changes the word count).
    ``turn_fields`` spells it out.

    The set of the turn's runs of word characters says, by one intersection with the anchor
    table (``AnchorIndex.bytes_verdicts`` / ``verdicts``), which anchored lexicons may match
    and which match for sure (a run that is a whole way of matching, ``Anchors.certain``): a
    lexicon no run makes possible is not searched (most turns match few lexicons), nor one
    a run matches for sure. When
    every word character of the turn is ASCII (``_UNLISTED``), the runs come from one byte
    translation and the ID count from their lengths (``fastmatch.ascii_id_count``); else
    from regex scans (``fastmatch.id_count_scan``). A text without the two dashes or
    without the words of a lexicon is settled by ``str`` and ``set`` operations alone.

    >>> _compute_turn("Thanks! Move my trip ABC123 please.") == (
    ...     6, 1, 3, _F_POLITE)
    True
    """
    low = text.lower()
    words = low.split()
    n = len(words)
    if low.isascii():
        raw = low.encode("ascii")
    elif _UNLISTED(low) is None:  # every non-ASCII character is a listed non-word one
        raw = low.encode("ascii", "replace")
    else:
        raw = None
    if raw is not None:  # the runs of word characters by one byte translation (no regex)
        runs = raw.translate(_NON_WORD_TO_SPACE).split()
        bits, sure = _INDEX.bytes_verdicts(set(runs))
        if _ID_BY_RUNS and b"@" not in raw:  # the sum over runs (fastmatch.id_count)
            ids = sum(map(_RUN_IDS.__getitem__, runs))
        else:
            ids = _ascii_id_count(low, raw, runs)
    else:
        bits, sure = _INDEX.verdicts(set(_WORD_RUN(low)))
        ids = _id_count(low)
    # a lexicon is searched when a run makes it possible, unless a run alone matches it
    flags = _F_SHORT if n <= _SHORT_WORDS else 0
    if bits & _B_POLITE and (sure & _B_POLITE or _POLITE(low) is not None):
        flags |= _F_POLITE
    if bits & _B_ID_CONFUSE and (sure & _B_ID_CONFUSE or _ID_CONFUSE(low) is not None):
        flags |= _F_ID_CONFUSE
    if bits & _B_UNCERTAIN and (sure & _B_UNCERTAIN or _UNCERTAIN(low) is not None):
        flags |= _F_UNCERTAIN
    if bits & _B_CERTAIN and (sure & _B_CERTAIN or _CERTAIN(low) is not None):
        flags |= _F_CERTAIN
    if bits & _B_EMOTION and (sure & _B_EMOTION or _EMOTION(low) is not None):
        flags |= _F_EMOTION
    if bits & _B_ACCUSE and (sure & _B_ACCUSE or _ACCUSE(low) is not None):
        flags |= _F_ACCUSE
    if bits & _B_PIVOT and (sure & _B_PIVOT or _PIVOT(low) is not None):
        flags |= _F_PIVOT
    if _has_pushback(low, rest_may_match=bits & _B_PUSHBACK_REST != 0):
        flags |= _F_PUSHBACK  # CLARIFY and INFOQ only count in turns without PUSHBACK
    elif bits & _B_CLARIFY and (sure & _B_CLARIFY or _CLARIFY(low) is not None):
        flags |= _F_CLARIFY  # INFOQ only counts in turns without CLARIFY
    elif bits & _B_INFOQ and (sure & _B_INFOQ or _INFOQ(low) is not None):
        flags |= _F_INFOQ
    # a dash is kept by lower(), and is not ASCII: an ASCII lowered text has none
    if (not _DASH_AS_SUBSTRINGS or not low.isascii()) and _has_dash(text):
        flags |= _F_DASH
    if _ACK(low.strip()) is not None:
        flags |= _F_ACK
    # the largest trigram count (``_max_trigram_count``, its first two cases inline)
    if n < 3:
        trigram = 0
    elif n - len(set(words)) < 3:
        trigram = 1
    else:
        trigram = _max_trigram_count(words)
    return (n, trigram, ids, flags)


def turn_fields(text: str) -> dict[str, Any]:
    """``_compute_turn`` of a turn spelled out: its words, word count, largest trigram
    count, ID count and each yes/no answer (the names of ``_FLAGS``).

    >>> f = turn_fields("Sorry, what do you mean?")
    >>> f["words"], f["polite"], f["clarify"], f["infoq"], f["short"]
    (['sorry,', 'what', 'do', 'you', 'mean?'], True, True, False, False)
    """
    n, trigram, ids, flags = _compute_turn(text)
    out: dict[str, Any] = {"n_words": n, "words": text.lower().split(),
                           "max_trigram": trigram, "ids": ids}
    for i, name in enumerate(_FLAGS):
        out[name] = (flags >> (_LANE * i)) & 1 == 1
    return out


def _has_dash(text: str) -> bool:
    if _DASH_AS_SUBSTRINGS:
        return "\u2014" in text or "\u2013" in text
    return _P["DASH"].search(text) is not None


def clear_memos() -> None:
    """Forget every remembered turn and ID count (a cold start, for benchmarks).

    >>> clear_memos()
    """
    _TURNS.clear()
    _RUN_IDS.clear()


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
    numpy's, step for step (``population_std``). The yes/no counts are the lanes of the
    sum of the turns' flag ints (``_TURN_FIELDS``); the words of the turns are split again
    only when the trigram bound leaves the repeat rate open (``_repeat``).
    """
    memo = _TURNS
    turns = []
    for t in user_texts:
        turn = memo.get(t)
        if turn is None:
            turn = _compute_turn(t)
            if len(t) <= _CACHE_TEXT_MAX:
                if len(memo) >= _CACHE_SIZE:
                    memo.clear()
                memo[t] = turn
        turns.append(turn)
    n = len(turns)
    w, max_trigram, ids, flags = zip(*turns, strict=True)
    total = sum(w)
    mean_w = total / n
    if n <= _LANE_MASK:  # no lane can overflow: every count from one sum
        count = _LANES.unpack(sum(flags).to_bytes(_LANES.size, "little"))
    else:  # pragma: no cover - 2**32 turns in one conversation
        count = [sum((f >> shift) & 1 for f in flags) for shift in _SHIFTS]
    (short, polite, dash, ack, id_confuse, uncertain, certain, pushback, clarify, infoq,
     emotion, accuse, pivot) = count
    repeat = 0.0
    bound = sum(max_trigram)
    if bound > _REPEAT_LIMIT:
        repeat = _repeat((t.lower().split() for t in user_texts), bound)
    return [  # the order of COLUMNS (checked below the function)
        polite / n,
        short / n,
        dash / n,
        ack / n,
        0.0 if mean_w == 0 else population_std(w, mean_w) / mean_w,
        repeat,
        1.0 if id_confuse else 0.0,
        (w[0] + (w[1] if n > 1 else 0)) / total if total != 0 else 0.0,
        sum(ids) / n,
        mean_w,
        float(w[0]),
        uncertain / n,
        certain / n,
        pushback / n,
        clarify / n,
        infoq / n,
        emotion / n,
        accuse / n,
        pivot / n,
        float(n_turns),
    ]


_SHIFTS = tuple(_LANE * i for i in range(len(_FLAGS)))
_LANES = struct.Struct(f"<{len(_FLAGS)}I")  # the 32-bit lanes of a sum of flag ints
assert _LANE == 32
_VECTOR_ORDER = (
    "politeness_rate", "short_msg_rate", "formality_rate", "ack_only_rate", "verbosity_cv",
    "repeat_rate", "id_confuse_rate", "info_frontload", "id_density", "user_words_per_turn",
    "opening_words", "uncertainty_rate", "certainty_rate", "pushback_q_rate",
    "clarify_q_rate", "info_q_rate", "emotion_rate", "accusation_rate", "pivot_rate",
    "n_turns")
assert _VECTOR_ORDER == COLUMNS, "_session_vector lists the values in the order of COLUMNS"
assert _TURN_FIELDS == ("n_words", "max_trigram", "ids", "flags")
assert _FLAGS == ("short", "polite", "dash", "ack", "id_confuse", "uncertain", "certain",
                  "pushback", "clarify", "infoq", "emotion", "accuse", "pivot")


def vector_or_none(conversation: Iterable[Mapping[str, Any]], source: str) -> list[float] | None:
    texts, n = user_texts(conversation, source)
    if not texts:
        return None
    return _session_vector(texts, n)


def featurize_array(conversation: Iterable[Mapping[str, Any]], source: str) -> np.ndarray | None:
    """The ``COLUMNS`` vector of one conversation, or None when it yields no features.

    >>> featurize_array([{"role": "assistant", "content": "hello"}], "human") is None
    True
    """
    vec = vector_or_none(conversation, source)
    return None if vec is None else np.array(vec, dtype=float)


def featurize(
    conversation: Iterable[Mapping[str, Any]], source: str = "human"
) -> dict[str, float] | None:
    """The 19 features plus ``n_turns`` of one conversation, raw units, or None.

    >>> featurize([{"role": "user", "content": "ok"}])["ack_only_rate"]
    1.0
    """
    vec = vector_or_none(conversation, source)
    if vec is None:
        return None
    return dict(zip(COLUMNS, vec, strict=True))
