"""The README's Python examples run as written (on the bundled SYNTHETIC sample).

Every ```python block of README.md that does not point at a user's own files
(``path/to/...``) runs as a script of its own (its own namespace, its own printed output)
in one fresh interpreter (importing ``evaluate`` is most of the time), from a temp working
folder, with a fresh ``HF_HOME`` where ``usi register-evaluate`` has been run (the README's
one-time step) and ``HF_EVALUATE_OFFLINE=1``. The training-loop example must print the USI
that ``usi score`` gives for the same runs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
RUNNABLE = [b for b in BLOCKS if "path/to" not in b]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("hf_home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HOME=str(home), HF_EVALUATE_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               HF_HUB_OFFLINE="1")
    usi = Path(sys.executable).with_name("usi")
    subprocess.run([str(usi), "register-evaluate"], env=env, check=True,
                   capture_output=True)
    return env


def test_the_readme_has_runnable_examples() -> None:
    assert len(RUNNABLE) >= 3
    assert any("add_batch" in b for b in RUNNABLE)  # the training-script example


RUN_BLOCKS = """
import contextlib, io, json, sys, traceback
results = []
for code in json.load(open(sys.argv[1])):
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<README example>", "exec"), {"__name__": "__main__"})
        results.append([True, out.getvalue()])
    except BaseException:
        results.append([False, traceback.format_exc()])
print("RESULTS", json.dumps(results))
"""


@pytest.fixture(scope="module")
def ran(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> list[list]:
    """``[ok, printed output or traceback]`` of each runnable block, in README order."""
    work = tmp_path_factory.mktemp("readme")
    (work / "blocks.json").write_text(json.dumps(RUNNABLE), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", RUN_BLOCKS, str(work / "blocks.json")],
                          cwd=work, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(re.search(r"^RESULTS (.+)$", proc.stdout, re.M).group(1))
    assert len(results) == len(RUNNABLE)
    return results


@pytest.mark.parametrize("i", range(len(RUNNABLE)), ids=[f"block{i}" for i in
                                                         range(len(RUNNABLE))])
def test_readme_example_runs(i: int, ran: list[list]) -> None:
    ok, output = ran[i]
    assert ok, output[-2000:]


def test_training_loop_prints_the_usi_of_usi_score(env: dict[str, str], ran: list[list]) -> None:
    ok, out = ran[next(i for i, b in enumerate(RUNNABLE) if "add_batch" in b)]
    assert ok, out[-2000:]
    got = float(re.search(r"USI (\d+\.\d)", out).group(1))  # type: ignore[union-attr]
    usi = Path(sys.executable).with_name("usi")
    sample = ROOT / "usi_metric" / "samples"
    score = subprocess.run(
        [str(usi), "score", str(sample / "synthetic_new_simulator" / "runs.json"),
         "--data-dir", str(sample / "synthetic_tau_usi"), "--format", "json"],
        env=env, capture_output=True, text=True, check=True).stdout
    row = json.loads(score)["rows"][1]
    assert got == round(row["usi"]["mean"], 1)
