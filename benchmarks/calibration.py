"""The calibration study of the confidence intervals (issue 13), at full size.

Draws many SYNTHETIC releases from one generator (``tests/interval_data.py``: per-task
statistics of 3 human batches and a simulator with 3 runs, features 1.5-2.5x off the
humans', success ``gap`` higher), computes each release's interval of every cell, and counts
how often it covers the generator's population value (the same pipeline on a very large
draw). ``tests/test_intervals.py`` runs a small version of it; the README's numbers come
from ``python benchmarks/calibration.py --releases 1000``.

Usage: ``python benchmarks/calibration.py [--releases N] [--tasks T] [--resamples R]
[--gap G] [--methods bca percentile]`` (a few minutes at the defaults).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from interval_data import Population, draw_tables, population_cells  # noqa: E402

from usi_metric.aggregation.bootstrap import (  # noqa: E402
    CELLS,
    table_cells,
)
from usi_metric.scoring.intervals import CIOptions, bootstrap_intervals  # noqa: E402


def population(pop: Population) -> np.ndarray:
    """The generator's cells from a draw of 400,000 tasks."""
    return population_cells(pop, chunks=20, size=20_000, seed=999)


def study(pop: Population, releases: int, tasks: int, resamples: int,
          methods: list[str]) -> dict[str, np.ndarray]:
    """Coverage of every cell per method, over ``releases`` releases (the same for all)."""
    truth = population(pop)
    rng = np.random.default_rng(2024)
    hits = {m: np.zeros(len(CELLS)) for m in methods}
    for i in range(releases):
        sim, _ = draw_tables(pop, tasks, rng)
        for m in methods:
            _, ivs = bootstrap_intervals(tasks, lambda w, s=sim: table_cells(s, w),
                                         CIOptions(method=m, n_resamples=resamples, seed=i))
            hits[m] += [iv is not None and iv[0] <= t <= iv[1]
                        for iv, t in zip(ivs, truth, strict=True)]
    return {m: h / releases for m, h in hits.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--releases", type=int, default=1000)
    ap.add_argument("--tasks", type=int, default=165)
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--gap", type=float, default=0.2, help="simulator success minus human")
    ap.add_argument("--methods", nargs="+", default=["bca", "percentile"])
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    cover = study(Population(gap=args.gap), args.releases, args.tasks, args.resamples,
                  args.methods)
    print(f"Coverage of the {CIOptions().confidence_level:.0%} interval: {args.releases} "
          f"SYNTHETIC releases of {args.tasks} tasks, {args.resamples} resamples each "
          f"({time.perf_counter() - t0:.0f} s)\n")
    print("| cell | " + " | ".join(args.methods) + " |")
    print("|---|" + "---|" * len(args.methods))
    for j, cell in enumerate(CELLS):
        print(f"| {cell} | " + " | ".join(f"{100 * cover[m][j]:.1f}%" for m in args.methods)
              + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
