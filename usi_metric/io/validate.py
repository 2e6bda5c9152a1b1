"""The one validator of entries: conversation, reward, keep and survey (docs/ids-and-runs.md).

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


def check_entry(path: str | None, iid: str, entry: Any, *, need_conversation: bool,
                where: str = "", text: bool = False) -> dict[str, Any]:
    """Validate one entry; return its normalised fields (``check_session``'s and the
    survey's). ``where``: the entry's place in a larger input, prefixed to each field it
    names (``predictions[0][1]`` gives ``predictions[0][1].reward``); ``text=True`` also
    refuses lone surrogates (objects built in Python; the JSON reader refuses them in files).

    >>> check_entry(None, "airline_1", {"conversation": [], "reward": True},
    ...             need_conversation=True, where="predictions[0][1]")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: id airline_1: field predictions[0][1].reward: must be a number...
    """
    if not is_mapping(entry):
        raise UsiError(f"entry must be an object, got {tname(entry)}", file=path, id=iid,
                       field=where or None)
    out: dict[str, Any] = {}
    if need_conversation:
        out.update(check_session(entry, file=path, id=iid, where=where, text=text))
    out["survey"] = check_survey(path, iid, entry.get("survey"))
    return out


def check_session(entry: Mapping[str, Any], *, file: str | None = None,
                  id: str | None = None, where: str = "",  # noqa: A002
                  text: bool = False) -> dict[str, Any]:
    """``conversation`` (required), ``reward`` (absent: null) and ``keep`` (absent: true) of
    a session's entry, checked; the conversation as a tuple of its messages.

    >>> check_session({"conversation": [{"role": "user", "content": "hi"}], "keep": None})
    {'conversation': ({'role': 'user', 'content': 'hi'},), 'reward': None, 'keep': None}
    """
    at = f"{where}." if where else ""
    if "conversation" not in entry:
        raise UsiError("missing field", file=file, id=id, field=f"{at}conversation")
    return {"conversation": tuple(check_conversation(entry["conversation"], file=file, id=id,
                                                     field=f"{at}conversation", text=text)),
            "reward": check_reward(entry.get("reward"), file=file, id=id, field=f"{at}reward"),
            "keep": check_keep(entry.get("keep", True), file=file, id=id, field=f"{at}keep")}


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
    if type(conv) is list and not text:  # the common case: every message at once
        try:
            if all([type(m.get("role")) is str and type(m.get("content")) in _TEXT_OR_NULL
                    for m in conv]):
                return list(conv)
        except Exception:  # noqa: BLE001 - not all plain messages: checked one by one below
            pass
    if type(conv) is not list and (isinstance(conv, str | bytes) or is_mapping(conv)
                                   or not isinstance(conv, Sequence)):
        raise UsiError(f"must be a list of messages, got {tname(conv)}",
                       file=file, id=id, field=field)
    for i, msg in enumerate(conv):
        if type(msg) is dict and not text:  # the common case, checked first (same rules)
            role = msg.get("role")
            content = msg.get("content")
            if type(role) is str and (content is None or type(content) is str):
                continue
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


_TEXT_OR_NULL = frozenset({str, type(None)})


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
    if not is_number(reward):
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


def is_number(value: Any) -> bool:
    """The one rule for a number: any real number but a boolean, so numpy's numbers count
    (``datasets`` and pandas hand out ``numpy.float64`` and ``numpy.int64``).

    >>> is_number(1), is_number(np.float32(0.5)), is_number(True), is_number("1")
    (True, True, False, False)
    """
    return type(value) is float or (not isinstance(value, bool)
                                    and isinstance(value, numbers.Real))


def is_whole_number(value: Any) -> bool:
    """The one rule for a whole number: any integer but a boolean (numpy's count).

    >>> is_whole_number(3), is_whole_number(np.int32(3)), is_whole_number(3.0)
    (True, True, False)
    """
    return type(value) is int or (not isinstance(value, bool)
                                  and isinstance(value, numbers.Integral))


def check_whole_number(value: Any, *, low: int, high: int = 2**31 - 1,
                       file: str | None = None, id: str | None = None,  # noqa: A002
                       field: str | None = None) -> int:
    """``value`` as an int when it is a whole number from ``low`` to ``high``.

    >>> check_whole_number(2, low=1, high=3)
    2
    >>> check_whole_number(4, low=1, high=3, id="airline_1", field="annotator")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: id airline_1: field annotator: must be a whole number from 1...
    """
    if not is_whole_number(value) or not low <= value <= high:
        raise UsiError(f"must be a whole number from {low} to {high}, got {value!r}",
                       file=file, id=id, field=field)
    return int(value)


def check_answer(value: Any, *, file: str | None = None, id: str | None = None,  # noqa: A002
                 field: str | None = None) -> str | None:
    """A survey answer given as text (or ``{"answer": text}``), strictly: None for null,
    an error for anything else that is not text. (A release file's survey is read leniently
    by ``check_survey``: there a non-text answer is "no valid answer".)

    >>> check_answer({"answer": "Yes"}), check_answer(None)
    ('Yes', None)
    >>> check_answer(3, field="survey.reuse")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: field survey.reuse: must be the answer text or null, got int
    """
    if is_mapping(value):
        value = value.get("answer")
    if value is None:
        return None
    if not isinstance(value, str):
        raise UsiError(f"must be the answer text or null, got {tname(value)}",
                       file=file, id=id, field=field)
    return check_text(value, file=file, id=id, field=field)


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


# The roles a chat message may have (OpenAI/TRL chat templates); any other is refused, so a
# typo ("User", "human") cannot make a conversation yield no simulator turn in silence.
MESSAGE_ROLES: tuple[str, ...] = ("system", "developer", "user", "assistant", "tool",
                                  "function", "ipython")
_ROLES = frozenset(MESSAGE_ROLES)


def _plain(conv: list[Any]) -> bool:
    """Every message a plain dict with a known role and string content (the common case)."""
    try:
        return all([type(m) is dict and type(m.get("content")) is str and m.get("role") in _ROLES
                    for m in conv])
    except TypeError:  # an unhashable role
        return False


def check_messages(conv: Any, field: str, *, simulator_role: str = "user",
                   id: str | None = None) -> list[Any]:  # noqa: A002 - as UsiError's id
    """The messages of a conversation given in Python (a trainer's or an evaluation loop's
    rollout): each a ``{"role", "content"}`` object whose role is one of ``MESSAGE_ROLES``
    and whose content is a string; ``null`` content only in a turn that is not the
    simulator's (``simulator_role``), never a missing key. A results file's messages follow
    the looser :func:`check_conversation` (any role, as the runners write them).

    >>> check_messages([{"role": "assistant", "content": None, "tool_calls": []},
    ...                 {"role": "user", "content": "ok"}], "c")[0]["content"] is None
    True
    >>> check_messages([{"role": "human", "content": "hi"}], "completions[1]")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: field completions[1][0].role: unknown role 'human' (one of ...
    """
    if isinstance(conv, str | bytes | bytearray | Mapping) or not isinstance(conv, Sequence):
        raise UsiError("must be a conversation (a list of {\"role\", \"content\"} messages), "
                       f"got {tname(conv)}", id=id, field=field)
    if type(conv) is list and _plain(conv):
        return conv
    for i, msg in enumerate(conv):
        where = f"{field}[{i}]"
        if not isinstance(msg, Mapping):
            raise UsiError(f"must be a message (an object with role and content), got "
                           f"{tname(msg)}", id=id, field=where)
        if "role" not in msg:
            raise UsiError("missing (every message needs its role)", id=id, field=f"{where}.role")
        role = msg["role"]
        if not isinstance(role, str):
            raise UsiError(f"must be a string, got {tname(role)}", id=id, field=f"{where}.role")
        if role not in _ROLES:
            raise UsiError(f"unknown role {role!r} (one of {', '.join(MESSAGE_ROLES)})",
                           id=id, field=f"{where}.role")
        if "content" not in msg:
            raise UsiError("missing (every message needs its text)", id=id,
                           field=f"{where}.content")
        content = msg["content"]
        if content is None:
            if role == simulator_role:
                raise UsiError(f"null in a turn of the simulator (role {role!r}): its text is "
                               "what the USI reads", id=id, field=f"{where}.content")
        elif not isinstance(content, str):
            raise UsiError(f"must be a string, got {tname(content)}", id=id,
                           field=f"{where}.content")
    return list(conv)
