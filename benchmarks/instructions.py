"""Instructions per applicant row of `subsidy batch`, counted by valgrind's callgrind: a measure that, unlike
seconds on a shared machine, comes out the same run after run, so two versions of the code can be compared.

It runs the command twice under callgrind, with one polars thread (fewer idle threads spinning): on the first
--base rows of the benchmark's applicant file (start-up, and a file long enough for the compiled reader and
writer), then on --base + --rows rows. It prints both counts and the instructions per row between them. Needs
valgrind.

    .venv/bin/python benchmarks/instructions.py              # 100,000 rows, a few minutes
    .venv/bin/python benchmarks/instructions.py --keep-repeats
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import applicants  # noqa: E402
from batch_throughput import SUBSIDY, head  # noqa: E402


def instructions(source: Path, out: Path, more: list[str]) -> int:
    """Instructions callgrind counts for one batch run (all threads of the process)."""
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.callgrind", *SUBSIDY, "batch",
               str(source), "-o", str(out), "-q", *more]
    environ = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"} | {"POLARS_MAX_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=environ)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=40_000, help="rows of the start-up run (at least 8 MB of CSV)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-repeats", action="store_true")
    args = parser.parse_args()
    more = ["--keep-repeats"] if args.keep_repeats else []
    source = applicants.write(max(args.base + args.rows, 1_000_000), args.seed)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        base = head(source, args.base, out / "base.csv")
        start = instructions(base, out / "base.results.csv", more)
        total = instructions(head(source, args.base + args.rows, out / "rows.csv"), out / "rows.results.csv", more)
    print(f"{args.base:,} rows: {start:,} instructions")
    per_row = (total - start) / args.rows
    print(f"{args.base + args.rows:,} rows: {total:,} instructions, {per_row:,.0f} per row beyond the first "
          f"{args.base:,}")


if __name__ == "__main__":
    main()
