"""Write a file all-or-nothing: into a temporary name beside it, then move it into place.

Every writer of covgap (maps, workbooks, tables, rasters) goes through
:func:`atomic_path` (one file) or :func:`atomic_folder` (a set of files), so a failure or
an interruption never leaves a half-written file, and an existing file is replaced only
by a complete new one.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from ..errors import DataFileError

__all__ = ["atomic_folder", "atomic_path", "signals_deferred"]


def _default_mode() -> int:
    """Permissions a new file gets from the umask (mkstemp would give 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, create: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it over ``path`` if the block succeeds.

    Parameters
    ----------
    path
        The final file. Its folder is created if needed.
    create
        ``True``: the temporary file exists (empty) when the block starts. ``False``: only
        its name is reserved, for writers that refuse an existing file (GDAL's GPKG).

    Yields
    ------
    pathlib.Path
        Where to write. It keeps ``path``'s suffix so format detection by name works.

    Raises
    ------
    DataFileError
        The folder cannot be created or written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise DataFileError(f"{path}: cannot write here ({exc.strerror or exc})") from exc
    os.close(fd)
    tmp = Path(name)
    if not create:
        tmp.unlink()
    try:
        yield tmp
        mode = path.stat().st_mode & 0o777 if path.exists() else _default_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_folder(out_dir: str | Path) -> Iterator[Path]:
    """Yield a temporary folder whose files are moved into ``out_dir`` on success.

    Parameters
    ----------
    out_dir
        Destination folder, created if needed. Files already there that the block does
        not write are left alone; those it writes are replaced only if the whole block
        succeeds.

    Yields
    ------
    pathlib.Path
        The temporary folder to write into (same file system as ``out_dir``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".covgap-tmp-", dir=out))
    try:
        yield tmp
        with signals_deferred():  # Ctrl-C now would leave a mix of old and new files
            for item in sorted(tmp.iterdir()):
                os.replace(item, out / item.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) and SIGTERM until the block ends (a few renames).

    A signal that arrives meanwhile is handled right after the block, by the handler
    that was in place (Ctrl-C raises ``KeyboardInterrupt``), so a set of files is moved
    into place completely or not at all. Outside the main thread (where handlers cannot
    be set) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    held = [signal.SIGINT, signal.SIGTERM]
    previous = {signum: signal.signal(signum, hold) for signum in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if caught:
            handler = previous[caught[0]]
            if callable(handler):
                handler(caught[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(caught[0])
