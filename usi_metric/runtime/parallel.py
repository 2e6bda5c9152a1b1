"""A generic pool of forked worker processes, with the results of one process.

``map_parallel`` shares independent calls out over the workers (this process takes the first
share) and puts the results back in order. It knows nothing of what it runs: its users cut
their own work (``features.batch`` featurizes contiguous chunks of conversations;
``io.release`` reads whole files). The automatic choice is by cost: work that one process
does in under ``PARALLEL_MIN_SECONDS`` stays in it (``io.release`` times its first file to
know), and only cores that are idle right now are used (``usable_cores``: on a busy machine
a worker only takes turns with the others); ``USI_WORKERS`` (an integer >= 1) overrides it.

>>> map_parallel(pow, [(2, 3), (3, 2), (5, 1)], workers=2)
[8, 9, 5]
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from usi_metric.errors import UsiError

ENV_WORKERS = "USI_WORKERS"
# Measured on the project's 2-core VM (``make bench``): one process reads, checks and
# featurizes a few MB of release JSON per second on text that never repeats (far more when
# turns repeat), and a worker costs about 0.05-0.1 s (fork on first use, pickles both ways).
# So work is shared out only when one process would spend this long on it:
PARALLEL_MIN_SECONDS = 0.5
AUTO_MIN_SESSIONS = 1000  # featurize_many: about 0.2 s of conversations, not less
# A core counts as free when it was idle this much of a short sample (``idle_cores``).
IDLE_SAMPLE_SECONDS = 0.1

Conversation = Sequence[Mapping[str, Any]]


def available_cores() -> int:
    """Cores this process may run on.

    >>> available_cores() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def env_workers() -> int | None:
    """``USI_WORKERS`` (a whole number >= 1) when set, else None."""
    env = os.environ.get(ENV_WORKERS, "").strip()
    if not env:
        return None
    if not env.isdigit() or int(env) < 1:
        raise UsiError(f"the environment variable {ENV_WORKERS} must be a whole number "
                       f">= 1, got {env!r}")
    return int(env)


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) clock ticks of every core since boot (Linux), else None."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = fh.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(v) for v in fields[1:]]
    return ticks[3] + (ticks[4] if len(ticks) > 4 else 0), sum(ticks)  # idle + iowait


_idle_seen: tuple[float, float] | None = None  # (when, idle cores): one sample per second


def idle_cores(sample: float = IDLE_SAMPLE_SECONDS) -> float | None:
    """How many cores of the machine sat idle over a short sample (this process waits
    meanwhile, so its own core counts as idle); None where it cannot be measured.

    >>> n = idle_cores(0.05)
    >>> n is None or 0 <= n <= os.cpu_count()
    True
    """
    global _idle_seen
    now = time.monotonic()
    if _idle_seen is not None and now - _idle_seen[0] < 1.0:
        return _idle_seen[1]
    before = _cpu_times()
    if before is None:
        return None
    time.sleep(sample)
    after = _cpu_times()
    if after is None or after[1] <= before[1]:
        return None
    idle = (after[0] - before[0]) / (after[1] - before[1]) * (os.cpu_count() or 1)
    _idle_seen = (time.monotonic(), idle)
    return idle


def usable_cores() -> int:
    """Processes worth starting now: the available cores that are idle (a busy machine's
    other processes would take the time a worker saves), at least 1.

    >>> 1 <= usable_cores() <= available_cores()
    True
    """
    cores = available_cores()
    if cores == 1:
        return 1
    idle = idle_cores()
    if idle is None:
        return cores
    return max(1, min(cores, int(idle + 0.3)))


def workers_for(seconds: float) -> int:
    """Processes for work one process would spend ``seconds`` on: ``USI_WORKERS`` if set,
    else 1 below ``PARALLEL_MIN_SECONDS``, else the usable cores.

    >>> workers_for(0.01)
    1
    """
    env = env_workers()
    if env is not None:
        return env
    return 1 if seconds < PARALLEL_MIN_SECONDS else usable_cores()


def auto_workers(size: int, minimum: int = AUTO_MIN_SESSIONS) -> int:
    """Processes for work of this size: ``USI_WORKERS`` if set, else 1 below ``minimum``
    (by default ``AUTO_MIN_SESSIONS`` conversations), else the usable cores.

    >>> auto_workers(10)
    1
    """
    env = env_workers()
    if env is not None:
        return env
    return 1 if size < minimum else usable_cores()


# ----------------------------------------------------------------------------- the pool
#
# A few long-lived worker processes, each behind its own pipe. The calling thread writes the
# chunks, featurizes its own chunk meanwhile and reads the rows back: no helper threads, so
# nothing waits for the GIL between the two steps.


def _worker_main(conn: Any) -> None:
    # A forked worker shares its parent's heap: keep the garbage collector off those objects
    # (scanning them would copy every page and cost more than the work itself).
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return  # the caller closed the pipe: done
        try:
            func, args = pickle.loads(data)
            reply: tuple[str, Any] = ("ok", func(*args))
        except Exception as exc:  # reported to the caller, which then works alone
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            return


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.proc.start()
        child.close()

    def stop(self, now: bool = False) -> None:
        """Close the pipe (the worker then exits); ``now``: kill it right away."""
        self.conn.close()
        if not now:
            self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()


class WorkerError(RuntimeError):
    """A worker process failed or died; the caller falls back to one process."""


_workers: list[_Worker] = []
_workers_pid = 0
_lock = threading.Lock()


