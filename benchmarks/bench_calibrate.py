"""Time ``covgap calibrate``'s steps on a large drive test (default 1,000,000 measurements).

The measurements are the bundled synthetic drive test (``data/measurements``) repeated
with positions jittered by up to ±50 m and fresh noise, written to a CSV as a tool would
export them. Timed: reading the CSV, predicting every measurement (``method="area"``: the
area engine's best-server rasters sampled at the measurements; the point engine for the
bundled file, for comparison), fitting the offsets with the block cross-validation.
Target (issue 14): 1,000,000 measurements in under 60 s on 2 cores.

Usage::

    python benchmarks/bench_calibrate.py [--n 1000000] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from covgap.analysis.calibration import fit_offsets, predict_measurements
from covgap.io.measurements import read_measurements
from covgap.io.readers import read_dem, read_sites
from covgap.sample import sample_scenario

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    base = pd.read_csv(REPO / "data" / "measurements" / "drive_test.csv")
    big = base.iloc[rng.integers(0, len(base), args.n)].reset_index(drop=True)
    big["Latitude"] = (big["Latitude"] + rng.uniform(-4.5e-4, 4.5e-4, args.n)).round(6)
    big["Longitude"] = (big["Longitude"] + rng.uniform(-4.8e-4, 4.8e-4, args.n)).round(6)
    big["RSRP"] = (big["RSRP"] + rng.normal(0, 1.0, args.n)).round(1).clip(-140, -40)
    scenario = sample_scenario()
    sites, terrain = read_sites(scenario.sites), read_dem(list(scenario.dem))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "drive.csv"
        big.to_csv(path, index=False)
        start = time.perf_counter()
        measurements = read_measurements(path)
        read_s = time.perf_counter() - start
    start = time.perf_counter()
    table = predict_measurements(measurements, sites, terrain, radio=scenario.radio, method="area")
    predict_s = time.perf_counter() - start
    start = time.perf_counter()
    fit = fit_offsets(table)
    fit_s = time.perf_counter() - start
    total = read_s + predict_s + fit_s
    print(f"{args.n:,} measurements: read {read_s:.1f} s, predict (area) {predict_s:.1f} s, "
          f"fit {fit_s:.1f} s; total {total:.1f} s (target < 60 s)")  # fmt: skip
    print(fit[["carrier", "technology", "freq_mhz", "n", "offset_db", "rmse_before_db",
               "rmse_after_db"]].round(2).to_string(index=False))  # fmt: skip
    small = read_measurements(REPO / "data" / "measurements" / "drive_test.csv")
    start = time.perf_counter()
    predict_measurements(small, sites, terrain, radio=scenario.radio, method="point")
    point_s = time.perf_counter() - start
    print(
        f"point engine on the bundled {len(small):,} measurements: {point_s:.1f} s "
        f"({1e3 * point_s / len(small):.2f} ms each)"
    )


if __name__ == "__main__":
    main()
