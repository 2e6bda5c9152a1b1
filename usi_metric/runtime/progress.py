"""A transient rich progress bar on stderr, or nothing when stderr is not a terminal.

>>> with progress_steps(False) as step:
...     step.total(2); step("one")
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Steps:
    """Advances a rich progress bar on a terminal; does nothing otherwise."""

    def __init__(self, progress: Any = None) -> None:
        self._progress = progress
        self._task = None if progress is None else progress.add_task("reading the release",
                                                                      total=None)

    def total(self, n: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=n)

    def __call__(self, desc: str) -> None:
        if self._progress is not None:  # names in ``desc`` are user text, not rich markup
            from rich.markup import escape

            self._progress.update(self._task, advance=1, description=escape(desc))


@contextmanager
def progress_steps(enabled: bool) -> Iterator[Steps]:
    """A :class:`Steps` with a transient rich progress bar on stderr when ``enabled``."""
    if not enabled:
        yield Steps()
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as prog:
        yield Steps(prog)
