"""Benchmark results files built from sessions of a release, the way the runners write them.

Each builder takes release-layout entries (``{instance_id: entry}`` of a simulator file of the
bundled SYNTHETIC release) and writes what the benchmark's own runner would have written for
the same sessions:

- τ-bench (sierra-research/tau-bench ``run.py``): one JSON list per domain of
  ``EnvRunResult`` records, trial-major, ``trial`` from 0, a ``traj`` that starts with the
  domain's policy as the system message; each tool result of the session becomes an
  assistant tool call (its own message with null or empty content, or beside the agent's
  text) followed by a ``tool`` message;
- τ²-bench (sierra-research/tau2-bench ``Results``): one ``results.json`` per domain, task
  ids renumbered through the inverse of the τ²→τ-bench map, tool calls as
  ``{id, name, arguments, requestor}``, ``reward_info.reward``;
- OdysSim (sunnweiwei/OdysSim ``run_eval.py``): one ``*_task_results.json`` with
  ``benchmark, model, user_sim_model, n, results``; ``conversation`` holds the user and
  assistant turns (the runner drops the tool observations it keeps in ``chat``).

Run and task of an entry are read from its id here (not by the library): in a file of more
than 170 entries ``airline_7_2`` is run 2 of ``airline_7``; otherwise the id is the task.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from pyrun import one_line_error as shared_one_line_error

from usi_metric.samples import sample_release_dir

REL = sample_release_dir()
SIM_DIR = REL / "eval_results"
SURVEYS = REL / "survey_data"

# The first lines of tau-bench's envs/airline/wiki.md and envs/retail/wiki.md.
POLICY = {
    "airline": "# Airline Agent Policy\n\nThe current time is 2024-05-15 15:00:00 EST.\n\n"
               "As an airline agent, you can help users book, modify, or cancel flight "
               "reservations.",
    "retail": "# Retail agent policy\n\nAs a retail agent, you can help users cancel or "
              "modify pending orders, return or exchange delivered orders, modify their "
              "default user address, or provide information about their own profile, "
              "orders, and related products.",
}
TOOLS = {"airline": ("get_user_details", "get_reservation_details", "search_direct_flight"),
         "retail": ("find_user_id_by_email", "get_order_details", "get_product_details")}


def usi(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The real CLI in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "usi_metric", *map(str, args)],
                          capture_output=True, text=True, check=False)


def score_json(*args: str | Path) -> dict[str, Any]:
    """``usi score ARGS --data-dir REL --format json``, which must succeed."""
    proc = usi("score", *args, "--data-dir", REL, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """``pyrun.one_line_error``, and nothing on stdout."""
    err = shared_one_line_error(proc, *needles)
    assert proc.stdout == ""
    return err


def release_entries(name: str, kept_only: bool = True) -> dict[str, dict[str, Any]]:
    """The entries of ``eval_results_<name>.json``; with ``kept_only`` the ones a runner
    could have written (runner files have no ``keep``: every session counts)."""
    data = json.loads((SIM_DIR / f"eval_results_{name}.json").read_text("utf-8"))
    if kept_only:
        data = {k: e for k, e in data.items() if e.get("keep", True) is True}
    return data


def task_and_run(iid: str, n_entries: int) -> tuple[str, int, int]:
    """``(domain, index, run)`` of a release id, by the 170-entry rule."""
    m = re.fullmatch(r"(airline|retail)_(\d+)(?:_(\d))?", iid)
    assert m is not None, iid
    if n_entries > 170 and m.group(3) is not None:
        return m.group(1), int(m.group(2)), int(m.group(3))
    assert m.group(3) is None, iid
    return m.group(1), int(m.group(2)), 1


def _sessions(entries: dict[str, dict[str, Any]], n_file: int
              ) -> list[tuple[str, int, int, dict[str, Any]]]:
    """``(domain, index, run, entry)`` in the runners' order: run-major, then task index."""
    rows = [(*task_and_run(iid, n_file), e) for iid, e in entries.items()]
    return sorted(rows, key=lambda r: (r[0], r[2], r[1]))


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")
    return path


# ----------------------------------------------------------------------------- tau-bench


def taubench_traj(domain: str, conversation: list[dict[str, Any]], seed: int
                  ) -> list[dict[str, Any]]:
    """A τ-bench trajectory holding the conversation: policy, turns, tool calls/results."""
    traj: list[dict[str, Any]] = [{"role": "system", "content": POLICY[domain]}]
    for j, msg in enumerate(conversation):
        if msg["role"] != "tool":
            traj.append({"content": msg["content"], "role": msg["role"]})
            continue
        call_id = f"call_{seed}_{j}"
        name = TOOLS[domain][j % 3]
        call = {"function": {"arguments": json.dumps({"user_id": f"u_{seed}"}), "name": name},
                "id": call_id, "type": "function"}
        prev = traj[-1]
        if (prev["role"] == "assistant" and prev.get("content")
                and not prev.get("tool_calls")):
            prev["tool_calls"] = [call]  # the agent says something and calls a tool
        else:  # a message that only calls the tool: content null (or, at times, empty)
            traj.append({"content": "" if (seed + j) % 3 == 0 else None, "role": "assistant",
                         "tool_calls": [call]})
        traj.append({"role": "tool", "tool_call_id": call_id, "name": name,
                     "content": msg["content"]})
    return traj


