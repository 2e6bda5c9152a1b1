"""The post-session survey the people answered: its eight questions (USI_SPEC.md §11).

The options of each question, and their order, are the ordinal scales of
:data:`usi_metric.aggregation.eval_agree.SURVEY_SCALES` (their one home); the question texts
live here, the one place for them.

>>> survey_options("human_like")
('No', 'Partially', 'Yes')
>>> SURVEY_QUESTIONS["reuse"]
'If you encounter similar problems in life, would you like to reuse this agent?'
"""

from __future__ import annotations

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS, SURVEY_SCALES

#: field -> question text, in the field order of the spec (§7 and §11).
SURVEY_QUESTIONS: dict[str, str] = {
    "task_success": "Did the agent successfully complete your task?",
    "efficiency": "How efficient was the agent in completing the task?",
    "question_amount_preference": "How did the number of clarifying questions feel to you?",
    "answer_effort_time": "How much time/effort did it take to answer the agent's clarifying "
                          "questions?",
    "human_like": "Does the agent feel human-like?",
    "interaction_flow": "How smooth was the overall interaction during clarification?",
    "overall_score": "Overall agent performance score (1-5)",
    "reuse": "If you encounter similar problems in life, would you like to reuse this agent?",
}
assert tuple(SURVEY_QUESTIONS) == SURVEY_FIELDS, "one question per survey field, in order"


def survey_options(field: str) -> tuple[str, ...]:
    """The options of one question, in the order of its scale.

    >>> survey_options("question_amount_preference")
    ('Too many', 'About right', 'Too few')
    """
    return tuple(SURVEY_SCALES[field])
