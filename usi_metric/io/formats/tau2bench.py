"""τ²-bench results (sierra-research/tau2-bench ``Results``, a ``results.json``).

``{timestamp, info: {environment_info: {domain_name}, user_info: {llm}, agent_info: {llm},
...}, tasks, simulations: [{id, task_id: str, trial, messages, reward_info: {reward, ...},
termination_reason, ...}]}``. Messages are ``user`` / ``assistant`` (content null when they
only call tools, ``tool_calls`` set) and ``tool`` results.

τ²-bench renumbered the tasks: its ``task_id`` is NOT the τ-bench index the human study
uses. Every id goes through the shipped map ``data/tau2_to_taubench.json`` (matched on the
tasks' content; provenance in ``data/README.md``); an id without a τ-bench counterpart is
left out and counted in a warning, never scored against a guessed task.

Session ``{domain}_{τ-bench index}``, run ``trial + 1``, reward ``reward_info.reward``.

>>> tau2_to_taubench("airline")["0"], tau2_to_taubench("retail")["95"]
(49, 96)
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.features.extract import is_mapping
from usi_metric.io.formats.common import (
    FileRuns,
    check_domain,
    dialogue,
    text_or_none,
    whole_number,
)
from usi_metric.io.sessions import Session, simulator_session
from usi_metric.io.validate import check_entry, tname

MAP_FILE = "tau2_to_taubench.json"
_DOMAIN_FIELD = "info.environment_info.domain_name"


@cache
def _map_data() -> dict[str, Any]:
    text = resources.files("usi_metric").joinpath("data", MAP_FILE).read_text("utf-8")
    return json.loads(text)


def tau2_to_taubench(domain: str) -> dict[str, int]:
    """``{τ² task id: τ-bench index}`` of a domain; ``{}`` for a domain the map lacks.

    >>> len(tau2_to_taubench("airline")), len(tau2_to_taubench("retail")), tau2_to_taubench("x")
    (50, 114, {})
    """
    table = _map_data().get(domain) if domain in ("airline", "retail") else None
    return dict(table) if isinstance(table, dict) else {}


def is_tau2bench(data: Any) -> bool:
    """An object with a ``simulations`` list and an ``info`` object.

    >>> is_tau2bench({"info": {}, "simulations": []}), is_tau2bench({"simulations": []})
    (True, False)
    """
    return (is_mapping(data) and isinstance(data.get("simulations"), list)
            and is_mapping(data.get("info")))


def file_domain(path: str, data: Any, domain: str | None = None) -> str:
    """``info.environment_info.domain_name`` of a results file; ``domain`` (the ``--domain``
    option) tells a file that does not name it, and may not contradict one that does."""
    env = data["info"].get("environment_info")
    name = env.get("domain_name") if is_mapping(env) else None
    if not isinstance(name, str) or not name:
        if domain is not None:
            return domain
        raise UsiError("missing: the file does not name its domain; pass --domain "
                       "airline|retail", file=path, field=_DOMAIN_FIELD)
    if domain is not None and domain != name:
        raise UsiError(f"--domain {domain} contradicts the file's domain {name!r}",
                       file=path, field=_DOMAIN_FIELD)
    return name


def tau2bench_runs(path: str, data: Any, domain: str | None = None) -> FileRuns:
    """The sessions of a τ²-bench ``results.json`` (``domain``: for a file that does not
    name its domain)."""
    domain = file_domain(path, data, check_domain(domain))
    table = tau2_to_taubench(domain)
    if not table:
        raise UsiError(f"domain {domain!r} has no tau-bench counterpart: the human study "
                       "covers airline and retail", file=path, field=_DOMAIN_FIELD)
    sims = data["simulations"]
    if not sims:
        hint = (" (the 'dir' storage format keeps them in simulations/ beside it: save the "
                "run as one JSON file)" if data.get("simulation_index") else "")
        raise UsiError(f"has no simulations{hint}", file=path, field="simulations")
    agent = _agent(data)
    sessions: list[Session] = []
    seen: dict[tuple[str, int], int] = {}
    left_out: dict[str, int] = {}
    first_left_out = -1
    for i, sim in enumerate(sims):
        at = f"simulations[{i}]"
        if not is_mapping(sim):
            raise UsiError(f"simulation must be an object, got {tname(sim)}", file=path,
                           field=at)
        tau2_id = sim.get("task_id")
        if isinstance(tau2_id, bool) or not isinstance(tau2_id, str | int):
            raise UsiError(f"must be a string, got {tname(tau2_id)}", file=path,
                           field=f"{at}.task_id")
        tau2_id = str(tau2_id)
        index = table.get(tau2_id)
        if index is None:
            left_out[tau2_id] = left_out.get(tau2_id, 0) + 1
            first_left_out = i if first_left_out < 0 else first_left_out
            continue
        iid = f"{domain}_{index}"
        trial = whole_number(path, iid, sim, "trial", f"{at}.trial")
        if (iid, trial) in seen:
            raise UsiError(f"trial {trial} of this task (tau2 task_id {tau2_id}) is given "
                           f"twice (simulations[{seen[iid, trial]}] and [{i}])",
                           file=path, id=iid, field=f"{at}.trial")
        seen[iid, trial] = i
        messages = sim.get("messages")
        if messages is None:
            raise UsiError("missing: no messages to read (a voice run keeps ticks only)",
                           file=path, id=iid, field=f"{at}.messages")
        entry = {"conversation": dialogue(path, iid, messages, f"{at}.messages"),
                 "reward": _reward(path, iid, sim, at)}
        fields = check_entry(path, iid, entry, need_conversation=True)
        sessions.append(simulator_session(iid, fields, run=trial + 1))
    if not sessions:
        raise UsiError(f"no simulation has a tau-bench counterpart: task ids "
                       f"{_ids(left_out)} are not in the {domain} map",
                       file=path, id=next(iter(left_out)),
                       field=f"simulations[{first_left_out}].task_id")
    warnings = []
    if left_out:
        n = sum(left_out.values())
        warnings.append(f"{path}: left out {n} simulation(s) of {len(left_out)} tau2-bench "
                        f"{domain} task id(s) with no tau-bench counterpart "
                        f"({_ids(left_out)}); scored {len(sessions)}")
    return FileRuns("tau2bench", sessions, [agent] * len(sessions), warnings)


def _reward(path: str, iid: str, sim: Any, at: str) -> Any:
    info = sim.get("reward_info")
    if info is None:
        return None
    if not is_mapping(info):
        raise UsiError(f"must be an object or null, got {tname(info)}", file=path, id=iid,
                       field=f"{at}.reward_info")
    reward = info.get("reward")
    if reward is not None and (isinstance(reward, bool) or not isinstance(reward, int | float)):
        raise UsiError(f"must be a number or null, got {tname(reward)}", file=path, id=iid,
                       field=f"{at}.reward_info.reward")
    return reward


def _agent(data: Any) -> str | None:
    agent = data["info"].get("agent_info")
    return text_or_none(agent.get("llm")) if is_mapping(agent) else None


def _ids(counts: dict[str, int], shown: int = 5) -> str:
    ids = list(counts)
    more = f", ... ({len(ids) - shown} more)" if len(ids) > shown else ""
    return ", ".join(repr(i) for i in ids[:shown]) + more
