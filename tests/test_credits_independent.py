"""A batch of rollouts' USI and each rollout's credit (USI_SPEC §14), against an independent
reference (``credit_reference.py``, which imports nothing from ``usi_metric``).

First the reference is checked against itself and against the paper scorer: the §14 closed
form equals a central difference of the surrogate ``U(w)``, credits sum to 0, and the batch
USI of a one-run batch equals ``paper_reference.score_simulator`` of the same sessions.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from credit_reference import (
    BATCH_CELLS,
    batch_usi,
    finite_difference,
    gradient_formula,
    human_batches_release,
)
from paper_reference import _FeatureCache, human_rewards, score_simulator, split_batches
from release_gen import make_release
from rollout_gen import make_rollouts

TOL = 1e-9


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("credit_release")
    diff = make_release(root, 5)
    batches = human_batches_release(root)
    keys = sorted({k for _, b in batches for k in b})
    return root, diff, batches, keys


@pytest.fixture(scope="module")
def batches_of_rollouts(release):
    """Two batches: one rollout per task, and two per task (runs 1 and 2), both with a
    rollout that yields no features and tasks nobody did."""
    _, _, _, keys = release
    return {1: make_rollouts(keys, seed=11, per_task=1, n_tasks=14, featureless=1),
            2: make_rollouts(keys, seed=12, per_task=2, n_tasks=8, featureless=2)}


@pytest.mark.parametrize("per_task", [1, 2])
def test_closed_form_equals_finite_difference(release, batches_of_rollouts, per_task) -> None:
    _, diff, batches, _ = release
    rolls = batches_of_rollouts[per_task]
    closed = gradient_formula(rolls, batches, diff)
    numeric = finite_difference(rolls, batches, diff)
    assert max(abs(c) for c in closed) > 0.05  # the check can fail: credits are not all 0
    for i, (c, f) in enumerate(zip(closed, numeric, strict=True)):
        assert math.isclose(c, f, rel_tol=1e-5, abs_tol=1e-6), (i, c, f)
    assert abs(sum(closed)) < TOL


def _cells_equal(got: dict, want: dict) -> list[str]:
    bad = []
    for cell in BATCH_CELLS:
        g, w = got.get(cell), want.get(cell)
        if g is None or w is None:
            if g is not None or w is not None:
                bad.append(f"{cell}: {g} vs {w}")
            continue
        if isinstance(g, dict):
            g = (g["mean"], g["std"])
        if any(not math.isclose(a, b, rel_tol=0, abs_tol=TOL) for a, b in zip(g, w, strict=True)):
            bad.append(f"{cell}: {g} vs {w}")
    return bad


def test_one_run_batch_equals_paper_scorer(release, batches_of_rollouts) -> None:
    """One rollout per task is one run with the task keys as ids: the paper scorer's
    ``score_simulator`` on those sessions gives the same cells."""
    root, diff, batches, _ = release
    rolls = batches_of_rollouts[1]
    data = {k: {"instance_id": k, "conversation": c, "reward": r} for k, c, r in rolls}
    from credit_reference import read_humans

    paper_batches = split_batches(read_humans(root))
    rewards = [human_rewards(b) for b in paper_batches]
    want = score_simulator("sim", data, None, paper_batches, rewards, diff, _FeatureCache())
    got = batch_usi(rolls, batches, diff)
    assert got["usi"] is not None
    assert not _cells_equal(got, {c: want[c] for c in BATCH_CELLS})


def test_release_batches_keyed_by_base_id(release) -> None:
    root, _, batches, _ = release
    assert [lab for lab, _ in batches] == ["1", "2", "3"]
    assert all(not k.endswith(("_ann2", "_ann3")) for _, b in batches for k in b)
    assert isinstance(root, Path)


def test_two_run_batch_equals_paper_scorer(release) -> None:
    """Two rollouts per task are runs 1 and 2: written as a multi-run release file (ids
    ``{task}_{run}``, padded past 170 entries with tasks nobody did) the paper scorer gives
    the same cells."""
    root, diff, _, keys = release
    rolls = make_rollouts([k for k in keys if not k.startswith("telecom")], seed=13,
                          per_task=2, n_tasks=9, featureless=1)
    seen: dict[str, int] = {}
    data = {}
    for k, c, r in rolls:
        seen[k] = seen.get(k, 0) + 1
        data[f"{k}_{seen[k]}"] = {"instance_id": f"{k}_{seen[k]}", "conversation": c,
                                  "reward": r}
    pad = 0
    while len(data) <= 170:
        data[f"retail_{600 + pad // 2}_{pad % 2 + 1}"] = {"conversation": rolls[0][1],
                                                          "reward": 1.0}
        pad += 1
    from credit_reference import read_humans

    paper_batches = split_batches(read_humans(root))
    rewards = [human_rewards(b) for b in paper_batches]
    want = score_simulator("sim", data, None, paper_batches, rewards, diff, _FeatureCache())
    got = batch_usi(rolls, human_batches_release(root), diff)
    assert got["usi"] is not None and got["usi"][1] > 0
    assert not _cells_equal(got, {c: want[c] for c in BATCH_CELLS})
