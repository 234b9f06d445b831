"""What the commands check before they start, and how they stop.

- :func:`check_out_dir` / :func:`check_out_file`: ``--out`` is usable (a folder that
  exists and is writable, or can be created; not a file), checked before any analysis.
- :func:`os_error_message`: an operating-system error as one line a person can act on
  (permission, a folder where a file was expected, disk full, a file open in Excel).
- :func:`handle_signals`: SIGTERM stops a command like Ctrl-C does, by an exception, so
  the ``finally`` blocks of the writers remove their temporary files and the process
  pool is stopped; exit status 130 for Ctrl-C and 143 for SIGTERM.
"""

from __future__ import annotations

import errno
import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from ..errors import DataFileError

__all__ = [
    "EXIT_SIGINT",
    "EXIT_SIGTERM",
    "Terminated",
    "check_out_dir",
    "check_out_file",
    "handle_signals",
    "os_error_message",
]

#: Exit status after Ctrl-C (128 + SIGINT), as a shell reports it.
EXIT_SIGINT = 130
#: Exit status after SIGTERM (128 + SIGTERM).
EXIT_SIGTERM = 143
#: Windows error numbers of a file that another program (Excel) holds open.
_WIN_SHARING = {32, 33}


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM."""


def check_out_dir(path: str | os.PathLike[str], *, option: str = "--out") -> Path:
    """Check that ``path`` is a folder covgap can write into, or can create.

    Parameters
    ----------
    path
        The output folder.
    option
        The option's name, for the message.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataFileError
        ``path`` is a file, lies under a file, or its folder (or the nearest existing
        parent) cannot be written.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DataFileError(f"{option} {path}: is a file, not a folder; give the name of a folder")
    base = path
    while not base.exists():
        if base.parent == base:
            break
        base = base.parent
    if not base.is_dir():
        raise DataFileError(
            f"{option} {path}: {base} is a file, so the folder cannot be created there"
        )
    try:
        _probe(base)
    except OSError as exc:
        raise DataFileError(
            f"{option} {path}: cannot write in {base} ({exc.strerror or exc}); choose "
            "another folder, or check its permissions"
        ) from exc
    return path


def check_out_file(path: str | os.PathLike[str], *, option: str = "--out") -> Path:
    """Check that ``path`` can be written as a file (not a folder; its folder writable)."""
    path = Path(path)
    if path.is_dir():
        raise DataFileError(f"{option} {path}: is a folder; give the name of the file to write")
    check_out_dir(path.parent if str(path.parent) else Path("."), option=option)
    return path


def _probe(folder: Path) -> None:
    """Create and remove a hidden file in ``folder`` (permissions alone do not tell)."""
    with tempfile.TemporaryFile(prefix=".covgap-probe-", dir=folder):
        pass


def os_error_message(exc: OSError) -> str:
    """Return an operating-system error as one line that says what to do.

    Parameters
    ----------
    exc
        The error (``PermissionError``, ``IsADirectoryError``, disk full...).

    Returns
    -------
    str
    """
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    where = " -> ".join(names) + ": " if names else ""
    reason = exc.strerror or str(exc)
    code = exc.errno
    if getattr(exc, "winerror", None) in _WIN_SHARING or (
        isinstance(exc, PermissionError) and os.name == "nt"
    ):
        return (
            f"{where}the file is in use by another program; close the file in Excel "
            "(or the program that has it open) and run again"
        )
    if isinstance(exc, PermissionError):
        return (
            f"{where}permission denied; if the file is open in Excel or another program, "
            "close it, otherwise choose another --out folder or check its permissions"
        )
    if isinstance(exc, IsADirectoryError):
        return f"{where}is a folder where a file was expected; give a file name"
    if isinstance(exc, NotADirectoryError):
        return f"{where}a part of this path is a file, not a folder"
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)):
        return f"{where}the disk is full; free some space or choose another --out folder"
    if code == errno.EROFS:
        return f"{where}the disk is read-only; choose another --out folder"
    if isinstance(exc, FileNotFoundError):
        return f"{where}not found ({reason})"
    return f"{where}{reason}"


@contextmanager
def handle_signals() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` in the main thread while the block runs.

    A second SIGTERM kills the process the default way (a stuck clean-up can be ended).
    Outside the main thread (where handlers cannot be set) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
