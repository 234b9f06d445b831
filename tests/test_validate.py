"""Tests of covgap.io.validate: every problem kind, reported all at once, with row and column."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import CRS

from covgap.errors import DataFileError, InputError, Problem, ValidationError
from covgap.io import readers as io
from covgap.io.terrain import Terrain
from covgap.io.validate import check_within_terrain, detect_kind, validate_file


def village_rows(**changes) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Mã thôn": ["V1", "V2", "V3", "V4"],
            "Tên thôn/bản": ["Bản Nà Khum", "Pa Vây Sử", "Nậm Cuổi", "Sì Choang"],
            "Kinh độ": [103.1, 103.2, 103.3, 103.4],
            "Vĩ độ": [22.1, 22.2, 22.3, 22.4],
            "Số hộ": ["10", "20", "30", "40"],
            "Điện lưới": ["có", "không", "x", ""],
        }
    )
    for column, values in changes.items():
        frame[column] = values
    return frame


def site_rows(**changes) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "site_id": ["S1", "S1", "S2"],
            "sector_id": ["1", "2", "1"],
            "carrier": ["Viettel", "Viettel", "VNPT"],
            "technology": ["4G", "4G", "3G"],
            "freq_mhz": ["1800", "1800", "2100"],
            "height_m": [30, 30, 40],
            "azimuth_deg": [0, 120, 240],
            "lon": [103.4, 103.4, 103.5],
            "lat": [22.3, 22.3, 22.4],
        }
    )
    for column, values in changes.items():
        frame[column] = values
    return frame


def write(tmp_path, frame: pd.DataFrame, name: str = "table.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def errors(path, kind=None, **kwargs) -> list[Problem]:
    _, problems = validate_file(path, kind=kind, **kwargs)
    return [p for p in problems if p.severity == "error"]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


# ------------------------------------------------------------------------------ columns
def test_missing_required_column_lists_aliases(tmp_path):
    path = write(tmp_path, village_rows().drop(columns="Tên thôn/bản"))
    problem = only(errors(path, "villages"))
    assert "'name'" in problem.message and problem.row is None
    assert "Tên thôn/bản" in problem.hint
    with pytest.raises(ValidationError, match="required column 'name'"):
        io.read_villages(path)


def test_missing_site_columns_all_reported(tmp_path):
    path = write(tmp_path, site_rows().drop(columns=["carrier", "freq_mhz", "lon", "lat"]))
    messages = " | ".join(p.message for p in errors(path, "sites"))
    assert "'carrier'" in messages and "'freq_mhz'" in messages and "no position" in messages


# ------------------------------------------------------------------------------- values
def test_non_numeric_cell_has_row_and_column(tmp_path):
    path = write(tmp_path, village_rows(**{"Số hộ": ["10", "mười", "30", "40"]}))
    problem = only(errors(path))
    assert (problem.row, problem.column) == (3, "Số hộ")
    assert "mười" in problem.message


@pytest.mark.parametrize(
    "column,value",
    [
        ("height_m", 250),
        ("height_m", 0.5),
        ("azimuth_deg", 400),
        ("tilt_deg", 45),
        ("power_dbm", 80),
        ("gain_dbi", 40),
        ("beamwidth_deg", 0),
    ],
)
def test_site_value_out_of_range(tmp_path, column, value):
    frame = site_rows()
    frame[column] = [float(frame[column].iloc[0]) if column in frame else 10.0] * 3
    frame.loc[2, column] = value
    problem = only(errors(write(tmp_path, frame), "sites"))
    assert (problem.row, problem.column) == (4, column)
    assert "out of range" in problem.message


def test_negative_households(tmp_path):
    path = write(tmp_path, village_rows(**{"Số hộ": ["10", "20", "-5", "40"]}))
    problem = only(errors(path))
    assert (problem.row, problem.column) == (4, "Số hộ")


def test_unknown_carrier_technology_band_list_known_values(tmp_path):
    frame = site_rows(
        carrier=["Vietnamobile", "Viettel", "VNPT"],
        technology=["4G", "5G", "3G"],
        freq_mhz=["1800", "1800", "3500"],
    )
    found = {p.column: p for p in errors(write(tmp_path, frame), "sites")}
    assert found["carrier"].row == 2 and "MobiFone" in found["carrier"].hint
    assert found["technology"].row == 3 and "4G" in found["technology"].hint
    assert found["freq_mhz"].row == 4 and "2100" in found["freq_mhz"].hint


def test_bad_boolean(tmp_path):
    path = write(tmp_path, village_rows(**{"Điện lưới": ["có", "maybe", "", ""]}))
    problem = only(errors(path))
    assert (problem.row, problem.column) == (3, "Điện lưới")


def test_x_and_blank_booleans(tmp_path):
    path = write(tmp_path, village_rows(**{"Điện lưới": ["x", "", "X", ""]}))
    assert io.read_villages(path)["grid_power"].tolist() == [True, False, True, False]


# -------------------------------------------------------------------------- coordinates
def test_outside_vietnam(tmp_path):
    path = write(tmp_path, village_rows(**{"Kinh độ": [103.1, 100.5, 103.3, 103.4]}))
    problem = only(errors(path))
    assert (problem.row, problem.column) == (3, "Kinh độ")
    assert "outside Vietnam" in problem.message


def test_swapped_lat_lon(tmp_path):
    frame = village_rows()
    frame.loc[3, ["Kinh độ", "Vĩ độ"]] = [22.4, 103.4]
    problem = only(errors(write(tmp_path, frame)))
    assert problem.row == 5 and "swapped" in problem.message


def test_metres_in_a_degree_column(tmp_path):
    frame = village_rows()
    frame.loc[1, ["Kinh độ", "Vĩ độ"]] = [546960.8, 2477579.5]
    problem = only(errors(write(tmp_path, frame)))
    assert (problem.row, problem.column) == (3, "Kinh độ")
    assert "metres" in problem.message and "EPSG:9205" in problem.hint


def test_missing_position_cell(tmp_path):
    frame = village_rows().astype({"Vĩ độ": object})
    frame.loc[2, "Vĩ độ"] = None
    problem = only(errors(write(tmp_path, frame)))
    assert problem.row == 4 and "no position" in problem.message


def test_degrees_with_projected_crs(tmp_path):
    path = write(tmp_path, site_rows().rename(columns={"lon": "x", "lat": "y"}))
    problem = only(errors(path, "sites", crs="EPSG:9205"))
    assert "degrees" in problem.message


# --------------------------------------------------------------------------- duplicates
def test_duplicate_village_id(tmp_path):
    path = write(tmp_path, village_rows(**{"Mã thôn": ["V1", "V2", "V1", "V4"]}))
    problem = only(errors(path))
    assert (problem.row, problem.column) == (4, "Mã thôn")
    assert "row 2" in problem.message


def test_duplicate_site_sector(tmp_path):
    path = write(tmp_path, site_rows(sector_id=["1", "1", "1"]))
    problem = only(errors(path, "sites"))
    assert (problem.row, problem.column) == (3, "sector_id")


def test_inconsistent_site_rows_is_a_warning(tmp_path, caplog):
    path = write(tmp_path, site_rows(lon=[103.4, 103.41, 103.5]))
    _, problems = validate_file(path)
    problem = only(problems)
    assert problem.severity == "warning" and "S1" in problem.message
    with caplog.at_level("WARNING", logger="covgap.io"):
        io.read_sites(path)  # warnings do not stop reading
    assert "different coordinates" in caplog.text


# ------------------------------------------------------------------------ all at once
def test_every_problem_reported_at_once(tmp_path):
    frame = site_rows(
        carrier=["Viettel", "Beeline", "VNPT"],
        height_m=[30, 500, "cao"],
        sector_id=["1", "1", "1"],
        lat=[22.3, 22.3, 42.0],
    )
    path = write(tmp_path, frame)
    with pytest.raises(ValidationError) as info:
        io.read_sites(path)
    where = {(p.row, p.column) for p in info.value.problems if p.severity == "error"}
    assert where == {(3, "carrier"), (3, "height_m"), (4, "height_m"), (3, "sector_id"),
                     (4, "lat")}  # fmt: skip
    assert str(info.value).startswith("5 error(s)")
    assert "row 4, column 'lat'" in str(info.value)


# -------------------------------------------------------------------- empty/unreadable
def test_empty_and_header_only_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty" in only(validate_file(empty)[1]).message
    header = write(tmp_path, village_rows().iloc[:0], "header.csv")
    assert "no data rows" in only(errors(header, "villages")).message
    with pytest.raises(ValidationError, match="no data rows"):
        io.read_villages(header)


def test_unreadable_file(tmp_path):
    bad = tmp_path / "villages.xlsx"
    bad.write_bytes(b"this is not a workbook")
    kind, problems = validate_file(bad, kind="villages")
    assert kind == "villages" and "unreadable" in only(problems).message
    with pytest.raises(DataFileError, match=r"villages\.xlsx"):
        io.read_villages(bad)
    with pytest.raises(DataFileError, match=r"missing\.csv"):
        validate_file(tmp_path / "missing.csv")


# ---------------------------------------------------------------------------- terrain
@pytest.fixture
def terrain():
    heights = np.full((10, 10), 500.0, dtype="float32")
    heights[5, 5] = np.nan
    transform = Affine(0.1, 0, 103.0, 0, -0.1, 23.0)  # 103–104 E, 22–23 N
    return Terrain(heights, transform, CRS.from_epsg(4326))


def test_check_within_terrain(tmp_path, terrain):
    frame = village_rows(**{"Kinh độ": [103.1, 104.5, 103.55, 103.4]})
    frame["Vĩ độ"] = [22.1, 22.2, 22.45, 22.4]
    frame["Kinh độ cụm 1"] = [None, None, None, 104.2]
    frame["Vĩ độ cụm 1"] = [None, None, None, 22.4]
    path = write(tmp_path, frame)
    found = check_within_terrain(io.read_villages(path), terrain, file=str(path))
    assert [(p.row, p.column) for p in found] == [(3, None), (4, None), (5, "cluster_1_lon")]
    assert "outside the DEM" in found[0].message and "void" in found[1].message
    # validate_file runs the same check when given the terrain
    assert len(errors(path, terrain=terrain)) == 3


def test_check_within_projected_terrain(tmp_path):
    transform = Affine(100, 0, 540000, 0, -100, 2480000)
    terrain = Terrain(np.ones((100, 100), "float32"), transform, CRS.from_epsg(9205))
    frame = village_rows(**{"Kinh độ": [103.458, 103.1, 103.458, 103.458]})
    frame["Vĩ độ"] = [22.396, 22.1, 22.396, 22.396]
    frame["Mã thôn"] = ["a", "b", "c", "d"]
    gdf = io.read_villages(write(tmp_path, frame))
    assert [p.row for p in check_within_terrain(gdf, terrain, file="v")] == [3]


# ---------------------------------------------------------------------------- detect
def test_detect_kind(tmp_path):
    assert detect_kind(write(tmp_path, village_rows(), "v.csv")) == "villages"
    sites = site_rows().rename(
        columns={"site_id": "Mã trạm", "carrier": "Nhà mạng", "technology": "Công nghệ"}
    )
    assert detect_kind(write(tmp_path, sites, "s.csv")) == "sites"
    tif = tmp_path / "dem.tif"
    profile = dict(driver="GTiff", width=2, height=2, count=1, dtype="int16", crs="EPSG:4326",
                   transform=Affine(0.1, 0, 103, 0, -0.1, 23))  # fmt: skip
    with rasterio.open(tif, "w", **profile) as dst:
        dst.write(np.ones((1, 2, 2), "int16"))
    assert detect_kind(tif) == "dem"
    hgt = tmp_path / "N22E103.hgt"
    np.zeros((1201, 1201), ">i2").tofile(hgt)
    assert detect_kind(hgt) == "dem"
    archive = tmp_path / "N22E103.hgt.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(hgt, hgt.name)
    assert detect_kind(archive) == "dem"
    kind, problems = validate_file(archive)
    assert kind == "dem" and problems == []
    other = write(tmp_path, pd.DataFrame({"foo": [1], "bar": [2]}), "other.csv")
    with pytest.raises(InputError, match="villages or sites"):
        detect_kind(other)
    assert validate_file(other)[0] == "unknown"


def test_validate_dem_with_voids(tmp_path):
    hgt = tmp_path / "N22E103.hgt"
    data = np.full((1201, 1201), 700, ">i2")
    data[:100, :100] = -32768
    data.tofile(hgt)
    kind, problems = validate_file(hgt)
    assert kind == "dem"
    assert only(problems).severity == "warning" and "10000" in problems[0].message
