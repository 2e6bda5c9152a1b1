"""Speed of the confidence intervals (issue 13): the task bootstrap of a whole leaderboard and
the paired comparison of two simulators, on a SYNTHETIC release.

``bench_intervals(data_dir)`` is called by ``run.py`` (``make bench``) on its 31-simulator
release; run alone, ``python benchmarks/intervals.py [--sims N]`` writes its own release.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from usi_metric.io import load_release
from usi_metric.samples.synthetic import benchmark_simulators, generate_release
from usi_metric.scoring import resolve_difficulty
from usi_metric.scoring.intervals import CIOptions, human_table, simulator_table, task_keys
from usi_metric.scoring.intervals import usi_intervals as _usi_intervals
from usi_metric.scoring.paired import compare_simulators


def bench_intervals(data_dir: Path, n_resamples: int = 2000,
                    permutations: int = 9999) -> dict[str, Any]:
    """Seconds for the leaderboard's intervals (BCa and percentile) and for one comparison."""
    t0 = time.perf_counter()
    import scipy.stats  # noqa: F401  (imported once per process; timed on its own)

    import_s = time.perf_counter() - t0
    release = load_release(data_dir, conversations=False)
    diff = resolve_difficulty(release, "self")
    tasks = task_keys(release.humans)
    t0 = time.perf_counter()
    human_table(release.humans, diff, release.human_eval, tasks)
    for name, sim in release.simulators.items():
        simulator_table(sim, release.humans, diff, release.surveys.get(name), tasks)
    tables_s = time.perf_counter() - t0
    out: dict[str, Any] = {"scipy_import_s": import_s, "tables_s": tables_s,
                           "simulators": len(release.simulators), "tasks": len(tasks),
                           "resamples": n_resamples, "permutations": permutations}
    for method in ("bca", "percentile"):
        t0 = time.perf_counter()
        iv = _usi_intervals(release.humans, release.simulators, diff, release.surveys,
                            release.human_eval,
                            options=CIOptions(method=method, n_resamples=n_resamples))
        out[f"{method}_s"] = time.perf_counter() - t0
        out[f"{method}_tied"] = sum(1 for n in release.simulators if iv.tied_with_leader(n))
    names = sorted(release.simulators)[:2]
    t0 = time.perf_counter()
    compare_simulators(release.simulators[names[0]], release.simulators[names[1]],
                       release.humans, diff, release.surveys.get(names[0]),
                       release.surveys.get(names[1]),
                       options=CIOptions(n_resamples=n_resamples), permutations=permutations)
    out["compare_s"] = time.perf_counter() - t0
    return out


def report(iv: dict[str, Any]) -> str:
    """The Markdown section of ``make bench``."""
    return "\n".join([
        f"### Confidence intervals over tasks ({iv['simulators']} simulators + the human "
        f"ceiling, {iv['tasks']} tasks, SYNTHETIC)",
        "",
        "| | seconds |",
        "|---|---|",
        f"| per-task statistics of every row (once) | {iv['tables_s']:.2f} |",
        f"| `usi leaderboard --ci`: {iv['resamples']:,} BCa resamples, every row, with the "
        f"tables | {iv['bca_s']:.2f} |",
        f"| the same, percentile | {iv['percentile_s']:.2f} |",
        f"| `usi compare A B`: {iv['resamples']:,} BCa resamples + {iv['permutations']:,} "
        f"permutations | {iv['compare_s']:.2f} |",
        f"| importing scipy.stats (once per process) | {iv['scipy_import_s']:.2f} |",
        "",
        f"Simulators that cannot be told apart from the leader (BCa): {iv['bca_tied']} of "
        f"{iv['simulators']}.",
        "",
    ])


def goal(iv: dict[str, Any]) -> tuple[bool, str]:
    """The issue's goal: 2,000 replicates of a 31-simulator leaderboard in seconds."""
    return (iv["bca_s"] < 10.0,
            f"{iv['resamples']:,} BCa resamples of a {iv['simulators']}-simulator leaderboard "
            f"under 10 s: {iv['bca_s']:.2f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sims", type=int, default=31, help="simulators (default 31)")
    ap.add_argument("--tasks-per-domain", type=int, default=83)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="usi-bench-ci-") as tmp:
        root = generate_release(tmp, n_tasks_per_domain=args.tasks_per_domain,
                                simulators=benchmark_simulators(args.sims))
        iv = bench_intervals(root)
    print(report(iv))
    ok, text = goal(iv)
    print(f"goal {'met   ' if ok else 'MISSED'}  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
