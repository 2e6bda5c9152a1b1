"""How the report says things in words: feature phrases and labels, numbers with units.

>>> fmt_feature("politeness_rate", 49.04), ratio_words(49.0, 15.3)
('49%', '3.2×')
"""

from __future__ import annotations

from typing import Any

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS
from usi_metric.features.names import PERCENT_COLUMNS

# How to say each feature in words: "{v}" is the value with its unit.
FEATURE_PHRASES: dict[str, str] = {
    "politeness_rate": "polite in {v} of turns",
    "short_msg_rate": "short (≤ 3 words) in {v} of turns",
    "formality_rate": "uses an em/en dash in {v} of turns",
    "ack_only_rate": "only acknowledges (\"ok\", \"thanks\") in {v} of turns",
    "verbosity_cv": "varies its turn length with a CV of {v}",
    "repeat_rate": "repeats a phrase more than 10 times in {v} of sessions",
    "id_confuse_rate": "talks like the agent in {v} of sessions",
    "info_frontload": "puts {v} of its words in the first two turns",
    "id_density": "uses {v} identifier-like tokens per turn",
    "user_words_per_turn": "writes {v} words per turn",
    "opening_words": "opens with {v} words",
    "uncertainty_rate": "sounds unsure in {v} of turns",
    "certainty_rate": "sounds certain in {v} of turns",
    "pushback_q_rate": "pushes back with a question in {v} of turns",
    "clarify_q_rate": "asks for clarification in {v} of turns",
    "info_q_rate": "asks for information in {v} of turns",
    "emotion_rate": "shows emotion in {v} of turns",
    "accusation_rate": "blames the agent in {v} of turns",
    "pivot_rate": "changes course in {v} of turns",
}
FEATURE_LABELS: dict[str, str] = {
    "politeness_rate": "politeness", "short_msg_rate": "short messages",
    "formality_rate": "dashes (formality)", "ack_only_rate": "acknowledgement only",
    "verbosity_cv": "turn-length variation (CV)", "repeat_rate": "repetition",
    "id_confuse_rate": "talks like the agent", "info_frontload": "info up front",
    "id_density": "identifiers per turn", "user_words_per_turn": "words per turn",
    "opening_words": "opening words", "uncertainty_rate": "uncertainty",
    "certainty_rate": "certainty", "pushback_q_rate": "push-back questions",
    "clarify_q_rate": "clarifying questions", "info_q_rate": "info questions",
    "emotion_rate": "emotion", "accusation_rate": "accusation", "pivot_rate": "pivots",
}
FIELD_LABELS: dict[str, str] = {
    "task_success": "task success", "efficiency": "efficiency",
    "question_amount_preference": "amount of questions", "answer_effort_time": "answer effort",
    "human_like": "human-likeness", "interaction_flow": "interaction flow",
    "overall_score": "overall score", "reuse": "would reuse",
}


def fmt_feature(feature: str, value: float) -> str:
    """A row value with its unit: percent features as ``49%``, others as numbers.

    >>> fmt_feature("politeness_rate", 49.04), fmt_feature("politeness_rate", 1.04)
    ('49%', '1.0%')
    >>> fmt_feature("user_words_per_turn", 11.04), fmt_feature("verbosity_cv", 0.5)
    ('11.0', '0.50')
    """
    if feature in PERCENT_COLUMNS:
        return f"{value:.0f}%" if abs(value) >= 10 else f"{value:.1f}%"
    if feature == "verbosity_cv":
        return f"{value:.2f}"
    return f"{value:.1f}"


def ratio_words(sim: float, human: float) -> str:
    """The simulator's value relative to the humans', in words.

    >>> ratio_words(49.0, 15.3), ratio_words(1.0, 29.0), ratio_words(0, 0), ratio_words(3, 0)
    ('3.2×', '0.03× (29.0× less)', 'the same', 'never for humans')
    """
    if human == 0:
        return "the same" if sim == 0 else "never for humans"
    r = sim / human
    if r >= 1:
        return f"{r:.1f}×"
    if r == 0:
        return "0× (never)"
    return f"{r:.2f}× ({1 / r:.1f}× less)"


def fmt_num(value: float | None, spec: str) -> str:
    """A number with a format spec, or an em dash for a missing one.

    >>> fmt_num(0.25, ".3f"), fmt_num(None, ".1f")
    ('0.250', '—')
    """
    return "—" if value is None else format(value, spec)


def fmt_share(share: float | None, part: int, whole: int) -> str:
    """``70.6% (12 of 17)``; an em dash and the counts when there is no data.

    >>> fmt_share(2 / 3, 2, 3), fmt_share(None, 0, 0)
    ('66.7% (2 of 3)', '— (0 of 0)')
    """
    return f"{fmt_num(None if share is None else 100 * share, '.1f')}" + (
        "%" if share is not None else "") + f" ({part} of {whole})"


def survey_table_rows(fields: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Rows ``field | simulator mean | human mean | over-estimation | n sim / n human``."""
    return [[f, fmt_num(g["sim_mean"], ".3f"), fmt_num(g["human_mean"], ".3f"),
             fmt_num(g["overestimation_pct"], "+.1f"), f"{g['n_sim']} / {g['n_human']}"]
            for f, g in ((f, fields[f]) for f in SURVEY_FIELDS)]


def largest_overestimation(fields: dict[str, dict[str, Any]]) -> str | None:
    """A sentence about the field the simulator over-rates most, or None without data.

    >>> g = lambda v: {"overestimation_pct": v}
    >>> largest_overestimation({"human_like": g(55.0), "reuse": g(3.0)})
    'Largest over-estimation: human-likeness, by 55.0% of the scale.'
    >>> largest_overestimation({"human_like": g(-5.0), "reuse": g(None)})
    'No field is over-rated; the closest is human-likeness at -5.0% of the scale.'
    """
    best = [(g["overestimation_pct"], f) for f, g in fields.items()
            if g["overestimation_pct"] is not None]
    if not best:
        return None
    v, f = max(best, key=lambda t: (t[0], -SURVEY_FIELDS.index(t[1])))
    if v > 0:
        return f"Largest over-estimation: {FIELD_LABELS[f]}, by {v:.1f}% of the scale."
    return f"No field is over-rated; the closest is {FIELD_LABELS[f]} at {v:+.1f}% of the scale."
