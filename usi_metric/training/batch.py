"""A batch of rollouts scored as a simulator (USI_SPEC §14): the k-th rollout of a task in
batch order is run k, the task key its instance id (the rollout form of
``usi_metric.io.formats.rollout``), so ``score_batch`` equals ``usi score --reference`` on
the batch written as ``{"results": [{"instance_id", "run", "conversation", "reward"}]}``.

>>> from usi_metric.reference import HumanReference
>>> conv = [{"role": "user", "content": "Hi, I need to change my flight please."}]
>>> out = score_batch(HumanReference.synthetic(), [conv, conv], task_keys=["airline_1"] * 2,
...                   rewards=[1.0, 0.0])
>>> sorted(out)
['D1_conv', 'D2_info', 'D3_clarif', 'D4_react', 'coverage', 'ece', 'eval_agree', 'spread', 'usi']
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


def feature_spread(X: np.ndarray, has: np.ndarray, task_keys: Sequence[str],
                   humans: Any) -> dict[str, Any] | None:
    """What the D terms cannot see: per feature, the batch's spread beside the people's.

    The D terms compare pooled MEANS, so a simulator can match a mean with an un-human
    spread (half its turns very long, half one word). This gives, for each of the 19
    features, ``{"batch": {"mean", "std"}, "people": {"mean", "std"}}`` in the units of the
    D rows (rates as percentages), ``std`` the population standard deviation: over the
    batch's rollouts with features whose task a kept person of the reference did, and over
    those people's kept sessions with features on the same tasks (every human batch); plus
    their counts ``n_batch``, ``n_people``. None when no such rollout.

    ``humans``: a ``training.credit.HumanSide``.

    >>> import numpy as np
    >>> from usi_metric.training.credit import HumanSide
    >>> hs = HumanSide.from_arrays(["1"], [["t1", "t2"]], [["t1", "t2"]],
    ...                            [np.full((2, 19), 0.5)], [[True, True]], [[1, 0]])
    >>> X = np.vstack([np.full(19, 0.25), np.full(19, 0.75), np.full(19, 9.0)])
    >>> out = feature_spread(X, np.array([True, True, True]), ["t1", "t2", "t9"], hs)
    >>> out["n_batch"], out["n_people"], out["features"]["politeness_rate"]
    (2, 2, {'batch': {'mean': 50.0, 'std': 25.0}, 'people': {'mean': 50.0, 'std': 0.0}})
    """
    import numpy as np

    from usi_metric.aggregation.rows import SCALE
    from usi_metric.features.names import FEATURE_NAMES

    n_f = len(FEATURE_NAMES)
    done = {t for hb in humans.batches for t in hb.task_keys}
    mask = np.asarray(has, dtype=bool) & np.array([t in done for t in task_keys], dtype=bool)
    if not mask.any():
        return None
    tasks = {t for t, m in zip(task_keys, mask, strict=True) if m}
    sim = np.asarray(X, dtype=float)[mask, :n_f]
    people = np.vstack([hb.features[[ok and t in tasks for t, ok in zip(
        hb.task_keys, hb.has_features, strict=True)]] for hb in humans.batches])
    scale = SCALE[:n_f]

    def side(m: np.ndarray, k: int) -> dict[str, float]:
        return {"mean": float(m[:, k].mean() * scale[k]), "std": float(m[:, k].std() * scale[k])}

    return {"n_batch": int(sim.shape[0]), "n_people": int(people.shape[0]),
            "features": {name: {"batch": side(sim, k), "people": side(people, k)}
                         for k, name in enumerate(FEATURE_NAMES)}}


def score_batch(reference: Any, conversations: Sequence[Any], *, task_keys: Sequence[str],
                rewards: Sequence[float | None], difficulty: Any = "published",
                survey: Any = None) -> dict[str, Any]:
    """Score a batch of rollouts as a simulator (USI_SPEC §14) against a human reference.

    ``reference``: a ``HumanReference`` or a reference file's path; ``conversations``: one
    list of ``{"role", "content"}`` messages per rollout (``user`` = the simulator);
    ``task_keys``/``rewards``: per rollout. ``difficulty``/``survey`` as in
    ``usi_metric.score``. Returns ``{cell: {"mean", "std"} | None, ..., "coverage": {...},
    "spread": ...}`` with the cells ``D1_conv D2_info D3_clarif D4_react eval_agree ece usi``
    and ``spread`` the per-feature spread of the batch beside the people's
    (``feature_spread``: what the D terms, comparing means, cannot see).
    """
    from usi_metric.features.batch import featurize_many
    from usi_metric.scoring.score import as_reference, score
    from usi_metric.training.credit import HumanSide

    checked = check_batch(conversations, task_keys, rewards)
    convs = [check_messages(c, f"conversations[{i}]") for i, c in enumerate(conversations)]
    X, has = featurize_many(convs, "llm", workers=1)
    ref = as_reference(reference)
    out = result_dict(score(rollout_set(convs, task_keys, checked, features=(X, has)), ref,
                            survey=survey, difficulty=difficulty))
    out["spread"] = feature_spread(X, has, list(task_keys),
                                   HumanSide.from_sessions(ref.humans(), ref.batches))
    return out
