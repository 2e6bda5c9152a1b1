"""The baseline of ``make bench``: a plain re-implementation of the paper's scorer.

``tests/paper_reference.py`` is the project's independent reference of the paper's scorer:
plain Python + numpy + ``re``, written from the spec, importing nothing from ``usi_metric``.
As written it keeps each session's features for the whole scoring (one featurization per
session). The paper's scorer featurizes again every session a comparison needs: each
simulator session once per human batch, the human sessions once per simulator and batch and
per human pair. ``score(data_dir, refeaturize=True)`` runs the reference that way (its
feature cache switched off, nothing else changed), ``refeaturize=False`` as written.

``compare(ours, theirs)`` checks two leaderboards cell by cell (mean and std).
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import paper_reference as ref  # noqa: E402

CELLS = ref.CELLS
Board = dict[str, dict[str, tuple[float, float] | None]]


@contextmanager
def _no_feature_cache() -> Any:
    """The reference's feature cache off: every row featurizes its sessions again."""
    cached = ref._FeatureCache.get

    def again(self: Any, entry: dict, source: str) -> Any:
        return ref.conversation_features(entry.get("conversation") or [], source)

    ref._FeatureCache.get = again  # type: ignore[method-assign]
    try:
        yield
    finally:
        ref._FeatureCache.get = cached  # type: ignore[method-assign]


def score(data_dir: str | Path, refeaturize: bool = True) -> tuple[float, float, Board]:
    """(wall seconds, CPU seconds of this process, ``{row name: {cell: (mean, std) |
    None}}``) of the reference's leaderboard (difficulty pooled over the release's
    simulators, as ``usi leaderboard --difficulty self``)."""
    t0, c0 = time.perf_counter(), time.process_time()
    if refeaturize:
        with _no_feature_cache():
            rows = ref.score_release(data_dir)
    else:
        rows = ref.score_release(data_dir)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return seconds, cpu, {r["name"]: {c: r[c] for c in CELLS} for r in rows}


def ours_board(rows: list[dict[str, Any]]) -> Board:
    """``usi leaderboard --format json``'s rows in the reference's form."""
    out: Board = {}
    for r in rows:
        out[r["name"]] = {c: None if r.get(c) is None else (r[c]["mean"], r[c]["std"])
                          for c in CELLS}
    return out


def compare(ours: Board, theirs: Board, tolerance: float) -> tuple[int, float]:
    """(cells compared, largest absolute difference); AssertionError on any disagreement
    (a row missing on one side, None against a number, or a difference above tolerance)."""
    if set(ours) != set(theirs):
        raise AssertionError(f"row names differ: {sorted(set(ours) ^ set(theirs))}")
    n, worst = 0, 0.0
    for name in sorted(ours):
        for cell in CELLS:
            a, b = ours[name][cell], theirs[name][cell]
            n += 1
            if a is None or b is None:
                if a is not b:
                    raise AssertionError(f"{name} {cell}: ours {a}, reference {b}")
                continue
            for got, want in zip(a, b, strict=True):
                diff = abs(got - want)
                worst = max(worst, diff)
                if not diff <= tolerance:
                    raise AssertionError(f"{name} {cell}: ours {a}, reference {b}")
    return n, worst


def featurize_plain(conversations: list[Any], source: str) -> tuple[float, list[Any]]:
    """(seconds, features) of the reference's plain featurization of each conversation."""
    t0 = time.perf_counter()
    out = [ref.conversation_features(c, source) for c in conversations]
    return time.perf_counter() - t0, out


FEATURES = ref.FEATURES
