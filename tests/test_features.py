"""Hand-computed tests of conversation cleaning and the 19 USI features (docs/features.md).

Every expected value below is worked out by hand in the comments (RAW units: rates are
fractions, info_frontload is a fraction, nothing is x100). Notation: ``w`` = word counts of the
user turns (markup-stripped text split on whitespace), "ID" = number of non-overlapping ID
findall matches on the lowered turn (any run of 6+ [a-z0-9] between word boundaries counts).
"""

from __future__ import annotations

import math
import statistics

import pytest

from usi_metric.features import (
    COLUMNS,
    DIMENSIONS,
    FEATURE_NAMES,
    featurize,
)
from usi_metric.features.extract import user_texts

SPEC_ORDER = (
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


def conv(*messages: tuple[str, str]) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in messages]


def expected(**values: float) -> dict[str, float]:
    """All 20 columns, each written out explicitly by the test."""
    assert set(values) == set(COLUMNS), set(COLUMNS) ^ set(values)
    return values


def check(got: dict[str, float] | None, want: dict[str, float]) -> None:
    assert got is not None
    assert set(got) == set(COLUMNS)
    for name in COLUMNS:
        assert got[name] == pytest.approx(want[name], abs=1e-12), name


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def test_feature_names_and_columns() -> None:
    assert FEATURE_NAMES == SPEC_ORDER
    assert COLUMNS == SPEC_ORDER + ("n_turns",)


def test_dimensions() -> None:
    assert DIMENSIONS == {
        "D1_conv": SPEC_ORDER[0:7],
        "D2_info": SPEC_ORDER[7:11],
        "D3_clarif": SPEC_ORDER[11:16],
        "D4_react": SPEC_ORDER[16:19],
    }
    assert list(DIMENSIONS) == ["D1_conv", "D2_info", "D3_clarif", "D4_react"]
    assert sum(len(v) for v in DIMENSIONS.values()) == 19


# --------------------------------------------------------------------------------------------
# D1 / D2 basics
# --------------------------------------------------------------------------------------------


def test_politeness_short_formality_ack_and_frontload() -> None:
    c = conv(
        ("assistant", "Hello! How can I help you today?"),  # ID_CONFUSE, but not a user turn
        ("user", "Hi \u2014 please move my trip."),
        ("assistant", "Sure, what is the new date?"),
        ("user", "Okay, next Friday."),
        ("tool", '{"ok": true}'),
        ("user", "  Yes! "),
        ("assistant", "Done."),
    )
    # u1 "Hi — please move my trip.": words Hi,—,please,move,my,trip. = 6; POLITE (please),
    #    DASH (em dash); ID: "please" = 1; not ACK.
    # u2 "Okay, next Friday.": 3 words (short); "okay, next friday." is not ACK (more words);
    #    ID: "friday" = 1.
    # u3 "Yes!": 1 word (short), ACK; ID 0.
    # w = [6, 3, 1], sum 10, mean 10/3
    check(
        featurize(c, "human"),
        expected(
            politeness_rate=1 / 3,
            short_msg_rate=2 / 3,  # 3 <= 3 and 1 <= 3
            formality_rate=1 / 3,
            ack_only_rate=1 / 3,
            verbosity_cv=statistics.pstdev([6, 3, 1]) / (10 / 3),
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=(6 + 3) / 10,
            id_density=(1 + 1 + 0) / 3,
            user_words_per_turn=10 / 3,
            opening_words=6,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=7,  # all 7 messages, every role
        ),
    )


def test_short_msg_boundary_three_vs_four_words() -> None:
    c = conv(("user", "a b c"), ("assistant", "?"), ("user", "a b c d"))
    # w = [3, 4]: 3 words is short, 4 is not. No lexicon matches; trigram (a,b,c) occurs 2x.
    # mean 3.5, pstdev 0.5 -> cv 0.5/3.5 = 1/7
    check(
        featurize(c),
        expected(
            politeness_rate=0.0,
            short_msg_rate=1 / 2,
            formality_rate=0.0,
            ack_only_rate=0.0,
            verbosity_cv=0.5 / 3.5,
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=(3 + 4) / 7,
            id_density=0.0,
            user_words_per_turn=3.5,
            opening_words=3,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=3,
        ),
    )


