"""The 07/2025 crosswalk: reading, applying, the synthetic one and the shipped one."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from covgap.errors import InputError
from covgap.io import reform

CSV = (
    "old_commune_code,old_commune,old_district_code,old_district,new_unit_code,new_unit,new_unit_type\n"
    "03445,Xã Mường Tè,107,Huyện Mường Tè,,Xã Mường Tè,xã\n"
    "03433,Thị trấn Mường Tè,107,Huyện Mường Tè,,Xã Bum Tở,xã\n"
    "03527,Xã Pa Khoá,108,Huyện Sìn Hồ,03523,Xã Pu Sam Cáp,xã\n"
)


def test_read_crosswalk_keeps_leading_zeros(tmp_path):
    path = tmp_path / "cw.csv"
    path.write_text(CSV, encoding="utf-8-sig")
    cw = reform.read_crosswalk(path)
    assert cw["old_commune_code"].tolist() == ["03445", "03433", "03527"]
    assert cw["new_unit_code"].isna().tolist() == [True, True, False]


def test_read_crosswalk_refuses_duplicates_and_missing_columns(tmp_path):
    dup = tmp_path / "dup.csv"
    dup.write_text(CSV + "03445,Xã X,107,Huyện Mường Tè,,Xã Y,xã\n", encoding="utf-8")
    with pytest.raises(InputError, match="03445"):
        reform.read_crosswalk(dup)
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n1,a\n", encoding="utf-8")
    with pytest.raises(InputError, match="new_unit"):
        reform.read_crosswalk(bad)


def test_apply_by_code_then_by_name(tmp_path):
    path = tmp_path / "cw.csv"
    path.write_text(CSV, encoding="utf-8")
    cw = reform.read_crosswalk(path)
    villages = pd.DataFrame(
        {
            "village_id": ["a", "b", "c", "d", "e"],
            "commune": ["?", "Thị trấn Mường Tè", "xã mường tè", "Pa Khoá", "Xã Nowhere"],
            "commune_code": ["3527", None, None, None, None],
            "district": ["", "Mường Tè", "Huyện Mường Tè", "Sìn Hồ", "Sìn Hồ"],
        }
    )
    villages.loc[0, "commune_code"] = "03527"
    out = reform.apply_crosswalk(villages, cw)
    assert out["commune_2025"].tolist()[:4] == [
        "Xã Pu Sam Cáp",  # by code
        "Xã Bum Tở",  # the township, not the commune of the same name
        "Xã Mường Tè",
        "Xã Pu Sam Cáp",  # by name without prefix
    ]
    assert pd.isna(out["commune_2025"].iloc[4])
    assert out["commune_2025_code"].iloc[0] == "03523"
    assert list(out.columns[:4]) == ["village_id", "commune", "commune_2025", "commune_2025_code"]


def grid_communes() -> gpd.GeoDataFrame:
    """Two districts of 3 x 2 square communes each, 0.1 degree wide."""
    rows = []
    for d, x0 in ((101, 103.0), (102, 103.3)):
        for i in range(3):
            for j in range(2):
                code = f"{d}{i}{j}"
                rows.append(
                    {"commune_code": code, "commune": f"Xã C{code}", "commune_type": "Xã",
                     "district_code": str(d), "district": f"Huyện {d}",
                     "area_km2": float(10 + i * 2 + j),
                     "geometry": box(x0 + i * 0.1, 22 + j * 0.1,
                                     x0 + (i + 1) * 0.1, 22.1 + j * 0.1)}
                )  # fmt: skip
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def test_synthetic_crosswalk_merges_neighbours():
    communes = grid_communes()
    cw = reform.synthetic_crosswalk(communes, n_units=4)
    assert cw["new_unit"].nunique() == 4
    assert len(cw) == 12 and cw["old_commune_code"].is_unique
    for _, group in cw.groupby("new_unit"):
        # a unit never spans two districts and its members form one connected area
        assert group["old_district_code"].nunique() == 1
        union = communes[communes["commune_code"].isin(group["old_commune_code"])].union_all()
        assert union.geom_type == "Polygon"
    # named after the largest member, whose code it takes
    unit = cw[cw["new_unit_code"] == cw["new_unit_code"].iloc[0]]
    head = communes.set_index("commune_code").loc[unit["old_commune_code"], "area_km2"].idxmax()
    assert unit["new_unit_code"].iloc[0] == head
    assert reform.synthetic_crosswalk(communes, n_units=4).equals(cw)  # deterministic


def test_synthetic_crosswalk_limits():
    with pytest.raises(InputError):
        reform.synthetic_crosswalk(grid_communes(), n_units=1)
    with pytest.raises(InputError):
        reform.synthetic_crosswalk(grid_communes(), n_units=13)


def test_shipped_lai_chau_crosswalk():
    cw = reform.read_crosswalk(reform.REAL_CROSSWALK)
    assert len(cw) == 106 and cw["old_commune_code"].is_unique
    units = cw.drop_duplicates("new_unit")
    assert len(units) == 38
    assert units["new_unit_type"].value_counts().to_dict() == {"xã": 36, "phường": 2}
    unchanged = cw.groupby("new_unit").size()
    assert unchanged["Xã Mù Cả"] == 1 and unchanged["Xã Tà Tổng"] == 1
    assert cw.set_index("old_commune_code").at["03387", "new_unit"] == "Phường Tân Phong"
