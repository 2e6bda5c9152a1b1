"""The ``evaluate`` metric ``usi``'s inputs from records of the Parquet dataset.

``evaluate.load("usi").compute(**evaluate_kwargs(human, simulators, surveys, "gpt-4o"))``
scores one simulator of the dataset as ``usi leaderboard`` does on the raw release: one record
per task, the difficulty pooled over every simulator of ``simulators`` (the leaderboard's
default), the simulator's survey answers and the second human's survey when present.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dataset_builder.sessions import release_from_records
from usi_metric.errors import UsiError
from usi_metric.hf.evaluate_inputs import release_compute_kwargs


def evaluate_kwargs(
    human: Iterable[Mapping[str, Any]],
    simulators: Iterable[Mapping[str, Any]],
    surveys: Iterable[Mapping[str, Any]] = (),
    simulator: str = "",
) -> dict[str, Any]:
    """``compute()`` keyword arguments for ``simulator`` from records of the three configs."""
    release = release_from_records(human, simulators, surveys)
    if simulator not in release.simulators:
        names = ", ".join(release.simulators) or "none"
        raise UsiError(f"no simulator {simulator!r} in the records (simulators: {names})",
                       field="simulator")
    return release_compute_kwargs(release, simulator)