def test_formality_counts_em_and_en_dash_only() -> None:
    c = conv(
        ("user", "Fine \u2013 go on"),  # en dash: words Fine,–,go,on = 4; DASH
        ("assistant", "Ok."),
        ("user", "Fine - go on"),  # hyphen: 4 words, no DASH; not ACK ("go on" follows)
        ("user", "Fine--go on"),  # 2 words, no DASH
        ("user", "Done\u2014thanks"),  # 1 word; DASH; POLITE (thanks after "—"); ID "thanks"
    )
    # w = [4, 4, 2, 1], sum 11, mean 11/4
    check(
        featurize(c),
        expected(
            politeness_rate=1 / 4,
            short_msg_rate=2 / 4,  # 2 and 1 words
            formality_rate=2 / 4,
            ack_only_rate=0.0,
            verbosity_cv=statistics.pstdev([4, 4, 2, 1]) / (11 / 4),
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=(4 + 4) / 11,
            id_density=(0 + 0 + 0 + 1) / 4,
            user_words_per_turn=11 / 4,
            opening_words=4,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=5,
        ),
    )


def test_matching_is_on_lowercased_text() -> None:
    c = conv(
        ("assistant", "Hi."),
        ("user", "THANK YOU. My code is ABC123."),
        ("assistant", "Noted."),
        ("user", "I AM FURIOUS"),
    )
    # u1 lowered "thank you. my code is abc123.": POLITE; ID "abc123" = 1; 6 words.
    # u2 lowered "i am furious": EMOTION; ID "furious" = 1; 3 words (short).
    # w = [6, 3], mean 4.5, pstdev 1.5 -> cv 1.5/4.5
    check(
        featurize(c),
        expected(
            politeness_rate=1 / 2,
            short_msg_rate=1 / 2,
            formality_rate=0.0,
            ack_only_rate=0.0,
            verbosity_cv=1.5 / 4.5,
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=(6 + 3) / 9,
            id_density=(1 + 1) / 2,
            user_words_per_turn=4.5,
            opening_words=6,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=1 / 2,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=4,
        ),
    )


def test_id_density_counts_non_overlapping_matches() -> None:
    c = conv(
        ("user", "My email is mia@mail.com and my order is #W1234567"),
        ("assistant", "Thanks."),
        ("user", "user_id_123, gift_card_abc, paypal_, 12345"),
        ("tool", "{}"),
        ("user", "ok"),
    )
    # u1: 9 words; ID: "mia@mail.com" (email), "#w1234567" (\w*\d{5,}) = 2
    #     ("email", "order" have 5 letters). No other lexicon ("my order", not "your order").
    # u2: 4 words; ID: "user_id_123", "gift_card_abc", "12345" = 3 ("paypal_" matches nothing).
    # u3: "ok": 1 word, ACK, short; ID 0.
    # w = [9, 4, 1], sum 14, mean 14/3
    check(
        featurize(c),
        expected(
            politeness_rate=0.0,
            short_msg_rate=1 / 3,
            formality_rate=0.0,
            ack_only_rate=1 / 3,
            verbosity_cv=statistics.pstdev([9, 4, 1]) / (14 / 3),
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=(9 + 4) / 14,
            id_density=(2 + 3 + 0) / 3,
            user_words_per_turn=14 / 3,
            opening_words=9,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=5,
        ),
    )


def test_single_user_turn_frontload_counts_w2_as_zero() -> None:
    c = conv(
        ("assistant", "Hello."),
        ("user", "I need to cancel order W123456"),
        ("tool", "{}"),
        ("assistant", "Cancelled."),
    )
    # one user turn, 6 words; ID: "cancel", "w123456" = 2. No lexicon matches.
    # frontload = (w1 + 0) / sum(w) = 6/6; pstdev of one value = 0 -> cv 0
    check(
        featurize(c),
        expected(
            politeness_rate=0.0,
            short_msg_rate=0.0,
            formality_rate=0.0,
            ack_only_rate=0.0,
            verbosity_cv=0.0,
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=(6 + 0) / 6,
            id_density=2.0,
            user_words_per_turn=6.0,
            opening_words=6,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=4,
        ),
    )


def test_user_turns_empty_after_markup_mean_zero() -> None:
    c = conv(
        ("assistant", "Hi"),
        ("user", "<|think|>thinking<|/think|>"),
        ("assistant", "?"),
        ("user", '<function=book>{"x": 1}</function>'),
    )
    # Both user turns are "" after markup removal but are still user turns (§2: user turns =
    # remaining messages whose role is user). w = [0, 0]: short (0 <= 3) for both; cv 0 (mean
    # 0); frontload 0 (sum 0); the empty text is not ACK; no ID.
    check(
        featurize(c),
        expected(
            politeness_rate=0.0,
            short_msg_rate=1.0,
            formality_rate=0.0,
            ack_only_rate=0.0,
            verbosity_cv=0.0,
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=0.0,
            id_density=0.0,
            user_words_per_turn=0.0,
            opening_words=0,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=4,
        ),
    )


