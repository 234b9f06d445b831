"""Logging of the ``covgap`` command: quiet by default, every message with ``-v``.

Without ``-v``, warnings of one kind (the same logger and message template, or the same
message once its numbers are masked) are printed once; at the end one line says how many
more of that kind there were (with the first message). ``covgap run --area`` thus
prints one line for its 233 "the radius reaches beyond the DEM" warnings. Warnings logged in
the process pool's workers (forked) are collected by the main process at the end and
counted with the others. ``-v`` prints every message.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
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
    child process (the process pool) are appended to an anonymous spool file (deleted
    as soon as it is created, so nothing is ever left on disk) that the main process
    reads at :meth:`finish`; no thread runs meanwhile, so forking stays safe. With
    ``group=False`` every record is printed (``-v``); the workers' at the end.
    """

    def __init__(self, level: int = logging.NOTSET, *, group: bool = True) -> None:
        super().__init__(level)
        self.group = group
        self.setFormatter(logging.Formatter(_FORMAT))
        self._pid = os.getpid()
        self._counts: dict[tuple[str, str], list[Any]] = {}
        self._spool = _anonymous_file()

    def emit(self, record: logging.LogRecord) -> None:
        """Print, count or (in a worker) spool one record."""
        try:
            text = self.format(record)
            key = (record.name, _template(record))
            if os.getpid() != self._pid and self._spool is not None:
                line = json.dumps([record.levelno, *key, text], ensure_ascii=False) + "\n"
                os.write(self._spool, line.encode("utf-8"))  # O_APPEND: one write, one line
                return
            self._take(record.levelno, key, text)
        except Exception:
            self.handleError(record)

    def _take(self, levelno: int, key: tuple[str, str], text: str, *, now: bool = True) -> None:
        if levelno >= logging.ERROR or not self.group:
            click.echo(text, err=True)
            return
        entry = self._counts.setdefault(key, [0, text, False])
        entry[0] += 1
        if now and not entry[2]:
            click.echo(text, err=True)
            entry[2] = True

    def summary(self) -> list[str]:
        """Return the lines still to print: a count per repeated kind, unseen singles."""
        lines = []
        for count, text, shown in self._counts.values():
            if count == 1 and not shown:
                lines.append(text)
            elif count > 1:
                head, sep, message = text.partition(": ")
                lines.append(
                    f"{head}{sep}{count}\u00d7 {message} ({count - 1} more like it not "
                    "shown; -v shows every one)"
                )
        return lines

    def finish(self) -> None:
        """Take in what the workers logged, print the summary and drop the spool."""
        for levelno, name, template, text in self._spooled():
            self._take(levelno, (name, template), text, now=False)
        for line in self.summary():
            click.echo(line, err=True)
        self.close()

    def _spooled(self) -> list[list[Any]]:
        if self._spool is None or os.getpid() != self._pid:
            return []
        os.lseek(self._spool, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(self._spool, 1 << 16):
            chunks.append(chunk)
        os.ftruncate(self._spool, 0)
        records = []
        for line in b"".join(chunks).decode("utf-8", "replace").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:  # a worker killed mid-line
                continue
        return records

    def close(self) -> None:
        """Close the spool (idempotent)."""
        if self._spool is not None and os.getpid() == self._pid:
            os.close(self._spool)
            self._spool = None
        super().close()


def _anonymous_file() -> int | None:
    """Open a temporary file for appending and delete its name at once (POSIX only)."""
    if os.name != "posix":  # no fork there: the workers do not share this handler
        return None
    import fcntl

    fd, name = tempfile.mkstemp(prefix=".covgap-log-")
    try:
        os.unlink(name)
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_APPEND)
    except OSError:
        os.close(fd)
        return None
    return fd


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
