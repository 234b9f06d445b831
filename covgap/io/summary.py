"""What a reader read: rows, sheets, columns used and not used, rows skipped, CRS.

The table readers attach a :class:`ReadSummary` to what they return as
``gdf.attrs["covgap_read"]``, log it, and ``covgap validate`` prints it, so that no
column, sheet or row is left out without a word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ATTR", "ReadSummary", "row_ranges"]

#: Key of the summary in ``GeoDataFrame.attrs``.
ATTR = "covgap_read"


def row_ranges(rows: list[int] | tuple[int, ...], limit: int = 12) -> str:
    """``[3, 4, 5, 9]`` -> ``"3–5, 9"``; more than ``limit`` ranges end with "…"."""
    parts: list[list[int]] = []
    for row in sorted(set(rows)):
        if parts and row == parts[-1][1] + 1:
            parts[-1][1] = row
        else:
            parts.append([row, row])
    text = [str(a) if a == b else f"{a}–{b}" for a, b in parts[:limit]]
    return ", ".join(text) + (", …" if len(parts) > limit else "")


@dataclass(frozen=True, eq=False)
class ReadSummary:
    """How a village or site file was read.

    Attributes
    ----------
    file, kind, n_rows
        The file, ``"villages"``/``"sites"`` and the number of data rows read.
    sheets
        Sheets read (empty for CSV and geo files); ``sheets_skipped`` the others and why.
    header_rows
        ``(sheet, first, last)`` rows of each table's header.
    used
        ``(header, canonical)`` of every column used.
    unused
        ``(header, suggestion)`` of every column not used (the suggestion may be "").
    ignored
        ``(sheet, header, why)`` of columns and title rows left out on purpose.
    skipped
        ``(sheet, rows, why)`` of rows left out (total rows, signature blocks, blanks).
    crs
        How positions were read (columns and CRS).
    rows, row_sheets
        Sheet row (and sheet) of every data row, ``None`` when row = position + 2.
    """

    file: str
    kind: str
    n_rows: int
    encoding: str = ""
    sheets: tuple[str, ...] = ()
    sheets_skipped: tuple[tuple[str, str], ...] = ()
    header_rows: tuple[tuple[str, int, int], ...] = ()
    used: tuple[tuple[str, str], ...] = ()
    unused: tuple[tuple[str, str], ...] = ()
    ignored: tuple[tuple[str, str, str], ...] = ()
    skipped: tuple[tuple[str, tuple[int, ...], str], ...] = ()
    crs: str = ""
    rows: np.ndarray | None = field(default=None, repr=False)
    row_sheets: np.ndarray | None = field(default=None, repr=False)

    def __deepcopy__(self, memo: dict) -> ReadSummary:
        return self  # immutable: pandas deep-copies attrs on every operation

    def lines(self) -> list[str]:
        """Return the summary in a few lines of text, for ``covgap validate`` and the log."""
        what = "villages" if self.kind == "villages" else "sectors"
        head = f"read {self.n_rows} {what}"
        if self.sheets:
            head += " from sheet(s) " + ", ".join(
                f"{s!r} (header row {a}{f'–{b}' if b != a else ''})" for s, a, b in self.header_rows
            )
        elif self.header_rows and self.header_rows[0][1] != 1:
            _, a, b = self.header_rows[0]
            head += f" (header on row {a}{f'–{b}' if b != a else ''})"
        if self.encoding:
            head += f"; {self.encoding}"
        out = [head]
        if self.sheets_skipped:
            out.append(
                "sheets not read: " + "; ".join(f"{s!r} ({why})" for s, why in self.sheets_skipped)
            )
        out.append(
            f"columns used ({len(self.used)}): "
            + ", ".join(h if h == c else f"{h!r}→{c}" for h, c in self.used)
        )
        if self.unused:
            out.append(
                f"columns not used ({len(self.unused)}): "
                + ", ".join(
                    f"{h!r}" + (f" (did you mean {s}?)" if s else "") for h, s in self.unused
                )
            )
        if self.ignored:
            out.append("left out: " + "; ".join(self._ignored()))
        if self.skipped:
            out.append("rows skipped: " + "; ".join(self._skipped()))
        if self.crs:
            out.append(f"positions: {self.crs}")
        return out

    def _ignored(self) -> list[str]:
        """Columns and title rows left out, once each (a title per sheet is counted)."""
        seen: dict[str, int] = {}
        for _, header, why in self.ignored:
            key = "title rows above the header" if why.startswith("title rows") else why
            key = f"{header!r}: {key}" if header else key
            seen[key] = seen.get(key, 0) + 1
        if len(self.sheets) <= 1:
            return [f"{h!r}: {w}" if h else w for _, h, w in self.ignored]
        return [f"{k} ({n} sheets)" if n > 1 else k for k, n in seen.items()]

    def _skipped(self) -> list[str]:
        """Rows skipped by reason: their rows (and sheets when several were read)."""
        by_reason: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
        for sheet, rows, why in self.skipped:
            by_reason.setdefault(why, []).append((sheet, rows))
        out = []
        for why, parts in by_reason.items():
            if len(self.sheets) <= 1:
                where = row_ranges([r for _, rows in parts for r in rows])
            else:
                where = ", ".join(f"{s} {row_ranges(rows, 3)}" for s, rows in parts[:4])
                where += ", …" if len(parts) > 4 else ""
            out.append(f"{why}: {where}")
        return out
