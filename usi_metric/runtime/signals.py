"""SIGTERM and SIGHUP handled as Ctrl-C is: they raise :class:`Terminated` (a
``KeyboardInterrupt``) in the main thread, so every ``finally`` runs and an atomic write
(``runtime.output``) removes its temporary ``.partial`` file or folder before the exit.

>>> import os, signal
>>> with terminate_as_interrupt():
...     try:
...         os.kill(os.getpid(), signal.SIGTERM)
...     except Terminated as exc:
...         print(exc.signum == signal.SIGTERM)
True
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


class Terminated(KeyboardInterrupt):
    """A termination signal received; ``signum`` is which (exit code ``128 + signum``)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM/SIGHUP raise :class:`Terminated`; the previous handlers are
    restored after it. Outside the main thread (signals cannot be set there) it does
    nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
