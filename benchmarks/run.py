"""``make bench``: speed, scale, memory and worst-case inputs of usi-metric, measured.

All release data is SYNTHETIC (generated into a temp folder); none of the numbers below is a
result of the paper. What it does:

1. Two releases of the paper's shape, 31 simulators x 3 runs, each with every survey file:
   **real-like** (165 tasks; ``reallike.py``: the test suite's text generator, no user turn
   ever repeats, as in real LLM and human text) and **repeating** (166 tasks; the synthetic
   sample generator, whose templates repeat, so the turn memo skips most of the work). On
   each, the whole ``usi leaderboard`` (read and check the files, featurize, score, JSON)
   with one process and with the automatic choice of processes, against ``paper.py``: the
   project's independent plain reference of the paper's scorer, featurizing again for every
   comparison as the paper's scorer does (and, for scale, as written: once per session).
   Every cell of the two leaderboards must agree to 1e-9, else the benchmark fails.
2. Featurization throughput on the real-like text (and on real tau-bench GPT-4o user text when
   ``--taubench FILE``, a τ-bench results file, is given: ``make bench TAUBENCH=FILE``; else
   the 6 real records shipped in ``tests/data``): the plain reference,
   one process, two processes; the feature matrices must be equal.
3. Scale (``scale.py`` in fresh processes), crafted 1 MB messages (``worst_cases.py``),
   the confidence intervals (``intervals.py``), scoring against a human reference file
   vs from the transcripts (``reference_speed.py``) and the training reward's cost
   (``reward_cost.py``: a whole default ``USIReward`` call vs featurizing its batch).

Usage: ``python benchmarks/run.py [--quick] [--markdown FILE]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import paper  # noqa: E402
import reallike  # noqa: E402
from worst_cases import CASES  # noqa: E402

from usi_metric.cli import main as usi_main  # noqa: E402
from usi_metric.features import batch as feature_batch  # noqa: E402
from usi_metric.features import extract  # noqa: E402
from usi_metric.features.names import COLUMNS  # noqa: E402
from usi_metric.io import release as release_module  # noqa: E402
from usi_metric.io.layout import release_files  # noqa: E402
from usi_metric.io.release import load_release  # noqa: E402
from usi_metric.runtime import parallel  # noqa: E402
from usi_metric.samples.synthetic import benchmark_simulators, generate_release  # noqa: E402
from usi_metric.scoring import leaderboard, rows_json  # noqa: E402

TOLERANCE = 1e-9
MB = 1_000_000
PLAIN_SIZES = (3_000, 100_000)  # the plain patterns on the first 3 KB / 100 KB of a message
# Real τ-bench text for the throughput row: ``--taubench FILE`` (a results file as τ-bench's
# run.py writes it, gzip'd or not), else the 6 records shipped with the tests (provenance in
# tests/data/README.md).
TAUBENCH_SUBSET = HERE.parent / "tests" / "data" / "taubench_gpt-4o_airline_subset.json.gz"


# ----------------------------------------------------------------------------- helpers


def _cold() -> None:
    """Forget everything a previous run left behind: memos and worker processes."""
    extract.clear_memos()
    parallel.shutdown_pool()


@contextlib.contextmanager
def _workers(value: str | None) -> Any:
    """``USI_WORKERS`` set to ``value`` (None: unset, the automatic choice)."""
    env = {k: v for k, v in os.environ.items() if k != parallel.ENV_WORKERS}
    if value is not None:
        env[parallel.ENV_WORKERS] = value
    with mock.patch.dict(os.environ, env, clear=True):
        yield


def run_ours(data_dir: Path, workers: str | None) -> tuple[float, float, list[dict[str, Any]],
                                                          int]:
    """Time ``usi leaderboard --difficulty self --format json`` in this process, cold; return
    (wall s, CPU s of this process, rows, the number of processes it chose for the files)."""
    _cold()
    out = io.StringIO()
    chosen = [1]
    decide = release_module.workers_for

    def spy(seconds: float) -> int:
        chosen[0] = decide(seconds)
        return chosen[0]

    with _workers(workers), mock.patch.object(release_module, "workers_for", spy):
        t0, c0 = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(out):
            code = usi_main(["leaderboard", "--data-dir", str(data_dir), "--difficulty", "self",
                             "--format", "json"])
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if code != 0:
        raise SystemExit(f"usi leaderboard exited with {code}")
    return seconds, cpu, json.loads(out.getvalue())["rows"], chosen[0]


def breakdown(data_dir: Path) -> dict[str, float]:
    """One more cold run in one process, split into reading and checking the files,
    featurizing, scoring (CPU seconds of this process: the machine may be shared)."""
    _cold()
    spent = [0.0]
    real = feature_batch.featurize_many

    def timed(*args: Any, **kwargs: Any) -> Any:
        t = time.process_time()
        try:
            return real(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - t

    with _workers("1"), mock.patch.object(feature_batch, "featurize_many", timed):
        t0 = time.process_time()
        release = load_release(data_dir, strict=False, conversations=False)
        t1 = time.process_time()
        rows_json(leaderboard(release))
        t2 = time.process_time()
    return {"read_s": t1 - t0 - spent[0], "featurize_s": spent[0], "score_s": t2 - t1}


def release_bytes(data_dir: Path) -> int:
    human, sims, surveys = release_files(data_dir)
    return sum(p.stat().st_size for p in [human, *sims, *surveys])


def _fmt_s(x: float | None, timeout: float) -> str:
    return f"> {timeout:.0f} s (killed)" if x is None else f"{x:.3f} s"


# ----------------------------------------------------------------------------- sections


def bench_corpus(name: str, data_dir: Path, repeats: int, once: bool) -> dict[str, Any]:
    """``usi leaderboard`` (one process; automatic) against the paper's scorer, one corpus."""
    print(f"{name}: usi leaderboard ...", flush=True)
    size = release_bytes(data_dir)
    times: dict[str, list[float]] = {"1": [], "auto": []}
    cpu_w1: list[float] = []
    rows: list[dict[str, Any]] = []
    chosen: list[int] = []
    for _ in range(repeats):  # interleaved, so a busy moment of the machine hits both
        for mode in times:
            s, cpu, rows, n = run_ours(data_dir, None if mode == "auto" else mode)
            times[mode].append(s)
            if mode == "auto":
                chosen.append(n)
            else:
                cpu_w1.append(cpu)
    auto = "/".join(str(n) for n in chosen)
    ours = paper.ours_board(rows)
    print(f"{name}: the paper's scorer (featurizes again for every comparison) ...",
          flush=True)
    ref_s, ref_cpu, theirs = paper.score(data_dir, refeaturize=True)
    n_cells, worst = paper.compare(ours, theirs, TOLERANCE)
    out = {"name": name, "bytes": size, "auto_workers": auto, "ref_s": ref_s,
           "ref_cpu_s": ref_cpu, "w1_cpu_s": min(cpu_w1),
           "w1_s": min(times["1"]), "w1_median_s": statistics.median(times["1"]),
           "auto_s": min(times["auto"]), "auto_median_s": statistics.median(times["auto"]),
           "cells": n_cells, "max_abs_diff": worst, "rows": len(ours),
           **breakdown(data_dir), **reallike.repeat_share(data_dir)}
    if once:
        print(f"{name}: the reference as written (featurizes each session once) ...",
              flush=True)
        once_s, _, once_board = paper.score(data_dir, refeaturize=False)
        paper.compare(ours, once_board, TOLERANCE)
        out["ref_once_s"] = once_s
    out["ratio_w1"] = ref_s / out["w1_s"]
    out["ratio_auto"] = ref_s / out["auto_s"]
    out["ratio_w1_cpu"] = ref_cpu / out["w1_cpu_s"]
    print(f"  one worker: {out['ratio_w1_cpu']:.1f}x in CPU time ({ref_cpu:.2f} s vs "
          f"{out['w1_cpu_s']:.2f} s); all cores: {out['ratio_auto']:.1f}x in wall time "
          f"({auto} process(es)); {n_cells} cells agree (largest "
          f"difference {worst:.1e})", flush=True)
    return out


