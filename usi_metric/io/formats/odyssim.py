"""OdysSim task results (sunnweiwei/OdysSim ``agents/tau_usi/run_eval.py``).

``{benchmark, model, user_sim_model, n, results: [{instance_id, env_name, domain,
task_index, conversation, chat, survey, reward, features, termination_reason, ...}]}``: one
run of the user simulator over the tasks. ``conversation`` is already the dialogue (the
runner keeps the user and assistant turns of its ``chat``), so it is read as it is, as
OdysSim's own scorer reads it; ``model`` is the agent.

>>> runs = odyssim_runs("x_task_results.json", {"benchmark": "tau_usi", "model": "gpt-5.2",
...     "results": [{"instance_id": "airline_3", "conversation": [], "reward": 1.0}]})
>>> [(s.instance_id, s.group, s.ece_run) for s in runs.sessions], runs.agent_ids
([('airline_3', '1', 1)], ['gpt-5.2'])
"""

from __future__ import annotations

from typing import Any

from usi_metric.errors import UsiError
from usi_metric.features.extract import is_mapping
from usi_metric.io.formats.common import FileRuns, text_or_none
from usi_metric.io.formats.rollout import record_id
from usi_metric.io.sessions import Session, simulator_session
from usi_metric.io.validate import check_entry

# Top-level keys run_eval.py writes beside "results".
ODYSSIM_KEYS: tuple[str, ...] = ("benchmark", "model", "user_sim_model", "n")


def is_odyssim(data: Any) -> bool:
    """An object with a ``results`` list and OdysSim's run keys beside it.

    >>> is_odyssim({"benchmark": "tau_usi", "results": []}), is_odyssim({"results": []})
    (True, False)
    """
    return (is_mapping(data) and isinstance(data.get("results"), list)
            and any(k in data for k in ODYSSIM_KEYS))


def odyssim_runs(path: str, data: Any) -> FileRuns:
    """The sessions of an OdysSim ``*_task_results.json``: one run, ids as they are."""
    records = data["results"]
    if not records:
        raise UsiError("must be a non-empty list of records", file=path, field="results")
    agent = text_or_none(data.get("model"))
    sessions: list[Session] = []
    agents: list[str | None] = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(records):
        iid = record_id(path, i, rec)
        if iid in seen:
            raise UsiError(f"given twice (results[{seen[iid]}] and [{i}]): an OdysSim file "
                           "holds one run", file=path, id=iid, field=f"results[{i}].instance_id")
        seen[iid] = i
        fields = check_entry(path, iid, rec, need_conversation=True)
        sessions.append(simulator_session(iid, fields, run=1))
        agents.append(text_or_none(rec.get("agent_id")) or agent)
    return FileRuns("odyssim", sessions, agents)
