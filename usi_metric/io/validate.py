"""The one validator of entries: conversation, reward, keep and survey (USI_SPEC.md §1).

Every reader (release files, benchmark results, ``evaluate`` inputs, the dataset builder)
checks an entry here, so the type rules are the same everywhere. A problem is a one-line
:class:`UsiError` naming the file, id and field.

>>> check_entry("f.json", "airline_1", {"conversation": [], "reward": 1}, need_conversation=True)
{'conversation': (), 'reward': 1.0, 'keep': True, 'survey': {}}
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from usi_metric.errors import UsiError
from usi_metric.features.extract import is_mapping
from usi_metric.io.jsonfile import SURROGATE_MSG, has_lone_surrogate, shown


def check_entry(path: str, iid: str, entry: Any, *, need_conversation: bool) -> dict[str, Any]:
    """Validate one entry; return its normalised fields."""
    if not is_mapping(entry):
        raise UsiError(f"entry must be an object, got {tname(entry)}", file=path, id=iid)
    out: dict[str, Any] = {}
    if need_conversation:
        if "conversation" not in entry:
            raise UsiError("missing field", file=path, id=iid, field="conversation")
        out["conversation"] = tuple(check_conversation(entry["conversation"], file=path,
                                                       id=iid))
        out["reward"] = check_reward(entry.get("reward"), file=path, id=iid)
        out["keep"] = check_keep(entry.get("keep", True), file=path, id=iid)
    out["survey"] = check_survey(path, iid, entry.get("survey"))
    return out


# The field checks below are shared by every reader: the JSON files (through
# ``check_entry``), the ``evaluate`` inputs and the dataset's rows. ``file``, ``id`` and
# ``field`` say where the value is, for the one-line message.


def check_conversation(conv: Any, *, file: str | None = None, id: str | None = None,  # noqa: A002
                       field: str = "conversation", text: bool = False) -> list[Any]:
    """The messages of a conversation: a list of ``{"role": str, "content": str | null}``.

    ``text=True`` also refuses a role or content holding a lone surrogate (the JSON reader
    already does for files; objects built in Python need it here).

    >>> check_conversation([{"role": "user", "content": None}])
    [{'role': 'user', 'content': None}]
    """
    if type(conv) is not list and (isinstance(conv, str | bytes) or is_mapping(conv)
                                   or not isinstance(conv, Sequence)):
        raise UsiError(f"must be a list of messages, got {tname(conv)}",
                       file=file, id=id, field=field)
    for i, msg in enumerate(conv):
        where = f"{field}[{i}]"
        if not is_mapping(msg):
            raise UsiError(f"message must be an object, got {tname(msg)}",
                           file=file, id=id, field=where)
        role = msg.get("role")
        if not isinstance(role, str):
            raise UsiError(f"role must be a string, got {tname(role)}",
                           file=file, id=id, field=f"{where}.role")
        content = msg.get("content")
        if content is not None and not isinstance(content, str):
            raise UsiError(f"content must be a string or null, got {tname(content)}",
                           file=file, id=id, field=f"{where}.content")
        if text:
            check_text(role, file=file, id=id, field=f"{where}.role")
            if content is not None:
                check_text(content, file=file, id=id, field=f"{where}.content")
    return list(conv)


def check_reward(reward: Any, *, file: str | None = None, id: str | None = None,  # noqa: A002
                 field: str = "reward") -> float | None:
    """A reward as a float, or None for null: any real number that is finite as a float.

    >>> check_reward(1), check_reward(None)
    (1.0, None)
    >>> check_reward(10**400, file="runs.json", id="airline_1")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: runs.json: id airline_1: field reward: must be a finite number...
    """
    if reward is None:
        return None
    if type(reward) is float and math.isfinite(reward):  # the common case, checked first
        return reward
    if isinstance(reward, bool | np.bool_) or not isinstance(reward, numbers.Real):
        raise UsiError(f"must be a number or null, got {tname(reward)}",
                       file=file, id=id, field=field)
    try:
        value = float(reward)
    except OverflowError:  # an integer beyond any float (10**400)
        value = math.inf
    if not math.isfinite(value):
        raise UsiError("must be a finite number (a float holds up to about 1.8e308)",
                       file=file, id=id, field=field)
    return value


def check_keep(keep: Any, *, file: str | None = None, id: str | None = None,  # noqa: A002
               field: str = "keep") -> bool | None:
    """``keep`` as true, false or None (null); numpy's booleans count as booleans.

    >>> check_keep(True), check_keep(None)
    (True, None)
    """
    if keep is None:
        return None
    if not isinstance(keep, bool | np.bool_):
        raise UsiError(f"must be true, false or null, got {tname(keep)}",
                       file=file, id=id, field=field)
    return bool(keep)


def check_text(value: str, *, file: str | None = None, id: str | None = None,  # noqa: A002
               field: str | None = None) -> str:
    r"""``value`` when it is Unicode text; a lone surrogate (``"\ud800"``) is refused, as the
    JSON reader refuses it in files (no file, table or dataset can hold one). Without
    ``field`` the value is the id itself.

    >>> check_text("ok")
    'ok'
    >>> check_text("airline_1\udc80", file="<rows>")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: <rows>: id airline_1\udc80: holds a lone surrogate...
    """
    if has_lone_surrogate(value):
        if field is None:
            raise UsiError(SURROGATE_MSG, file=file, id=shown(value))
        raise UsiError(SURROGATE_MSG, file=file, id=id, field=field)
    return value


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
