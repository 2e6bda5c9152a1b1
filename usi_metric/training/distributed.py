"""Credits of the global batch under ``torch.distributed`` (one reward call per process on
its own shard): gather what the credits need (features, has-features, task keys, rewards;
never the text), so that every process computes the global batch's credits and keeps its
slice. Without an initialised process group of more than one process: ``None``, and the
reward runs on its own shard. torch is imported only when it is already loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any


def process_group() -> Any:
    """``torch.distributed`` when a group of more than one process is initialised, else None
    (torch is not imported here: a process group means torch is already loaded).

    >>> process_group() is None
    True
    """
    dist_mod = sys.modules.get("torch.distributed")
    if dist_mod is None:
        return None
    if not (dist_mod.is_available() and dist_mod.is_initialized()):
        return None
    return dist_mod if dist_mod.get_world_size() > 1 else None


def gather(X: Any, has: Any, task_keys: Sequence[str], rewards: Sequence[float | None]
           ) -> tuple[Any, Any, list[str], list[float | None], int, int] | None:
    """``(X, has, task keys, rewards of the global batch, start, end of this process's
    slice)``, processes in rank order; None without a process group."""
    dist = process_group()
    if dist is None:
        return None
    import numpy as np

    mine = (np.asarray(X, dtype=float), np.asarray(has, dtype=bool), list(task_keys),
            list(rewards))
    parts: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(parts, mine)
    sizes = [len(p[2]) for p in parts]
    rank = dist.get_rank()
    lo = sum(sizes[:rank])
    return (np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            [t for p in parts for t in p[2]], [r for p in parts for r in p[3]],
            lo, lo + sizes[rank])
