"""The core commands: ``leaderboard``, ``score``, ``difficulty``, ``features``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from usi_metric.cli.ci import add_ci_arguments, options_from_args, with_intervals
from usi_metric.errors import UsiError
from usi_metric.io.ids import DOMAINS
from usi_metric.io.layout import HUMAN_FILE
from usi_metric.samples import SYNTHETIC_NOTE, is_synthetic

if TYPE_CHECKING:
    from usi_metric.io.sessions import Release

# The commands import what they need when they run: the parser builds without numpy.

FORMATS = ("table", "json", "csv")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the core subcommands to the ``usi`` parser."""
    p = sub.add_parser("leaderboard", help="score every simulator of a release folder")
    p.add_argument("--data-dir", required=True, help="release folder (tau-usi layout)")
    p.add_argument("--difficulty", default="self",
                   help="the ECE yardstick: 'self' (pooled over the simulators scored, as the "
                   "paper's table; default), 'published' (the paper's frozen map) or MAP.json")
    p.add_argument("--format", choices=FORMATS, default="table")
    add_ci_arguments(p)
    p.set_defaults(func=cmd_leaderboard)

    p = sub.add_parser("score", help="score one new simulator against the release's humans")
    p.add_argument("runs", nargs="+", metavar="RUNS",
                   help="the simulator's runs file(s), merged (say one per domain): the "
                   "release's {id: entry}, the rollout form {\"results\": [...]}, or the "
                   "results file of a tau-bench, tau2-bench or OdysSim run (told by content)")
    p.add_argument("--domain", choices=DOMAINS,
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
    add_ci_arguments(p)
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
    from usi_metric.io.formats import misread_run_suffixes
    from usi_metric.io.release import load_release
    from usi_metric.report.render import print_rows
    from usi_metric.scoring import leaderboard, resolve_difficulty
    from usi_metric.scoring.explain import yardstick, yardstick_line

    options = options_from_args(args)
    release = load_release(args.data_dir, strict=False, conversations=False)
    diff = resolve_difficulty(release, args.difficulty)
    rows = leaderboard(release, diff)
    tasks = {s.task_key for sim in release.simulators.values() for s in sim.sessions}
    y = yardstick(diff, tasks)
    extra, notes = {"difficulty": y}, [yardstick_line(y)]
    if options is not None:
        rows, ci_extra, ci_note = with_intervals(rows, release.humans, release.simulators, diff,
                                                 release.surveys, release.human_eval, options)
        extra.update(ci_extra)
        notes.append(ci_note)
    print_rows(rows, args.format, f"USI leaderboard: {args.data_dir}", _caption(args.data_dir),
               extra=extra, notes=notes)
    for problem in release.problems:
        print(f"usi: error: {problem} ({_left_out(problem, release)})", file=sys.stderr)
    if not release.simulators and not release.problems:
        note_no_simulators(args.data_dir, "only the human row")
    for sim in release.simulators.values():
        misread = misread_run_suffixes(sim.sessions, _human_ids(release))
        if misread is not None:
            print(f"usi: warning: {sim.path}: {misread}", file=sys.stderr)
    return 2 if release.problems else 0


def note_no_simulators(data_dir: str, consequence: str) -> None:
    """Say on stderr that a release folder holds no simulator file (never a silent empty)."""
    print(f"usi: note: no simulator files (eval_results_*.json) in "
          f"{Path(data_dir) / 'eval_results'}: {consequence}", file=sys.stderr)


def _left_out(problem: UsiError, release: Release) -> str:
    """What a bad file costs the table: a simulator file its row, a survey file one term."""
    from usi_metric.io.layout import HUMAN_EVAL_NAME, SURVEY_PREFIX, survey_name

    name = Path(problem.file or "").name
    if not name.startswith(SURVEY_PREFIX):
        return "left out of the table"
    owner = survey_name(name)
    if owner == HUMAN_EVAL_NAME:
        return "survey left out: the human row scores 5 terms"
    if owner in release.simulators:
        return "survey left out: this simulator scores 5 terms"
    return "survey left out"


def _human_ids(release: Release) -> set[str]:
    return {s.base_id for s in release.humans.sessions}


def cmd_score(args: argparse.Namespace) -> int:
    from usi_metric.io.formats import misread_run_suffixes
    from usi_metric.io.release import load_release, load_simulator_files, load_survey
    from usi_metric.report.render import print_rows
    from usi_metric.scoring import (
        human_ceiling,
        pooled_difficulty,
        resolve_difficulty,
        score_simulator,
    )
    from usi_metric.scoring.explain import (
        coverage,
        coverage_line,
        no_usi_reason,
        sim_tasks,
        survey_coverage,
        survey_line,
        yardstick,
        yardstick_line,
    )

    options = options_from_args(args)
    release = load_release(args.data_dir, conversations=False)
    sim = load_simulator_files(args.runs, args.label, domain=args.domain)
    runs_file = ", ".join(args.runs)
    survey = load_survey(args.survey, sim.name) if args.survey else None
    if survey is not None:
        c = survey_coverage(survey, release.humans)
        if c["n_covered"] == 0:
            raise UsiError("no id of the survey file is a kept human session of the release "
                           "(its ids are the humans' session ids, like 'airline_7' or "
                           "'airline_7_ann2')", file=args.survey)
        if c["n_valid"] == 0:
            print(f"usi: warning: {args.survey}: none of its {c['n_answers']} answers on the "
                  "human sessions is one of the options, so its Eval is made of seeded fills "
                  "only (is it a survey file?)", file=sys.stderr)
    if args.difficulty == "self":
        diff = pooled_difficulty([sim], "self-pooled")
    else:
        diff = resolve_difficulty(release, args.difficulty)
    row = score_simulator(sim, release.humans, diff, survey)
    if all(b.dims is None for b in row.batches):
        misread = misread_run_suffixes(sim.sessions, _human_ids(release))
        if misread is not None:
            raise UsiError(misread, file=runs_file)
    if args.difficulty in ("published", "release", "self"):
        how = ("pass '--difficulty published', '--difficulty release' or "
               "'--difficulty MAP.json'")
    else:  # a map was given: its keys are what to check
        how = ("check that the map's task keys are the runs' (like 'airline_7'), or pass "
               "'--difficulty published' or '--difficulty release'")
    reason = no_usi_reason(row, diff, sim, how)
    if reason is not None:
        raise UsiError(reason, file=runs_file)
    rows = [human_ceiling(release.humans, diff, release.human_eval), row]
    y = yardstick(diff, sim_tasks(sim))
    cover = coverage(sim, release.humans)
    extra, notes = {"coverage": cover, "difficulty": y}, [yardstick_line(y), coverage_line(cover)]
    if survey is not None:
        extra["survey"] = survey_cover = survey_coverage(survey, release.humans)
        notes.append(survey_line(survey_cover))
    if options is not None:
        rows, ci_extra, ci_note = with_intervals(
            rows, release.humans, {sim.name: sim}, diff,
            {} if survey is None else {sim.name: survey}, release.human_eval, options)
        extra.update(ci_extra)
        notes.append(ci_note)
    print_rows(rows, args.format, f"USI of {sim.name} against {args.data_dir}",
               _caption(args.data_dir), extra=extra, notes=notes)
    return 0


def cmd_difficulty(args: argparse.Namespace) -> int:
    from usi_metric.io.layout import release_inputs
    from usi_metric.io.release import load_release
    from usi_metric.runtime.output import refuse_own_input, write_atomic
    from usi_metric.scoring import pooled_difficulty

    inputs = release_inputs(args.data_dir)
    refuse_own_input(args.output, inputs)  # before the work, not after it

    release = load_release(args.data_dir, conversations=False)
    if not release.simulators:
        raise UsiError("the release has no simulator files to pool", file=args.data_dir)
    diff = pooled_difficulty(release.simulators.values(), "self-pooled")
    if not diff.values:
        raise UsiError("no task has >= 10 pooled simulator samples", file=args.data_dir)
    payload = {"difficulty": diff.values, "provenance": diff.provenance()}
    payload["provenance"]["data_dir"] = str(args.data_dir)
    write_atomic(args.output, json.dumps(payload, sort_keys=True, indent=2) + "\n",
                 overwrite=args.overwrite, inputs=inputs)
    print(f"wrote {args.output}: {len(diff.values)} tasks with a difficulty, pooled over "
          f"{len(diff.simulators)} simulators ({', '.join(diff.simulators)})")
    return 0


def cmd_features(args: argparse.Namespace) -> int:
    from usi_metric.features.names import COLUMNS
    from usi_metric.io.release import load_humans, load_simulator

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
