"""One point of the scale curve, run in a fresh process by ``benchmarks/run.py``.

``python benchmarks/scale.py N_SIMULATORS OUT_JSON``: writes a SYNTHETIC release with that
many simulators (3 runs x 166 tasks each, plus 498 human sessions) into a temp folder,
then times ``usi leaderboard`` on it (load + featurize + score + JSON) and records the peak
memory of this process and of its worker processes. The generation is not timed.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from usi_metric.cli import main as usi_main
from usi_metric.runtime import parallel
from usi_metric.samples.synthetic import benchmark_simulators, generate_release

TASKS_PER_DOMAIN = 83  # 166 tasks: the paper has 165


def _vm_hwm_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a live process, in MB (0 when unknown)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure(n_sims: int) -> dict[str, float]:
    """Generate, then time the leaderboard; sizes, seconds and peak memory."""
    with tempfile.TemporaryDirectory(prefix="usi-scale-") as tmp:
        root = generate_release(tmp, n_tasks_per_domain=TASKS_PER_DOMAIN,
                                simulators=benchmark_simulators(n_sims))
        n_sessions = 3 * 2 * TASKS_PER_DOMAIN * (n_sims + 1)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out = io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(out):
            code = usi_main(["leaderboard", "--data-dir", str(root), "--format", "json"])
        seconds = time.perf_counter() - t0
        rows = json.loads(out.getvalue())["rows"]
        workers = [_vm_hwm_mb(pid) for pid in parallel.worker_pids()]
    return {
        "simulators": n_sims,
        "sessions": n_sessions,
        "rows": len(rows),
        "exit_code": code,
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_mb": rss_before,
        "worker_peak_rss_mb": max(workers, default=0.0),
        "workers": len(workers) + 1,
    }


if __name__ == "__main__":
    result = measure(int(sys.argv[1]))
    Path(sys.argv[2]).write_text(json.dumps(result), encoding="utf-8")
