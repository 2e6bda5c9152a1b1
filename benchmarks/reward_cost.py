"""The training reward's cost (issue 21.3): a whole default ``USIReward`` call on 1,024
rollouts of text that never repeats, against featurizing the same batch alone (the price
that cannot be avoided). Goal: the call costs at most 2x featurizing (total, not overhead).

Usage: ``python benchmarks/reward_cost.py [--n 1024]``; ``make bench`` runs it too.
All text is SYNTHETIC (the test suite's generator, each user turn made unique).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from rollout_gen import make_rollouts  # noqa: E402

from usi_metric.errors import UsiWarning  # noqa: E402
from usi_metric.features.batch import featurize_many  # noqa: E402
from usi_metric.features.extract import clear_memos  # noqa: E402
from usi_metric.reference import HumanReference  # noqa: E402
from usi_metric.training.reward import USIReward  # noqa: E402


def unique_batch(keys: list[str], n: int, seed: int = 0) -> list[tuple[str, list, float]]:
    """``n`` rollouts over ``keys``; every user turn carries a word of its own."""
    rolls: list[tuple[str, list, float]] = []
    s = seed
    while len(rolls) < n:
        rolls += make_rollouts(keys, seed=s, per_task=1)
        s += 1
    out = []
    for i, (t, conv, r) in enumerate(rolls[:n]):
        fresh = [dict(m, content=f"{m['content']} zq{i}x{j}")
                 if m.get("role") == "user" and isinstance(m.get("content"), str) else m
                 for j, m in enumerate(conv)]
        out.append((t, fresh, r))
    return out


def bench_reward_cost(n: int = 1024, repeats: int = 3) -> dict[str, Any]:
    ref = HumanReference.synthetic()
    keys = sorted({s.task_key for s in ref.humans().sessions})
    rolls = unique_batch(keys, n)
    convs = [c for _, c, _ in rolls]
    tasks = [t for t, _, _ in rolls]
    rewards = [r for _, _, r in rolls]
    fn = USIReward(ref)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UsiWarning)
        fn(convs[:8], task_key=tasks[:8], reward=rewards[:8])  # set-up of the reference
        feat, whole = [], []
        for _ in range(repeats):
            clear_memos()
            t0 = time.perf_counter()
            featurize_many(convs, "llm", workers=1)
            feat.append(time.perf_counter() - t0)
            clear_memos()
            t0 = time.perf_counter()
            fn(convs, task_key=tasks, reward=rewards)
            whole.append(time.perf_counter() - t0)
    f, w = statistics.median(feat), statistics.median(whole)
    return {"n": n, "featurize_s": f, "reward_s": w, "ratio": w / f}


def report(res: dict[str, Any]) -> str:
    return (f"\nTraining reward cost ({res['n']:,} rollouts, text that never repeats): "
            f"featurize alone {res['featurize_s'] * 1e3:.0f} ms, whole default USIReward "
            f"call {res['reward_s'] * 1e3:.0f} ms, ratio {res['ratio']:.2f}x\n")


def goal(res: dict[str, Any]) -> tuple[bool, str]:
    return (res["ratio"] <= 2.0,
            f"reward call <= 2x featurizing its batch: {res['ratio']:.2f}x")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1024)
    args = ap.parse_args(argv)
    res = bench_reward_cost(args.n)
    print(report(res))
    ok, line = goal(res)
    print(f"goal {'met   ' if ok else 'MISSED'}  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
