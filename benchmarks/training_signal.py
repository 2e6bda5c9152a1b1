"""Proof that the USI trains (issue 21.4): a toy user simulator (``toy_simulator.py``) trained
by a group-baseline policy gradient under several rewards, judged by the real USI against
people held out of the reward's reference.

Arms (same start, same budget, same seeds): ``balanced`` (the default credit), ``gradient``
(USI_SPEC §14), ``difference`` (exact marginal contribution), ``proxy`` (OdysSim's EMA
moment-matching reward, written here from the definition in its ``agents/tau_usi/reward.py``),
``outcome`` (task success only), and a ceiling: CMA-ES over the toy's parameters directly
on the batch USI against the same people, with more budget.

The people: the bundled SYNTHETIC sample (``HumanReference.synthetic()``, 3 batches); the
reward sees batches 1 and 2, batch 3 is held out and judges every arm, on evaluation batches
of 504 rollouts (9 per held-out task). Difficulty: the published map.

Usage: ``python benchmarks/training_signal.py [--quick] [--seeds 10] [--png PATH]``;
``make bench`` runs it (``benchmarks/run.py``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from toy_simulator import ToySimulator  # noqa: E402

from usi_metric.errors import UsiWarning  # noqa: E402
from usi_metric.features.batch import featurize_many  # noqa: E402
from usi_metric.features.names import DIMENSION_KEYS, DIMENSIONS, FEATURE_NAMES  # noqa: E402
from usi_metric.reference import HumanReference  # noqa: E402
from usi_metric.scoring.score import published_difficulty  # noqa: E402
from usi_metric.training import credit as credit_mod  # noqa: E402

N_F = len(FEATURE_NAMES)
ARMS: tuple[str, ...] = ("balanced", "gradient", "difference", "proxy", "outcome")
TRAIN_BATCHES = ("1", "2")
HELD_OUT = "3"


@dataclass(frozen=True)
class Budget:
    """The training budget, fixed before looking at any arm."""

    steps: int = 40          # policy-gradient steps
    tasks_per_step: int = 8  # tasks in a step's batch
    group: int = 8           # rollouts per task (the group of the baseline)
    lr: float = 0.1          # Adam step size
    eval_every: int = 5      # held-out evaluation every this many steps
    eval_per_task: int = 9   # rollouts per held-out task in an evaluation batch
    cma_gens: int = 120      # CMA-ES generations (ceiling)
    cma_batch: int = 116     # rollouts per CMA-ES candidate (each reward task twice)
    cma_seeds: int = 1
    cma_evals: int = 5       # evaluation batches of the ceiling's final policy

    @property
    def arm_rollouts(self) -> int:
        return self.steps * self.tasks_per_step * self.group


QUICK = Budget(steps=3, tasks_per_step=4, group=4, eval_every=3, eval_per_task=1,
               cma_gens=2, cma_batch=12, cma_seeds=1, cma_evals=1)


# ----------------------------------------------------------------------------- the setting


@dataclass
class Setting:
    """The people, the yardstick and the tasks."""

    train: credit_mod.HumanSide
    held: credit_mod.HumanSide
    held_ref: HumanReference
    difficulty: dict[str, float]
    train_tasks: list[str]
    held_tasks: list[str]
    proxy_target: np.ndarray  # pooled mean of the reward's people (OdysSim's human targets)
    proxy_reward: dict[str, float]  # per task: one person's outcome (OdysSim's human instance)


def setting() -> Setting:
    ref = HumanReference.synthetic()
    train_ref, held_ref = ref.select(list(TRAIN_BATCHES)), ref.select([HELD_OUT])
    train = credit_mod.HumanSide.from_sessions(train_ref.humans(), train_ref.batches)
    held = credit_mod.HumanSide.from_sessions(held_ref.humans(), held_ref.batches)
    diff = dict(published_difficulty().values)
    train_tasks = sorted({t for hb in train.batches for t in hb.task_keys if t in diff})
    held_tasks = sorted({t for hb in held.batches for t in hb.task_keys if t in diff})
    rows = np.vstack([hb.features[hb.has_features] for hb in train.batches])
    outcome: dict[str, float] = {}
    for hb in train.batches:  # the first reward batch that did the task
        for t, s in zip(hb.task_keys, hb.success, strict=True):
            outcome.setdefault(t, float(s))
    return Setting(train, held, held_ref, diff, train_tasks, held_tasks, rows.mean(axis=0),
                   outcome)


def rollouts(toy: ToySimulator, theta: np.ndarray, tasks: Sequence[str], st: Setting,
             rng: np.random.Generator) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """Conversations, successes and score functions of one rollout per task listed."""
    convs, succ, grads = [], [], []
    for t in tasks:
        c, s, g = toy.rollout(theta, st.difficulty[t], rng)
        convs.append(c)
        succ.append(s)
        grads.append(g)
    return convs, np.array(succ, dtype=float), np.array(grads)


def features(convs: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The real featurizer, as ``USIReward`` calls it."""
    X, has = featurize_many(convs, "llm", workers=1)
    return X[:, :N_F], has


