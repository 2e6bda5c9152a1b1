#!/usr/bin/env python3
"""Regenerate the bundled SYNTHETIC sample release (not the paper's data), deterministically.

    python scripts/make_synthetic_sample.py usi_metric/samples/synthetic_tau_usi

writes the release into OUT_DIR and the new-simulator example (``runs.json``, ``survey.json``)
into ``synthetic_new_simulator`` beside it. Running it twice gives byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from usi_metric.samples.synthetic import generate_new_simulator_runs, generate_release  # noqa: E402

LAYOUT = ("data/tau_bench_tasks_unified.json", "eval_results/eval_results_*.json",
          "survey_data/survey_comparable_*.json")


def main(argv: list[str] | None = None) -> int:
    """Write the sample release to OUT_DIR and the new simulator beside it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="where the synthetic release goes")
    parser.add_argument("--new-simulator-dir", type=Path,
                        help="default: OUT_DIR/../synthetic_new_simulator")
    args = parser.parse_args(argv)
    out: Path = args.out_dir
    readme = out / "README.md"
    if readme.is_file() and "SYNTHETIC" in readme.read_text("utf-8"):
        for pattern in LAYOUT:  # a previous synthetic sample: drop files that may be stale
            for stale in out.glob(pattern):
                stale.unlink()
    generate_release(out)
    new_dir = args.new_simulator_dir or out.resolve().parent / "synthetic_new_simulator"
    runs, survey = generate_new_simulator_runs(new_dir)
    print(f"SYNTHETIC sample written to {out} and {runs.parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
