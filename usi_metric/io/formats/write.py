"""Sessions back to a simulator file of the release (what ``usi convert`` writes), in the
form that reads back as the same sessions.

The release layout's rule (docs/ids-and-runs.md) decides how a file of ``{instance_id: entry}`` is
read: more than 170 entries hold several runs with ids ``{task}_{run}`` (runs 1-3), at most
170 entries are one run with ids as they are. So the sessions are written as

- ``{"airline_7": entry, ...}`` when they are one run of at most 170 tasks;
- ``{"airline_7_2": entry, ...}`` when there are more than 170 of them in runs 1-3;
- otherwise (several runs in at most 170 entries, a run above 3, a task of another domain)
  the rollout form ``{"results": [{"instance_id": "airline_7", "run": 2, ...}]}``, which
  numbers its runs and which every reader of this package (score, leaderboard, report,
  dataset) reads as such.

Entries keep the conversation, reward, keep and survey of each session (and its agent when
known), keys sorted; sessions stay in their order.

>>> from usi_metric.io.sessions import simulator_session
>>> ss = [simulator_session("airline_3", {"reward": 1.0}, run=r) for r in (1, 2)]
>>> payload, form, why = release_payload(ss, [None, None])
>>> form, [(r["instance_id"], r["run"]) for r in payload["results"]]
('rollout', [('airline_3', 1), ('airline_3', 2)])
>>> why
'2 runs in 2 entries: the release layout reads at most 170 entries as one run'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.io.layout import MULTI_RUN_THRESHOLD
from usi_metric.io.sessions import Session

_TASK_ID = re.compile(r"(airline|retail)_\d+")
ONE_RUN, RUN_SUFFIXES, ROLLOUT = "one-run", "run-suffixes", "rollout"


def release_payload(sessions: Sequence[Session], agent_ids: Sequence[str | None]
                    ) -> tuple[dict[str, Any], str, str]:
    """``(JSON payload, form, why)``: form ``one-run`` / ``run-suffixes`` (``{id: entry}``)
    or ``rollout`` (``{"results": [...]}``), as the module docstring says; ``why`` says why
    the rollout form was needed ("" for the others).

    >>> from usi_metric.io.sessions import simulator_session
    >>> payload, form, why = release_payload([simulator_session("retail_4", {}, run=1)], [None])
    >>> form, list(payload), why
    ('one-run', ['retail_4'], '')
    """
    if not sessions:
        raise UsiError("no session to write")
    for s in sessions:
        if not s.group.isdigit() or int(s.group) < 1 or s.ece_run != int(s.group):
            raise UsiError(f"run key {s.group!r} (ECE run {s.ece_run}) of an id with an odd "
                           "suffix cannot be written so that it reads back the same",
                           id=s.instance_id, field="run")
    pairs = list(zip(sessions, agent_ids, strict=True))
    runs = sorted({int(s.group) for s in sessions})
    other = next((s.base_id for s in sessions if not _TASK_ID.fullmatch(s.base_id)), None)
    n = len(sessions)
    if other is not None:
        why = f"task {other} is not an airline or retail task id"
    elif runs == [1] and n <= MULTI_RUN_THRESHOLD:
        return {s.base_id: _entry(s, s.base_id, a) for s, a in pairs}, ONE_RUN, ""
    elif runs[-1] > 3:
        why = f"run {runs[-1]}: the release layout's ids carry runs 1-3 only"
    elif n > MULTI_RUN_THRESHOLD:
        return ({f"{s.base_id}_{s.group}": _entry(s, f"{s.base_id}_{s.group}", a)
                 for s, a in pairs}, RUN_SUFFIXES, "")
    else:
        why = (f"{len(runs)} runs in {n} entries: the release layout reads at most "
               f"{MULTI_RUN_THRESHOLD} entries as one run")
    records = []
    for s, a in pairs:
        rec = _entry(s, s.base_id, a)
        rec["run"] = int(s.group)
        records.append(dict(sorted(rec.items())))
    return {"results": records}, ROLLOUT, why


def _entry(s: Session, iid: str, agent: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "conversation": [dict(sorted(m.items())) for m in s.conversation],
        "instance_id": iid,
        "keep": s.keep,
        "reward": s.reward,
        "survey": {k: {"answer": v} for k, v in sorted(s.survey.items())},
    }
    if agent is not None:
        entry["agent_id"] = agent
    return dict(sorted(entry.items()))


def session_identity(s: Session) -> tuple[Any, ...]:
    """What must read back the same from a written file (the id itself may gain a suffix).

    >>> from usi_metric.io.sessions import simulator_session
    >>> session_identity(simulator_session("airline_3", {"reward": 1.0}, run=2))[:4]
    ('airline_3', 'airline_3', '2', 2)
    """
    return (s.base_id, s.task_key, s.group, s.ece_run, s.reward, s.keep,
            tuple(dict(m) for m in s.conversation), dict(s.survey))
