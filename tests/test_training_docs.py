"""docs/training.md's examples run as written (bundled SYNTHETIC people and runs) and print
what the text says: the spread beside the people's, the USI on the reward's people and on
held-out people, the evaluate-in-the-loop USI (each epoch's ``compute`` starts over, and
equals ``score_batch`` of the same rollouts). The ``## Results`` section is not read here;
blocks importing ``trl`` (sketches needing a model) are only parsed."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from usi_metric import HumanReference, UsiWarning, new_simulator_dir, score_batch

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "docs" / "training.md").read_text("utf-8").split("## Results")[0]
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)
RUNNABLE = [b for b in BLOCKS if "from trl" not in b]

RUN_BLOCKS = """
import contextlib, io, json, sys, traceback, warnings
from usi_metric.cli.hub import install_module
install_module()  # `usi register-evaluate` into this HF_HOME (one import of evaluate)
warnings.simplefilter("ignore")
results = []
for code in json.load(open(sys.argv[1])):
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<docs/training.md example>", "exec"), {"__name__": "__main__"})
        results.append([True, out.getvalue()])
    except BaseException:
        results.append([False, traceback.format_exc()])
print("RESULTS", json.dumps(results))
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    home = tmp_path_factory.mktemp("hf_home_training")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HOME=str(home), HF_EVALUATE_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               HF_HUB_OFFLINE="1")
    work = tmp_path_factory.mktemp("training_docs")
    blocks = work / "blocks.json"
    blocks.write_text(json.dumps(RUNNABLE), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", RUN_BLOCKS, str(blocks)], env=env, cwd=work,
                          capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULTS "))
    results = json.loads(line[len("RESULTS "):])
    for ok, text in results:
        assert ok, text
    return [text for _, text in results]


@pytest.fixture(scope="module")
def runs() -> tuple[list, list, list]:
    res = json.loads((new_simulator_dir() / "runs.json").read_text("utf-8"))["results"]
    return ([r["conversation"] for r in res], [r["instance_id"] for r in res],
            [r["reward"] for r in res])


def _usi(ref: HumanReference, runs) -> dict:
    convs, tasks, rewards = runs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UsiWarning)
        return score_batch(ref, convs, task_keys=tasks, rewards=rewards)


def test_the_sections_and_examples_are_there() -> None:
    for title in ("## What the reward optimises", "## What it cannot see", "## Held-out people",
                  "## Mixing it with the task reward",
                  "## Watching the real metric: evaluate in the loop"):
        assert title in TEXT
    assert len(RUNNABLE) == 4
    assert any("reward_weights" in b for b in BLOCKS) and any("add_batch" in b for b in RUNNABLE)
    for block in BLOCKS:
        ast.parse(block)  # the TRL sketches are Python too


def test_spread_example(outputs, runs) -> None:
    out = _usi(HumanReference.synthetic(), runs)
    lines = outputs[0].splitlines()
    spread = out["spread"]
    assert lines[0] == (f"USI {out['usi']['mean']:.1f}; {spread['n_batch']} rollouts, "
                        f"{spread['n_people']} people")
    assert len(lines) == 4
    for line in lines[1:]:
        name = line.split(":")[0].strip()
        f = spread["features"][name]
        assert f"± {f['batch']['std']:5.1f}" in line and f"± {f['people']['std']:5.1f}" in line


def test_held_out_example(outputs, runs) -> None:
    people = HumanReference.synthetic()
    train = _usi(people.select(["1", "2"]), runs)["usi"]["mean"]
    held = _usi(people.select(["3"]), runs)["usi"]["mean"]
    assert outputs[1].strip() == (f"{len(runs[0])} credits; USI on the reward's people "
                                  f"{train:.1f}, on held-out people {held:.1f}")


def test_mixing_example(outputs) -> None:
    assert re.fullmatch(r"credit std \d+\.\d\d, task std 0\.\d\d: USIReward\(\.\.\., "
                        r"scale=\d\.\d{3}\) with reward_weights=\[1\.0, 1\.0\]\n", outputs[2])


def test_evaluate_in_the_loop_example(outputs, runs) -> None:
    """Each epoch's compute scores that epoch's rollouts only (it starts over): both epochs
    print the held-out USI of the runs, as score_batch gives it."""
    out = _usi(HumanReference.synthetic().select(["3"]), runs)
    want = f"held-out USI {out['usi']['mean']:.1f}, ECE {out['ece']['mean']:.3f}"
    assert outputs[3].splitlines() == [f"epoch 0: {want}", f"epoch 1: {want}"]
