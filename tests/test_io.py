"""Tests of covgap.io: table readers for every format, coordinates, DEM reading."""

from __future__ import annotations

import unicodedata
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import CRS, Geod, Transformer

from covgap.errors import DataFileError, ValidationError
from covgap.io import readers as io
from covgap.io.terrain import Terrain

GEOD = Geod(ellps="WGS84")

# DOMAIN.md worked example: WGS 84 <-> VN-2000 / TM-3 103-00 (EPSG:9205).
EXAMPLE_LON, EXAMPLE_LAT = 103.458, 22.396
EXAMPLE_E, EXAMPLE_N = 546960.8, 2477579.5

VILLAGES = pd.DataFrame(
    {
        "village_id": ["LC001", "LC002", "LC003"],
        "name": ["Bản Nà Khum", "Pa Vây Sử", "Thôn Đông Pao"],
        "commune": ["Mường Tè", "Sì Lở Lầu", "Bản Hon"],
        "commune_code": ["03574", "03580", "03600"],
        "district": ["Mường Tè", "Phong Thổ", "Tam Đường"],
        "district_code": ["107", "106", "105"],
        "lon": [102.71234, 103.21, 103.458],
        "lat": [22.37891, 22.66, 22.396],
        "elevation_m": [812.0, 1650.5, 1024.0],
        "households": [45, 120, 0],
        "population": [210, 560, 12],
        "grid_power": ["yes", "no", "yes"],
        "especially_difficult": ["no", "yes", "yes"],
        "cluster_1_lon": [102.715, None, 103.46],
        "cluster_1_lat": [22.381, None, 22.398],
        "cluster_2_lon": [None, None, 103.455],
        "cluster_2_lat": [None, None, 22.39],
    }
)

VI_HEADERS = {
    "village_id": "Mã thôn",
    "name": "Tên thôn/bản",
    "commune": "Xã",
    "commune_code": "Mã xã",
    "district": "Huyện",
    "district_code": "Mã huyện",
    "lon": "Kinh độ",
    "lat": "Vĩ độ",
    "elevation_m": "Độ cao (m)",
    "households": "Số hộ",
    "population": "Nhân khẩu",
    "grid_power": "Điện lưới",
    "especially_difficult": "Đặc biệt khó khăn",
    "cluster_1_lon": "Kinh độ cụm 1",
    "cluster_1_lat": "Vĩ độ cụm 1",
    "cluster_2_lon": "Kinh độ cụm 2",
    "cluster_2_lat": "Vĩ độ cụm 2",
}
#: Shapefile fields are at most 10 characters long.
SHP_HEADERS = {
    "commune_code": "commune_co",
    "district_code": "district_c",
    "elevation_m": "elevation_",
    "especially_difficult": "especially",
    "cluster_1_lon": "c1_lon",
    "cluster_1_lat": "c1_lat",
    "cluster_2_lon": "c2_lon",
    "cluster_2_lat": "c2_lat",
}


