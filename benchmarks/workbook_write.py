"""Speed and peak memory of the results workbook (`subsidy batch … -o results.xlsx`) at 100,000 rows: the writer
(rows built by polars a block at a time, streamed into the zip: engine/batch/writers/sheetxml.py) beside
xlsxwriter writing the same cells one by one in its constant-memory mode (the way the workbook was written
before), in the same run, and the whole run beside the same run writing CSV.

The applicant file is generated in a child process (benchmarks/applicants.py: every profile field a column), then
each command runs in a child of its own, alternately (`--runs` times each), and its wall and CPU seconds and peak
resident memory are read from the kernel (children.py). Then one batch runs in-process with the workbook's
writer wrapped: the kernel's peak resident memory is reset before each writer (/proc/self/clear_refs) and read
after it, so each figure is that writer's own, apart from reading and deciding.

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
GOAL_ROWS = 50_000  # rows a second
# The batch run in-process, the workbook's writer wrapped: the new writer, then xlsxwriter cell by cell over the
# same rows (the same values, formats and sheet), each timed (CPU and wall) with its own peak.
WRITER = r"""
import io, sys, tempfile, time
from pathlib import Path
import polars as pl
from guangxi_subsidy.engine.batch import resultsheet, workbook
from guangxi_subsidy.engine.batch.writers import sheetxml
from guangxi_subsidy.engine.batch.run import BatchOptions, run_batch
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.rules.pack import load_pack

def status_mb(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")

def measure(name, work):
    Path("/proc/self/clear_refs").write_text("5")
    before, cpu, wall = status_mb("VmRSS"), time.process_time(), time.perf_counter()
    work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(name, f"{cpu:.3f} {wall:.3f} {before:.0f} {status_mb('VmHWM'):.0f}")

def cell_by_cell(book, summary):
    # xlsxwriter, constant memory: the results sheet's cells one by one, from the same blocks of values
    import xlsxwriter
    with tempfile.TemporaryDirectory() as folder:
        out = xlsxwriter.Workbook(str(Path(folder) / "w.xlsx"), {"constant_memory": True, "tmpdir": folder})
        top, money, wrap = (out.add_format(f) for f in ({"valign": "top"}, {"num_format": "#,##0.00"},
                                                        {"text_wrap": True}))
        sheet = out.add_worksheet("结果")
        spill = book.spill  # (the rows set aside during the run, read back whole)
        applicants = pl.concat(list(spill.frames("applicants"))).sort(ROW)
        benefits = pl.concat(list(spill.frames("benefits"))).sort(ROW, maintain_order=True)
        stakes = pl.concat([book._stakes(f) for f in spill.frames("stakes")]) if "stakes" in spill else None
        shown = benefits["rule_id"].unique().to_list()
        column = {r: 7 + n for n, r in enumerate(shown)}
        words = workbook.Words(book._names, book._labels, lambda s: s, workbook._word, stakes, None)
        styles = resultsheet.Styles(1, 2, 3)
        columns = {r: "A" for r in shown}
        line = 1
        for _, block in sheetxml.blocks_of(applicants, resultsheet.BLOCK):
            items = resultsheet._rows_of(benefits, block)
            frame = resultsheet._block(resultsheet.numbered(block, line + 1), items, columns, words, styles)
            amounts = {}
            for row, rule, kind, value in items.filter(pl.col("value").is_not_null()).select(
                    ROW, "rule_id", "amount_kind", "value").iter_rows():
                amounts.setdefault(row, []).append((column[rule], float(value)))
            for item in frame.select(ROW, "id", "name", "kind", "city", "as_of_used", "grants", "\x00words",
                                     "\x00missing", "\x00reason").iter_rows():
                for n, value in enumerate(item[:5]):
                    if value is not None:
                        (sheet.write_number if n == 0 else sheet.write_string)(line, n, value, top)
                sheet.write_string(line, 6, item[5], top)  # (the date as its text, as the sheet shows it)
                for at, value in amounts.get(item[0], []):
                    sheet.write_number(line, at, value, money)
                sheet.write_number(line, 7 + len(shown), float(item[6]), money)
                for n, value in enumerate(item[7:], start=8 + len(shown)):
                    if value is not None:
                        sheet.write_string(line, n, value, wrap)
                line += 1
        out.close()

write = workbook.Workbook.write
def measured(self, out, summary, receipt, other=None):
    print("deciding", f"{status_mb('VmHWM'):.0f}")
    remove, self.remove = self.remove, lambda: None  # (the rows set aside kept for the second writer)
    measure("new", lambda: write(self, out, summary, receipt, other))
    measure("old", lambda: cell_by_cell(self, summary))
    remove()
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
        print(f"{'output':<8} {'wall s':>8} {'CPU s':>8} {'rows/s':>9} {'rows/CPU s':>12} {'peak MB':>9}")
        peaks = {}
        for suffix, done in runs.items():
            wall = statistics.median(r.seconds for r in done)
            cpu = statistics.median(r.cpu for r in done)
            peaks[suffix] = max(r.peak_mb for r in done)
            print(f"{suffix:<8} {wall:>8.2f} {cpu:>8.2f} {args.rows / wall:>9,.0f} {args.rows / cpu:>12,.0f} "
                  f"{peaks[suffix]:>9.0f}")
        print(f"whole run: workbook {peaks['xlsx']:.0f} MB, {peaks['xlsx'] / peaks['csv']:.2f}× the CSV run's peak")
        done = subprocess.run([sys.executable, "-c", WRITER, str(source), str(Path(folder) / "w.xlsx")],
                              check=True, capture_output=True, text=True, cwd=folder)
        lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
        print(f"reading and deciding (rows gathered): peak {float(lines['deciding']):.0f} MB")
        print(f"{'results workbook written by':<44} {'CPU s':>7} {'wall s':>7} {'rows/CPU s':>11} {'rows/s':>9} "
              f"{'adds MB':>8}")
        rates = {}
        for key, name in (("new", "polars blocks streamed into the zip (ours)"),
                          ("old", "xlsxwriter cell by cell, constant memory")):
            cpu, wall, before, peak = (float(n) for n in lines[key].split())
            rates[key] = args.rows / max(cpu, 1e-9)
            print(f"{name:<44} {cpu:>7.2f} {wall:>7.2f} {rates[key]:>11,.0f} {args.rows / max(wall, 1e-9):>9,.0f} "
                  f"{peak - before:>8.0f}")
        print(f"ours {rates['new'] / rates['old']:.1f}× xlsxwriter's rows per CPU second (goal: {GOAL_ROWS:,} rows/s); "
              f"the whole run's peak {peaks['xlsx']:.0f} MB (goal: under {GOAL_MB} MB)")


if __name__ == "__main__":
    main()
