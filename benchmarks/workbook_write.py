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
# The batch run in-process, its workbook writer wrapped: the kernel's peak resident memory is reset just before
# the write (/proc/self/clear_refs, "5") and read after it, so the figure is the peak while the workbook is
# written (the run's gathered rows included), apart from the peak of reading and deciding.
WRITER = """
import sys, time
from pathlib import Path
from guangxi_subsidy.engine.batch import workbook
from guangxi_subsidy.engine.batch.run import BatchOptions, run_batch
from guangxi_subsidy.engine.rules.pack import load_pack

def status_mb(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")

write = workbook.Workbook.write
def measured(self, summary, receipt, other=None):
    deciding = status_mb("VmHWM")
    Path("/proc/self/clear_refs").write_text("5")
    before = status_mb("VmRSS")
    started = time.process_time()
    data = write(self, summary, receipt, other)
    print(f"{deciding:.0f} {before:.0f} {status_mb('VmHWM'):.0f} {time.process_time() - started:.2f}")
    return data
workbook.Workbook.write = measured
run_batch(load_pack(), Path(sys.argv[1]), BatchOptions(Path(sys.argv[2])))
"""


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
        print(f"whole run: workbook {peaks['xlsx']:.0f} MB, {peaks['xlsx'] / peaks['csv']:.2f}× the CSV run's peak")
        done = subprocess.run([sys.executable, "-c", WRITER, str(source), str(Path(folder) / "w.xlsx")],
                              check=True, capture_output=True, text=True, cwd=folder)
        deciding, before, peak, seconds = (float(n) for n in done.stdout.split())
        print(f"reading and deciding (rows gathered): peak {deciding:.0f} MB")
        print(f"while the workbook is written: resident {before:.0f} MB before, peak {peak:.0f} MB: the writer "
              f"adds {peak - before:.0f} MB (goal: the run's workbook under {GOAL_MB} MB); {seconds:.1f} CPU s, "
              f"{args.rows / seconds:,.0f} rows per CPU second")


if __name__ == "__main__":
    main()
