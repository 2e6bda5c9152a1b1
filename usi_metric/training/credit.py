"""Each rollout's credit in a batch's USI (USI_SPEC §14, docs/training.md "Credits").

Array-level pure functions: the rollouts come as arrays (``X``: the 19 features in raw
units, rates as fractions, one row per rollout; ``has``: the rollout yields features;
``tasks``: task keys; ``success``: 0/1), the people as a ``HumanSide`` (per human batch its
kept sessions' base ids, task keys, features and successes) and a fixed difficulty map.

- ``difference_credits``: ``USI(B) - USI(B without i)`` (§8 on the batch written in the
  rollout form), exact, from running sums per run and per batch; NaN where either is none.
- ``gradient_credits``: ``dU/dw_i`` of §14's smooth surrogate ``U(w)``; sums to 0.
- ``balanced_credits`` (the default of ``USIReward``): the low-variance credit with the
  USI's structure (formula in its docstring); sums to 0.

``terms`` restricts every credit to some of the five terms (``D1_conv``, ``D2_info``,
``D3_clarif``, ``D4_react``, ``ece``): the mean over the chosen terms replaces the mean over
five.

>>> import numpy as np
>>> hs = HumanSide.from_arrays(["1"], [["t1", "t2"]], [["t1", "t2"]],
...                            [np.full((2, 19), 0.5)], [[True, True]], [[1, 0]])
>>> X = np.vstack([np.full(19, 0.2), np.full(19, 0.8)])
>>> c = gradient_credits(X, [True, True], ["t1", "t2"], [1, 1], hs, {"t1": .5, "t2": .5})
>>> round(float(c.sum()), 12)
0.0
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from usi_metric.aggregation.ece import BIN_EDGES, N_BINS
from usi_metric.aggregation.rows import SCALE
from usi_metric.errors import UsiError
from usi_metric.features.names import DIMENSION_KEYS, DIMENSIONS, FEATURE_NAMES
from usi_metric.io.ids import batch_order

N_FEATURES = len(FEATURE_NAMES)
TERMS: tuple[str, ...] = (*DIMENSION_KEYS, "ece")
# dimension index of each feature (0..3), in FEATURE_NAMES order
_DIM_OF = np.array([next(d for d, k in enumerate(DIMENSION_KEYS) if f in DIMENSIONS[k])
                    for f in FEATURE_NAMES])
_DIM_SIZE = np.array([len(DIMENSIONS[k]) for k in DIMENSION_KEYS], dtype=float)
_SCALE19 = SCALE[:N_FEATURES]


def term_weights(terms: Sequence[str] | None) -> tuple[np.ndarray, float]:
    """``(weight of each dimension's mean Dice x 100, weight of (1-ECE) x 100)`` in a batch's
    USI: ``1/5`` each for the five terms, ``1/T`` for the ``T`` chosen ones.

    >>> term_weights(["D4_react"])
    (array([0., 0., 0., 1.]), 0.0)
    """
    chosen = TERMS if terms is None else tuple(terms)
    bad = [t for t in chosen if t not in TERMS]
    if bad or not chosen:
        raise UsiError(f"terms must be some of {', '.join(TERMS)}; got {list(chosen)}",
                       field="terms")
    w = 1.0 / len(set(chosen))
    dims = np.array([w if k in chosen else 0.0 for k in DIMENSION_KEYS])
    return dims, (w if "ece" in chosen else 0.0)


def bins_of(values: np.ndarray) -> np.ndarray:
    """Difficulty bin (0..4) of each value, as ``aggregation.ece.bin_index``.

    >>> bins_of(np.array([0.0, 0.2, 0.8, 1.0])).tolist()
    [0, 1, 4, 4]
    """
    return np.searchsorted(np.array(BIN_EDGES), values, side="right")


@dataclass(frozen=True)
class HumanBatch:
    """One human batch's kept sessions: base ids, task keys, raw features, successes."""

    label: str
    base_ids: tuple[str, ...]
    task_keys: tuple[str, ...]
    features: np.ndarray  # (n, 19) raw units
    has_features: np.ndarray  # (n,) bool
    success: np.ndarray  # (n,) 0/1

    def reward_map(self) -> dict[str, int]:
        """``{task: success}`` (the last session of a task wins, as §6's maps)."""
        return {t: int(s) for t, s in zip(self.task_keys, self.success, strict=True)}

    def mean_row(self) -> np.ndarray | None:
        """``h_j``: mean raw features over ALL its kept sessions with features (§14)."""
        if not self.has_features.any():
            return None
        return self.features[self.has_features].mean(axis=0)


@dataclass(frozen=True)
class HumanSide:
    """What the credits read of the people: the kept sessions of each human batch."""

    batches: tuple[HumanBatch, ...]

    @classmethod
    def from_arrays(cls, labels: Sequence[str], base_ids: Sequence[Sequence[str]],
                    task_keys: Sequence[Sequence[str]], features: Sequence[np.ndarray],
                    has_features: Sequence[Sequence[bool]],
                    success: Sequence[Sequence[int]]) -> HumanSide:
        """From per-batch lists (kept sessions only)."""
        out = []
        for j, label in enumerate(labels):
            f = np.asarray(features[j], dtype=float).reshape(-1, N_FEATURES)
            out.append(HumanBatch(str(label), tuple(base_ids[j]), tuple(task_keys[j]), f,
                                  np.asarray(has_features[j], dtype=bool),
                                  np.asarray(success[j], dtype=int)))
        return cls(tuple(out))

    @classmethod
    def from_sessions(cls, humans: object, labels: Iterable[str] | None = None) -> HumanSide:
        """From a human ``SessionSet`` (``group`` = batch label): its kept sessions."""
        sessions = humans.sessions  # type: ignore[attr-defined]
        feats = humans.features  # type: ignore[attr-defined]
        has = humans.has_features  # type: ignore[attr-defined]
        if labels is None:
            labels = batch_order(s.group for s in sessions)  # a reference's order
        out = []
        for label in labels:
            idx = [i for i, s in enumerate(sessions) if s.kept and s.group == str(label)]
            out.append(HumanBatch(
                str(label), tuple(sessions[i].base_id for i in idx),
                tuple(sessions[i].task_key for i in idx),
                np.asarray(feats[idx, :N_FEATURES], dtype=float).reshape(-1, N_FEATURES),
                np.asarray(has[idx], dtype=bool),
                np.array([sessions[i].success for i in idx], dtype=int)))
        return cls(tuple(out))


def _inputs(X: object, has: object, tasks: object, success: object
            ) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    Xa = np.asarray(X, dtype=float)
    if Xa.ndim != 2 or Xa.shape[1] < N_FEATURES:
        raise UsiError(f"X must be (n, {N_FEATURES}) features, got shape {Xa.shape}", field="X")
    Xa = Xa[:, :N_FEATURES]
    n = Xa.shape[0]
    ha = np.asarray(has, dtype=bool).reshape(-1)
    ta = [str(t) for t in tasks]  # type: ignore[attr-defined]
    sa = np.asarray(success, dtype=float).reshape(-1)
    for name, arr in (("has", ha), ("tasks", ta), ("success", sa)):
        if len(arr) != n:
            raise UsiError(f"{len(arr)} values for {n} rollouts", field=name)
    if np.isnan(sa).any():
        raise UsiError("NaN success", field=f"success[{int(np.argmax(np.isnan(sa)))}]")
    return Xa, ha, ta, (sa > 0).astype(float)


# ----------------------------------------------------------------------------- §14 gradient


def dice_gradient(h: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``g(h, m) = d dice(h, m) / dm``: ``2h/(h+m)^2`` if ``m < h``, ``-2h/(h+m)^2`` if
    ``m > h``, 0 if ``m = h`` or ``h + m = 0``.

    >>> dice_gradient(np.array([1.0, 1.0, 0.0]), np.array([0.0, 3.0, 0.0])).tolist()
    [2.0, -0.125, 0.0]
    """
    total = h + m
    safe = np.where(total == 0, 1.0, total)
    mag = 2.0 * h / safe**2
    return np.where(total == 0, 0.0, np.sign(h - m) * mag)


def _ece_parts(tasks: list[str], succ: np.ndarray, hb: HumanBatch,
               difficulty: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rollouts in batch j's ECE: ``(mask, residual s_i - p_{j,t_i}, bin)``."""
    pmap = hb.reward_map()
    inside = np.array([t in pmap and t in difficulty for t in tasks], dtype=bool)
    resid = np.zeros(len(tasks))
    bins = np.zeros(len(tasks), dtype=int)
    for i in np.flatnonzero(inside):
        resid[i] = succ[i] - pmap[tasks[i]]
        bins[i] = int(bins_of(np.array([difficulty[tasks[i]]]))[0])
    return inside, resid, bins


def gradient_credits(X: object, has: object, tasks: Sequence[str], success: object,
                     humans: HumanSide, difficulty: Mapping[str, float], *,
                     terms: Sequence[str] | None = None) -> np.ndarray:
    """First-order credit of USI_SPEC §14: ``credit_i = dU/dw_i`` at ``w = 1``.

    ``credit_i = mean_j [ sum_k a_d(k)/|d(k)| * 100 * g(h_jk, m_k) * (x_ik - m_k)/n
    - b * 100 * e_ij ]`` with ``a_d = b = 1/5`` (``1/T`` over the chosen ``terms``), ``m``
    the mean of the ``n`` rollouts with features, ``h_j`` batch ``j``'s mean over all its
    kept sessions with features, ``g`` = ``dice_gradient``, and for a rollout in batch ``j``'s
    ECE (its task has a kept session of batch ``j`` and a difficulty)
    ``e_ij = (sign(S_{j,b(i)}) * (s_i - p_{j,t_i}) - ECE_j) / n_j``, ``S_{j,b}`` the sum of
    ``s_i - p_{j,t_i}`` over the rollouts of bin ``b``, ``ECE_j = sum_b |S_{j,b}| / n_j``.
    Raw units (rates as fractions). The credits sum to 0.
    """
    Xa, ha, ta, sa = _inputs(X, has, tasks, success)
    dims_w, ece_w = term_weights(terms)
    feat_w = 100.0 * dims_w[_DIM_OF] / _DIM_SIZE[_DIM_OF]  # (19,)
    n_all = Xa.shape[0]
    out = np.zeros(n_all)
    nf = int(ha.sum())
    m = Xa[ha].mean(axis=0) if nf else np.zeros(N_FEATURES)
    for hb in humans.batches:
        part = np.zeros(n_all)
        h = hb.mean_row()
        if nf and h is not None:
            coef = feat_w * dice_gradient(np.abs(h), np.abs(m))
            part[ha] += (Xa[ha] - m) @ coef / nf
        if ece_w:
            inside, resid, bins = _ece_parts(ta, sa, hb, difficulty)
            nj = int(inside.sum())
            if nj:
                S = np.bincount(bins[inside], weights=resid[inside], minlength=N_BINS)
                ece_j = float(np.abs(S).sum()) / nj
                e = (np.sign(S[bins[inside]]) * resid[inside] - ece_j) / nj
                part[inside] -= ece_w * 100.0 * e
        out += part
    return out / max(len(humans.batches), 1)


# ----------------------------------------------------------------------------- balanced


def balanced_credits(X: object, has: object, tasks: Sequence[str], success: object,
                     humans: HumanSide, difficulty: Mapping[str, float], *,
                     terms: Sequence[str] | None = None, eps: float = 1e-9) -> np.ndarray:
    """The default credit ("built to train"): §14's direction with low variance.

    ``c_i = mean_j [ sum_k a_d(k)/|d(k)| * 100 * sign(g(h_jk, m_k)) * z_ik
    - b * 100 * sign(S_{j,b(i)}) * (s_i - p_{j,t_i}) / sd_j ]``, then centred
    (``c_i - mean(c)``, so a batch's credits sum to 0). ``z_ik = (x_ik - m_k)/sd_k``: the
    rollout's standardised deviation on feature ``k`` (``sd_k`` the population std over the
    batch's rollouts with features; 0 where ``sd_k <= eps``; 0 for a rollout without
    features); ``a_d``, ``b`` the term weights (1/5 each, ``1/T`` over chosen ``terms``);
    ``sd_j`` the population std of ``s_i - p_{j,t_i}`` over batch ``j``'s ECE rollouts
    (guarded by 1 when 0; a rollout outside batch ``j``'s ECE gets no ECE part from it).
    The sign keeps each feature's direction toward the people; the standardisation gives
    every feature the same scale (the exact Dice derivative is huge on rare features),
    and the dimension weights are the USI's own.
    """
    Xa, ha, ta, sa = _inputs(X, has, tasks, success)
    dims_w, ece_w = term_weights(terms)
    feat_w = 100.0 * dims_w[_DIM_OF] / _DIM_SIZE[_DIM_OF]
    n_all = Xa.shape[0]
    out = np.zeros(n_all)
    nf = int(ha.sum())
    z = np.zeros_like(Xa)
    m = np.zeros(N_FEATURES)
    if nf:
        m = Xa[ha].mean(axis=0)
        sd = Xa[ha].std(axis=0)
        ok = sd > eps
        z[np.ix_(ha, ok)] = (Xa[np.ix_(ha, ok)] - m[ok]) / sd[ok]
    for hb in humans.batches:
        h = hb.mean_row()
        if nf and h is not None:
            out += z @ (feat_w * np.sign(dice_gradient(np.abs(h), np.abs(m))))
        if ece_w:
            inside, resid, bins = _ece_parts(ta, sa, hb, difficulty)
            if inside.any():
                S = np.bincount(bins[inside], weights=resid[inside], minlength=N_BINS)
                sdj = float(resid[inside].std())
                sdj = sdj if sdj > eps else 1.0
                out[inside] -= ece_w * 100.0 * np.sign(S[bins[inside]]) * resid[inside] / sdj
    out /= max(len(humans.batches), 1)
    return out - out.mean() if n_all else out


# ----------------------------------------------------------------------------- difference


class _BatchState:
    """Running sums of §8 for one human batch and a batch of rollouts in the rollout form."""

    def __init__(self, hb: HumanBatch, F: np.ndarray, has: np.ndarray, tasks: list[str],
                 succ: np.ndarray, run: np.ndarray, n_runs: int,
                 difficulty: Mapping[str, float], dims_w: np.ndarray, ece_w: float) -> None:
        self.dims_w, self.ece_w = dims_w, ece_w
        hbase = set(hb.base_ids)
        self.in_rows = np.array([t in hbase for t in tasks], dtype=bool)
        self.any_overlap = int(self.in_rows.sum())
        # human per-base sums of featured kept sessions
        self.hsum: dict[str, np.ndarray] = {}
        self.hcnt: dict[str, int] = {}
        for b, f, ok in zip(hb.base_ids, hb.features, hb.has_features, strict=True):
            if ok:
                self.hsum[b] = self.hsum.get(b, 0.0) + f
                self.hcnt[b] = self.hcnt.get(b, 0) + 1
        # rows: per run sums over overlapping rollouts with features
        use = self.in_rows & has
        self.S = np.zeros((n_runs, N_FEATURES))
        np.add.at(self.S, run[use], F[use])
        self.N = np.bincount(run[use], minlength=n_runs).astype(int)
        self.run_tasks: list[set[str]] = [set() for _ in range(n_runs)]
        for i in np.flatnonzero(self.in_rows):
            self.run_tasks[run[i]].add(tasks[i])
        self.union = self._union(self.N, self.run_tasks)
        self.H, self.Hn = self._human(self.union)
        # ECE: per run per bin sums of s - p, counts
        pmap = hb.reward_map()
        self.in_ece = np.array([t in pmap and t in difficulty for t in tasks], dtype=bool)
        self.resid = np.zeros(len(tasks))
        self.bin = np.zeros(len(tasks), dtype=int)
        for i in np.flatnonzero(self.in_ece):
            self.resid[i] = succ[i] - pmap[tasks[i]]
            self.bin[i] = int(bins_of(np.array([difficulty[tasks[i]]]))[0])
        self.D = np.zeros((n_runs, N_BINS))
        np.add.at(self.D, (run[self.in_ece], self.bin[self.in_ece]), self.resid[self.in_ece])
        self.E = np.bincount(run[self.in_ece], minlength=n_runs).astype(int)

    def _union(self, N: np.ndarray, run_tasks: list[set[str]]) -> set[str]:
        out: set[str] = set()
        for r in np.flatnonzero(N > 0):
            out |= run_tasks[r]
        return out

    def _human(self, union: set[str]) -> tuple[np.ndarray, int]:
        H = np.zeros(N_FEATURES)
        n = 0
        for b in union:
            if b in self.hcnt:
                H = H + self.hsum[b]
                n += self.hcnt[b]
        return H, n

    def value(self, S: np.ndarray, N: np.ndarray, D: np.ndarray, E: np.ndarray,
              H: np.ndarray, Hn: int, any_overlap: bool) -> float | None:
        """This batch's USI (mean of the chosen terms), or None."""
        if not any_overlap:
            return None
        runs_e = E > 0
        if not runs_e.any():
            return None
        ece = float(np.mean(np.abs(D[runs_e]).sum(axis=1) / E[runs_e]))
        valid = N > 0
        if not valid.any() or Hn == 0:
            return None
        sim = (S[valid] / N[valid, None]).mean(axis=0) * _SCALE19
        hum = H / Hn * _SCALE19
        h, m = np.abs(hum), np.abs(sim)
        tot = h + m
        dice = np.where(tot == 0, 1.0, 2.0 * np.minimum(h, m) / np.where(tot == 0, 1.0, tot))
        dims = np.array([100.0 * dice[_DIM_OF == d].mean() for d in range(4)])
        return float(self.dims_w @ dims + self.ece_w * (1.0 - ece) * 100.0)

    def full(self) -> float | None:
        return self.value(self.S, self.N, self.D, self.E, self.H, self.Hn, self.any_overlap > 0)

    def without(self, order: list[int], a: int, F: np.ndarray, has: np.ndarray,
                t: str) -> float | None:
        """The value without rollout ``order[a]`` (later rollouts of task ``t`` move up a run)."""
        c = len(order)
        S, N, D, E = self.S, self.N, self.D, self.E
        rows_t = bool(self.in_rows[order[0]])
        ece_t = bool(self.in_ece[order[0]])
        if rows_t:
            S, N = S.copy(), N.copy()
        if ece_t:
            D, E = D.copy(), E.copy()
        for r in range(a, c):
            old = order[r]
            new = order[r + 1] if r + 1 < c else None
            if rows_t:
                if has[old]:
                    S[r] -= F[old]
                    N[r] -= 1
                if new is not None and has[new]:
                    S[r] += F[new]
                    N[r] += 1
            if ece_t:
                b = self.bin[old]
                D[r, b] -= self.resid[old]
                if new is not None:
                    D[r, b] += self.resid[new]
                else:
                    E[r] -= 1
        H, Hn = self.H, self.Hn
        any_overlap = self.any_overlap - (1 if rows_t else 0) > 0
        if rows_t:
            changed = ((self.N[a:c] > 0) != (N[a:c] > 0)).any()
            if changed:  # a run became empty: the union is rebuilt
                run_tasks = list(self.run_tasks)
                run_tasks[c - 1] = run_tasks[c - 1] - {t}
                union = self._union(N, run_tasks)
                if union != self.union:
                    H, Hn = self._human(union)
            else:
                still = c > 1 and bool((N[:c - 1] > 0).any())
                if t in self.union and not still and t in self.hcnt:
                    H, Hn = H - self.hsum[t], Hn - self.hcnt[t]
        return self.value(S, N, D, E, H, Hn, any_overlap)


def run_numbers(tasks: Sequence[str]) -> np.ndarray:
    """Run index (from 0) of each rollout: the k-th rollout of a task in batch order is run k.

    >>> run_numbers(["a", "b", "a", "a"]).tolist()
    [0, 0, 1, 2]
    """
    seen: dict[str, int] = {}
    out = np.zeros(len(tasks), dtype=int)
    for i, t in enumerate(tasks):
        out[i] = seen.get(t, 0)
        seen[t] = out[i] + 1
    return out


def batch_usi(X: object, has: object, tasks: Sequence[str], success: object,
              humans: HumanSide, difficulty: Mapping[str, float], *,
              terms: Sequence[str] | None = None) -> float | None:
    """The batch's USI (§8, the rollout form; no Eval): the mean of ``USI_j`` over the human
    batches that yield one, or None.

    >>> hs = HumanSide.from_arrays(["1"], [["t1"]], [["t1"]], [np.full((1, 19), .5)],
    ...                            [[True]], [[1]])
    >>> batch_usi(np.full((1, 19), .5), [True], ["t1"], [1], hs, {"t1": .3})
    100.0
    """
    vals = [v for v in _states(X, has, tasks, success, humans, difficulty, terms)[0]
            if v is not None]
    return float(np.mean(vals)) if vals else None


def _states(X: object, has: object, tasks: Sequence[str], success: object, humans: HumanSide,
            difficulty: Mapping[str, float], terms: Sequence[str] | None
            ) -> tuple[list[float | None], list[_BatchState], tuple]:
    Xa, ha, ta, sa = _inputs(X, has, tasks, success)
    dims_w, ece_w = term_weights(terms)
    run = run_numbers(ta)
    n_runs = int(run.max()) + 1 if len(ta) else 0
    states = [_BatchState(hb, Xa, ha, ta, sa, run, n_runs, difficulty, dims_w, ece_w)
              for hb in humans.batches]
    return [s.full() for s in states], states, (Xa, ha, ta, run)


def difference_credits(X: object, has: object, tasks: Sequence[str], success: object,
                       humans: HumanSide, difficulty: Mapping[str, float], *,
                       terms: Sequence[str] | None = None) -> np.ndarray:
    """``USI(B) - USI(B without i)`` for each rollout, in USI points; NaN where either is none.

    The batch is the rollout form of §14 (the k-th rollout of a task is run k, so removing
    rollout ``i`` moves the task's later rollouts up one run). Exact: per human batch the
    running sums of each run's row (features of the overlapping rollouts and their count),
    of each run's ECE bins (``sum of s - p`` and count) and of the human row over the union
    of overlaps are updated for the runs of rollout ``i``'s task only; a run that becomes
    empty rebuilds the union. One featurization per rollout, no re-scoring.
    """
    full, states, (Xa, ha, ta, run) = _states(X, has, tasks, success, humans, difficulty,
                                              terms)
    n = len(ta)
    vals = [v for v in full if v is not None]
    if not vals or n == 0:
        return np.full(n, np.nan)
    usi_b = float(np.mean(vals))
    order: dict[str, list[int]] = {}
    for i, t in enumerate(ta):
        order.setdefault(t, []).append(i)
    out = np.full(n, np.nan)
    for i, t in enumerate(ta):
        without = [st.without(order[t], int(run[i]), Xa, ha, t) if n > 1 else None
                   for st in states]
        kept = [v for v in without if v is not None]
        if kept:
            out[i] = usi_b - float(np.mean(kept))
    return out
