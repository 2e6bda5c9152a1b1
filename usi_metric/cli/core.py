"""The core commands: ``leaderboard``, ``score``, ``difficulty``, ``features``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from usi_metric.errors import UsiError
from usi_metric.features import COLUMNS
from usi_metric.io import (
    HUMAN_FILE,
    Release,
    load_humans,
    load_release,
    load_simulator,
    load_simulator_files,
    load_survey,
)
from usi_metric.io.formats import TAU_DOMAINS, misread_run_suffixes
from usi_metric.report.render import print_rows
from usi_metric.runtime.output import write_atomic
from usi_metric.samples import SYNTHETIC_NOTE, is_synthetic
from usi_metric.scoring import (
    human_ceiling,
    leaderboard,
    pooled_difficulty,
    resolve_difficulty,
    score_simulator,
)
from usi_metric.scoring.explain import (
    coverage,
    coverage_line,
    no_usi_reason,
    sim_tasks,
    yardstick,
    yardstick_line,
)

FORMATS = ("table", "json", "csv")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the core subcommands to the ``usi`` parser."""
    p = sub.add_parser("leaderboard", help="score every simulator of a release folder")
    p.add_argument("--data-dir", required=True, help="release folder (tau-usi layout)")
    p.add_argument("--difficulty", default="self",
                   help="the ECE yardstick: 'self' (pooled over the simulators scored, as the "
                   "paper's table; default), 'published' (the paper's frozen map) or MAP.json")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=cmd_leaderboard)

    p = sub.add_parser("score", help="score one new simulator against the release's humans")
    p.add_argument("runs", nargs="+", metavar="RUNS",
                   help="the simulator's runs file(s), merged (say one per domain): the "
                   "release's {id: entry}, the rollout form {\"results\": [...]}, or the "
                   "results file of a tau-bench, tau2-bench or OdysSim run (told by content)")
    p.add_argument("--domain", choices=TAU_DOMAINS,
                   help="the domain of a tau-bench / tau2-bench file that does not say it")
    p.add_argument("--data-dir", required=True, help="release folder (tau-usi layout)")
    p.add_argument("--survey", help="the simulator's survey answers on the human sessions")
    p.add_argument("--difficulty", default="published",
                   help="the ECE yardstick: 'published' (the paper's frozen per-task "
                   "difficulty of its 31 simulators, so the USI is comparable with the "
                   "published table; default), 'release' (pooled over the release's "
                   "simulators), 'self' (over this simulator alone) or MAP.json")
    p.add_argument("--label", help="name to show (default: from the file name)")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("difficulty", help="freeze the pooled task difficulty of a release")
    p.add_argument("--data-dir", required=True, help="release folder (tau-usi layout)")
    p.add_argument("-o", "--output", required=True, help="where to write MAP.json")
    p.add_argument("--overwrite", action="store_true", help="replace MAP.json if it exists")
    p.set_defaults(func=cmd_difficulty)

    p = sub.add_parser("features", help="the per-session feature table of one file")
    p.add_argument("file", help="a human sessions file or a simulator runs file")
    p.add_argument("--source", choices=("human", "llm"),
                   help=f"cleaning rules (default: human for {HUMAN_FILE}, else llm)")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.set_defaults(func=cmd_features)


def _caption(data_dir: str) -> str:
    return SYNTHETIC_NOTE if is_synthetic(data_dir) else ""


def cmd_leaderboard(args: argparse.Namespace) -> int:
    release = load_release(args.data_dir, strict=False, conversations=False)
    diff = resolve_difficulty(release, args.difficulty)
    rows = leaderboard(release, diff)
    tasks = {s.task_key for sim in release.simulators.values() for s in sim.sessions}
    y = yardstick(diff, tasks)
    print_rows(rows, args.format, f"USI leaderboard: {args.data_dir}", _caption(args.data_dir),
               extra={"difficulty": y}, notes=[yardstick_line(y)])
    for problem in release.problems:
        print(f"usi: error: {problem} (left out of the table)", file=sys.stderr)
    if not release.simulators and not release.problems:
        print(f"usi: note: no simulator files (eval_results_*.json) in "
              f"{Path(args.data_dir) / 'eval_results'}: only the human row", file=sys.stderr)
    for sim in release.simulators.values():
        misread = misread_run_suffixes(sim.sessions, _human_ids(release))
        if misread is not None:
            print(f"usi: warning: {sim.path}: {misread}", file=sys.stderr)
    return 2 if release.problems else 0


