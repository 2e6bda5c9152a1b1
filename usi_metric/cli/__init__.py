"""The ``usi`` command line. Errors of our own type are caught here, once: one line, exit 2.

>>> main(["difficulty", "--data-dir", "/nonexistent", "-o", "/tmp/x.json"])
2
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from usi_metric import __version__
from usi_metric.cli import core, dataset, hub, report
from usi_metric.errors import UsiError

# Each command module has ``register(subparsers)``; the parser's ``func`` returns an exit code.
COMMAND_MODULES = [core, hub, dataset, report]


def build_parser() -> argparse.ArgumentParser:
    """The ``usi`` argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="usi",
        description="User-Sim Index (USI): how human is an LLM user simulator? "
        "(arXiv:2603.11245)",
    )
    parser.add_argument("--version", action="version", version=f"usi-metric {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for mod in COMMAND_MODULES:
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``usi`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsiError as exc:
        print(f"usi: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("usi: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
