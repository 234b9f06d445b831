"""Time reading and validating 100,000 villages, from CSV and from XLSX.

Target (issue 11): a 100,000-village file validated and read in under 30 s. The file is
made from the bundled sample's villages (repeated, with fresh ids and positions shifted a
little so they stay in Lai Châu), once as a CSV with Vietnamese headers and thousands
separators in the population column, and once as a report-style XLSX (title rows, STT, a
total row). Prints the time of :func:`covgap.io.validate_file` and of
:func:`covgap.io.read_villages` for each (wall and CPU time), and their sum against the target.

    python benchmarks/bench_read.py [--rows 100000] [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 30.0


def make_villages(n: int) -> pd.DataFrame:
    """``n`` villages built from the sample's rows (Vietnamese headers)."""
    sample = pd.read_csv(ROOT / "data/villages/villages.csv")
    reps = -(-n // len(sample))
    frame = pd.concat([sample] * reps, ignore_index=True).iloc[:n].copy()
    k = np.arange(n)
    frame["village_id"] = [f"V{i:07d}" for i in k]
    frame["lon"] = (frame["lon"] + (k // len(sample)) % 7 * 1e-4).round(6)
    frame["lat"] = (frame["lat"] + (k // len(sample)) % 5 * 1e-4).round(6)
    frame["population"] = frame["population"] * 3
    frame = frame[["village_id", "name", "commune", "district", "lon", "lat", "elevation_m",
                   "households", "population", "grid_power", "especially_difficult"]]  # fmt: skip
    return frame.rename(
        columns={
            "village_id": "Mã thôn",
            "name": "Tên thôn/bản",
            "commune": "Xã",
            "district": "Huyện",
            "lon": "Kinh độ (°)",
            "lat": "Vĩ độ (°)",
            "elevation_m": "Độ cao (m)",
            "households": "Số hộ gia đình",
            "population": "Số nhân khẩu (người)",
            "grid_power": "Điện lưới (Có/Không)",
            "especially_difficult": "Thôn ĐBKK",
        }
    )


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    out["Số nhân khẩu (người)"] = [f"{int(v):,}".replace(",", ".") for v in out.iloc[:, 8]]
    out.to_csv(path, index=False)


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    ws.append(["UBND TỈNH LAI CHÂU"])
    ws.append(["DANH SÁCH THÔN BẢN"])
    ws.append([])
    ws.append(["STT", *frame.columns])
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        ws.append([i, *(v.item() if hasattr(v, "item") else v for v in row)])
    ws.append([None, None, "Tổng cộng", None, None, None, None, None,
               int(frame.iloc[:, 7].sum()), int(frame.iloc[:, 8].sum())])  # fmt: skip
    wb.save(path)


def timed(label: str, func, *args, **kwargs):
    """Run ``func``; print its wall and CPU time (the CPU time is steadier on a shared machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = func(*args, **kwargs)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"  {label:<28} {seconds:6.2f} s  (CPU {cpu:5.2f} s)")
    return value, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=None, help="folder for the files (temp)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="covgap-bench-read-"))
    out.mkdir(parents=True, exist_ok=True)

    from covgap.io import read_villages, validate_file

    frame = make_villages(args.rows)
    files = {"CSV": out / "villages.csv", "XLSX": out / "villages.xlsx"}
    write_csv(frame, files["CSV"])
    write_xlsx(frame, files["XLSX"])
    print(f"{args.rows:,} villages (files in {out})")
    for fmt, path in files.items():
        print(f"{fmt} ({path.stat().st_size / 1e6:.1f} MB)")
        (_, problems), t_validate = timed("validate_file", validate_file, path, kind="villages")
        gdf, t_read = timed("read_villages", read_villages, path)
        errors = [p for p in problems if p.severity == "error"]
        assert not errors and len(gdf) == args.rows, (errors[:3], len(gdf))
        assert gdf["population"].iloc[0] == frame.iloc[0, 8]
        total = t_validate + t_read
        verdict = "OK" if total < TARGET_S else "SLOWER than"
        label = "validated and read"
        print(f"  {label:<28} {total:6.2f} s  ({verdict} the {TARGET_S:.0f} s target)")


if __name__ == "__main__":
    main()