# --------------------------------------------------------------------------------------------
# D3 / D4 and id_confuse
# --------------------------------------------------------------------------------------------


def test_question_types_pushback_excludes_clarify_excludes_info() -> None:
    c = conv(
        ("assistant", "Your fee is 50 dollars."),
        ("user", "Are you sure? What is the fee?"),
        ("assistant", "Yes."),
        ("user", "What do you mean? How much is it?"),
        ("assistant", "It is 50."),
        ("user", "How much is the upgrade?"),
        ("tool", "{}"),
        ("user", "Why can't I just cancel, what do you mean"),
        ("assistant", "Policy."),
        ("user", "ok"),
    )
    # u1 (7 words, ID 0): PUSHBACK "are you sure"; INFOQ "what is the" too -> counts as pushback
    # u2 (8 words, ID 0): CLARIFY "what do you mean"; INFOQ "how much" too -> clarify only
    # u3 (5 words, ID "upgrade" = 1): INFOQ "how much" only -> info
    # u4 (9 words, ID "cancel" = 1): PUSHBACK "why can't" and CLARIFY -> pushback only
    # u5 "ok" (1 word): ACK, short
    # w = [7, 8, 5, 9, 1], sum 30, mean 6; deviations 1,2,-1,3,-5 -> var 40/5 = 8
    check(
        featurize(c),
        expected(
            politeness_rate=0.0,
            short_msg_rate=1 / 5,
            formality_rate=0.0,
            ack_only_rate=1 / 5,
            verbosity_cv=math.sqrt(8) / 6,
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=(7 + 8) / 30,
            id_density=(0 + 0 + 1 + 1 + 0) / 5,
            user_words_per_turn=6.0,
            opening_words=7,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=2 / 5,  # u1, u4
            clarify_q_rate=1 / 5,  # u2 (u4 matches CLARIFY but also PUSHBACK)
            info_q_rate=1 / 5,  # u3 (u1 is PUSHBACK, u2 is CLARIFY)
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=10,
        ),
    )


def test_uncertainty_certainty_reactions_and_id_confuse() -> None:
    c = conv(
        ("assistant", "How may I help?"),
        ("user", "I think my booking is wrong and I'm frustrated"),
        ("assistant", "Let me look."),
        ("user", "Actually, I'd like a refund instead."),
        ("assistant", "Okay."),
        ("user", "Absolutely, let me check your account."),
    )
    # u1: 9 words; UNCERTAIN (i think), ACCUSE (wrong), EMOTION (frustrated);
    #     ID "booking", "frustrated" = 2
    # u2: 6 words; PIVOT (i'd like, instead); ID "actually", "refund", "instead" = 3
    # u3: 6 words; CERTAIN (absolutely), ID_CONFUSE (let me check, your account);
    #     ID "absolutely", "account" = 2
    # w = [9, 6, 6], sum 21, mean 7; deviations 2,-1,-1 -> var 6/3 = 2
    check(
        featurize(c),
        expected(
            politeness_rate=0.0,
            short_msg_rate=0.0,
            formality_rate=0.0,
            ack_only_rate=0.0,
            verbosity_cv=math.sqrt(2) / 7,
            repeat_rate=0.0,
            id_confuse_rate=1.0,  # any turn -> 1.0, not a share (1/3)
            info_frontload=(9 + 6) / 21,
            id_density=(2 + 3 + 2) / 3,
            user_words_per_turn=7.0,
            opening_words=9,
            uncertainty_rate=1 / 3,
            certainty_rate=1 / 3,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=1 / 3,
            accusation_rate=1 / 3,
            pivot_rate=1 / 3,
            n_turns=6,
        ),
    )


# --------------------------------------------------------------------------------------------
# repeat_rate
# --------------------------------------------------------------------------------------------


