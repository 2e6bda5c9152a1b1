"""Records of the three configs from the files of a release folder, read by ``usi_metric.io``.

The library reads and validates each file and featurizes each session once; this module
only lays the result out as records of the columns of :mod:`dataset_builder.schema`. The
``agent_id`` of an entry is the one field the metric does not keep, so it is read from the
file's JSON beside the loaded sessions.

>>> from usi_metric.samples import sample_release_dir
>>> files = release_plan(sample_release_dir())
>>> [name for name, _ in files["human"]]
['human']
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dataset_builder.schema import CONFIG_NAMES, SURVEY_FIELDS
from usi_metric.errors import UsiError
from usi_metric.features import COLUMNS
from usi_metric.io import (
    SessionSet,
    SurveySet,
    load_humans,
    load_simulator,
    load_survey,
    read_json,
    release_files,
    simulator_name,
    survey_name,
)
from usi_metric.io.formats import read_runs_file

_TASK_RE = re.compile(r"([A-Za-z][A-Za-z0-9-]*)_(\d+)")

Record = dict[str, Any]
Plan = dict[str, list[tuple[str, Path]]]


def task_parts(task_id: str) -> tuple[str | None, int | None]:
    """``(domain, task_index)`` of a task key, or ``(None, None)`` when it is not one.

    >>> task_parts("airline_7"), task_parts("telecom_4"), task_parts("odd-id")
    (('airline', 7), ('telecom', 4), (None, None))
    """
    m = _TASK_RE.fullmatch(task_id)
    if m is None:
        return None, None
    return m.group(1), int(m.group(2))


def release_plan(data_dir: str | Path) -> Plan:
    """The files of each config, in order: ``{config: [(name, path), ...]}``.

    Simulators and judges come sorted by file name, as ``usi_metric.io.release_files``
    finds them; a folder that is not a release is a :class:`UsiError`.
    """
    human, sims, surveys = release_files(data_dir)
    return {
        "human": [("human", human)],
        "simulators": [(simulator_name(p), p) for p in sims],
        "surveys": [(survey_name(p), p) for p in surveys],
    }


def agent_ids(path: str | Path, n_sessions: int) -> list[str | None]:
    """The ``agent_id`` of each entry of a file, in the order the loader made its sessions;
    null when missing or not a string.

    >>> import json, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.json")
    >>> _ = open(p, "w").write(json.dumps({"a": {"agent_id": "gpt"}, "b": {"agent_id": 3}}))
    >>> agent_ids(p, 2)
    ['gpt', None]
    """
    data = read_json(path)
    if isinstance(data, Mapping) and set(data) == {"results"}:
        entries = data["results"]
    elif isinstance(data, Mapping):
        entries = list(data.values())
    else:
        entries = []
    if not isinstance(entries, list) or len(entries) != n_sessions:
        raise UsiError(f"expected {n_sessions} entries beside the loaded sessions",
                       file=str(path))
    out: list[str | None] = []
    for e in entries:
        value = e.get("agent_id") if isinstance(e, Mapping) else None
        out.append(value if isinstance(value, str) else None)
    return out


def simulator_agent_ids(path: str | Path, n_sessions: int) -> list[str | None]:
    """The agent of each session of a simulator runs file, in any form the library reads
    (release layout, rollout form, τ-bench, τ²-bench, OdysSim), in the loader's order.

    >>> from usi_metric.samples import sample_release_dir
    >>> p = sample_release_dir() / "eval_results" / "eval_results_synth-terse.json"
    >>> simulator_agent_ids(p, 58)[0]
    'synth-agent-v1'
    """
    out = read_runs_file(path).agent_ids
    if len(out) != n_sessions:
        raise UsiError(f"expected {n_sessions} entries beside the loaded sessions",
                       file=str(path))
    return out


def survey_struct(answers: Mapping[str, Any]) -> dict[str, str | None]:
    """The 8 answers of §7 as text or null (other keys of the raw survey are not carried).

    >>> survey_struct({"human_like": "Yes", "notes": "x"})["human_like"]
    'Yes'
    """
    return {f: (answers.get(f) if isinstance(answers.get(f), str) else None)
            for f in SURVEY_FIELDS}


def feature_struct(sset: SessionSet, i: int) -> dict[str, float | None]:
    """Session ``i``'s features in raw units, every field null when it yields none."""
    if not sset.has_features[i]:
        return {c: None for c in COLUMNS}
    return {c: float(v) for c, v in zip(COLUMNS, sset.features[i], strict=True)}


def _session_record(sset: SessionSet, i: int, agent_id: str | None) -> tuple[Record, Record]:
    """(leading columns, trailing session columns) of session ``i``."""
    s = sset.sessions[i]
    domain, index = task_parts(s.task_key)
    head = {"instance_id": s.instance_id, "base_id": s.base_id, "task_id": s.task_key,
            "domain": domain, "task_index": index}
    tail = {
        "agent_id": agent_id,
        "conversation": [{"role": m.get("role"), "content": m.get("content")}
                         for m in s.conversation],
        "survey": survey_struct(s.survey),
        "reward": s.reward,
        "success": bool(s.success),
        "keep": s.keep,
        "features": feature_struct(sset, i),
    }
    return head, tail


def human_records(sset: SessionSet, agents: list[str | None]) -> list[Record]:
    """Records of the ``human`` config, in file order."""
    out = []
    for i, s in enumerate(sset.sessions):
        head, tail = _session_record(sset, i, agents[i])
        out.append({**head, "annotator": int(s.group), **tail})
    return out


def simulator_records(sset: SessionSet, agents: list[str | None]) -> list[Record]:
    """Records of the ``simulators`` config for one simulator file, in file order."""
    out = []
    for i, s in enumerate(sset.sessions):
        head, tail = _session_record(sset, i, agents[i])
        out.append({**head, "simulator": sset.name, "run": int(s.group),
                    "ece_run": s.ece_run, **tail})
    return out


def survey_records(survey: SurveySet) -> list[Record]:
    """Records of the ``surveys`` config for one survey file, in the file's own order."""
    from usi_metric.io.ids import human_batch, task_key

    return [{"judge": survey.name, "instance_id": iid, "task_id": task_key(iid),
             "annotator": human_batch(iid), "survey": survey_struct(answers)}
            for iid, answers in survey.surveys.items()]


def file_records(config: str, name: str, path: str | Path) -> list[Record]:
    """Read, validate and lay out one file of a config (a bad file is a :class:`UsiError`)."""
    if config == "human":
        sset = load_humans(path)
        return human_records(sset, agent_ids(path, len(sset)))
    if config == "simulators":
        sset = load_simulator(path, name)
        return simulator_records(sset, simulator_agent_ids(path, len(sset)))
    if config == "surveys":
        return survey_records(load_survey(path, name))
    raise UsiError(f"unknown config {config!r} (one of {', '.join(CONFIG_NAMES)})")


def config_records(config: str, files: list[tuple[str, Path]]) -> Iterator[tuple[int, int, Record]]:
    """``(file index, record index, record)`` of every file of a config, in order."""
    for i, (name, path) in enumerate(files):
        for j, record in enumerate(file_records(config, name, path)):
            yield i, j, record
