"""Reading a release folder in the ``cmu-lti/tau-usi`` layout, with validation (USI_SPEC.md §1).

Every problem with a file becomes a one-line :class:`UsiError` naming the file, id and field.
Each session is featurized once, when its file is read.

>>> from usi_metric.samples import sample_release_dir
>>> rel = load_release(sample_release_dir())
>>> rel.humans.source, len(rel.simulators) > 0
('human', True)
"""

from __future__ import annotations

import gc
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from usi_metric import ids
from usi_metric.errors import UsiError
from usi_metric.features import COLUMNS, featurize_many, is_mapping
from usi_metric.parallel import PARALLEL_FILE_BYTES, auto_workers, map_parallel

HUMAN_FILE = "tau_bench_tasks_unified.json"
SIM_PREFIX = "eval_results_"
SURVEY_PREFIX = "survey_comparable_"
HUMAN_EVAL_NAME = "human-eval-100"


@dataclass(frozen=True)
class Session:
    """One conversation of the release, with what the metric needs of its entry."""

    instance_id: str
    base_id: str  # human id without _annN; simulator id without its run suffix
    task_key: str
    group: str  # human: batch "1".."3"; simulator: run key of the file-size rule
    ece_run: int  # simulator: run index for ECE (third number, else 1); human: 0
    reward: float | None
    keep: bool | None  # None is JSON null; an absent keep is True
    conversation: tuple[Mapping[str, Any], ...]
    survey: Mapping[str, Any]

    @property
    def kept(self) -> bool:
        """Counted in rows and human rewards: ``keep`` true or absent (null is out)."""
        return self.keep is True

    @property
    def success(self) -> int:
        """1 when ``reward > 0``, else 0 (a missing or null reward counts 0)."""
        return 1 if self.reward is not None and self.reward > 0 else 0


@dataclass
class SessionSet:
    """The sessions of one file, featurized once: ``features[i]`` belongs to ``sessions[i]``."""

    name: str
    source: str  # "human" or "llm"
    path: str
    sessions: list[Session]
    features: np.ndarray = field(repr=False)
    has_features: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.sessions)


@dataclass
class SurveySet:
    """A ``survey_comparable_*.json`` file: ``{id: survey}`` in the file's own order."""

    name: str
    path: str
    surveys: dict[str, Mapping[str, Any]]


@dataclass
class Release:
    """A release folder: humans, simulators (sorted by name), their surveys, bad files."""

    root: str
    humans: SessionSet
    simulators: dict[str, SessionSet]
    surveys: dict[str, SurveySet]
    human_eval: SurveySet | None
    problems: list[UsiError] = field(default_factory=list)