def _repeat_expected(w: list[int], repeat: float) -> dict[str, float]:
    # Turns made only of the word "no"/"No": no lexicon matches, no ID, no short turn (w >= 7).
    return expected(
        politeness_rate=0.0,
        short_msg_rate=0.0,
        formality_rate=0.0,
        ack_only_rate=0.0,
        verbosity_cv=statistics.pstdev(w) / statistics.mean(w),
        repeat_rate=repeat,
        id_confuse_rate=0.0,
        info_frontload=sum(w[:2]) / sum(w),
        id_density=0.0,
        user_words_per_turn=statistics.mean(w),
        opening_words=w[0],
        uncertainty_rate=0.0,
        certainty_rate=0.0,
        pushback_q_rate=0.0,
        clarify_q_rate=0.0,
        info_q_rate=0.0,
        emotion_rate=0.0,
        accusation_rate=0.0,
        pivot_rate=0.0,
        n_turns=3,
    )


def test_repeat_rate_trigram_exactly_10_times_is_zero() -> None:
    # 7 words -> 5 trigrams (no,no,no) per turn; 5 + 5 = 10, not more than 10 -> 0.0.
    # (Were trigrams taken across turns, 14 words would give 12 > 10.)
    c = conv(("user", " ".join(["no"] * 7)), ("assistant", "ok"), ("user", " ".join(["no"] * 7)))
    # w = [7, 7]: cv 0, frontload 14/14, mean 7
    check(featurize(c), _repeat_expected([7, 7], 0.0))


def test_repeat_rate_trigram_11_times_is_one() -> None:
    # 7 words -> 5 trigrams, 8 words -> 6 trigrams; 5 + 6 = 11 > 10 -> 1.0
    c = conv(("user", " ".join(["no"] * 7)), ("assistant", "ok"), ("user", " ".join(["no"] * 8)))
    # w = [7, 8]: mean 7.5, pstdev 0.5 -> cv 0.5/7.5; frontload 15/15
    check(featurize(c), _repeat_expected([7, 8], 1.0))


def test_repeat_rate_single_turn_13_words() -> None:
    # 13 words in one turn -> 11 trigrams (no,no,no) -> 1.0
    c = conv(("assistant", "hi"), ("user", " ".join(["no"] * 13)), ("assistant", "ok"))
    # w = [13]: cv 0, frontload 13/13, mean 13
    check(featurize(c), _repeat_expected([13], 1.0))


def test_repeat_rate_counts_trigrams_of_the_lowered_text() -> None:
    # Spec §3: matching is on the lower-cased text unless said otherwise (the paper's scorer
    # splits the lowered turn), so (no,no,no) x5 and (No,No,No) x6 are one trigram seen
    # 5 + 6 = 11 times > 10 -> 1.0.
    c = conv(("user", " ".join(["no"] * 7)), ("assistant", "ok"), ("user", " ".join(["No"] * 8)))
    check(featurize(c), _repeat_expected([7, 8], 1.0))


# --------------------------------------------------------------------------------------------
# Markup and cleaning
# --------------------------------------------------------------------------------------------

MARKUP_CONV = conv(
    ("assistant", "<|think|>plan<|/think|>Hello"),
    (
        "user",
        "<|think|>I am so frustrated.\nReally.<|/think|>Please book it<|think|>ugh<|/think|> now",
    ),
    ("assistant", '<function=search>{"q": 1}</function>'),
    ("tool", "{}"),
    ("user", 'Is that it? <function=lookup>{"id": "frustrated"}'),
    ("user", "<|tool|>terrible<|/tool|>Ok."),
)


def test_markup_is_removed_before_features() -> None:
    # u1 -> "Please book it now" (two think blocks removed, the text between kept): 4 words,
    #       POLITE, ID "please" = 1; "frustrated"/"ugh" were removed -> no EMOTION
    # u2 -> "Is that it? " (unclosed <function= removed to the end): 3 words, INFOQ
    #       ("is that " + word), ID 0 ("frustrated" removed)
    # u3 -> "Ok.": 1 word, ACK; "terrible" removed -> no EMOTION
    # w = [4, 3, 1], sum 8, mean 8/3
    check(
        featurize(MARKUP_CONV, "llm"),
        expected(
            politeness_rate=1 / 3,
            short_msg_rate=2 / 3,
            formality_rate=0.0,
            ack_only_rate=1 / 3,
            verbosity_cv=statistics.pstdev([4, 3, 1]) / (8 / 3),
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=(4 + 3) / 8,
            id_density=(1 + 0 + 0) / 3,
            user_words_per_turn=8 / 3,
            opening_words=4,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=1 / 3,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=6,
        ),
    )


