"""Helpers of the tests that run real processes: a snippet of Python in a fresh
interpreter, and the check of a failed ``usi`` run's single error line.

A fresh interpreter runs one thread (so worker processes really start, which a pytest
process with threads of its own would refuse), ``PYTHONHASHSEED`` really changes string
hashing, and ``USI_WORKERS`` is exactly what the test asks for. The tests folder is on the
child's path, so a snippet can import helpers from a test module.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def run_python(code: str, *args: str, workers: str | None = None,
               hashseed: str = "0") -> subprocess.CompletedProcess[bytes]:
    """``python -c code args``; the run must succeed (its stderr is the failure message)."""
    env = {k: v for k, v in os.environ.items() if k != "USI_WORKERS"}
    env["PYTHONHASHSEED"] = hashseed
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    if workers is not None:
        env["USI_WORKERS"] = workers
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str,
                   code: int = 2) -> str:
    """The single stderr line of a failed ``usi`` run: exit ``code``, one ``usi: error:``
    line naming every needle, no traceback. Returns the line."""
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    err = proc.stderr.strip()
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("usi: error: "), err
    for needle in needles:
        assert needle in err, (needle, err)
    return err
