"""The ``evaluate`` metric the way training loops use it: rollouts in, the people given once.

``add_batch(predictions=[rollout, ...])`` takes rollouts in any order and any split, each
``{"conversation": [...], "task_key": str, "reward": float, "run": int (optional)}``;
``compute(reference=...)`` scores them against a :class:`usi_metric.HumanReference` (or a
reference file's path). With ``run`` given, the result equals one ``usi score --reference`` of
the rollouts written in the rollout form (``instance_id`` = task key, ``run``); without it, the
k-th rollout of a task to arrive is run k.

>>> rollout_features()["predictions"]["task_key"].dtype
'string'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.io.validate import tname

ROLLOUT_FIELDS = ("conversation", "task_key", "reward", "run")
# evaluate stores one example per rollout and needs a references column of the same length:
# this placeholder fills it (the people come once, through ``reference=``).
NO_REFERENCE = ""


def rollout_features() -> Any:
    """The typed rollout input, a ``datasets.Features``: one rollout per example."""
    import datasets

    message = {"role": datasets.Value("string"), "content": datasets.Value("string")}
    rollout = {"conversation": datasets.List(message), "task_key": datasets.Value("string"),
               "reward": datasets.Value("float64"), "run": datasets.Value("int32")}
    return datasets.Features({"predictions": rollout, "references": datasets.Value("string")})


def looks_like_rollouts(predictions: Any) -> bool:
    """True when ``predictions`` is a list of rollouts (objects), not of task groups (each
    a list of sessions): an object first is a rollout, checked as one (a missing
    ``task_key`` is named with its position).

    >>> looks_like_rollouts([{"task_key": "airline_1", "conversation": []}])
    True
    >>> looks_like_rollouts([[{"instance_id": "airline_1"}]])
    False
    """
    if isinstance(predictions, str | bytes | Mapping) or not isinstance(predictions, Sequence):
        return False
    return bool(predictions) and isinstance(predictions[0], Mapping)


def prepare_rollouts(predictions: Any, offset: int = 0) -> list[dict[str, Any]]:
    """Check rollouts and give every one all four fields (``run`` None when absent).
    ``offset``: the position of the first one among all rollouts (for messages).

    >>> prepare_rollouts([{"task_key": "retail_2", "conversation": [], "reward": 1}])
    [{'conversation': [], 'reward': 1.0, 'run': None, 'task_key': 'retail_2'}]
    >>> prepare_rollouts([{"task_key": "retail_2", "conversation": [], "reward": "1"}])
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: id retail_2: field predictions[0].reward: must be a number...
    """
    from usi_metric.io.rollouts import check_rollout

    out = []
    for i, rec in enumerate(predictions):
        at = f"predictions[{offset + i}]"
        if not isinstance(rec, Mapping):
            raise UsiError(f"a rollout must be an object, got {tname(rec)}", field=at)
        extra = sorted(set(rec) - set(ROLLOUT_FIELDS))
        if extra:
            raise UsiError(f"unknown field {extra[0]!r} (a rollout has "
                           f"{', '.join(ROLLOUT_FIELDS)})", field=at)
        if "conversation" not in rec:
            raise UsiError("missing field", field=f"{at}.conversation")
        conv, key, reward, run = check_rollout(offset + i, rec["conversation"],
                                               rec.get("task_key"), rec.get("reward"),
                                               rec.get("run"), where="predictions")
        out.append({"conversation": [{"role": m.get("role"), "content": m.get("content")}
                                     for m in conv],
                    "reward": reward, "run": run, "task_key": key})
    return out


def compute_rollouts(rollouts: Sequence[Mapping[str, Any]], reference: Any, *,
                     survey_judgments: Any = None, difficulty: Any = None,
                     confidence_level: Any = None, n_resamples: Any = None, seed: Any = None,
                     ci_method: Any = None) -> dict[str, Any]:
    """``compute()`` of rollouts against a reference (``usi_metric.score``): the flat cells
    with their ``_std`` twins, ``human_usi`` (the reference's own inter-batch ceiling),
    ``n_tasks``, the yardstick and ``coverage``."""
    from usi_metric.hf.evaluate_metric import OUTPUT_CELLS, _ci_options, _survey_set
    from usi_metric.io.rollouts import rollout_sessions
    from usi_metric.reference import HumanReference
    from usi_metric.scoring import human_ceiling
    from usi_metric.scoring.score import score

    options = _ci_options(confidence_level, n_resamples, seed, ci_method)
    if not rollouts:
        raise UsiError("no rollout was added", field="predictions")
    ref = reference if isinstance(reference, HumanReference) else HumanReference.load(reference)
    runs = rollout_sessions([r["conversation"] for r in rollouts],
                            [r["task_key"] for r in rollouts], [r["reward"] for r in rollouts],
                            [r["run"] for r in rollouts], name="simulator", where="predictions")
    survey = _survey_set(survey_judgments, "survey_judgments")
    result = score(runs, ref, survey=survey, difficulty=difficulty, name="simulator")
    out: dict[str, Any] = {}
    for key in OUTPUT_CELLS:
        cell = result.cells[key]
        out[key] = None if cell is None else cell.mean
        out[f"{key}_std"] = None if cell is None else cell.std
    ceiling = human_ceiling(ref.humans(), result.difficulty, ref.human_eval()).cells["usi"]
    out["human_usi"] = None if ceiling is None else ceiling.mean
    out["human_usi_std"] = None if ceiling is None else ceiling.std
    out["n_tasks"] = len({r["task_key"] for r in rollouts})
    out["coverage"] = dict(sorted(result.coverage.items()))
    out["difficulty_source"] = result.difficulty.source
    covered, total = result.difficulty.coverage(r["task_key"] for r in rollouts)
    out["n_tasks_outside_difficulty"] = total - covered
    if options is not None:
        from usi_metric.scoring.intervals import usi_intervals

        iv = usi_intervals(ref.humans(), {runs.name: runs}, result.difficulty,
                           {} if survey is None else {runs.name: survey}, human_row=False,
                           options=options)
        ci = iv.cells[runs.name]["usi"]
        out["usi_ci_low"] = None if ci is None else ci[0]
        out["usi_ci_high"] = None if ci is None else ci[1]
    return dict(sorted(out.items()))