def cp1258_form(text: str) -> str:
    """Return text the way Windows-1258 stores it: base letters + combining tone marks."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out)


def villages_gdf(frame: pd.DataFrame = VILLAGES) -> gpd.GeoDataFrame:
    geometry = gpd.points_from_xy(frame["lon"], frame["lat"])
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=geometry, crs=4326)


@pytest.fixture
def village_csv(tmp_path):
    path = tmp_path / "villages.csv"
    VILLAGES.to_csv(path, index=False, encoding="utf-8")
    return path


@pytest.fixture
def expected(village_csv):
    return io.read_villages(village_csv)


def assert_same(left: gpd.GeoDataFrame, right: gpd.GeoDataFrame) -> None:
    pd.testing.assert_frame_equal(
        pd.DataFrame(left.drop(columns="geometry")), pd.DataFrame(right.drop(columns="geometry"))
    )
    np.testing.assert_allclose(left.geometry.x, right.geometry.x, atol=1e-9)
    np.testing.assert_allclose(left.geometry.y, right.geometry.y, atol=1e-9)
    assert right.crs.to_epsg() == 4326


# ----------------------------------------------------------------------------- villages
def test_csv_utf8_canonical_frame(expected):
    assert list(expected.columns[:12]) == [
        "village_id", "name", "commune", "district", "households", "population",
        "grid_power", "especially_difficult",
        "cluster_1_lon", "cluster_1_lat", "cluster_2_lon", "cluster_2_lat",
    ]  # fmt: skip
    assert {"commune_code", "district_code", "elevation_m"} <= set(expected.columns)
    assert "lon" not in expected.columns
    assert expected.crs.to_epsg() == 4326
    assert expected["households"].dtype == "float64"
    assert expected["grid_power"].dtype == "boolean"
    assert expected["grid_power"].tolist() == [True, False, True]
    assert expected["name"].iloc[2] == "Thôn Đông Pao"
    assert expected["commune_code"].iloc[0] == "03574"  # leading zero kept
    assert np.isnan(expected["cluster_1_lon"].iloc[1])
    assert expected.geometry.x.iloc[0] == pytest.approx(102.71234)


def test_csv_bom_and_cp1258(tmp_path, expected):
    bom = tmp_path / "bom.csv"
    VILLAGES.to_csv(bom, index=False, encoding="utf-8-sig")
    assert_same(expected, io.read_villages(bom))

    cp = tmp_path / "cp1258.csv"
    text = VILLAGES.rename(columns=VI_HEADERS).to_csv(index=False)
    cp.write_bytes(cp1258_form(text).encode("cp1258"))
    assert unicodedata.normalize("NFD", "ồ") != "ồ"  # the file really is decomposed
    got = io.read_villages(cp)
    assert_same(expected, got)
    assert unicodedata.is_normalized("NFC", got["name"].iloc[2])


def test_semicolon_tab_and_decimal_comma(tmp_path, expected):
    path = tmp_path / "semicolon.csv"
    VILLAGES.to_csv(path, index=False, sep=";", decimal=",")
    assert_same(expected, io.read_villages(path))
    tab = tmp_path / "tab.txt"
    VILLAGES.to_csv(tab, index=False, sep="\t")
    assert_same(expected, io.read_villages(tab))


def test_xlsx_vietnamese_headers_picks_matching_sheet(tmp_path, expected):
    path = tmp_path / "villages.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Ghi chú": ["dữ liệu thử"]}).to_excel(writer, sheet_name="Ghi chú")
        VILLAGES.rename(columns=VI_HEADERS).to_excel(writer, sheet_name="Thôn bản", index=False)
    assert_same(expected, io.read_villages(path))


def test_headers_without_diacritics_any_case(tmp_path, expected):
    headers = {k: io._aliases.normalise(v).upper().replace("_", " ") for k, v in VI_HEADERS.items()}
    path = tmp_path / "ascii.csv"
    VILLAGES.rename(columns=headers).to_csv(path, index=False)
    assert "TEN THON BAN" in path.read_text()
    assert_same(expected, io.read_villages(path))


@pytest.mark.parametrize("driver,suffix", [("GeoJSON", ".geojson"), ("GPKG", ".gpkg")])
def test_geojson_and_gpkg(tmp_path, expected, driver, suffix):
    path = tmp_path / f"villages{suffix}"
    villages_gdf().to_file(path, driver=driver)
    assert_same(expected, io.read_villages(path))


def test_gpkg_projected_layer_is_reprojected(tmp_path, expected):
    path = tmp_path / "vn2000.gpkg"
    villages_gdf().to_crs(9205).to_file(path, layer="thon_ban")
    got = io.read_villages(path, layer="thon_ban")
    np.testing.assert_allclose(got.geometry.x, expected.geometry.x, atol=1e-7)


def test_shapefile_and_zipped_shapefile(tmp_path, expected):
    shp = tmp_path / "villages.shp"
    villages_gdf().rename(columns=SHP_HEADERS).to_file(shp)
    assert_same(expected, io.read_villages(shp))
    archive = tmp_path / "villages_shp.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("villages.*"):
            if part.suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                zf.write(part, part.name)
    assert_same(expected, io.read_villages(archive))


def test_kml(tmp_path, expected):
    path = tmp_path / "villages.kml"
    villages_gdf().to_file(path, driver="KML")
    assert_same(expected, io.read_villages(path))


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_layer_without_crs(tmp_path, expected):
    degrees = tmp_path / "nocrs.geojson"
    villages_gdf().set_crs(None, allow_override=True).to_file(degrees)
    assert_same(expected, io.read_villages(degrees))
    shp = tmp_path / "metres.shp"
    metres = villages_gdf().to_crs(9205).rename(columns=SHP_HEADERS)
    metres.set_crs(None, allow_override=True).to_file(shp)
    assert not shp.with_suffix(".prj").exists()
    with pytest.raises(ValidationError, match="no CRS"):
        io.read_villages(shp)
    got = io.read_villages(shp, crs="EPSG:9205")
    np.testing.assert_allclose(got.geometry.x, expected.geometry.x, atol=1e-7)


def test_lonlat_columns_ignore_projected_crs(village_csv, expected):
    # ``crs`` names the CRS of x/y columns; lon/lat in degrees stay WGS 84.
    assert_same(expected, io.read_villages(village_csv, crs="EPSG:9205"))


# -------------------------------------------------------------------- VN-2000 positions
def _one_village(tmp_path, header_x: str, header_y: str, x: float, y: float):
    path = tmp_path / "vn2000.csv"
    pd.DataFrame(
        {"Mã thôn": ["A1"], "Tên thôn/bản": ["Bản Hon"], header_x: [x], header_y: [y]}
    ).to_csv(path, index=False)
    return path


def _distance_m(lon1, lat1, lon2, lat2) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_worked_example_transformer():
    fwd = Transformer.from_crs("EPSG:4326", "EPSG:9205", always_xy=True)
    e, n = fwd.transform(EXAMPLE_LON, EXAMPLE_LAT)
    assert abs(e - EXAMPLE_E) < 1 and abs(n - EXAMPLE_N) < 1


@pytest.mark.parametrize("hx,hy", [("Easting", "Northing"), ("x", "y")])
def test_vn2000_easting_northing(tmp_path, hx, hy, caplog):
    path = _one_village(tmp_path, hx, hy, EXAMPLE_E, EXAMPLE_N)
    got = io.read_villages(path, crs="EPSG:9205")
    lon, lat = got.geometry.x.iloc[0], got.geometry.y.iloc[0]
    assert _distance_m(lon, lat, EXAMPLE_LON, EXAMPLE_LAT) < 1.0
    # The naive reading (same TM-3 grid, no datum shift) lands about 223 m away.
    naive = CRS.from_proj4("+proj=tmerc +lon_0=103 +k=0.9999 +x_0=500000 +ellps=WGS84")
    nlon, nlat = Transformer.from_crs(naive, 4326, always_xy=True).transform(EXAMPLE_E, EXAMPLE_N)
    assert 180 < _distance_m(lon, lat, nlon, nlat) < 260
    assert "survey convention" not in caplog.text


def test_vn2000_x_is_northing_is_swapped_with_warning(tmp_path, caplog):
    path = _one_village(tmp_path, "Tọa độ X", "Tọa độ Y", EXAMPLE_N, EXAMPLE_E)
    with caplog.at_level("WARNING", logger="covgap.io"):
        got = io.read_villages(path, crs="EPSG:9205")
    assert _distance_m(got.geometry.x[0], got.geometry.y[0], EXAMPLE_LON, EXAMPLE_LAT) < 1.0
    assert "northings" in caplog.text and "Tọa độ X" in caplog.text


def test_metres_without_crs_suggests_vn2000(tmp_path):
    path = _one_village(tmp_path, "X", "Y", EXAMPLE_N, EXAMPLE_E)
    with pytest.raises(ValidationError) as info:
        io.read_villages(path)
    (problem,) = [p for p in info.value.problems if p.severity == "error"]
    assert "metres" in problem.message and "EPSG:9205" in problem.hint


# -------------------------------------------------------------------------------- sites
SITES = pd.DataFrame(
    {
        "Mã trạm": ["LCU001", "LCU001", "LCU002", "LCU003"],
        "Mã cell": ["1", "2", "1", "A"],
        "Nhà mạng": ["Viettel Telecom", "viettel", "VNPT-VinaPhone", "Mobifone"],
        "Kinh độ": [103.458, 103.458, 103.2, 102.9],
        "Vĩ độ": [22.396, 22.396, 22.5, 22.1],
        "Độ cao anten (m)": [35, 35, 42.5, 30],
        "Công nghệ": ["LTE", "4G", "WCDMA", "GSM"],
        "Băng tần": ["1800 MHz", "B3", "2100", "900"],
        "Góc phương vị": [0, 120, None, 240],
        "Góc tilt": [4, None, None, 2],
        "Truyền dẫn quang": ["có", "có", "không", ""],
    }
)


def test_sites_aliases_and_defaults(tmp_path):
    path = tmp_path / "sites.csv"
    SITES.to_csv(path, index=False)
    got = io.read_sites(path)
    assert got["carrier"].tolist() == ["Viettel", "Viettel", "VNPT", "MobiFone"]
    assert got["technology"].tolist() == ["4G", "4G", "3G", "2G"]
    assert got["freq_mhz"].tolist() == [1800, 1800, 2100, 900]
    assert got["freq_mhz"].dtype == "int64"
    assert got["power_dbm"].tolist() == [46, 46, 43, 43]
    assert got["tilt_deg"].tolist() == [4, 3, 3, 2]
    assert got["beamwidth_deg"].tolist() == [65, 65, 360, 65]
    assert got["gain_dbi"].tolist() == [18, 18, 11, 18]
    assert np.isnan(got["azimuth_deg"].iloc[2])
    assert got["fibre_backhaul"].tolist()[:3] == [True, True, False]
    assert got["fibre_backhaul"].isna().iloc[3]
    assert got["sector_id"].tolist() == ["1", "2", "1", "A"]
    assert got.crs.to_epsg() == 4326


def test_sites_without_sector_column_are_numbered(tmp_path):
    path = tmp_path / "sites.csv"
    SITES.drop(columns="Mã cell").to_csv(path, index=False)
    assert io.read_sites(path)["sector_id"].tolist() == ["1", "2", "1", "1"]


# ---------------------------------------------------------------------------------- DEM
def write_hgt(path, value: int = 500, voids=()):
    heights = np.full((1201, 1201), value, dtype=">i2")
    heights += (np.arange(1201) % 7).astype(">i2")[None, :]
    for r, c in voids:
        heights[r, c] = -32768
    heights.tofile(path)
    return path


def test_geotiff_utm_keeps_native_crs(tmp_path):
    path = tmp_path / "utm.tif"
    data = np.arange(100, dtype="int16").reshape(10, 10) * 10
    data[0, 0] = -32768
    transform = Affine(30, 0, 545000, 0, -30, 2478000)
    profile = dict(driver="GTiff", width=10, height=10, count=1, dtype="int16",
                   crs="EPSG:32648", transform=transform, nodata=-32768)  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    terrain = io.read_dem(path)
    assert isinstance(terrain, Terrain)
    assert terrain.crs.to_epsg() == 32648
    assert terrain.heights.dtype == np.float32
    assert terrain.transform == transform
    assert 10 <= terrain.heights[0, 0] <= 110  # small void filled from its neighbours
    assert terrain.meta["filled_cells"] == 1
    assert (terrain.heights > -1000).all()


def test_hgt_tile_and_zip(tmp_path, caplog):
    hgt = write_hgt(tmp_path / "N22E103.hgt", voids=[(600, 600)])
    with caplog.at_level("INFO", logger="covgap.io"):
        terrain = io.read_dem(hgt)
    assert terrain.shape == (1201, 1201)
    assert terrain.crs.to_epsg() == 4326
    assert terrain.bounds[0] == pytest.approx(103 - 0.5 / 1200)
    assert np.isfinite(terrain.heights).all()
    assert 500 <= terrain.heights[600, 600] <= 506
    assert terrain.meta["filled_cells"] == 1
    assert "filled 1 void" in caplog.text

    archive = tmp_path / "N22E103.hgt.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(hgt, hgt.name)
    zipped = io.read_dem(archive)
    np.testing.assert_array_equal(zipped.heights, terrain.heights)


def test_two_tiles_mosaic_and_large_void(tmp_path):
    big = [(r, c) for r in range(100, 130) for c in range(100, 130)]
    west = write_hgt(tmp_path / "N22E103.hgt", 500, voids=big)
    east = write_hgt(tmp_path / "N22E104.hgt", 900)
    terrain = io.read_dem([west, east])
    assert terrain.shape == (1201, 2401)
    assert terrain.bounds[2] == pytest.approx(105 + 0.5 / 1200)
    assert np.isnan(terrain.heights[100:130, 100:130]).all()  # large hole stays NaN
    assert terrain.meta["void_cells"] == 900
    assert terrain.meta["filled_cells"] == 0
    finite = terrain.heights[np.isfinite(terrain.heights)]
    assert finite.min() >= 500 and finite.max() <= 906
    assert terrain.heights[500, 2000] >= 900


def test_mosaic_reprojects_to_first_crs(tmp_path):
    hgt = write_hgt(tmp_path / "N22E103.hgt", 500)
    utm = tmp_path / "utm.tif"
    profile = dict(driver="GTiff", width=50, height=50, count=1, dtype="float32", nodata=-9999,
                   crs="EPSG:32648", transform=Affine(90, 0, 560000, 0, -90, 2480000))  # fmt: skip
    with rasterio.open(utm, "w", **profile) as dst:
        dst.write(np.full((1, 50, 50), 800, "float32"))
    terrain = io.read_dem([hgt, utm])
    assert terrain.crs.to_epsg() == 4326
    assert terrain.bounds[2] > 104.4  # the UTM tile extends the mosaic eastwards
    assert set(np.unique(terrain.heights[np.isfinite(terrain.heights)]).round()) <= set(
        range(500, 507)
    ) | {800}
    assert (terrain.heights == 800).sum() > 1000


def test_dem_missing_or_unreadable(tmp_path):
    with pytest.raises(DataFileError, match=r"nothere\.tif"):
        io.read_dem(tmp_path / "nothere.tif")
    bad = tmp_path / "broken.tif"
    bad.write_bytes(b"not a tiff")
    with pytest.raises(DataFileError, match=r"broken\.tif"):
        io.read_dem([bad])


# -------------------------------------------------------------------------------- admin
def test_read_admin(tmp_path):
    from shapely.geometry import box

    path = tmp_path / "admin.gpkg"
    districts = gpd.GeoDataFrame(
        {"district_code": ["105"], "district": ["Tam Đường"]},
        geometry=[box(103.3, 22.2, 103.6, 22.5)],
        crs=4326,
    ).to_crs(9205)
    districts.to_file(path, layer="districts")
    districts.iloc[:0].to_file(path, layer="communes")
    got = io.read_admin(path, "districts")
    assert got.crs.to_epsg() == 4326
    assert got.total_bounds[0] == pytest.approx(103.3, abs=1e-6)
    with pytest.raises(DataFileError, match="provinces"):
        io.read_admin(path, "provinces")
