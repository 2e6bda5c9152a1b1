"""Agent success per task-difficulty bin, for the calibration figure (docs/ece-and-yardsticks.md).

The sessions counted follow the ECE's own rule (``scoring.difficulty.outcome_sessions``).

>>> from usi_metric.io import Session
>>> mk = lambda t, r: Session(t, t, t, "1", 1, r, True, (), {})
>>> success_by_bin([mk("a", 1.0), mk("b", 0.0)], {"a": 0.1, "b": 0.15}).pct[0]
50.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from usi_metric.aggregation.ece import N_BINS, bin_index
from usi_metric.io import Session, SessionSet
from usi_metric.scoring.difficulty import Difficulty, outcome_sessions


@dataclass(frozen=True)
class BinRates:
    """Success % per difficulty bin (None for an empty bin) and the session counts."""

    pct: tuple[float | None, ...]
    n: tuple[int, ...]


def success_by_bin(sessions: Sequence[Session], difficulty: dict[str, float]) -> BinRates:
    """Success (``reward > 0``) % per difficulty bin over sessions whose task has a difficulty."""
    n = [0] * N_BINS
    k = [0] * N_BINS
    for s in sessions:
        d = difficulty.get(s.task_key)
        if d is None:
            continue
        b = bin_index(d)
        n[b] += 1
        k[b] += s.success
    return BinRates(tuple(100.0 * k[b] / n[b] if n[b] else None for b in range(N_BINS)),
                    tuple(n))


def human_bins(humans: SessionSet, difficulty: Difficulty) -> BinRates:
    """Kept human sessions of all three batches."""
    return success_by_bin(outcome_sessions(humans), difficulty.values)


def simulator_bins(sim: SessionSet, difficulty: Difficulty) -> BinRates:
    """Every run's sessions except ``keep: false`` (as in §6)."""
    return success_by_bin(outcome_sessions(sim), difficulty.values)
