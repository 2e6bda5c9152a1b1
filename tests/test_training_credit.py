"""Each rollout's credit (USI_SPEC §14) from ``usi_metric.training.credit``, against the
independent reference ``credit_reference.py`` (imports nothing from ``usi_metric``): the
difference credit against re-scoring the batch without each rollout, the first-order credit
against §14's closed form written term by term; sums to 0; bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from credit_reference import (
    batch_usi,
    difference_brute,
    gradient_formula,
    human_batches_release,
)
from release_gen import make_release
from rollout_gen import make_rollouts

from usi_metric.errors import UsiError
from usi_metric.features.batch import featurize_many
from usi_metric.io.release import load_humans
from usi_metric.training import credit

TOL = 1e-9


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("credit_world")
    diff = make_release(root, 7)
    batches = human_batches_release(root)
    keys = sorted({k for _, b in batches for k in b})
    human_file = next(Path(root).rglob("tau_bench_tasks_unified.json"))
    humans = credit.HumanSide.from_sessions(load_humans(human_file))
    return diff, batches, keys, humans


def _arrays(rolls):
    X, has = featurize_many([c for _, c, _ in rolls], "llm")
    tasks = [t for t, _, _ in rolls]
    succ = [1 if r is not None and r > 0 else 0 for _, _, r in rolls]
    return X, has, tasks, succ


@pytest.mark.parametrize(("per_task", "seed"), [(1, 3), (2, 4), (3, 5)])
def test_difference_equals_brute_force(world, per_task, seed) -> None:
    diff, batches, keys, humans = world
    rolls = make_rollouts(keys, seed=seed, per_task=per_task, n_tasks=9, featureless=2)
    X, has, tasks, succ = _arrays(rolls)
    got = credit.difference_credits(X, has, tasks, succ, humans, diff)
    want = difference_brute(rolls, batches, diff)
    assert len(got) == len(want)
    assert any(w is not None and abs(w) > 0.01 for w in want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        if w is None:
            assert math.isnan(g), i
        else:
            assert abs(g - w) < TOL, (i, g, w)
    full = batch_usi(rolls, batches, diff)["usi"]
    assert abs(credit.batch_usi(X, has, tasks, succ, humans, diff) - full[0]) < TOL


@pytest.mark.parametrize(("per_task", "seed"), [(1, 8), (2, 9)])
def test_gradient_equals_section_14(world, per_task, seed) -> None:
    diff, batches, keys, humans = world
    rolls = make_rollouts(keys, seed=seed, per_task=per_task, n_tasks=10, featureless=1)
    X, has, tasks, succ = _arrays(rolls)
    got = credit.gradient_credits(X, has, tasks, succ, humans, diff)
    want = gradient_formula(rolls, batches, diff)
    assert max(abs(w) for w in want) > 0.01
    assert np.max(np.abs(got - np.array(want))) < TOL
    assert abs(got.sum()) < TOL


def test_gradient_direct_transcription_small() -> None:
    """Two features differ from 0 only; one batch; the §14 formula by hand."""
    hs = credit.HumanSide.from_arrays(["1"], [["airline_2", "airline_10"]],
                                      [["airline_2", "airline_10"]],
                                      [np.zeros((2, 19))], [[True, True]], [[1, 0]])
    hs.batches[0].features[:, 0] = [0.5, 0.1]  # h politeness = 0.3 (D1, |d| = 7)
    X = np.zeros((3, 19))
    X[:, 0] = [0.1, 0.2, 0.6]  # m = 0.3 = h: g = 0
    X[:, 11] = [0.0, 0.0, 0.3]  # uncertainty (D3, |d| = 5): h = 0 so g = 0 (m > h: -2h/.. = 0)
    diff = {"airline_2": 0.1, "airline_10": 0.5}
    tasks = ["airline_10", "airline_2", "airline_10"]
    succ = [1, 1, 0]
    got = credit.gradient_credits(X, [True] * 3, tasks, succ, hs, diff)
    # ECE: residuals s - p: (1-0)=1 bin2, (1-1)=0 bin0, (0-0)=0 bin2; S_2 = 1, S_0 = 0
    # ECE(1) = 1/3; e = (sign(S_b) * r - 1/3)/3 = (2/3)/3, (-1/3)/3, (-1/3)/3
    e = np.array([2 / 9, -1 / 9, -1 / 9])
    assert np.max(np.abs(got - (-100 * e / 5))) < TOL


def test_balanced_sums_to_zero_and_follows_dice_sign(world) -> None:
    diff, _, keys, humans = world
    rolls = make_rollouts(keys, seed=21, per_task=2, n_tasks=10, featureless=1)
    X, has, tasks, succ = _arrays(rolls)
    b = credit.balanced_credits(X, has, tasks, succ, humans, diff)
    assert abs(b.sum()) < TOL and np.abs(b).max() > 0.1
    # a rollout moved toward the people on every D feature gains against one moved away
    h = np.mean([hb.mean_row() for hb in humans.batches], axis=0)
    X2 = X.copy()
    X2[0, :19] = h * 1.0
    X2[1, :19] = h * 3.0 + 1.0
    has2 = has.copy()
    has2[:2] = True
    b2 = credit.balanced_credits(X2, has2, tasks, succ, humans, diff, terms=credit.TERMS[:4])
    assert b2[0] > b2[1]


def test_terms_restrict(world) -> None:
    diff, batches, keys, humans = world
    rolls = make_rollouts(keys, seed=5, per_task=1, n_tasks=8)
    X, has, tasks, succ = _arrays(rolls)
    only = credit.difference_credits(X, has, tasks, succ, humans, diff, terms=["D4_react"])
    full = batch_usi(rolls, batches, diff)["D4_react"][0]
    assert credit.batch_usi(X, has, tasks, succ, humans, diff, terms=["D4_react"]) == \
        pytest.approx(full, abs=TOL)
    assert only.shape == (len(rolls),)
    with pytest.raises(UsiError, match="terms"):
        credit.gradient_credits(X, has, tasks, succ, humans, diff, terms=["usi"])


def test_bad_input_names_the_field(world) -> None:
    diff, _, _, humans = world
    X = np.zeros((2, 19))
    with pytest.raises(UsiError, match="tasks"):
        credit.gradient_credits(X, [True, True], ["a"], [1, 0], humans, diff)
    with pytest.raises(UsiError, match=r"success\[1\]"):
        credit.balanced_credits(X, [True, True], ["a", "b"], [1, float("nan")], humans, diff)