def held_out_usi(toy: ToySimulator, theta: np.ndarray, st: Setting, rng: np.random.Generator,
                 per_task: int) -> float:
    """The real USI of the policy against the held-out batch (an evaluation batch of
    ``per_task`` rollouts per held-out task)."""
    tasks = [t for _ in range(per_task) for t in st.held_tasks]
    convs, succ, _ = rollouts(toy, theta, tasks, st, rng)
    X, has = features(convs)
    u = credit_mod.batch_usi(X, has, tasks, succ, st.held, st.difficulty)
    return float("nan") if u is None else u


# ----------------------------------------------------------------------------- the proxy


class MomentProxy:
    """OdysSim's moment-matching proxy (``agents/tau_usi/reward.py``, mode "mse"), written
    from its definition: an EMA ``mu`` of the simulator's features (alpha 0.1, updated with
    each rollout before its reward is read, kept across steps); per feature the weight
    ``h_k - mu_k``, zero inside the dead zone ``|h_k - mu_k| <= ci_z * sigma_fallback = 0.1``;
    per dimension the mean of ``w_k * x_k``; the outcome part ``(1 - |round(s) - round(p_t)|)
    * 100`` against the person of the task; the total the mean of the six parts (D1-D4, the
    outcome part and an eval-agreement part that is 0 without surveys)."""

    def __init__(self, target: np.ndarray, outcome: dict[str, float], alpha: float = 0.1,
                 dead_zone: float = 1.0 * 0.1) -> None:
        self.h, self.outcome, self.alpha, self.dead = target, outcome, alpha, dead_zone
        self.mu: np.ndarray | None = None
        self.dims = [np.array([FEATURE_NAMES.index(f) for f in DIMENSIONS[k]])
                     for k in DIMENSION_KEYS]

    def __call__(self, X: np.ndarray, has: np.ndarray, tasks: Sequence[str],
                 succ: np.ndarray) -> np.ndarray:
        out = np.zeros(len(tasks))
        for i, t in enumerate(tasks):
            parts = [0.0] * 6
            if has[i]:
                x = X[i]
                self.mu = x.copy() if self.mu is None else (
                    (1 - self.alpha) * self.mu + self.alpha * x)
                gap = self.h - self.mu
                w = np.where(np.abs(gap) <= self.dead, 0.0, gap)
                for d, idx in enumerate(self.dims):
                    parts[d] = float(np.mean(w[idx] * x[idx]))
            if t in self.outcome:
                parts[4] = (1.0 - abs(round(succ[i]) - round(self.outcome[t]))) * 100.0
            out[i] = sum(parts) / 6.0
        return out


# ----------------------------------------------------------------------------- training


def reward_fn(arm: str, st: Setting) -> Callable[..., np.ndarray]:
    if arm == "proxy":
        return MomentProxy(st.proxy_target, st.proxy_reward)
    if arm == "outcome":
        return lambda X, has, tasks, succ: succ.astype(float)
    fn = {"balanced": credit_mod.balanced_credits, "gradient": credit_mod.gradient_credits,
          "difference": credit_mod.difference_credits}[arm]

    def credit(X: np.ndarray, has: np.ndarray, tasks: Sequence[str],
               succ: np.ndarray) -> np.ndarray:
        c = fn(X, has, tasks, succ, st.train, st.difficulty)
        return np.where(np.isnan(c), 0.0, c)

    return credit


