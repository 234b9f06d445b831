"""The files of a run are replaced together; `covgap map` reads only what the manifest lists."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from covgap.cli import main
from covgap.errors import DataFileError
from covgap.io.manifest import MANIFEST_NAME, read_manifest, run_folder, verify_manifest


def _run(tiny: dict[str, Path], out: Path, *extra: str):
    args = ["run", "--villages", str(tiny["villages"]), "--sites", str(tiny["sites"]),
            "--dem", str(tiny["dem"]), "--out", str(out), "--no-progress", *extra]  # fmt: skip
    return CliRunner().invoke(main, args)


def _map(results: Path, out: Path):
    return CliRunner().invoke(main, ["map", "--results", str(results), "--out", str(out)])


def test_run_writes_a_manifest_of_its_files(tiny_scenario, tmp_path):
    out = tmp_path / "out"
    result = _run(tiny_scenario, out)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert doc["command"] == "covgap run" and doc["covgap_version"] and doc["time"]
    files = sorted(p.name for p in out.iterdir() if p.name != MANIFEST_NAME)
    assert sorted(doc["files"]) == files
    csv = doc["files"]["villages.csv"]
    data = (out / "villages.csv").read_bytes()
    assert csv == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert verify_manifest(out) == doc


def test_a_plain_run_removes_the_earlier_area_files_but_not_the_users(tiny_scenario, tmp_path):
    out = tmp_path / "out"
    assert _run(tiny_scenario, out, "--area").exit_code == 0
    area = {"zones.gpkg", "zones_by_commune.csv", "signal_any_4g.tif"}
    assert area <= {p.name for p in out.iterdir()}
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "signal_mine.tif").write_bytes(b"not covgap's")  # never listed: never removed
    assert _run(tiny_scenario, out).exit_code == 0
    names = {p.name for p in out.iterdir()}
    assert not names & area and not any(n.startswith(("class_", "site_")) for n in names)
    assert {"notes.txt", "signal_mine.tif", "villages.csv", MANIFEST_NAME} <= names
    assert not any(n.startswith(".") for n in names)
    # the user's stray signal file is not from the run: the map refuses to draw it
    result = _map(out, tmp_path / "m.html")
    assert result.exit_code == 1 and "signal_mine.tif not from the run" in result.output
    (out / "signal_mine.tif").unlink()
    assert _map(out, tmp_path / "m.html").exit_code == 0


def test_map_refuses_a_folder_that_does_not_match_its_manifest(tiny_scenario, tmp_path):
    out = tmp_path / "out"
    assert _run(tiny_scenario, out).exit_code == 0
    with (out / "villages.gpkg").open("ab") as fh:
        fh.write(b"\0")
    result = _map(out, tmp_path / "m.html")
    assert result.exit_code == 1
    assert "changed since the run: villages.gpkg" in result.output
    assert "covgap run" in result.output and not (tmp_path / "m.html").exists()
    (out / "summary_by_district.csv").unlink()
    assert "missing: summary_by_district.csv" in _map(out, tmp_path / "m.html").output


def test_a_failed_run_keeps_the_earlier_run_and_its_manifest(tiny_scenario, tmp_path,
                                                             monkeypatch):  # fmt: skip
    out = tmp_path / "out"
    assert _run(tiny_scenario, out, "--area").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("covgap.outputs.static_maps.save_static_map", boom)
    result = _run(tiny_scenario, out)
    assert result.exit_code == 1 and "disk is full" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    verify_manifest(out)


def test_predict_writes_its_own_manifest_and_map_checks_it(tiny_scenario, tmp_path):
    results = tmp_path / "results"
    assert _run(tiny_scenario, results).exit_code == 0
    area = results / "area"
    args = ["predict", "--sites", str(tiny_scenario["sites"]), "--dem", str(tiny_scenario["dem"]),
            "--radius-km", "20", "--workers", "1", "--out", str(area)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    doc = read_manifest(area)
    assert doc["command"] == "covgap predict" and "zones.gpkg" in doc["files"]
    page = tmp_path / "m.html"
    assert _map(results, page).exit_code == 0
    assert "covgap.popup(p, rows)" in page.read_text(encoding="utf-8")  # the zones drawn
    (area / "zones.gpkg").write_bytes(b"stale")
    result = _map(results, page)
    assert result.exit_code == 1 and "changed since the run: zones.gpkg" in result.output


def test_a_crafted_manifest_never_removes_files_outside(tmp_path, caplog):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    bad = {"files": {"../precious.txt": {"bytes": 4, "sha256": "x"}}}
    (out / MANIFEST_NAME).write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(DataFileError, match="not a covgap manifest"):
        read_manifest(out)
    with caplog.at_level(logging.WARNING), run_folder(out, command="test") as tmp:
        (tmp / "a.txt").write_text("a", encoding="utf-8")
    assert outside.read_text(encoding="utf-8") == "keep"
    assert "will not be removed" in caplog.text
    assert set(read_manifest(out)["files"]) == {"a.txt"}


def test_plan_writes_a_manifest(tiny_scenario, tmp_path):
    out = tmp_path / "plan"
    candidates = tmp_path / "candidates.csv"
    candidates.write_text("candidate_id,lon,lat\nC1,103.24,22.11\n", encoding="utf-8")
    args = ["plan", "--villages", str(tiny_scenario["villages"]), "--sites",
            str(tiny_scenario["sites"]), "--dem", str(tiny_scenario["dem"]), "--roads",
            str(tiny_scenario["roads"]), "--candidates", str(candidates), "--no-generate",
            "--sites-budget", "1", "--solver", "greedy", "--out", str(out),
            "--no-progress"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    doc = verify_manifest(out)
    assert doc["command"] == "covgap plan"
    assert sorted(doc["files"]) == sorted(p.name for p in out.iterdir() if p.name != MANIFEST_NAME)
    assert str(out / MANIFEST_NAME) in result.output


def test_an_earlier_file_edited_since_is_kept(tmp_path, caplog):
    out = tmp_path / "out"
    with run_folder(out, command="first") as tmp:
        (tmp / "zones_by_commune.csv").write_text("a\n", encoding="utf-8")
        (tmp / "zones.gpkg").write_bytes(b"zones")
        (tmp / "villages.csv").write_text("v\n", encoding="utf-8")
    (out / "zones_by_commune.csv").write_text("a\nmy notes\n", encoding="utf-8")
    with caplog.at_level(logging.INFO), run_folder(out, command="second") as tmp:
        (tmp / "villages.csv").write_text("v2\n", encoding="utf-8")
    names = sorted(p.name for p in out.iterdir())
    assert names == [MANIFEST_NAME, "villages.csv", "zones_by_commune.csv"]
    assert "removed 1 file(s) of the earlier run: zones.gpkg" in caplog.text
    assert "kept zones_by_commune.csv of the earlier run" in caplog.text
