"""τ-bench results (sierra-research/tau-bench ``run.py``): a JSON list of ``EnvRunResult``.

A record is ``{task_id: int, reward: float, info, traj: [messages], trial: int from 0}``;
``traj`` is the whole trajectory: a ``system`` message (the domain's policy), the user
simulator's ``user`` turns, the agent's ``assistant`` turns (content null when it only calls
tools) and ``tool`` results. The file does not name its domain: the policy's heading does
(``# Airline Agent Policy`` / ``# Retail agent policy``, tau-bench's ``envs/*/wiki.md``,
which every agent strategy puts at the start of its system prompt); ``domain`` tells it
for a file without one.

Session ``{domain}_{task_id}``, run ``trial + 1``, reward ``reward``, conversation the
dialogue (:func:`usi_metric.io.formats.common.dialogue`).

>>> rec = {"task_id": 4, "trial": 0, "reward": 1.0, "info": {}, "traj": [
...     {"role": "system", "content": "# Retail agent policy\\n\\nAs a retail agent, ..."},
...     {"role": "user", "content": "Hi, I want to return a lamp."}]}
>>> s = taubench_runs("r.json", [rec]).sessions[0]
>>> s.instance_id, s.group, s.reward, len(s.conversation)
('retail_4', '1', 1.0, 1)
"""

from __future__ import annotations

import re
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.features.extract import is_mapping
from usi_metric.io.formats.common import FileRuns, check_domain, dialogue, whole_number
from usi_metric.io.sessions import Session, simulator_session
from usi_metric.io.validate import check_entry, tname

# The first line of each domain's policy (tau-bench envs/airline/wiki.md, envs/retail/wiki.md).
POLICY_HEADINGS: dict[str, str] = {"airline": "# Airline Agent Policy",
                                   "retail": "# Retail agent policy"}
_HEADING = re.compile(r"^#[ \t]*(airline|retail)[ \t]+agent[ \t]+policy[ \t]*$",
                      re.IGNORECASE | re.MULTILINE)


def is_taubench(data: Any) -> bool:
    """A JSON list whose first record has ``task_id`` and ``traj`` (or ``trial``).

    >>> is_taubench([{"task_id": 0, "traj": []}]), is_taubench([1]), is_taubench({})
    (True, False, False)
    """
    return (isinstance(data, list) and bool(data) and is_mapping(data[0])
            and "task_id" in data[0] and ("traj" in data[0] or "trial" in data[0]))


def policy_domain(content: str) -> str | None:
    """The domain whose policy heading a system message has, or None.

    >>> policy_domain("# Airline Agent Policy\\n\\nThe current time is ...")
    'airline'
    >>> policy_domain("You are a helpful agent.") is None
    True
    """
    m = _HEADING.search(content)
    return m.group(1).lower() if m else None


def file_domain(path: str, records: list[Any], domain: str | None = None) -> str:
    """The domain of a τ-bench file, from the policy headings of its system messages.

    Every record whose system message names a policy must name the same one; records with
    no system message (a failed task's empty ``traj``) follow the others. ``domain`` (the
    ``--domain`` option) tells a file without a heading; it may not contradict one.
    """
    first: dict[str, str] = {}  # domain -> where its first heading is
    system: str | None = None  # where the first system message is
    for i, rec in enumerate(records):
        traj = rec.get("traj") if is_mapping(rec) else None
        for j, msg in enumerate(traj if isinstance(traj, list) else ()):
            if is_mapping(msg) and msg.get("role") == "system" and isinstance(
                    msg.get("content"), str):
                at = f"[{i}].traj[{j}].content"
                system = system or at
                dom = policy_domain(msg["content"])
                if dom is not None:
                    first.setdefault(dom, at)
                break
    if len(first) > 1:
        (a, at_a), (b, at_b) = first.items()
        raise UsiError(f"records of two domains: {at_a} has the {a} policy, {at_b} the {b} "
                       "policy; give one file per domain", file=path, field=at_b)
    if not first:
        if domain is not None:
            return domain
        headings = " / ".join(repr(h) for h in POLICY_HEADINGS.values())
        raise UsiError(f"cannot tell the domain: no system message starts with a tau-bench "
                       f"policy heading ({headings}); pass --domain airline|retail",
                       file=path, field=system or "[0].traj (no system message)")
    found, at = next(iter(first.items()))
    if domain is not None and domain != found:
        raise UsiError(f"--domain {domain} contradicts the file's {found} policy heading",
                       file=path, field=at)
    return found


def taubench_runs(path: str, records: Any, domain: str | None = None) -> FileRuns:
    """The sessions of a τ-bench results list (``domain``: for a file without a heading)."""
    if not isinstance(records, list) or not records:
        raise UsiError("a tau-bench results file must be a non-empty JSON list of records",
                       file=path)
    for i, rec in enumerate(records):
        if not is_mapping(rec):
            raise UsiError(f"record must be an object, got {tname(rec)}", file=path,
                           field=f"[{i}]")
    domain = file_domain(path, records, check_domain(domain))
    sessions: list[Session] = []
    seen: dict[tuple[str, int], int] = {}
    for i, rec in enumerate(records):
        task = whole_number(path, None, rec, "task_id", f"[{i}].task_id")
        iid = f"{domain}_{task}"
        trial = whole_number(path, iid, rec, "trial", f"[{i}].trial")
        if (iid, trial) in seen:
            raise UsiError(f"trial {trial} of this task is given twice (records "
                           f"[{seen[iid, trial]}] and [{i}])", file=path, id=iid,
                           field=f"[{i}].trial")
        seen[iid, trial] = i
        if "traj" not in rec:
            raise UsiError("missing field", file=path, id=iid, field=f"[{i}].traj")
        entry = {"conversation": dialogue(path, iid, rec["traj"], f"[{i}].traj"),
                 "reward": rec.get("reward")}
        fields = check_entry(path, iid, entry, need_conversation=True)
        sessions.append(simulator_session(iid, fields, run=trial + 1))
    return FileRuns("taubench", sessions, [None] * len(sessions))
