"""Instructions per applicant row of `subsidy batch` beyond what a run pays once, counted by valgrind's
callgrind: a measure that, unlike seconds on a shared machine, comes out the same run after run, so two versions
of the code can be compared.

It counts two warm batches the way `make perf-check` counts its one (`perf_check.count`: the CLI's code in a
process that has run 2,000 rows first, the compiled reader from the first byte, callgrind instrumenting the
counted run alone, all threads, one polars thread): one of --base rows and one of --base + --rows rows. What a
run pays once (the pack, each rule's query planned, the outputs opened) cancels out of the difference, which is
printed per row. Needs valgrind.

    .venv/bin/python benchmarks/instructions.py              # 20,000 rows beyond 20,000: a few minutes
    .venv/bin/python benchmarks/instructions.py --rows 100000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_check import count  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--base", type=int, default=20_000, help="rows of the first counted batch")
    args = parser.parse_args()
    start = count(rows=args.base)
    total = count(rows=args.base + args.rows)
    print(f"{args.base:,} rows: {start:,} instructions")
    per_row = (total - start) / args.rows
    print(f"{args.base + args.rows:,} rows: {total:,} instructions, {per_row:,.0f} per row beyond the first "
          f"{args.base:,} (what a run pays once left out)")


if __name__ == "__main__":
    main()
