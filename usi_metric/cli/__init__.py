"""The ``usi`` command line. Errors of our own type are caught here, once: one line, exit 2.

The edge also answers for the surroundings: Ctrl-C exits 130 with "usi: interrupted" (SIGTERM
and SIGHUP likewise, exit 128 + the signal, after the same clean-up: ``runtime.signals``); a
closed stdout pipe (``usi gap ... | head -1``) exits 0 quietly, as ``head`` users expect; a
full disk under stdout (``> /dev/full``) is one line and exit 2; a closed or full stderr
costs the warnings only (``runtime.streams``).

>>> main(["difficulty", "--data-dir", "/nonexistent", "-o", "/tmp/x.json"])
2
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from usi_metric import __version__
from usi_metric.cli import compare, convert, core, dataset, hub, reference, report, survey
from usi_metric.errors import UsiError
from usi_metric.report.escape import for_terminal
from usi_metric.runtime.output import describe_os_error, silence_stdout
from usi_metric.runtime.signals import Terminated, terminate_as_interrupt
from usi_metric.runtime.streams import guarded_stderr, reopen_closed_descriptors

# Each command module has ``register(subparsers)``; the parser's ``func`` returns an exit code.
COMMAND_MODULES = [core, compare, convert, hub, dataset, report, survey, reference]


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr (exit 2), like ours."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, for_terminal(f"usi: error: {message} (see '{self.prog} --help')") + "\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``usi`` argument parser with every registered subcommand.

    >>> build_parser().parse_args(["leaderboard"])
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """
    parser = OneLineParser(
        prog="usi",
        description="User-Sim Index (USI): how human is an LLM user simulator? "
        "(arXiv:2603.11245)",
    )
    parser.add_argument("--version", action="version", version=f"usi-metric {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    for mod in COMMAND_MODULES:
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``usi`` console script; returns the exit code."""
    reopen_closed_descriptors()  # `2>&-`: no file opened later takes descriptor 2
    with guarded_stderr(), terminate_as_interrupt():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if sys.stdout is None:  # started with stdout closed (`usi ... >&-`): nobody reads it,
        sys.stdout = open(os.devnull, "w")  # as a closed pipe; fd 1 is /dev/null, not a file
    if isinstance(sys.stdout, io.TextIOWrapper):  # a file name that is not UTF-8 prints
        sys.stdout.reconfigure(errors="backslashreplace")  # as stderr does: \xff, no crash
    try:
        with core.cli_warnings():  # every library warning: one `usi: warning:` line
            code = int(args.func(args) or 0)
        sys.stdout.flush()  # a full disk or closed pipe is seen here, not at exit
        return code
    except UsiError as exc:
        print(f"usi: error: {for_terminal(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        if isinstance(exc, Terminated):
            print(f"usi: terminated (signal {exc.signum})", file=sys.stderr)
            return 128 + exc.signum
        print("usi: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `usi gap ... | head -1`: the reader has what it wanted
        silence_stdout()
        return 0
    except OSError as exc:  # stdout on a full disk (`> /dev/full`), or any file error left
        silence_stdout()
        print(f"usi: error: {for_terminal(describe_os_error(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
