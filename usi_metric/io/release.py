"""Reading a release folder in the ``cmu-lti/tau-usi`` layout, with validation
(docs/ids-and-runs.md).

Every problem with a file becomes a one-line :class:`UsiError` naming the file, id and field.
Each session is featurized once, when its file is read.

>>> from usi_metric.samples import sample_release_dir
>>> rel = load_release(sample_release_dir())
>>> rel.humans.source, len(rel.simulators) > 0
('human', True)
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

from usi_metric.errors import UsiError, UsiWarning
from usi_metric.features import batch as _batch  # noqa: F401 - loaded before the timed read
from usi_metric.io.featureless import warn_featureless
from usi_metric.io.formats import default_name, read_runs_files, record_id
from usi_metric.io.ids import RELEASE_BATCHES
from usi_metric.io.jsonfile import read_json
from usi_metric.io.layout import (
    HUMAN_EVAL_NAME,
    SIM_PREFIX,
    SURVEY_PREFIX,
    check_simulator_name,
    layout_notes,
    release_files,
    release_root,
    simulator_name,
    survey_name,
)
from usi_metric.io.sessions import (
    Release,
    SessionSet,
    SurveySet,
    build_set,
    check_simulators_exist,
    human_session,
)
from usi_metric.io.validate import check_entry, top_object
from usi_metric.runtime.gc import gc_paused
from usi_metric.runtime.parallel import map_parallel, workers_for

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
    humans = build_set(name, "human", path, sessions, workers)
    humans.batches = RELEASE_BATCHES
    return humans


# ----------------------------------------------------------------------------- simulators


def load_simulator(path: str | Path, name: str | None = None,
                   workers: int | None = None, conversations: bool = True,
                   domain: str | None = None) -> SessionSet:
    """Read one simulator's runs file, in any form ``io.formats`` reads (told by content):
    ``{id: entry}``, ``{"results": [record, ...]}``, τ-bench, τ²-bench or OdysSim results.

    ``workers``: processes for featurizing (None: by size, see ``features.featurize_many``).
    ``conversations=False`` drops the texts once featurized (scores need only the features).
    ``domain``: for a τ-bench / τ²-bench file that does not name its domain.
    """
    return load_simulator_files([path], name, workers, conversations, domain)


def load_simulator_files(paths: Sequence[str | Path], name: str | None = None,
                         workers: int | None = None, conversations: bool = True,
                         domain: str | None = None) -> SessionSet:
    """Read one simulator's runs from several files (say one per domain), merged in the
    order given; a session given twice (same task, same run) is a one-line error. Notes on
    what a file left out (τ² tasks without a τ-bench counterpart) go to stderr, one line
    each. ``name``: default from the file names (``default_name``).

    >>> from usi_metric.samples import sample_release_dir
    >>> p = sample_release_dir() / "eval_results" / "eval_results_synth-terse.json"
    >>> load_simulator_files([p]).name
    'synth-terse'
    """
    paths = [str(p) for p in paths]
    name = check_simulator_name(name or default_name(paths), ", ".join(paths))
    runs = read_runs_files(paths, domain)
    for note in runs.warnings:
        warnings.warn(note, UsiWarning, stacklevel=2)
    return build_set(name, "llm", ", ".join(paths), runs.sessions, workers, conversations)


# ----------------------------------------------------------------------------- surveys


def load_survey(path: str | Path, name: str | None = None) -> SurveySet:
    """Read a ``survey_comparable_*.json`` file: ``{id: {"survey": {...}}}``, order kept."""
    path = str(path)
    if name is None:
        name = survey_name(path)
    data = read_json(path)
    if isinstance(data, Mapping) and set(data) == {"results"} and isinstance(data["results"],
                                                                               list):
        data = {record_id(path, i, r): r for i, r in enumerate(data["results"])}
    data = top_object(path, data, "a survey file")
    surveys = {iid: check_entry(path, iid, e, need_conversation=False)["survey"]
               for iid, e in data.items()}
    n_conv = sum(isinstance(e, Mapping) and "conversation" in e for e in data.values())
    return SurveySet(name=name, path=path, surveys=surveys, n_conversations=n_conv)


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
    if only is not None:  # a name the release lacks is said before anything is read
        check_simulators_exist(only, [n for k, _, n in jobs if k == SIM_PREFIX], str(data_dir))
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
    notes = layout_notes(release_root(data_dir))
    line = warn_featureless(humans.path, humans.featureless,
                            sum(s.kept for s in humans.sessions))
    if line is not None:
        notes.append(line)
    return Release(root=str(data_dir), humans=humans, simulators=dict(sorted(sims.items())),
                   surveys=surveys, human_eval=human_eval, problems=problems, notes=notes)


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
    set, or its error, in order. The first file is read here, timed: at its speed (bytes per
    second, which depends on how much the text repeats), would the rest take one process
    long enough to share it out (``parallel.workers_for``)? Then the rest is spread over
    processes, whole files each, every file featurized where it is read: the same sets as
    one process gives."""
    if len(jobs) < 2:
        return [_file_or_error(*job, None, conversations) for job in jobs]
    sizes = [os.path.getsize(p) if os.path.isfile(p) else 0 for _, p, _ in jobs]
    t0 = time.perf_counter()
    first = _file_or_error(*jobs[0], 1, conversations)
    if isinstance(first, UsiError) and jobs[0][0] == "human":
        return [first]  # the human file must be good: nothing else is read
    rest_seconds = (time.perf_counter() - t0) * sum(sizes[1:]) / max(sizes[0], 1)
    workers = workers_for(rest_seconds)
    rest = [(*job, 1, conversations) for job in jobs[1:]]
    if workers == 1:
        return [first, *(_file_or_error(*args) for args in rest)]
    return [first, *map_parallel(_file_or_error, rest, workers, costs=sizes[1:])]