def to_taubench(entries: dict[str, dict[str, Any]], n_file: int
                ) -> dict[str, list[dict[str, Any]]]:
    """``{domain: [EnvRunResult, ...]}``."""
    out: dict[str, list[dict[str, Any]]] = {}
    for k, (domain, index, run, e) in enumerate(_sessions(entries, n_file)):
        reward = e["reward"]
        out.setdefault(domain, []).append({
            "task_id": index,
            "reward": reward,
            "info": {"task": {"user_id": f"u_{k}", "actions": [], "instruction": "...",
                              "outputs": []},
                     "source": "user", "user_cost": 0.0012,
                     "reward_info": {"reward": reward, "info": {"r_actions": reward},
                                     "actions": []}},
            "traj": taubench_traj(domain, e["conversation"], k),
            "trial": run - 1,
        })
    return out


# ----------------------------------------------------------------------------- tau2-bench


def taubench_to_tau2(domain: str) -> dict[int, str]:
    """The inverse of the shipped τ²→τ-bench map of a domain."""
    from usi_metric.io.formats import tau2_to_taubench

    table = tau2_to_taubench(domain)
    inverse = {index: tau2 for tau2, index in table.items()}
    assert len(inverse) == len(table)
    return inverse


def tau2_messages(conversation: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for j, msg in enumerate(conversation):
        stamp = f"2025-06-10T12:{seed % 60:02d}:{j % 60:02d}.000000"
        if msg["role"] == "tool":
            call_id = f"call_{seed}_{j}"
            out.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": call_id, "name": "get_user_details",
                 "arguments": {"user_id": f"u_{seed}"}, "requestor": "assistant"}],
                "turn_idx": len(out), "timestamp": stamp, "cost": 0.0004, "usage": None,
                "raw_data": None})
            out.append({"id": call_id, "role": "tool", "content": msg["content"],
                        "requestor": "assistant", "error": False, "turn_idx": len(out),
                        "timestamp": stamp})
            continue
        out.append({"role": msg["role"], "content": msg["content"], "tool_calls": None,
                    "turn_idx": len(out), "timestamp": stamp, "cost": 0.0, "usage": None,
                    "raw_data": None})
    return out


def to_tau2(entries: dict[str, dict[str, Any]], n_file: int,
            extra: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, dict[str, Any]]:
    """``{domain: results.json}``; ``extra[domain]`` simulations are appended as given."""
    sims: dict[str, list[dict[str, Any]]] = {}
    for k, (domain, index, run, e) in enumerate(_sessions(entries, n_file)):
        tau2_id = taubench_to_tau2(domain)[index]
        sims.setdefault(domain, []).append({
            "id": f"0000{k:04d}-7e3c-4c1e-9a55-{run:012d}",
            "task_id": tau2_id,
            "timestamp": "2025-06-10T12:00:00.000000",
            "start_time": "2025-06-10T12:00:00.000000",
            "end_time": "2025-06-10T12:03:00.000000",
            "duration": 180.0,
            "termination_reason": "user_stop",
            "agent_cost": 0.01, "user_cost": 0.002,
            "reward_info": {"reward": e["reward"], "db_check": {"db_match": True,
                                                               "db_reward": e["reward"]},
                            "env_assertions": None, "action_checks": [],
                            "nl_assertions": None, "communicate_checks": [],
                            "reward_basis": ["DB", "COMMUNICATE"],
                            "reward_breakdown": {"DB": e["reward"]}, "info": None},
            "messages": tau2_messages(e["conversation"], k),
            "trial": run - 1,
            "seed": 300 + run,
        })
    out = {}
    for domain, rows in sims.items():
        rows.sort(key=lambda r: (r["trial"], int(r["task_id"])))  # the runner's order
        rows += (extra or {}).get(domain, [])
        out[domain] = {
            "timestamp": "2025-06-10T12:00:00.000000",
            "info": {"git_commit": "a2c0247", "num_trials": 3, "max_steps": 200,
                     "max_errors": 10,
                     "user_info": {"implementation": "user_simulator", "llm": "gpt-4.1",
                                   "llm_args": {"temperature": 0.0},
                                   "global_simulation_guidelines": "..."},
                     "agent_info": {"implementation": "llm_agent", "llm": "gpt-4.1",
                                    "llm_args": {"temperature": 0.0}},
                     "environment_info": {"domain_name": domain, "policy": POLICY[domain],
                                          "tool_defs": None},
                     "seed": 300},
            "tasks": [{"id": t, "description": None, "user_scenario": {}}
                      for t in sorted({r["task_id"] for r in rows}, key=int)],
            "simulations": rows,
        }
    return out


# ----------------------------------------------------------------------------- OdysSim


def to_odyssim(entries: dict[str, dict[str, Any]], n_file: int) -> dict[str, Any]:
    """One ``*_task_results.json`` holding every session (one run)."""
    results = []
    for domain, index, run, e in _sessions(entries, n_file):
        assert run == 1
        chat = [{"role": "system", "content": POLICY[domain]}]
        chat += [{"role": "system" if m["role"] == "tool" else m["role"],
                  "content": m["content"]} for m in e["conversation"]]
        results.append({
            "instance_id": f"{domain}_{index}", "env_name": domain, "domain": domain,
            "task_index": index,
            "conversation": [m for m in chat[1:] if m["role"] in ("user", "assistant")],
            "chat": chat, "survey": e.get("survey") or {}, "reward": e["reward"],
            "features": {}, "termination_reason": "stop", "elapsed_seconds": 41.5,
            "user_sim_model": "synth-user",
        })
    return {"benchmark": "tau_usi", "model": "gpt-5.2", "user_sim_model": "synth-user",
            "n": len(results), "results": results}
