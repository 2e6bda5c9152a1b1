"""Speed of scoring against a human reference file (issue 20) vs from the transcripts, on a
SYNTHETIC real-like release of the paper's shape (495 human sessions, no turn ever repeats).

Warm (one process): scoring a loaded simulator against a loaded reference; reading the
reference file and scoring; reading and featurizing the human transcripts (what scoring with
``--data-dir`` does) and scoring. Fresh process: ``usi score RUNS --reference REF`` vs
``usi score RUNS --data-dir DIR``, wall time. Every cell of the two scores must agree to 1e-9.

``bench_reference(data_dir)`` is called by ``run.py``; run alone,
``python benchmarks/reference_speed.py`` writes its own release.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from usi_metric.errors import UsiWarning  # noqa: E402
from usi_metric.features import extract  # noqa: E402
from usi_metric.io.release import load_simulator  # noqa: E402
from usi_metric.reference import HumanReference  # noqa: E402
from usi_metric.scoring.score import score  # noqa: E402

CELLS = ("D1_conv", "D2_info", "D3_clarif", "D4_react", "eval_agree", "ece", "usi")


def _best(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _fresh(args: list[str], repeats: int) -> tuple[float, dict[str, Any]]:
    env = {**os.environ, "USI_WORKERS": "1"}
    times, out = [], {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "usi_metric", *args, "--format", "json"],
                              capture_output=True, text=True, env=env, check=True)
        times.append(time.perf_counter() - t0)
        out = json.loads(proc.stdout)
    return statistics.median(times), out


def bench_reference(data_dir: Path, repeats: int = 3) -> dict[str, Any]:
    """Seconds of each way to score one simulator (and the reference's size)."""
    data_dir = Path(data_dir)
    sim_path = sorted((data_dir / "eval_results").glob("eval_results_*.json"))[0]
    survey = data_dir / "survey_data" / sim_path.name.replace("eval_results_",
                                                              "survey_comparable_")
    ref_path = data_dir.parent / f"{data_dir.name}-reference.parquet"
    t0 = time.perf_counter()
    ref = HumanReference.from_release(data_dir)
    build_s = time.perf_counter() - t0
    ref.save(ref_path, overwrite=True)
    sim = load_simulator(sim_path, workers=1, conversations=False)
    kw = {"survey": str(survey) if survey.exists() else None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UsiWarning)
        loaded = HumanReference.load(ref_path)
        score_s = _best(lambda: score(sim, loaded, **kw), repeats)
        load_score_s = _best(lambda: score(sim, HumanReference.load(ref_path), **kw), repeats)

        def from_transcripts() -> Any:
            extract.clear_memos()  # no turn remembered from a previous round
            return score(sim, HumanReference.from_release(data_dir), **kw)

        transcripts_s = _best(from_transcripts, repeats)
    base = ["score", str(sim_path)] + (["--survey", str(survey)] if survey.exists() else [])
    fresh_ref_s, a = _fresh([*base, "--reference", str(ref_path)], repeats)
    fresh_dir_s, b = _fresh([*base, "--data-dir", str(data_dir)], repeats)
    for ra, rb in zip(a["rows"], b["rows"], strict=True):
        for c in CELLS:
            x, y = ra[c], rb[c]
            assert (x is None) == (y is None), (c, x, y)
            if x is not None:
                assert math.isclose(x["mean"], y["mean"], rel_tol=0, abs_tol=1e-9), (c, x, y)
                assert math.isclose(x["std"], y["std"], rel_tol=0, abs_tol=1e-9), (c, x, y)
    human_bytes = (data_dir / "data" / "tau_bench_tasks_unified.json").stat().st_size
    return {"human_sessions": len(ref), "human_bytes": human_bytes,
            "reference_bytes": ref_path.stat().st_size, "build_s": build_s,
            "score_s": score_s, "load_score_s": load_score_s, "transcripts_s": transcripts_s,
            "fresh_reference_s": fresh_ref_s, "fresh_data_dir_s": fresh_dir_s}


def report(r: dict[str, Any]) -> str:
    """The Markdown section of ``make bench``."""
    return "\n".join([
        f"### Scoring against a human reference ({r['human_sessions']} human sessions, "
        "SYNTHETIC real-like text)",
        "",
        f"Reference file: {r['reference_bytes'] / 1e3:.0f} KB for a "
        f"{r['human_bytes'] / 1e6:.1f} MB human file "
        f"({100 * r['reference_bytes'] / r['human_bytes']:.1f}%); built in "
        f"{r['build_s']:.2f} s.",
        "",
        "| one simulator, 6 terms | seconds | vs transcripts |",
        "|---|---|---|",
        f"| warm: from the transcripts (read, featurize the humans, score) | "
        f"{r['transcripts_s']:.3f} | 1x |",
        f"| warm: read the reference file and score | {r['load_score_s']:.3f} | "
        f"{r['transcripts_s'] / r['load_score_s']:.0f}x faster |",
        f"| warm: score against a loaded reference | {r['score_s']:.3f} | "
        f"{r['transcripts_s'] / r['score_s']:.0f}x faster |",
        f"| fresh process: `usi score --data-dir` | {r['fresh_data_dir_s']:.2f} | 1x |",
        f"| fresh process: `usi score --reference` | {r['fresh_reference_s']:.2f} | "
        f"{r['fresh_data_dir_s'] / r['fresh_reference_s']:.1f}x faster |",
        ""])


def goal(r: dict[str, Any]) -> tuple[bool, str]:
    """Issue 20: scoring from a reference much faster than from the transcripts."""
    speedup = r["transcripts_s"] / r["load_score_s"]
    return (speedup >= 5.0, f"reading a reference and scoring >= 5x faster than from the "
            f"transcripts (warm): {speedup:.0f}x")


def main(argv: list[str] | None = None) -> int:
    import reallike

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="usi-ref-bench-") as tmp:
        root = Path(tmp) / "real-like"
        reallike.write_release(root, n_sims=1)
        r = bench_reference(root, args.repeats)
    print(report(r))
    ok, line = goal(r)
    print(f"goal {'met   ' if ok else 'MISSED'}  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