def group_advantages(r: np.ndarray, groups: int, size: int) -> np.ndarray:
    """GRPO's advantage: per task group ``(r - mean) / std`` (0 for a group without spread).

    >>> group_advantages(np.array([1.0, 3.0, 5.0, 5.0]), 2, 2).tolist()
    [-1.0, 1.0, 0.0, 0.0]
    """
    R = r.reshape(groups, size)
    sd = R.std(axis=1, keepdims=True)
    A = np.where(sd > 1e-12, (R - R.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1), 0)
    return A.reshape(-1)


class Adam:
    """Plain Adam (ascent)."""

    def __init__(self, n: int, lr: float) -> None:
        self.lr, self.m, self.v, self.t = lr, np.zeros(n), np.zeros(n), 0

    def step(self, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
        self.t += 1
        self.m = 0.9 * self.m + 0.1 * g
        self.v = 0.999 * self.v + 0.001 * g * g
        mh, vh = self.m / (1 - 0.9**self.t), self.v / (1 - 0.999**self.t)
        return theta + self.lr * mh / (np.sqrt(vh) + 1e-8)


def train(arm: str, seed: int, st: Setting, b: Budget, toy: ToySimulator
          ) -> tuple[list[tuple[int, float]], np.ndarray]:
    """One arm, one seed: the held-out USI every ``eval_every`` steps (from step 0), and the
    final policy."""
    rng = np.random.default_rng([seed, 1])  # rollouts: the same stream for every arm
    erng_seed = [seed, 2]
    theta = toy.start()
    opt = Adam(theta.size, b.lr)
    rfn = reward_fn(arm, st)
    curve = []
    for step in range(b.steps + 1):
        if step % b.eval_every == 0 or step == b.steps:
            erng = np.random.default_rng([*erng_seed, step])
            curve.append((step, held_out_usi(toy, theta, st, erng, b.eval_per_task)))
        if step == b.steps:
            break
        idx = rng.choice(len(st.train_tasks), b.tasks_per_step, replace=False)
        tasks = [st.train_tasks[i] for i in idx for _ in range(b.group)]
        convs, succ, G = rollouts(toy, theta, tasks, st, rng)
        X, has = features(convs)
        r = rfn(X, has, tasks, succ)
        A = group_advantages(r, b.tasks_per_step, b.group)
        theta = opt.step(theta, A @ G / len(A))
    return curve, theta


# ----------------------------------------------------------------------------- ceiling


def cma_es(seed: int, st: Setting, b: Budget, toy: ToySimulator
           ) -> tuple[np.ndarray, list[tuple[int, float]]]:
    """CMA-ES (rank-mu and rank-one updates, cumulative step size) maximising the batch USI
    against the reward's people directly over the toy's parameters. Returns the final mean
    and the fitness of the mean per generation (on the reward's people)."""
    rng = np.random.default_rng([seed, 3])
    n = toy.n_params
    lam = 4 + int(3 * math.log(n))
    mu = lam // 2
    w = np.log(mu + 0.5) - np.log(np.arange(1, mu + 1))
    w /= w.sum()
    mueff = 1 / np.sum(w**2)
    cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n)
    cs = (mueff + 2) / (n + mueff + 5)
    c1 = 2 / ((n + 1.3) ** 2 + mueff)
    cmu = min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((n + 2) ** 2 + mueff))
    damps = 1 + 2 * max(0, math.sqrt((mueff - 1) / (n + 1)) - 1) + cs
    chin = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))
    mean, sigma = toy.start(), 0.5
    C, pc, ps = np.eye(n), np.zeros(n), np.zeros(n)
    trace = []
    for gen in range(b.cma_gens):
        vals, Bm = np.linalg.eigh(C)
        D = np.sqrt(np.maximum(vals, 1e-20))
        Z = rng.standard_normal((lam, n))
        Y = Z * D @ Bm.T
        cand = mean + sigma * Y
        # common random numbers: every candidate of a generation meets the same tasks and
        # the same random stream, so their ranking is not drowned by rollout noise
        tasks = [st.train_tasks[i % len(st.train_tasks)]
                 for i in rng.permutation(b.cma_batch)]  # every task as evenly as it can
        crn = int(rng.integers(2**32))
        fit = np.array([_fitness(c, tasks, st, toy, np.random.default_rng(crn))
                        for c in cand])
        order = np.argsort(-fit)
        ysel = Y[order[:mu]]
        yw = w @ ysel
        mean = mean + sigma * yw
        invsqrt = Bm @ np.diag(1 / D) @ Bm.T
        ps = (1 - cs) * ps + math.sqrt(cs * (2 - cs) * mueff) * invsqrt @ yw
        hsig = (np.linalg.norm(ps) / math.sqrt(1 - (1 - cs) ** (2 * (gen + 1))) / chin
                < 1.4 + 2 / (n + 1))
        pc = (1 - cc) * pc + hsig * math.sqrt(cc * (2 - cc) * mueff) * yw
        C = ((1 - c1 - cmu) * C + c1 * (np.outer(pc, pc) + (1 - hsig) * cc * (2 - cc) * C)
             + cmu * (ysel.T * w) @ ysel)
        sigma *= math.exp((cs / damps) * (np.linalg.norm(ps) / chin - 1))
        trace.append((gen, float(fit[order[0]])))
    return mean, trace


