"""What every results-file reader shares: the messages kept, whole numbers, the result type.

The benchmark runners write the whole trajectory (system prompt, tool calls, tool results);
the release layout holds only the dialogue. :func:`dialogue` keeps the user and assistant
turns that carry text and drops the rest, so a session read from a runner's file has the
conversation the release layout holds for it.

>>> dialogue("f.json", "airline_1", [
...     {"role": "system", "content": "# Airline Agent Policy"},
...     {"role": "user", "content": "hi"},
...     {"role": "assistant", "content": None, "tool_calls": [{"id": "c1"}]},
...     {"role": "tool", "content": "{}"},
...     {"role": "assistant", "content": "Done."}], "traj")
[{'role': 'user', 'content': 'hi'}, {'role': 'assistant', 'content': 'Done.'}]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.io.ids import DOMAINS as TAU_DOMAINS  # the domains of the human study
from usi_metric.io.sessions import Session
from usi_metric.io.validate import check_conversation, tname

DIALOGUE_ROLES = ("user", "assistant")


@dataclass
class FileRuns:
    """What one results file (or several, merged) holds, in file order.

    ``kind``: the format read (``release``, ``rollout``, ``taubench``, ``tau2bench``,
    ``odyssim``; ``merged`` for several files). ``agent_ids[i]`` is the agent of
    ``sessions[i]`` when the file says it. ``warnings``: one-line notes for stderr (what was
    left out and why); the loader prints them, the reader never does.
    """

    kind: str
    sessions: list[Session]
    agent_ids: list[str | None]
    warnings: list[str] = field(default_factory=list)


def dialogue(path: str, iid: str, messages: Any, where: str) -> list[dict[str, Any]]:
    """The user and assistant turns of a runner's message list, as ``{"role", "content"}``.

    Dropped: ``system`` and ``tool`` messages (any role but user and assistant), messages
    without text (content null), and messages that only call tools (``tool_calls`` set and
    content empty or blank). Kept in order, content unchanged. ``where`` names the list in
    error messages (``traj``, ``simulations[3].messages``).

    >>> dialogue("f.json", "retail_2", [{"role": "user", "content": ""},
    ...     {"role": "assistant", "content": " ", "tool_calls": [{}]},
    ...     {"role": "assistant", "content": "Let me check.", "tool_calls": [{}]}], "traj")
    [{'role': 'user', 'content': ''}, {'role': 'assistant', 'content': 'Let me check.'}]
    """
    out: list[dict[str, Any]] = []
    for msg in check_conversation(messages, file=path, id=iid, field=where):
        role, content = msg["role"], msg.get("content")
        if role not in DIALOGUE_ROLES or content is None:
            continue
        if msg.get("tool_calls") and not content.strip():
            continue  # only calls tools
        out.append({"role": role, "content": content})
    return out


def whole_number(path: str, iid: str | None, record: Mapping[str, Any], key: str,
                 where: str) -> int:
    """``record[key]`` as a whole number >= 0 (a trial, a task index), or a one-line error.

    >>> whole_number("f.json", "airline_1", {"trial": 2}, "trial", "[0].trial")
    2
    >>> whole_number("f.json", "airline_1", {"trial": True}, "trial", "[0].trial")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: f.json: id airline_1: field [0].trial: must be a whole ... got bool
    """
    if key not in record:
        raise UsiError("missing field", file=path, id=iid, field=where)
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        shown = tname(value) if not isinstance(value, int) or isinstance(value, bool) else value
        raise UsiError(f"must be a whole number >= 0, got {shown}", file=path, id=iid,
                       field=where)
    return value


def check_domain(domain: str | None) -> str | None:
    """A ``--domain`` value: None or one of the human study's domains.

    >>> check_domain("retail")
    'retail'
    """
    if domain is not None and domain not in TAU_DOMAINS:
        raise UsiError(f"--domain must be one of {', '.join(TAU_DOMAINS)}, got {domain!r}")
    return domain


def text_or_none(value: Any) -> str | None:
    """``value`` when it is a non-empty string, else None.

    >>> text_or_none("gpt-4o"), text_or_none(3), text_or_none("")
    ('gpt-4o', None, None)
    """
    return value if isinstance(value, str) and value else None
