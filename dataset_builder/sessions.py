"""Back from records to the library's objects: score the Parquet dataset like the raw release.

``release_from_records`` turns records of the three configs (``load_dataset(...)["test"]`` or any
iterable of dicts) into a :class:`usi_metric.io.Release`, so ``usi_metric.scoring.leaderboard``
gives the same table as on the raw JSON. Records keep the order of the raw files, which the
metric needs (the second human's survey is read in its file's order).

>>> record = {"instance_id": "airline_0", "base_id": "airline_0", "task_id": "airline_0",
...        "annotator": 1, "conversation": [{"role": "user", "content": "ok"}],
...        "survey": {}, "reward": 1.0, "keep": True, "features": None}
>>> rel = release_from_records([record], featurize=True)
>>> rel.humans.sessions[0].group, bool(rel.humans.has_features[0])
('1', True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from usi_metric.errors import UsiError
from usi_metric.features import COLUMNS, featurize_many
from usi_metric.features.extract import is_mapping
from usi_metric.io import Release, Session, SessionSet, SurveySet
from usi_metric.io.jsonfile import has_lone_surrogate
from usi_metric.io.layout import HUMAN_EVAL_NAME
from usi_metric.io.sessions import human_session, simulator_session
from usi_metric.io.validate import (
    check_answer,
    check_conversation,
    check_keep,
    check_reward,
    check_text,
    check_whole_number,
    is_number,
    tname,
)

PARQUET_PATH = "<parquet>"


def _where(config: str) -> str:
    return f"<{config} records>"


def _get(record: Mapping[str, Any], name: str, config: str) -> Any:
    if name not in record:
        raise UsiError("missing column", file=_where(config),
                       id=_shown_id(record.get("instance_id")), field=name)
    return record[name]


def _shown_id(value: Any) -> str | None:
    return value if isinstance(value, str) and not has_lone_surrogate(value) else None


def _records(records: Iterable[Any], config: str) -> list[Mapping[str, Any]]:
    """The records as a list; each must be a mapping (a dict, as ``load_dataset`` gives)."""
    out = list(records)
    for i, record in enumerate(out):
        if not is_mapping(record):
            raise UsiError(f"a record must be an object of columns, got {tname(record)}",
                           file=_where(config), field=f"record {i}")
    return out


def _str(record: Mapping[str, Any], name: str, config: str, iid: str | None) -> str:
    value = _get(record, name, config)
    if not isinstance(value, str) or not value:
        raise UsiError(f"must be a non-empty string, got {tname(value)}", file=_where(config),
                       id=iid, field=name)
    return check_text(value, file=_where(config), id=iid, field=name)


def _int(record: Mapping[str, Any], name: str, config: str, iid: str, low: int) -> int:
    return check_whole_number(_get(record, name, config), low=low, file=_where(config), id=iid,
                              field=name)


def _answers(survey: Any, config: str, iid: str) -> dict[str, str]:
    """The answered fields of a survey struct (null fields are not answered)."""
    if not survey:
        return {}
    if not is_mapping(survey):
        raise UsiError(f"must be an object of survey answers or null, got {tname(survey)}",
                       file=_where(config), id=iid, field="survey")
    out = {}
    for k, v in survey.items():
        answer = check_answer(v, file=_where(config), id=iid, field=f"survey.{k}")
        if answer is not None:
            out[k] = answer
    return out


def _session(record: Mapping[str, Any], config: str, group_column: str) -> Session:
    where = _where(config)
    iid = _str(record, "instance_id", config, None)
    conv = check_conversation(_get(record, "conversation", config), file=where, id=iid,
                              text=True)
    fields = {"conversation": tuple(dict(m) for m in conv),
              "reward": check_reward(_get(record, "reward", config), file=where, id=iid),
              "keep": check_keep(_get(record, "keep", config), file=where, id=iid),
              "survey": _answers(record.get("survey"), config, iid)}
    # the record stores its keys: they are taken as they are, not read from the id again
    keys = {"base_id": _str(record, "base_id", config, iid),
            "task_key": _str(record, "task_id", config, iid)}
    if group_column == "run":
        return simulator_session(iid, fields, run=_int(record, "run", config, iid, 0),
                                 ece_run=_int(record, "ece_run", config, iid, 0), **keys)
    return human_session(iid, fields, batch=_int(record, group_column, config, iid, 1), **keys)


def _stored_features(records: list[Mapping[str, Any]], config: str) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    matrix = np.zeros((len(records), len(COLUMNS)), dtype=float)
    mask = np.zeros(len(records), dtype=bool)
    for i, record in enumerate(records):
        iid = _shown_id(record.get("instance_id"))
        feats = _get(record, "features", config) or {}
        if not is_mapping(feats):
            raise UsiError(f"must be an object of the feature columns or null, got "
                           f"{tname(feats)}", file=_where(config), id=iid, field="features")
        values = [feats.get(c) for c in COLUMNS]
        if all(v is None for v in values):
            continue
        if any(v is None for v in values):
            raise UsiError("some feature fields are null and others not",
                           file=_where(config), id=iid, field="features")
        for c, v in zip(COLUMNS, values, strict=True):
            if not is_number(v) or not math.isfinite(float(v)):
                raise UsiError(f"must be a finite number, got {v!r}", file=_where(config),
                               id=iid, field=f"features.{c}")
        matrix[i] = values
        mask[i] = True
    return matrix, mask


def _session_set(name: str, source: str, records: list[Mapping[str, Any]], config: str,
                 group_column: str, featurize: bool) -> SessionSet:
    sessions = [_session(r, config, group_column) for r in records]
    _no_duplicates(sessions, config, group_column)
    if featurize:
        matrix, mask = featurize_many((s.conversation for s in sessions), source)
    else:
        matrix, mask = _stored_features(records, config)
    return SessionSet(name=name, source=source, path=PARQUET_PATH, sessions=sessions,
                      features=matrix, has_features=mask)


def _no_duplicates(sessions: list[Session], config: str, group_column: str) -> None:
    """A session given twice (same id, same run) is an error, as in the JSON files: the
    records would otherwise count it twice, or keep whichever came last."""
    seen: set[tuple[str, str]] = set()
    for s in sessions:
        key = (s.group, s.instance_id)
        if key in seen:
            what = f"in run {s.group}" if group_column == "run" else "in the human records"
            raise UsiError(f"duplicate id {what}", file=_where(config), id=s.instance_id,
                           field="instance_id")
        seen.add(key)


def _by(records: Iterable[Mapping[str, Any]], column: str, config: str) -> dict[str, list]:
    """Records grouped by a column (a non-empty string), each group in record order."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for record in _records(records, config):
        out.setdefault(_str(record, column, config, _shown_id(record.get("instance_id"))),
                       []).append(record)
    return out


