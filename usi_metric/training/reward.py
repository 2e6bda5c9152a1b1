"""The USI as a TRL reward function (docs/training.md): ``reward_fn(completions, *,
task_key, reward, **kwargs) -> list[float]``, one credit per rollout of the batch.

Each call featurizes the batch once, scores it as a simulator (``reward_fn.last``: the
``score_batch`` dict, for logging) and returns each rollout's credit in the batch's USI
(``usi_metric.training.credit``): ``credit="balanced"`` (default, built to train),
``"gradient"`` (USI_SPEC §14) or ``"difference"`` (``USI(B) - USI(B without i)``), times
``scale``. Under ``torch.distributed`` with several processes the features, task keys and
outcomes (never the text) are gathered, the global batch's credits computed, and each
process gets its own slice (``usi_metric.training.distributed``).

>>> from usi_metric.reference import HumanReference
>>> fn = USIReward(HumanReference.synthetic())
>>> out = fn(["Hi, I need to change my flight please.", "ok"], task_key=["airline_1"] * 2,
...          reward=[1.0, 0.0])
>>> len(out), round(sum(out), 9), fn.__name__
(2, 0.0, 'usi_balanced')
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from usi_metric.errors import UsiError, UsiWarning
from usi_metric.io.validate import tname
from usi_metric.training.batch import feature_spread, result_dict, rollout_set
from usi_metric.training.inputs import MESSAGE_ROLES, check_batch, check_messages

CREDITS: tuple[str, ...] = ("balanced", "gradient", "difference")


def as_conversation(completion: Any, i: int, simulator_role: str) -> list[dict[str, Any]]:
    """A completion as a conversation whose simulator turns are ``user``: a plain string is
    one simulator turn; a list of messages (checked: ``training.inputs.check_messages``) has
    ``simulator_role`` and ``user`` swapped.

    >>> as_conversation("hello", 0, "assistant")
    [{'role': 'user', 'content': 'hello'}]
    >>> as_conversation([{"role": "assistant", "content": "hi"}], 0, "assistant")[0]["role"]
    'user'
    >>> as_conversation([{"role": "user"}], 4, "user")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: field completions[4][0].content: missing (every message ...)
    """
    if isinstance(completion, str):
        return [{"role": "user", "content": completion}]
    field = f"completions[{i}]"
    if isinstance(completion, bytes | bytearray | Mapping) or not isinstance(completion,
                                                                             Sequence):
        raise UsiError("must be a conversation (a list of {\"role\", \"content\"} messages) "
                       f"or a string (one simulator turn), got {tname(completion)}", field=field)
    msgs = check_messages(completion, field, simulator_role=simulator_role)
    if simulator_role == "user":
        return msgs
    swap = {simulator_role: "user", "user": simulator_role}
    return [{"role": swap.get(m["role"], m["role"]), "content": m["content"]} for m in msgs]


class USIReward:
    """A TRL reward function: each rollout's credit in the batch's USI.

    ``reference``: a ``HumanReference`` or its file; ``difficulty``: the ECE's FIXED yardstick
    ("published", a map, its path; not "self", which would move with the batch); ``terms``:
    some of ``D1_conv D2_info D3_clarif D4_react ece`` (their mean replaces the mean over
    five); ``credit``: "balanced" | "gradient" | "difference"; ``scale``: a factor on the
    credits; ``simulator_role``: whose turns are the simulator's in the completions (TRL
    hands the policy's turns as ``assistant``: pass "assistant" for a user simulator).

    Call: ``fn(completions, *, task_key, reward, **kwargs)``; ``task_key``/``reward`` are the
    dataset's (or a ``rollout_func``'s) columns, one value per completion. A credit that is
    none (``difference`` with no USI) is 0.0; rollouts whose task has no people get no ECE
    part; both counted in one ``UsiWarning`` per call.
    """

    def __init__(self, reference: Any, *, difficulty: Any = "published",
                 terms: Sequence[str] | None = None, credit: str = "balanced",
                 scale: float = 1.0, simulator_role: str = "user") -> None:
        from usi_metric.scoring.score import as_reference
        from usi_metric.training import credit as credit_mod

        if credit not in CREDITS:
            raise UsiError(f"must be one of {', '.join(CREDITS)}, got {credit!r}",
                           field="credit")
        if difficulty == "self":
            raise UsiError("credits need a fixed yardstick: 'published', a map or its path, "
                           "not 'self' (pooled over the batch, it would move with it)",
                           field="difficulty")
        if not isinstance(simulator_role, str) or simulator_role not in MESSAGE_ROLES:
            raise UsiError(f"must be a message role such as 'user' or 'assistant' (one of "
                           f"{', '.join(MESSAGE_ROLES)}), got {simulator_role!r}",
                           field="simulator_role")
        if not isinstance(scale, int | float) or not math.isfinite(scale):
            raise UsiError(f"must be a finite number, got {scale!r}", field="scale")
        credit_mod.term_weights(terms)  # checked now
        self.reference = as_reference(reference)
        self.difficulty = difficulty
        self.terms = None if terms is None else tuple(terms)
        self.credit = credit
        self.scale = float(scale)
        self.simulator_role = simulator_role
        self.last: dict[str, Any] | None = None
        self.__name__ = f"usi_{credit}"
        self._humans: Any = None
        self._diff: Any = None

    def _setup(self, sset: Any) -> None:
        if self._humans is None:
            from usi_metric.scoring.score import resolve
            from usi_metric.training.credit import HumanSide

            self._humans = HumanSide.from_sessions(self.reference.humans(),
                                                   self.reference.batches)
            self._diff = resolve(self.difficulty, sset, self.reference)

    def __call__(self, completions: Sequence[Any], *, task_key: Sequence[str] | None = None,
                 reward: Sequence[Any] | None = None, **kwargs: Any) -> list[float]:
        if task_key is None or reward is None:
            missing = "task_key" if task_key is None else "reward"
            raise UsiError("missing: the dataset (or the rollout_func) must give a "
                           f"'{missing}' column", field=missing)
        rewards = check_batch(completions, task_key, reward,
                              names=("completions", "task_key", "reward"))
        convs = [as_conversation(c, i, self.simulator_role) for i, c in enumerate(completions)]
        return self.credits(convs, list(task_key), rewards)

    def credits(self, conversations: list[Any], task_keys: list[str],
                rewards: list[float | None]) -> list[float]:
        """The credits of checked rollouts (one featurization; gathered when distributed)."""
        import numpy as np

        from usi_metric.features.batch import featurize_many
        from usi_metric.training import distributed

        X, has = featurize_many(conversations, "llm", workers=1)
        share = distributed.gather(X, has, task_keys, rewards)
        if share is not None:
            X_all, has_all, tasks_all, rewards_all, lo, hi = share
        else:
            X_all, has_all, tasks_all, rewards_all, lo, hi = (
                X, has, task_keys, rewards, 0, len(task_keys))
        sset = rollout_set([None] * len(tasks_all), tasks_all, rewards_all,
                           features=(X_all, has_all))
        self._setup(sset)
        self.last = self._score(sset)
        self.last["spread"] = feature_spread(X_all, has_all, tasks_all, self._humans)
        succ = np.array([1.0 if r is not None and r > 0 else 0.0 for r in rewards_all])
        c = self._credit_fn()(X_all, has_all, tasks_all, succ, self._humans, self._diff.values,
                              terms=self.terms)
        none = int(np.isnan(c).sum())
        c = np.where(np.isnan(c), 0.0, c) * self.scale
        self._warn(none, tasks_all, int((~np.asarray(has_all, dtype=bool)).sum()))
        return [float(v) for v in c[lo:hi]]

    def _credit_fn(self) -> Any:
        from usi_metric.training import credit as credit_mod

        return {"balanced": credit_mod.balanced_credits,
                "gradient": credit_mod.gradient_credits,
                "difference": credit_mod.difference_credits}[self.credit]

    def _score(self, sset: Any) -> dict[str, Any]:
        from usi_metric.scoring.score import score

        with warnings.catch_warnings():  # no USI for this batch is said once, below
            warnings.simplefilter("ignore", UsiWarning)
            return result_dict(score(sset, self.reference, difficulty=self._diff))

    def _warn(self, none: int, tasks: Sequence[str], featureless: int) -> None:
        known: set[str] = set()
        for hb in self._humans.batches:
            known.update(hb.task_keys)
        no_people = sum(1 for t in tasks if t not in known)
        parts = []
        if no_people:
            parts.append(f"{no_people} of {len(tasks)} rollouts have a task with no people in "
                         "the reference (no ECE part)")
        if featureless:
            parts.append(f"{featureless} of {len(tasks)} rollouts yield no features (no "
                         "simulator turn with text: no D part)")
        if none:
            parts.append(f"{none} credits were none (no USI with or without the rollout) "
                         "and count 0.0")
        if parts:
            warnings.warn(f"USIReward: {'; '.join(parts)}", UsiWarning, stacklevel=3)
