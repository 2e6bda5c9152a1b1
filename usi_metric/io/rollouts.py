"""Rollouts as a trainer or an evaluation loop produces them, made into a simulator's runs.

A rollout is ``(task key, conversation, reward)`` and optionally its ``run``. Runs are
numbered as in the rollout form of a results file (``{"results": [{"instance_id": task key,
"run": k, ...}]}``): a rollout with a run keeps it; without one, the k-th rollout of a task
in the order given is run k. So scoring rollouts equals ``usi score`` of the same rollouts
written in the rollout form.

>>> conv = [{"role": "user", "content": "I need to change my flight, please."}]
>>> runs = rollout_sessions([conv, conv, conv], ["airline_2", "airline_10", "airline_2"],
...                         [1.0, 0.0, 1.0])
>>> [(s.task_key, s.group) for s in runs.sessions]
[('airline_2', '1'), ('airline_10', '1'), ('airline_2', '2')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.io.sessions import Session, SessionSet, build_set, simulator_session
from usi_metric.io.validate import (
    check_conversation,
    check_messages,
    check_reward,
    is_whole_number,
    tname,
)


def number_runs(task_keys: Sequence[str], runs: Sequence[int | None] | None = None) -> list[int]:
    """The run of every rollout: the given one, else the k-th rollout of its task so far.

    >>> number_runs(["a", "b", "a", "a"])
    [1, 1, 2, 3]
    >>> number_runs(["a", "a"], [2, None])
    [2, 1]
    """
    seen: dict[str, int] = {}
    out = []
    for i, key in enumerate(task_keys):
        given = None if runs is None else runs[i]
        if given is None:
            seen[key] = seen.get(key, 0) + 1
            out.append(seen[key])
        else:
            out.append(int(given))
    return out


def check_rollout_lengths(n: int, **columns: Sequence[Any] | None) -> None:
    """Every column given holds one value per rollout.

    >>> check_rollout_lengths(2, task_key=["a", "b"], reward=[1.0])
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: field reward: has 1 values for 2 rollouts
    """
    for name, col in columns.items():
        if col is None:
            continue
        if isinstance(col, str | bytes | Mapping) or not isinstance(col, Sequence):
            raise UsiError(f"must be a list (one value per rollout), got {tname(col)}",
                           field=name)
        if len(col) != n:
            raise UsiError(f"has {len(col)} values for {n} rollouts", field=name)


def check_rollout(i: int, conversation: Any, task_key: Any, reward: Any, run: Any = None,
                  *, where: str = "rollouts") -> tuple[tuple[Mapping[str, Any], ...], str,
                                                        float | None, int | None]:
    """One rollout, checked: its conversation as a tuple, task key, reward and run.

    >>> check_rollout(3, [], "airline_1", float("nan"))
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: id airline_1: field rollouts[3].reward: must be a finite number...
    """
    at = f"{where}[{i}]"
    if not isinstance(task_key, str) or not task_key:
        raise UsiError(f"must be a non-empty string, got {tname(task_key)}",
                       field=f"{at}.task_key")
    field = f"{at}.conversation"
    check_messages(conversation, field, id=task_key)  # a known role and text in every turn
    conv = tuple(check_conversation(conversation, id=task_key, field=field, text=True))
    value = check_reward(reward, id=task_key, field=f"{at}.reward")
    if run is not None and (not is_whole_number(run) or int(run) < 1):
        raise UsiError(f"must be a whole number >= 1, got {run!r}", id=task_key,
                       field=f"{at}.run")
    return conv, task_key, value, None if run is None else int(run)


def rollout_sessions(conversations: Sequence[Any], task_keys: Sequence[Any],
                     rewards: Sequence[Any], runs: Sequence[Any] | None = None, *,
                     name: str = "rollouts", where: str = "rollouts",
                     workers: int | None = 1) -> SessionSet:
    """The rollouts as a simulator's sessions (source ``llm``), featurized once.

    Each rollout's id is its task key and its run the given one, else the k-th of its task;
    the task key is kept as given (the rollout form's rule for a record with a run). Two
    rollouts with the same task and run are refused: they would be one session twice.
    """
    check_rollout_lengths(len(conversations), task_key=task_keys, reward=rewards, run=runs)
    checked = [check_rollout(i, conversations[i], task_keys[i], rewards[i],
                             None if runs is None else runs[i], where=where)
               for i in range(len(conversations))]
    numbers = number_runs([c[1] for c in checked], [c[3] for c in checked])
    seen: set[tuple[str, int]] = set()
    sessions: list[Session] = []
    for i, ((conv, key, reward, _), run) in enumerate(zip(checked, numbers, strict=True)):
        if (key, run) in seen:
            raise UsiError(f"a second rollout of run {run} of this task", id=key,
                           field=f"{where}[{i}].run")
        seen.add((key, run))
        sessions.append(simulator_session(key, {"conversation": conv, "reward": reward,
                                                "keep": True}, run=run, task_key=key))
    return build_set(name, "llm", f"<{name}>", sessions, workers=workers)
