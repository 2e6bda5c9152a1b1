"""Reading a release folder in the ``cmu-lti/tau-usi`` layout, with validation (USI_SPEC.md §1).

Every problem with a file becomes a one-line :class:`UsiError` naming the file, id and field.
Each session is featurized once, when its file is read.

>>> from usi_metric.samples import sample_release_dir
>>> rel = load_release(sample_release_dir())
>>> rel.humans.source, len(rel.simulators) > 0
('human', True)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.io.jsonfile import read_json
from usi_metric.io.layout import (
    HUMAN_EVAL_NAME,
    MULTI_RUN_THRESHOLD,
    SIM_PREFIX,
    SURVEY_PREFIX,
    release_files,
    simulator_name,
    survey_name,
)
from usi_metric.io.sessions import (
    Release,
    Session,
    SessionSet,
    SurveySet,
    build_set,
    human_session,
    simulator_session,
)
from usi_metric.io.validate import check_entry, tname, top_object
from usi_metric.runtime.gc import gc_paused
from usi_metric.runtime.parallel import PARALLEL_FILE_BYTES, auto_workers, map_parallel

# ----------------------------------------------------------------------------- humans


def load_humans(path: str | Path, name: str = "human", workers: int | None = None) -> SessionSet:
    """Read the human sessions file (``tau_bench_tasks_unified.json``), featurized once.

    ``workers``: processes for featurizing (None: by size, see ``features.featurize_many``).
    """
    path = str(path)
    data = top_object(path, read_json(path), "the human sessions file")
    sessions = []
    for iid, entry in data.items():
        sessions.append(human_session(iid, check_entry(path, iid, entry,
                                                       need_conversation=True)))
    return build_set(name, "human", path, sessions, workers)


# ----------------------------------------------------------------------------- simulators


def load_simulator(path: str | Path, name: str | None = None,
                   workers: int | None = None, conversations: bool = True) -> SessionSet:
    """Read one simulator's runs: ``{id: entry}`` or ``{"results": [record, ...]}``.

    ``workers``: processes for featurizing (None: by size, see ``features.featurize_many``).
    ``conversations=False`` drops the texts once featurized (scores need only the features).
    """
    path = str(path)
    name = name or simulator_name(path)
    data = read_json(path)
    if isinstance(data, Mapping) and set(data) == {"results"}:
        return build_set(name, "llm", path, _results_sessions(path, data["results"]), workers,
                      conversations)
    data = top_object(path, data, "a simulator runs file")
    multi = len(data) > MULTI_RUN_THRESHOLD
    sessions = []
    for iid, entry in data.items():
        f = check_entry(path, iid, entry, need_conversation=True)
        sessions.append(simulator_session(iid, f, multi_run=multi))
    return build_set(name, "llm", path, sessions, workers, conversations)


def _results_sessions(path: str, records: Any) -> list[Session]:
    """The rollout format: records with ``instance_id`` (or ``domain`` + ``task_index``)."""
    if not isinstance(records, list) or not records:
        raise UsiError("must be a non-empty list of records", file=path, field="results")
    if not any(isinstance(r, Mapping) and ("run" in r or "trial" in r) for r in records):
        # No run numbers: the records are the {id: entry} form written as a list.
        as_object: dict[str, Any] = {}
        for i, rec in enumerate(records):
            iid = _record_id(path, i, rec)
            if iid in as_object:
                raise UsiError("duplicate id", file=path, id=iid, field="instance_id")
            as_object[iid] = rec
        multi = len(as_object) > MULTI_RUN_THRESHOLD
        out = []
        for iid, rec in as_object.items():
            f = check_entry(path, iid, rec, need_conversation=True)
            out.append(simulator_session(iid, f, multi_run=multi))
        return out
    seen: set[tuple[int, str]] = set()
    out = []
    for i, rec in enumerate(records):
        iid = _record_id(path, i, rec)
        run = _record_run(path, iid, rec)
        if (run, iid) in seen:
            raise UsiError(f"duplicate id in run {run}", file=path, id=iid, field="instance_id")
        seen.add((run, iid))
        f = check_entry(path, iid, rec, need_conversation=True)
        out.append(simulator_session(iid, f, run=run))
    return out


def _record_id(path: str, i: int, rec: Any) -> str:
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


def _record_run(path: str, iid: str, rec: Mapping[str, Any]) -> int:
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


# ----------------------------------------------------------------------------- surveys


def load_survey(path: str | Path, name: str | None = None) -> SurveySet:
    """Read a ``survey_comparable_*.json`` file: ``{id: {"survey": {...}}}``, order kept."""
    path = str(path)
    if name is None:
        name = survey_name(path)
    data = read_json(path)
    if isinstance(data, Mapping) and set(data) == {"results"} and isinstance(data["results"],
                                                                               list):
        data = {_record_id(path, i, r): r for i, r in enumerate(data["results"])}
    data = top_object(path, data, "a survey file")
    surveys = {iid: check_entry(path, iid, e, need_conversation=False)["survey"]
               for iid, e in data.items()}
    return SurveySet(name=name, path=path, surveys=surveys)


# ----------------------------------------------------------------------------- release


def load_release(data_dir: str | Path, *, strict: bool = True,
                 only: Sequence[str] | None = None, conversations: bool = True) -> Release:
    """Read a release folder. With ``strict=False`` a bad simulator or survey file is set
    aside in ``Release.problems`` and the rest is read; the human file must always be good.
    ``conversations=False``: simulator sessions keep their features but not their texts
    (less memory; what scoring needs). Large releases are read on several processes."""
    with gc_paused():
        return _load_release(data_dir, strict, only, conversations)


def _load_release(data_dir: str | Path, strict: bool, only: Sequence[str] | None,
                  conversations: bool) -> Release:
    human_path, sim_paths, survey_paths = release_files(data_dir)
    jobs = [(SIM_PREFIX, str(p), simulator_name(p)) for p in sim_paths]
    jobs += [(SURVEY_PREFIX, str(p), survey_name(p)) for p in survey_paths]
    if only is not None:
        jobs = [(kind, path, name) for kind, path, name in jobs
                if name in only or (kind == SURVEY_PREFIX and name == HUMAN_EVAL_NAME)]
    jobs.insert(0, ("human", str(human_path), "human"))
    problems: list[UsiError] = []
    sims: dict[str, SessionSet] = {}
    surveys: dict[str, SurveySet] = {}
    human_eval = None
    humans, *loaded_files = _load_files(jobs, conversations)
    if isinstance(humans, UsiError):
        raise humans  # the human file must always be good
    for loaded in loaded_files:
        if isinstance(loaded, UsiError):
            if strict:
                raise loaded
            problems.append(loaded)
        elif isinstance(loaded, SessionSet):
            sims[loaded.name] = loaded
        elif loaded.name == HUMAN_EVAL_NAME:
            human_eval = loaded
        else:
            surveys[loaded.name] = loaded
    return Release(root=str(data_dir), humans=humans, simulators=dict(sorted(sims.items())),
                   surveys=surveys, human_eval=human_eval, problems=problems)


def _file_or_error(kind: str, path: str, name: str, workers: int | None,
                   conversations: bool) -> SessionSet | SurveySet | UsiError:
    try:
        with gc_paused():
            if kind == SIM_PREFIX:
                return load_simulator(path, name, workers, conversations)
            if kind == "human":
                return load_humans(path, name, workers)
            return load_survey(path, name)
    except UsiError as exc:
        return exc


def _load_files(jobs: list[tuple[str, str, str]],
                conversations: bool) -> list[SessionSet | SurveySet | UsiError]:
    """Each ``(kind, path, name)`` read (the human file, a simulator or a survey file): the
    set, or its error, in order. Large releases are spread over processes, whole files each, every
    file featurized where it is read: the same sets as one process gives."""
    sizes = [os.path.getsize(p) if os.path.isfile(p) else 0 for _, p, _ in jobs]
    workers = auto_workers(sum(sizes), minimum=PARALLEL_FILE_BYTES)
    if len(jobs) < 2 or workers == 1:
        return [_file_or_error(*job, None, conversations) for job in jobs]
    return map_parallel(_file_or_error, [(*job, 1, conversations) for job in jobs], workers,
                        costs=sizes)
