"""``usi report`` (Markdown + HTML + PNG report) and ``usi gap`` (the evaluative gap, §9)."""

from __future__ import annotations

import argparse
import sys

from usi_metric.cli.core import note_no_simulators
from usi_metric.report.escape import for_terminal


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``report`` and ``gap`` to the ``usi`` parser."""
    p = sub.add_parser("report", help="write report.md, report.html and PNG pictures")
    p.add_argument("--data-dir", required=True, help="release folder (tau-usi layout)")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace OUT when it holds a previous report (report.md, report.html, "
                   "PNGs; nothing else)")
    p.add_argument("--simulator", nargs="+", metavar="NAME",
                   help="only show these simulators (scores stay those of `usi leaderboard`: "
                   "with '--difficulty self' pooled over all simulators of the release)")
    p.add_argument("--difficulty", default="published",
                   help="the ECE yardstick: 'published' (the paper's frozen map; default), "
                   "'self' (pooled over the release's simulators) or MAP.json")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("gap", help="the evaluative gap: survey over-estimation, success "
                       "inflation, reward vs human judgement")
    p.add_argument("--data-dir", required=True, help="release folder (tau-usi layout)")
    p.add_argument("--simulator", nargs="+", metavar="NAME", help="only these simulators")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_gap)


def cmd_report(args: argparse.Namespace) -> int:
    from usi_metric.report.write import write_report

    out = write_report(args.data_dir, args.out, args.simulator, overwrite=args.overwrite,
                       difficulty=args.difficulty)
    print(for_terminal(f"wrote {out.markdown}, {out.html} and {len(out.files)} pictures in "
                       f"{out.out_dir}"))
    if out.gap["simulators"]:  # what the rows rest on (the report's coverage table)
        print(for_terminal("coverage: " + (
            "every simulator shown meets every task of the human sessions"
            if not out.partial else "; ".join(out.partial))))
    if not out.gap["simulators"]:
        note_no_simulators(args.data_dir, "the report shows the humans only")
    if out.gap["synthetic"]:
        print("note: SYNTHETIC sample release: these are not the paper's numbers.",
              file=sys.stderr)
    return 0


def cmd_gap(args: argparse.Namespace) -> int:
    from usi_metric.report.gap import gap_for, gap_json
    from usi_metric.report.render import print_gap_table

    gap = gap_for(args.data_dir, args.simulator)
    if not gap["simulators"]:
        note_no_simulators(args.data_dir, "no simulator rows")
    if args.format == "json":
        print(gap_json(gap))
    else:
        print_gap_table(gap)
    return 0
