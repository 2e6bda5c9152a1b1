"""The rollout form ``{"results": [record, ...]}`` and the release layout ``{id: entry}``.

Rollout records carry ``instance_id`` (or ``domain`` + ``task_index``) and, for several
runs, ``run`` (from 1) or ``trial`` (from 0). Records without any run number are the
``{id: entry}`` form written as a list, and follow the release layout's rule
(docs/ids-and-runs.md: a file of more than 170 entries holds several runs, ids suffixed
``_1``/``_2``/``_3``).

>>> runs = rollout_runs("r.json", [{"domain": "retail", "task_index": 4, "trial": 1,
...                                 "conversation": [], "reward": 1}])
>>> [(s.instance_id, s.group) for s in runs.sessions]
[('retail_4', '2')]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.io.formats.common import FileRuns, text_or_none
from usi_metric.io.layout import MULTI_RUN_THRESHOLD
from usi_metric.io.sessions import Session, simulator_session
from usi_metric.io.validate import check_entry, tname, top_object


def release_runs(path: str, data: Any) -> FileRuns:
    """A simulator file of the release layout: ``{instance_id: entry}``; the runs follow the
    file-size rule of §1.

    >>> runs = release_runs("eval_results_x.json", {"airline_3": {"conversation": []}})
    >>> [(s.base_id, s.group) for s in runs.sessions]
    [('airline_3', '1')]
    """
    data = top_object(path, data, "a simulator runs file")
    multi = len(data) > MULTI_RUN_THRESHOLD
    sessions = []
    for iid, entry in data.items():
        fields = check_entry(path, iid, entry, need_conversation=True)
        sessions.append(simulator_session(iid, fields, multi_run=multi))
    return FileRuns("release", sessions, [_agent(e) for e in data.values()])


def rollout_runs(path: str, records: Any) -> FileRuns:
    """The records of the rollout form (the value of ``"results"``)."""
    if not isinstance(records, list) or not records:
        raise UsiError("must be a non-empty list of records", file=path, field="results")
    if not any(isinstance(r, Mapping) and ("run" in r or "trial" in r) for r in records):
        # No run numbers: the records are the {id: entry} form written as a list.
        as_object: dict[str, Any] = {}
        for i, rec in enumerate(records):
            iid = record_id(path, i, rec)
            if iid in as_object:
                raise UsiError("duplicate id", file=path, id=iid, field="instance_id")
            as_object[iid] = rec
        runs = release_runs(path, as_object)
        return FileRuns("rollout", runs.sessions, runs.agent_ids)
    seen: set[tuple[int, str]] = set()
    sessions: list[Session] = []
    for i, rec in enumerate(records):
        iid = record_id(path, i, rec)
        run = record_run(path, iid, rec)
        if (run, iid) in seen:
            raise UsiError(f"duplicate id in run {run}", file=path, id=iid, field="instance_id")
        seen.add((run, iid))
        fields = check_entry(path, iid, rec, need_conversation=True)
        sessions.append(simulator_session(iid, fields, run=run))
    return FileRuns("rollout", sessions, [_agent(r) for r in records])


def record_id(path: str, i: int, rec: Any) -> str:
    """The instance id of record ``i``: ``instance_id``, else ``{domain}_{task_index}``.

    >>> record_id("r.json", 0, {"domain": "airline", "task_index": 7})
    'airline_7'
    """
    if not isinstance(rec, Mapping):
        raise UsiError(f"record must be an object, got {tname(rec)}",
                       file=path, field=f"results[{i}]")
    iid = rec.get("instance_id")
    if iid is None and "domain" in rec and "task_index" in rec:
        dom, idx = rec["domain"], rec["task_index"]
        if not isinstance(dom, str) or isinstance(idx, bool) or not isinstance(idx, int | str):
            raise UsiError("domain must be a string and task_index an integer",
                           file=path, field=f"results[{i}].task_index")
        iid = f"{dom}_{idx}"
    if not isinstance(iid, str) or not iid:
        raise UsiError("needs instance_id (or domain + task_index)",
                       file=path, field=f"results[{i}].instance_id")
    return iid


def record_run(path: str, iid: str, rec: Mapping[str, Any]) -> int:
    """The run of a record: ``run`` (from 1), ``trial`` + 1 (trials count from 0), else 1.

    >>> record_run("r.json", "airline_1", {"trial": 0}), record_run("r.json", "a", {})
    (1, 1)
    """
    if "run" in rec:
        run, offset, fname = rec["run"], 0, "run"
    elif "trial" in rec:
        run, offset, fname = rec["trial"], 1, "trial"  # tau-bench trials count from 0
    else:
        return 1
    if isinstance(run, bool) or not isinstance(run, int) or run + offset < 1:
        raise UsiError("must be a whole number (run >= 1, trial >= 0)",
                       file=path, id=iid, field=fname)
    return run + offset


def _agent(entry: Any) -> str | None:
    return text_or_none(entry.get("agent_id")) if isinstance(entry, Mapping) else None
