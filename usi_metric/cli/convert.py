"""``usi convert``: a benchmark run (τ-bench, τ²-bench, OdysSim, the rollout form) as a
simulator file of the release, ``eval_results_<name>.json``, ready to join a release folder
(leaderboard, report, dataset).

The file is written in the form that reads back as the same sessions (see
``usi_metric.io.formats.write``), checked by reading it back before it is written; it
appears atomically (a temp file beside it, then a rename) and never replaces a file
without ``--overwrite``.

>>> import argparse
>>> sub = argparse.ArgumentParser().add_subparsers()
>>> register(sub)
>>> sorted(sub.choices)
['convert']
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from usi_metric.errors import UsiError
from usi_metric.io.ids import DOMAINS
from usi_metric.io.layout import SIM_PREFIX
from usi_metric.report.escape import for_terminal


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``convert`` to the ``usi`` parser."""
    p = sub.add_parser("convert", help="a tau-bench / tau2-bench / OdysSim run as a "
                       "simulator file of the release (eval_results_<name>.json)")
    p.add_argument("inputs", nargs="+", metavar="IN",
                   help="the run's results file(s), merged (say one per domain)")
    p.add_argument("--out", required=True,
                   help="the file to write, named eval_results_<name>.json")
    p.add_argument("--domain", choices=DOMAINS,
                   help="the domain of a tau-bench / tau2-bench file that does not say it")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.set_defaults(func=cmd_convert)


def cmd_convert(args: argparse.Namespace) -> int:
    from usi_metric.io.formats import read_runs, read_runs_files
    from usi_metric.io.formats.write import ROLLOUT, release_payload, session_identity

    out = Path(args.out)
    name = out.name.removesuffix(".json")
    if not out.name.endswith(".json") or not name.startswith(SIM_PREFIX) or \
            name == SIM_PREFIX:
        raise UsiError(f"must be named {SIM_PREFIX}<name>.json (a release's simulator file)",
                       file=str(out))
    from usi_metric.runtime.output import refuse_own_input, write_atomic

    refuse_own_input(out, args.inputs)
    if out.is_dir():
        raise UsiError("is a folder", file=str(out))
    if out.exists() and not args.overwrite:
        raise UsiError("already exists; pass --overwrite to replace it", file=str(out))
    runs = read_runs_files(args.inputs, args.domain)
    for note in runs.warnings:
        print(for_terminal(f"usi: warning: {note}"), file=sys.stderr)
    payload, form, why = release_payload(runs.sessions, runs.agent_ids)
    back = read_runs(str(out), json.loads(json.dumps(payload)))
    if [session_identity(s) for s in back.sessions] != [session_identity(s)
                                                         for s in runs.sessions]:
        raise UsiError("internal error: the written file would not read back as the same "
                       "sessions", file=str(out))
    text = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
    write_atomic(out, text, overwrite=args.overwrite, inputs=args.inputs)
    tasks = len({s.task_key for s in runs.sessions})
    n_runs = len({s.group for s in runs.sessions})
    how = (f"the rollout form {{\"results\": [...]}} with run numbers ({why})"
           if form == ROLLOUT else "the release layout {instance_id: entry}")
    print(for_terminal(f"wrote {out}: {len(runs.sessions)} sessions ({tasks} tasks, "
                       f"{n_runs} run(s)) as {how}"))
    return 0
