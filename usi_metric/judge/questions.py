"""The post-session survey the people answered, as the judge asks it (docs/judge.md).

Questions and options have one home, :mod:`usi_metric.aggregation.eval_agree`
(``SURVEY_QUESTIONS`` and the ordinal scales ``SURVEY_SCALES``); this module only reads them.

>>> survey_options("human_like")
('No', 'Partially', 'Yes')
>>> SURVEY_QUESTIONS["reuse"]
'If you encounter similar problems in life, would you like to reuse this agent?'
"""

from __future__ import annotations

from usi_metric.aggregation.eval_agree import SURVEY_QUESTIONS, SURVEY_SCALES

__all__ = ["SURVEY_QUESTIONS", "survey_options"]


def survey_options(field: str) -> tuple[str, ...]:
    """The options of one question, in the order of its scale.

    >>> survey_options("question_amount_preference")
    ('Too many', 'About right', 'Too few')
    """
    return tuple(SURVEY_SCALES[field])
