"""Featurizing many conversations at once, on one process or several (same rows either way).

>>> m, ok = featurize_many([[{"role": "user", "content": "hi"}], []], "human")
>>> m.shape, ok.tolist()
((2, 20), [True, False])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from usi_metric.features.extract import SOURCES, vector_or_none
from usi_metric.features.names import COLUMNS
from usi_metric.runtime.gc import gc_paused
from usi_metric.runtime.parallel import auto_workers, map_parallel, split_evenly

Conversation = Sequence[Mapping[str, Any]]


def featurize_rows(
    conversations: Iterable[Iterable[Mapping[str, Any]]], source: str
) -> list[list[float] | None]:
    """One ``COLUMNS`` list (or None) per conversation, in this process.

    The cyclic garbage collector is paused meanwhile: featurizing makes no reference
    cycles, and collections would otherwise rescan every object the caller holds.

    >>> featurize_rows([[{"role": "user", "content": "hi"}], []], "human")[1] is None
    True
    """
    with gc_paused():
        return [vector_or_none(c, source) for c in conversations]


def rows_to_matrix(rows: list[list[float] | None]) -> tuple[np.ndarray, np.ndarray]:
    """``(matrix N x len(COLUMNS), mask)`` from ``featurize_rows`` output; None rows are zeros.

    >>> m, ok = rows_to_matrix([[1.0] * len(COLUMNS), None])
    >>> m.shape, ok.tolist()
    ((2, 20), [True, False])
    """
    zeros = [0.0] * len(COLUMNS)
    matrix = np.array([zeros if r is None else r for r in rows], dtype=float)
    matrix = matrix.reshape(len(rows), len(COLUMNS))
    mask = np.array([r is not None for r in rows], dtype=bool)
    return matrix, mask


def featurize_many(
    conversations: Iterable[Iterable[Mapping[str, Any]]], source: str,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Featurize many conversations once: ``(matrix N x len(COLUMNS), mask of valid rows)``.

    Rows that yield no features are zeros with ``mask`` False. ``workers``: processes to use
    (1: this process only); None picks by size (``usi_metric.runtime.parallel.auto_workers``: one
    process for small sets, every core for large ones, ``USI_WORKERS`` overrides). The
    result is the same whatever the number of processes.

    >>> m, ok = featurize_many([[{"role": "user", "content": "hi"}], []], "human")
    >>> m.shape, ok.tolist()
    ((2, 20), [True, False])
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    return rows_to_matrix(featurize_rows_parallel(list(conversations), source, workers))


def featurize_rows_parallel(
    conversations: Sequence[Conversation], source: str, workers: int | None = None
) -> list[list[float] | None]:
    """``featurize_rows`` on ``workers`` processes (None: ``auto_workers``).

    The set is cut into one contiguous chunk per process (``map_parallel``); the rows come
    back in input order and are equal to the one-process result. If a chunk cannot be sent
    to a worker (not picklable) or a worker dies, this process does the work.
    """
    n = len(conversations)
    if workers is None:
        workers = auto_workers(n)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    workers = min(workers, n)
    if workers <= 1:
        return featurize_rows(conversations, source)
    chunks = [(list(c), source) for c in split_evenly(conversations, workers)]
    return [row for rows in map_parallel(featurize_rows, chunks, workers) for row in rows]
