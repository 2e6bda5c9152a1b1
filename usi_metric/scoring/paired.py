"""Two simulators on the same tasks: the paired difference ``A - B`` of the USI and each term.

- **Estimate**: the plain score of A minus the plain score of B (``score_simulator``).
- **Interval** (``ci``): the inverse of the same permutation test: every shift ``d`` for which
  the test of ``A - B - d`` against the permutation null would NOT reject at the interval's
  level (the shift model: under ``A - B = d`` the difference varies around ``d`` as it does
  around 0 under the null). It excludes 0 exactly when ``p < 1 - confidence``: the interval
  and the p-value are one decision. Its ends are quantiles of the null distribution.
- **Bootstrap interval** (``bootstrap_ci``): the task bootstrap of ``scoring.intervals``
  applied to the difference, with the SAME resampled tasks for A and B (paired), centred
  percentile by default. It answers a different question (the spread of the difference under
  resampled tasks, not under swapped labels), so it can hold 0 beside a small p (a difference
  made by a few tasks); it is reported in the JSON only.
- **p-value**: a paired permutation test over tasks (``scipy.stats.permutation_test``,
  ``permutation_type="samples"``): under the null hypothesis that A and B are exchangeable on
  every task, swapping A's and B's sessions and survey answers of a task (all its runs) leaves
  the distribution of the difference unchanged. Each permutation swaps a random set of
  tasks and recomputes both USIs; the p-value is two-sided. It is the approximate
  randomization test used to compare two systems on one test set: exact under its null for
  any statistic (no normal approximation, no assumption that the USI is unbiased, which it is
  not at small sizes: both sides carry the same bias under the null), and the humans and the
  difficulty map stay fixed, as the design is paired.

``compare A A`` gives a difference of exactly 0 and p = 1: the two sides are then one table
and every permutation computes the same numbers in the same order.

>>> from usi_metric.io import load_release
>>> from usi_metric.samples import sample_release_dir
>>> from usi_metric.scoring import resolve_difficulty
>>> rel = load_release(sample_release_dir())
>>> sim = next(iter(rel.simulators.values()))
>>> c = compare_simulators(sim, sim, rel.humans, resolve_difficulty(rel, "release"),
...                        options=CIOptions(n_resamples=50), permutations=50)
>>> c.terms["usi"].difference, c.terms["usi"].p_value, c.terms["usi"].ci
(0.0, 1.0, (0.0, 0.0))
>>> c.terms["usi"].bootstrap_ci
(0.0, 0.0)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from usi_metric.aggregation.bootstrap import (
    CELLS,
    SimTable,
    align_simulators,
    simulator_cells,
    table_cells,
    weighted_sums,
)
from usi_metric.errors import UsiError
from usi_metric.io import SessionSet, SurveySet
from usi_metric.runtime.memory import check_fits
from usi_metric.scoring.difficulty import Difficulty
from usi_metric.scoring.explain import shared_tasks_line, sim_tasks, tasks_met, yardstick
from usi_metric.scoring.intervals import (
    CIOptions,
    Interval,
    _rng_kwargs,
    bootstrap_intervals,
    simulator_table,
    task_keys,
)
from usi_metric.scoring.leaderboard import score_simulator

DEFAULT_PERMUTATIONS = 9999
# a p-value resolved to 1e-6 says all a release of tasks can: more swaps only take longer
# (minutes per 10^7) while the null distribution grows in memory
MAX_PERMUTATIONS = 10**6
# bytes each permutation keeps: its 7 null cells, their concatenated copy, two comparisons
BYTES_PER_PERMUTATION = 2 * 8 * 7 + 2 * 7
TEST_NAME = "paired permutation test over tasks (A and B swapped per task), two-sided"
INTERVAL_NAME = ("the permutation test inverted (every shift of A - B it does not reject), so "
                 "it excludes 0 exactly when p < 1 - confidence")
ORDER = ("usi", *CELLS[:-1])  # the USI first, then each term


@dataclass(frozen=True)
class TermComparison:
    """One term: A's and B's plain scores, ``A - B``, its interval (the inverted permutation
    test; an end is infinite when too few permutations exist to reject on that side), the
    p-value, and the paired bootstrap interval."""

    a: float | None
    b: float | None
    difference: float | None
    ci: Interval | None
    p_value: float | None
    bootstrap_ci: Interval | None = None

    def as_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "difference": self.difference,
                "ci": _json_interval(self.ci), "p_value": self.p_value,
                "bootstrap_ci": _json_interval(self.bootstrap_ci)}


def _json_interval(iv: Interval | None) -> list[float | None] | None:
    """An interval for JSON: an infinite end becomes null (unbounded)."""
    if iv is None:
        return None
    return [v if math.isfinite(v) else None for v in iv]


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare_simulators`."""

    a: str
    b: str
    n_tasks: int
    options: CIOptions
    permutations: int
    terms: dict[str, TermComparison]
    difficulty: dict[str, Any] = field(default_factory=dict)  # explain.yardstick
    notes: list[str] = field(default_factory=list)
    # the people's tasks each side meets and both do: {"a", "b", "shared"} (counts)
    tasks_met: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Stable JSON form (the CLI sorts the keys)."""
        return {"a": self.a, "b": self.b, "n_tasks": self.n_tasks,
                "tasks_met": dict(sorted(self.tasks_met.items())),
                "difficulty": self.difficulty, "interval": self.options.as_json(),
                "test": {"name": TEST_NAME, "permutations": self.permutations,
                         "seed": int(self.options.seed), "interval": INTERVAL_NAME},
                "terms": {k: self.terms[k].as_json() for k in ORDER}, "notes": self.notes}


def _cell(row_cells: dict[str, Any], key: str) -> float | None:
    c = row_cells.get(key)
    return None if c is None else float(c.mean)


def permutation_test(ta: SimTable, tb: SimTable, permutations: int, seed: int) -> Any:
    """``scipy.stats.permutation_test`` of ``cells(A) - cells(B)`` under per-task swaps.

    The data are task indices: A's are ``0..n-1``, B's ``n..2n-1``; a permutation swaps the
    pair of task ``i``, so ``x[i] >= n`` means A' gets B's statistics of task ``i`` (and B'
    A's). Its result has ``statistic`` (7,), ``pvalue`` (7,) and ``null_distribution``
    (permutations, 7); with fewer than log2(permutations) tasks every swap set is enumerated.
    """
    from scipy import stats

    n_tasks = ta.n_tasks
    pa, pb = (ta, ta) if tb is ta else align_simulators(ta, tb)

    def statistic(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        x = np.moveaxis(np.asarray(x), axis, -1)
        lead = x.shape[:-1]
        swap = (x.reshape(-1, n_tasks) >= n_tasks).astype(float)
        stay = 1.0 - swap
        a_cells = simulator_cells(pa, weighted_sums([(stay, pa), (swap, pb)]))
        b_cells = simulator_cells(pb, weighted_sums([(stay, pb), (swap, pa)]))
        return (a_cells - b_cells).reshape(*lead, len(CELLS))

    idx = np.arange(n_tasks)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if n_tasks < 2:  # scipy needs two observations: enumerate the 2^n swap sets here
            return _exact_test(statistic, n_tasks)
        return stats.permutation_test((idx, idx + n_tasks), statistic, vectorized=True,
                                      permutation_type="samples",
                                      n_resamples=int(permutations), batch=1000,
                                      alternative="two-sided",
                                      **_rng_kwargs(stats.permutation_test, seed))


def _exact_test(statistic: Any, n_tasks: int) -> SimpleNamespace:
    """Every swap set of ``n_tasks`` (< 2) tasks, with the two-sided p-value as scipy's exact
    permutation test computes it (``2 * min(P(null <= obs), P(null >= obs))``, capped at 1,
    with the same relative tolerance)."""
    patterns = np.array([[i + n_tasks * ((k >> i) & 1) for i in range(n_tasks)]
                         for k in range(2 ** n_tasks)]).reshape(2 ** n_tasks, n_tasks)
    null = statistic(patterns, patterns, axis=-1)
    observed = null[0]
    gamma = np.abs(np.finfo(float).eps * 100 * observed)
    less = (null <= observed + gamma).mean(axis=0)
    greater = (null >= observed - gamma).mean(axis=0)
    return SimpleNamespace(statistic=observed, null_distribution=null,
                           pvalue=np.minimum(2 * np.minimum(less, greater), 1.0))


def is_exact(n_tasks: int, permutations: int) -> bool:
    """Whether the test enumerates every swap set (as scipy does when ``permutations`` reaches
    ``2 ** n_tasks``; the enumeration then holds the identity and the p-value gets no +1)."""
    return n_tasks < 2 or permutations >= 2 ** n_tasks


def _tail_pvalue(count: int, n: int, adj: int) -> float:
    """The two-sided p-value when the smaller tail holds ``count`` of ``n`` null values, in
    the float operations of :func:`two_sided_pvalues` (so the two agree at the boundary)."""
    return float(np.minimum(2.0 * np.float64((count + adj) / (n + adj)), 1.0))


def _fewest_in_tail(n: int, adj: int, alpha: float) -> int:
    """The fewest null values a tail must hold for the test not to reject (p >= alpha)."""
    k = max(0, math.floor(alpha / 2.0 * (n + adj)) - adj - 2)
    while k > 0 and _tail_pvalue(k - 1, n, adj) >= alpha:
        k -= 1
    while _tail_pvalue(k, n, adj) < alpha:
        k += 1
    return k


def inverted_interval(null: np.ndarray, observed: float, confidence_level: float,
                      exact: bool) -> Interval:
    """The shifts ``d`` the two-sided permutation test of ``observed - d`` does not reject.

    With the test's p-value ``p(x) = min(1, 2 min(less(x), greater(x)))``, ``less(x) =
    (#{null <= x} + a) / (n + a)`` (``a`` = 0 for an exact test, else 1, as scipy), the
    accepted ``x`` form ``[s_k, s_(n+1-k)]`` of the sorted null, ``k`` the fewest values
    needed in a tail; the interval is ``observed`` minus that range, widened by the test's
    tie tolerance. So 0 lies outside it exactly when ``p(observed) < 1 - confidence``.

    >>> null = np.arange(-50.0, 50.0)            # 100 permutations
    >>> [round(v, 6) for v in inverted_interval(null, 70.0, 0.9, exact=False)]
    [25.0, 116.0]
    >>> inverted_interval(null, 10.0, 0.995, exact=False)   # too few to reject: unbounded
    (-inf, inf)
    """
    null = np.sort(np.asarray(null, dtype=float))
    n = null.shape[0]
    k = _fewest_in_tail(n, 0 if exact else 1, 1.0 - float(confidence_level))
    gamma = abs(np.finfo(float).eps * 100 * observed)
    if k <= 0:
        return (-math.inf, math.inf)
    low = observed - float(null[n - k]) - gamma
    high = observed - float(null[k - 1]) + gamma
    return (float(low), float(high))


def two_sided_pvalues(null: np.ndarray, observed: np.ndarray, exact: bool) -> np.ndarray:
    """Two-sided p-values of each column, as ``scipy.stats.permutation_test`` computes them
    (checked against it in the tests)."""
    n = null.shape[0]
    adj = 0 if exact else 1
    gamma = np.abs(np.finfo(float).eps * 100 * observed)
    less = ((null <= observed + gamma).sum(axis=0) + adj) / (n + adj)
    greater = ((null >= observed - gamma).sum(axis=0) + adj) / (n + adj)
    return np.minimum(2.0 * np.minimum(less, greater), 1.0)


def permutation_results(ta: SimTable, tb: SimTable, permutations: int, seed: int,
                        confidence_level: float) -> list[tuple[float, Interval] | None]:
    """Per cell: (two-sided p-value, the inverted test's interval); None where A, B or a
    permutation has no value."""
    res = permutation_test(ta, tb, permutations, seed)
    null = np.asarray(res.null_distribution).reshape(-1, len(CELLS))
    observed = np.atleast_1d(np.asarray(res.statistic, dtype=float))
    exact = is_exact(ta.n_tasks, permutations)
    out: list[tuple[float, Interval] | None] = []
    for k in range(len(CELLS)):
        if not (math.isfinite(observed[k]) and np.all(np.isfinite(null[:, k]))):
            out.append(None)
            continue
        p = float(two_sided_pvalues(null[:, k:k + 1], observed[k:k + 1], exact)[0])
        out.append((p, inverted_interval(null[:, k], float(observed[k]), confidence_level,
                                         exact)))
    return out


def permutation_pvalues(ta: SimTable, tb: SimTable, permutations: int,
                        seed: int) -> list[float | None]:
    """Two-sided p-values per cell; None where A, B or a permutation has no value."""
    return [None if r is None else r[0]
            for r in permutation_results(ta, tb, permutations, seed, 0.95)]


def compare_simulators(sim_a: SessionSet, sim_b: SessionSet, humans: SessionSet,
                       difficulty: Difficulty, survey_a: SurveySet | None = None,
                       survey_b: SurveySet | None = None, *, options: CIOptions | None = None,
                       permutations: int = DEFAULT_PERMUTATIONS) -> Comparison:
    """The paired comparison ``A - B`` (module docstring): estimate, interval, p-value."""
    options = options or CIOptions()
    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < 1:
        raise UsiError(f"must be a whole number >= 1, got {permutations!r}",
                       field="permutations")
    if permutations > MAX_PERMUTATIONS:
        raise UsiError(f"at most {MAX_PERMUTATIONS} (a p-value resolved to 1e-6; more only "
                       f"take longer), got {permutations}", field="permutations")
    check_fits(permutations, BYTES_PER_PERMUTATION, field="permutations")
    tasks = task_keys(humans)
    n = len(tasks)
    row_a = score_simulator(sim_a, humans, difficulty, survey_a)
    row_b = score_simulator(sim_b, humans, difficulty, survey_b)
    for row, sim in ((row_a, sim_a), (row_b, sim_b)):
        if row.usi is None:
            raise UsiError("has no USI against these humans (no kept session id in common "
                           "with a human batch, or no task with a difficulty), so there is "
                           "nothing to compare", file=sim.path)
    ta = simulator_table(sim_a, humans, difficulty, survey_a, tasks)
    tb = simulator_table(sim_b, humans, difficulty, survey_b, tasks)
    if tb.equal(ta):
        tb = ta  # one table: identical arithmetic on both sides, so exact zeros

    def difference(w: np.ndarray) -> np.ndarray:
        return table_cells(ta, w) - table_cells(tb, w)

    _, ivs = bootstrap_intervals(n, difference, options)
    tests = permutation_results(ta, tb, permutations, options.seed, options.confidence_level)
    notes = []
    one_survey = (survey_a is None) != (survey_b is None)
    if one_survey:
        notes.append("only one of the two has survey answers: its USI averages six terms, "
                     "the other's five; the Eval term is not compared")
    met_a, met_b = tasks_met(sim_a, humans), tasks_met(sim_b, humans)
    met = {"a": len(met_a), "b": len(met_b), "shared": len(met_a & met_b)}
    if not met["a"] == met["b"] == met["shared"] == n:
        notes.append(shared_tasks_line(sim_a.name, met["a"], sim_b.name, met["b"],
                                       met["shared"], n))
    terms = {}
    for j, key in enumerate(CELLS):
        a, b = _cell(row_a.cells, key), _cell(row_b.cells, key)
        diff = None if a is None or b is None else a - b
        both = diff is not None and not (key == "eval_agree" and one_survey)
        res = tests[j] if both else None
        terms[key] = TermComparison(a, b, diff if both else None,
                                    None if res is None else res[1],
                                    None if res is None else res[0],
                                    ivs[j] if both else None)
    return Comparison(sim_a.name, sim_b.name, n, options, int(permutations), terms,
                      yardstick(difficulty, sim_tasks(sim_a) | sim_tasks(sim_b)), notes,
                      met)
