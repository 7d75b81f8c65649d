"""Every benchmark the README names runs to its end at a small size and prints its table.

A benchmark nothing runs breaks without anyone noticing (`make bench` once handed the same file to `subsidy
batch` as input and as `-o`, and was refused). Here each one runs in a child process on a few thousand rows at
most, and must exit 0 and print the heading of its table. No timing is asserted: the figures of a run this small
on a shared machine mean nothing; `make perf-check` guards the speed, by instructions counted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"

# script → (arguments that make it small, a piece of the table it must print)
SMOKE = {
    "batch_throughput.py": (["--rows", "1000", "--sample", "200", "--evaluate", "3"], "ours/baseline"),
    "startup.py": (["--runs", "1"], "python -c pass"),
    "scenarios.py": (["--rows", "1000", "--repeat", "1", "--profiles", "3"], "reform/plain"),
    "xlsx_readers.py": (["--rows", "100"], "rows/CPU s"),
    "web_load.py": (["--requests", "100", "--clients", "4", "--workers", "1"], "latency"),
    "web_instructions.py": (["--uncounted", "--requests", "5", "--warm", "2"], "not counted"),
    "dask_parquet.py": (["--rows", "2000"], "same rows, decisions and totals: yes"),
    "workbook_write.py": (["--rows", "200"], "rows/CPU s"),
    "register_import.py": (["--rows", "200", "--no-pg"], "bulk insert"),
    "match_incremental.py": (["--applicants", "30", "--changed", "0.1"], "incremental / full"),
    "office_load.py": (["--users", "3", "--reads", "1"], "errors: 0"),
}
# Counted under callgrind by `make perf-check`, which `make test` runs (too slow for a smoke run here);
# instructions.py is two of its counts (perf_check.count), told apart.
ELSEWHERE = {"instructions.py": "perf_check.count", "perf_check.py": "make perf-check"}
# Not benchmarks: what they use (the generated applicants, a child process timed), run by every run above.
HELPERS = {"applicants.py", "children.py"}


def test_every_benchmark_the_readme_names_has_a_smoke_run() -> None:
    named = set(re.findall(r"benchmarks/(\w+\.py)", (ROOT / "README.md").read_text(encoding="utf-8")))
    assert named, "the README names no benchmark"
    assert named <= set(SMOKE) | set(ELSEWHERE) | HELPERS, sorted(named - set(SMOKE) - set(ELSEWHERE) - HELPERS)
    assert all((BENCHMARKS / name).exists() for name in named)


@pytest.mark.parametrize("script", sorted(SMOKE))
def test_benchmark_runs_at_a_small_size_and_prints_its_table(script: str) -> None:
    arguments, expected = SMOKE[script]
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *arguments], capture_output=True,
                          text=True, timeout=240, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert expected in done.stdout, done.stdout[-3000:]
