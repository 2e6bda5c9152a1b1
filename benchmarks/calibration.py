"""The calibration study of the confidence intervals (issues 13 and 19), at full size.

Draws many SYNTHETIC releases from one generator (``tests/interval_data.py``: per-task
statistics of 3 human batches and a simulator with 3 runs, features 1.5-2.5x off the
humans', success ``gap`` higher), computes each release's interval of every cell of the
simulator row AND of the human ceiling, and counts

- how often it covers the generator's population value (the same pipeline on a very large
  draw: 400,000 tasks);
- how often it covers the expected estimate at this size (the mean of the plain estimate
  over 2,000 further releases): the target of an interval about sampling noise alone, which
  differs from the population value by the finite-sample bias of Dice and ECE;
- how often it holds its own point estimate.

The human ceiling compares three batches of ONE population, so its population Dice is 100 and
its population ECE 0: every finite release scores below / above that, and no interval around
the estimate covers it (docs/intervals.md). ``tests/test_intervals.py`` runs a small version;
docs/intervals.md's table comes from ``python benchmarks/calibration.py``.

Usage: ``python benchmarks/calibration.py [--releases N] [--tasks T] [--resamples R]
[--gap G] [--methods centred percentile bca]`` (several minutes at the defaults).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from interval_data import Population, draw_tables, population_rows  # noqa: E402

from usi_metric.aggregation.bootstrap import CELLS, table_cells  # noqa: E402
from usi_metric.scoring.intervals import CIOptions, bootstrap_intervals  # noqa: E402

ROWS = ("simulator", "human ceiling")


def population(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """The generator's simulator and ceiling cells from a draw of 400,000 tasks."""
    return population_rows(pop, chunks=20, size=20_000, seed=999)


def expected_estimates(pop: Population, tasks: int, n: int = 2000) -> np.ndarray:
    """``(2, cells)``: the mean plain estimate of each row over ``n`` releases of ``tasks``."""
    rng = np.random.default_rng(77)
    ones = np.ones((1, tasks))
    total = np.zeros((2, len(CELLS)))
    for _ in range(n):
        for r, table in enumerate(draw_tables(pop, tasks, rng)):
            total[r] += table_cells(table, ones)[0]
    return total / n


def study(pop: Population, releases: int, tasks: int, resamples: int, methods: list[str],
          level: float = 0.95) -> dict[str, dict[str, np.ndarray]]:
    """Per measure (``population``, ``expected``, ``holds``, ``width``) and method: a
    ``(rows, cells)`` array of shares (widths: means) over ``releases`` releases."""
    truth = np.stack(population(pop))
    expected = expected_estimates(pop, tasks)
    rng = np.random.default_rng(2024)
    shape = (len(ROWS), len(CELLS))
    out = {k: {m: np.zeros(shape) for m in methods}
           for k in ("population", "expected", "holds", "width")}
    for i in range(releases):
        tables = draw_tables(pop, tasks, rng)
        for r, table in enumerate(tables):
            for m in methods:
                est, ivs = bootstrap_intervals(
                    tasks, lambda w, t=table: table_cells(t, w),
                    CIOptions(method=m, n_resamples=resamples, seed=i, confidence_level=level))
                for j, iv in enumerate(ivs):
                    if iv is None:
                        continue
                    lo, hi = iv
                    out["population"][m][r, j] += lo <= truth[r, j] <= hi
                    out["expected"][m][r, j] += lo <= expected[r, j] <= hi
                    out["holds"][m][r, j] += lo <= est[j] <= hi
                    out["width"][m][r, j] += hi - lo
    return {k: {m: v / releases for m, v in d.items()} for k, d in out.items()}


def table(result: dict[str, dict[str, np.ndarray]], methods: list[str]) -> str:
    """Markdown: one line per row and cell; per method population / expected / holds."""
    head = " | ".join(f"{m}: population · expected · holds" for m in methods)
    lines = [f"| row | cell | {head} | mean width ({methods[0]}) |",
             "|---|---|" + "---|" * len(methods) + "---|"]
    for r, row in enumerate(ROWS):
        for j, cell in enumerate(CELLS):
            parts = [" · ".join(f"{100 * result[k][m][r, j]:.1f}%"
                                for k in ("population", "expected", "holds"))
                     for m in methods]
            width = result["width"][methods[0]][r, j]
            lines.append(f"| {row} | {cell} | " + " | ".join(parts)
                         + f" | {width:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--releases", type=int, default=1000)
    ap.add_argument("--tasks", type=int, default=165)
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--gap", type=float, default=0.2, help="simulator success minus human")
    ap.add_argument("--methods", nargs="+", default=["centred", "percentile", "bca"])
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    result = study(Population(gap=args.gap), args.releases, args.tasks, args.resamples,
                   args.methods)
    print(f"Coverage of the {CIOptions().confidence_level:.0%} interval: {args.releases} "
          f"SYNTHETIC releases of {args.tasks} tasks, {args.resamples} resamples each "
          f"({time.perf_counter() - t0:.0f} s)\n")
    print(table(result, args.methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