def _human_ids(release: Release) -> set[str]:
    return {s.base_id for s in release.humans.sessions}


def cmd_score(args: argparse.Namespace) -> int:
    release = load_release(args.data_dir, conversations=False)
    sim = load_simulator_files(args.runs, args.label, domain=args.domain)
    runs_file = ", ".join(args.runs)
    survey = load_survey(args.survey, sim.name) if args.survey else None
    if args.difficulty == "self":
        diff = pooled_difficulty([sim], "self-pooled")
    else:
        diff = resolve_difficulty(release, args.difficulty)
    row = score_simulator(sim, release.humans, diff, survey)
    if all(b.dims is None for b in row.batches):
        misread = misread_run_suffixes(sim.sessions, _human_ids(release))
        if misread is not None:
            raise UsiError(misread, file=runs_file)
    reason = no_usi_reason(row, diff, sim, "pass '--difficulty published', '--difficulty "
                           "release' or '--difficulty MAP.json'")
    if reason is not None:
        raise UsiError(reason, file=runs_file)
    rows = [human_ceiling(release.humans, diff, release.human_eval), row]
    y = yardstick(diff, sim_tasks(sim))
    cover = coverage(sim, release.humans)
    print_rows(rows, args.format, f"USI of {sim.name} against {args.data_dir}",
               _caption(args.data_dir), extra={"coverage": cover, "difficulty": y},
               notes=[yardstick_line(y), coverage_line(cover)])
    return 0


def cmd_difficulty(args: argparse.Namespace) -> int:
    release = load_release(args.data_dir, conversations=False)
    if not release.simulators:
        raise UsiError("the release has no simulator files to pool", file=args.data_dir)
    diff = pooled_difficulty(release.simulators.values(), "self-pooled")
    if not diff.values:
        raise UsiError("no task has >= 10 pooled simulator samples", file=args.data_dir)
    payload = {"difficulty": diff.values, "provenance": diff.provenance()}
    payload["provenance"]["data_dir"] = str(args.data_dir)
    write_atomic(args.output, json.dumps(payload, sort_keys=True, indent=2) + "\n",
                 overwrite=args.overwrite)
    print(f"wrote {args.output}: {len(diff.values)} tasks with a difficulty, pooled over "
          f"{len(diff.simulators)} simulators ({', '.join(diff.simulators)})")
    return 0


def cmd_features(args: argparse.Namespace) -> int:
    source = args.source or ("human" if Path(args.file).name == HUMAN_FILE else "llm")
    sset = load_humans(args.file) if source == "human" else load_simulator(args.file)
    head = ["instance_id", "task_key", "group", "reward", "keep"]
    records = []
    for s, vec, ok in zip(sset.sessions, sset.features, sset.has_features, strict=True):
        rec: dict[str, object] = {"instance_id": s.instance_id, "task_key": s.task_key,
                                  "group": s.group, "reward": s.reward, "keep": s.keep}
        rec.update({c: (float(v) if ok else None) for c, v in zip(COLUMNS, vec, strict=True)})
        records.append(rec)
    if args.format == "json":
        print(json.dumps({"columns": head + list(COLUMNS), "rows": records, "source": source},
                         sort_keys=True, indent=2))
        return 0
    buf = io.StringIO()  # the whole table first: never a header and then a failure
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head + list(COLUMNS))
    for rec in records:
        w.writerow(["" if rec[k] is None else rec[k] for k in head + list(COLUMNS)])
    sys.stdout.write(buf.getvalue())
    return 0
