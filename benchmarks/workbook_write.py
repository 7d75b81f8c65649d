"""Peak memory and speed of `subsidy batch … -o results.xlsx` (the workbook for people) at 100,000 rows, beside
the same run writing CSV, from the same file in the same run.

The applicant file is generated in a child process (benchmarks/applicants.py: every profile field a column), then
each command runs in a child of its own, alternately (`--runs` times each), and its wall and CPU seconds and peak
resident memory are read from the kernel (children.py). The workbook is written by xlsxwriter in its
constant-memory mode (engine/batch/workbook.py); the CSV run is the baseline: the difference of the peaks is what
the workbook costs beyond reading and deciding.

    .venv/bin/python benchmarks/workbook_write.py
    .venv/bin/python benchmarks/workbook_write.py --rows 20000 --runs 1     # the smoke run
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from children import Run, timed  # (beside this script)

GENERATE = """
import sys
sys.path.insert(0, sys.argv[3])
import applicants
applicants.applicants(int(sys.argv[2]), seed=7).write_csv(sys.argv[1])
"""
GOAL_MB = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    subsidy = str(Path(sys.executable).parent / "subsidy")
    with tempfile.TemporaryDirectory(prefix="workbook-bench-") as folder:
        source = Path(folder) / "applicants.csv"
        subprocess.run([sys.executable, "-c", GENERATE, str(source), str(args.rows), str(Path(__file__).parent)],
                       check=True)
        runs: dict[str, list[Run]] = {"xlsx": [], "csv": []}
        for _ in range(args.runs):
            for suffix in runs:
                out = Path(folder) / f"results.{suffix}"
                runs[suffix].append(timed([subsidy, "batch", str(source), "-o", str(out), "-q"], folder))
        size = (Path(folder) / "results.xlsx").stat().st_size
        print(f"{args.rows:,} applicants; results.xlsx {size / 1e6:.1f} MB")
        print(f"{'output':<8} {'wall s':>8} {'CPU s':>8} {'rows/CPU s':>12} {'peak MB':>9}")
        peaks = {}
        for suffix, done in runs.items():
            wall = statistics.median(r.seconds for r in done)
            cpu = statistics.median(r.cpu for r in done)
            peaks[suffix] = max(r.peak_mb for r in done)
            print(f"{suffix:<8} {wall:>8.2f} {cpu:>8.2f} {args.rows / cpu:>12,.0f} {peaks[suffix]:>9.0f}")
        print(f"workbook peak {peaks['xlsx']:.0f} MB (goal: under {GOAL_MB} MB); "
              f"{peaks['xlsx'] / peaks['csv']:.2f}× the CSV run's peak")


if __name__ == "__main__":
    main()
