"""Why sessions yield no features, counted: the numbers stay the paper's (such a session is
left out of every term, as the paper's scorer does), but a score never rests silently on
fewer sessions than the file holds.

A session yields no features when none of its messages is a user turn with text: its
conversation is empty, or no message has the role exactly ``"user"`` (``"USER"``,
``"human"`` and ``"customer"`` are other roles), or its user turns hold no text once
cleaned.

>>> reasons([[], [{"role": "USER", "content": "hi"}], [{"role": "user", "content": "hi"}]],
...         [False, False, True])
{'empty': 1, 'other_roles': 1, 'roles_seen': ['USER'], 'no_text': 0, 'n': 2}
>>> featureless_line("runs.json", {'empty': 0, 'other_roles': 2, 'roles_seen': ['human'],
...                                'no_text': 0, 'n': 2}, 10)
"runs.json: 2 of its 10 sessions yield no features and are left out of every term: 2 have no message whose role is exactly 'user' (roles seen: 'human')"
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

USER_ROLE = "user"


def reasons(conversations: Iterable[Sequence[Any]], has_features: Iterable[bool]
            ) -> dict[str, Any]:
    """The sessions without features (``n``), by reason: ``empty`` conversations,
    ``other_roles`` (no message with the role exactly ``"user"``; ``roles_seen``: up to five
    of the roles they hold, sorted), ``no_text`` (user turns with no text once cleaned)."""
    empty = other = no_text = 0
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
        else:
            other += 1
            seen.update(repr(r) if not isinstance(r, str) else r for r in roles)
    return {"empty": empty, "other_roles": other, "roles_seen": sorted(seen)[:5],
            "no_text": no_text, "n": empty + other + no_text}


def featureless_line(path: str, r: Mapping[str, Any], total: int) -> str | None:
    """One line saying how many sessions of ``path`` yield no features and why (None when
    every session has features)."""
    if not r or not r.get("n"):
        return None
    parts = []
    if r["other_roles"]:
        roles = ", ".join(repr(x) for x in r["roles_seen"])
        parts.append(f"{r['other_roles']} have no message whose role is exactly 'user' "
                     f"(roles seen: {roles})")
    if r["empty"]:
        parts.append(f"{r['empty']} have an empty conversation")
    if r["no_text"]:
        parts.append(f"{r['no_text']} have no user text once cleaned")
    return (f"{path}: {r['n']} of its {total} sessions yield no features and are left out "
            f"of every term: {'; '.join(parts)}")
