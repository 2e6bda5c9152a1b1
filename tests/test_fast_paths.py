"""The speed-ups of issue 15 change no result: each fast path against the plain way.

The one-table anchor look-up against ``may_match`` per lexicon; the ID count summed over runs
against ``LEXICONS["ID"].findall``; the per-turn and per-run memos (a turn gives the same
contribution cold, warm, and after the tables were emptied); the Eval draw against
``Generator.choice``; a session without its texts against ``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS, SURVEY_SCALES, draw_value
from usi_metric.features import extract, fastmatch
from usi_metric.features.anchors import may_match, text_words, word_runs
from usi_metric.features.lexicons import LEXICONS
from usi_metric.io.sessions import Session

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

LEXICON_WORDS = sorted({w for name in ("POLITE", "EMOTION", "UNCERTAIN", "CERTAIN",
                                       "PUSHBACK", "CLARIFY", "INFOQ", "ACCUSE", "PIVOT",
                                       "ID_CONFUSE")
                        for w in re.findall(r"[a-z]+", LEXICONS[name].pattern)})
GLUE = [" ", " ", ", ", "? ", "'", ". ", "\n", "-", "x", "s", "\u2014"]
ID_BITS = ["12345", "_123", "_12", "abc123", "gift_card_", "credit_card_", "paypal_", ".",
           "#", "user_", "x_y_", "9999", "é", "٣", "İ", "_", "a", "1", " ", "Z"]


def sentences() -> st.SearchStrategy[str]:
    return st.lists(st.tuples(st.sampled_from(LEXICON_WORDS), st.sampled_from(GLUE)),
                    max_size=12).map(lambda parts: "".join(w + g for w, g in parts))


@SETTINGS
@given(st.one_of(sentences(), st.text(max_size=40)))
def test_the_anchor_table_says_what_may_match_says(text: str) -> None:
    index = extract._INDEX
    anchors = {**extract._ANCHORS, extract._PUSHBACK_REST: fastmatch.PUSHBACK_REST_ANCHORS}
    words = text_words(text)
    expected = {name for name, a in anchors.items() if may_match(a, words)}
    assert index.possible(words) == expected
    assert index.possible(word_runs(text)) == expected  # a list of runs, repeats and all
    bits = index.possible_bits(words)
    assert {n for n in index.names if bits & index.bits[n]} == expected


@SETTINGS
@given(st.lists(st.sampled_from(ID_BITS), max_size=16).map("".join))
def test_the_id_count_is_the_sum_over_runs_without_an_at_sign(text: str) -> None:
    plain = len(LEXICONS["ID"].findall(text))
    assert fastmatch.id_count_by_runs(text)  # no '@' in these texts
    assert sum(fastmatch.run_id_count(r) for r in word_runs(text)) == plain
    assert fastmatch.id_count(text, word_runs(text)) == plain


def test_an_at_sign_leaves_the_sum_over_runs() -> None:
    text = "mail a@b.co or x_y_123@c.de"
    assert not fastmatch.id_count_by_runs(text)
    assert fastmatch.id_count(text, word_runs(text)) == len(LEXICONS["ID"].findall(text))


@SETTINGS
@given(st.lists(st.one_of(sentences(), st.lists(st.sampled_from(ID_BITS), max_size=10)
                          .map("".join)), min_size=1, max_size=6))
def test_a_turn_is_the_same_cold_warm_and_after_the_memos_are_emptied(turns: list[str]) -> None:
    conv = [{"role": "user", "content": t} for t in turns]
    extract.clear_memos()
    cold = extract.featurize(conv, "llm")
    warm = extract.featurize(conv, "llm")
    assert [extract._compute_turn(t) for t in turns] == [
        extract._TURNS.get(t, extract._compute_turn(t)) for t in turns]
    extract.clear_memos()
    assert cold == warm == extract.featurize(conv, "llm")


def test_a_full_memo_is_emptied_and_results_stay_the_same(monkeypatch) -> None:
    monkeypatch.setattr(extract, "_CACHE_SIZE", 3)
    extract.clear_memos()
    conv = [{"role": "user", "content": f"please move order #W{n}00000 thanks"}
            for n in range(10)]
    first = extract.featurize(conv, "llm")
    assert len(extract._TURNS) <= 3
    assert extract.featurize(conv, "llm") == first
    # by hand: "please", "w000000" and "thanks" are runs of 6+ of [a-z0-9] (ID), "order" is 5
    assert first is not None and first["id_density"] == 3.0 and first["politeness_rate"] == 1.0


def test_the_eval_draw_is_generator_choice_draw_for_draw() -> None:
    fields = [SURVEY_FIELDS[(i * 7 + i // 3) % len(SURVEY_FIELDS)] for i in range(3000)]
    for seed in (0, 42, 2026):
        ours, numpy_way = np.random.default_rng(seed), np.random.default_rng(seed)
        got = [draw_value(f, ours) for f in fields]
        want = [int(numpy_way.choice(sorted(set(SURVEY_SCALES[f].values())))) for f in fields]
        assert got == want
        assert ours.random() == numpy_way.random()  # the streams end in the same state


def test_a_session_without_its_texts_is_replace_with_an_empty_conversation() -> None:
    s = Session("airline_7_ann2", "airline_7", "airline_7", "2", 0, 0.5, None,
                ({"role": "user", "content": "hi"},), {"reuse": "Yes"})
    assert s.without_conversation() == dataclasses.replace(s, conversation=())
    assert len(dataclasses.fields(Session)) == 9  # a new field must be copied there too


SURROGATE_BITS = ["\ud83d", "\udc4d", "\ud83d\udc4d", "\\", "\\\\", "\\u", "ud800", "udc00",
                  "a", "é", "\U0001f44d", '"', "\n", "d83d"]


@SETTINGS
@given(st.lists(st.lists(st.sampled_from(SURROGATE_BITS), max_size=8).map("".join),
                max_size=4))
def test_the_surrogate_prefilter_flags_exactly_the_lone_ones(strings: list[str]) -> None:
    import json

    from usi_metric.io.jsonfile import has_lone_surrogate, may_hold_lone_surrogate

    text = json.dumps({"airline_1": {"conversation": strings}})  # escapes as the files do
    parsed = json.loads(text)["airline_1"]["conversation"]  # an escaped pair is one char
    assert may_hold_lone_surrogate(text) == any(has_lone_surrogate(s) for s in parsed)


# ----------------------------------------------------------------------------- one turn
#
# The turn's fast path (runs by a byte translation for text whose word characters are all
# ASCII, the anchor table looked up by one set intersection, the ID count from the runs'
# lengths, the trigram shortcut) against the plain patterns applied as docs/features.md says.

NON_ASCII_NON_WORD = ["\u2014", "\u2013", "\u2019", "\u201c", "\xa0", "\u2026", "\u20ac", "\xbf",
                      "\u00d7"]
NON_ASCII_WORD = ["é", "٣", "İ", "\u212a", "ß", "\xb2", "\xaa", "\u00c9", "ﬁ"]
TURN_GLUE = GLUE + NON_ASCII_NON_WORD + ["#", "@", ".", "_", "12345", "9", " w1234567 ",
                                         "A@B.CO", "THANKS ", "\t"]


PLAIN_TURN_FIELDS = ("n_words", "words", "max_trigram", "polite", "dash", "ack", "id_confuse",
                     "ids", "uncertain", "certain", "pushback", "clarify", "infoq", "emotion",
                     "accuse", "pivot")


def plain_turn(text: str) -> dict:
    """What one turn contributes (``extract.turn_fields``), with the plain patterns
    (docs/features.md)."""
    low = text.lower()
    words = low.split()
    trigrams = Counter(zip(words, words[1:], words[2:], strict=False))
    hit = {n: LEXICONS[n].search(low) is not None for n in (
        "POLITE", "ID_CONFUSE", "UNCERTAIN", "CERTAIN", "PUSHBACK", "CLARIFY", "INFOQ",
        "EMOTION", "ACCUSE", "PIVOT")}
    pushback = hit["PUSHBACK"]
    clarify = not pushback and hit["CLARIFY"]
    infoq = not pushback and not clarify and hit["INFOQ"]
    values = (len(words), words, max(trigrams.values(), default=0), hit["POLITE"],
              LEXICONS["DASH"].search(text) is not None,
              LEXICONS["ACK"].match(low.strip()) is not None, hit["ID_CONFUSE"],
              len(LEXICONS["ID"].findall(low)), hit["UNCERTAIN"], hit["CERTAIN"], pushback,
              clarify, infoq, hit["EMOTION"], hit["ACCUSE"], hit["PIVOT"])
    return {**dict(zip(PLAIN_TURN_FIELDS, values, strict=True)), "short": len(words) <= 3}


def adversarial_turns() -> st.SearchStrategy[str]:
    words = st.sampled_from(LEXICON_WORDS + ID_BITS + NON_ASCII_WORD + ["I'M", "Don't"])
    return st.lists(st.tuples(words, st.sampled_from(TURN_GLUE)), max_size=14).map(
        lambda parts: "".join(w + g for w, g in parts))


@st.composite
def realistic_turns(draw: Any) -> str:
    """A user turn of the test suite's release generator (word banks, ids, unicode)."""
    import random

    import release_gen as gen

    t = gen._Text(random.Random(draw(st.integers(0, 2**32))))
    return gen._user_turn(t, draw(st.sampled_from(gen.TURN_KINDS)))


