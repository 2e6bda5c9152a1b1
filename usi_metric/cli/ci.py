"""The interval flags shared by ``usi leaderboard --ci``, ``usi score --ci`` and ``usi compare``.

The parser builds without numpy: the scoring modules are imported when a command runs.

>>> p = argparse.ArgumentParser()
>>> add_ci_arguments(p)
>>> args = p.parse_args(["--ci", "--resamples", "500"])
>>> options_from_args(args).describe()
'95% centred percentile bootstrap intervals over tasks (500 resamples, seed 0)'
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from usi_metric.errors import UsiError

if TYPE_CHECKING:
    from usi_metric.io.sessions import SessionSet, SurveySet
    from usi_metric.scoring import Difficulty, ScoreRow
    from usi_metric.scoring.intervals import CIOptions

# the flags' defaults are CIOptions' (centred, 2000 resamples, seed 0, 0.95)
FLAGS = ("ci_method", "resamples", "seed", "confidence")


def add_ci_arguments(p: argparse.ArgumentParser, switch: bool = True) -> None:
    """``--ci`` (when ``switch``) and ``--ci-method``, ``--resamples``, ``--seed``,
    ``--confidence``."""
    if switch:
        p.add_argument("--ci", action="store_true",
                       help="add a bootstrap confidence interval over tasks to every cell")
    p.add_argument("--ci-method", choices=("centred", "percentile", "bca"), default=None,
                   help="interval method (default: centred, the percentile spread placed on "
                   "the estimate, so the interval always holds it; coverage measured in "
                   "docs/intervals.md)")
    p.add_argument("--resamples", type=int, default=None, metavar="N",
                   help="bootstrap resamples (default: 2000)")
    p.add_argument("--seed", type=int, default=None, metavar="S",
                   help="seed of the resampling (default: 0; the same seed gives the same "
                   "output, byte for byte)")
    p.add_argument("--confidence", type=float, default=None, metavar="C",
                   help="confidence level (default: 0.95)")


def options_from_args(args: argparse.Namespace, switch: bool = True) -> CIOptions | None:
    """The interval options, or None when intervals were not asked for. An interval flag
    without ``--ci`` is an error (never silently ignored)."""
    given = [k for k in FLAGS if getattr(args, k, None) is not None]
    if switch and not getattr(args, "ci", False):
        if given:
            flags = ", ".join("--" + k.replace("_", "-") for k in given)
            raise UsiError(f"{flags}: only used with --ci; pass --ci to compute intervals")
        return None
    from usi_metric.scoring.intervals import CIOptions

    names = {"ci_method": "method", "resamples": "n_resamples", "seed": "seed",
             "confidence": "confidence_level"}
    return CIOptions(**{names[k]: getattr(args, k) for k in given})


def with_intervals(rows: Sequence[ScoreRow], humans: SessionSet,
                   simulators: Mapping[str, SessionSet], difficulty: Difficulty,
                   surveys: Mapping[str, SurveySet], human_eval: SurveySet | None,
                   options: CIOptions) -> tuple[list[ScoreRow], dict[str, Any], str]:
    """Rows carrying their intervals, the JSON's ``intervals`` key, and the note line."""
    from usi_metric.scoring.intervals import attach_intervals, usi_intervals

    human_row = any(r.kind == "human" for r in rows)
    iv = usi_intervals(humans, simulators, difficulty, surveys, human_eval,
                       human_row=human_row, options=options)
    extra = {"intervals": {**options.as_json(), "unit": "task", "n_tasks": iv.n_tasks}}
    note = (f"Intervals: {options.describe()} ({iv.n_tasks} tasks resampled with replacement, "
            "the same draw for the human batches, every run and the survey; difficulty map "
            "fixed).")
    return attach_intervals(rows, iv), extra, note
