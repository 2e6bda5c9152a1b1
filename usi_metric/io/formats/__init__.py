"""Simulator runs files in every form the tools read, told apart by content: the release
layout, the rollout form, τ-bench results, τ²-bench results and OdysSim task results.

Each reader turns a parsed file into sessions through the one entry validator
(``io/validate.py``) and ``io/sessions.simulator_session``; :func:`read_runs_files` merges
several files (runs usually come one file per domain).

>>> from usi_metric.samples import sample_release_dir
>>> p = sample_release_dir() / "eval_results" / "eval_results_synth-terse.json"
>>> runs = read_runs_file(p)
>>> runs.kind, len(runs.sessions)
('release', 58)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.io.formats.common import TAU_DOMAINS, FileRuns, check_domain, dialogue
from usi_metric.io.formats.detect import FORMATS, detect_format
from usi_metric.io.formats.odyssim import odyssim_runs
from usi_metric.io.formats.release_rule import misread_run_suffixes
from usi_metric.io.formats.rollout import record_id, record_run, release_runs, rollout_runs
from usi_metric.io.formats.tau2bench import tau2_to_taubench, tau2bench_runs
from usi_metric.io.formats.taubench import POLICY_HEADINGS, taubench_runs
from usi_metric.io.formats.write import release_payload
from usi_metric.io.jsonfile import read_json
from usi_metric.io.layout import simulator_name

__all__ = [
    "FORMATS",
    "POLICY_HEADINGS",
    "TAU_DOMAINS",
    "FileRuns",
    "default_name",
    "detect_format",
    "dialogue",
    "misread_run_suffixes",
    "read_runs",
    "read_runs_file",
    "read_runs_files",
    "record_id",
    "record_run",
    "release_payload",
    "tau2_to_taubench",
]

PathLike = str | os.PathLike[str]


def read_runs(path: str, data: Any, domain: str | None = None) -> FileRuns:
    """The sessions of a parsed runs file, by its format (``detect_format``).

    ``domain`` (``airline`` | ``retail``) tells a τ-bench or τ²-bench file that does not
    name its domain; the other forms carry it in their ids and ignore it.

    >>> read_runs("r.json", {"results": [{"instance_id": "airline_2", "run": 2,
    ...                                    "conversation": []}]}).sessions[0].group
    '2'
    """
    check_domain(domain)
    try:
        return _read_runs(path, data, domain)
    except UsiError as exc:
        if exc.file is not None:
            raise
        raise UsiError(exc.reason, file=path, id=exc.id, field=exc.field) from None


def _read_runs(path: str, data: Any, domain: str | None) -> FileRuns:
    kind = detect_format(path, data)
    if kind == "taubench":
        return taubench_runs(path, data, domain)
    if kind == "tau2bench":
        return tau2bench_runs(path, data, domain)
    if kind == "odyssim":
        return odyssim_runs(path, data)
    if kind == "rollout":
        return rollout_runs(path, data["results"])
    return release_runs(path, data)


def read_runs_file(path: PathLike, domain: str | None = None) -> FileRuns:
    """:func:`read_runs` of a file on disk (JSON, or gzip'd JSON). A benchmark runner's
    file whose sessions lack a reward gets a warning: they count as failures."""
    runs = read_runs(str(path), read_json(path), domain)
    missing = sum(s.reward is None for s in runs.sessions)
    if missing and runs.kind in ("taubench", "tau2bench", "odyssim"):
        runs.warnings.append(f"{path}: {missing} of {len(runs.sessions)} sessions have no "
                             "reward; they count as failures")
    return runs


def read_runs_files(paths: PathLike | Sequence[PathLike],
                    domain: str | None = None) -> FileRuns:
    """Several runs files as one simulator, sessions in the order given. A session given
    twice (the same run of the same task, in two files or twice in one) is an error naming
    both files.

    >>> from usi_metric.samples import sample_release_dir
    >>> p = sample_release_dir() / "eval_results" / "eval_results_synth-terse.json"
    >>> read_runs_files([p, p])
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: ...terse.json: id airline_0: field run: run 1 of this task is ...
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if not paths:
        raise UsiError("no runs file given")
    if len(paths) == 1:
        return read_runs_file(paths[0], domain)
    merged = FileRuns("merged", [], [])
    where: dict[tuple[str, str], str] = {}
    for path in map(str, paths):
        runs = read_runs_file(path, domain)
        for s in runs.sessions:
            key = (s.base_id, s.group)
            if key in where:
                raise UsiError(f"run {s.group} of this task is given twice: also in "
                               f"{where[key]}", file=path, id=s.base_id, field="run")
        where.update(((s.base_id, s.group), path) for s in runs.sessions)
        merged.sessions += runs.sessions
        merged.agent_ids += runs.agent_ids
        merged.warnings += runs.warnings
    return merged


def default_name(paths: Sequence[PathLike]) -> str:
    """The simulator's name when none is given: its file name(s) (``eval_results_`` and
    ``.json`` dropped), joined with ``+``.

    >>> default_name(["runs/gpt-4o_airline.json", "runs/gpt-4o_retail.json"])
    'gpt-4o_airline+gpt-4o_retail'
    """
    return "+".join(simulator_name(Path(p)) for p in paths)
