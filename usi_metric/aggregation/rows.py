"""A row: features pooled over a set of sessions (docs/rows-and-dice.md).

>>> import numpy as np
>>> from usi_metric.features import COLUMNS
>>> m = np.zeros((2, len(COLUMNS))); m[0, 0] = 1.0          # politeness_rate 1.0 and 0.0
>>> float(pooled_row(m)[0])                                   # mean 0.5, reported x100
50.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from usi_metric.features.names import COLUMNS, PERCENT_COLUMNS

SCALE: np.ndarray = np.array([100.0 if c in PERCENT_COLUMNS else 1.0 for c in COLUMNS])


def pooled_row(matrix: np.ndarray) -> np.ndarray:
    """Mean of each column over the given feature rows (sessions that yield features),
    with rate columns and ``info_frontload`` x100. ``matrix`` must have at least one row."""
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        raise ValueError("a row needs at least one session with features")
    return matrix.mean(axis=0) * SCALE


def success_pct(rewards: Sequence[float | None]) -> float:
    """100 x mean of ``int(reward)`` over all sessions of the set (null counts 0).

    >>> success_pct([1.0, 0.0, 0.5, None])
    25.0
    """
    if not rewards:
        raise ValueError("success_pct needs at least one session")
    return 100.0 * sum(int(r) if r is not None else 0 for r in rewards) / len(rewards)


def row_dict(row: np.ndarray) -> dict[str, float]:
    """A row as ``{column: value}`` in ``COLUMNS`` order."""
    return {c: float(v) for c, v in zip(COLUMNS, row, strict=True)}
