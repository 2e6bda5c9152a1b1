"""The one way commands write: files and folders appear whole or not at all, nothing the user
has is replaced without ``overwrite``, and every failure is a one-line :class:`UsiError`
naming the target (never a temporary name).

- :func:`write_atomic`: one file (a temporary file beside it, flushed to disk, then renamed).
- :func:`write_folder_atomic`: a whole folder (built beside it, then swapped in).
- :func:`stdout_console`: the rich console commands print tables with; a closed pipe
  (``usi gap ... | head -1``) reaches the CLI edge as :class:`BrokenPipeError`.

>>> import tempfile
>>> p = Path(tempfile.mkdtemp()) / "map.json"
>>> write_atomic(p, '{"a": 1}\\n').read_text()
'{"a": 1}\\n'
>>> write_atomic(p, "again")
Traceback (most recent call last):
...
usi_metric.errors.UsiError: .../map.json: already exists; pass --overwrite to replace it
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, TypeVar

from usi_metric.errors import UsiError

T = TypeVar("T")
Payload = str | bytes | Callable[[IO[bytes]], None]


def umask_mode() -> int:
    """The mode a new file or folder gets from the process umask (``0o777`` minus it).

    >>> 0 <= umask_mode() <= 0o777
    True
    """
    current = os.umask(0)
    os.umask(current)
    return 0o777 & ~current


def os_reason(exc: OSError) -> str:
    """The words of an ``OSError`` without its file name (the message names the file).

    >>> os_reason(OSError(28, "No space left on device", "/x"))
    'No space left on device'
    """
    return exc.strerror or str(exc) or type(exc).__name__


def describe_os_error(exc: OSError) -> str:
    """One line for an ``OSError`` that reached the CLI edge: the file it names, or (a write
    to stdout names none) the output.

    >>> describe_os_error(OSError(28, "No space left on device"))
    'cannot write the output (No space left on device)'
    >>> describe_os_error(PermissionError(13, "Permission denied", "runs/x.json"))
    'runs/x.json: Permission denied'
    """
    if exc.filename is not None:
        return f"{exc.filename}: {os_reason(exc)}"
    if isinstance(exc, FileNotFoundError) and not _cwd_exists():
        return ("cannot read the paths given: the current folder no longer exists (deleted "
                "while this shell was in it), so no relative path leads anywhere; cd into a "
                "folder that exists")
    return f"cannot write the output ({os_reason(exc)})"


def refuse_own_input(target: str | Path, inputs: Iterable[str | Path]) -> None:
    """The one rule for every output: it may never be one of the tool's own inputs, nor a
    folder holding one (replacing it would lose what was read), even with ``overwrite``.
    Paths are compared after resolving symlinks, so a link to an input is that input.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "in.json").write_text("{}")
    2
    >>> refuse_own_input(d / "in.json", [d / "in.json"])
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: .../in.json: is one of this command's inputs; write elsewhere
    >>> refuse_own_input(d / "out.json", [d / "in.json"])
    """
    out = Path(os.path.realpath(target))
    for given in inputs:
        inp = Path(os.path.realpath(given))
        if inp == out:
            raise UsiError("is one of this command's inputs; write elsewhere",
                           file=str(target))
        if out in inp.parents:
            raise UsiError(f"holds this command's input {given}; write elsewhere",
                           file=str(target))


def _temp_prefix(name: str) -> str:
    """A temporary name's prefix kept short enough that ``prefix + random + suffix`` stays
    under the 255-byte name limit for any valid output name (a long name is cut, at a
    character boundary).

    >>> len(_temp_prefix("x" * 245).encode()) <= 200
    True
    """
    cut = name.encode("utf-8")[:180].decode("utf-8", "ignore")
    return f".{cut}."


def _cwd_exists() -> bool:
    try:
        os.getcwd()
    except OSError:
        return False
    return True


def _write_payload(fh: IO[bytes], data: Payload) -> None:
    if callable(data):
        data(fh)
    else:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)


def write_atomic(path: str | Path, data: Payload, overwrite: bool = False,
                 inputs: Iterable[str | Path] = ()) -> Path:
    """Write ``data`` (text as UTF-8, bytes, or a function that writes into a binary file)
    to ``path`` as a whole: into a temporary file in the same folder, flushed to disk, then
    renamed over ``path``. A failure or Ctrl-C leaves ``path`` as it was and no temporary
    file behind.

    An existing file is replaced only with ``overwrite``; a folder is refused. A device or
    pipe (``/dev/stdout``, ``/dev/full``) is written to directly: it holds no file to lose.
    ``inputs`` are the files the command read: ``path`` may not be one of them
    (:func:`refuse_own_input`).
    """
    target = Path(path)
    shown = str(path)
    refuse_own_input(target, inputs)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UsiError(f"cannot write ({os_reason(exc)})", file=shown) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UsiError("is a folder; give the name of a file to write", file=shown)
    if st is not None and not stat.S_ISREG(st.st_mode):
        return _write_stream(target, data, shown)
    if st is not None and not overwrite:
        raise UsiError("already exists; pass --overwrite to replace it", file=shown)
    real = Path(os.path.realpath(target))  # a symlink keeps pointing at the new file
    if not real.parent.is_dir():
        raise UsiError(f"cannot write: the folder {real.parent} does not exist", file=shown)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(real.name), suffix=".partial",
                                   dir=real.parent)
        with os.fdopen(fd, "wb") as fh:
            _write_payload(fh, data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode) if st is not None else umask_mode() & 0o666)
        if overwrite:
            os.replace(tmp, real)
        else:
            _link_new(tmp, real, shown)
        tmp = None
    except OSError as exc:
        raise UsiError(f"cannot write ({os_reason(exc)})", file=shown) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return target


def _link_new(tmp: str, real: Path, shown: str) -> None:
    """Put ``tmp`` at ``real`` only if nothing is there (a file made meanwhile is kept)."""
    try:
        os.link(tmp, real)
    except FileExistsError:
        raise UsiError("already exists; pass --overwrite to replace it", file=shown) from None
    except OSError:  # a file system without hard links: the check above stands
        os.replace(tmp, real)
        return
    os.unlink(tmp)


def _write_stream(target: Path, data: Payload, shown: str) -> Path:
    try:
        with open(target, "wb") as fh:
            _write_payload(fh, data)
            fh.flush()
    except OSError as exc:
        raise UsiError(f"cannot write ({os_reason(exc)})", file=shown) from None
    return target


# ----------------------------------------------------------------------------- folders


def check_folder_target(out_dir: str | Path, overwrite: bool,
                        owned: Callable[[str], bool] | None = None,
                        what: str = "output") -> None:
    """Refuse ``out_dir`` when it is a file, or a non-empty folder without ``overwrite``, or
    (with ``owned``) a folder that holds names a previous run did not write."""
    out = Path(out_dir)
    shown = str(out_dir)
    if not out.exists():
        return
    if not out.is_dir():
        raise UsiError("exists and is not a folder", file=shown)
    try:
        names = sorted(os.listdir(out))
    except OSError as exc:
        raise UsiError(f"cannot read the folder ({os_reason(exc)})", file=shown) from None
    if not names:
        return
    if not overwrite:
        raise UsiError("already exists; pass --overwrite to replace it",
                       file=shown)
    others = [n for n in names if owned is not None and not owned(n)]
    if others:
        raise UsiError(f"not a previous {what} (it also holds {', '.join(others[:3])}); "
                       "refusing to replace it", file=shown)


def write_folder_atomic(out_dir: str | Path, build: Callable[[Path], T],
                        overwrite: bool = False, owned: Callable[[str], bool] | None = None,
                        what: str = "output", inputs: Iterable[str | Path] = ()) -> T:
    """Run ``build(tmp)`` to fill a temporary folder beside ``out_dir``, then swap it in
    whole: a re-run replaces the entire folder (nothing stale stays), and a failure or
    Ctrl-C leaves ``out_dir`` as it was and no temporary folder behind.

    An existing non-empty ``out_dir`` is replaced only with ``overwrite``, and then only
    when every name in it passes ``owned`` (what a previous run writes), so a mistyped
    ``--out ~`` never deletes a home folder; ``out_dir`` may never be (or hold) one of
    ``inputs`` (:func:`refuse_own_input`). A symlinked ``out_dir`` keeps its link: the
    folder it points at is the one replaced. Returns what ``build`` returns.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "report"
    >>> write_folder_atomic(out, lambda tmp: (tmp / "a.md").write_text("x"))
    1
    >>> sorted(p.name for p in out.iterdir())
    ['a.md']
    """
    shown = str(out_dir)
    refuse_own_input(out_dir, inputs)
    check_folder_target(out_dir, overwrite, owned, what)
    out = Path(os.path.realpath(out_dir))  # through a symlink: replace the target, not the link
    tmp: Path | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(out.name) + "partial-", dir=out.parent))
        result = build(tmp)
        os.chmod(tmp, umask_mode())
        _swap_in(tmp, out)
        tmp = None
    except OSError as exc:
        where = _inside(exc.filename, tmp, Path(out_dir)) or shown
        raise UsiError(f"cannot write ({os_reason(exc)})", file=where) from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return result


def _inside(name: Any, tmp: Path | None, out: Path) -> str | None:
    """A file name of the temporary folder, said as the place it was meant for."""
    if not isinstance(name, str | os.PathLike) or tmp is None:
        return None
    try:
        rel = Path(name).relative_to(tmp)
    except ValueError:
        return None
    return str(out / rel) if rel.parts else str(out)


def _swap_in(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; a previous ``out`` is moved aside, then removed."""
    if not out.exists():
        os.rename(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=_temp_prefix(out.name) + "old-", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


# ----------------------------------------------------------------------------- stdout


def stdout_console(min_width: int = 80) -> Any:
    """A rich console on stdout, at least ``min_width`` wide. A closed pipe raises
    :class:`BrokenPipeError` to the CLI edge (rich's own handling would exit 1)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError("stdout was closed")

    return _Console(width=max(min_width, Console().width))


def silence_stdout() -> None:
    """Point file descriptor 1 at ``/dev/null`` so the interpreter's last flush of a closed
    or full stdout succeeds quietly (the Python docs' advice for SIGPIPE)."""
    import sys

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
