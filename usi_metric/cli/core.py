"""The core commands: ``leaderboard``, ``score``, ``difficulty``, ``features``."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from usi_metric.errors import UsiError
from usi_metric.features import COLUMNS
from usi_metric.io import HUMAN_FILE, load_humans, load_release, load_simulator, load_survey
from usi_metric.report.render import print_rows
from usi_metric.samples import SYNTHETIC_NOTE, is_synthetic
from usi_metric.scoring import (
    human_ceiling,
    leaderboard,
    pooled_difficulty,
    resolve_difficulty,
    score_simulator,
)
from usi_metric.scoring.explain import no_usi_reason, sim_tasks, yardstick, yardstick_line

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
    p.add_argument("runs", help="the simulator's runs: {id: entry} or {\"results\": [...]}")
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
    return 2 if release.problems else 0


def cmd_score(args: argparse.Namespace) -> int:
    release = load_release(args.data_dir, conversations=False)
    sim = load_simulator(args.runs, args.label)
    survey = load_survey(args.survey, sim.name) if args.survey else None
    if args.difficulty == "self":
        diff = pooled_difficulty([sim], "self-pooled")
    else:
        diff = resolve_difficulty(release, args.difficulty)
    row = score_simulator(sim, release.humans, diff, survey)
    reason = no_usi_reason(row, diff, sim, "pass '--difficulty published', '--difficulty "
                           "release' or '--difficulty MAP.json'")
    if reason is not None:
        raise UsiError(reason, file=args.runs)
    rows = [human_ceiling(release.humans, diff, release.human_eval), row]
    y = yardstick(diff, sim_tasks(sim))
    print_rows(rows, args.format, f"USI of {sim.name} against {args.data_dir}",
               _caption(args.data_dir), extra={"difficulty": y}, notes=[yardstick_line(y)])
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
    Path(args.output).write_text(json.dumps(payload, sort_keys=True, indent=2) + "\n",
                                 encoding="utf-8")
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
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(head + list(COLUMNS))
    for rec in records:
        w.writerow(["" if rec[k] is None else rec[k] for k in head + list(COLUMNS)])
    return 0
