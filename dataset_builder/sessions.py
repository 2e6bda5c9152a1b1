"""Back from rows to the library's objects: score the Parquet dataset like the raw release.

``release_from_rows`` turns rows of the three configs (``load_dataset(...)["test"]`` or any
iterable of dicts) into a :class:`usi_metric.io.Release`, so ``usi_metric.scoring.leaderboard``
gives the same table as on the raw JSON. Rows keep the order of the raw files, which the
metric needs (the second human's survey is read in its file's order).

>>> row = {"instance_id": "airline_0", "base_id": "airline_0", "task_id": "airline_0",
...        "annotator": 1, "conversation": [{"role": "user", "content": "ok"}],
...        "survey": {}, "reward": 1.0, "keep": True, "features": None}
>>> rel = release_from_rows([row], featurize=True)
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
    return f"<{config} rows>"


def _get(row: Mapping[str, Any], name: str, config: str) -> Any:
    if name not in row:
        raise UsiError("missing column", file=_where(config),
                       id=_shown_id(row.get("instance_id")), field=name)
    return row[name]


def _shown_id(value: Any) -> str | None:
    return value if isinstance(value, str) and not has_lone_surrogate(value) else None


def _rows(rows: Iterable[Any], config: str) -> list[Mapping[str, Any]]:
    """The rows as a list; each must be a mapping (a dict, as ``load_dataset`` gives)."""
    out = list(rows)
    for i, row in enumerate(out):
        if not is_mapping(row):
            raise UsiError(f"a row must be an object of columns, got {tname(row)}",
                           file=_where(config), field=f"row {i}")
    return out


def _str(row: Mapping[str, Any], name: str, config: str, iid: str | None) -> str:
    value = _get(row, name, config)
    if not isinstance(value, str) or not value:
        raise UsiError(f"must be a non-empty string, got {tname(value)}", file=_where(config),
                       id=iid, field=name)
    return check_text(value, file=_where(config), id=iid, field=name)


def _int(row: Mapping[str, Any], name: str, config: str, iid: str, low: int) -> int:
    return check_whole_number(_get(row, name, config), low=low, file=_where(config), id=iid,
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


def _session(row: Mapping[str, Any], config: str, group_column: str) -> Session:
    where = _where(config)
    iid = _str(row, "instance_id", config, None)
    conv = check_conversation(_get(row, "conversation", config), file=where, id=iid,
                              text=True)
    fields = {"conversation": tuple(dict(m) for m in conv),
              "reward": check_reward(_get(row, "reward", config), file=where, id=iid),
              "keep": check_keep(_get(row, "keep", config), file=where, id=iid),
              "survey": _answers(row.get("survey"), config, iid)}
    # the record stores its keys: they are taken as they are, not read from the id again
    keys = {"base_id": _str(row, "base_id", config, iid),
            "task_key": _str(row, "task_id", config, iid)}
    if group_column == "run":
        return simulator_session(iid, fields, run=_int(row, "run", config, iid, 0),
                                 ece_run=_int(row, "ece_run", config, iid, 0), **keys)
    return human_session(iid, fields, batch=_int(row, group_column, config, iid, 1), **keys)


def _stored_features(rows: list[Mapping[str, Any]], config: str) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    matrix = np.zeros((len(rows), len(COLUMNS)), dtype=float)
    mask = np.zeros(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        iid = _shown_id(row.get("instance_id"))
        feats = _get(row, "features", config) or {}
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


def _session_set(name: str, source: str, rows: list[Mapping[str, Any]], config: str,
                 group_column: str, featurize: bool) -> SessionSet:
    sessions = [_session(r, config, group_column) for r in rows]
    _no_duplicates(sessions, config, group_column)
    if featurize:
        matrix, mask = featurize_many((s.conversation for s in sessions), source)
    else:
        matrix, mask = _stored_features(rows, config)
    return SessionSet(name=name, source=source, path=PARQUET_PATH, sessions=sessions,
                      features=matrix, has_features=mask)


def _no_duplicates(sessions: list[Session], config: str, group_column: str) -> None:
    """A session given twice (same id, same run) is an error, as in the JSON files: the
    rows would otherwise count it twice, or keep whichever came last."""
    seen: set[tuple[str, str]] = set()
    for s in sessions:
        key = (s.group, s.instance_id)
        if key in seen:
            what = f"in run {s.group}" if group_column == "run" else "in the human rows"
            raise UsiError(f"duplicate id {what}", file=_where(config), id=s.instance_id,
                           field="instance_id")
        seen.add(key)


def _by(rows: Iterable[Mapping[str, Any]], column: str, config: str) -> dict[str, list]:
    """Rows grouped by a column (a non-empty string), each group in row order."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for row in _rows(rows, config):
        out.setdefault(_str(row, column, config, _shown_id(row.get("instance_id"))),
                       []).append(row)
    return out


def release_from_rows(
    human: Iterable[Mapping[str, Any]],
    simulators: Iterable[Mapping[str, Any]] = (),
    surveys: Iterable[Mapping[str, Any]] = (),
    *,
    featurize: bool = False,
) -> Release:
    """A :class:`Release` from rows of the ``human``, ``simulators`` and ``surveys`` configs.

    With ``featurize=False`` (default) the stored ``features`` column is used; with True the
    features are computed again from the ``conversation`` column by ``usi_metric``.
    """
    human_rows = _rows(human, "human")
    if not human_rows:
        raise UsiError("no human rows: the human config is needed to score",
                       file="<human rows>")
    humans = _session_set("human", "human", human_rows, "human", "annotator", featurize)
    sims = {name: _session_set(name, "llm", rows, "simulators", "run", featurize)
            for name, rows in sorted(_by(simulators, "simulator", "simulators").items())}
    survey_sets: dict[str, SurveySet] = {}
    human_eval = None
    for judge, rows in _by(surveys, "judge", "surveys").items():
        answers: dict[str, dict[str, str]] = {}
        for row in rows:
            iid = _str(row, "instance_id", "surveys", None)
            if iid in answers:
                raise UsiError("duplicate id for this judge", file="<surveys rows>", id=iid,
                               field="instance_id")
            answers[iid] = _answers(row.get("survey"), "surveys", iid)
        sset = SurveySet(name=judge, path=PARQUET_PATH, surveys=answers)
        if judge == HUMAN_EVAL_NAME:
            human_eval = sset
        else:
            survey_sets[judge] = sset
    return Release(root=PARQUET_PATH, humans=humans, simulators=sims, surveys=survey_sets,
                   human_eval=human_eval)
