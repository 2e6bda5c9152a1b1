"""Sørensen–Dice similarity between two rows, per dimension (docs/rows-and-dice.md).

>>> float(dice_similarity(3.0, 1.0)), float(dice_similarity(0.0, 0.0))
(0.5, 1.0)
"""

from __future__ import annotations

import numpy as np

from usi_metric.features.names import COLUMNS, DIMENSIONS

_IDX = {dim: np.array([COLUMNS.index(f) for f in feats]) for dim, feats in DIMENSIONS.items()}


def dice_similarity(h: np.ndarray | float, m: np.ndarray | float) -> np.ndarray:
    """``2 min(|h|,|m|) / (|h|+|m|)``, and 1 where ``|h|+|m| = 0``; elementwise."""
    h = np.abs(np.asarray(h, dtype=float))
    m = np.abs(np.asarray(m, dtype=float))
    total = h + m
    safe = np.where(total == 0, 1.0, total)
    return np.where(total == 0, 1.0, 2.0 * np.minimum(h, m) / safe)


def dimension_scores(human_row: np.ndarray, sim_row: np.ndarray) -> dict[str, float]:
    """``{"D1_conv": .., "D2_info": .., "D3_clarif": .., "D4_react": ..}``: 100 x mean Dice.

    >>> import numpy as np
    >>> from usi_metric.features import COLUMNS
    >>> r = np.ones(len(COLUMNS))
    >>> dimension_scores(r, r)["D1_conv"]
    100.0
    """
    sims = dice_similarity(human_row, sim_row)
    return {dim: 100.0 * float(np.mean(sims[idx])) for dim, idx in _IDX.items()}
