"""The same input gives byte-identical JSON: across runs, hash seeds, process counts and the
key order of JSON objects (where the spec says order does not matter).

Runs go through fresh interpreters (subprocesses), so worker processes really start and
``PYTHONHASHSEED`` really changes set and dict iteration of strings.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
from pyrun import run_python

from usi_metric.features import featurize_many
from usi_metric.samples import sample_release_dir

LEADERBOARD = """
import sys
from usi_metric.runtime import parallel
from usi_metric.io import load_release
from usi_metric.scoring import leaderboard, rows_json
print(rows_json(leaderboard(load_release(sys.argv[1]))))
print(len(parallel.worker_pids()), file=sys.stderr)
"""

FEATURES = """
import json, sys
from usi_metric.runtime import parallel
from usi_metric.features import featurize_many
from usi_metric.samples import sample_release_dir
root = sample_release_dir()
convs = [e["conversation"] for p in sorted((root / "eval_results").glob("*.json"))
         for e in json.loads(p.read_text()).values()]
convs += [[], [{"role": "user", "content": None}], ["junk"], [{"content": "x"}]] * 5
m, ok = featurize_many(convs, "llm", workers=int(sys.argv[1]))
sys.stdout.buffer.write(m.tobytes() + ok.tobytes())
print(len(convs), len(parallel.worker_pids()), file=sys.stderr)
"""


def test_same_input_same_bytes_across_runs_and_hash_seeds() -> None:
    root = str(sample_release_dir())
    outs = {run_python(LEADERBOARD, root, hashseed=seed).stdout for seed in ("0", "1", "12345")}
    assert len(outs) == 1
    rows = json.loads(outs.pop())["rows"]
    assert len(rows) >= 2 and rows[0]["name"] == "Human (inter-ann.)"


def test_one_or_two_processes_give_the_same_leaderboard() -> None:
    root = str(sample_release_dir())
    one = run_python(LEADERBOARD, root, workers="1")
    two = run_python(LEADERBOARD, root, workers="2")
    assert one.stderr.split()[-1] == b"0"  # no worker process
    assert two.stderr.split()[-1] == b"1"  # one worker besides the main process
    assert one.stdout == two.stdout


def test_one_or_two_processes_give_the_same_feature_matrix() -> None:
    one, two = run_python(FEATURES, "1"), run_python(FEATURES, "2")
    n, n_workers = two.stderr.split()[-2:]
    assert int(n) > 500 and n_workers == b"1" and one.stderr.split()[-1] == b"0"
    assert one.stdout == two.stdout


def test_unpicklable_content_falls_back_to_one_process_with_the_same_result() -> None:
    def odd() -> None:  # a local function cannot be pickled
        return None

    convs: list[Any] = [[{"role": "user", "content": "thanks, id abc123"},
                         {"role": "user", "content": odd}]] * 300
    one, ok1 = featurize_many(convs, "human", workers=1)
    two, ok2 = featurize_many(convs, "human", workers=2)
    assert one.tobytes() == two.tobytes() and np.array_equal(ok1, ok2)
    assert one[0, -1] == 2.0  # n_turns: the odd content is an empty message


# ----------------------------------------------------------------------------- key order


def shuffled(value: Any, rng: random.Random) -> Any:
    """The same JSON value with the keys of every object in a random order (lists keep
    their order: a conversation is a sequence)."""
    if isinstance(value, dict):
        items = [(k, shuffled(v, rng)) for k, v in value.items()]
        rng.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


def test_key_order_of_objects_does_not_matter(tmp_path: Path) -> None:
    """Shuffled: the fields of every entry, message and survey (nothing reads them in file
    order), and the top-level ids of the simulators' survey files (the spec takes them in
    sorted id order). Kept: the top-level id order of the human, simulator and
    human-eval-100 files, where order legitimately matters (the human-eval-100 entries are
    taken in file order for the seeded random draws, a later duplicate task of a run
    overwrites an earlier one, and rows average sessions in file order, so a new order could
    change the last bits of a mean)."""
    src = sample_release_dir()
    copy = tmp_path / "release"
    shutil.copytree(src, copy)
    rng = random.Random(6)
    n_files = 0
    for path in sorted(copy.rglob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        top_is_free = (path.name.startswith("survey_comparable_")
                       and "human-eval-100" not in path.name)
        items = [(k, shuffled(v, rng)) for k, v in data.items()]
        if top_is_free:
            rng.shuffle(items)
        new = dict(items)
        assert new == data  # same content ...
        if json.dumps(new) != json.dumps(data):  # ... in another order
            n_files += 1
        path.write_text(json.dumps(new), "utf-8")
    assert n_files >= 5
    assert run_python(LEADERBOARD, str(src)).stdout == run_python(LEADERBOARD, str(copy)).stdout


RECOVERY = """
import os, signal, sys
from usi_metric.runtime import parallel
from usi_metric.features import batch, featurize_many
convs = [[{"role": "user", "content": "ok " * (i % 9) + f"thanks, order #{i:07d}"}]
         for i in range(600)]                                    # rows differ by position
want = featurize_many(convs[::-1], "llm", workers=1)[0].tobytes()
batch.featurize_rows_parallel(convs[:10], "llm", workers=2)      # a healthy worker
real = batch.featurize_rows
def boom(chunk, source):                                         # this process fails mid-call,
    raise KeyboardInterrupt                                      # after the worker got its part
batch.featurize_rows = boom
try:
    featurize_many(convs, "llm", workers=2)
except KeyboardInterrupt:
    pass
batch.featurize_rows = real
assert featurize_many(convs[::-1], "llm", workers=2)[0].tobytes() == want  # no stale reply
os.kill(parallel.worker_pids()[0], signal.SIGKILL)               # a worker dies
assert featurize_many(convs[::-1], "llm", workers=2)[0].tobytes() == want
assert featurize_many(convs[::-1], "llm", workers=2)[0].tobytes() == want
print(len(parallel.worker_pids()))
"""


def test_a_dead_worker_or_an_interrupted_call_never_mixes_up_rows() -> None:
    proc = run_python(RECOVERY)
    assert proc.stdout.split() == [b"1"]  # and the pool still works afterwards


def test_a_bad_usi_workers_value_is_a_one_line_error() -> None:
    env = {**os.environ, "USI_WORKERS": "two"}
    proc = subprocess.run([sys.executable, "-m", "usi_metric", "leaderboard", "--data-dir",
                           str(sample_release_dir())], capture_output=True, text=True,
                          env=env, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == ("usi: error: the environment variable USI_WORKERS must "
                                   "be a whole number >= 1, got 'two'")
