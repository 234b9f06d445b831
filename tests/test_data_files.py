"""The bundled sample and the real open data in ../shared/data read through covgap's readers."""

import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from covgap import pipeline
from covgap.cli import main
from covgap.errors import ValidationError
from covgap.io import readers as io
from covgap.sample.generate import sample_scenario

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COVGAP_SHARED_DATA", REPO.parent / "shared" / "data"))
WOF = SHARED / "whosonfirst_vn"
needs_shared = pytest.mark.skipif(
    not (WOF / "villages_geonames_via_wof_laichau.geojson").is_file(),
    reason=f"real open data not found in {SHARED} (set COVGAP_SHARED_DATA)",
)


@pytest.fixture(scope="module")
def sample():
    scenario = sample_scenario()
    if not Path(scenario.villages).is_file():
        pytest.skip(f"bundled sample not found at {scenario.villages}")
    return scenario


def test_sample_excel_with_vietnamese_headers_equals_csv(sample):
    csv = io.read_villages(sample.villages)
    xlsx = io.read_villages(Path(sample.villages).with_suffix(".xlsx"))
    assert len(csv) == len(xlsx) > 1000
    for col in (
        "village_id",
        "name",
        "commune",
        "district",
        "households",
        "population",
        "grid_power",
        "especially_difficult",
        "cluster_1_lon",
        "cluster_2_lat",
    ):
        assert csv[col].equals(xlsx[col]), col
    assert np.allclose(csv.geometry.x, xlsx.geometry.x) and np.allclose(
        csv.geometry.y, xlsx.geometry.y
    )


def test_validate_recognises_every_sample_file(sample):
    files = [sample.villages, Path(sample.villages).with_suffix(".xlsx"), sample.sites, *sample.dem]
    result = CliRunner().invoke(main, ["validate", *map(str, files), "--dem", str(sample.dem[0])])
    assert result.exit_code == 0, result.output
    assert result.output.count("[villages]: OK") == 2
    assert "[sites]: OK" in result.output and "[dem]: OK" in result.output


@needs_shared
def test_real_geonames_villages_read_and_validate():
    villages = io.read_villages(WOF / "villages_geonames_via_wof_laichau.geojson")
    assert len(villages) == 1073
    assert villages["village_id"].is_unique
    assert villages.crs.to_epsg() == 4326
    x, y = villages.geometry.x, villages.geometry.y
    assert x.between(102.3, 104.0).all() and y.between(21.6, 22.9).all()
    # Vietnamese names keep their diacritics, composed (NFC)
    assert villages["name"].str.contains("Bản").sum() > 100


@needs_shared
def test_real_csv_extract_reports_rows_without_id():
    """Six GeoNames rows of the bbox extract (outside the province) have no geonameid:
    all six are reported at once, each with its spreadsheet row and column."""
    with pytest.raises(ValidationError) as info:
        io.read_villages(WOF / "villages_geonames_via_wof_laichau_bbox.csv")
    problems = [p for p in info.value.problems if p.severity == "error"]
    assert len(problems) == 6
    assert {p.column for p in problems} == {"geonameid"}
    assert all("empty village_id" in p.message and p.row > 1 for p in problems)


@needs_shared
def test_real_villages_classified_over_the_sample_network(sample, tmp_path):
    """Real village points (GeoNames) run through the whole pipeline on the synthetic
    terrain and sites: every one of them gets a class and a reason when not covered."""
    scenario = sample.with_inputs(villages=WOF / "villages_geonames_via_wof_laichau.geojson")
    result = pipeline.run(scenario)
    v = result.villages
    assert len(v) == 1073
    assert v["coverage_class"].isin(["covered", "low_signal", "white"]).all()
    gaps = v[v["coverage_class"] != "covered"]
    assert (gaps["reason"].str.len() > 0).all()
    assert v["nearest_site_km"].notna().all()


def test_sample_carries_its_own_crosswalk(sample):
    from covgap.io.reform import read_crosswalk

    table = read_crosswalk(sample.crosswalk)
    assert table["new_unit"].nunique() == 38
    assert table["old_commune_code"].is_unique and len(table) > 90
