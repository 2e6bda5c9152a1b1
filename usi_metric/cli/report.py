"""``usi report`` (Markdown + HTML + PNG report) and ``usi gap`` (the evaluative gap, §9)."""

from __future__ import annotations

import argparse
import sys

from usi_metric.report.gap import gap_json


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``report`` and ``gap`` to the ``usi`` parser."""
    p = sub.add_parser("report", help="write report.md, report.html and PNG pictures")
    p.add_argument("--data-dir", required=True, help="release folder (tau-usi layout)")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--simulator", nargs="+", metavar="NAME",
                   help="only show these simulators (scores still pool the difficulty over "
                   "all simulators of the release, as `usi leaderboard`)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("gap", help="the evaluative gap: survey over-estimation, success "
                       "inflation, reward vs human judgement")
    p.add_argument("--data-dir", required=True, help="release folder (tau-usi layout)")
    p.add_argument("--simulator", nargs="+", metavar="NAME", help="only these simulators")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_gap)


def cmd_report(args: argparse.Namespace) -> int:
    from usi_metric.report.write import write_report

    out = write_report(args.data_dir, args.out, args.simulator)
    print(f"wrote {out.markdown}, {out.html} and {len(out.files)} pictures in {out.out_dir}")
    if out.gap["synthetic"]:
        print("note: SYNTHETIC sample release: these are not the paper's numbers.",
              file=sys.stderr)
    return 0


def cmd_gap(args: argparse.Namespace) -> int:
    from usi_metric.report.gap import gap_for
    from usi_metric.report.render import print_gap_table

    gap = gap_for(args.data_dir, args.simulator)
    if args.format == "json":
        print(gap_json(gap))
    else:
        print_gap_table(gap)
    return 0