@SETTINGS
@given(st.one_of(adversarial_turns(), realistic_turns(), st.text(max_size=30),
                 st.text(alphabet=st.sampled_from(list("ab1_ @.#") + NON_ASCII_WORD
                                                  + NON_ASCII_NON_WORD), max_size=30)))
def test_a_turn_is_the_plain_patterns_turn(text: str) -> None:
    assert extract.turn_fields(text) == plain_turn(text)


@SETTINGS
@given(adversarial_turns())
def test_the_ascii_id_count_is_the_plain_count(text: str) -> None:
    low = text.lower()
    if extract._UNLISTED(low) is not None:
        return  # a non-ASCII word character: the regex path (checked above)
    raw = low.encode("ascii", "replace")
    runs = raw.translate(extract._NON_WORD_TO_SPACE).split()
    assert [r.decode() for r in runs] == word_runs(low)
    assert fastmatch.ascii_id_count(low, raw, runs) == len(LEXICONS["ID"].findall(low))
    assert fastmatch.id_count_scan(low) == len(LEXICONS["ID"].findall(low))
    index = extract._INDEX
    assert index.bytes_bits(set(runs)) == index.set_bits(text_words(low)) == \
        index.possible_bits(text_words(low))


@SETTINGS
@given(st.lists(st.sampled_from("abcd"), max_size=14))
def test_the_largest_trigram_count_is_counters(words: list[str]) -> None:
    counts = Counter(zip(words, words[1:], words[2:], strict=False))
    assert extract._max_trigram_count(words) == max(counts.values(), default=0)


# ----------------------------------------------------------------------------- survey batch

ANSWER_CHOICES = [None, "no answer", "", 3, {"answer": None}] + [
    t for scale in SURVEY_SCALES.values() for t in scale] + [
    {"answer": t} for t in ("Yes", "About right", "Medium")]
surveys = st.dictionaries(st.sampled_from(SURVEY_FIELDS + ("extra",)),
                          st.sampled_from(ANSWER_CHOICES), max_size=9)


@SETTINGS
@given(st.lists(st.tuples(surveys, surveys), max_size=30), st.integers(0, 2**32 - 1))
def test_the_batch_agreement_is_the_entry_by_entry_agreement(pairs, seed: int) -> None:
    from usi_metric.aggregation.eval_agree import agreement, agreements

    ours, one_by_one = np.random.default_rng(seed), np.random.default_rng(seed)
    got = agreements([h for h, _ in pairs], [j for _, j in pairs], ours)
    want = [agreement(h, j, one_by_one) for h, j in pairs]
    assert got == want  # float for float, None for None
    assert ours.random() == one_by_one.random()  # the same draws were taken