def _fitness(theta: np.ndarray, tasks: list[str], st: Setting, toy: ToySimulator,
             rng: np.random.Generator) -> float:
    convs, succ, _ = rollouts(toy, theta, tasks, st, rng)
    X, has = features(convs)
    u = credit_mod.batch_usi(X, has, tasks, succ, st.train, st.difficulty)
    return -1e9 if u is None else u


# ----------------------------------------------------------------------------- report


# Student t quantiles (0.975) by degrees of freedom (between rows: the smaller df's)
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131,
         16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 25: 2.060, 30: 2.042}


def interval(values: Sequence[float]) -> tuple[float, float]:
    """Mean and the half-width of its 95% interval (Student t over seeds).

    >>> interval([1.0, 3.0])
    (2.0, 12.706)
    """
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return float(v.mean()), float("nan")
    df = len(v) - 1
    t = next(q for d, q in sorted(_T975.items(), reverse=True) if d <= df)  # conservative
    return float(v.mean()), float(t * v.std(ddof=1) / math.sqrt(len(v)))


def check_against_score_batch(st: Setting, toy: ToySimulator) -> float:
    """The evaluation's USI (array level) against ``usi_metric.score_batch`` on one batch."""
    from usi_metric import score_batch

    rng = np.random.default_rng(7)
    tasks = list(st.held_tasks) * 2
    convs, succ, _ = rollouts(toy, toy.start(), tasks, st, rng)
    X, has = features(convs)
    ours = credit_mod.batch_usi(X, has, tasks, succ, st.held, st.difficulty)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UsiWarning)
        real = score_batch(st.held_ref, convs, task_keys=tasks, rewards=list(succ))
    return abs(float(ours) - float(real["usi"]["mean"]))


