"""What a reader read: rows, sheets, columns used and not used, rows skipped, CRS.

The table readers attach a :class:`ReadSummary` to what they return as
``gdf.attrs["covgap_read"]``, log it, and ``covgap validate`` prints it, so that no
column, sheet or row is left out without a word.
"""

from __future__ import annotations

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


_FIELDS: dict[str, object] = {
    "file": "",
    "kind": "",
    "n_rows": 0,
    "encoding": "",
    "sheets": (),
    "sheets_skipped": (),
    "header_rows": (),
    "used": (),
    "unused": (),
    "ignored": (),
    "skipped": (),
    "crs": "",
    "rows": None,
    "row_sheets": None,
}


def _rebuild(fields: dict) -> ReadSummary:
    return ReadSummary(**fields)


class ReadSummary(dict):
    """How a village or site file was read.

    A read-only mapping whose keys are also attributes (``summary.sheets``); its values
    are plain strings, numbers, tuples and lists, so that it survives what pandas does
    with ``attrs``: deep copies (it is immutable: the copy is itself), comparisons in
    ``concat`` (by identity) and JSON in ``to_parquet``.

    Attributes
    ----------
    file, kind, n_rows
        The file, ``"villages"``/``"sites"`` and the number of data rows read.
    encoding
        Encoding and delimiter of a text file.
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
        Sheet row (and sheet) of every data row, lists; ``None`` when row = position + 2.
    """

    def __init__(self, **fields: object) -> None:
        unknown = set(fields) - set(_FIELDS)
        if unknown:
            raise TypeError(f"unknown ReadSummary field(s): {sorted(unknown)}")
        for key in ("rows", "row_sheets"):
            if isinstance(fields.get(key), np.ndarray):
                fields[key] = fields[key].tolist()  # type: ignore[union-attr]
        super().__init__({**_FIELDS, **fields})

    def __getattr__(self, name: str) -> object:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setitem__(self, key: str, value: object) -> None:
        raise TypeError("ReadSummary is read-only")

    def __deepcopy__(self, memo: dict) -> ReadSummary:
        return self  # immutable: pandas deep-copies attrs on every operation

    def __reduce__(self) -> tuple:
        return (_rebuild, (dict(self),))  # pickled frames (process pools) keep it

    __eq__ = object.__eq__  # type: ignore[assignment]
    __ne__ = object.__ne__  # type: ignore[assignment]
    __hash__ = object.__hash__  # type: ignore[assignment]

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
        if not self.unused:
            out.append("columns not used: none")
        else:
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
