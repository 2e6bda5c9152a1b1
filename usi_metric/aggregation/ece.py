"""Difficulty-binned calibration error on task outcomes (docs/ece-and-yardsticks.md).

>>> d = {"t1": 0.1, "t2": 0.9}
>>> ece({"t1": 1, "t2": 1}, {"t1": 0, "t2": 1}, d)   # bin 0: |1-0|, bin 4: |1-1|; n=2
0.5
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

BIN_EDGES: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)  # [0,.2) [.2,.4) [.4,.6) [.6,.8) [.8,1]
N_BINS = len(BIN_EDGES) + 1
MIN_SAMPLES = 10


def bin_index(difficulty: float) -> int:
    """Bin of a difficulty: 0 for [0,.2), 1 for [.2,.4), ..., 4 for [.8,1].

    >>> [bin_index(x) for x in (0.0, 0.2, 0.59, 0.6, 0.8, 1.0)]
    [0, 1, 2, 3, 4, 4]
    """
    return sum(1 for edge in BIN_EDGES if difficulty >= edge)


def difficulty_from_samples(
    samples: Iterable[tuple[str, int]], min_samples: int = MIN_SAMPLES
) -> tuple[dict[str, float], dict[str, int]]:
    """Pool ``(task, success)`` samples: ``({task: mean success}, {task: n samples})``.

    Only tasks with at least ``min_samples`` samples get a difficulty; counts cover all.

    >>> diff, n = difficulty_from_samples([("a", 1)] * 9 + [("b", 1)] * 5 + [("b", 0)] * 5)
    >>> diff, n
    ({'b': 0.5}, {'a': 9, 'b': 10})
    """
    sums: dict[str, int] = {}
    counts: dict[str, int] = {}
    for task, success in samples:
        sums[task] = sums.get(task, 0) + int(success)
        counts[task] = counts.get(task, 0) + 1
    diff = {t: sums[t] / counts[t] for t in sorted(counts) if counts[t] >= min_samples}
    return diff, dict(sorted(counts.items()))


def ece(
    sim: Mapping[str, int], human: Mapping[str, int], difficulty: Mapping[str, float]
) -> float | None:
    """ECE of a reward map against another over tasks in all three maps; None if no task.

    ``sum over bins of (n_bin / n) * |mean sim - mean human|``.
    """
    tasks = [t for t in sim if t in human and t in difficulty]
    if not tasks:
        return None
    bins = np.array([bin_index(difficulty[t]) for t in tasks])
    s = np.array([sim[t] for t in tasks], dtype=float)
    h = np.array([human[t] for t in tasks], dtype=float)
    n = len(tasks)
    total = 0.0
    for b in range(N_BINS):
        sel = bins == b
        k = int(sel.sum())
        if k:
            total += (k / n) * abs(float(s[sel].mean()) - float(h[sel].mean()))
    return float(total)
