"""``usi reference build`` and ``usi reference show``: the people of a study as one small file
without their words (docs/bring-your-own-humans.md)."""

from __future__ import annotations

import argparse
import json

from usi_metric.errors import UsiError
from usi_metric.report.escape import for_terminal


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``reference build`` and ``reference show`` to the ``usi`` parser."""
    p = sub.add_parser("reference", help="a human reference file: the people without their "
                       "words (build, show)")
    steps = p.add_subparsers(dest="step", metavar="STEP", parser_class=type(p))
    steps.required = True
    b = steps.add_parser("build", help="build a reference from a release folder or from "
                         "JSON Lines sessions")
    src = b.add_mutually_exclusive_group(required=True)
    src.add_argument("--data-dir", help="a release folder (tau-usi layout): its humans and "
                     "its second person's survey")
    src.add_argument("--humans", nargs="+", metavar="FILE",
                     help="JSON Lines, one session a line: {\"id\", \"task_key\", \"batch\", "
                     "\"messages\" (or \"conversation\"), \"reward\"?, \"survey\"?, \"keep\"?}")
    b.add_argument("--second-survey", metavar="FILE",
                   help="with --humans: a second person's survey answers keyed by session "
                   "ids (the human ceiling's Eval)")
    b.add_argument("--difficulty", metavar="MAP",
                   help="a difficulty map to store ({task: d} JSON, usi difficulty's output, "
                   "or 'published'); scores use it by default")
    b.add_argument("-o", "--output", required=True, help="where to write REF.parquet")
    b.add_argument("--overwrite", action="store_true", help="replace REF.parquet if it exists")
    b.set_defaults(func=cmd_build)
    s = steps.add_parser("show", help="a reference's provenance and counts")
    s.add_argument("reference", metavar="REF", help="a reference file")
    s.add_argument("--format", choices=("table", "json"), default="table")
    s.set_defaults(func=cmd_show)


def cmd_build(args: argparse.Namespace) -> int:
    from pathlib import Path

    from usi_metric.cli.core import cli_warnings
    from usi_metric.reference import HumanReference
    from usi_metric.reference.build import from_jsonl

    if args.second_survey is not None and args.data_dir is not None:
        raise UsiError("--second-survey goes with --humans (a release folder brings its own "
                       "human-eval-100 survey)")
    from usi_metric.io.layout import release_inputs
    from usi_metric.runtime.output import refuse_own_input

    out = Path(args.output)
    inputs = [*(release_inputs(args.data_dir) if args.data_dir is not None else args.humans),
              *(p for p in (args.second_survey, args.difficulty)
                if p is not None and p != "published")]
    refuse_own_input(out, inputs)  # never the command's own input, even with --overwrite
    if out.exists() and not args.overwrite:  # say so before the work, not after it
        raise UsiError("already exists; pass --overwrite to replace it", file=str(out))
    with cli_warnings():
        if args.data_dir is not None:
            ref = HumanReference.from_release(args.data_dir, difficulty=args.difficulty)
        else:
            ref = from_jsonl(args.humans, second_survey=args.second_survey,
                             difficulty=args.difficulty)
    ref.save(out, overwrite=args.overwrite)
    c = ref.counts()
    print(f"wrote {for_terminal(out)}: {c['sessions']} sessions ({c['kept']} kept) of "
          f"{c['tasks']} tasks in {len(ref.batches)} batches ({', '.join(ref.batches)}); "
          f"{ref.provenance.get('answers_not_options', 0)} survey answers not an option "
          "(kept as no answer); no text")
    return 0


def show_lines(prov: dict, counts: dict, batches: tuple[str, ...],
               difficulty: dict | None) -> list[str]:
    """What ``usi reference show`` prints as a table: one line per fact."""
    lines = [f"source: {prov.get('source')}",
             f"made by: {prov.get('tool')} {prov.get('tool_version')}",
             f"feature definitions: version {prov.get('feature_version')}, lexicons sha256 "
             f"{prov.get('lexicons_sha256')}",
             f"sessions: {counts['sessions']} ({counts['kept']} kept) of {counts['tasks']} "
             f"tasks",
             f"batches: {', '.join(batches)}"]
    for b, c in counts["batches"].items():
        lines.append(f"  batch {b}: {c['sessions']} sessions, {c['kept']} kept, "
                     f"{c['with_features']} with features")
    lines.append(f"survey answers (options): {counts['survey_answers']}; not an option, kept "
                 f"as no answer: {prov.get('answers_not_options', 0)}")
    second = prov.get("second_survey")
    lines.append("second person's survey: none" if not second else
                 f"second person's survey: {counts['second_survey_entries']} entries on "
                 f"sessions of the reference ({second.get('not_sessions', 0)} others left out)")
    lines.append("difficulty map: none (scores use the published yardstick by default)"
                 if difficulty is None else
                 f"difficulty map: {len(difficulty)} tasks (used by default)")
    if prov.get("synthetic"):
        lines.append("SYNTHETIC: the bundled sample's made-up people, not the paper's")
    return lines


def cmd_show(args: argparse.Namespace) -> int:
    from usi_metric.reference import HumanReference

    ref = HumanReference.load(args.reference)
    counts = ref.counts()
    if args.format == "json":
        print(json.dumps({"batches": list(ref.batches), "counts": counts,
                          "difficulty_tasks": None if ref.difficulty is None
                          else len(ref.difficulty),
                          "provenance": ref.provenance}, sort_keys=True, indent=2))
        return 0
    for line in show_lines(ref.provenance, counts, ref.batches, ref.difficulty):
        print(for_terminal(line))
    return 0
