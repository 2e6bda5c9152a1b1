"""The names of the 19 behavioural features and their four dimensions (docs/features.md).

One home for the vocabulary: every other module takes the feature order from here.

>>> len(FEATURE_NAMES), len(COLUMNS), [len(v) for v in DIMENSIONS.values()]
(19, 20, [7, 4, 5, 3])
"""

from __future__ import annotations

# The version of the feature definitions (docs/features.md: cleaning, the 19 features, their
# units). Raise it with any change that moves a feature value; a human reference records it
# (with the lexicons' sha256) and one made under another version is refused.
FEATURE_VERSION = "1"

# D1 -- conversation patterns
D1_CONV: tuple[str, ...] = (
    "politeness_rate",
    "short_msg_rate",
    "formality_rate",
    "ack_only_rate",
    "verbosity_cv",
    "repeat_rate",
    "id_confuse_rate",
)
# D2 -- information density
D2_INFO: tuple[str, ...] = (
    "info_frontload",
    "id_density",
    "user_words_per_turn",
    "opening_words",
)
# D3 -- clarification behaviour
D3_CLARIF: tuple[str, ...] = (
    "uncertainty_rate",
    "certainty_rate",
    "pushback_q_rate",
    "clarify_q_rate",
    "info_q_rate",
)
# D4 -- reaction to errors
D4_REACT: tuple[str, ...] = (
    "emotion_rate",
    "accusation_rate",
    "pivot_rate",
)

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "D1_conv": D1_CONV,
    "D2_info": D2_INFO,
    "D3_clarif": D3_CLARIF,
    "D4_react": D4_REACT,
}
DIMENSION_KEYS: tuple[str, ...] = tuple(DIMENSIONS)

FEATURE_NAMES: tuple[str, ...] = D1_CONV + D2_INFO + D3_CLARIF + D4_REACT
# Kept per conversation beside the features, in no dimension.
COLUMNS: tuple[str, ...] = FEATURE_NAMES + ("n_turns",)

# Columns reported x100 in a row (section 4): the rate features and info_frontload.
PERCENT_COLUMNS: frozenset[str] = frozenset(
    [n for n in FEATURE_NAMES if n.endswith("_rate")] + ["info_frontload"]
)
