"""The linear-time fast paths equal the plain patterns (the definition), on inputs where the
plain patterns finish: hypothesis property tests plus hand-picked cases.

Texts are built from fragments rich in what each pattern cares about (word characters,
underscores, digits, '@', '.', '#', '?', apostrophes, spaces, newlines, lexicon words,
markup tags), kept short so that the backtracking plain patterns stay fast.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from usi_metric.aggregation.numpy_order import numpy_sum
from usi_metric.features import anchors, fastmatch
from usi_metric.features.extract import _ANCHORS, population_std
from usi_metric.features.lexicons import LEXICONS

SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

CHARS = list("az1090_@.#?' \n\t-,!Zé٣x") + ["\u2014", "\u00e9", "\u0130", "_1", "a_"]
ID_BITS = ["12345", "_123", "_12", "abc123", "gift_card_", "credit_card_", "paypal_",
           "a@b.c", "@", ".", "#", "user_", "x_y_", "9999"]
PUSH_BITS = ["don't ask me ", "do not ask me ", "dont ask me ", "don't ask me", " again",
             "again", "againx", "ask me ", "i would never", "are you sure", "that's wrong",
             "why won't", "do", "n't", " not"]
MARKUP_BITS = ["<|think|>", "<|/think|>", "<|tool|>", "<|/tool|>", "<function=",
               "</function>", "<", "|", ">", "<|", "think", "/"]
LEXICON_WORDS = sorted({w for name in ("POLITE", "EMOTION", "UNCERTAIN", "CERTAIN",
                                       "PUSHBACK", "CLARIFY", "INFOQ", "ACCUSE", "PIVOT",
                                       "ID_CONFUSE")
                        for w in re.findall(r"[a-z]+", LEXICONS[name].pattern)})
GLUE = [" ", " ", " ", ", ", "? ", "'", ". ", "\n", "-", "x", "s"]


def texts(bits: list[str], max_parts: int = 14) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(bits), max_size=max_parts).map("".join)


def sentences() -> st.SearchStrategy[str]:
    return st.lists(st.tuples(st.sampled_from(LEXICON_WORDS), st.sampled_from(GLUE)),
                    max_size=10).map(lambda parts: "".join(w + g for w, g in parts))


def test_the_fast_paths_are_in_use_for_the_shipped_lexicons() -> None:
    # otherwise every test below would compare the plain patterns with themselves
    assert fastmatch.fast_paths_active() == {"ID": True, "PUSHBACK": True,
                                             "AGENT_MARKUP": True}
    assert all(a is not None for a in _ANCHORS.values())


# ----------------------------------------------------------------------------- ID


def plain_id(text: str) -> int:
    return len(LEXICONS["ID"].findall(text))


@SETTINGS
@given(st.one_of(texts(CHARS, 40), texts(CHARS + ID_BITS, 16), st.text(max_size=40)))
def test_id_count_equals_findall(text: str) -> None:
    assert fastmatch.id_count(text) == plain_id(text)
    assert fastmatch.id_count(text, re.findall(r"\w+", text)) == plain_id(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("", 0),
    ("abcdef", 1),                      # A1: a run of 6 of [a-z0-9]
    ("abcde", 0),
    ("abcdefé", 0),                     # A1 needs the whole run in [a-z0-9]
    ("x_y_123z_99999", 1),              # A2 wins at the run start (five digits), whole run
    ("x_y_123z", 1),                    # A3 "x_y_123"; nothing matches from "z" on
    ("a_b_123gift_card_x", 2),          # A3 "a_b_123", then the literal from where it stopped
    ("a_b_123q@b.c", 2),                # A3 "a_b_123", then A7 "q@b.c"
    ("#12345", 1), ("#1234", 0), ("#abc12345", 1),
    ("mail a@b.c and a@b", 1),
    ("gift_card_", 0), ("gift_card_1", 1), ("xgift_card_1", 1),
    ("_" * 300, 0), ("a_" * 150, 0), ("é" * 300, 0),
])
def test_id_count_hand_picked(text: str, expected: int) -> None:
    assert plain_id(text) == expected
    assert fastmatch.id_count(text) == expected


# ----------------------------------------------------------------------------- PUSHBACK


@SETTINGS
@given(st.one_of(texts(PUSH_BITS + CHARS, 12), sentences()))
def test_has_pushback_equals_search(text: str) -> None:
    expected = LEXICONS["PUSHBACK"].search(text) is not None
    assert fastmatch.has_pushback(text) == expected
    assert fastmatch.has_pushback(text, anchors.text_words(text)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("don't ask me that again", True),
    ("don't ask me again", False),          # " again" must come after "ask me "
    ("don't ask me  again", True),
    ("don't ask me that\nagain", False),    # `.` stops at a newline
    ("don't ask me " * 50 + "\nthen again", False),
    ("don't ask me " * 50 + "once again", True),
    ("xdon't ask me that again", False),    # \b before "do"
    ("don't ask me it againx", False),      # \b after "again"
    ("dont ask me it again?", True),
])
def test_has_pushback_hand_picked(text: str, expected: bool) -> None:
    assert (LEXICONS["PUSHBACK"].search(text) is not None) == expected
    assert fastmatch.has_pushback(text) == expected


# ----------------------------------------------------------------------------- AGENT_MARKUP


@SETTINGS
@given(texts(MARKUP_BITS + ["a", " ", "\n", "b"], 16))
def test_strip_markup_equals_sub(text: str) -> None:
    assert fastmatch.strip_markup(text) == LEXICONS["AGENT_MARKUP"].sub("", text)


@pytest.mark.parametrize(("text", "expected"), [
    ("a<|think|>x<|/think|>b", "ab"),
    ("a<|think|>x", "a<|think|>x"),                    # no closer: kept
    ("<|think|><|think|>x<|/think|>", ""),             # lazy up to the first closer
    ("a<function=f>b</function>c</function>", "ac</function>"),
    ("a<function=f>b\n", "a\n"),                       # `$` stops before a final newline
    ("a<function=\n", "a\n"),
    ("a<function=", "a"),
    ("<|tool|>a<|/think|>b<|/tool|>c", "c"),
])
def test_strip_markup_hand_picked(text: str, expected: str) -> None:
    assert LEXICONS["AGENT_MARKUP"].sub("", text) == expected
    assert fastmatch.strip_markup(text) == expected


# ----------------------------------------------------------------------------- anchors


@SETTINGS
@given(st.one_of(sentences(), texts(LEXICON_WORDS + GLUE, 12)))
def test_anchor_prefilter_never_skips_a_match(text: str) -> None:
    words = anchors.text_words(text)
    for name, anc in _ANCHORS.items():
        if LEXICONS[name].search(text) is not None:
            assert anchors.may_match(anc, words), name


def test_anchor_prefilter_skips_something() -> None:
    # not vacuous: a text without the lexicon's words is skipped
    assert not anchors.may_match(_ANCHORS["POLITE"], anchors.text_words("move my trip"))
    # CLARIFY's "you said .{0,30}\?" needs both words; "said" alone cannot match
    assert not anchors.may_match(_ANCHORS["CLARIFY"], anchors.text_words("he said"))
    assert anchors.may_match(_ANCHORS["CLARIFY"], anchors.text_words("you said"))


def test_anchor_words_of_unsupported_patterns() -> None:
    assert anchors.anchor_words(re.compile(r"\b(a.b)\b")) is None       # no whole word
    assert anchors.anchor_words(re.compile(r"(please)")) is None        # no \b...\b shape
    assert anchors.anchor_words(re.compile(r"\b(please)\b", re.I)) is None
    assert anchors.anchor_words(re.compile(r"\b(?=x)(please)\b")) is None


def test_anchor_words_by_hand() -> None:
    a = anchors.anchor_words(re.compile(r"\b(i'?m (lost|sure)|you said .{0,30}\?|so)\b"))
    assert a is not None
    # "i'm lost" and "im lost": {lost, m, i} / {lost, im}; "you said ...?": {said, you}
    assert anchors.may_match(a, {"i", "m", "lost"}) and anchors.may_match(a, {"im", "lost"})
    assert not anchors.may_match(a, {"lost"})              # the other words are needed too
    assert anchors.may_match(a, {"you", "said"}) and not anchors.may_match(a, {"said"})
    assert anchors.may_match(a, {"so"})


# ----------------------------------------------------------------------------- std


@settings(max_examples=500, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=12))
def test_population_std_is_numpys_bit_for_bit(values: list[int]) -> None:
    expected = float(np.std(np.array(values, dtype=float)))
    assert population_std(values, sum(values) / len(values)) == expected


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False) | st.sampled_from([0.0, 1 / 3, 0.5, 2 / 3, 1.0]),
                max_size=20))
def test_numpy_sum_and_mean_are_numpys_bit_for_bit(values: list[float]) -> None:
    assert numpy_sum(values) == float(np.sum(np.array(values, dtype=float)))
    if values:  # the survey agreement's mean
        assert numpy_sum(values) / len(values) == float(np.mean(values))
