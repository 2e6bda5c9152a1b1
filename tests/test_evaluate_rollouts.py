"""``evaluate``'s rollout path (issue 20 item 5): rollouts streamed through ``add``/
``add_batch`` in shuffled, uneven splits, scored by ``compute(reference=...)``, equal (1e-9)
one ``usi score --reference`` of the same rollouts written in the rollout form, and the
independent batch USI of ``credit_reference`` (which imports nothing from usi_metric).
"""

from __future__ import annotations

import importlib.util
import json
import math
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from credit_reference import batch_usi, human_batches_release
from release_gen import make_release
from rollout_gen import make_rollouts
from test_reference_independent import usi_json, usi_run

from usi_metric.hf.evaluate_metric import evaluate_module_path

SEED = 4
TOL = 1e-9
CELLS = ("D1_conv", "D2_info", "D3_clarif", "D4_react", "eval_agree", "ece", "usi")
COVERAGE = {"tasks_met", "tasks_total", "sessions_met", "sessions_total"}


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("usi_rollout_script", evaluate_module_path())
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("eval_release")
    diff = make_release(root, SEED)
    diff_file = root / "difficulty_map.json"
    diff_file.write_text(json.dumps(diff), encoding="utf-8")
    ref = root / "people.parquet"
    proc = usi_run("reference", "build", "--data-dir", str(root), "-o", str(ref))
    assert proc.returncode == 0, proc.stderr
    batches = human_batches_release(root)
    keys = sorted({k for _, b in batches for k in b})
    # 3 runs of 10 tasks (runs 1..3 of every task), 1 of 4 more: uneven runs
    rolls = make_rollouts(keys, seed=21, per_task=3, n_tasks=10, extra=1)
    rolls += make_rollouts(keys, seed=22, per_task=1, n_tasks=4, extra=0)
    seen: dict[str, int] = {}
    with_run = []
    for key, conv, reward in rolls:
        seen[key] = seen.get(key, 0) + 1
        with_run.append({"conversation": conv, "task_key": key, "reward": reward,
                         "run": seen[key]})
    return {"root": root, "diff": diff, "diff_file": diff_file, "ref": ref,
            "batches": batches, "rollouts": with_run, "script": _script()}


def _write_rollout_form(path: Path, rollouts: list[dict]) -> Path:
    results = [{"instance_id": r["task_key"], "run": r["run"], "conversation": r["conversation"],
                "reward": r["reward"]} for r in rollouts]
    path.write_text(json.dumps({"results": results}), encoding="utf-8")
    return path


def _stream(setup: dict, tmp_path: Path, rollouts: list[dict], seed: int) -> dict:
    metric = setup["script"].Usi(cache_dir=str(tmp_path / "cache"),
                                 experiment_id=uuid.uuid4().hex)
    r = random.Random(seed)
    i = 0
    while i < len(rollouts):
        size = r.choice([1, 1, 2, 3, 5, 8])
        part = rollouts[i:i + size]
        if size == 1 and r.random() < 0.5:
            metric.add(prediction=part[0])
        else:
            metric.add_batch(predictions=part)
        i += size
    return metric.compute(reference=str(setup["ref"]), difficulty=str(setup["diff_file"]))


def _compare(out: dict, want: dict) -> list[str]:
    bad = []
    for cell in CELLS:
        w = want.get(cell)
        if isinstance(w, dict):
            w = (w["mean"], w["std"])
        g = out.get(cell), out.get(f"{cell}_std")
        if w is None:
            if g != (None, None):
                bad.append(f"{cell}: {g} vs None")
            continue
        for a, b in zip(g, w, strict=True):
            if a is None or not math.isclose(a, b, rel_tol=0, abs_tol=TOL):
                bad.append(f"{cell}: {g} vs {w}")
                break
    return bad


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shuffled_uneven_splits_with_run_equal_usi_score(setup, tmp_path: Path,
                                                         seed: int) -> None:
    rolls = list(setup["rollouts"])
    random.Random(seed).shuffle(rolls)
    out = _stream(setup, tmp_path, rolls, seed)
    form = _write_rollout_form(tmp_path / "rollouts.json", rolls)
    scored = usi_json("score", str(form), "--reference", str(setup["ref"]), "--difficulty",
                      str(setup["diff_file"]), "--label", "sim", "--format", "json")
    row = next(r for r in scored["rows"] if r["name"] == "sim")
    assert row["usi"] is not None
    assert not _compare(out, row), _compare(out, row)
    # and the independent batch USI: rollouts in run order are runs 1, 2, 3 in turn
    ordered = sorted(rolls, key=lambda r: r["run"])
    indep = batch_usi([(r["task_key"], r["conversation"], r["reward"]) for r in ordered],
                      setup["batches"], setup["diff"])
    assert not _compare(out, indep), _compare(out, indep)
    assert set(out["coverage"]) == COVERAGE
    cov = out["coverage"]
    assert 0 < cov["tasks_met"] <= cov["tasks_total"]
    assert 0 < cov["sessions_met"] <= cov["sessions_total"]


def test_without_run_the_kth_arrival_is_run_k(setup, tmp_path: Path) -> None:
    rolls = [{k: v for k, v in r.items() if k != "run"} for r in setup["rollouts"]]
    random.Random(7).shuffle(rolls)
    out = _stream(setup, tmp_path, rolls, 7)
    indep = batch_usi([(r["task_key"], r["conversation"], r["reward"]) for r in rolls],
                      setup["batches"], setup["diff"])
    assert indep["usi"] is not None
    assert not _compare(out, indep), _compare(out, indep)


@pytest.mark.parametrize(("message", "field", "why"), [
    ({"role": "user"}, "predictions[1].conversation[0].content", "missing"),
    ({"role": "human", "content": "hi"}, "predictions[1].conversation[0].role",
     "unknown role 'human'"),
    ({"role": "user", "content": None}, "predictions[1].conversation[0].content",
     "null in a turn of the simulator"),
])
def test_a_rollout_message_follows_the_training_rule(message: dict, field: str,
                                                     why: str) -> None:
    # The rollouts of evaluate and of the training reward are one input: a message without
    # text, or with a role no chat template has, would yield no simulator turn in silence.
    from usi_metric.errors import UsiError
    from usi_metric.hf.evaluate_rollouts import prepare_rollouts

    good = {"task_key": "airline_3", "reward": 1.0,
            "conversation": [{"role": "user", "content": "Cancel my trip to Denver."}]}
    bad = {"task_key": "airline_12", "reward": 0.0, "conversation": [message]}
    with pytest.raises(UsiError) as err:
        prepare_rollouts([good, bad])
    assert str(err.value).startswith(f"id airline_12: field {field}: {why}"), str(err.value)
