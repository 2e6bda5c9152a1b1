"""The core commands: ``leaderboard``, ``score``, ``difficulty``, ``features``."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from usi_metric.cli.ci import add_ci_arguments, options_from_args, with_intervals
from usi_metric.errors import UsiError
from usi_metric.io.ids import DOMAINS
from usi_metric.io.layout import HUMAN_FILE
from usi_metric.report.escape import for_csv, for_terminal
from usi_metric.samples import SYNTHETIC_NOTE, is_synthetic

if TYPE_CHECKING:
    from usi_metric.io.sessions import Release
    from usi_metric.reference import HumanReference

# The commands import what they need when they run: the parser builds without numpy.

FORMATS = ("table", "json", "csv")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the core subcommands to the ``usi`` parser."""
    p = sub.add_parser("leaderboard", help="score every simulator of a release folder")
    p.add_argument("--data-dir", required=True, help="release folder (tau-usi layout)")
    p.add_argument("--reference", metavar="REF",
                   help="score against this human reference file (usi reference build) "
                   "instead of the release's humans")
    p.add_argument("--difficulty", default=None,
                   help="the ECE yardstick: 'published' (the paper's frozen map; default, or "
                   "the map stored in --reference), 'self' (pooled over the simulators "
                   "scored; on the paper's release the same map), or MAP.json")
    p.add_argument("--format", choices=FORMATS, default="table")
    add_ci_arguments(p)
    p.set_defaults(func=cmd_leaderboard)

    p = sub.add_parser("score", help="score one new simulator against the people of a "
                       "release or of a reference file")
    p.add_argument("runs", nargs="+", metavar="RUNS",
                   help="the simulator's runs file(s), merged (say one per domain): the "
                   "release's {id: entry}, the rollout form {\"results\": [...]}, or the "
                   "results file of a tau-bench, tau2-bench or OdysSim run (told by content)")
    p.add_argument("--domain", choices=DOMAINS,
                   help="the domain of a tau-bench / tau2-bench file that does not say it")
    p.add_argument("--data-dir", help="release folder (tau-usi layout): its humans")
    p.add_argument("--reference", metavar="REF",
                   help="a human reference file (usi reference build): its people, without "
                   "the transcripts (give this or --data-dir)")
    p.add_argument("--survey", help="the simulator's survey answers on the human sessions")
    p.add_argument("--difficulty", default=None,
                   help="the ECE yardstick: 'published' (the paper's frozen per-task "
                   "difficulty of its 31 simulators, so the USI is comparable with the "
                   "published table; default, unless the reference stores a map: then that "
                   "map), 'release' (pooled over the release's simulators), 'self' (over "
                   "this simulator alone) or MAP.json")
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


def _caption(data_dir: str | None, ref: HumanReference | None = None) -> str:
    synthetic = (data_dir is not None and is_synthetic(data_dir)) or (
        ref is not None and bool(ref.provenance.get("synthetic")))
    return SYNTHETIC_NOTE if synthetic else ""


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from usi_metric.runtime.gc import gc_paused

    # No collection of cycles meanwhile: reading and scoring make none, and each one would
    # rescan the whole parsed release (what the command makes is freed as it goes).
    with gc_paused():
        return _leaderboard(args)