def _matrix(vectors: list[Any]) -> np.ndarray:
    zeros = [0.0] * len(paper.FEATURES)
    return np.array([zeros if v is None else [v[f] for f in paper.FEATURES] for v in vectors])


def bench_featurize(conversations: list[Any], source: str) -> dict[str, Any]:
    """Sessions per second: the plain reference, one process, two processes (cold memos);
    the 19 features must be equal to 1e-9 (they are equal to the bit)."""
    n = len(conversations)
    plain_s, plain = paper.featurize_plain(conversations, source)
    want = _matrix(plain)
    columns = [COLUMNS.index(f) for f in paper.FEATURES]
    out: dict[str, Any] = {"sessions": n, "plain_per_s": n / plain_s}
    for workers in (1, 2):
        _cold()
        t0 = time.perf_counter()
        m, ok = feature_batch.featurize_many(conversations, source, workers=workers)
        out[f"w{workers}_per_s"] = n / (time.perf_counter() - t0)
        got = np.where(ok[:, None], m[:, columns], 0.0)
        diff = float(np.max(np.abs(got - want))) if n else 0.0
        if not diff <= TOLERANCE or ok.tolist() != [v is not None for v in plain]:
            raise AssertionError(f"features with {workers} process(es) differ from the "
                                 f"plain reference (largest difference {diff})")
        out["max_abs_diff"] = diff
    return out


