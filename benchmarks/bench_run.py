"""Time the main job: ``covgap run`` on the bundled synthetic sample.

Target (issue 2): under 2 minutes on a 2-core machine, cold start included.
Prints the wall time of the command in a fresh process (imports, numba compilation or
cache load, reading, prediction, classification, writing), the in-process step timings
of a second, warm run, its peak memory, and the workload's size.

    python benchmarks/bench_run.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: temp)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="covgap-bench-"))

    covgap = Path(sys.executable).with_name("covgap")
    start = time.perf_counter()
    subprocess.run(
        [str(covgap), "-q", "run", "--out", str(out), "--no-progress"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    cold = time.perf_counter() - start

    from covgap import pipeline

    start = time.perf_counter()
    result = pipeline.run()
    warm = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_sites = result.sites["site_id"].nunique()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    print(
        f"workload: {len(result.villages)} villages, {len(result.points)} points, "
        f"{n_sites} sites, {len(result.sites)} sectors, DEM {result.terrain.shape}"
    )
    print(
        f"covgap run (fresh process, writes outputs): {cold:6.1f} s "
        f"(target < {TARGET_S:.0f} s: {'OK' if cold < TARGET_S else 'MISSED'})"
    )
    print(f"pipeline.run (warm, in process):          {warm:6.1f} s")
    for step, seconds in result.timings.items():
        print(f"  {step:12s} {seconds:6.1f} s")
    print(f"peak resident memory (warm run process):   {peak_mb:6.0f} MB")
    counts = result.villages["coverage_class"].value_counts()
    print("classes:", ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