def can_fork() -> bool:
    """Worker processes are started with ``fork`` only, and only while this process runs a
    single thread: forking a threaded process can deadlock, and ``spawn`` re-imports the
    caller's main module (a web app would start again). Inside a daemon process (a worker
    of someone else's pool) no process can be started. Otherwise one process does it all.

    >>> isinstance(can_fork(), bool)
    True
    """
    return ("fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1
            and not multiprocessing.current_process().daemon)  # daemons may not have children


def _get_workers(n: int) -> list[_Worker]:
    global _workers_pid
    if _workers_pid != os.getpid():  # a forked child must not use its parent's pipes
        _workers.clear()
        _workers_pid = os.getpid()
    if not all(w.proc.is_alive() for w in _workers):
        _discard_workers()
    while len(_workers) < n:
        _workers.append(_Worker(multiprocessing.get_context("fork")))
    return _workers[:n]


def _discard_workers() -> None:
    for w in _workers:
        w.stop(now=True)
    _workers.clear()


def shutdown_pool() -> None:
    """Stop the worker processes (they start on first use and are then reused).

    >>> shutdown_pool()
    """
    with _lock:
        if _workers_pid == os.getpid():
            for w in _workers:
                w.stop()
        _workers.clear()


def split_evenly(items: Sequence[Any], parts: int) -> list[Sequence[Any]]:
    """Cut ``items`` into ``parts`` contiguous chunks whose sizes differ by at most one.

    >>> [list(c) for c in split_evenly(range(7), 3)]
    [[0, 1, 2], [3, 4], [5, 6]]
    """
    n = len(items)
    base, extra = divmod(n, parts)
    out, start = [], 0
    for k in range(parts):
        end = start + base + (1 if k < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def _call_on_workers(calls: list[tuple[Any, tuple[Any, ...]]], here: Any) -> list[Any]:
    """``[here(), func(*args) for each call on its own worker]``, in that order.

    ``func`` must be a module-level function (it is pickled by name). Raises
    ``WorkerError`` when a worker cannot start, dies or fails.
    """
    payloads = [pickle.dumps(call, protocol=pickle.HIGHEST_PROTOCOL)
                for call in calls]  # what cannot be pickled fails here, before any I/O
    with _lock:
        try:
            workers = _get_workers(len(payloads))
        except (OSError, AssertionError, ValueError) as exc:  # cannot start a process here
            raise WorkerError(f"cannot start a worker process: {exc}") from exc
        try:
            for w, data in zip(workers, payloads, strict=True):
                w.conn.send_bytes(data)
            mine = here()
            replies = [pickle.loads(w.conn.recv_bytes()) for w in workers]
        except BaseException as exc:
            # Whatever happened (a dead worker, Ctrl-C), a reply may still sit in a pipe:
            # these workers are never asked again, so no reply can be read for another call.
            _discard_workers()
            if isinstance(exc, (EOFError, OSError)):
                raise WorkerError(f"a worker process died: {exc}") from exc
            raise
    out = [mine]
    for status, value in replies:
        if status != "ok":
            raise WorkerError(value)
        out.append(value)
    return out


def map_parallel(func: Any, arg_tuples: Sequence[tuple[Any, ...]], workers: int,
                 costs: Sequence[float] | None = None) -> list[Any]:
    """``[func(*args) for args in arg_tuples]`` spread over ``workers`` processes, in order.

    The items are shared out by their ``costs`` (default: all equal), the largest first,
    each to the process with the least work so far; this process takes the first share.
    ``func`` is a module-level function; a result may be an exception object (``func``
    decides what it returns). Falls back to this process alone when no worker can be used.

    >>> map_parallel(divmod, [(7, 2), (9, 4), (5, 5)], workers=2)
    [(3, 1), (2, 1), (1, 0)]
    """
    n = len(arg_tuples)
    workers = min(workers, n)
    if workers <= 1 or not can_fork():
        return [func(*args) for args in arg_tuples]
    shares = share_out([1.0] * n if costs is None else costs, workers)
    try:
        replies = _call_on_workers(
            [(_map_share, (func, [arg_tuples[i] for i in share])) for share in shares[1:]],
            lambda: _map_share(func, [arg_tuples[i] for i in shares[0]]))
    except (WorkerError, pickle.PicklingError, TypeError, AttributeError):
        return [func(*args) for args in arg_tuples]
    out: list[Any] = [None] * n
    for share, values in zip(shares, replies, strict=True):
        for i, value in zip(share, values, strict=True):
            out[i] = value
    return out


def share_out(costs: Sequence[float], parts: int) -> list[list[int]]:
    """Indices of ``costs`` in ``parts`` shares of about equal total: largest cost first,
    each to the share with the least so far (ties: the earlier share); indices ascending.

    >>> share_out([5, 1, 1, 3, 2], 2)
    [[0, 1], [2, 3, 4]]
    """
    loads = [0.0] * parts
    shares: list[list[int]] = [[] for _ in range(parts)]
    for i in sorted(range(len(costs)), key=lambda i: (-costs[i], i)):
        k = min(range(parts), key=lambda k: (loads[k], k))
        loads[k] += costs[i]
        shares[k].append(i)
    return [sorted(share) for share in shares]


def _map_share(func: Any, arg_tuples: list[tuple[Any, ...]]) -> list[Any]:
    return [func(*args) for args in arg_tuples]


def worker_pids() -> list[int]:
    """Process ids of the running worker processes (for memory reports).

    >>> isinstance(worker_pids(), list)
    True
    """
    with _lock:
        if _workers_pid != os.getpid():
            return []
        return [w.proc.pid for w in _workers if w.proc.pid is not None]
