"""What reading a table leaves out or assumes, said out loud (internal).

Columns not used (with the closest canonical name), optional columns an output needs but
the file lacks, rows and sheets skipped, and the CRS that a header names: each becomes a
warning in the file's report and a line of its :class:`~covgap.io.summary.ReadSummary`.
:func:`collapse` sums up problems of one kind beyond the first :data:`LIST_LIMIT`.
"""

from __future__ import annotations

import re

from pyproj import CRS

import covgap.io.aliases as _aliases

from ..errors import Problem
from .positions import RawTable, _Report
from .summary import ReadSummary, row_ranges

#: Optional village columns and what is lost without them.
OPTIONAL_NEEDED = {
    "villages": {
        "households": "households will be blank in the request list and its priority",
        "population": "people covered cannot be counted",
        "grid_power": "grid power will be unknown, which the public-utility request needs",
    },
    "sites": {},
}
_VN2000_GEOGRAPHIC = "EPSG:4756"


def header_crs(names: dict[str, str], rep: _Report) -> CRS | None:
    """Return the CRS that the position headers name (``X (VN-2000)``), with a warning."""
    if "x" in names and "y" in names and not ("lon" in names and "lat" in names):
        keys = ("x", "y")
    elif "lon" in names and "lat" in names:
        keys = ("lon", "lat")
    else:
        return None
    for key in keys:
        found = _aliases.header_crs(names[key])
        if found is None:
            continue
        code, label = found
        if keys == ("lon", "lat"):
            if code != "EPSG:9205":
                return None
            code, label = _VN2000_GEOGRAPHIC, "VN-2000 geographic (degrees)"
        rep.add(
            f"header {names[key]!r} names {label}: positions read in {code}"
            + (", Lai Châu's TM-3 zone (central meridian 103°)" if code == "EPSG:9205" else ""),
            column=names[key],
            severity="warning",
            hint="pass crs (covgap --crs) to read them in another CRS or zone",
        )
        return CRS.from_user_input(code)
    return None


def positions_text(raw: RawTable, names: dict[str, str], crs: CRS | None) -> str:
    """How the positions were read, in words."""
    if raw.geometry is not None:
        src = raw.crs if raw.crs is not None else crs
        return f"layer geometry, {CRS.from_user_input(src).name if src else 'WGS 84 (no CRS)'}"
    has_ll = "lon" in names and "lat" in names
    has_xy = "x" in names and "y" in names
    if not (has_ll or has_xy):
        return "no position columns"
    key = ("x", "y") if has_xy and (crs is not None or not has_ll) else ("lon", "lat")
    cols = f"{names[key[0]]!r}/{names[key[1]]!r}"
    if crs is None or (key == ("lon", "lat") and not crs.is_geographic):
        return f"{cols} in degrees, WGS 84 (EPSG:4326)"
    epsg = crs.to_epsg()
    return f"{cols} in {crs.name}" + (f" (EPSG:{epsg})" if epsg else "")


def column_notes(
    columns: list[str], mapping: dict[str, str], duplicates: list[str], kind: str, rep: _Report
) -> list[tuple[str, str]]:
    """Warn about every column not used; return ``(header, suggestion)`` pairs.

    A column close to a canonical name gets its own warning ("did you mean"); the others
    are listed together in one.
    """
    unused = []
    taken = set(mapping.values())
    extra = []
    for col in columns:
        if col in mapping or col in duplicates:
            continue
        close = _aliases.suggest(col, kind, taken=taken)
        if close is None:
            unused.append((col, ""))
            extra.append(col)
            continue
        canonical, alias = close
        suggestion = canonical if alias == canonical else f"{canonical} ({alias})"
        unused.append((col, suggestion))
        rep.add(
            f"column {col!r} was not used; did you mean {suggestion}?",
            column=col,
            severity="warning",
            hint=f"rename the header to {alias!r} if it holds {canonical}",
        )
    if extra:
        rep.add(
            f"{len(extra)} column(s) not used, kept as extra columns: "
            + ", ".join(map(repr, extra)),
            severity="warning",
            hint="rename a header to a known name if covgap should use it "
            "(covgap.io.aliases lists them)",
        )
    missing = {c: why for c, why in OPTIONAL_NEEDED[kind].items() if c not in taken}
    if missing:
        rep.add(
            f"no {', '.join(missing)} column: " + "; ".join(missing.values()),
            severity="warning",
            hint="; ".join(f"{c}: " + ", ".join(_aliases.accepted(kind, c)[4:8]) for c in missing),
        )
    return unused