def corpus_conversations(data_dir: Path) -> list[Any]:
    """Every simulator conversation of a release, as read from its JSON files."""
    _, sims, _ = release_files(data_dir)
    out = []
    for p in sims:
        out += [e["conversation"] for e in json.loads(p.read_text("utf-8")).values()]
    return out


def bench_scale(sizes: list[int]) -> list[dict[str, Any]]:
    out = []
    for n_sims in sizes:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
            target = fh.name
        try:
            subprocess.run([sys.executable, str(HERE / "scale.py"), str(n_sims), target],
                           check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
            out.append(json.loads(Path(target).read_text()))
        finally:
            os.unlink(target)
    return out


def _plain_case(text: str, queue: Any) -> None:
    t0 = time.perf_counter()
    paper.featurize_plain([[{"role": "user", "content": text}]], "human")
    queue.put(time.perf_counter() - t0)


def plain_time(text: str, timeout: float) -> float | None:
    """Seconds of the plain featurization of one message, None if killed at ``timeout``."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_plain_case, args=(text, queue))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None
    return queue.get()


def bench_worst(size: int, timeout: float) -> list[dict[str, Any]]:
    out = []
    for name, (what, build) in CASES.items():
        text = build(size)
        t0 = time.perf_counter()
        extract.featurize([{"role": "user", "content": text}], "human")
        fast = time.perf_counter() - t0
        row = {"case": name, "stresses": what, "chars": len(text),
               "utf8_bytes": len(text.encode("utf-8")), "fast_s": fast}
        for k, n in zip(("plain_small_s", "plain_large_s"), PLAIN_SIZES, strict=True):
            row[k] = plain_time(build(n), timeout)
        out.append(row)
    return out


# ----------------------------------------------------------------------------- report


def summary(corpora: list[dict[str, Any]]) -> list[str]:
    lines = [
        "### `usi leaderboard` against the paper's scorer (31 simulators x 3 runs, SYNTHETIC)",
        "",
        "| corpus | sessions | repeated user turns | paper's scorer CPU (wall) | "
        "`usi leaderboard`, 1 process CPU (wall) | automatic wall (processes) | "
        "speed-up, 1 process, CPU | speed-up, automatic, wall |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in corpora:
        lines.append(
            f"| {c['name']} | {c['sessions']:,} | {100 * c['repeat_share']:.1f}% | "
            f"{c['ref_cpu_s']:.2f} s ({c['ref_s']:.2f} s) | {c['w1_cpu_s']:.2f} s "
            f"({c['w1_s']:.2f} s) | {c['auto_s']:.2f} s ({c['auto_workers']}) | "
            f"**{c['ratio_w1_cpu']:.1f}x** | **{c['ratio_auto']:.1f}x** |")
    lines += ["", "Best of the interleaved runs (medians: " + "; ".join(
        f"{c['name']} {c['w1_median_s']:.2f} s / {c['auto_median_s']:.2f} s"
        for c in corpora) + "). The paper's scorer is `tests/paper_reference.py` (plain "
        "Python, numpy and `re`, independent of the package) featurizing every session again "
        "for each comparison, as the paper's scorer does."]
    for c in corpora:
        if "ref_once_s" in c:
            lines.append(f"The same reference featurizing each session only once takes "
                         f"{c['ref_once_s']:.2f} s on the {c['name']} corpus "
                         f"({c['ref_once_s'] / c['w1_s']:.1f}x one process).")
    lines += ["", "Identical numbers: " + "; ".join(
        f"{c['name']}: {c['cells']} cells of {c['rows']} rows, largest difference "
        f"{c['max_abs_diff']:.1e}" for c in corpora) + f" (tolerance {TOLERANCE:g}).", ""]
    for c in corpora:
        lines.append(f"Where one process spends its CPU time ({c['name']}): reading and checking "
                     f"the files {c['read_s']:.2f} s, featurizing {c['featurize_s']:.2f} s, "
                     f"scoring {c['score_s']:.2f} s.")
    return lines


def report(corpora: list[dict[str, Any]], fz: list[tuple[str, dict[str, Any]]],
           scale: list[dict[str, Any]], worst: list[dict[str, Any]], timeout: float,
           extra: list[str]) -> str:
    lines = summary(corpora)
    lines += [
        "",
        "### Featurization (sessions/second, cold memos)",
        "",
        "| text | sessions | plain reference | 1 process | 2 processes |",
        "|---|---|---|---|---|",
    ]
    for name, f in fz:
        lines.append(f"| {name} | {f['sessions']:,} | {f['plain_per_s']:,.0f} | "
                     f"{f['w1_per_s']:,.0f} | {f['w2_per_s']:,.0f} |")
    lines += ["", "The 19 features equal the plain reference's (largest difference " + ", ".join(
        f"{f['max_abs_diff']:.1e}" for _, f in fz) + ")."]
    lines += [
        "",
        "### Scale (fresh process each; `usi leaderboard`, generation not timed)",
        "",
        "| sessions | simulators | seconds | us/session | peak RSS main | peak RSS worker |",
        "|---|---|---|---|---|---|",
    ]
    for s in scale:
        lines.append(f"| {s['sessions']:,} | {s['simulators']} | {s['seconds']:.2f} | "
                     f"{1e6 * s['seconds'] / s['sessions']:.0f} | {s['peak_rss_mb']:.0f} MB | "
                     f"{s['worker_peak_rss_mb']:.0f} MB |")
    lines += [
        "",
        "### Crafted user messages (`featurize` of one message)",
        "",
        "| message | stresses | size | usi-metric | plain `re`, first 3 KB | "
        "plain `re`, first 100 KB |",
        "|---|---|---|---|---|---|",
    ]
    for w in worst:
        lines.append(f"| `{w['case']}` | {w['stresses'].replace('|', '&#124;')} | "
                     f"{w['utf8_bytes'] / MB:.1f} MB | {w['fast_s']:.3f} s | "
                     f"{_fmt_s(w['plain_small_s'], timeout)} | "
                     f"{_fmt_s(w['plain_large_s'], timeout)} |")
    return "\n".join(lines + ["", *extra]) + "\n"


def goals(corpora: list[dict[str, Any]], scale: list[dict[str, Any]],
          worst: list[dict[str, Any]]) -> list[tuple[bool, str]]:
    """The issue's goals, each met or MISSED (performance depends on the machine, so a miss
    is reported, not turned into a failure; wrong numbers are a failure)."""
    real = corpora[0]
    slowest = max(worst, key=lambda w: w["fast_s"])
    big = scale[-1]
    peak_gb = (big["peak_rss_mb"] + big["worker_peak_rss_mb"]) / 1000
    per = [s["seconds"] / s["sessions"] for s in scale]
    checks = [(real["ratio_w1_cpu"] >= 10,
               f"one worker >= 10x the paper's scorer in CPU time on text that never repeats: "
               f"{real['ratio_w1_cpu']:.1f}x"),
              (real["ratio_auto"] >= 10,
               f"all cores >= 10x the paper's scorer in wall time on text that never repeats: "
               f"{real['ratio_auto']:.1f}x")]
    for c in corpora:
        checks.append((c["auto_s"] <= c["w1_median_s"],
                       f"automatic processes ({c['auto_workers']}) never slower than one "
                       f"({c['name']}): {c['auto_s']:.2f} s vs {c['w1_s']:.2f} s"))
    checks += [
        (slowest["fast_s"] < 1.0, f"any 1 MB message under 1 s: slowest "
                                  f"{slowest['fast_s']:.2f} s ({slowest['case']})"),
        (big["sessions"] >= 100_000 and peak_gb < 2.0,
         f"{big['sessions']:,} sessions under 2 GB: main + worker peak {peak_gb:.2f} GB"),
        (max(per) / min(per) < 1.5, f"linear cost: {1e6 * min(per):.0f}-{1e6 * max(per):.0f} "
                                    "us/session over the three sizes"),
    ]
    return checks


def _intervals(root: Path) -> tuple[list[str], list[tuple[bool, str]]]:
    """The confidence-interval section (``intervals.py``), when it is there."""
    try:
        import intervals
    except ImportError:
        return [], []
    print("confidence intervals ...", flush=True)
    iv = intervals.bench_intervals(root)
    return [intervals.report(iv)], [intervals.goal(iv)]


def _reference(root: Path) -> tuple[list[str], list[tuple[bool, str]]]:
    """Scoring against a human reference file vs from the transcripts
    (``reference_speed.py``)."""
    import reference_speed

    print("human reference ...", flush=True)
    r = reference_speed.bench_reference(root)
    return [reference_speed.report(r)], [reference_speed.goal(r)]


def _reward_cost() -> tuple[list[str], list[tuple[bool, str]]]:
    """The training reward's cost (``reward_cost.py``): a whole default call vs featurizing."""
    import reward_cost

    print("training reward cost ...", flush=True)
    res = reward_cost.bench_reward_cost()
    return [reward_cost.report(res)], [reward_cost.goal(res)]