def _leaderboard(args: argparse.Namespace) -> int:
    from usi_metric.io.formats import misread_run_suffixes
    from usi_metric.io.release import load_release
    from usi_metric.report.render import print_rows
    from usi_metric.scoring import human_ceiling, resolve_difficulty, sort_rows
    from usi_metric.scoring.explain import (
        HUMAN_NO_EVAL,
        no_survey_line,
        partial_coverage_lines,
        yardstick,
        yardstick_line,
    )
    from usi_metric.scoring.score import coverage_of, default_difficulty, score

    options = options_from_args(args)
    release = load_release(args.data_dir, strict=False, conversations=False)
    ref = reference_of(args, release)
    humans, human_eval = ref.humans(), ref.human_eval()
    diff = (default_difficulty(ref) if args.difficulty is None
            else resolve_difficulty(release, args.difficulty))
    rows = [human_ceiling(humans, diff, human_eval)]
    with cli_warnings(skip="no USI"):  # a row without a USI shows it (and why, below)
        for name, sim in release.simulators.items():
            rows.append(score(sim, ref, survey=release.surveys.get(name), difficulty=diff).row)
    rows = sort_rows(rows)
    tasks = {s.task_key for sim in release.simulators.values() for s in sim.sessions}
    y = yardstick(diff, tasks)
    extra, notes = {"difficulty": y}, [yardstick_line(y)]
    if release.simulators:  # what each row rests on (`usi report` has it as a table)
        extra["coverage"] = {name: coverage_of(sim, humans)
                             for name, sim in release.simulators.items()}
        ordered = [r.name for r in rows if r.name in release.simulators]  # the table's order
        notes += partial_coverage_lines((release.simulators[n] for n in ordered), humans)
        line = no_survey_line([r.name for r in rows if r.name in release.simulators
                               and r.name not in release.surveys
                               and r.cells.get("eval_agree") is None])
        if line is not None:
            notes.append(line)
    if rows[0].kind == "human" and rows[0].cells.get("eval_agree") is None:
        notes.append(HUMAN_NO_EVAL)
    if args.reference is not None:
        extra["reference"] = args.reference
    if options is not None:
        rows, ci_extra, ci_note = with_intervals(rows, humans, release.simulators, diff,
                                                 release.surveys, human_eval, options)
        extra.update(ci_extra)
        notes.append(ci_note)
    print_rows(rows, args.format, f"USI leaderboard: {args.data_dir}",
               _caption(args.data_dir, ref), extra=extra, notes=notes)
    for problem in release.problems:
        print(for_terminal(f"usi: error: {problem} ({_left_out(problem, release)})"),
              file=sys.stderr)
    if not release.simulators and not release.problems:
        note_no_simulators(args.data_dir, "only the human row")
    if tasks and y["n_tasks_outside"] == y["n_tasks_scored"]:
        print(for_terminal(f"usi: warning: the {diff.source} yardstick knows none of the "
                           f"{len(tasks)} tasks of the runs, so no row has an ECE or a USI; "
                           f"{HOW_CLI}"), file=sys.stderr)
    for sim in release.simulators.values():
        misread = misread_run_suffixes(sim.sessions, set(ref.base_ids))
        if misread is not None:
            print(for_terminal(f"usi: warning: {sim.path}: {misread}"), file=sys.stderr)
    return 2 if release.problems else 0


HOW_CLI = ("pass '--difficulty self' (pooled over the runs scored) or '--difficulty MAP.json' "
           "(or build the reference with '--difficulty MAP.json')")


def reference_of(args: argparse.Namespace, release: Release | None = None) -> HumanReference:
    """The people a command scores against: ``--reference``'s file, else the release's
    humans (read with the release, or from ``--data-dir``)."""
    from usi_metric.reference import HumanReference
    from usi_metric.reference.build import from_set

    if getattr(args, "reference", None) is not None:
        return HumanReference.load(args.reference)
    if release is not None:
        return from_set(release.humans, release.human_eval, source=f"release {args.data_dir}",
                        synthetic=is_synthetic(args.data_dir))
    return HumanReference.from_release(args.data_dir)


@contextlib.contextmanager
def cli_warnings(skip: str | None = None) -> Iterator[None]:
    """Library warnings (``UsiWarning``) as one ``usi: warning:`` line each on stderr (a
    line said twice, say by two reads of one release, is printed once); ``skip``: a message
    the command says itself (as an error). The ``usi`` command runs every command inside
    one, so no library warning reaches the terminal in Python's own format."""
    from usi_metric.errors import UsiWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UsiWarning)
        try:
            yield
        finally:
            said: set[str] = set()
            for w in caught:
                text = str(w.message)
                if (skip is not None and skip in text) or text in said:
                    continue
                said.add(text)
                show_warning(w.message, w.category, w.filename, w.lineno)


def show_warning(message: Warning | str, category: type[Warning], filename: str,
                 lineno: int, file: Any = None, line: str | None = None) -> None:
    r"""How the CLI shows a warning (every command runs inside :func:`cli_warnings`): a
    library's ``UsiWarning`` as one ``usi: warning:`` line, another library's as Python
    shows it; either made inert for the terminal (a name's escape sequences as escapes).

    >>> show_warning("x\x1b[2J", UserWarning, "f.py", 1, file=sys.stdout)
    f.py:1: UserWarning: x\x1b[2J
    """
    from usi_metric.errors import UsiWarning

    if issubclass(category, UsiWarning):
        text = for_terminal(f"usi: warning: {message}")
    else:
        text = for_terminal(warnings.formatwarning(message, category, filename, lineno, line)
                            .rstrip("\n"), keep_lines=True)
    with contextlib.suppress(OSError, ValueError):  # stderr gone: the warning is lost
        print(text, file=sys.stderr if file is None else file)


