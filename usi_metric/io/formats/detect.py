"""Which results format a parsed file is, told by its content (no flag, no file name).

- a JSON list of records with ``task_id`` and ``traj`` (or ``trial``): τ-bench;
- an object with a ``simulations`` list and an ``info`` object: τ²-bench;
- an object with a ``results`` list and OdysSim's ``benchmark`` / ``model`` /
  ``user_sim_model`` / ``n``: OdysSim;
- an object with a ``results`` list (or only ``results``): the rollout form;
- any other object: the release layout ``{instance_id: entry}``.

>>> detect_format("f.json", [{"task_id": 0, "trial": 0, "traj": []}])
'taubench'
>>> detect_format("f.json", {"airline_1": {"conversation": []}})
'release'
"""

from __future__ import annotations

from typing import Any

from usi_metric.errors import UsiError
from usi_metric.features.extract import is_mapping
from usi_metric.io.formats.odyssim import is_odyssim
from usi_metric.io.formats.tau2bench import is_tau2bench
from usi_metric.io.formats.taubench import is_taubench
from usi_metric.io.validate import tname

RELEASE, ROLLOUT, TAUBENCH, TAU2BENCH, ODYSSIM = (
    "release", "rollout", "taubench", "tau2bench", "odyssim")
FORMATS: tuple[str, ...] = (RELEASE, ROLLOUT, TAUBENCH, TAU2BENCH, ODYSSIM)
KNOWN = ("a simulator runs file must be a JSON object {instance_id: entry} or "
         "{\"results\": [...]}, a tau-bench results list, a tau2-bench results.json or an "
         "OdysSim *_task_results.json")


def detect_format(path: str, data: Any) -> str:
    """The format of a parsed simulator runs file (one of ``FORMATS``), or a one-line error.

    >>> detect_format("f.json", {"benchmark": "tau_usi", "results": []})
    'odyssim'
    >>> detect_format("f.json", [1, 2])
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: f.json: not a results file this tool reads: ...; got a list of int
    """
    if is_taubench(data):
        return TAUBENCH
    if is_mapping(data):
        if is_tau2bench(data):
            return TAU2BENCH
        if is_odyssim(data):
            return ODYSSIM
        if isinstance(data.get("results"), list) or set(data) == {"results"}:
            return ROLLOUT
        return RELEASE
    if isinstance(data, list):
        got = f"a list of {tname(data[0])}" if data else "an empty list"
        if data and is_mapping(data[0]):
            got = f"a list of records with keys {', '.join(sorted(map(str, data[0]))[:6])}"
    else:
        got = tname(data)
    raise UsiError(f"not a results file this tool reads: {KNOWN}; got {got}", file=path)
