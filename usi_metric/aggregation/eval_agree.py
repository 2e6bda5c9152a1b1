"""Evaluation agreement from the 8-question survey (docs/eval.md).

>>> import numpy as np
>>> rng = np.random.default_rng(42)
>>> agreement({"human_like": "Yes"}, {"human_like": "Partially"}, rng)   # |1 - 0.5|
50.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from usi_metric.aggregation.numpy_order import numpy_sum

# Ordinal scales, in the field order of the spec: answer text -> value.
SURVEY_SCALES: dict[str, dict[str, int]] = {
    "task_success": {
        "No - Task failed": 1,
        "No - Due to a policy issue, which the agent clearly explained": 2,
        "Partially - Some progress": 3,
        "Yes - Task completed": 4,
        "Fully - Exceeded expectations": 5,
    },
    "efficiency": {
        "Very inefficient - Too many steps": 1,
        "Somewhat inefficient": 2,
        "About right": 3,
        "Very efficient": 4,
    },
    "question_amount_preference": {"Too many": 1, "About right": 2, "Too few": 1},
    "answer_effort_time": {"High": 1, "Medium": 2, "Low": 3},
    "human_like": {"No": 1, "Partially": 2, "Yes": 3},
    "interaction_flow": {"Not smooth": 1, "OK": 2, "Smooth": 3, "Excellent": 4},
    "overall_score": {
        "1 (Very poor)": 1,
        "2 (Poor)": 2,
        "3 (Acceptable)": 3,
        "4 (Good)": 4,
        "5 (Excellent)": 5,
    },
    "reuse": {"Absolutely no": 1, "No": 2, "Maybe": 3, "Yes": 4, "Absolutely yes": 5},
}
SURVEY_FIELDS: tuple[str, ...] = tuple(SURVEY_SCALES)

# The questions the people answered after each session (docs/judge.md), by field.
SURVEY_QUESTIONS: dict[str, str] = {
    "task_success": "Did the agent successfully complete your task?",
    "efficiency": "How efficient was the agent in completing the task?",
    "question_amount_preference": "How did the number of clarifying questions feel to you?",
    "answer_effort_time": "How much time/effort did it take to answer the agent's "
                          "clarifying questions?",
    "human_like": "Does the agent feel human-like?",
    "interaction_flow": "How smooth was the overall interaction during clarification?",
    "overall_score": "Overall agent performance score (1-5)",
    "reuse": "If you encounter similar problems in life, would you like to reuse this agent?",
}

_DISTINCT = {f: sorted(set(scale.values())) for f, scale in SURVEY_SCALES.items()}
_RANGE = {f: (min(v), max(v)) for f, v in _DISTINCT.items()}


def _norm(field: str, value: int) -> float:
    lo, hi = _RANGE[field]
    return (value - lo) / (hi - lo)


# answer text -> normalised value, per field (the same divisions as ``_norm``)
_NORMALISED = {f: {text: _norm(f, v) for text, v in scale.items()}
               for f, scale in SURVEY_SCALES.items()}


def answer_text(value: Any) -> Any:
    """An answer as stored: ``{"answer": text}`` or the text itself (already unwrapped)."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, Mapping):
        return value.get("answer")
    return value


def normalised_answer(field: str, answer: Any) -> float | None:
    """The answer's value normalised to [0, 1], or None when it is not a valid option.

    >>> normalised_answer("efficiency", "About right"), normalised_answer("efficiency", "meh")
    (0.6666666666666666, None)
    """
    return _NORMALISED[field].get(answer) if isinstance(answer, str) else None


def draw_value(field: str, rng: np.random.Generator) -> int:
    """``int(rng.choice(sorted(set(values))))`` of the field's scale, the same draw from the
    same stream: ``Generator.choice`` of a population with replacement and without ``p``
    draws its index as ``integers(0, len(population), dtype=int64)`` (numpy's
    ``_generator.pyx``); calling that directly skips turning the list into an array each
    time (several times faster).

    >>> a, b = np.random.default_rng(42), np.random.default_rng(42)
    >>> [draw_value("reuse", a) for _ in range(5)] == [
    ...     int(b.choice(sorted({1, 2, 3, 4, 5}))) for _ in range(5)]
    True
    """
    values = _DISTINCT[field]
    return values[int(rng.integers(0, len(values), dtype=np.int64))]


def agreement(
    human: Mapping[str, Any], judge: Mapping[str, Any], rng: np.random.Generator
) -> float | None:
    """``(1 - mean |h - l|) x 100`` over the fields the human answered validly.

    A judge answer that is missing or invalid is replaced by a draw from the field's distinct
    values (``rng.choice(sorted(set(values)))``), one draw per such field, in field order.
    None when the human answered no field validly.
    """
    diffs: list[float] = []
    for field in SURVEY_FIELDS:
        h = normalised_answer(field, answer_text(human.get(field)))
        if h is None:
            continue
        j = normalised_answer(field, answer_text(judge.get(field)))
        if j is None:
            j = _norm(field, draw_value(field, rng))
        diffs.append(abs(h - j))
    if not diffs:
        return None
    return (1.0 - numpy_sum(diffs) / len(diffs)) * 100.0  # numpy.mean, bit for bit