def note_no_simulators(data_dir: str, consequence: str) -> None:
    """Say on stderr that a release folder holds no simulator file (never a silent empty)."""
    print(for_terminal(f"usi: note: no simulator files (eval_results_*.json) in "
                       f"{Path(data_dir) / 'eval_results'}: {consequence}"), file=sys.stderr)


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


def cmd_score(args: argparse.Namespace) -> int:
    from usi_metric.io.formats import misread_run_suffixes
    from usi_metric.io.release import load_release, load_simulator_files, load_survey
    from usi_metric.report.render import print_rows
    from usi_metric.scoring import human_ceiling, resolve_difficulty
    from usi_metric.scoring.explain import (
        coverage,
        coverage_line,
        no_eval_line,
        no_usi_reason,
        sim_tasks,
        survey_coverage,
        survey_line,
        yardstick,
        yardstick_line,
    )
    from usi_metric.scoring.score import NO_SURVEY_COVER, SURVEY_IDS, score

    if (args.data_dir is None) == (args.reference is None):
        raise UsiError("give the people to score against: --data-dir DIR (a release) or "
                       "--reference REF (a reference file), one of them")
    if args.difficulty == "release" and args.data_dir is None:
        raise UsiError("'--difficulty release' pools the release's simulators: it needs "
                       "--data-dir")
    options = options_from_args(args)
    ref = reference_of(args)
    sim = load_simulator_files(args.runs, args.label, domain=args.domain, conversations=False)
    runs_file = ", ".join(args.runs)
    survey = load_survey(args.survey, sim.name) if args.survey else None
    if survey is not None and survey_coverage(survey, ref.humans())["n_covered"] == 0:
        what = "reference" if args.reference else "release"
        raise UsiError(f"{NO_SURVEY_COVER} of the {what} ({SURVEY_IDS})", file=args.survey)
    spec = args.difficulty
    if spec == "release":
        spec = resolve_difficulty(load_release(args.data_dir, conversations=False), spec)
    elif spec not in (None, "published", "self"):  # a map file (or a typo: one line)
        spec = resolve_difficulty(None, spec)
    result = None
    with cli_warnings(skip="no USI"):  # said below as the error, in the CLI's words
        result = score(sim, ref, survey=survey, difficulty=spec)
    row, diff, humans = result.row, result.difficulty, ref.humans()
    if all(b.dims is None for b in row.batches):
        misread = misread_run_suffixes(sim.sessions, set(ref.base_ids))
        if misread is not None:
            raise UsiError(misread, file=runs_file)
    if args.difficulty in (None, "published", "release", "self"):
        how = ("pass '--difficulty published', '--difficulty self', '--difficulty release' "
               "(with --data-dir) or '--difficulty MAP.json' (or build the reference with "
               "'--difficulty MAP.json')")
    else:  # a map was given: its keys are what to check
        how = ("check that the map's task keys are the runs' (like 'airline_7'), or pass "
               "'--difficulty published' or '--difficulty self'")
    reason = no_usi_reason(row, diff, sim, how)
    if reason is not None:
        raise UsiError(reason, file=runs_file)
    rows = [human_ceiling(humans, diff, ref.human_eval()), row]
    y = yardstick(diff, sim_tasks(sim))
    cover = coverage(sim, humans)
    extra, notes = {"coverage": cover, "difficulty": y}, [yardstick_line(y), coverage_line(cover)]
    if args.reference is not None:
        extra["reference"] = args.reference
    if survey is not None:
        extra["survey"] = survey_cover = survey_coverage(survey, humans)
        notes.append(survey_line(survey_cover))
    eval_line = no_eval_line(row, rows[0])
    if eval_line is not None:
        notes.append(eval_line)
    if options is not None:
        rows, ci_extra, ci_note = with_intervals(
            rows, humans, {sim.name: sim}, diff,
            {} if survey is None else {sim.name: survey}, ref.human_eval(), options)
        extra.update(ci_extra)
        notes.append(ci_note)
    against = args.data_dir if args.reference is None else args.reference
    print_rows(rows, args.format, f"USI of {sim.name} against {against}",
               _caption(args.data_dir, ref), extra=extra, notes=notes)
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
    print(for_terminal(f"wrote {args.output}: {len(diff.values)} tasks with a difficulty, "
                       f"pooled over {len(diff.simulators)} simulators "
                       f"({', '.join(diff.simulators)})"))
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
        w.writerow(["" if rec[k] is None else for_csv(rec[k]) if isinstance(rec[k], str)
                    else rec[k] for k in head + list(COLUMNS)])
    sys.stdout.write(buf.getvalue())
    return 0
