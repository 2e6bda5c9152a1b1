"""Sums of short lists in numpy's own order of additions, without the cost of an array.

Bit-for-bit equality with numpy matters where a value is recomputed in plain Python (a
hot path) and must stay the float numpy gives (``features.population_std``, the survey
agreement's mean): numpy adds fewer than 8 numbers one after the other, left to right,
and exactly 8 as pairs of pairs; longer lists are handed to numpy itself.

>>> import numpy as np
>>> xs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
>>> numpy_sum(xs) == float(np.sum(xs)), numpy_sum(xs[:3]) == float(np.sum(xs[:3]))
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def numpy_sum(values: Sequence[float]) -> float:
    """``float(numpy.sum(numpy.array(values, dtype=float)))``, bit for bit.

    >>> numpy_sum([]), numpy_sum([0.5, 0.25])
    (0.0, 0.75)
    """
    n = len(values)
    if n == 8:
        a = values
        return float(((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])))
    if n > 8:
        return float(np.sum(np.array(values, dtype=float)))
    total = 0.0
    for v in values:
        total += v
    return total
