"""The library side of the ``evaluate`` metric ``usi``: its typed inputs, their check, compute.

The metric script (``usi_metric/evaluate_module/usi.py``, loaded by ``evaluate.load``) is a thin
layer over this module; the math is ``usi_metric.scoring``'s. The inputs come in task
groups, one per task: ``predictions[i]`` holds the simulator's sessions of task ``i`` (one
per run) and ``references[i]`` the human sessions of the same task (one per annotator).
(``evaluate`` stores each task group as one example; "row" in this package means the spec's
pooled feature row.)

A simulator session: ``instance_id`` (the task instance it is a run of, e.g. ``airline_7``),
``run`` (1, 2, 3, ...; absent means 1), ``conversation`` (``[{"role", "content"}, ...]``),
``reward`` (number or null), ``keep`` (true, false or null; absent means true) and
``ece_run`` (null: the same as ``run``; it differs only for the release's odd ids, see
``usi_metric.hf.evaluate_inputs``). A human session: ``instance_id``, ``annotator`` (1, 2, 3),
``conversation``, ``reward``, ``keep`` and ``survey`` (the 8 answers as text, or null).

>>> conv = [{"role": "user", "content": "ok"}]
>>> preds, refs = prepare_task_groups([[{"instance_id": "airline_0", "conversation": conv}]],
...                                   [[{"instance_id": "airline_0", "annotator": 1,
...                                      "conversation": conv, "reward": 1}]])
>>> preds[0][0]["run"], preds[0][0]["keep"], refs[0][0]["reward"], refs[0][0]["survey"]
(1, True, 1.0, None)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS
from usi_metric.errors import UsiError, UsiWarning
from usi_metric.features.names import DIMENSION_KEYS
from usi_metric.io import Session, SessionSet, SurveySet, ids, load_survey
from usi_metric.io.sessions import build_set, human_session, simulator_session
from usi_metric.io.validate import (
    check_answer,
    check_session,
    check_text,
    check_whole_number,
    tname,
)
from usi_metric.scoring import (
    Difficulty,
    human_ceiling,
    load_difficulty_map,
    pooled_difficulty,
)
from usi_metric.scoring.difficulty import PUBLISHED, map_values, published_difficulty
from usi_metric.scoring.explain import no_usi_reason, sim_tasks, yardstick

SIM_FIELDS = ("instance_id", "run", "ece_run", "conversation", "reward", "keep")
HUMAN_FIELDS = ("instance_id", "annotator", "conversation", "reward", "keep", "survey")
OUTPUT_CELLS = ("usi", *DIMENSION_KEYS, "ece", "eval_agree")
_SCRIPT = Path(__file__).resolve().parent / "evaluate_module" / "usi.py"

# The sessions of one task on one side (predictions[i] or references[i]), checked.
TaskGroup = list[dict[str, Any]]


def evaluate_module_path() -> str:
    """Path of the metric script, for ``evaluate.load(evaluate_module_path())``.

    >>> Path(evaluate_module_path()).name
    'usi.py'
    """
    return str(_SCRIPT)


def metric_features() -> Any:
    """The metric's typed inputs, a ``datasets.Features``: one task group per example.

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


def _task_groups(value: Any, what: str) -> list[Any]:
    if value is None:
        raise UsiError(f"{what} is missing: give one list of sessions per task", field=what)
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise UsiError(f"must be a list of task groups (one list of sessions per task), got "
                       f"{tname(value)}", field=what)
    return list(value)


def _sessions(value: Any, where: str) -> list[Any]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise UsiError(f"a task group must be a list of sessions, got {tname(value)}",
                       field=where)
    return list(value)


def _common(s: Mapping[str, Any], where: str, iid: str) -> dict[str, Any]:
    """conversation, reward and keep of a session, checked by the release's one validator
    (``usi_metric.io.validate``), text included: these objects come from Python, not JSON."""
    fields = check_session(s, id=iid, where=where, text=True)
    fields["conversation"] = [{"role": m.get("role"), "content": m.get("content")}
                              for m in fields["conversation"]]
    return fields


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
    return check_answer(value, id=iid, field=where) or ""


def check_simulator_session(s: Any, where: str) -> dict[str, Any]:
    """One simulator session in the stored form (every field present, defaults filled).

    >>> check_simulator_session({"instance_id": "retail_3", "conversation": []}, "x")["run"]
    1
    """
    iid = _instance_id(s, where)
    run = check_whole_number(s.get("run", 1), low=0, id=iid, field=f"{where}.run")
    ece_run = s.get("ece_run")
    if ece_run is not None:
        ece_run = check_whole_number(ece_run, low=0, id=iid, field=f"{where}.ece_run")
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
    annotator = check_whole_number(s["annotator"], low=1, high=3, id=iid,
                                   field=f"{where}.annotator")
    survey = s.get("survey")
    if survey is not None:
        if not isinstance(survey, Mapping):
            raise UsiError(f"must be an object of the 8 survey answers or null, got "
                           f"{tname(survey)}", id=iid, field=f"{where}.survey")
        survey = {f: _answer(survey.get(f), f"{where}.survey.{f}", iid) for f in SURVEY_FIELDS}
    return {"instance_id": iid, "annotator": annotator, **_common(s, where, iid),
            "survey": survey}


