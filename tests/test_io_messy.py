"""The corpus of messy files (tests/data/messy): each reads exactly as EXPECTED.toml says.

The files are made by ``tests/data/messy/make_messy.py`` from rows of the bundled sample
(``truth_villages.csv``, ``truth_sites.csv``), so positions must come back to the metre and
counts exactly; refused files must name the row and column people see.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from covgap.errors import ValidationError
from covgap.io import read_sites, read_villages
from covgap.io.validate import check_file

MESSY = Path(__file__).parent / "data" / "messy"
CASES = tomllib.loads((MESSY / "EXPECTED.toml").read_text(encoding="utf-8"))["case"]
GEOD = Geod(ellps="WGS84")
BOOLEAN = {"yes": True, "no": False}


def truth(kind: str) -> pd.DataFrame:
    if kind == "villages":
        frame = pd.read_csv(MESSY / "truth_villages.csv", dtype={"village_id": str})
        for col in ("grid_power", "especially_difficult"):
            frame[col] = frame[col].map(BOOLEAN)
        return frame
    return pd.read_csv(MESSY / "truth_sites.csv", dtype={"site_id": str, "sector_id": str})


def test_corpus_is_complete():
    files = {p.name for p in MESSY.iterdir() if p.name[:1] in "vs" and p.name[1:3].isdigit()}
    assert files == {c["file"] for c in CASES}
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_messy_file(case):
    path = MESSY / case["file"]
    reader = read_villages if case["kind"] == "villages" else read_sites
    options = {"crs": case["crs_option"]} if "crs_option" in case else {}
    assert check_file(path, **options).kind == case["kind"]  # told from the headers alone
    found = check_file(path, kind=case["kind"], **options)
    errors = [p for p in found.problems if p.severity == "error"]
    if "errors" in case:
        _assert_refused(case, errors)
        with pytest.raises(ValidationError):
            reader(path, **options)
        return
    assert errors == [], [str(p) for p in errors]
    _assert_warnings(case, [p for p in found.problems if p.severity == "warning"])
    gdf = reader(path, **options)
    _assert_same_as_truth(case, gdf)
    _assert_summary(case, gdf.attrs["covgap_read"])


def _assert_refused(case: dict, errors: list) -> None:
    assert len(errors) == len(case["errors"]), [str(p) for p in errors]
    for want, got in zip(case["errors"], errors, strict=True):
        assert want["text"] in got.message, str(got)
        assert got.row == want.get("row"), str(got)
        assert got.column == want.get("column"), str(got)
        assert want.get("hint", "") in got.hint
        assert case["file"] in got.file


def _assert_warnings(case: dict, warnings: list) -> None:
    expected = case.get("warnings", {})
    texts = [str(p) for p in warnings]
    for fragment, count in expected.items():
        assert sum(fragment in t for t in texts) == count, (fragment, texts)
    unexplained = [t for t in texts if not any(f in t for f in expected)]
    assert unexplained == []


def _assert_same_as_truth(case: dict, gdf) -> None:
    want = truth(case["kind"])
    assert len(gdf) == case["rows"] == len(want)
    columns = case.get("compare", list(want.columns))
    for col in columns:
        if col in ("lon", "lat"):
            continue
        got = gdf[col].tolist()
        expected = want[col].tolist()
        if col in ("households", "population"):
            assert gdf[col].dtype == "float64"
        assert got == expected, col
    dist = GEOD.inv(gdf.geometry.x, gdf.geometry.y, want["lon"], want["lat"])[2]
    assert np.max(dist) < 1.0, f"positions off by up to {np.max(dist):.2f} m"
    for col in case.get("blank", []):
        assert gdf[col].isna().all(), col


def _assert_summary(case: dict, summary) -> None:
    assert summary.n_rows == case["rows"]
    used = {canonical for _, canonical in summary.used}
    if "used" in case:
        assert used == set(case["used"])
    assert [f"{h}|{s.split(' ')[0] if s else ''}" for h, s in summary.unused] == case.get(
        "unused", []
    )
    if "sheets" in case:
        assert list(summary.sheets) == case["sheets"]
    assert [s for s, _ in summary.sheets_skipped] == case.get("sheets_skipped", [])
    if "header_rows" in case:
        assert [list(h[1:]) for h in summary.header_rows] == [case["header_rows"]]
    if "skipped" in case:
        got = [f"{s}|{','.join(map(str, r))}|{why}" for s, r, why in summary.skipped]
        assert got == case["skipped"]
    assert case.get("crs", "EPSG:4326") in summary.crs
    assert case.get("encoding", "") in " ".join(summary.lines())