# ----------------------------------------------------------------------------- JSON


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: reading and featurizing make no reference cycles,
    and collections would rescan every parsed object again and again.

    >>> with gc_paused():
    ...     gc.isenabled()
    False
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; duplicate keys in the top-level object are an error.

    Objects inside the entries keep the last value of a repeated key, as ``json`` does.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.json")
    >>> _ = open(p, "w").write('{"a": 1, "a": 2}')
    >>> read_json(p)
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: ...x.json: id a: duplicate id in the top-level object
    """
    path = str(path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        data, duplicate = _parse_top_level(text)
    except FileNotFoundError:
        raise UsiError("file not found", file=path) from None
    except UnicodeDecodeError as exc:
        raise UsiError(f"not UTF-8 text ({exc.reason})", file=path) from None
    except json.JSONDecodeError as exc:
        raise UsiError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                       file=path) from None
    except ValueError as exc:
        raise UsiError(str(exc), file=path) from None
    except OSError as exc:
        raise UsiError(f"cannot read ({exc.strerror})", file=path) from None
    if duplicate is not None:
        raise UsiError("duplicate id in the top-level object", file=path, id=duplicate)
    return data


def _parse_top_level(text: str) -> tuple[Any, str | None]:
    """``(value, first duplicate top-level key or None)`` of a JSON document.

    The top-level object is walked member by member and every value is parsed by ``json``'s
    own scanner, so a repeated top-level key is seen without a Python hook on every nested
    object (the slow way). Anything else is plain ``json.loads``.

    >>> _parse_top_level('{"a": {"x": 1, "x": 2}, "b": [1], "a": 3}')
    ({'a': 3, 'b': [1]}, 'a')
    """
    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    skip = json.decoder.WHITESPACE.match
    i = skip(text, 0).end()
    if not text.startswith("{", i):
        return decoder.decode(text), None
    out: dict[str, Any] = {}
    duplicate: str | None = None
    i = skip(text, i + 1).end()
    if text.startswith("}", i):
        i += 1
    else:
        while True:
            if not text.startswith('"', i):
                raise json.JSONDecodeError(
                    "Expecting property name enclosed in double quotes", text, i)
            key, i = json.decoder.scanstring(text, i + 1, True)
            i = skip(text, i).end()
            if not text.startswith(":", i):
                raise json.JSONDecodeError("Expecting ':' delimiter", text, i)
            i = skip(text, i + 1).end()
            try:
                value, i = decoder.scan_once(text, i)
            except StopIteration as stop:
                raise json.JSONDecodeError("Expecting value", text, stop.value) from None
            if duplicate is None and key in out:
                duplicate = key
            out[key] = value
            i = skip(text, i).end()
            if text.startswith("}", i):
                i += 1
                break
            if not text.startswith(",", i):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
            i = skip(text, i + 1).end()
    i = skip(text, i).end()
    if i != len(text):
        raise json.JSONDecodeError("Extra data", text, i)
    return out, duplicate


def _reject_constant(name: str) -> Any:
    raise ValueError(f"malformed JSON: {name} is not a number JSON allows")


# ----------------------------------------------------------------------------- entries


def _check_entry(path: str, iid: str, entry: Any, *, need_conversation: bool) -> dict[str, Any]:
    """Validate one entry; return its normalised fields."""
    if not is_mapping(entry):
        raise UsiError(f"entry must be an object, got {_tname(entry)}", file=path, id=iid)
    out: dict[str, Any] = {}
    if need_conversation:
        if "conversation" not in entry:
            raise UsiError("missing field", file=path, id=iid, field="conversation")
        conv = entry["conversation"]
        if not isinstance(conv, list):
            raise UsiError(f"must be a list of messages, got {_tname(conv)}",
                           file=path, id=iid, field="conversation")
        for i, msg in enumerate(conv):
            where = f"conversation[{i}]"
            if not is_mapping(msg):
                raise UsiError(f"message must be an object, got {_tname(msg)}",
                               file=path, id=iid, field=where)
            role = msg.get("role")
            if not isinstance(role, str):
                raise UsiError(f"role must be a string, got {_tname(role)}",
                               file=path, id=iid, field=f"{where}.role")
            content = msg.get("content")
            if content is not None and not isinstance(content, str):
                raise UsiError(f"content must be a string or null, got {_tname(content)}",
                               file=path, id=iid, field=f"{where}.content")
        out["conversation"] = tuple(conv)
        reward = entry.get("reward")
        if reward is not None and (
            isinstance(reward, bool) or not isinstance(reward, int | float)
        ):
            raise UsiError(f"must be a number or null, got {_tname(reward)}",
                           file=path, id=iid, field="reward")
        if isinstance(reward, float) and not math.isfinite(reward):
            raise UsiError("must be a finite number", file=path, id=iid, field="reward")
        out["reward"] = None if reward is None else float(reward)
        keep = entry.get("keep", True)
        if keep is not None and not isinstance(keep, bool):
            raise UsiError(f"must be true, false or null, got {_tname(keep)}",
                           file=path, id=iid, field="keep")
        out["keep"] = keep
    out["survey"] = _check_survey(path, iid, entry.get("survey", {}),
                                  required=not need_conversation and "survey" not in entry)
    return out


def _check_survey(path: str, iid: str, survey: Any, *, required: bool) -> Mapping[str, Any]:
    if required:
        raise UsiError("missing field", file=path, id=iid, field="survey")
    if not is_mapping(survey):
        raise UsiError(f"must be an object of survey fields, got {_tname(survey)}",
                       file=path, id=iid, field="survey")
    answers: dict[str, Any] = {}
    for name, value in survey.items():
        where = f"survey.{name}"
        if value is None:
            answers[name] = None
            continue
        if not is_mapping(value):
            raise UsiError(f"must be an object like {{\"answer\": ...}}, got {_tname(value)}",
                           file=path, id=iid, field=where)
        answer = value.get("answer")
        if answer is not None and not isinstance(answer, str):
            raise UsiError(f"answer must be a string or null, got {_tname(answer)}",
                           file=path, id=iid, field=f"{where}.answer")
        answers[name] = answer
    return answers


def _tname(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _top_object(path: str, data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise UsiError(f"{what} must be a JSON object {{instance_id: entry}}, "
                       f"got {_tname(data)}", file=path)
    if not data:
        raise UsiError(f"{what} has no entries", file=path)
    return data


def _build(name: str, source: str, path: str, sessions: list[Session],
           workers: int | None = None, conversations: bool = True) -> SessionSet:
    matrix, mask = featurize_many((s.conversation for s in sessions), source, workers)
    if not conversations:  # featurized: the texts are no longer needed
        sessions = [replace(s, conversation=()) for s in sessions]
    assert matrix.shape[1] == len(COLUMNS)
    return SessionSet(name=name, source=source, path=path, sessions=sessions,
                      features=matrix, has_features=mask)


# ----------------------------------------------------------------------------- humans


def load_humans(path: str | Path, name: str = "human", workers: int | None = None) -> SessionSet:
    """Read the human sessions file (``tau_bench_tasks_unified.json``), featurized once.

    ``workers``: processes for featurizing (None: by size, see ``features.featurize_many``).
    """
    path = str(path)
    data = _top_object(path, read_json(path), "the human sessions file")
    sessions = []
    for iid, entry in data.items():
        f = _check_entry(path, iid, entry, need_conversation=True)
        batch = ids.human_batch(iid)
        sessions.append(Session(
            instance_id=iid, base_id=ids.human_base_id(iid), task_key=ids.task_key(iid),
            group=str(batch), ece_run=0, reward=f["reward"], keep=f["keep"],
            conversation=f["conversation"], survey=f["survey"]))
    return _build(name, "human", path, sessions, workers)


# ----------------------------------------------------------------------------- simulators


def simulator_name(path: str | Path) -> str:
    """Simulator name from a file name: ``eval_results_gpt-5.json`` -> ``gpt-5``.

    >>> simulator_name("eval_results/eval_results_gpt-5.1.json")
    'gpt-5.1'
    """
    stem = Path(path).name
    stem = stem[:-5] if stem.endswith(".json") else stem
    return stem[len(SIM_PREFIX):] if stem.startswith(SIM_PREFIX) else stem


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
        return _build(name, "llm", path, _results_sessions(path, data["results"]), workers,
                      conversations)
    data = _top_object(path, data, "a simulator runs file")
    multi = len(data) > ids.MULTI_RUN_THRESHOLD
    sessions = []
    for iid, entry in data.items():
        f = _check_entry(path, iid, entry, need_conversation=True)
        run, base = ids.split_run(iid, multi)
        sessions.append(Session(
            instance_id=iid, base_id=base, task_key=ids.task_key(iid), group=run,
            ece_run=ids.ece_run_index(iid), reward=f["reward"], keep=f["keep"],
            conversation=f["conversation"], survey=f["survey"]))
    return _build(name, "llm", path, sessions, workers, conversations)


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
        multi = len(as_object) > ids.MULTI_RUN_THRESHOLD
        out = []
        for iid, rec in as_object.items():
            f = _check_entry(path, iid, rec, need_conversation=True)
            run, base = ids.split_run(iid, multi)
            out.append(Session(iid, base, ids.task_key(iid), run, ids.ece_run_index(iid),
                               f["reward"], f["keep"], f["conversation"], f["survey"]))
        return out
    seen: set[tuple[int, str]] = set()
    out = []
    for i, rec in enumerate(records):
        iid = _record_id(path, i, rec)
        run = _record_run(path, iid, rec)
        if (run, iid) in seen:
            raise UsiError(f"duplicate id in run {run}", file=path, id=iid, field="instance_id")
        seen.add((run, iid))
        f = _check_entry(path, iid, rec, need_conversation=True)
        out.append(Session(iid, iid, ids.task_key(iid), str(run), run, f["reward"], f["keep"],
                           f["conversation"], f["survey"]))
    return out


def _record_id(path: str, i: int, rec: Any) -> str:
    if not isinstance(rec, Mapping):
        raise UsiError(f"record must be an object, got {_tname(rec)}",
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
        stem = Path(path).name.removesuffix(".json")
        name = stem.removeprefix(SURVEY_PREFIX)
    data = read_json(path)
    if isinstance(data, Mapping) and set(data) == {"results"} and isinstance(data["results"],
                                                                               list):
        data = {_record_id(path, i, r): r for i, r in enumerate(data["results"])}
    data = _top_object(path, data, "a survey file")
    surveys = {iid: _check_entry(path, iid, e, need_conversation=False)["survey"]
               for iid, e in data.items()}
    return SurveySet(name=name, path=path, surveys=surveys)


# ----------------------------------------------------------------------------- release


def find_human_file(data_dir: str | Path) -> Path:
    """``<dir>/tau_bench_tasks_unified.json`` or ``<dir>/data/tau_bench_tasks_unified.json``."""
    root = Path(data_dir)
    if not root.is_dir():
        raise UsiError("not a folder", file=str(root))
    for cand in (root / HUMAN_FILE, root / "data" / HUMAN_FILE):
        if cand.is_file():
            return cand
    raise UsiError(f"no {HUMAN_FILE} here or in data/: not a tau-usi release folder",
                   file=str(root))


def _find(root: Path, sub: str, prefix: str) -> list[Path]:
    """Files ``prefix*.json`` in ``root/sub``, ``root`` and ``root/data``; first place wins."""
    found: dict[str, Path] = {}
    for folder in (root / sub, root, root / "data"):
        if folder.is_dir():
            for p in sorted(folder.glob(f"{prefix}*.json")):
                found.setdefault(p.name, p)
    return [found[k] for k in sorted(found)]


def release_files(data_dir: str | Path) -> tuple[Path, list[Path], list[Path]]:
    """``(human file, simulator files, survey files)`` of a release folder, sorted."""
    root = Path(data_dir)
    return (find_human_file(root), _find(root, "eval_results", SIM_PREFIX),
            _find(root, "survey_data", SURVEY_PREFIX))


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
    jobs += [(SURVEY_PREFIX, str(p), p.name.removesuffix(".json").removeprefix(SURVEY_PREFIX))
             for p in survey_paths]
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