def release_from_records(
    human: Iterable[Mapping[str, Any]],
    simulators: Iterable[Mapping[str, Any]] = (),
    surveys: Iterable[Mapping[str, Any]] = (),
    *,
    featurize: bool = False,
) -> Release:
    """A :class:`Release` from records of the ``human``, ``simulators`` and ``surveys`` configs.

    With ``featurize=False`` (default) the stored ``features`` column is used; with True the
    features are computed again from the ``conversation`` column by ``usi_metric``.
    """
    human_records = _records(human, "human")
    if not human_records:
        raise UsiError("no human records: the human config is needed to score",
                       file="<human records>")
    humans = _session_set("human", "human", human_records, "human", "annotator", featurize)
    sims = {name: _session_set(name, "llm", records, "simulators", "run", featurize)
            for name, records in sorted(_by(simulators, "simulator", "simulators").items())}
    survey_sets: dict[str, SurveySet] = {}
    human_eval = None
    for judge, records in _by(surveys, "judge", "surveys").items():
        answers: dict[str, dict[str, str]] = {}
        for record in records:
            iid = _str(record, "instance_id", "surveys", None)
            if iid in answers:
                raise UsiError("duplicate id for this judge", file="<surveys records>", id=iid,
                               field="instance_id")
            answers[iid] = _answers(record.get("survey"), "surveys", iid)
        sset = SurveySet(name=judge, path=PARQUET_PATH, surveys=answers)
        if judge == HUMAN_EVAL_NAME:
            human_eval = sset
        else:
            survey_sets[judge] = sset
    return Release(root=PARQUET_PATH, humans=humans, simulators=sims, surveys=survey_sets,
                   human_eval=human_eval)
