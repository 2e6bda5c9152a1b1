"""Batches of rollouts for the credit tests: never-repeating simulator text from
``release_gen``'s word banks, over the tasks of a generated release (ids whose string and
numeric order differ), plus tasks no person did.

>>> rolls = make_rollouts(["airline_2", "airline_10"], seed=1, per_task=2, extra=0)
>>> sorted(k for k, _, _ in rolls)
['airline_10', 'airline_10', 'airline_2', 'airline_2']
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from release_gen import _profile, _Text, conversation

REWARDS = (0.0, 1.0, 1.0, 0.0, 0.5, 1.0)


def make_rollouts(task_keys: Sequence[str], *, seed: int, per_task: int | Sequence[int],
                  extra: int = 2, n_tasks: int | None = None,
                  featureless: int = 0) -> list[tuple[str, list, float]]:
    """``per_task`` rollouts of ``n_tasks`` of the given tasks (all when None) and of ``extra``
    tasks nobody did, in a shuffled order; the first ``featureless`` of them (after the
    shuffle) hold only a stop message, so they yield no features. ``per_task`` a sequence:
    uneven, the k-th task gets ``per_task[k % len(per_task)]`` rollouts.

    >>> rolls = make_rollouts(["airline_2", "airline_10", "retail_9"], seed=2,
    ...                       per_task=(1, 3), extra=0)
    >>> sorted((k, sum(1 for t, _, _ in rolls if t == k)) for k in {t for t, _, _ in rolls})
    [('airline_10', 3), ('airline_2', 1), ('retail_9', 1)]
    """
    r = random.Random(seed)
    t = _Text(r)
    profile = _profile(r, human=False)
    keys = list(task_keys) if n_tasks is None else r.sample(list(task_keys), n_tasks)
    keys += [f"retail_{300 + k}" for k in range(extra)]
    counts = [per_task] if isinstance(per_task, int) else list(per_task)
    out = []
    want = [counts[i % len(counts)] for i in range(len(keys))]
    for key in [k for rnd in range(max(want, default=0))  # round by round (keys * per_task)
                for k, c in zip(keys, want, strict=True) if c > rnd]:
        conv = conversation(t, "llm", profile, core=True)
        out.append((key, conv, r.choice(REWARDS)))
    r.shuffle(out)
    for i in range(featureless):
        key, _, reward = out[i]
        out[i] = (key, [{"role": "assistant", "content": "How can I help?"},
                        {"role": "user", "content": " ###STOP###"}], reward)
    return out
