"""The library side of the ``evaluate`` metric ``usi``: its typed inputs, their check, compute.

The metric script (``usi_metric/evaluate_module/usi.py``, loaded by ``evaluate.load``) is a thin
layer over this module; the math is ``usi_metric.scoring``'s. One row per task:
``predictions[i]`` holds the simulator's sessions of task ``i`` (one per run) and
``references[i]`` the human sessions of the same task (one per annotator).

A simulator session: ``instance_id`` (the task instance it is a run of, e.g. ``airline_7``),
``run`` (1, 2, 3, ...; absent means 1), ``conversation`` (``[{"role", "content"}, ...]``),
``reward`` (number or null), ``keep`` (true, false or null; absent means true) and
``ece_run`` (null: the same as ``run``; it differs only for the release's odd ids, see
``usi_metric.hf.evaluate_inputs``). A human session: ``instance_id``, ``annotator`` (1, 2, 3),
``conversation``, ``reward``, ``keep`` and ``survey`` (the 8 answers as text, or null).

>>> conv = [{"role": "user", "content": "ok"}]
>>> preds, refs = prepare_rows([[{"instance_id": "airline_0", "conversation": conv}]],
...                            [[{"instance_id": "airline_0", "annotator": 1,
...                               "conversation": conv, "reward": 1}]])
>>> preds[0][0]["run"], preds[0][0]["keep"], refs[0][0]["reward"], refs[0][0]["survey"]
(1, True, 1.0, None)
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS
from usi_metric.aggregation.usi import DIMENSION_KEYS
from usi_metric.errors import UsiError
from usi_metric.features import featurize_many
from usi_metric.io import Session, SessionSet, SurveySet, ids, load_survey
from usi_metric.io.validate import (
    check_conversation,
    check_keep,
    check_reward,
    check_text,
    tname,
)
from usi_metric.scoring import (
    Difficulty,
    human_ceiling,
    load_difficulty_map,
    pooled_difficulty,
    score_simulator,
)
from usi_metric.scoring.difficulty import PUBLISHED, map_values, published_difficulty
from usi_metric.scoring.explain import no_usi_reason, sim_tasks, yardstick

SIM_FIELDS = ("instance_id", "run", "ece_run", "conversation", "reward", "keep")
HUMAN_FIELDS = ("instance_id", "annotator", "conversation", "reward", "keep", "survey")
ANNOTATOR_SUFFIX = {1: "", 2: "_ann2", 3: "_ann3"}
OUTPUT_CELLS = ("usi", *DIMENSION_KEYS, "ece", "eval_agree")
_SCRIPT = Path(__file__).resolve().parent / "evaluate_module" / "usi.py"

Row = list[dict[str, Any]]


def evaluate_module_path() -> str:
    """Path of the metric script, for ``evaluate.load(evaluate_module_path())``.

    >>> Path(evaluate_module_path()).name
    'usi.py'
    """
    return str(_SCRIPT)


def metric_features() -> Any:
    """The metric's typed inputs, a ``datasets.Features``: one row per task.

    A survey answer that is missing is stored as ``""`` (never a valid option, so it counts
    as unanswered, like null): ``evaluate`` rejects a null string inside a struct.

    >>> sorted(metric_features())
    ['predictions', 'references']
    """
    import datasets

    message = {"role": datasets.Value("string"), "content": datasets.Value("string")}
    conversation = datasets.List(message)
    simulator = {
        "instance_id": datasets.Value("string"),
        "run": datasets.Value("int32"),
        "ece_run": datasets.Value("int32"),
        "conversation": conversation,
        "reward": datasets.Value("float64"),
        "keep": datasets.Value("bool"),
    }
    human = {
        "instance_id": datasets.Value("string"),
        "annotator": datasets.Value("int32"),
        "conversation": conversation,
        "reward": datasets.Value("float64"),
        "keep": datasets.Value("bool"),
        "survey": {name: datasets.Value("string") for name in SURVEY_FIELDS},
    }
    return datasets.Features({"predictions": datasets.List(simulator),
                              "references": datasets.List(human)})


# ----------------------------------------------------------------------------- checking


def _rows(value: Any, what: str) -> list[Any]:
    if value is None:
        raise UsiError(f"{what} is missing: give one row per task (a list of sessions)",
                       field=what)
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise UsiError(f"must be a list of rows (one per task), got {tname(value)}",
                       field=what)
    return list(value)


def _sessions(value: Any, where: str) -> list[Any]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise UsiError(f"a row must be a list of sessions, got {tname(value)}", field=where)
    return list(value)


def _int(value: Any, where: str, iid: str, low: int, high: int = 2**31 - 1) -> int:
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or not low <= value <= high):
        raise UsiError(f"must be a whole number from {low} to {high}, got {value!r}",
                       id=iid, field=where)
    return int(value)


def _common(s: Mapping[str, Any], where: str, iid: str) -> dict[str, Any]:
    """conversation, reward and keep of a session, checked by the release's one validator
    (``usi_metric.io.validate``), text included: these objects come from Python, not JSON."""
    if "conversation" not in s:
        raise UsiError("missing field", id=iid, field=f"{where}.conversation")
    conv = check_conversation(s["conversation"], id=iid, field=f"{where}.conversation",
                              text=True)
    return {"conversation": [{"role": m.get("role"), "content": m.get("content")}
                             for m in conv],
            "reward": check_reward(s.get("reward"), id=iid, field=f"{where}.reward"),
            "keep": check_keep(s.get("keep", True), id=iid, field=f"{where}.keep")}


def _instance_id(s: Any, where: str) -> str:
    if not isinstance(s, Mapping):
        raise UsiError(f"a session must be an object, got {tname(s)}", field=where)
    iid = s.get("instance_id")
    if not isinstance(iid, str) or not iid:
        raise UsiError(f"needs the task instance id (a non-empty string), got {iid!r}",
                       field=f"{where}.instance_id")
    return check_text(iid, field=None)


def _answer(value: Any, where: str, iid: str) -> str:
    """A survey answer as text; null (or ``{"answer": null}``) becomes ``""``."""
    if isinstance(value, Mapping):
        value = value.get("answer")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UsiError(f"must be the answer text or null, got {tname(value)}",
                       id=iid, field=where)
    return check_text(value, id=iid, field=where)


def check_simulator_session(s: Any, where: str) -> dict[str, Any]:
    """One simulator session in the stored form (every field present, defaults filled).

    >>> check_simulator_session({"instance_id": "retail_3", "conversation": []}, "x")["run"]
    1
    """
    iid = _instance_id(s, where)
    run = _int(s.get("run", 1), f"{where}.run", iid, 0)
    ece_run = s.get("ece_run")
    if ece_run is not None:
        ece_run = _int(ece_run, f"{where}.ece_run", iid, 0)
    return {"instance_id": iid, "run": run, "ece_run": ece_run, **_common(s, where, iid)}


def check_human_session(s: Any, where: str) -> dict[str, Any]:
    """One human session in the stored form (every field present, defaults filled).

    >>> r = check_human_session({"instance_id": "airline_1", "annotator": 2,
    ...                          "conversation": [], "survey": {"human_like": "Yes"}}, "x")
    >>> r["survey"]["human_like"], r["survey"]["reuse"]
    ('Yes', '')
    """
    iid = _instance_id(s, where)
    if ids.human_base_id(iid) != iid:
        raise UsiError("give the task instance id without its _annN suffix; "
                       "the annotator field says which annotator", id=iid,
                       field=f"{where}.instance_id")
    if "annotator" not in s:
        raise UsiError("missing field (1, 2 or 3: the human batch)", id=iid,
                       field=f"{where}.annotator")
    annotator = _int(s["annotator"], f"{where}.annotator", iid, 1, 3)
    survey = s.get("survey")
    if survey is not None:
        if not isinstance(survey, Mapping):
            raise UsiError(f"must be an object of the 8 survey answers or null, got "
                           f"{tname(survey)}", id=iid, field=f"{where}.survey")
        survey = {f: _answer(survey.get(f), f"{where}.survey.{f}", iid) for f in SURVEY_FIELDS}
    return {"instance_id": iid, "annotator": annotator, **_common(s, where, iid),
            "survey": survey}


def row_task(instance_id: str) -> str:
    """The task a session's row belongs to: the task key of its instance id.

    >>> row_task("airline_7"), row_task("retail_2_9")
    ('airline_7', 'retail_2')
    """
    return ids.task_key(instance_id)


def prepare_rows(predictions: Any, references: Any) -> tuple[list[Row], list[Row]]:
    """Check rows of sessions and fill defaults; a bad input is a :class:`UsiError`.

    Every session of row ``i`` (both sides) must be of one task; a row may be empty on one
    side (a task without runs, or without human sessions) but not on both.

    >>> prepare_rows([[{"instance_id": "retail_1", "conversation": [], "reward": "1"}]],
    ...              [[]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: id retail_1: field predictions[0][0].reward: must be a number...
    """
    preds = _rows(predictions, "predictions")
    refs = _rows(references, "references")
    if len(preds) != len(refs):
        raise UsiError(f"predictions has {len(preds)} rows and references {len(refs)}: "
                       "give one row per task on both sides (an empty list when a side has "
                       "no session of the task)")
    out_p: list[Row] = []
    out_r: list[Row] = []
    for i, (p, r) in enumerate(zip(preds, refs, strict=True)):
        prow = [check_simulator_session(s, f"predictions[{i}][{j}]")
                for j, s in enumerate(_sessions(p, f"predictions[{i}]"))]
        rrow = [check_human_session(s, f"references[{i}][{j}]")
                for j, s in enumerate(_sessions(r, f"references[{i}]"))]
        if not prow and not rrow:
            raise UsiError("the row is empty on both sides", field=f"row {i}")
        tasks = sorted({row_task(s["instance_id"]) for s in prow + rrow})
        if len(tasks) > 1:
            raise UsiError(f"the row mixes tasks {', '.join(tasks)}: give one row per task "
                           "(usi_metric.evaluate_inputs.group_by_task builds them)",
                           field=f"row {i}")
        out_p.append(prow)
        out_r.append(rrow)
    return out_p, out_r


# ----------------------------------------------------------------------------- sessions


def _session_set(name: str, source: str, sessions: list[Session]) -> SessionSet:
    matrix, mask = featurize_many((s.conversation for s in sessions), source)
    return SessionSet(name=name, source=source, path=f"<{name}>", sessions=sessions,
                      features=matrix, has_features=mask)


def _simulator(rec: Mapping[str, Any]) -> Session:
    base = rec["instance_id"]
    run = rec["run"]
    ece_run = run if rec["ece_run"] is None else rec["ece_run"]
    return Session(instance_id=base, base_id=base, task_key=ids.task_key(base), group=str(run),
                   ece_run=ece_run, reward=rec["reward"], keep=rec["keep"],
                   conversation=tuple(rec["conversation"]), survey={})


def _human(rec: Mapping[str, Any]) -> Session:
    base = rec["instance_id"]
    iid = base + ANNOTATOR_SUFFIX[rec["annotator"]]
    survey = rec["survey"] or {}
    return Session(instance_id=iid, base_id=base, task_key=ids.task_key(iid),
                   group=str(rec["annotator"]), ece_run=0, reward=rec["reward"],
                   keep=rec["keep"], conversation=tuple(rec["conversation"]),
                   survey={f: (a or None) for f, a in survey.items()})


def rows_to_session_sets(preds: list[Row], refs: list[Row]) -> tuple[SessionSet, SessionSet]:
    """(simulator, humans) from checked rows, in a canonical order: rows sorted by task,
    sessions in their given order within a row. So any split of the rows into batches or
    processes gives the same sets, and the same numbers to the last bit.

    >>> p, r = prepare_rows(
    ...     [[{"instance_id": "airline_2", "run": 2, "conversation": []}], []],
    ...     [[], [{"instance_id": "airline_1", "annotator": 3, "conversation": []}]])
    >>> sim, humans = rows_to_session_sets(p, r)
    >>> sim.sessions[0].group, humans.sessions[0].instance_id, humans.sessions[0].group
    ('2', 'airline_1_ann3', '3')
    """
    keyed = []
    for i, (p, r) in enumerate(zip(preds, refs, strict=True)):
        keyed.append((row_task((p or r)[0]["instance_id"]), i))
    keyed.sort()
    for (t1, i1), (t2, i2) in zip(keyed, keyed[1:], strict=False):
        if t1 == t2:
            raise UsiError(f"task {t1} is in rows {i1} and {i2}: give one row per task")
    sims: list[Session] = []
    humans: list[Session] = []
    seen_runs: set[tuple[str, int]] = set()
    seen_humans: set[tuple[str, int]] = set()
    for _, i in keyed:
        for j, rec in enumerate(preds[i]):
            key = (rec["instance_id"], rec["run"])
            if key in seen_runs:
                raise UsiError(f"run {rec['run']} of this task instance is given twice",
                               id=rec["instance_id"], field=f"predictions[{i}][{j}]")
            seen_runs.add(key)
            sims.append(_simulator(rec))
        for j, rec in enumerate(refs[i]):
            key = (rec["instance_id"], rec["annotator"])
            if key in seen_humans:
                raise UsiError(f"annotator {rec['annotator']} of this task instance is given "
                               "twice", id=rec["instance_id"], field=f"references[{i}][{j}]")
            seen_humans.add(key)
            humans.append(_human(rec))
    if not sims:
        raise UsiError("no simulator session: every predictions row is empty",
                       field="predictions")
    if not humans:
        raise UsiError("no human session: every references row is empty", field="references")
    return _session_set("simulator", "llm", sims), _session_set("human", "human", humans)


# ----------------------------------------------------------------------------- kwargs


def _difficulty(value: Any, sim: SessionSet) -> Difficulty:
    """``difficulty``: None or ``"published"`` (the paper's frozen yardstick, the default),
    ``"self"`` (pooled over this simulator's runs), a ``{task: d}`` map, ``usi difficulty``'s
    JSON (as a dict or a path), or a :class:`Difficulty`."""
    if value is None or value == PUBLISHED:
        return published_difficulty()
    if value == "self":
        return pooled_difficulty([sim], "self-pooled")
    if isinstance(value, Difficulty):
        return value
    if isinstance(value, str | os.PathLike):
        return load_difficulty_map(value)
    if not isinstance(value, Mapping):
        raise UsiError(f"must be 'published', 'self', a {{task: difficulty}} map or a path "
                       f"to one, got {tname(value)}", field="difficulty")
    values, sims = map_values(value, "<difficulty>")
    return Difficulty(values, {}, "given map", sims)


def _survey_set(value: Any, what: str) -> SurveySet | None:
    """``survey_judgments`` / ``human_eval``: ``{human session id: survey}`` (a survey is
    ``{field: answer}`` or the file's ``{"survey": {field: {"answer": ...}}}``), or a path."""
    if value is None:
        return None
    if isinstance(value, str | os.PathLike):
        return load_survey(value, what)
    if not isinstance(value, Mapping):
        raise UsiError(f"must be a {{human session id: survey}} map or a path to a survey "
                       f"file, got {tname(value)}", field=what)
    if not value:
        raise UsiError("is empty", field=what)
    surveys: dict[str, dict[str, Any]] = {}
    for iid, entry in value.items():
        if not isinstance(entry, Mapping):
            raise UsiError(f"must be a survey object, got {tname(entry)}", id=str(iid),
                           field=what)
        answers = entry["survey"] if "survey" in entry else entry
        if answers is None:
            answers = {}
        if not isinstance(answers, Mapping):
            raise UsiError(f"must be an object of survey answers, got {tname(answers)}",
                           id=str(iid), field=f"{what}.survey")
        surveys[str(iid)] = {f: (_answer(a, f"{what}.{f}", str(iid)) or None)
                             for f, a in answers.items()}
    return SurveySet(name=what, path=f"<{what}>", surveys=surveys)


# ----------------------------------------------------------------------------- compute


def compute_usi(
    predictions: Any,
    references: Any,
    *,
    survey_judgments: Any = None,
    difficulty: Any = None,
    human_eval: Any = None,
) -> dict[str, float | int | None]:
    """The metric's ``compute()``: a flat dict, no NaN (a cell with no value is None).

    Keys: ``usi``, ``D1_conv``, ``D2_info``, ``D3_clarif``, ``D4_react``, ``ece``,
    ``eval_agree`` (None without ``survey_judgments``), each with a ``_std`` twin (population
    std over the human batches), ``human_usi`` / ``human_usi_std`` (the inter-annotator
    ceiling on the same tasks; None when it cannot be computed) and ``n_tasks`` (rows).

    Two tasks, the humans' very words (D1..D4 = 100), a failure where humans succeed in
    bin [0, .2): ECE = 1/2 in each batch, USI = (4 x 100 + 50) / 5.

    >>> conv = [{"role": "user", "content": "I need to move my flight."}]
    >>> preds = [[{"instance_id": t, "conversation": conv, "reward": r}]
    ...          for t, r in (("airline_0", 0.0), ("airline_1", 1.0))]
    >>> refs = [[{"instance_id": t, "annotator": a, "conversation": conv, "reward": 1.0}
    ...          for a in (1, 2, 3)] for t in ("airline_0", "airline_1")]
    >>> out = compute_usi(preds, refs, difficulty={"airline_0": 0.1, "airline_1": 0.9})
    >>> out["usi"], out["ece"], out["human_usi"], out["eval_agree"], out["n_tasks"]
    (90.0, 0.5, 100.0, None, 2)
    """
    preds, refs = prepare_rows(predictions, references)
    sim, humans = rows_to_session_sets(preds, refs)
    diff = _difficulty(difficulty, sim)
    survey = _survey_set(survey_judgments, "survey_judgments")
    if survey is not None:
        human_ids = {s.instance_id for s in humans.sessions}
        if not human_ids & set(survey.surveys):
            raise UsiError("no id matches a human session; the keys are human session ids: "
                           "the task instance id for annotator 1, with _ann2 / _ann3 for "
                           "annotators 2 / 3", field="survey_judgments")
    ceiling_eval = _survey_set(human_eval, "human_eval")
    row = score_simulator(sim, humans, diff, survey)
    reason = no_usi_reason(row, diff, sim, "pass difficulty='published' (the default), "
                           "difficulty='self', a {task: d} map or the path of one")
    if reason is not None:
        raise UsiError(reason)
    ceiling = human_ceiling(humans, diff, ceiling_eval).cells["usi"]
    out: dict[str, float | int | None] = {}
    for key in OUTPUT_CELLS:
        cell = row.cells[key]
        out[key] = None if cell is None else cell.mean
        out[f"{key}_std"] = None if cell is None else cell.std
    out["human_usi"] = None if ceiling is None else ceiling.mean
    out["human_usi_std"] = None if ceiling is None else ceiling.std
    out["n_tasks"] = len(preds)
    y = yardstick(diff, sim_tasks(sim))
    out["difficulty_source"] = y["source"]
    out["n_tasks_outside_difficulty"] = y["n_tasks_outside"]
    return dict(sorted(out.items()))
