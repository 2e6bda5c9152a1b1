"""``score_batch`` against ``usi score`` of the batch written in the rollout form and against
the independent reference; ``USIReward``: the TRL contract, roles, terms, warnings, bad
input; the difference credit against re-scoring through ``score_batch``."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from credit_reference import batch_usi
from rollout_gen import make_rollouts

from usi_metric.errors import UsiError, UsiWarning
from usi_metric.reference import HumanReference
from usi_metric.training.batch import score_batch
from usi_metric.training.reward import USIReward

TOL = 1e-9
CELLS = ("D1_conv", "D2_info", "D3_clarif", "D4_react", "ece", "usi")


@pytest.fixture(scope="module")
def ref() -> HumanReference:
    return HumanReference.synthetic()


@pytest.fixture(scope="module")
def keys(ref) -> list[str]:
    return sorted({s.task_key for s in ref.humans().sessions})


def _split(rolls):
    return ([c for _, c, _ in rolls], [t for t, _, _ in rolls], [r for _, _, r in rolls])


def _rollout_file(path: Path, rolls) -> Path:
    seen: dict[str, int] = {}
    recs = []
    for t, c, r in rolls:
        seen[t] = seen.get(t, 0) + 1
        recs.append({"instance_id": t, "run": seen[t], "conversation": c, "reward": r})
    path.write_text(json.dumps({"results": recs}), encoding="utf-8")
    return path


@pytest.mark.parametrize("per_task", [1, 2])
def test_score_batch_equals_usi_score_of_the_rollout_form(tmp_path, ref, keys, per_task) -> None:
    rolls = make_rollouts(keys, seed=40 + per_task, per_task=per_task, n_tasks=12,
                          featureless=1)
    convs, tasks, rewards = _split(rolls)
    got = score_batch(ref, convs, task_keys=tasks, rewards=rewards)
    ref_file = ref.save(tmp_path / "ref.parquet")
    runs = _rollout_file(tmp_path / "rollouts.json", rolls)
    res = subprocess.run([sys.executable, "-m", "usi_metric", "score", str(runs), "--reference",
                          str(ref_file), "--format", "json"], capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0, res.stderr
    want = json.loads(res.stdout)["rows"][-1]
    for k in CELLS:
        assert (got[k] is None) == (want[k] is None), k
        if got[k] is not None:
            assert abs(got[k]["mean"] - want[k]["mean"]) < TOL, k
            assert abs(got[k]["std"] - want[k]["std"]) < TOL, k
    cover = json.loads(res.stdout)["coverage"]
    assert got["coverage"]["tasks_met"] == cover["n_tasks_matched"] > 0


def test_difference_credit_equals_rescoring_by_score_batch(ref, keys) -> None:
    rolls = make_rollouts(keys, seed=7, per_task=2, n_tasks=6, featureless=1)
    convs, tasks, rewards = _split(rolls)
    fn = USIReward(ref, credit="difference")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UsiWarning)
        got = fn(convs, task_key=tasks, reward=rewards)
        full = score_batch(ref, convs, task_keys=tasks, rewards=rewards)["usi"]["mean"]
        for i in range(len(rolls)):
            rest = [k for k in range(len(rolls)) if k != i]
            part = score_batch(ref, [convs[k] for k in rest], task_keys=[tasks[k] for k in rest],
                               rewards=[rewards[k] for k in rest])["usi"]
            want = 0.0 if part is None else full - part["mean"]
            assert abs(got[i] - want) < TOL, i
    assert fn.last is not None and abs(fn.last["usi"]["mean"] - full) < TOL


def test_reward_contract_roles_and_warning(ref, keys) -> None:
    rolls = make_rollouts(keys, seed=3, per_task=2, n_tasks=5, extra=2)
    convs, tasks, rewards = _split(rolls)
    fn = USIReward(ref)
    assert fn.__name__ == "usi_balanced"
    with pytest.warns(UsiWarning, match=r"4 of \d+ rollouts have a task with no people") as rec:
        out = fn(convs, task_key=tasks, reward=rewards, prompts=["p"] * len(convs))
    assert len([w for w in rec if issubclass(w.category, UsiWarning)]) == 1
    assert len(out) == len(convs) and abs(sum(out)) < TOL and all(math.isfinite(v) for v in out)
    # the policy's turns as assistant messages, with simulator_role="assistant": same credits
    swapped = [[{"role": {"user": "assistant", "assistant": "user"}.get(m["role"], m["role"]),
                 "content": m["content"]} for m in c] for c in convs]
    fn2 = USIReward(ref, simulator_role="assistant", scale=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UsiWarning)
        out2 = fn2(swapped, task_key=tasks, reward=rewards)
    assert np.allclose(np.array(out2), 2.0 * np.array(out), atol=TOL)
    assert fn2.last == fn.last


def test_terms_and_strings(ref, keys) -> None:
    texts = [f"I need help with order #W{1000 + i} please, it never arrived {i}"
             for i in range(6)]
    tasks = keys[:3] * 2
    fn = USIReward(ref, terms=["D4_react"], credit="gradient")
    out = fn(texts, task_key=tasks, reward=[1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    assert len(out) == 6 and abs(sum(out)) < TOL


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"completions": ["a", "b"], "task_key": ["t"], "reward": [1, 0]}, "task_key"),
    ({"completions": ["a", "b"], "task_key": ["t", "u"], "reward": [1, float("nan")]},
     r"reward\[1\]"),
    ({"completions": ["a", 5], "task_key": ["t", "u"], "reward": [1, 0]}, r"completions\[1\]"),
    ({"completions": ["a", [{"role": "user", "content": 3}]], "task_key": ["t", "u"],
      "reward": [1, 0]}, r"completions\[1\]\[0\]\.content"),
])
def test_bad_input_one_error_naming_position_and_field(ref, kwargs, field) -> None:
    fn = USIReward(ref)
    completions = kwargs.pop("completions")
    with pytest.raises(UsiError, match=field):
        fn(completions, **kwargs)


def test_bad_options(ref) -> None:
    with pytest.raises(UsiError, match="credit"):
        USIReward(ref, credit="exact")
    with pytest.raises(UsiError, match="difficulty"):
        USIReward(ref, difficulty="self")
    with pytest.raises(UsiError, match="terms"):
        USIReward(ref, terms=["eval_agree"])


def test_score_batch_matches_independent_reference(ref, keys, tmp_path) -> None:
    """The synthetic people as the independent reference reads them (records)."""
    from credit_reference import human_batches_release

    from usi_metric.samples import sample_release_dir

    batches = human_batches_release(sample_release_dir())
    rolls = make_rollouts(keys, seed=5, per_task=2, n_tasks=10)
    convs, tasks, rewards = _split(rolls)
    diff = json.loads((Path(__file__).parents[1] / "usi_metric" / "data"
                       / "published_difficulty.json").read_text(encoding="utf-8"))
    diff = diff.get("difficulty", diff)
    want = batch_usi(rolls, batches, {k: float(v) for k, v in diff.items()
                                      if isinstance(v, int | float)})
    got = score_batch(ref, convs, task_keys=tasks, rewards=rewards)
    for k in CELLS:
        assert (got[k] is None) == (want[k] is None), k
        if got[k] is not None:
            assert abs(got[k]["mean"] - want[k][0]) < TOL, k
