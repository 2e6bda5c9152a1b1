"""A batch of rollouts scored as a simulator (USI_SPEC §14): the k-th rollout of a task in
batch order is run k, the task key its instance id (the rollout form of
``usi_metric.io.formats.rollout``), so ``score_batch`` equals ``usi score --reference`` on
the batch written as ``{"results": [{"instance_id", "run", "conversation", "reward"}]}``.

>>> from usi_metric.reference import HumanReference
>>> conv = [{"role": "user", "content": "Hi, I need to change my flight please."}]
>>> out = score_batch(HumanReference.synthetic(), [conv, conv], task_keys=["airline_1"] * 2,
...                   rewards=[1.0, 0.0])
>>> sorted(out)
['D1_conv', 'D2_info', 'D3_clarif', 'D4_react', 'coverage', 'ece', 'eval_agree', 'usi']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from usi_metric.training.inputs import check_batch, check_messages

if TYPE_CHECKING:
    import numpy as np

    from usi_metric.io import SessionSet

CELLS: tuple[str, ...] = ("D1_conv", "D2_info", "D3_clarif", "D4_react", "eval_agree", "ece",
                          "usi")
BATCH_NAME = "batch"


def rollout_set(conversations: Sequence[Any], task_keys: Sequence[str],
                rewards: Sequence[float | None], *, name: str = BATCH_NAME,
                features: tuple[np.ndarray, np.ndarray] | None = None) -> SessionSet:
    """The batch as a simulator's ``SessionSet`` in the rollout form (texts dropped once
    featurized). ``features``: ``(matrix, mask)`` already computed for these rollouts."""
    from usi_metric.io.sessions import SessionSet, simulator_session

    if features is None:
        from usi_metric.features.batch import featurize_many

        convs = [check_messages(c, f"conversations[{i}]") for i, c in enumerate(conversations)]
        features = featurize_many(convs, "llm", workers=1)
    seen: dict[str, int] = {}
    sessions = []
    for t, r in zip(task_keys, rewards, strict=True):
        seen[t] = seen.get(t, 0) + 1
        sessions.append(simulator_session(t, {"reward": r}, run=seen[t]))
    return SessionSet(name=name, source="llm", path=name, sessions=sessions,
                      features=features[0], has_features=features[1])


def result_dict(result: Any) -> dict[str, Any]:
    """The seven cells (each ``{"mean", "std"}`` or None) and the coverage of a score."""
    out: dict[str, Any] = {}
    for k in CELLS:
        cell = result.cells.get(k)
        out[k] = None if cell is None else cell.as_dict()
    out["coverage"] = dict(sorted(result.coverage.items()))
    return out


def score_batch(reference: Any, conversations: Sequence[Any], *, task_keys: Sequence[str],
                rewards: Sequence[float | None], difficulty: Any = "published",
                survey: Any = None) -> dict[str, Any]:
    """Score a batch of rollouts as a simulator (USI_SPEC §14) against a human reference.

    ``reference``: a ``HumanReference`` or a reference file's path; ``conversations``: one
    list of ``{"role", "content"}`` messages per rollout (``user`` = the simulator);
    ``task_keys``/``rewards``: per rollout. ``difficulty``/``survey`` as in
    ``usi_metric.score``. Returns ``{cell: {"mean", "std"} | None, ..., "coverage": {...}}``
    with the cells ``D1_conv D2_info D3_clarif D4_react eval_agree ece usi``.
    """
    from usi_metric.scoring.score import score

    checked = check_batch(conversations, task_keys, rewards)
    sset = rollout_set(conversations, task_keys, checked)
    return result_dict(score(sset, reference, survey=survey, difficulty=difficulty))