def test_cleaning_removes_markup() -> None:
    texts, n_remaining = user_texts(MARKUP_CONV, "llm")
    # Whether surrounding whitespace is kept is not specified: compare stripped texts.
    # Remaining: assistant "Hello", user, assistant "", tool "{}", user, user.
    assert [text.strip() for text in texts] == ["Please book it now", "Is that it?", "Ok."]
    assert n_remaining == 6


HUMAN_META_CONV = conv(
    ("user", "\\tau task 7"),  # starts with "\tau "
    ("assistant", "Hi! How can I help?"),
    ("user", "I want a refund."),
    ("user", "<|canvas|> ok"),
    ("assistant", "x <|highlight|> y"),  # spec: "content containing" — any role
    ("user", "  /stop  "),
    ("user", "\\reward 1"),
    ("tool", "<|survey|>"),
)


def test_human_meta_messages_dropped_for_human_source() -> None:
    # Remaining: the assistant greeting and "I want a refund." -> n_turns 2.
    # u1: 4 words (not short), ID "refund" = 1, no lexicon. w = [4].
    check(
        featurize(HUMAN_META_CONV, "human"),
        expected(
            politeness_rate=0.0,
            short_msg_rate=0.0,
            formality_rate=0.0,
            ack_only_rate=0.0,
            verbosity_cv=0.0,
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=4 / 4,
            id_density=1.0,
            user_words_per_turn=4.0,
            opening_words=4,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=2,
        ),
    )
    texts, n_remaining = user_texts(HUMAN_META_CONV, "human")
    # Remaining: assistant "Hi! How can I help?" and user "I want a refund."
    assert [text.strip() for text in texts] == ["I want a refund."]
    assert n_remaining == 2


def test_human_meta_messages_kept_for_llm_source() -> None:
    # Nothing is meta for llm (no "###STOP###"): n_turns 8. User turns:
    #   "\tau task 7"      3 words, ID 0 ("tau" 3 letters, "7" 1 digit)
    #   "I want a refund." 4 words, ID "refund" = 1
    #   "<|canvas|> ok"    2 words, ID "canvas" = 1 (between "|"s), not ACK (starts with "<")
    #   "  /stop  "        1 word ("/stop"), ID 0
    #   "\reward 1"        2 words, ID "reward" = 1
    # w = [3, 4, 2, 1, 2], sum 12, mean 12/5; short: 3, 2, 1, 2 -> 4 of 5
    check(
        featurize(HUMAN_META_CONV, "llm"),
        expected(
            politeness_rate=0.0,
            short_msg_rate=4 / 5,
            formality_rate=0.0,
            ack_only_rate=0.0,
            verbosity_cv=statistics.pstdev([3, 4, 2, 1, 2]) / (12 / 5),
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=(3 + 4) / 12,
            id_density=(0 + 1 + 1 + 0 + 1) / 5,
            user_words_per_turn=12 / 5,
            opening_words=3,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=8,
        ),
    )
    texts, n_remaining = user_texts(HUMAN_META_CONV, "llm")
    assert n_remaining == len(HUMAN_META_CONV)
    assert [text.strip() for text in texts] == [
        m["content"].strip() for m in HUMAN_META_CONV if m["role"] == "user"]


def test_human_meta_near_misses_are_kept() -> None:
    c = conv(("user", "\\taurus"), ("user", "/stop now"))
    # "\taurus" does not start with "\tau " (space); "/stop now" is not "/stop" after strip.
    # w = [1, 2]: both short; ID: "taurus" = 1, 0; mean 1.5, pstdev 0.5
    check(
        featurize(c, "human"),
        expected(
            politeness_rate=0.0,
            short_msg_rate=1.0,
            formality_rate=0.0,
            ack_only_rate=0.0,
            verbosity_cv=0.5 / 1.5,
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=(1 + 2) / 3,
            id_density=(1 + 0) / 2,
            user_words_per_turn=1.5,
            opening_words=1,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=2,
        ),
    )


STOP_CONV = conv(
    ("assistant", "Hello."),
    ("user", "Cancel my order."),
    ("assistant", "Done."),
    ("user", "  ###STOP###  "),
    ("user", "Thanks! ###STOP###"),
)