def run(seeds: int, b: Budget, arms: Sequence[str] = ARMS, log: Callable[[str], None] = print
        ) -> dict[str, Any]:
    toy, st = ToySimulator(), setting()
    t0, c0 = time.perf_counter(), time.process_time()
    res: dict[str, Any] = {"budget": b, "seeds": seeds, "curves": {},
                           "check": check_against_score_batch(st, toy)}
    for arm in arms:
        t = time.perf_counter()
        out = [train(arm, s, st, b, toy) for s in range(seeds)]
        res["curves"][arm] = [c for c, _ in out]
        res.setdefault("policies", {})[arm] = [th for _, th in out]
        finals = [c[-1][1] for c in res["curves"][arm]]
        log(f"  {arm:<10} held-out USI {np.mean(finals):6.2f} ({time.perf_counter() - t:.0f} s)")
    t = time.perf_counter()
    ceil = []
    for s in range(b.cma_seeds):
        mean, trace = cma_es(s, st, b, toy)
        vals = [held_out_usi(toy, mean, st, np.random.default_rng([s, 4, k]), b.eval_per_task)
                for k in range(b.cma_evals)]
        ceil.append(float(np.mean(vals)))
    res["ceiling"] = ceil
    res["cma_rollouts"] = b.cma_gens * (4 + int(3 * math.log(toy.n_params))) * b.cma_batch
    if ceil:
        log(f"  {'ceiling':<10} held-out USI {np.mean(ceil):6.2f} "
            f"({time.perf_counter() - t:.0f} s)")
    res["seconds"] = time.perf_counter() - t0
    res["cpu_seconds"] = time.process_time() - c0
    return res


def diagnose(res: dict[str, Any], st: Setting | None = None) -> str:
    """Where the arms' final policies stand, feature by feature: the mean over seeds of each
    final policy's feature means (one evaluation batch each) beside the held-out people's,
    for the features where some arm's Dice with the people is below 0.9."""
    toy, st = ToySimulator(), st or setting()
    held = np.vstack([hb.features[hb.has_features] for hb in st.held.batches]).mean(axis=0)
    means = {}
    for arm, thetas in res["policies"].items():
        per = []
        for s, th in enumerate(thetas):
            tasks = list(st.held_tasks) * res["budget"].eval_per_task
            convs, _, _ = rollouts(toy, th, tasks, st, np.random.default_rng([s, 5]))
            X, has = features(convs)
            per.append(X[has].mean(axis=0))
        means[arm] = np.mean(per, axis=0)

    def dice(h: float, m: float) -> float:
        return 1.0 if h + m == 0 else 2 * min(h, m) / (h + m)

    arms = list(means)
    lines = ["", "Final policies, feature by feature (mean over seeds; features where an arm's "
             "Dice with the held-out people is below 0.9):", "",
             "| feature | held-out people | " + " | ".join(arms) + " |",
             "|---|---|" + "---|" * len(arms)]
    for k, f in enumerate(FEATURE_NAMES):
        if min(dice(held[k], means[a][k]) for a in arms) < 0.9:
            lines.append(f"| {f} | {held[k]:.3f} | "
                         + " | ".join(f"{means[a][k]:.3f}" for a in arms) + " |")
    return "\n".join(lines) + "\n"


def table(res: dict[str, Any]) -> tuple[list[dict[str, Any]], float, float]:
    """Per arm: final held-out USI (mean, 95% half-width), share of the start-to-ceiling gap,
    first evaluated step where the mean curve closes 90% of the gap."""
    curves = res["curves"]
    starts = [c[0][1] for cs in curves.values() for c in cs]
    start = float(np.mean(starts))
    ceiling = float(np.mean(res["ceiling"])) if res["ceiling"] else float("nan")
    rows = []
    for arm, cs in curves.items():
        finals = [c[-1][1] for c in cs]
        m, half = interval(finals)
        steps = [s for s, _ in cs[0]]
        mean_curve = np.mean([[u for _, u in c] for c in cs], axis=0)
        gap = ceiling - start
        reach = next((s for s, u in zip(steps, mean_curve, strict=True)
                      if gap > 0 and u - start >= 0.9 * gap), None)  # nan gap: None
        rows.append({"arm": arm, "mean": m, "half": half,
                     "share": (m - start) / gap if gap else float("nan"),
                     "steps90": reach, "curve": (steps, mean_curve.tolist())})
    return rows, start, ceiling


