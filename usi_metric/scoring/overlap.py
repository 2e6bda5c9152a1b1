"""Which sessions a score compares (docs/rows-and-dice.md): a simulator's runs against a
human batch, matched on base ids, and the pooled rows of both sides.

>>> from usi_metric.io import load_release
>>> from usi_metric.samples import sample_release_dir
>>> rel = load_release(sample_release_dir())
>>> sim = next(iter(rel.simulators.values()))
>>> m = simulator_rows_vs_batch(sim, rel.humans, 1)
>>> m.human_row.shape == m.sim_row.shape, m.n_overlap > 0
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from usi_metric.aggregation import pooled_row, success_pct
from usi_metric.io import SessionSet


@dataclass(frozen=True)
class BatchMatch:
    """A simulator against one human batch: both rows, both success rates, the overlap."""

    human_row: np.ndarray
    sim_row: np.ndarray
    human_success_pct: float
    sim_success_pct: float
    n_overlap: int


def kept_indices(sset: SessionSet, group: str | None = None) -> list[int]:
    """Indices of the kept sessions (``keep`` true or absent), of one group if given."""
    return [i for i, s in enumerate(sset.sessions)
            if s.kept and (group is None or s.group == group)]


def set_row(sset: SessionSet, idx: Sequence[int]) -> tuple[np.ndarray, float] | None:
    """(pooled row, success_pct) of the selected sessions, None if none yields features."""
    if not idx:
        return None
    with_feats = [i for i in idx if sset.has_features[i]]
    if not with_feats:
        return None
    row = pooled_row(sset.features[with_feats])
    return row, success_pct([sset.sessions[i].reward for i in idx])


def run_sort_key(run: str) -> tuple[int, str]:
    """Runs in the paper's order: numbered runs by number, then any other key.

    >>> sorted(["2", "0", "10", "1"], key=run_sort_key)
    ['0', '1', '2', '10']
    """
    return (int(run), run) if run.isdigit() else (1 << 30, run)


def simulator_rows_vs_batch(sim: SessionSet, humans: SessionSet,
                            batch: int | str) -> BatchMatch | None:
    """§8 step 1, or None when no run of the simulator shares a kept id with the batch.

    Each run's row uses its kept sessions whose base id is a kept id of the batch; the
    simulator's row is the plain average of the run rows; the human row uses the batch's
    kept sessions in the union of the overlaps. A run with no overlap (or whose overlapping
    sessions yield no features) is left out.
    """
    h_idx = kept_indices(humans, str(batch))
    h_base = {humans.sessions[i].base_id for i in h_idx}
    runs: dict[str, list[int]] = {}
    for i in kept_indices(sim):
        runs.setdefault(sim.sessions[i].group, []).append(i)
    run_rows: list[np.ndarray] = []
    run_success: list[float] = []
    union: set[str] = set()
    for run in sorted(runs, key=run_sort_key):
        sel = [i for i in runs[run] if sim.sessions[i].base_id in h_base]
        got = set_row(sim, sel)
        if got is None:
            continue
        run_rows.append(got[0])
        run_success.append(got[1])
        union.update(sim.sessions[i].base_id for i in sel)
    if not run_rows:
        return None
    h_got = set_row(humans, [i for i in h_idx if humans.sessions[i].base_id in union])
    if h_got is None:
        return None
    sim_row = run_rows[0] if len(run_rows) == 1 else np.mean(np.vstack(run_rows), axis=0)
    return BatchMatch(h_got[0], sim_row, h_got[1], float(np.mean(run_success)), len(union))