def task_of(instance_id: str) -> str:
    """The task a session's task group belongs to: the task key of its instance id.

    >>> task_of("airline_7"), task_of("retail_2_9")
    ('airline_7', 'retail_2')
    """
    return ids.task_key(instance_id)


def prepare_task_groups(predictions: Any, references: Any
                        ) -> tuple[list[TaskGroup], list[TaskGroup]]:
    """Check task groups of sessions and fill defaults; a bad input is a :class:`UsiError`.

    Every session of task group ``i`` (both sides) must be of one task; a task group may be
    empty on one side (a task without runs, or without human sessions) but not on both.

    >>> prepare_task_groups([[{"instance_id": "retail_1", "conversation": [], "reward": "1"}]],
    ...                     [[]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: id retail_1: field predictions[0][0].reward: must be a number...
    """
    preds = _task_groups(predictions, "predictions")
    refs = _task_groups(references, "references")
    if len(preds) != len(refs):
        raise UsiError(f"predictions has {len(preds)} task groups and references {len(refs)}: "
                       "give one list of sessions per task on both sides, in the same order "
                       "(an empty list when a side has no session of the task)")
    out_p: list[TaskGroup] = []
    out_r: list[TaskGroup] = []
    for i, (p, r) in enumerate(zip(preds, refs, strict=True)):
        pgroup = [check_simulator_session(s, f"predictions[{i}][{j}]")
                  for j, s in enumerate(_sessions(p, f"predictions[{i}]"))]
        rgroup = [check_human_session(s, f"references[{i}][{j}]")
                  for j, s in enumerate(_sessions(r, f"references[{i}]"))]
        if not pgroup and not rgroup:
            raise UsiError("is empty on both sides", field=f"task group {i}")
        tasks = sorted({task_of(s["instance_id"]) for s in pgroup + rgroup})
        if len(tasks) > 1:
            raise UsiError(f"mixes tasks {', '.join(tasks)}: give one list of sessions per "
                           "task (usi_metric.hf.evaluate_inputs.group_by_task builds them)",
                           field=f"task group {i}")
        out_p.append(pgroup)
        out_r.append(rgroup)
    return out_p, out_r


# ----------------------------------------------------------------------------- sessions


def _session_set(name: str, source: str, sessions: list[Session]) -> SessionSet:
    if source == "llm":
        from usi_metric.io.run_ids import warn_run_ids

        warn_run_ids(sessions, f"<{name}>")
    return build_set(name, source, f"<{name}>", sessions)  # counts sessions without features


def _simulator(rec: Mapping[str, Any]) -> Session:
    return simulator_session(rec["instance_id"], rec, run=rec["run"], ece_run=rec["ece_run"])


def _human(rec: Mapping[str, Any]) -> Session:
    survey = rec["survey"] or {}
    return human_session(ids.human_instance_id(rec["instance_id"], rec["annotator"]),
                         {**rec, "survey": {f: (a or None) for f, a in survey.items()}})


