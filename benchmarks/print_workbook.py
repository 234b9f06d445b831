"""Print a workbook the way an office does (LibreOffice to PDF) and report what came out.

Usage::

    python benchmarks/print_workbook.py                         # the sample's request dossier
    python benchmarks/print_workbook.py dossier/request_dossier.xlsx plan/plan.xlsx --png 2

For each workbook: the number of A4 pages, the pages of each sheet (told apart by the
running header of each page, or the first line when a sheet has none), the smallest text
on the printed appendix (word heights from ``pdftotext -bbox``: Liberation Serif / Times
draws 8 pt text about 10.4 pt high), and, with ``--png N``, the first N pages as PNG
(``pdftoppm``) to look at. Needs ``libreoffice`` and poppler-utils; this is a benchmark,
not a test (``tests/test_present_appendix.py`` holds the checks).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

#: Height of a word's box per point of font size (Liberation Serif, as poppler reports it).
HEIGHT_PER_PT = 1.299


def to_pdf(xlsx: Path, out_dir: Path) -> tuple[Path, float]:
    """Convert with a throw-away LibreOffice profile; return the PDF and the seconds."""
    profile = Path(tempfile.mkdtemp(prefix="covgap-lo-")).as_uri()
    t0 = time.perf_counter()
    subprocess.run(
        ["libreoffice", "--headless", f"-env:UserInstallation={profile}", "--convert-to", "pdf",
         "--outdir", str(out_dir), str(xlsx)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return out_dir / (xlsx.stem + ".pdf"), time.perf_counter() - t0


def page_texts(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    return [
        subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
                       capture_output=True, text=True, check=True).stdout
        for i in range(1, pages + 1)
    ]  # fmt: skip


def smallest_text_pt(pdf: Path, last_page: int) -> float | None:
    """Smallest font size (pt) on pages 1..last_page, from the words' box heights.

    The running header and footer (the top and bottom 45 pt) are left out: they are not
    scaled with the page and use the default font.
    """
    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", str(last_page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', bbox).group(1))
    words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]+)<', bbox)
    sizes = [
        (float(b) - float(a)) / HEIGHT_PER_PT
        for a, b, w in words
        if float(a) > 45 and float(b) < height - 45 and re.search(r"[^\W\d_]", w)
    ]
    return round(min(sizes), 1) if sizes else None


def report(xlsx: Path, out_dir: Path, png: int) -> None:
    pdf, seconds = to_pdf(xlsx, out_dir)
    texts = page_texts(pdf)
    print(f"{xlsx}: {len(texts)} A4 pages ({seconds:.1f} s in LibreOffice) -> {pdf}")
    heads = Counter()
    order = []
    for text in texts:
        head = next((ln.strip() for ln in text.splitlines() if ln.strip()), "(blank)")[:70]
        if head not in heads:
            order.append(head)
        heads[head] += 1
    for head in order:
        print(f"  {heads[head]:3d} pages  {head}")
    signed = [i for i, t in enumerate(texts) if "(Ký, ghi rõ họ tên)" in t or "(Signature" in t]
    if signed:
        last = signed[0] + 1
        print(f"  appendix: pages 1-{last}, smallest text {smallest_text_pt(pdf, last)} pt")
    if png:
        subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", str(png), str(pdf),
                        str(out_dir / xlsx.stem)], check=True)  # fmt: skip
        print(f"  first {png} page(s) as PNG in {out_dir}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("workbooks", nargs="*", type=Path, help="default: the sample's dossier")
    p.add_argument("--out", type=Path, default=Path("printed"), help="folder for the PDFs")
    p.add_argument("--png", type=int, default=0, help="also save the first N pages as PNG")
    args = p.parse_args(argv)
    missing = [t for t in ("libreoffice", "pdftotext", "pdfinfo") if shutil.which(t) is None]
    if missing:
        print(f"missing: {', '.join(missing)} (apt-get install libreoffice-calc poppler-utils)")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    books = list(args.workbooks)
    if not books:
        from covgap.pipeline import run
        from covgap.request.dossier import build_dossier
        from covgap.request.workbook import write_workbook

        books = [write_workbook(build_dossier(run()), args.out / "request_dossier.xlsx")]
    for book in books:
        report(book, args.out, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
