"""Why sessions yield no features, counted: the numbers stay the paper's (such a session is
left out of D1-D4, as the paper's scorer does; its reward still counts in the ECE), but a
score never rests silently on fewer sessions than the file holds.

A session yields no features when none of its messages is a user turn with text: its
conversation is empty, or no message has the role exactly ``"user"`` (``"USER"``,
``"human"`` and ``"customer"`` are other roles), or its user turns hold no text once
cleaned. The first two are a file's mistake and said as a warning (:func:`featureless_line`);
a session of agent and tool messages only, or of user turns that clean to nothing (a lone
``###STOP###``), is real data, counted where the coverage is said.

>>> reasons([[], [{"role": "USER", "content": "hi"}], [{"role": "user", "content": "hi"}]],
...         [False, False, True])
{'empty': 1, 'n': 2, 'no_text': 0, 'no_user': 0, 'other_roles': 1, 'roles_seen': ['USER']}
>>> line = featureless_line("runs.json", {'empty': 0, 'other_roles': 2, 'n': 2,
...                                       'roles_seen': ['human'], 'no_text': 0}, 10)
>>> line.split(", so")[0], line.split(": ")[-1]
('runs.json: 2 of its 10 kept sessions yield no features', "'human')")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

USER_ROLE = "user"
# Roles of real sessions besides the user's: a session of these only is real data.
OTHER_KNOWN_ROLES = frozenset({"assistant", "system", "tool"})
MAX_ROLES = 5  # roles named in a line


def reasons(conversations: Iterable[Sequence[Any]], has_features: Iterable[bool]
            ) -> dict[str, Any]:
    """The sessions without features (``n``), by reason: ``empty`` conversations,
    ``other_roles`` (no message with the role exactly ``"user"`` and some role that is none of
    ``OTHER_KNOWN_ROLES``; ``roles_seen``: up to five of the roles they hold, sorted),
    ``no_user`` (agent, tool or system messages only), ``no_text`` (user turns with no text
    once cleaned)."""
    empty = other = no_user = no_text = 0
    seen: set[str] = set()
    for conv, ok in zip(conversations, has_features, strict=True):
        if ok:
            continue
        if not conv:
            empty += 1
            continue
        roles = {m.get("role") for m in conv if isinstance(m, Mapping)}
        if USER_ROLE in roles:
            no_text += 1
        elif roles <= OTHER_KNOWN_ROLES:
            no_user += 1
        else:
            other += 1
            seen.update(r if isinstance(r, str) else repr(r) for r in roles)
    return {"empty": empty, "n": empty + other + no_user + no_text, "no_text": no_text,
            "no_user": no_user, "other_roles": other, "roles_seen": sorted(seen)[:MAX_ROLES]}


def why(r: Mapping[str, Any]) -> str:
    """The reasons of :func:`reasons`, in words (roles and empty conversations, not ids).

    >>> why({"empty": 3, "n": 3, "no_text": 0, "other_roles": 0, "roles_seen": []})
    '3 have an empty conversation'
    """
    def have(n: int) -> str:
        return f"{n} {'has' if n == 1 else 'have'}"

    parts = []
    if r.get("other_roles"):
        roles = ", ".join(repr(x) for x in r["roles_seen"])
        parts.append(f"{have(r['other_roles'])} no message whose role is exactly 'user' "
                     f"(roles seen: {roles})")
    if r.get("empty"):
        parts.append(f"{have(r['empty'])} an empty conversation")
    if r.get("no_user"):
        parts.append(f"{have(r['no_user'])} agent, tool or system messages only")
    if r.get("no_text"):
        parts.append(f"{have(r['no_text'])} no user text once cleaned")
    return "; ".join(parts)


def featureless_line(path: str, r: Mapping[str, Any], total: int) -> str | None:
    """One line saying how many kept sessions of ``path`` yield no features and why, when
    some are a file's mistake (roles other than exactly ``"user"``, empty conversations);
    None otherwise."""
    if not r or not (r.get("other_roles") or r.get("empty")):
        return None
    return (f"{path}: {r['n']} of its {total} kept sessions yield no features, so D1-D4 "
            f"leave them out (their rewards still count in the ECE): {why(r)}")


def warn_featureless(path: str, r: Mapping[str, Any], total: int) -> str | None:
    """Warn (``UsiWarning``) with :func:`featureless_line` when there is one; return it."""
    import warnings

    from usi_metric.errors import UsiWarning

    line = featureless_line(path, r, total)
    if line is not None:
        warnings.warn(line, UsiWarning, stacklevel=3)
    return line
