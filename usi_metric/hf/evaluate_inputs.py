"""Inputs of the ``evaluate`` metric ``usi`` from a release folder, or from flat session records.

``evaluate_inputs(data_dir, simulator)`` gives the ``compute()`` keyword arguments that
reproduce that simulator's ``usi leaderboard`` line: one task group per task (the
simulator's runs and the human sessions), the difficulty pooled over every simulator of the
release (the leaderboard's default ``self``), the simulator's survey answers when the
release has them, and the second human's survey for the ceiling.

>>> from usi_metric.samples import sample_release_dir
>>> from usi_metric.io import load_release
>>> sim = sorted(load_release(sample_release_dir()).simulators)[0]
>>> kwargs = evaluate_inputs(sample_release_dir(), sim)
>>> sorted(kwargs)
['difficulty', 'human_eval', 'predictions', 'references', 'survey_judgments']
>>> len(kwargs["predictions"]) == len(kwargs["references"])
True
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS
from usi_metric.errors import UsiError, UsiWarning
from usi_metric.hf.evaluate_metric import task_of
from usi_metric.io import Release, Session, SessionSet, SurveySet, load_release, simulator_name
from usi_metric.io.formats import read_runs_files
from usi_metric.scoring import resolve_difficulty

RunsFiles = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


def session_records(sessions: SessionSet) -> list[dict[str, Any]]:
    """The sessions of a loaded file as flat records of the metric's input format, in file
    order: simulator runs (``source == "llm"``) or human sessions.

    A simulator record carries ``ece_run`` only when the release's id rules give the session
    an ECE run other than its run (an id with an odd suffix, see docs/ids-and-runs.md).

    >>> from usi_metric.io import load_humans
    >>> from usi_metric.samples import sample_release_dir
    >>> from usi_metric.io import find_human_file
    >>> rec = session_records(load_humans(find_human_file(sample_release_dir())))[0]
    >>> sorted(rec)
    ['annotator', 'conversation', 'instance_id', 'keep', 'reward', 'survey']
    """
    return _records(sessions.sessions, sessions.source)


def simulator_records(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                      domain: str | None = None) -> list[dict[str, Any]]:
    """Flat simulator records (the metric's input format) of runs files in any form
    ``usi score`` reads: the release layout, the rollout form, τ-bench, τ²-bench or OdysSim
    results (several files merged, as ``usi score A B`` does); read, not featurized.

    >>> from usi_metric.samples import sample_release_dir
    >>> p = sample_release_dir() / "eval_results" / "eval_results_synth-mirror.json"
    >>> recs = simulator_records(p)
    >>> len(recs), recs[0]["instance_id"], recs[0]["run"]
    (174, 'airline_0', 1)
    """
    runs = read_runs_files(paths, domain)
    for note in runs.warnings:
        warnings.warn(note, UsiWarning, stacklevel=2)
    return _records(runs.sessions, "llm")


def _records(sessions: Sequence[Session], source: str) -> list[dict[str, Any]]:
    out = []
    for s in sessions:
        rec: dict[str, Any] = {
            "instance_id": s.base_id,
            "conversation": [{"role": m.get("role"), "content": m.get("content")}
                             for m in s.conversation],
            "reward": s.reward,
            "keep": s.keep,
        }
        if source == "human":
            rec["annotator"] = int(s.group)
            rec["survey"] = {f: s.survey[f] for f in SURVEY_FIELDS if f in s.survey}
        else:
            rec["run"] = int(s.group)
            rec["ece_run"] = None if s.ece_run == int(s.group) else s.ece_run
        out.append(rec)
    return out


def group_by_task(
    simulator_sessions: Iterable[Mapping[str, Any]] | RunsFiles,
    human_sessions: Iterable[Mapping[str, Any]] = (),
    *,
    domain: str | None = None,
) -> dict[str, list[list[Mapping[str, Any]]]]:
    """Task groups for ``add_batch`` / ``compute`` from flat records: one per task, tasks
    sorted, records in their given order within a task; a side with no record of a task
    gets ``[]``.

    ``simulator_sessions`` may also be a runs file's path, or a list of paths: they are read
    by :func:`simulator_records`, like ``usi score`` reads them (``domain`` for a τ-bench /
    τ²-bench file that does not say it).

    >>> groups = group_by_task([{"instance_id": "airline_2", "run": 1},
    ...                         {"instance_id": "airline_1", "run": 1},
    ...                         {"instance_id": "airline_2", "run": 2}],
    ...                        [{"instance_id": "airline_1", "annotator": 1}])
    >>> [[r["run"] for r in group] for group in groups["predictions"]]
    [[1], [1, 2]]
    >>> [len(group) for group in groups["references"]]
    [1, 0]
    """
    sides: dict[str, dict[str, list[Mapping[str, Any]]]] = {"predictions": {},
                                                            "references": {}}
    if _is_paths(simulator_sessions):
        simulator_sessions = simulator_records(simulator_sessions, domain)  # type: ignore[arg-type]
    for side, records in (("predictions", simulator_sessions), ("references", human_sessions)):
        for i, rec in enumerate(records):  # type: ignore[arg-type]
            iid = rec.get("instance_id") if isinstance(rec, Mapping) else None
            if not isinstance(iid, str) or not iid:
                hint = ""
                if isinstance(rec, Mapping) and "task_id" in rec:
                    hint = ("; a benchmark's raw record (task_id): pass its results file's "
                            "path instead, which is read like 'usi score' reads it")
                raise UsiError("a session record needs its task instance id (a non-empty "
                               f"string){hint}", field=f"{side} record {i}: instance_id")
            sides[side].setdefault(task_of(iid), []).append(rec)
    tasks = sorted(set(sides["predictions"]) | set(sides["references"]))
    return {side: [sides[side].get(t, []) for t in tasks] for side in sides}


def _is_paths(value: Any) -> bool:
    """A path, or a non-empty list/tuple of paths."""
    if isinstance(value, str | os.PathLike):
        return True
    return (isinstance(value, list | tuple) and bool(value)
            and all(isinstance(v, str | os.PathLike) for v in value))


def _surveys(survey: SurveySet | None) -> dict[str, dict[str, Any]] | None:
    if survey is None:
        return None
    return {iid: dict(answers) for iid, answers in survey.surveys.items()}


def evaluate_inputs(data_dir: str | Path, simulator: str) -> dict[str, Any]:
    """The ``compute()`` kwargs that reproduce ``simulator``'s ``usi leaderboard`` line on
    ``data_dir``: ``predictions``, ``references``, ``difficulty``, ``survey_judgments``
    (None without the simulator's survey file) and ``human_eval`` (None without it).

    The release is read like ``usi leaderboard`` reads it: a bad simulator or survey file is
    left out (and so out of the pooled difficulty); asking for a left-out simulator is an
    error naming its problem.

    >>> from usi_metric.samples import sample_release_dir
    >>> evaluate_inputs(sample_release_dir(), "no-such-simulator")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: ...: no simulator 'no-such-simulator' here (simulators: ...)
    """
    release = load_release(data_dir, strict=False)
    if simulator not in release.simulators:
        for problem in release.problems:
            if problem.file and simulator_name(problem.file) == simulator:
                raise problem
        names = ", ".join(release.simulators) or "none"
        raise UsiError(f"no simulator {simulator!r} here (simulators: {names})",
                       file=str(data_dir))
    return release_compute_kwargs(release, simulator)


def release_compute_kwargs(release: Release, simulator: str) -> dict[str, Any]:
    """The ``compute()`` kwargs of one simulator of a loaded release (it must be there):
    the published yardstick, as ``usi leaderboard`` by default."""
    difficulty = resolve_difficulty(release, "published")
    groups = group_by_task(session_records(release.simulators[simulator]),
                           session_records(release.humans))
    return {
        "predictions": groups["predictions"],
        "references": groups["references"],
        "difficulty": dict(difficulty.values),
        "survey_judgments": _surveys(release.surveys.get(simulator)),
        "human_eval": _surveys(release.human_eval),
    }


def release_inputs(data_dir: str | Path) -> dict[str, Any]:
    """The release's side of scoring a NEW simulator, as ``usi score`` does by default:
    ``human_sessions`` (flat records, for :func:`group_by_task`), ``difficulty`` (pooled over
    the release's simulators) and ``human_eval`` (None without the file).

    >>> from usi_metric.samples import sample_release_dir
    >>> sorted(release_inputs(sample_release_dir()))
    ['difficulty', 'human_eval', 'human_sessions']
    """
    release = load_release(data_dir)
    difficulty = resolve_difficulty(release, "release")
    return {
        "human_sessions": session_records(release.humans),
        "difficulty": dict(difficulty.values),
        "human_eval": _surveys(release.human_eval),
    }
