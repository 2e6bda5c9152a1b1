"""What a batch of rollouts must be (``score_batch``, ``USIReward``): one ``UsiError`` naming
the position and the field for anything else, never a silent zero.

- the per-rollout lists (conversations/completions, task keys, rewards): lists (or tuples,
  arrays) of the same, non-zero length;
- a task key: a non-empty string; a reward: a finite real number (not a bool), or None (a
  failure, §6);
- a conversation: a list of messages, each a ``{"role", "content"}`` object whose role is
  one of ``MESSAGE_ROLES`` and whose content is a string; ``null`` content only in a turn
  that is not the simulator's (an agent's tool call), never a missing key. An empty list is
  a conversation that yields no features (as in a results file; ``USIReward`` counts it in
  its warning). A ``USIReward`` completion may also be a plain string (one simulator turn).

>>> check_messages([{"role": "user", "content": "hi"}], "conversations[0]")
[{'role': 'user', 'content': 'hi'}]
>>> check_messages([{"role": "user"}], "conversations[3]")
Traceback (most recent call last):
...
usi_metric.errors.UsiError: field conversations[3][0].content: missing (every message needs ...)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.io.validate import check_reward, tname

# The roles a chat message may have (OpenAI/TRL chat templates); any other is refused, so a
# typo ("User", "human") cannot make a conversation yield no simulator turn in silence.
MESSAGE_ROLES: tuple[str, ...] = ("system", "developer", "user", "assistant", "tool",
                                  "function", "ipython")
_ROLES = frozenset(MESSAGE_ROLES)


def check_lists(names: tuple[str, str, str], conversations: Any, task_keys: Any,
                rewards: Any) -> int:
    """The three per-rollout lists: list-like, of one length, not empty; that length.

    >>> check_lists(("c", "t", "r"), ["a"], ["x", "y"], [1])
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: field t: 2 values for 1 c
    """
    for name, seq in zip(names, (conversations, task_keys, rewards), strict=True):
        if isinstance(seq, str | bytes | bytearray | Mapping) or not hasattr(seq, "__len__") \
                or not hasattr(seq, "__getitem__"):
            raise UsiError(f"must be a list (one value per rollout), got {tname(seq)}",
                           field=name)
    n = len(conversations)
    if n == 0:
        raise UsiError("empty batch: no rollouts to score", field=names[0])
    for name, seq in zip(names[1:], (task_keys, rewards), strict=True):
        if len(seq) != n:
            raise UsiError(f"{len(seq)} values for {n} {names[0]}", field=name)
    return n


def check_task_keys(task_keys: Sequence[Any], name: str) -> list[str]:
    """Each task key a non-empty string.

    >>> check_task_keys(["airline_2", 10], "task_key")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: field task_key[1]: must be a non-empty string, got 10
    """
    out = list(task_keys)
    for i, t in enumerate(out):
        if not isinstance(t, str) or not t:
            raise UsiError(f"must be a non-empty string, got {t!r}", field=f"{name}[{i}]")
    return [str(t) for t in out]


def check_rewards(rewards: Sequence[Any], name: str) -> list[float | None]:
    """Each reward a finite real number (not a bool, not a string) or None: the package's
    one rule for a reward (``io.validate.check_reward``).

    >>> check_rewards([1, None, 0.5], "reward")
    [1.0, None, 0.5]
    >>> check_rewards([1, float("inf")], "reward")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: field reward[1]: must be a finite number (a float holds up ...
    """
    return [check_reward(r, field=f"{name}[{i}]") for i, r in enumerate(rewards)]


def check_batch(conversations: Sequence[Any], task_keys: Sequence[Any],
                rewards: Sequence[Any], *, names: tuple[str, str, str] = (
                    "conversations", "task_keys", "rewards")) -> list[float | None]:
    """The lists, the task keys and the rewards (not the conversations: ``check_messages``);
    the rewards as floats or None.

    >>> check_batch([[]], ["airline_1"], [float("nan")])
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: field rewards[0]: must be a finite number (a float holds up ...
    """
    check_lists(names, conversations, task_keys, rewards)
    check_task_keys(task_keys, names[1])
    return check_rewards(rewards, names[2])


def _plain(conv: list[Any]) -> bool:
    """Every message a plain dict with a known role and string content (the common case)."""
    try:
        return all([type(m) is dict and type(m.get("content")) is str and m.get("role") in _ROLES
                    for m in conv])
    except TypeError:  # an unhashable role
        return False


def check_messages(conv: Any, field: str, *, simulator_role: str = "user") -> list[Any]:
    """The messages of one conversation (see the module); ``simulator_role``: whose turns
    are the simulator's (their content may not be null).

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
                       f"got {tname(conv)}", field=field)
    if type(conv) is list and _plain(conv):
        return conv
    for i, msg in enumerate(conv):
        where = f"{field}[{i}]"
        if not isinstance(msg, Mapping):
            raise UsiError(f"must be a message (an object with role and content), got "
                           f"{tname(msg)}", field=where)
        if "role" not in msg:
            raise UsiError("missing (every message needs its role)", field=f"{where}.role")
        role = msg["role"]
        if not isinstance(role, str):
            raise UsiError(f"must be a string, got {tname(role)}", field=f"{where}.role")
        if role not in _ROLES:
            raise UsiError(f"unknown role {role!r} (one of {', '.join(MESSAGE_ROLES)})",
                           field=f"{where}.role")
        if "content" not in msg:
            raise UsiError("missing (every message needs its text)", field=f"{where}.content")
        content = msg["content"]
        if content is None:
            if role == simulator_role:
                raise UsiError(f"null in a turn of the simulator (role {role!r}): its text is "
                               "what the USI reads", field=f"{where}.content")
        elif not isinstance(content, str):
            raise UsiError(f"must be a string, got {tname(content)}", field=f"{where}.content")
    return list(conv)