# ----------------------------------------------------------------------------- by batch
#
# ``agreements`` is ``agreement`` over many entries at once, in numpy: the answers become
# an (entries x fields) table of normalised values (NaN: no valid answer); the draws fill
# the cells where the human answered validly and the judge did not, in row-major order
# (entry by entry, fields in order: the order of ``agreement`` called entry by entry), by
# one ``Generator.integers`` call with the fields' option counts as upper bounds, which
# draws the same numbers from the same stream as one call per cell (checked once per
# process on a fixed stream; if a numpy ever differs, the draws are made one by one).

_FIELD_TABLES = tuple(_NORMALISED[f] for f in SURVEY_FIELDS)
_OPTIONS = np.array([len(_DISTINCT[f]) for f in SURVEY_FIELDS], dtype=np.int64)
_FILLS = np.zeros((len(SURVEY_FIELDS), int(_OPTIONS.max())))
for _i, _f in enumerate(SURVEY_FIELDS):
    _FILLS[_i, :len(_DISTINCT[_f])] = [_norm(_f, v) for v in _DISTINCT[_f]]
_NAN = float("nan")
_ONE_CALL_DRAWS: list[bool] = []  # [the one-call draw equals the draws one by one]


_FIELD_PAIRS = tuple(zip(SURVEY_FIELDS, _FIELD_TABLES, strict=True))


def _values(answers: Mapping[str, Any]) -> list[float]:
    get = answers.get
    try:  # answers as text or null (how the readers keep them): one look-up per field
        out = [table.get(get(field), _NAN) for field, table in _FIELD_PAIRS]
    except TypeError:  # an unhashable answer, say ``{"answer": text}``: one by one below
        pass
    else:
        if _NAN not in out or all(type(v) is str or v is None for v in map(get, SURVEY_FIELDS)):
            return out
    out = []
    for field, table in zip(SURVEY_FIELDS, _FIELD_TABLES, strict=True):
        value = answers.get(field)
        if type(value) is not str:
            value = answer_text(value)
        x = table.get(value) if isinstance(value, str) else None
        out.append(_NAN if x is None else x)
    return out


def _one_call_draws_match() -> bool:
    if not _ONE_CALL_DRAWS:
        highs = np.resize(_OPTIONS, 64)
        a, b = np.random.default_rng(7), np.random.default_rng(7)
        one = a.integers(0, highs, dtype=np.int64).tolist()
        each = [int(b.integers(0, int(h), dtype=np.int64)) for h in highs]
        _ONE_CALL_DRAWS.append(one == each and a.random() == b.random())
    return _ONE_CALL_DRAWS[0]


def draw_indices(highs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``[rng.integers(0, h, dtype=int64) for h in highs]``: the same draws, in one call.

    >>> a, b = np.random.default_rng(42), np.random.default_rng(42)
    >>> draw_indices(np.array([2, 5, 3]), a).tolist() == [
    ...     int(b.integers(0, h, dtype=np.int64)) for h in (2, 5, 3)]
    True
    """
    if _one_call_draws_match():
        return rng.integers(0, highs, dtype=np.int64)
    return np.array([int(rng.integers(0, int(h), dtype=np.int64)) for h in highs],
                    dtype=np.int64)


def agreements(humans: Sequence[Mapping[str, Any]], judges: Sequence[Mapping[str, Any]],
               rng: np.random.Generator) -> list[float | None]:
    """``[agreement(h, j, rng) for h, j in zip(humans, judges)]``: the same values and the
    same draws from ``rng``, in the same order, computed for the whole batch at once.

    >>> a, b = np.random.default_rng(42), np.random.default_rng(42)
    >>> hs = [{"human_like": "Yes", "reuse": "No"}, {}, {"efficiency": "About right"}]
    >>> js = [{"human_like": "Partially"}, {"reuse": "Yes"}, {"efficiency": "meh"}]
    >>> agreements(hs, js, a) == [agreement(h, j, b) for h, j in zip(hs, js)]
    True
    """
    n = len(humans)
    if len(judges) != n:
        raise ValueError(f"{n} human answers but {len(judges)} judge answers")
    if n == 0:
        return []
    width = len(SURVEY_FIELDS)
    h = np.array([_values(x) for x in humans], dtype=float).reshape(n, width)
    j = np.array([_values(x) for x in judges], dtype=float).reshape(n, width)
    valid = ~np.isnan(h)
    rows, cols = np.nonzero(valid & np.isnan(j))  # row-major: the order of the draws
    if len(rows):
        j[rows, cols] = _FILLS[cols, draw_indices(_OPTIONS[cols], rng)]
    d = np.where(valid, np.abs(h - j), 0.0)
    # numpy.mean's additions (numpy_sum): fewer than 8 values left to right (the zeros of
    # unanswered fields add nothing), all 8 as pairs of pairs
    left = d[:, 0].copy()
    for c in range(1, width):
        left += d[:, c]
    total = left
    if width == 8:
        pairs = ((d[:, 0] + d[:, 1]) + (d[:, 2] + d[:, 3])) + (
            (d[:, 4] + d[:, 5]) + (d[:, 6] + d[:, 7]))
        total = np.where(valid.all(axis=1), pairs, left)
    counts = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = (1.0 - total / counts) * 100.0
    return [None if k == 0 else float(v) for k, v in zip(counts.tolist(), values.tolist(),
                                                         strict=True)]
