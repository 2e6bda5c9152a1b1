"""Refusing work that cannot fit in memory, up front and in one line.

A bootstrap or a permutation test holds every replicate at once (scipy keeps the whole
distribution), so ``--resamples 10000000`` needs gigabytes before it prints anything. The
need is measured on a few replicates (:func:`bytes_per_call`), scaled to the requested count
and compared with the memory this process may still take (:func:`available_bytes`); too much
is a :class:`UsiError` naming the field, the need, the room and the largest count that fits.

>>> check_fits(100, 8, field="resamples", available=10_000)
>>> check_fits(10**7, 1024, field="resamples", available=2**30)
Traceback (most recent call last):
...
usi_metric.errors.UsiError: field resamples: 10000000 need about 9.5 GiB of memory, more \
than the 1.0 GiB available; at most 524288 fit
"""

from __future__ import annotations

import os
import resource
import tracemalloc
from collections.abc import Callable

from usi_metric.errors import UsiError

# the share of the available memory one computation may plan to take (the rest: the
# release in memory, numpy's temporaries beside the measured ones, the other processes)
SHARE = 0.5


def available_bytes() -> int | None:
    """Memory this process may still take: the smaller of the kernel's ``MemAvailable``
    and the address-space limit (``ulimit -v``) left; None when neither is known.

    >>> n = available_bytes()
    >>> n is None or n > 0
    True
    """
    room: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    room.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError):
        pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        room.append(max(soft - _address_space_used(), 0))
    return min(room) if room else None


def _address_space_used() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def bytes_per_call(func: Callable[[], object]) -> int:
    """Peak bytes ``func()`` allocates (Python and numpy buffers, via ``tracemalloc``).

    >>> bytes_per_call(lambda: bytearray(10**6)) >= 10**6
    True
    """
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return max(peak - base, 0)


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def check_fits(count: int, bytes_each: float, *, field: str,
               available: int | None = None) -> None:
    """A :class:`UsiError` when ``count`` replicates of ``bytes_each`` bytes need more than
    :data:`SHARE` of the available memory (``available``: measured when not given)."""
    room = available_bytes() if available is None else available
    if room is None or bytes_each <= 0:
        return
    need = count * bytes_each
    budget = room * SHARE
    if need <= budget:
        return
    raise UsiError(f"{count} need about {_gib(need)} of memory, more than the {_gib(room)} "
                   f"available; at most {int(budget // bytes_each)} fit", field=field)
