"""Combining the parts: the USI of one batch and (mean, std) cells (docs/usi.md).

>>> usi_value({"D1_conv": 50, "D2_info": 90, "D3_clarif": 70, "D4_react": 80}, ece=0.2)
74.0
>>> mean_std([1.0, 3.0])
MeanStd(mean=2.0, std=1.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from usi_metric.features.names import DIMENSION_KEYS


@dataclass(frozen=True)
class MeanStd:
    """A reported cell: plain mean and population std (``numpy.std``, ddof 0)."""

    mean: float
    std: float

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "std": self.std}


def mean_std(values: Sequence[float]) -> MeanStd | None:
    """(mean, population std) of the values, or None when there are none."""
    if len(values) == 0:
        return None
    arr = np.asarray(values, dtype=float)
    return MeanStd(float(np.mean(arr)), float(np.std(arr)))


def usi_value(dims: Mapping[str, float], ece: float, eval_mean: float | None = None) -> float:
    """``mean(D1..D4, [Eval], (1 - ECE) x 100)``: six terms with an Eval, else five."""
    terms = [float(dims[k]) for k in DIMENSION_KEYS]
    if eval_mean is not None:
        terms.append(float(eval_mean))
    terms.append((1.0 - ece) * 100.0)
    return float(np.mean(terms))
