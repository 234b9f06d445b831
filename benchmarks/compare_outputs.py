"""Run covgap's four commands at two commits and compare every file they write.

Proves that a refactoring changed no output: ``covgap run``, ``covgap run --area``,
``covgap request`` and ``covgap plan`` on the bundled sample, each at commit A and at
commit B (a git worktree and a virtual environment of its own for each), then every file
compared byte for byte. Text and XML files are compared after dates, versions and
temporary paths are masked; binary files (GeoPackage, XLSX, PNG, PDF, COG) whose bytes
differ are compared by content (tables cell by cell, rasters pixel by pixel, images by
pixels), and any difference is printed.

Usage::

    python benchmarks/compare_outputs.py BASE_REV [NEW_REV] [--keep DIR] [--skip-area]

``NEW_REV`` defaults to the working tree. Exits 1 when any output differs.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

COMMANDS = {
    "run": ["run", "--out", "{out}"],
    "run_area": ["run", "--area", "--out", "{out}"],
    "request": ["request", "--map", "--out", "{out}"],
    "plan": ["plan", "--out", "{out}"],
}

# dates, versions and paths that legitimately differ between two runs
_MASKS = [
    (
        re.compile(rb"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?"),
        b"<date>",
    ),
    (re.compile(rb"\d{1,2}/\d{1,2}/\d{4}"), b"<date>"),
    (
        re.compile(rb"covgap[ _-]?(version)?[\"']?[:=]?\s*[\"']?\d+\.\d+\.\d+[\w.+-]*"),
        b"covgap <v>",
    ),
    (re.compile(rb"(/[\w.+-]+)+/(data|src|worktree-[ab])/"), b"<path>/"),
    (re.compile(rb"/tmp/[\w./+-]+"), b"<tmp>"),
    # folium's random element ids, and run times
    (re.compile(rb"_[0-9a-f]{32}(?![0-9a-f])"), b"_<id>"),
    (re.compile(rb'("\w+_s"\s*:\s*)[0-9.e+-]+'), rb"\1<seconds>"),
    (re.compile("ngày \\d+ tháng \\d+ năm \\d+".encode()), b"<date>"),
]


def _mask(data: bytes) -> bytes:
    for pattern, repl in _MASKS:
        data = pattern.sub(repl, data)
    return data


def _sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def _checkout(rev: str | None, where: Path) -> Path:
    """A source tree at ``rev`` (``None``: the working tree, copied)."""
    src = where / "src"
    if rev is None:
        shutil.copytree(
            REPO,
            src,
            ignore=shutil.ignore_patterns(".git", ".venv", "maps", "*.egg-info", "__pycache__"),
        )
    else:
        _sh(["git", "-C", str(REPO), "worktree", "add", "--detach", str(src), rev])
    return src


def _run_all(src: Path, out: Path, skip_area: bool) -> dict[str, float]:
    times = {}
    for name, args in COMMANDS.items():
        if skip_area and name == "run_area":
            continue
        target = out / name
        start = time.perf_counter()
        # a fixed working directory, so that relative paths in the outputs agree
        # this interpreter (it has covgap's dependencies), with the checkout's covgap first
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "from covgap.cli import main; main()",
                *[a.format(out=target) for a in args],
            ],
            cwd=out,
            env={**os.environ, "PYTHONPATH": str(src)},
            text=True,
            capture_output=True,
        )
        times[name] = time.perf_counter() - start
        (out / f"{name}.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode:
            raise SystemExit(f"{src}: covgap {name} failed:\n{proc.stderr[-3000:]}")
    return times


def _xlsx_cells(path: Path) -> list:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells = tuple(_mask(str(v).encode()) for v in row)
            if any(b"(gi\xc3\xa2y)" in c or b"(s)" in c for c in cells[:1]):
                cells = cells[:1] + (b"<seconds>",) * (len(cells) - 1)  # a run time
            out.append((ws.title, cells))
    return out


def _gpkg_tables(path: Path) -> dict:
    import pyogrio

    out = {}
    for layer, _ in pyogrio.list_layers(path):
        df = pyogrio.read_dataframe(path, layer=layer)
        if hasattr(df, "to_wkt"):
            df = df.to_wkt()
        out[layer] = df.to_csv(index=False).encode()
    return out


def _raster(path: Path):
    import numpy as np
    import rasterio

    with rasterio.open(path) as src:
        return src.profile["crs"], src.transform, np.asarray(src.read())


def _image(path: Path):
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGBA"))


def _same(a: Path, b: Path) -> str | None:
    """``None`` when ``a`` and ``b`` hold the same output, else how they differ."""
    if filecmp.cmp(a, b, shallow=False):
        return None
    suffix = a.suffix.lower()
    da, db = a.read_bytes(), b.read_bytes()
    if suffix in {".csv", ".toml", ".html", ".kml", ".json", ".txt", ".md", ".xml", ".vrt"}:
        ma, mb = _mask(da), _mask(db)
        if ma == mb:
            return None
        la, lb = ma.splitlines(), mb.splitlines()
        for i, (x, y) in enumerate(zip(la, lb, strict=False)):
            if x != y:
                return f"line {i + 1}: {x[:200]!r} != {y[:200]!r}"
        return f"{len(la)} lines != {len(lb)} lines"
    if suffix == ".xlsx":
        ca, cb = _xlsx_cells(a), _xlsx_cells(b)
        if ca == cb:
            return None
        for x, y in zip(ca, cb, strict=False):
            if x != y:
                return f"cell row differs: {x!r} != {y!r}"
        return f"{len(ca)} rows != {len(cb)} rows"
    if suffix == ".gpkg":
        ta, tb = _gpkg_tables(a), _gpkg_tables(b)
        return None if ta == tb else f"layers differ: {sorted(k for k in ta if ta[k] != tb.get(k))}"
    if suffix in {".tif", ".tiff"}:
        import numpy as np

        (ca, ta, xa), (cb, tb, xb) = _raster(a), _raster(b)
        same = (
            ca == cb
            and ta == tb
            and xa.shape == xb.shape
            and np.array_equal(xa, xb, equal_nan=True)
        )
        return None if same else "raster differs"
    if suffix == ".png":
        import numpy as np

        ia, ib = _image(a), _image(b)
        return None if ia.shape == ib.shape and np.array_equal(ia, ib) else "pixels differ"
    if suffix == ".pdf":
        # the PDF's content streams, without its creation date and ids
        strip = re.compile(rb"/(CreationDate|ModDate|ID|Producer|Creator)[^/>]*")
        return None if strip.sub(b"", da) == strip.sub(b"", db) else "PDF content differs"
    if suffix == ".docx" or zipfile.is_zipfile(io.BytesIO(da)):
        return "archive differs"
    return (
        f"bytes differ ({hashlib.sha1(da).hexdigest()[:8]} != {hashlib.sha1(db).hexdigest()[:8]})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base")
    parser.add_argument("new", nargs="?")
    parser.add_argument("--keep", type=Path, help="keep the outputs in this folder")
    parser.add_argument("--skip-area", action="store_true", help="skip the slow run --area")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="covgap-compare-"))
    outs = {}
    try:
        for tag, rev in (("a", args.base), ("b", args.new)):
            where = work / f"worktree-{tag}"
            where.mkdir()
            src = _checkout(rev, where)
            out = where / "out"
            out.mkdir()
            times = _run_all(src, out, args.skip_area)
            print(
                f"{tag}: {rev or 'working tree'}: "
                + ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
            )
            outs[tag] = out
        files_a = sorted(p.relative_to(outs["a"]) for p in outs["a"].rglob("*") if p.is_file())
        files_b = sorted(p.relative_to(outs["b"]) for p in outs["b"].rglob("*") if p.is_file())
        files_a = [f for f in files_a if f.suffix != ".log"]
        files_b = [f for f in files_b if f.suffix != ".log"]
        differ = 0
        for f in sorted(set(files_a) ^ set(files_b)):
            print(f"only in {'a' if f in files_a else 'b'}: {f}")
            differ += 1
        identical = masked = 0
        for f in sorted(set(files_a) & set(files_b)):
            a, b = outs["a"] / f, outs["b"] / f
            if filecmp.cmp(a, b, shallow=False):
                identical += 1
                continue
            why = _same(a, b)
            if why is None:
                masked += 1
            else:
                print(f"DIFFERS {f}: {why}")
                differ += 1
        print(
            f"{len(set(files_a) & set(files_b))} files in both: {identical} byte-identical, "
            f"{masked} identical apart from dates/versions/paths, {differ} different"
        )
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
        return 1 if differ else 0
    finally:
        for tag in ("a", "b"):
            src = work / f"worktree-{tag}" / "src"
            if (src / ".git").is_file():
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(src)])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
