"""Exception tree of covgap.

Every error a user can cause derives from :class:`CovgapError`; the leaves also derive
from the matching builtin so that ``except ValueError`` and ``except OSError`` keep
working in code that does not know covgap (the pattern of ``rasterio.errors``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CRSMismatchError",
    "CovgapError",
    "DataFileError",
    "InputError",
    "Problem",
    "SolverError",
    "ValidationError",
]


class CovgapError(Exception):
    """Base class of every error raised by covgap."""


class InputError(CovgapError, ValueError):
    """The user's input (a file, a table, an option) is not usable as given."""


class CRSMismatchError(InputError):
    """Coordinates are in another coordinate reference system than the one expected."""


class DataFileError(CovgapError, OSError):
    """A data file is missing, unreadable or of an unknown format."""


class SolverError(CovgapError, RuntimeError):
    """An optimisation solver failed or did not reach the status asked for."""


@dataclass(frozen=True)
class Problem:
    """One finding of a validation: where it is, what is wrong and what to do.

    Attributes
    ----------
    file
        The file (or table name) the problem is in.
    message
        What is wrong, in one sentence.
    row
        1-based data row as a spreadsheet user counts it (the header is row 1, so the
        first data row is row 2), or ``None`` when the problem concerns the whole file.
    column
        The column as named in the user's file, or ``None``.
    hint
        What to do about it.
    severity
        ``"error"`` (the file cannot be used) or ``"warning"`` (it can, with care).
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        text = f"{self.severity.upper()}: {where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ValidationError(InputError):
    """Input failed validation; carries every :class:`Problem` found, not only the first.

    Parameters
    ----------
    problems
        All problems found; the message lists the errors among them.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} error(s) found in the input:"
        super().__init__("\n".join([head, *(f"  {p}" for p in errors)]))
