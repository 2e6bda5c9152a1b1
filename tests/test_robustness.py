"""Feature extraction never crashes and never lies, whatever the conversation holds.

Hypothesis feeds any unicode, empty and large messages, missing or odd roles and contents,
non-string contents, junk messages and nested markup; every output must be None or a full
row with every rate in [0, 1], every count >= 0, nothing NaN or infinite. On inputs small
enough for the plain patterns, the result must also equal the straightforward definition
(docs/features.md written with the plain ``re`` patterns), float for float.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plain_features import plain_featurize

from usi_metric.features import (
    COLUMNS,
    FEATURE_NAMES,
    featurize,
    featurize_array,
    featurize_many,
)

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

RATES = [n for n in FEATURE_NAMES if n.endswith("_rate")] + ["info_frontload"]
COUNTS = ["verbosity_cv", "id_density", "user_words_per_turn", "opening_words", "n_turns"]

MARKUP = ["<|think|>", "<|/think|>", "<|tool|>", "<|/tool|>", "<function=", "</function>",
          "<|canvas|>", "<|highlight|>", "<|survey|>", "\\tau ", "\\reward", "/stop",
          "###STOP###"]
WORDS = ["please", "thanks", "sorry", "i'm not sure", "what do you mean", "are you sure",
         "don't ask me ", " again", "ok", "yes!", "how much", "instead", "ugh", "useless",
         "abc123", "user_id_12345", "gift_card_9", "a@b.co", "#W1234567", "\u2014", "\u2013",
         "_", "?", "\n", " ", "é", "İ"]

text_content = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=30),  # lone surrogates too
    st.lists(st.sampled_from(MARKUP + WORDS), max_size=12).map("".join),
    st.lists(st.one_of(st.sampled_from(MARKUP + WORDS), st.text(max_size=5)),
             max_size=8).map("".join),
)
odd_content = st.one_of(st.none(), st.integers(), st.floats(allow_nan=True),
                        st.lists(st.text(max_size=3), max_size=2),
                        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
                        st.booleans())
roles = st.one_of(st.sampled_from(["user", "assistant", "tool", "system", "", "User"]),
                  st.none(), st.integers(), st.text(max_size=4))


@st.composite
def messages(draw: Any) -> Any:
    kind = draw(st.integers(0, 9))
    if kind == 0:  # junk where a message should be
        return draw(st.one_of(st.none(), st.text(max_size=5), st.integers(),
                              st.lists(st.integers(), max_size=2)))
    msg: dict[Any, Any] = {}
    if draw(st.integers(0, 9)):
        msg["role"] = draw(roles) if kind == 1 else "user" if kind < 7 else draw(roles)
    if draw(st.integers(0, 9)):
        msg["content"] = draw(odd_content) if kind == 2 else draw(text_content)
    if kind == 3:
        msg[draw(st.text(max_size=3))] = draw(st.text(max_size=3))
    return msg


conversations = st.lists(messages(), max_size=8)
sources = st.sampled_from(["human", "llm"])


def check_row(row: Mapping[str, float]) -> None:
    assert list(row) == list(COLUMNS)
    for name, value in row.items():
        assert isinstance(value, float), name
        assert math.isfinite(value), (name, value)
    for name in RATES:
        assert 0.0 <= row[name] <= 1.0, (name, row[name])
    for name in COUNTS:
        assert row[name] >= 0.0, (name, row[name])
    assert row["n_turns"] >= 1.0 and row["n_turns"] == int(row["n_turns"])
    assert row["opening_words"] == int(row["opening_words"])


# ----------------------------------------------------------------------------- the oracle


def plain_features(conversation: list[Any], source: str) -> list[float] | None:
    """docs/features.md, the obvious way, with the plain patterns (slow on crafted text)."""
    vec = plain_featurize(conversation, source)
    return None if vec is None else [float(x) for x in vec]


# ----------------------------------------------------------------------------- properties


@SETTINGS
@given(conversations, sources)
def test_any_conversation_gives_a_valid_row_equal_to_the_definition(conv: Any,
                                                                     source: str) -> None:
    row = featurize(conv, source)
    expected = plain_features(conv, source)
    if expected is None:
        assert row is None
        assert featurize_array(conv, source) is None
        return
    assert row is not None
    check_row(row)
    assert list(row.values()) == expected  # float for float


@SETTINGS
@given(st.lists(conversations, max_size=6), sources)
def test_featurize_many_rows_are_featurize_rows(convs: Any, source: str) -> None:
    matrix, mask = featurize_many(convs, source, workers=1)
    assert matrix.shape == (len(convs), len(COLUMNS)) and mask.shape == (len(convs),)
    assert np.isfinite(matrix).all()
    for conv, vec, ok in zip(convs, matrix, mask, strict=True):
        row = featurize(conv, source)
        assert ok == (row is not None)
        assert vec.tolist() == (list(row.values()) if row else [0.0] * len(COLUMNS))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(WORDS + MARKUP + ["a_", "1", "é", "x"]), st.integers(5_000, 60_000))
def test_huge_repetitive_messages_give_a_valid_row(unit: str, size: int) -> None:
    text = (unit * (size // len(unit) + 1))[:size]
    row = featurize([{"role": "user", "content": text},
                     {"role": "user", "content": text[: size // 3]}], "llm")
    if row is not None:  # e.g. "###STOP###" repeated is not a stop message: it has words
        check_row(row)


def test_edge_cases_by_hand() -> None:
    assert featurize([], "human") is None
    assert featurize([{"role": "assistant", "content": "hi"}], "human") is None  # no user
    assert featurize([{"role": "user", "content": "/stop"}], "human") is None     # meta only
    row = featurize([{"role": "user"}, {"role": "user", "content": None},
                     {"role": "user", "content": 5}], "llm")
    assert row is not None  # three empty user turns: 0 words each
    check_row(row)
    assert row["user_words_per_turn"] == 0.0 and row["short_msg_rate"] == 1.0
    assert row["verbosity_cv"] == 0.0 and row["info_frontload"] == 0.0
    assert row["n_turns"] == 3.0
    row = featurize(["junk", None, {"content": "no role"}, {"role": "user", "content": ""}],
                    "human")
    assert row is not None and row["n_turns"] == 2.0  # the role-less message still counts
    # markup nested and unbalanced: the plain definition decides
    conv = [{"role": "user", "content": "<|think|>a<|think|>b<|/think|>c<|/think|>ok"}]
    assert featurize(conv, "llm") == dict(zip(COLUMNS, plain_features(conv, "llm"),
                                              strict=True))
