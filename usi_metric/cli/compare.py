"""``usi compare``: is simulator A more human than simulator B on the same tasks?

For the USI and each term: A's and B's scores, the paired difference ``A - B``, the p-value
of a paired permutation test over tasks and the interval from inverting that test (so the two
agree); the JSON adds the paired bootstrap interval over tasks
(``usi_metric.scoring.paired``). A and B are simulator names of the release or runs files (any
format ``usi score`` reads).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from usi_metric.cli.ci import add_ci_arguments, options_from_args
from usi_metric.errors import UsiError
from usi_metric.samples import SYNTHETIC_NOTE, is_synthetic

if TYPE_CHECKING:
    from usi_metric.io.sessions import Release, SessionSet, SurveySet
    from usi_metric.scoring.paired import Comparison

LABELS = {"usi": "USI", "D1_conv": "D1 conv", "D2_info": "D2 info", "D3_clarif": "D3 clarif",
          "D4_react": "D4 react", "eval_agree": "Eval", "ece": "ECE"}


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``compare`` to the ``usi`` parser."""
    p = sub.add_parser("compare", help="paired difference of two simulators on the same tasks: "
                       "estimate, bootstrap interval and permutation-test p-value")
    p.add_argument("a", metavar="A", help="a simulator of the release, or a runs file")
    p.add_argument("b", metavar="B", help="a simulator of the release, or a runs file")
    p.add_argument("--data-dir", help="release folder (tau-usi layout): its humans, and its "
                   "simulators by name")
    p.add_argument("--reference", metavar="REF",
                   help="score against this human reference file instead of the release's "
                   "humans (then --data-dir is needed only to name simulators of a release)")
    p.add_argument("--survey-a", metavar="FILE", help="A's survey answers (default: the "
                   "release's survey file of A, when A is a simulator of the release)")
    p.add_argument("--survey-b", metavar="FILE", help="B's survey answers (likewise)")
    p.add_argument("--difficulty", default=None,
                   help="the ECE yardstick: 'published' (the paper's frozen map, as "
                   "'usi score'; default, or the map stored in --reference), 'release' "
                   "(pooled over the release's simulators), 'self' (the release's simulators "
                   "plus A and B) or MAP.json")
    p.add_argument("--permutations", type=int, default=9999, metavar="N",
                   help="random task swaps of the permutation test (default: 9999; with "
                   "fewer than log2(N) tasks every swap set is enumerated)")
    add_ci_arguments(p, switch=False)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_compare)


def _side(release: Release | None, which: str, survey_path: str | None,
          label: str) -> tuple[SessionSet, SurveySet | None]:
    from usi_metric.io.release import load_simulator, load_survey

    if release is not None and which in release.simulators:
        sim = release.simulators[which]
        survey = release.surveys.get(which)
    elif Path(which).is_file():
        sim = load_simulator(which, conversations=False)
        survey = None
    elif release is None:
        raise UsiError("is not a runs file (give --data-dir to name a simulator of a "
                       "release)", field=label, id=which)
    else:
        names = ", ".join(release.simulators) or "none"
        raise UsiError(f"is neither a simulator of the release (there: {names}) nor a runs "
                       "file", field=label, id=which)
    if survey_path is not None:
        survey = load_survey(survey_path, sim.name)
    return sim, survey


def _fmt(value: float | None, key: str, signed: bool = False) -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    spec = ".3f" if key == "ece" else ".1f"
    return format(value, ("+" if signed else "") + spec)


def _fmt_p(p: float | None) -> str:
    if p is None:
        return "—"
    return f"{p:.4f}" if p >= 0.0001 else f"{p:.1e}"


def print_comparison(c: Comparison, fmt: str, caption: str = "") -> None:
    """The comparison as a rich table or stable JSON."""
    from usi_metric.scoring.explain import yardstick_line
    from usi_metric.scoring.paired import INTERVAL_NAME, ORDER, TEST_NAME

    if fmt == "json":
        print(json.dumps(c.as_json(), sort_keys=True, indent=2, allow_nan=False))
        return
    from rich.markup import escape
    from rich.table import Table

    from usi_metric.report.escape import for_terminal
    from usi_metric.runtime.output import stdout_console

    level = f"{100 * c.options.confidence_level:g}% CI"
    met = c.tasks_met
    on = (f"on {c.n_tasks} tasks" if not met or met["a"] == met["b"] == met["shared"]
          == c.n_tasks else f"(both meet {met['shared']} of the {c.n_tasks} tasks)")
    table = Table(title=escape(for_terminal(f"{c.a} (A) vs {c.b} (B) {on}")),
                  caption=escape(caption) or None, title_justify="left")
    for head in ("term", "A", "B", "A − B", level, "p"):
        table.add_column(head, justify="left" if head == "term" else "right")
    for key in ORDER:
        t = c.terms[key]
        ci = "—" if t.ci is None else f"[{_fmt(t.ci[0], key)}, {_fmt(t.ci[1], key)}]"
        table.add_row(LABELS[key], _fmt(t.a, key), _fmt(t.b, key),
                      _fmt(t.difference, key, True), ci, _fmt_p(t.p_value),
                      style="bold" if key == "usi" else None)
    console = stdout_console(90)
    console.print(table)
    level_text = f"{100 * c.options.confidence_level:g}%"
    lines = [f"p: {TEST_NAME}, {c.permutations} permutations (seed {c.options.seed}).",
             f"{level_text} CI: {INTERVAL_NAME}. The JSON adds the paired bootstrap interval "
             f"({c.options.describe()}).",
             f"{yardstick_line(c.difficulty)} ECE: lower is better, so A − B < 0 favours A.",
             *c.notes]
    for line in lines:
        console.print(for_terminal(line), markup=False, highlight=False)


def cmd_compare(args: argparse.Namespace) -> int:
    from usi_metric.cli.core import reference_of
    from usi_metric.io.release import load_release
    from usi_metric.scoring import resolve_difficulty
    from usi_metric.scoring.paired import compare_simulators
    from usi_metric.scoring.score import default_difficulty

    options = options_from_args(args, switch=False)
    assert options is not None
    if args.data_dir is None and args.reference is None:
        raise UsiError("give the people to compare against: --data-dir DIR (a release) or "
                       "--reference REF (a reference file)")
    if args.data_dir is None and args.difficulty == "release":
        raise UsiError("'--difficulty release' pools the release's simulators: it needs "
                       "--data-dir")
    release = (load_release(args.data_dir, conversations=False)
               if args.data_dir is not None else None)
    ref = reference_of(args, release)
    sim_a, survey_a = _side(release, args.a, args.survey_a, "A")
    if args.b == args.a and args.survey_b == args.survey_a:
        sim_b, survey_b = sim_a, survey_a
    else:
        sim_b, survey_b = _side(release, args.b, args.survey_b, "B")
    own = {id(s) for s in release.simulators.values()} if release is not None else set()
    extra = list({id(s): s for s in (sim_a, sim_b) if id(s) not in own}.values())
    diff = (default_difficulty(ref) if args.difficulty is None
            else resolve_difficulty(release, args.difficulty, extra=extra))
    comparison = compare_simulators(sim_a, sim_b, ref.humans(), diff, survey_a, survey_b,
                                    options=options, permutations=args.permutations)
    synthetic = (args.data_dir is not None and is_synthetic(args.data_dir)) or bool(
        ref.provenance.get("synthetic"))
    caption = SYNTHETIC_NOTE if synthetic else ""
    print_comparison(comparison, args.format, caption)
    return 0
