"""Logging of the ``covgap`` command: quiet by default, every message with ``-v``.

Without ``-v``, warnings of one kind (the same logger and message template, or the same
message once its numbers are masked) are printed once; at the end one line says how many
more of that kind there were. ``covgap run --area`` thus prints one line for its 233
"the radius reaches beyond the DEM" warnings instead of 233 lines. Warnings logged in
the process pool's workers (forked) are sent to the main process through a pipe and
counted with the others. ``-v`` prints every message as it comes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
from collections.abc import Callable
from typing import Any

import click

__all__ = ["GroupingHandler", "configure_logging"]

_FORMAT = "%(levelname)s %(name)s: %(message)s"
#: Numbers (ids, distances, counts) that vary between warnings of one kind.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
#: Templates that say nothing about the kind of message (the message is all argument).
_OPAQUE = {"%s", "%r"}


class GroupingHandler(logging.Handler):
    """Print the first warning of each kind; count the others; summarise at :meth:`finish`.

    Records of level ERROR and above are always printed. Records logged in a forked
    child process (the process pool) are forwarded to the process that created the
    handler. With ``group=False`` every record is printed (``-v``), still forwarded.
    """

    def __init__(self, level: int = logging.NOTSET, *, group: bool = True) -> None:
        super().__init__(level)
        self.group = group
        self.setFormatter(logging.Formatter(_FORMAT))
        self._pid = os.getpid()
        self._counts: dict[tuple[str, str], list[Any]] = {}
        self._counts_lock = threading.Lock()
        self._recv, self._send = multiprocessing.Pipe(duplex=False)
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, name="covgap-log-pipe", daemon=True)
        self._reader.start()

    # ----------------------------------------------------------------- records
    def emit(self, record: logging.LogRecord) -> None:
        """Print, count or forward one record."""
        try:
            text = self.format(record)
            key = (record.name, _template(record))
            if os.getpid() != self._pid:
                try:
                    self._send.send((record.levelno, key, text))
                    return
                except OSError:  # the main process is gone: print here
                    click.echo(text, err=True)
                    return
            self._take(record.levelno, key, text)
        except Exception:
            self.handleError(record)

    def _take(self, levelno: int, key: tuple[str, str], text: str) -> None:
        if levelno >= logging.ERROR or not self.group:
            click.echo(text, err=True)
            return
        with self._counts_lock:
            entry = self._counts.setdefault(key, [0, text])
            entry[0] += 1
            first = entry[0] == 1
        if first:
            click.echo(text, err=True)

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                if self._recv.poll(0.1):
                    self._take(*self._recv.recv())
            except (EOFError, OSError):
                return

    # ----------------------------------------------------------------- the end
    def summary(self) -> list[str]:
        """Return one line per kind of warning that came more than once."""
        with self._counts_lock:
            items = list(self._counts.values())
        lines = []
        for count, text in items:
            if count > 1:
                head, sep, message = text.partition(": ")
                lines.append(
                    f"{head}{sep}{count}\u00d7 {message} ({count - 1} more like it not "
                    "shown; -v shows every one)"
                )
        return lines

    def finish(self) -> None:
        """Collect what the workers sent, print the summary and close the pipe."""
        self._stop.set()
        self._reader.join()
        try:
            while self._recv.poll(0):
                self._take(*self._recv.recv())
        except (EOFError, OSError):
            pass
        for line in self.summary():
            click.echo(line, err=True)
        self._recv.close()
        self._send.close()

    def close(self) -> None:
        """Stop the pipe's reader (idempotent)."""
        self._stop.set()
        if self._reader.is_alive() and threading.current_thread() is not self._reader:
            self._reader.join()
        super().close()


def _template(record: logging.LogRecord) -> str:
    """Return what makes two records "of one kind": the format string, or the masked text."""
    if isinstance(record.msg, str) and record.args and record.msg.strip() not in _OPAQUE:
        return record.msg
    return _NUMBER.sub("#", record.getMessage())


def configure_logging(verbose: int, quiet: int) -> Callable[[], None]:
    """Attach the command's handler to the root logger; return the function that ends it.

    Parameters
    ----------
    verbose, quiet
        Counts of ``-v`` and ``-q``: WARNING by default, INFO with ``-v``, DEBUG with
        ``-vv``, ERROR with ``-q``. With ``-v`` every message is printed as it comes;
        otherwise repeated warnings are grouped (:class:`GroupingHandler`).

    Returns
    -------
    callable
        Prints the summary of grouped warnings and restores the root logger.
    """
    level = max(logging.DEBUG, min(logging.WARNING - 10 * verbose + 10 * quiet, logging.CRITICAL))
    root = logging.getLogger()
    handler = GroupingHandler(group=verbose == 0)
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)

    def finish() -> None:
        try:
            handler.finish()
        finally:
            root.removeHandler(handler)
            root.setLevel(previous)
            handler.close()

    return finish
