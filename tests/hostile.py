"""Helpers of the hostile suite (``test_hostile*.py``): run the real ``usi`` command in a
subprocess, in bad surroundings, and check what a user sees.

- :func:`usi`: ``python -m usi_metric ARGS`` (optionally with a Python prelude that patches
  something first, e.g. to send Ctrl-C at a chosen moment).
- :func:`one_line_error`: exit 2, one ``usi: error:`` line naming what it must, no traceback.
- :func:`snapshot`: every file and folder under a root, bytes included (hidden ones too), so
  "the user's files are byte-identical and nothing was left behind" is one comparison.
- :func:`without_file_permissions`: the tests run as root, who ignores ``chmod``; the child
  drops the two capabilities that let root read and write anything, so a ``chmod 000``
  folder is unreadable to it exactly as to an ordinary user.
- :func:`file_size_limit`: a full disk for regular files (``RLIMIT_FSIZE``: writes beyond
  the limit fail with ``EFBIG``).
"""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from minirelease import write_mini
from pyrun import one_line_error  # noqa: F401  (re-exported to the hostile tests)

from usi_metric.samples import sample_release_dir

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2

Preexec = Callable[[], None]


def usi(*args: str, prelude: str = "", preexec: Preexec | None = None,
        stdout: int | None = None, cwd: str | Path | None = None,
        timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line, ``python -m usi_metric ARGS``, in a fresh process.

    ``prelude``: Python run before ``main`` (to patch a function); ``stdout``: a file
    descriptor to write to instead of a pipe (``/dev/full``, a closed pipe); ``timeout``: a
    hang guard (seconds; generous, never a speed assert).
    """
    if prelude:
        code = (f"{prelude}\nimport sys\nfrom usi_metric.cli import main\n"
                "sys.exit(main(sys.argv[1:]))")
        cmd = [sys.executable, "-c", code, *args]
    else:
        cmd = [sys.executable, "-m", "usi_metric", *args]
    env = {k: v for k, v in os.environ.items() if k != "USI_WORKERS"}
    env["COLUMNS"] = "200"  # tables on one line each, whatever the terminal
    return subprocess.run(cmd, stdout=subprocess.PIPE if stdout is None else stdout,
                          stderr=subprocess.PIPE, text=True, check=False, env=env,
                          preexec_fn=preexec, cwd=cwd, timeout=timeout)


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root`` (hidden ones too): file bytes, ``<dir>`` or a link's target.
    Folders that cannot be listed are entered with their mode restored for the look only."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            p = Path(dirpath) / d
            out[str(p.relative_to(root))] = (f"<link {os.readlink(p)}>" if p.is_symlink()
                                             else "<dir>")
        for f in filenames:
            p = Path(dirpath) / f
            out[str(p.relative_to(root))] = (f"<link {os.readlink(p)}>" if p.is_symlink()
                                             else p.read_bytes())
    return out


def mini_release(root: Path) -> Path:
    """The 3-task mini release (tests/minirelease.py) in ``root/release``."""
    return write_mini(root / "release")


def sample_release(root: Path) -> Path:
    """A copy of the bundled synthetic sample release in ``root/sample``."""
    return Path(shutil.copytree(sample_release_dir(), root / "sample"))


def without_file_permissions() -> None:
    """``preexec_fn``: the child obeys file modes even as root (drops CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH from its bounding set, so the executed program never has them)."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def assert_denied(path: Path, write: bool = False) -> None:
    """The precondition of a permission test: the child really cannot read (or write) it."""
    op = (f"open({str(path / 'probe')!r}, 'w')" if write
          else f"import os; os.listdir({str(path)!r}) if os.path.isdir({str(path)!r}) "
               f"else open({str(path)!r}).read()")
    proc = subprocess.run([sys.executable, "-c", op], capture_output=True, text=True,
                          check=False, preexec_fn=without_file_permissions)
    assert proc.returncode != 0 and "PermissionError" in proc.stderr, proc.stderr


def file_size_limit(limit: int) -> Preexec:
    """``preexec_fn``: files larger than ``limit`` bytes cannot be written (``EFBIG``), as on
    a full disk; the signal that would kill the process is ignored, as most shells do not."""
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def closed_pipe() -> int:
    """The write end of a pipe whose reader is gone: every write fails with EPIPE (as when
    ``usi ... | head -1`` has read its line). The caller closes the returned descriptor."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


def interrupt_on_call(module: str, attr: str, n: int, sig: str = "SIGINT") -> str:
    """A prelude for :func:`usi`: the ``n``-th call of ``module.attr`` first sends this
    process a real ``sig`` (SIGINT is Ctrl-C; SIGTERM, SIGHUP), so the command is stopped in
    the middle of its work."""
    return (
        "import os, signal, importlib\n"
        f"_m = importlib.import_module({module!r})\n"
        f"_real = getattr(_m, {attr!r})\n"
        "_calls = [0]\n"
        "def _patched(*a, **k):\n"
        "    _calls[0] += 1\n"
        f"    if _calls[0] == {n}:\n"
        f"        os.kill(os.getpid(), signal.{sig})\n"
        "    return _real(*a, **k)\n"
        f"setattr(_m, {attr!r}, _patched)\n"
    )


def interrupted(proc: subprocess.CompletedProcess[str]) -> None:
    """Ctrl-C: exit 130 and the one line ``usi: interrupted``, nothing else on stderr."""
    assert proc.returncode == 130, (proc.returncode, proc.stderr)
    assert proc.stderr.strip() == "usi: interrupted", proc.stderr