def test_llm_stop_message_dropped_only_when_whole() -> None:
    # llm: "  ###STOP###  " is dropped, "Thanks! ###STOP###" stays -> n_turns 4.
    # u1 "Cancel my order.": 3 words, ID "cancel" = 1
    # u2 "Thanks! ###STOP###": 2 words, POLITE, not ACK, ID "thanks" = 1 ("stop" 4 letters)
    # w = [3, 2], mean 2.5, pstdev 0.5
    check(
        featurize(STOP_CONV, "llm"),
        expected(
            politeness_rate=1 / 2,
            short_msg_rate=1.0,
            formality_rate=0.0,
            ack_only_rate=0.0,
            verbosity_cv=0.5 / 2.5,
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=(3 + 2) / 5,
            id_density=(1 + 1) / 2,
            user_words_per_turn=2.5,
            opening_words=3,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=4,
        ),
    )


def test_stop_message_is_not_meta_for_human_source() -> None:
    # human: nothing dropped -> n_turns 5; user turns [3, 1, 2] words
    # ("###STOP###" is 1 word, ID 0); mean 2, deviations 1,-1,0 -> var 2/3
    check(
        featurize(STOP_CONV, "human"),
        expected(
            politeness_rate=1 / 3,
            short_msg_rate=1.0,
            formality_rate=0.0,
            ack_only_rate=0.0,
            verbosity_cv=math.sqrt(2 / 3) / 2,
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=(3 + 1) / 6,
            id_density=(1 + 0 + 1) / 3,
            user_words_per_turn=2.0,
            opening_words=3,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=5,
        ),
    )


def test_meta_is_decided_on_raw_content_before_markup_removal() -> None:
    # Spec §2: "Drop meta messages before anything else." The raw content is not
    # "###STOP###", so the message stays; after markup removal its text is "###STOP###".
    c = conv(("user", "<|think|>done<|/think|>###STOP###"), ("assistant", "ok"))
    # w = [1]: short; ID 0
    check(
        featurize(c, "llm"),
        expected(
            politeness_rate=0.0,
            short_msg_rate=1.0,
            formality_rate=0.0,
            ack_only_rate=0.0,
            verbosity_cv=0.0,
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=1 / 1,
            id_density=0.0,
            user_words_per_turn=1.0,
            opening_words=1,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=2,
        ),
    )


def test_role_must_be_exactly_user() -> None:
    c = conv(
        ("User", "Thanks so much"),
        ("assistant", "Hi"),
        ("user", "Cancel it"),
        ("USER", "ok"),
        ("user ", "yes"),
    )
    # Only "Cancel it" is a user turn (2 words, ID "cancel" = 1); all 5 messages remain.
    check(
        featurize(c),
        expected(
            politeness_rate=0.0,  # "Thanks so much" has role "User"
            short_msg_rate=1.0,
            formality_rate=0.0,
            ack_only_rate=0.0,  # "ok"/"yes" are not user turns
            verbosity_cv=0.0,
            repeat_rate=0.0,
            id_confuse_rate=0.0,
            info_frontload=2 / 2,
            id_density=1.0,
            user_words_per_turn=2.0,
            opening_words=2,
            uncertainty_rate=0.0,
            certainty_rate=0.0,
            pushback_q_rate=0.0,
            clarify_q_rate=0.0,
            info_q_rate=0.0,
            emotion_rate=0.0,
            accusation_rate=0.0,
            pivot_rate=0.0,
            n_turns=5,
        ),
    )


# --------------------------------------------------------------------------------------------
# No features
# --------------------------------------------------------------------------------------------

ALL_HUMAN_META = conv(("user", "\\tau x"), ("user", "/stop"), ("assistant", "<|survey|>"))


@pytest.mark.parametrize(
    ("conversation", "source"),
    [
        pytest.param([], "human", id="empty-human"),
        pytest.param([], "llm", id="empty-llm"),
        pytest.param(conv(("assistant", "Hi"), ("tool", "{}")), "human", id="no-user-turn"),
        pytest.param(conv(("User", "hi"), ("assistant", "Hi")), "human", id="role-User"),
        pytest.param(ALL_HUMAN_META, "human", id="all-human-meta"),
        pytest.param(
            conv(("user", "###STOP###"), ("assistant", " ###STOP### ")), "llm", id="all-llm-stop"
        ),
        pytest.param(
            conv(("assistant", "hi"), ("user", "###STOP###")), "llm", id="only-user-is-stop"
        ),
    ],
)
def test_no_features(conversation: list[dict[str, str]], source: str) -> None:
    assert featurize(conversation, source) is None


def test_all_human_meta_is_not_meta_for_llm() -> None:
    assert featurize(ALL_HUMAN_META, "llm") is not None
    assert user_texts(ALL_HUMAN_META, "human")[1] == 0
    assert user_texts(ALL_HUMAN_META, "llm")[1] == 3