def session_sets(preds: list[TaskGroup], refs: list[TaskGroup]
                 ) -> tuple[SessionSet, SessionSet]:
    """(simulator, humans) from checked task groups, in a canonical order: task groups
    sorted by task, sessions in their given order within a group. So any split of the task
    groups into batches or processes gives the same sets, and the same numbers to the last bit.

    >>> p, r = prepare_task_groups(
    ...     [[{"instance_id": "airline_2", "run": 2, "conversation": []}], []],
    ...     [[], [{"instance_id": "airline_1", "annotator": 3, "conversation": []}]])
    >>> sim, humans = session_sets(p, r)
    >>> sim.sessions[0].group, humans.sessions[0].instance_id, humans.sessions[0].group
    ('2', 'airline_1_ann3', '3')
    """
    keyed = []
    for i, (p, r) in enumerate(zip(preds, refs, strict=True)):
        keyed.append((task_of((p or r)[0]["instance_id"]), i))
    keyed.sort()
    for (t1, i1), (t2, i2) in zip(keyed, keyed[1:], strict=False):
        if t1 == t2:
            raise UsiError(f"task {t1} is in task groups {i1} and {i2}: give one list of "
                           "sessions per task")
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
        raise UsiError("no simulator session: every task group of predictions is empty",
                       field="predictions")
    if not humans:
        raise UsiError("no human session: every task group of references is empty",
                       field="references")
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
    if not value or (isinstance(value.get("difficulty"), Mapping) and not value["difficulty"]):
        return Difficulty({}, {}, "given map")  # empty: no ECE, said by no_usi_reason
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
    confidence_level: Any = None,
    n_resamples: Any = None,
    seed: Any = None,
    ci_method: Any = None,
) -> dict[str, Any]:
    """The metric's ``compute()``: a flat dict, no NaN (a cell with no value is None).

    Keys: ``usi``, ``D1_conv``, ``D2_info``, ``D3_clarif``, ``D4_react``, ``ece``,
    ``eval_agree`` (None without ``survey_judgments``), each with a ``_std`` twin (population
    std over the human batches), ``human_usi`` / ``human_usi_std`` (the inter-annotator
    ceiling on the same tasks; None when it cannot be computed), ``n_tasks`` (task
    groups) and ``coverage`` (``tasks_met`` of ``tasks_total``, the people's tasks the runs
    meet; ``sessions_met`` of ``sessions_total``, the runs' kept sessions that meet a kept
    human session).
    With ``confidence_level`` (e.g. 0.95) also ``usi_ci_low`` / ``usi_ci_high``: a bootstrap
    interval of the USI over tasks (``usi_metric.scoring.intervals``; ``n_resamples``
    (default 2000), ``seed`` (default 0), ``ci_method`` "centred" (default), "percentile" or "bca").

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
    >>> out["coverage"]
    {'sessions_met': 2, 'sessions_total': 2, 'tasks_met': 2, 'tasks_total': 2}
    """
    options = _ci_options(confidence_level, n_resamples, seed, ci_method)
    preds, refs = prepare_task_groups(predictions, references)
    sim, humans = session_sets(preds, refs)
    diff = _difficulty(difficulty, sim)
    survey = _survey_set(survey_judgments, "survey_judgments")
    if survey is not None:
        human_ids = {s.instance_id for s in humans.sessions}
        if not human_ids & set(survey.surveys):
            raise UsiError("no id matches a human session; the keys are human session ids: "
                           "the task instance id for annotator 1, with _ann2 / _ann3 for "
                           "annotators 2 / 3", field="survey_judgments")
    ceiling_eval = _survey_set(human_eval, "human_eval")
    from usi_metric.reference.build import from_set
    from usi_metric.scoring.score import score

    ref = from_set(humans, ceiling_eval, source="references")
    with warnings.catch_warnings():  # no USI is an error here, said in compute()'s words
        warnings.filterwarnings("ignore", message=".*so there is no", category=UsiWarning)
        result = score(sim, ref, survey=survey, difficulty=diff)
    row = result.row
    reason = no_usi_reason(row, diff, sim, "pass difficulty='published' (the default), "
                           "difficulty='self', a {task: d} map or the path of one")
    if reason is not None:
        raise UsiError(reason)
    ceiling = human_ceiling(ref.humans(), diff, ref.human_eval()).cells["usi"]
    out: dict[str, Any] = {}
    for key in OUTPUT_CELLS:
        cell = row.cells[key]
        out[key] = None if cell is None else cell.mean
        out[f"{key}_std"] = None if cell is None else cell.std
    out["human_usi"] = None if ceiling is None else ceiling.mean
    out["human_usi_std"] = None if ceiling is None else ceiling.std
    out["n_tasks"] = len(preds)
    out["coverage"] = dict(sorted(result.coverage.items()))  # what the score rests on
    y = yardstick(diff, sim_tasks(sim))
    out["difficulty_source"] = y["source"]
    out["n_tasks_outside_difficulty"] = y["n_tasks_outside"]
    if options is not None:
        from usi_metric.scoring.intervals import usi_intervals

        try:
            iv = usi_intervals(humans, {sim.name: sim}, diff,
                               {} if survey is None else {sim.name: survey}, human_row=False,
                               options=options)
        except UsiError as exc:  # too many resamples for the memory: named as compute's
            raise UsiError(exc.reason, file=exc.file, id=exc.id,
                           field=_CI_KWARGS.get(exc.field or "", exc.field)) from None
        ci = iv.cells[sim.name]["usi"]
        out["usi_ci_low"] = None if ci is None else ci[0]
        out["usi_ci_high"] = None if ci is None else ci[1]
    return dict(sorted(out.items()))


_CI_KWARGS = {"ci-method": "ci_method", "resamples": "n_resamples", "seed": "seed",
              "confidence": "confidence_level"}


def _ci_options(confidence_level: Any, n_resamples: Any, seed: Any, ci_method: Any) -> Any:
    """The interval options of ``compute()``'s keywords, None without ``confidence_level``.

    >>> _ci_options(0.9, 100, 3, "percentile").describe()
    '90% percentile bootstrap intervals over tasks (100 resamples, seed 3)'
    >>> _ci_options(1.5, 100, 3, "bca")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: field confidence_level: must be a number between 0 and 1, got 1.5
    """
    if confidence_level is None:
        return None
    from usi_metric.scoring.intervals import CIOptions

    given = {"method": ci_method, "n_resamples": n_resamples, "seed": seed,
             "confidence_level": confidence_level}
    try:
        return CIOptions(**{k: v for k, v in given.items() if v is not None})
    except UsiError as exc:
        raise UsiError(exc.reason, field=_CI_KWARGS.get(exc.field or "", exc.field)) from None
