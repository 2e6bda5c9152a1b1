"""The training benchmark (issue 21.4, ``benchmarks/training_signal.py``): a tiny run prints
every arm and the ceiling; the OdysSim proxy follows its definition on numbers worked by hand;
the benchmark modules' doctests pass."""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import toy_simulator  # noqa: E402
import training_signal  # noqa: E402

from usi_metric.features.names import FEATURE_NAMES  # noqa: E402


def test_quick_run_prints_every_arm() -> None:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, str(BENCH / "training_signal.py"), "--quick",
                           "--seeds", "2"], capture_output=True, text=True, env=env,
                          check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    names = [r.split("|")[1].strip() for r in rows[1:]]
    assert names[:5] == list(training_signal.ARMS)
    assert names[5] == "start" and names[6].startswith("ceiling (CMA-ES")
    assert "goal " in proc.stdout
    # the evaluation's USI is usi_metric.score_batch's
    assert "vs usi_metric.score_batch: largest difference" in proc.stdout
    diff = float(re.search(r"largest difference (\S+?)\. Time", proc.stdout).group(1))
    assert diff < 1e-9


def test_proxy_by_hand() -> None:
    k = FEATURE_NAMES.index
    h = np.zeros(19)
    h[k("politeness_rate")], h[k("user_words_per_turn")] = 0.5, 5.0
    h[k("uncertainty_rate")] = 0.05  # inside the dead zone of 0.1: never rewarded
    proxy = training_signal.MomentProxy(h, {"airline_2": 1.0})
    x1, x2 = np.zeros(19), np.zeros(19)
    x1[k("politeness_rate")], x1[k("user_words_per_turn")] = 1.0, 10.0
    x2[k("user_words_per_turn")] = 4.0
    r = proxy(np.vstack([x1, x2]), np.array([True, True]), ["airline_2", "retail_10"],
              np.array([1.0, 0.0]))
    # rollout 1: mu = x1; weights -0.5 (politeness), -5 (words); D1 = -0.5/7, D2 = -50/4;
    # outcome matches the person: 100; six parts
    assert r[0] == pytest.approx((-0.5 / 7 - 12.5 + 100.0) / 6, abs=1e-12)
    # rollout 2: mu = 0.9 x1 + 0.1 x2 -> politeness 0.9, words 9.4; weights -0.4, -4.4;
    # D2 = -4.4 * 4 / 4; no person for retail_10: outcome part 0
    assert r[1] == pytest.approx(-4.4 / 6, abs=1e-12)


@pytest.mark.parametrize("module", [toy_simulator, training_signal])
def test_benchmark_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0