def _training_signal(quick: bool) -> tuple[list[str], list[tuple[bool, str]]]:
    """Proof that the reward trains (``training_signal.py``): a toy simulator trained under
    each credit, the proxy and the task outcome, with a CMA-ES ceiling."""
    import training_signal

    print("training signal (toy simulator) ...", flush=True)
    budget = training_signal.QUICK if quick else training_signal.Budget()
    res = training_signal.run(2 if quick else 10, budget)
    return [training_signal.report(res)], [training_signal.goal(res)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    ap.add_argument("--markdown", help="also write the tables to this file")
    ap.add_argument("--taubench", type=Path, default=TAUBENCH_SUBSET,
                    help="a real tau-bench results file for the featurization row (default: "
                         "the 6 records shipped in tests/data)")
    args = ap.parse_args(argv)
    t_start = time.perf_counter()
    n_sims = 4 if args.quick else 31
    sizes = [20, 40, 80] if args.quick else [50, 100, 200]
    msg_size = 100_000 if args.quick else MB
    timeout = 2.0 if args.quick else 10.0
    repeats = 2 if args.quick else 3
    print(f"usi-metric benchmark on {platform.processor() or platform.machine()}, "
          f"{parallel.available_cores()} cores, Python {platform.python_version()} "
          "(all data SYNTHETIC)", flush=True)
    extra: list[str] = []
    more_goals: list[tuple[bool, str]] = []
    fz: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="usi-bench-") as tmp:
        real_like = Path(tmp) / "real-like"
        print("writing the real-like release ...", flush=True)
        reallike.write_release(real_like, n_sims=n_sims)
        repeating = generate_release(Path(tmp) / "repeating", n_tasks_per_domain=83,
                                     simulators=benchmark_simulators(n_sims))
        try:
            corpora = [bench_corpus("real-like", real_like, repeats, once=True),
                       bench_corpus("repeating", repeating, repeats, once=False)]
            print("featurization throughput ...", flush=True)
            fz.append(("real-like (simulators)", bench_featurize(
                corpus_conversations(real_like), "llm")))
            if args.taubench.is_file():
                convs = reallike.taubench_conversations(args.taubench)
                fz.append((f"tau-bench user turns (real, {len(convs)} trajectories)",
                           bench_featurize(convs, "llm")))
            else:
                print(f"no tau-bench file at {args.taubench}: the real-text row is left out",
                      flush=True)
        except AssertionError as exc:
            print(f"FAILED: different numbers: {exc}")
            return 1
        iv_text, iv_goals = _intervals(repeating)
        extra += iv_text
        more_goals += iv_goals
        ref_text, ref_goals = _reference(real_like)
        extra += ref_text
        more_goals += ref_goals
    rc_text, rc_goals = _reward_cost()
    extra += rc_text
    more_goals += rc_goals
    ts_text, ts_goals = _training_signal(args.quick)
    extra += ts_text
    more_goals += ts_goals
    print("scale (fresh processes) ...", flush=True)
    scale = bench_scale(sizes)
    print("crafted messages ...", flush=True)
    worst = bench_worst(msg_size, timeout)
    parallel.shutdown_pool()
    text = report(corpora, fz, scale, worst, timeout, extra)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text += (f"\nPeak RSS of the benchmark process itself: {peak:.0f} MB. "
             f"Total benchmark time: {time.perf_counter() - t_start:.0f} s.\n")
    print()
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    for ok, line in goals(corpora, scale, worst) + more_goals:
        print(f"goal {'met   ' if ok else 'MISSED'}  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
