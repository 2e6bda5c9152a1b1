"""``USIReward`` under ``torch.distributed`` (2 CPU processes, gloo on 127.0.0.1): each
process passes its own shard, gets its slice of the GLOBAL batch's credits, equal (1e-9) to
the one-process result on the whole batch; nothing but features, task keys and rewards is
gathered."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path

from rollout_gen import make_rollouts

from usi_metric.errors import UsiWarning
from usi_metric.reference import HumanReference
from usi_metric.training.reward import USIReward

WORKER = r"""
import json, sys, warnings
import torch.distributed as dist
rank, port, data, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
from usi_metric.reference import HumanReference
from usi_metric.training.reward import USIReward
rolls = json.load(open(data))
half = (len(rolls) + 1) // 2
mine = rolls[:half] if rank == 0 else rolls[half:]
result = {}
for credit in ("balanced", "difference"):
    fn = USIReward(HumanReference.synthetic(), credit=credit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = fn([c for _, c, _ in mine], task_key=[t for t, _, _ in mine],
                 reward=[r for _, _, r in mine])
    result[credit] = {"credits": got, "usi": fn.last["usi"]}
json.dump(result, open(out, "w"))
dist.destroy_process_group()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_processes_equal_one(tmp_path: Path) -> None:
    ref = HumanReference.synthetic()
    keys = sorted({s.task_key for s in ref.humans().sessions})
    rolls = make_rollouts(keys, seed=17, per_task=2, n_tasks=7, featureless=1)
    data = tmp_path / "rolls.json"
    data.write_text(json.dumps(rolls), encoding="utf-8")
    port = str(_free_port())
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1]),
                                         env.get("PYTHONPATH", "")])
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(r), port, str(data),
                               str(tmp_path / f"out{r}.json")], env=env,
                              stderr=subprocess.PIPE, text=True) for r in (0, 1)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    outs = [json.loads((tmp_path / f"out{r}.json").read_text(encoding="utf-8"))
            for r in (0, 1)]
    for credit in ("balanced", "difference"):
        _check(ref, rolls, credit, [o[credit] for o in outs])


def _check(ref: HumanReference, rolls: list, credit: str, parts: list[dict]) -> None:
    fn = USIReward(ref, credit=credit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UsiWarning)
        whole = fn([c for _, c, _ in rolls], task_key=[t for t, _, _ in rolls],
                   reward=[r for _, _, r in rolls])
    got = parts[0]["credits"] + parts[1]["credits"]
    assert len(parts[0]["credits"]) == (len(rolls) + 1) // 2
    assert len(got) == len(whole)
    assert max(abs(a - b) for a, b in zip(got, whole, strict=True)) < 1e-9
    assert max(abs(v) for v in whole) > 0.01
    for p in parts:
        assert abs(p["usi"]["mean"] - fn.last["usi"]["mean"]) < 1e-9
