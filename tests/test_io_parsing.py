"""Tests of how covgap reads headers, counts and angles as people type them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from covgap.io import aliases
from covgap.io.angles import parse_degrees
from covgap.io.locale import parse_counts
from covgap.io.positions import _degrees, _Report


# ------------------------------------------------------------------------------ headers
@pytest.mark.parametrize(
    "header,kind,canonical",
    [
        ("Số hộ gia đình", "villages", "households"),
        ("Số nhân khẩu (người)", "villages", "population"),
        ("Điện lưới (Có/Không)", "villages", "grid_power"),
        ("Thôn ĐBKK (x)", "villages", "especially_difficult"),
        ("Kinh độ (°)", "villages", "lon"),
        ("VĨ ĐỘ [độ]", "villages", "lat"),
        ("X (VN-2000)", "villages", "x"),
        ("Tọa độ Y (m)", "villages", "y"),
        ("Tọa độ X hệ VN-2000", "sites", "x"),
        ("Easting UTM 48N", "sites", "x"),
        ("Độ cao (m)", "villages", "elevation_m"),
        ("Độ cao (m)", "sites", "elevation_m"),
        ("Cao độ", "sites", "elevation_m"),
        ("Độ cao anten (m)", "sites", "height_m"),
        ("Độ cao cột", "sites", "height_m"),
        ("Chiều cao anten", "sites", "height_m"),
        ("Tilt cơ (độ)", "sites", "tilt_mech_deg"),
        ("E-tilt", "sites", "tilt_elec_deg"),
        ("Băng tần (MHz)", "sites", "freq_mhz"),
        ("Ghi chú", "villages", None),
    ],
)
def test_header_lookup(header, kind, canonical):
    assert aliases.lookup_header(header, kind) == canonical


def test_ground_elevation_is_never_antenna_height():
    mapping, _ = aliases.match_columns(["Độ cao (m)", "Độ cao anten (m)"], "sites")
    assert mapping == {"Độ cao (m)": "elevation_m", "Độ cao anten (m)": "height_m"}


@pytest.mark.parametrize(
    "header,expected",
    [
        ("X (VN-2000)", "EPSG:9205"),
        ("y_vn2000", "EPSG:9205"),
        ("Northing (UTM 48N)", "EPSG:32648"),
        ("UTM zone 48N easting", "EPSG:32648"),
        ("Tọa độ X (m)", None),
        ("Kinh độ", None),
    ],
)
def test_header_crs(header, expected):
    found = aliases.header_crs(header)
    assert (found[0] if found else None) == expected


def test_suggest_closest_canonical():
    assert aliases.suggest("Số hộ gđ", "villages") == ("households", "Số hộ")
    assert aliases.suggest("Vi đo", "villages") == ("lat", "Vĩ độ")
    assert aliases.suggest("Ghi chú", "villages") is None
    # a canonical already in the table is not suggested again
    assert aliases.suggest("Số hộ gđ", "villages", taken=["households"]) != ("households", "Số hộ")


@pytest.mark.parametrize("header", ["STT", "TT", "Số TT", "No.", "#", "Số thứ tự"])
def test_ordinal_headers(header):
    assert aliases.is_ordinal(header)


# ------------------------------------------------------------------------------- counts
@pytest.mark.parametrize(
    "cells,expected",
    [
        (["1.250", "87", "2.040"], [1250, 87, 2040]),
        (["1,250", "87", "12,345,678"], [1250, 87, 12345678]),
        (["1 250", "1\u00a0020", "5"], [1250, 1020, 5]),
        (["144.0", "23", "7,00"], [144, 23, 7]),  # whole numbers written as floats
        ([1250, 3.0, None, "", float("nan")], [1250, 3, np.nan, np.nan, np.nan]),
        (["1.000", "2"], [1000, 2]),
        ([1249.9999999, 3.0000001], [1250, 3]),  # a formula's rounding error
    ],
)
def test_parse_counts(cells, expected):
    values, refused = parse_counts(cells)
    assert refused == {}
    np.testing.assert_array_equal(values, np.array(expected, dtype=float))


def test_parse_counts_refuses_fractions_and_ambiguity():
    values, refused = parse_counts(["1.250", "1,5", "12.75", "mười", 3.5, "20"])
    assert set(refused) == {1, 2, 3, 4}
    assert "ambiguous" in refused[1] and "ambiguous" in refused[2]
    assert "not a number" in refused[3] and "whole" in refused[4]
    assert values[0] == 1250 and values[5] == 20 and np.isnan(values[1:5]).all()
    _, alone = parse_counts(["1,5", "20"])  # no thousands elsewhere: still not a count
    assert "not a whole number" in alone[0]


# ------------------------------------------------------------------------------- angles
@pytest.mark.parametrize(
    "text,expected",
    [
        ("22.396", 22.396),
        ("22,396", 22.396),
        ("22°23'45.6\"", 22.396),
        ("22°23′45.6″N", 22.396),
        ("N 22 23 45.6", 22.396),
        ("22d23m45.6s", 22.396),
        ("22:23:45.6", 22.396),
        ("22°23'45,6\" B", 22.396),
        ("103 11 11.6", 103.186556),
        ("E 103°11.1933'", 103.186555),
        ("103° 11′ 11.6″ Đ", 103.186556),
        ("S 22°30'", -22.5),
        ("-22°30'", -22.5),
    ],
)
def test_parse_degrees(text, expected):
    assert parse_degrees(text) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("text", ["abc", "22 75 10", "22.5 30", "103.5.1", "22°30'N 5"])
def test_parse_degrees_refuses(text):
    assert parse_degrees(text) is None


@given(
    st.integers(102, 109),
    st.integers(0, 59),
    st.integers(0, 5999),
    st.sampled_from(["{d}°{m}'{s}\"", "{d} {m} {s}", "{d}°{m}′{s}″E", "{d}d{m}m{s}s"]),
)
def test_dms_round_trip(d, m, hundredths, pattern):
    s = f"{hundredths / 100:.2f}"
    expected = d + m / 60 + hundredths / 100 / 3600
    assert parse_degrees(pattern.format(d=d, m=m, s=s)) == pytest.approx(expected, abs=1e-9)


def test_degree_column_keeps_metres_for_the_metres_check():
    rep = _Report("f.csv")
    got = _degrees(pd.Series(["103 11 11.6", "546 960.8", "22,5", "?"]), "Kinh độ", rep)
    assert got.iloc[0] == pytest.approx(103.186556, abs=1e-6)
    assert got.iloc[1] == 546960.8  # thousands-grouped metres are not taken for DMS
    assert got.iloc[2] == 22.5
    (problem,) = rep.problems
    assert (problem.row, problem.column) == (5, "Kinh độ") and "not a position" in problem.message


@pytest.mark.parametrize(
    "header,kind,canonical",
    [
        ("Number of households", "villages", "households"),
        ("Số hộ dân cư (hộ)", "villages", "households"),
        ("Total population (people)", "villages", "population"),
        ("Tổng số nhân khẩu", "villages", "population"),
        ("Có điện lưới quốc gia (Có/Không)", "villages", "grid_power"),
        ("Electricity (Y/N)", "villages", "grid_power"),
        ("Thôn đặc biệt khó khăn (x)", "villages", "especially_difficult"),
        ("Tên thôn, bản, tổ dân phố", "villages", "name"),
        ("Village code", "villages", "village_id"),
        ("Kinh độ Đông (E)", "villages", "lon"),
        ("Vĩ độ Bắc (N)", "villages", "lat"),
        ("Elevation (m asl)", "villages", "elevation_m"),
        ("Tên nhà mạng", "sites", "carrier"),
        ("Doanh nghiệp viễn thông", "sites", "carrier"),
        ("Băng tần hoạt động (MHz)", "sites", "freq_mhz"),
        ("Công nghệ (2G/3G/4G)", "sites", "technology"),
        ("Độ cao anten so với mặt đất (m)", "sites", "height_m"),
        ("Tower height (m)", "sites", "height_m"),
        ("Hướng phát sóng (độ)", "sites", "azimuth_deg"),
        ("Azimuth (deg)", "sites", "azimuth_deg"),
        ("Mechanical tilt (deg)", "sites", "tilt_mech_deg"),
        ("Electrical tilt", "sites", "tilt_elec_deg"),
    ],
)
def test_everyday_phrasings(header, kind, canonical):
    assert aliases.lookup_header(header, kind) == canonical
