"""The one validator of entries: conversation, reward, keep and survey (USI_SPEC.md §1).

Every reader (release files, benchmark results, ``evaluate`` inputs, the dataset builder)
checks an entry here, so the type rules are the same everywhere. A problem is a one-line
:class:`UsiError` naming the file, id and field.

>>> check_entry("f.json", "airline_1", {"conversation": [], "reward": 1}, need_conversation=True)
{'conversation': (), 'reward': 1.0, 'keep': True, 'survey': {}}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.features.extract import is_mapping


def check_entry(path: str, iid: str, entry: Any, *, need_conversation: bool) -> dict[str, Any]:
    """Validate one entry; return its normalised fields."""
    if not is_mapping(entry):
        raise UsiError(f"entry must be an object, got {tname(entry)}", file=path, id=iid)
    out: dict[str, Any] = {}
    if need_conversation:
        if "conversation" not in entry:
            raise UsiError("missing field", file=path, id=iid, field="conversation")
        conv = entry["conversation"]
        if not isinstance(conv, list):
            raise UsiError(f"must be a list of messages, got {tname(conv)}",
                           file=path, id=iid, field="conversation")
        for i, msg in enumerate(conv):
            where = f"conversation[{i}]"
            if not is_mapping(msg):
                raise UsiError(f"message must be an object, got {tname(msg)}",
                               file=path, id=iid, field=where)
            role = msg.get("role")
            if not isinstance(role, str):
                raise UsiError(f"role must be a string, got {tname(role)}",
                               file=path, id=iid, field=f"{where}.role")
            content = msg.get("content")
            if content is not None and not isinstance(content, str):
                raise UsiError(f"content must be a string or null, got {tname(content)}",
                               file=path, id=iid, field=f"{where}.content")
        out["conversation"] = tuple(conv)
        reward = entry.get("reward")
        if reward is not None and (
            isinstance(reward, bool) or not isinstance(reward, int | float)
        ):
            raise UsiError(f"must be a number or null, got {tname(reward)}",
                           file=path, id=iid, field="reward")
        if isinstance(reward, float) and not math.isfinite(reward):
            raise UsiError("must be a finite number", file=path, id=iid, field="reward")
        out["reward"] = None if reward is None else float(reward)
        keep = entry.get("keep", True)
        if keep is not None and not isinstance(keep, bool):
            raise UsiError(f"must be true, false or null, got {tname(keep)}",
                           file=path, id=iid, field="keep")
        out["keep"] = keep
    out["survey"] = check_survey(path, iid, entry.get("survey"))
    return out


def check_survey(path: str, iid: str, survey: Any) -> dict[str, Any]:
    """``{field: answer}`` of an entry's survey. An entry without answers is unanswered, not
    an error (the paper's scorer): a missing or null ``survey``, a field that is not
    ``{"answer": ...}``, or an answer that is not a string are kept as "no valid answer",
    and the scorer's seeded fill applies. Only a survey that is not an object is an error.

    >>> check_survey("s.json", "airline_1", {"reuse": {"answer": 3}, "human_like": "Yes"})
    {'reuse': None, 'human_like': None}
    """
    if survey is None:
        return {}
    if not is_mapping(survey):
        raise UsiError(f"must be an object of survey fields, got {tname(survey)}",
                       file=path, id=iid, field="survey")
    answers: dict[str, Any] = {}
    for name, value in survey.items():
        answer = value.get("answer") if is_mapping(value) else None
        answers[name] = answer if isinstance(answer, str) else None
    return answers


def tname(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def top_object(path: str, data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise UsiError(f"{what} must be a JSON object {{instance_id: entry}}, "
                       f"got {tname(data)}", file=path)
    if not data:
        raise UsiError(f"{what} has no entries", file=path)
    return data