def reading_notes(raw: RawTable, rep: _Report) -> None:
    """Warn about rows and sheets left out while finding the table."""
    for sheet, rows, why in raw.info.get("skipped", []):
        if why == "blank":
            continue
        file = f"{raw.file}, sheet {sheet!r}" if sheet else raw.file
        label = "row" if len(rows) == 1 else "rows"
        sample = raw.info.get("samples", {}).get((sheet, why))
        rep.problems.append(
            Problem(
                file,
                f"{label} {row_ranges(rows)} skipped: {why}" + (f": {sample}…" if sample else ""),
                severity="warning",
            )
        )
    for sheet, why in raw.info.get("sheets_skipped", []):
        if why == "hidden sheet":
            rep.add(
                f"hidden sheet {sheet!r} holds a table too and was not read",
                severity="warning",
                hint="name the sheet to read it (layer/sheet option), or unhide it",
            )
        elif not why.startswith("no table"):
            rep.add(
                f"sheet {sheet!r} not read: {why}",
                severity="warning",
                hint="complete its headers, or name the sheet to read (layer/sheet option)",
            )
    named = raw.info.get("carrier_from_sheet", [])
    if named:
        rep.add(
            "carrier taken from the sheet name(s) " + ", ".join(map(repr, named)),
            severity="warning",
            hint="add a carrier column (Nhà mạng) to say it in the table",
        )


def make_summary(
    raw: RawTable,
    kind: str,
    n_rows: int,
    mapping: dict[str, str],
    unused: list[tuple[str, str]],
    crs_text: str,
    duplicates: tuple[str, ...] | list[str] = (),
) -> ReadSummary:
    """Collect what reading ``raw`` found into a :class:`ReadSummary`."""
    info = raw.info
    headers = info.get("header_rows", {})
    return ReadSummary(
        file=raw.file,
        kind=kind,
        n_rows=n_rows,
        encoding=" ".join(
            x for x in (info.get("encoding", ""), info.get("delimiter", "")) if x
        ).strip(),
        sheets=tuple(info.get("sheets", ())),
        sheets_skipped=tuple(info.get("sheets_skipped", ())),
        header_rows=tuple((s or "", a, b) for s, (a, b) in headers.items()),
        used=tuple((h, c) for h, c in mapping.items()),
        unused=tuple(unused),
        ignored=tuple((s or "", h, w) for s, h, w in info.get("ignored", ()))
        + tuple(("", h, "means the same as an earlier column") for h in duplicates),
        skipped=tuple((s or "", tuple(r), w) for s, r, w in info.get("skipped", ())),
        crs=crs_text,
        rows=raw.rows,
        row_sheets=raw.sheets,
    )


#: Problems of one kind in one column listed one by one up to this count, then summed up.
LIST_LIMIT = 10
_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|[-+]?\d[\d.,]*")


def collapse(problems: list[Problem], limit: int = LIST_LIMIT) -> list[Problem]:
    """Keep the first ``limit`` problems of each kind, and sum up the others in one.

    A kind is the message with its values blanked (``not a number: …``) in one column
    of one file; the summary gives the count and the rows of the others, so that a bad
    column makes a dozen lines, not thousands.
    """
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        if p.row is not None:
            groups.setdefault(
                (p.file, p.column, p.severity, _VALUES.sub("…", p.message)), []
            ).append(p)
    out = []
    summed: set[int] = set()
    for (file, column, severity, kind), group in groups.items():
        if len(group) <= limit:
            continue
        rest = group[limit:]
        summed.update(id(p) for p in rest)
        out.append(
            Problem(
                file,
                f"{len(rest)} more problem(s) like the above: {kind} "
                f"(rows {row_ranges([p.row for p in rest if p.row is not None])})",
                None,
                column,
                rest[0].hint,
                severity,
            )
        )
    return [p for p in problems if id(p) not in summed] + out
