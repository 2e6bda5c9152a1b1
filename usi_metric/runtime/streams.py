"""The standard streams as the command finds them: closed, full, or fine.

- A descriptor 0, 1 or 2 the shell closed (``usi ... 2>&-``) is pointed at ``/dev/null``
  first, so no file the command opens later takes its number (a report's file would
  otherwise receive every warning written to descriptor 2).
- ``sys.stderr`` is never None (``print(..., file=None)`` would write the warning into the
  JSON on stdout) and never fails: a warning that cannot be written (``2>/dev/full``) is
  lost, the work and the table on stdout are not.

>>> with guarded_stderr():
...     print("usi: warning: shown", file=sys.stderr)
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO


def reopen_closed_descriptors() -> None:
    """Point each of descriptors 0-2 that is closed at ``/dev/null`` (reading or writing)."""
    for fd, flags in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, flags)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)


class UnfailingStream:
    """A text stream whose writes and flushes never raise ``OSError`` (or a closed-file
    ``ValueError``): what cannot be written to stderr cannot be reported anywhere either."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        try:
            return self.inner.write(text)
        except (OSError, ValueError):
            return len(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextlib.contextmanager
def guarded_stderr() -> Iterator[None]:
    """``sys.stderr`` open (``/dev/null`` when the process started without one) and
    unfailing for the block; the previous stream is restored after it."""
    before = sys.stderr
    inner = before
    if inner is None:
        reopen_closed_descriptors()
        inner = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    if not isinstance(inner, UnfailingStream):
        sys.stderr = UnfailingStream(inner)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stderr = before
        if inner is not before:
            inner.close()
