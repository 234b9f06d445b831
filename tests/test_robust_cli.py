"""Robustness of the commands: --out checked first, formula-safe CSV, one-line OS errors."""

from __future__ import annotations

import errno
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from covgap.cli import main
from covgap.cli._guard import check_out_dir, os_error_message
from covgap.errors import DataFileError
from covgap.io.safe_csv import FORMULA_PREFIXES, csv_safe, formula_safe, write_csv
from covgap.request.workbook import FORMULA_PREFIXES as WORKBOOK_PREFIXES


def _tiny_args(tiny: dict[str, Path], out: Path) -> list[str]:
    return ["run", "--villages", str(tiny["villages"]), "--sites", str(tiny["sites"]),
            "--dem", str(tiny["dem"]), "--out", str(out), "--no-progress"]  # fmt: skip


# --------------------------------------------------------------------------- CSV
def test_csv_safe_semantics_match_the_dossier():
    from covgap.request.export import csv_safe as dossier_safe

    assert FORMULA_PREFIXES == WORKBOOK_PREFIXES
    for value in ["=1+1", "+33", "-x", "@SUM(A1)", "\tA", "\rA", "Bản", "", 3.5, None, -2]:
        assert csv_safe(value) == dossier_safe(value)
    assert csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"


def test_formula_safe_keeps_numbers_and_clean_tables():
    clean = pd.DataFrame({"name": ["Bản A"], "rsrp_dbm": [-105.5]})
    assert formula_safe(clean) is clean
    dirty = pd.DataFrame({"=x": ['=HYPERLINK("h")', "ok", None], "rsrp_dbm": [-1.0, 2.0, 3.0]})
    safe = formula_safe(dirty)
    assert list(safe.columns) == ["'=x", "rsrp_dbm"]
    assert safe["'=x"].tolist()[:2] == ['\'=HYPERLINK("h")', "ok"]
    assert pd.isna(safe["'=x"].iloc[2])
    assert safe["rsrp_dbm"].tolist() == [-1.0, 2.0, 3.0]
    assert dirty.columns[0] == "=x"  # the input is not changed


def test_write_csv_is_formula_safe(tmp_path: Path):
    path = write_csv(pd.DataFrame({"a": ["@SUM(A1)", "-1"], "b": [-1, 2]}), tmp_path / "t.csv")
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines() == ["a,b", "'@SUM(A1),-1", "'-1,2"]
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_run_writes_formula_safe_villages_csv(tiny_scenario: dict[str, Path], tmp_path: Path):
    villages = pd.read_csv(tiny_scenario["villages"], dtype=str)
    villages.loc[0, "Tên thôn/bản"] = '=HYPERLINK("http://x","y")'
    villages.loc[1, "Tên thôn/bản"] = "@SUM(1)"
    path = tmp_path / "villages.csv"
    villages.to_csv(path, index=False)
    tiny = dict(tiny_scenario, villages=path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, _tiny_args(tiny, out))
    assert result.exit_code == 0, result.output
    lines = (out / "villages.csv").read_text(encoding="utf-8-sig").splitlines()
    assert any(',"\'=HYPERLINK(""http://x"",""y"")",' in line for line in lines)
    assert any(",'@SUM(1)," in line for line in lines)
    assert not any(",=HYPERLINK" in line or ",@SUM" in line for line in lines)
    table = pd.read_csv(out / "villages.csv", encoding="utf-8-sig")
    assert table["rsrp_dbm"].dtype.kind == "f"  # numbers stay numbers


# --------------------------------------------------------------------------- --out
@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["request"],
        ["plan"],
        ["predict", "--sites", "{sites}", "--dem", "{dem}"],
    ],
)
def test_out_that_is_a_file_is_refused_before_the_analysis(
    command, tiny_scenario, tmp_path, monkeypatch
):
    def boom(*args, **kwargs):
        raise AssertionError("the analysis started")

    monkeypatch.setattr("covgap.pipeline.run", boom)
    monkeypatch.setattr("covgap.pipeline.run_plan", boom)
    monkeypatch.setattr("covgap.radio.parallel.predict_area", boom)
    blocker = tmp_path / "taken.txt"
    blocker.write_text("mine", encoding="utf-8")
    args = [a.format(**{k: str(v) for k, v in tiny_scenario.items()}) for a in command]
    cases = [(blocker, "is a file, not a folder"),
             (blocker / "sub", "is a file, so the folder cannot be created")]  # fmt: skip
    for out, words in cases:
        result = CliRunner().invoke(main, [*args, "--out", str(out)])
        assert result.exit_code == 1, result.output
        assert words in result.output and "Traceback" not in result.output
    assert blocker.read_text(encoding="utf-8") == "mine"


def test_unwritable_out_is_refused_before_the_analysis(tmp_path, monkeypatch):
    # root ignores permission bits: simulate the folder refusing the probe file
    def denied(folder):
        raise PermissionError(errno.EACCES, "Permission denied", str(folder))

    monkeypatch.setattr("covgap.cli._guard._probe", denied)
    monkeypatch.setattr("covgap.pipeline.run", lambda *a, **k: pytest.fail("analysis ran"))
    result = CliRunner().invoke(main, ["run", "--out", str(tmp_path / "new" / "deeper")])
    assert result.exit_code == 1
    assert "cannot write in" in result.output and "Permission denied" in result.output
    assert str(tmp_path) in result.output


def test_check_out_dir_accepts_new_and_existing_folders(tmp_path: Path):
    assert check_out_dir(tmp_path) == tmp_path
    assert check_out_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()  # checking creates nothing
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(DataFileError):
        check_out_dir(Path(__file__))


def test_map_out_that_is_a_folder_is_refused(tmp_path: Path):
    results = tmp_path / "results"
    results.mkdir()
    result = CliRunner().invoke(main, ["map", "--results", str(results), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "is a folder; give the name of the file" in result.output


# --------------------------------------------------------------------------- OS errors
@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (PermissionError(errno.EACCES, "Permission denied", "a.csv"), "close it"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "x"), "is a folder"),
        (OSError(errno.ENOSPC, "No space left on device", "big.tif"), "the disk is full"),
        (OSError(errno.EROFS, "Read-only file system", "r"), "read-only"),
    ],
)
def test_os_error_messages(exc, words):
    text = os_error_message(exc)
    assert words in text and "\n" not in text and str(exc.filename) in text


def test_windows_lock_says_close_excel():
    exc = PermissionError(errno.EACCES, "The process cannot access the file", "villages.csv")
    exc.winerror = 32
    assert "close the file in Excel" in os_error_message(exc)


def test_os_error_during_writing_is_one_line(tiny_scenario, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.png"))

    monkeypatch.setattr("covgap.outputs.static_maps.save_static_map", full)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, _tiny_args(tiny_scenario, out))
    assert result.exit_code == 1
    assert "the disk is full" in result.output and "Traceback" not in result.output
    assert not list(out.glob(".covgap-tmp-*")) and not list(out.iterdir())