def report(res: dict[str, Any]) -> str:
    rows, start, ceiling = table(res)
    b = res["budget"]
    lines = [f"\nTraining signal (toy user simulator, {res['seeds']} seeds, {b.steps} steps x "
             f"{b.tasks_per_step} tasks x {b.group} rollouts; held-out USI on "
             f"{b.eval_per_task} rollouts per held-out task):", "",
             "| arm | final held-out USI (95% CI over seeds) | share of the start-to-ceiling "
             "gap | first step at 90% of the gap |", "|---|---|---|---|"]
    for r in rows:
        reach = "never" if r["steps90"] is None else str(r["steps90"])
        lines.append(f"| {r['arm']} | {r['mean']:.2f} ± {r['half']:.2f} | "
                     f"{100 * r['share']:.0f}% | {reach} |")
    lines += [f"| start | {start:.2f} | 0% | |",
              f"| ceiling (CMA-ES, {res['cma_rollouts']:,} rollouts per seed vs "
              f"{b.arm_rollouts:,} per arm) | {ceiling:.2f} "
              f"({', '.join(f'{c:.2f}' for c in res['ceiling'])}) | 100% | |", "",
              f"Held-out USI at array level vs usi_metric.score_batch: largest difference "
              f"{res['check']:.1e}. Time: {res['seconds']:.0f} s "
              f"({res['cpu_seconds']:.0f} s of CPU, one process)."]
    return "\n".join(lines) + "\n"


def plot(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, start, ceiling = table(res)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for r in rows:
        steps, mc = r["curve"]
        cs = res["curves"][r["arm"]]
        per = np.array([[u for _, u in c] for c in cs])
        sd = per.std(axis=0, ddof=1) / math.sqrt(len(cs)) if len(cs) > 1 else 0 * per[0]
        ax.plot(steps, mc, marker="o", ms=3, label=r["arm"])
        ax.fill_between(steps, mc - 1.96 * sd, mc + 1.96 * sd, alpha=0.15)
    if res["ceiling"]:
        ax.axhline(ceiling, color="k", ls="--", lw=1, label="ceiling (CMA-ES)")
    ax.set_xlabel("policy-gradient step")
    ax.set_ylabel("held-out USI")
    ax.set_title("Toy user simulator trained under each reward (SYNTHETIC people)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


def goal(res: dict[str, Any]) -> tuple[bool, str]:
    rows, _, _ = table(res)
    by = {r["arm"]: r for r in rows}
    if "balanced" not in by or "proxy" not in by:
        return True, "training signal: arms missing"
    d, p = by["balanced"], by["proxy"]
    fast = (d["steps90"] is not None and (p["steps90"] is None
                                          or d["steps90"] <= p["steps90"]))
    ok = d["share"] >= 0.9 and fast
    return ok, (f"default credit closes >= 90% of the gap, at least as fast as the proxy: "
                f"{100 * d['share']:.0f}% (step {d['steps90']}) vs proxy "
                f"{100 * p['share']:.0f}% (step {p['steps90']})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a tiny smoke run")
    ap.add_argument("--seeds", type=int, default=None, help="seeds per arm (default 10)")
    ap.add_argument("--steps", type=int, default=None, help="policy-gradient steps")
    ap.add_argument("--tasks", type=int, default=None, help="tasks per step")
    ap.add_argument("--group", type=int, default=None, help="rollouts per task and step")
    ap.add_argument("--arms", default=",".join(ARMS), help="comma-separated arms")
    ap.add_argument("--no-ceiling", action="store_true", help="skip the CMA-ES ceiling")
    ap.add_argument("--png", help="write the learning curves to this PNG")
    args = ap.parse_args(argv)
    b = QUICK if args.quick else Budget()
    for flag, field in (("steps", "steps"), ("tasks", "tasks_per_step"), ("group", "group")):
        if getattr(args, flag) is not None:
            b = Budget(**{**b.__dict__, field: getattr(args, flag)})
    if args.no_ceiling:
        b = Budget(**{**b.__dict__, "cma_seeds": 0})
    seeds = args.seeds if args.seeds is not None else (2 if args.quick else 10)
    print("training signal (toy simulator, SYNTHETIC people) ...", flush=True)
    res = run(seeds, b, [a for a in args.arms.split(",") if a])
    print(report(res))
    print(diagnose(res))
    if args.png:
        plot(res, Path(args.png))
        print(f"learning curves: {args.png}")
    ok, line = goal(res)
    if res["ceiling"]:
        print(f"goal {'met   ' if ok else 'MISSED'}  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
