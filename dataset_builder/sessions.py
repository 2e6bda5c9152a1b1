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

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from dataset_builder.schema import HUMAN_EVAL_JUDGE
from usi_metric.errors import UsiError
from usi_metric.features import COLUMNS, featurize_many
from usi_metric.io import Release, Session, SessionSet, SurveySet

PARQUET_PATH = "<parquet>"


def _get(row: Mapping[str, Any], name: str, config: str) -> Any:
    if name not in row:
        raise UsiError("missing column", file=f"<{config} rows>",
                       id=str(row.get("instance_id")), field=name)
    return row[name]


def _answers(survey: Any) -> dict[str, str]:
    """The answered fields of a survey struct (null fields are not answered)."""
    if not survey:
        return {}
    return {k: v for k, v in survey.items() if v is not None}


def _session(row: Mapping[str, Any], config: str, group_column: str) -> Session:
    iid = _get(row, "instance_id", config)
    group = _get(row, group_column, config)
    if isinstance(group, bool) or not isinstance(group, int):
        raise UsiError(f"must be an integer, got {group!r}", file=f"<{config} rows>", id=iid,
                       field=group_column)
    ece_run = _get(row, "ece_run", config) if group_column == "run" else 0
    reward = _get(row, "reward", config)
    return Session(
        instance_id=iid,
        base_id=_get(row, "base_id", config),
        task_key=_get(row, "task_id", config),
        group=str(group),
        ece_run=int(ece_run),
        reward=None if reward is None else float(reward),
        keep=_get(row, "keep", config),
        conversation=tuple(dict(m) for m in _get(row, "conversation", config)),
        survey=_answers(row.get("survey")),
    )


def _stored_features(rows: list[Mapping[str, Any]], config: str) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    matrix = np.zeros((len(rows), len(COLUMNS)), dtype=float)
    mask = np.zeros(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        feats = _get(row, "features", config) or {}
        values = [feats.get(c) for c in COLUMNS]
        if all(v is None for v in values):
            continue
        if any(v is None for v in values):
            raise UsiError("some feature fields are null and others not",
                           file=f"<{config} rows>", id=str(row.get("instance_id")),
                           field="features")
        matrix[i] = values
        mask[i] = True
    return matrix, mask


def _session_set(name: str, source: str, rows: list[Mapping[str, Any]], config: str,
                 group_column: str, featurize: bool) -> SessionSet:
    sessions = [_session(r, config, group_column) for r in rows]
    if featurize:
        matrix, mask = featurize_many((s.conversation for s in sessions), source)
    else:
        matrix, mask = _stored_features(rows, config)
    return SessionSet(name=name, source=source, path=PARQUET_PATH, sessions=sessions,
                      features=matrix, has_features=mask)


def _by(rows: Iterable[Mapping[str, Any]], column: str, config: str) -> dict[str, list]:
    """Rows grouped by a column, each group in row order."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        out.setdefault(_get(row, column, config), []).append(row)
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
    human_rows = list(human)
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
            iid = _get(row, "instance_id", "surveys")
            if iid in answers:
                raise UsiError("duplicate id for this judge", file="<surveys rows>", id=iid,
                               field="instance_id")
            answers[iid] = _answers(row.get("survey"))
        sset = SurveySet(name=judge, path=PARQUET_PATH, surveys=answers)
        if judge == HUMAN_EVAL_JUDGE:
            human_eval = sset
        else:
            survey_sets[judge] = sset
    return Release(root=PARQUET_PATH, humans=humans, simulators=sims, surveys=survey_sets,
                   human_eval=human_eval)
