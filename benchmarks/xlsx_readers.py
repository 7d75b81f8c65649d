"""Speed and peak memory of the ways to read an applicant workbook, at 100,000 rows (by default).

The workbook is generated in a child process (xlsxwriter, constant memory) from the benchmark's applicants
(benchmarks/applicants.py: every profile field a column, as in a real list), then each reader runs in a child
process of its own, which walks every cell of the sheet and turns it into the text the batch reader uses
(`xlsxsource.cell_text`); its CPU time and peak resident memory are read from the kernel. "ours" is the batch's
own reader (`XlsxSource`: the C scanner of engine/_sheetxml.c and its whole-block passes), which gives the
records a batch gets, chunk after chunk, with the allocator set as `subsidy` sets it (cli/allocator.py).
Printed per reader: wall and CPU seconds (on a shared machine the CPU time is the steadier figure), rows per
second by wall and by CPU, peak MB, and the ratios to openpyxl's read-only mode with the standard library's XML
parser (the reader used before); then the goals (50,000 rows a second, under 200 MB) against ours, with the
machine's load average, without which a wall time means little here.

    .venv/bin/python benchmarks/xlsx_readers.py
    .venv/bin/python benchmarks/xlsx_readers.py --rows 100000 300000
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GENERATE = """
import sys
sys.path.insert(0, sys.argv[3])
import applicants, xlsxwriter
frame = applicants.applicants(int(sys.argv[2]), seed=7)
book = xlsxwriter.Workbook(sys.argv[1], {"constant_memory": True})
sheet = book.add_worksheet("applicants")
sheet.write_row(0, 0, frame.columns)
for number, row in enumerate(frame.iter_rows(), start=1):
    for column, value in enumerate(row):
        if value is None:
            continue
        text = str(value)
        try:
            number_value = float(text) if text.replace(".", "", 1).isdigit() else None
        except ValueError:
            number_value = None
        if number_value is not None and len(text) < 16:
            sheet.write_number(number, column, number_value)
        else:
            sheet.write_string(number, column, text)
book.close()
"""

GOAL_ROWS = 50_000  # rows a second the reader is to reach on 100,000 rows
GOAL_MB = 200  # peak resident memory it is to stay under

READERS = {
    "ours (XlsxSource)": """
from pathlib import Path
from guangxi_subsidy.engine.intake.xlsxsource import XlsxSource
rows = None
chunks = XlsxSource(Path(PATH)).chunks()
""",
    "openpyxl (read-only)": """
import os
os.environ["OPENPYXL_LXML"] = "False"  # the standard library's XML parser, as openpyxl has it without lxml
from openpyxl import load_workbook
book = load_workbook(PATH, read_only=True, data_only=True)
rows = book.worksheets[0].iter_rows(values_only=True)
""",
    "openpyxl + lxml": """
from openpyxl import load_workbook
book = load_workbook(PATH, read_only=True, data_only=True)
rows = book.worksheets[0].iter_rows(values_only=True)
""",
    "python-calamine": """
from python_calamine import CalamineWorkbook
book = CalamineWorkbook.from_path(PATH)
rows = book.get_sheet_by_index(0).iter_rows()
""",
}

# A reader whose library is not installed here is left out of the table, saying so (the dev extra installs each).
MODULES = {"ours (XlsxSource)": "guangxi_subsidy", "openpyxl (read-only)": "openpyxl", "openpyxl + lxml": "lxml",
           "python-calamine": "python_calamine"}

RUN = """
import resource, sys, time, json
import guangxi_subsidy.cli.allocator  # the allocator as the command sets it, before polars is imported
from guangxi_subsidy.engine.intake.xlsxsource import cell_text
PATH = sys.argv[1]
started = time.perf_counter()
{reader}
count = cells = 0
if rows is None:  # the batch's reader: records, the header already read
    count = 1
    for chunk in chunks:
        count += len(chunk.cells) + len(chunk.rejected)
        cells += chunk.cells.width * len(chunk.cells)
else:
    for row in rows:
        texts = [cell_text(value if value != "" else None) for value in row]
        count += 1
        cells += len(texts)
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"rows": count - 1, "cells": cells, "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
                  "peak_mb": usage.ru_maxrss / 1024}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as folder:
        for rows in args.rows:
            path = Path(folder) / f"applicants_{rows}.xlsx"
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", GENERATE, str(path), str(rows), str(here)], check=True)
            print(f"{rows:,} rows: workbook of {path.stat().st_size / 2**20:.1f} MB written in "
                  f"{time.perf_counter() - started:.1f} s")
            results = {}
            for name, reader in READERS.items():
                if importlib.util.find_spec(MODULES[name]) is None:
                    print(f"{name}: not installed here, left out", file=sys.stderr)
                    continue
                out = subprocess.run([sys.executable, "-c", RUN.format(reader=reader), str(path)], check=True,
                                     capture_output=True, text=True).stdout
                results[name] = json.loads(out.strip().splitlines()[-1])
                assert results[name]["rows"] == rows, (name, results[name])
            base = results["openpyxl (read-only)"]
            print(f"{'reader':<24}{'seconds':>9}{'CPU s':>9}{'rows/s':>10}{'rows/CPU s':>12}{'peak MB':>9}"
                  f"{'CPU ×':>8}{'memory ×':>10}")
            for name, found in results.items():
                print(f"{name:<24}{found['seconds']:>9.2f}{found['cpu']:>9.2f}{rows / found['seconds']:>10,.0f}"
                      f"{rows / found['cpu']:>12,.0f}{found['peak_mb']:>9.0f}{base['cpu'] / found['cpu']:>8.2f}"
                      f"{found['peak_mb'] / base['peak_mb']:>10.2f}")
            ours = results["ours (XlsxSource)"]
            print(f"goal: {GOAL_ROWS:,} rows/s: ours {rows / ours['seconds']:,.0f} by wall, "
                  f"{rows / ours['cpu']:,.0f} by CPU (child's start and imports included); "
                  f"goal: under {GOAL_MB} MB peak: ours {ours['peak_mb']:.0f} MB; "
                  f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
