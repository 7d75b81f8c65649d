"""Throughput and memory of `subsidy batch`, beside plain polars on the same file and the reference path.

For each size (--rows, default 1,000,000) the benchmark generates an applicant list (benchmarks/data/, kept
between runs; generated in a child process), then runs, each in a child process whose peak resident memory is
read from the kernel (the child started by a small launcher, so that it cannot inherit this process's peak):

* ours: `subsidy batch FILE -o results.csv` (columnar engine, wide layout, CSV in and out);
* baseline: plain polars reading the same file, computing one expression per output column and writing a CSV
  of the same shape (the limit to approach);
* reference: `subsidy batch --engine reference` on the first --sample rows (durable_rules per row).

It then checks, on the sample, that both engines write the same file, byte for byte, that the large run (whose
file is long enough for the compiled reader and writer) wrote the same lines for the sample's rows, and that each
applicant's benefits are those `subsidy evaluate` gives for the row as a profile. Prints rows per second, the
ratios, peak MB.

    make bench                                  # 1,000,000 rows
    .venv/bin/python benchmarks/batch_throughput.py --rows 1000000 5000000 --formatted
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import polars as pl

APPLICANTS = Path(__file__).resolve().parent / "applicants.py"

TARGET_RATE, TARGET_MB = 300_000, 500
SUBSIDY = [sys.executable, "-c", "from guangxi_subsidy.cli.main import main; main()"]
BASELINE = """
import sys, polars as pl
source, target = sys.argv[1], sys.argv[2]
frame = pl.scan_csv(source, infer_schema=False)
names = frame.collect_schema().names()
cells = [pl.when(pl.col(n).is_not_null()).then(pl.lit("seen")).alias(f"out_{i}") for i, n in enumerate(names[5:49])]
money = [pl.col(n).cast(pl.Decimal(38, 2), strict=False) for n in names if n.endswith(("_paid", "_price", "_sales"))]
frame.select(
    pl.int_range(2, pl.len() + 2).alias("row"), pl.col("id", "name", "kind", "city", "as_of"), *cells,
    pl.sum_horizontal(money).alias("grants"), *[pl.lit(0).alias(f"total_{i}") for i in range(7)],
).sink_csv(target)
"""


# The command is started by a small interpreter of its own, which reports the command's seconds and peak. Linux
# hands a process the high-water mark of the memory it was started from (a child started from this process, which
# may have read large files, would report this process's peak if its own were lower): started from the small
# launcher, a command can inherit only the launcher's ~10 MB.
LAUNCH = """
import os, subprocess, sys, time
started = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(process.pid, 0)
print(time.perf_counter() - started, usage.ru_maxrss, status, usage.ru_utime + usage.ru_stime)
sys.stderr.write(process.stderr.read().decode(errors="replace"))
"""


CPU: dict[tuple[str, ...], float] = {}  # CPU seconds (user + system) of each command measured


def measure(command: list[str]) -> tuple[float, float]:
    """Seconds and peak resident MB of the command, run as the child of a fresh launcher (see LAUNCH); its CPU
    seconds are kept in CPU (a busy machine disturbs them less than wall time)."""
    done = subprocess.run([sys.executable, "-c", LAUNCH, *command], capture_output=True, text=True, check=True)
    seconds, peak_kb, status, cpu = done.stdout.split()
    if status != "0":
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr}")
    CPU[tuple(command)] = float(cpu)
    return float(seconds), int(peak_kb) / 1024


def generated(rows: int, seed: int, formatted: bool) -> Path:
    """The applicant list of `rows` (benchmarks/applicants.py), generated in a child process the first time."""
    command = [sys.executable, str(APPLICANTS), "--rows", str(rows), "--seed", str(seed)]
    done = subprocess.run([*command, *(["--formatted"] if formatted else [])], capture_output=True, text=True,
                          check=True)
    return Path(done.stdout.strip().splitlines()[-1])


def head(source: Path, rows: int, target: Path) -> Path:
    with source.open("rb") as read, target.open("wb") as write:
        for _ in range(rows + 1):
            write.write(read.readline())
    return target


def first_rows(path: Path, count: int) -> bytes:
    """The header and the lines of a results or errors file for spreadsheet rows 2 … count+1."""
    kept = []
    with path.open("rb") as handle:
        kept.append(handle.readline())
        for line in handle:
            first = line.split(b",", 1)[0]
            if first.isdigit() and int(first) > count + 1:  # (a quoted cell's next line is kept with its row)
                break
            kept.append(line)
    return b"".join(kept)


def agrees_with_evaluate(sample: Path, results: Path, limit: int) -> int:
    """Each of the first `limit` rows, as a profile, through `subsidy evaluate`: its benefits, fen for fen."""
    from click.testing import CliRunner

    from guangxi_subsidy.cli.main import cli
    from guangxi_subsidy.engine.intake.cells import row_data

    long = pl.read_ndjson(results, infer_schema_length=None)
    cells = pl.read_csv(sample, infer_schema=False, n_rows=limit)
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as folder:
        for row in cells.iter_rows(named=True):
            profile = Path(folder) / "profile.json"
            profile.write_text(json.dumps(row_data(row), ensure_ascii=False), encoding="utf-8")
            answer = json.loads(runner.invoke(cli, ["evaluate", str(profile), "--format", "json"]).stdout)
            expected = {
                (b["rule_id"], b["status"], b["amount"]["kind"], b["amount"]["value"], b["amount"]["min"],
                 b["amount"]["max"]) for b in answer["benefits"]
            }
            mine = long.filter(pl.col("id") == row["id"])
            got = {
                (r["rule_id"], r["status"], r["amount_kind"], *[_money(r[k]) for k in ("value", "min", "max")])
                for r in mine.iter_rows(named=True)
            }
            if got != expected:
                raise SystemExit(f"row {row['id']}: batch {sorted(got)} but evaluate {sorted(expected)}")
    return cells.height


def _money(value: object) -> str | None:
    return None if value is None else str(Decimal(str(value)).quantize(Decimal("0.01")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--sample", type=int, default=2_000, help="rows for the reference path and the checks")
    parser.add_argument("--evaluate", type=int, default=200, help="sample rows checked against `subsidy evaluate`")
    parser.add_argument("--formatted", action="store_true", help="money with thousands separators and 万")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-repeats", action="store_true", help="run ours without the repeated-applicant check "
                        "(which keeps 12 bytes a row)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        lines = []
        for rows in args.rows:
            print(f"generating {rows:,} applicants (once) …", file=sys.stderr)
            source = generated(rows, args.seed, args.formatted)
            more = ["--keep-repeats"] if args.keep_repeats else []
            command = [*SUBSIDY, "batch", str(source), "-o", str(out / "ours.csv"), "-q", *more]
            ours, ours_mb = measure(command)
            baseline = [sys.executable, "-c", BASELINE, str(source), str(out / "baseline.csv")]
            base, base_mb = measure(baseline)
            cpu_ratio = CPU[tuple(baseline)] / max(CPU[tuple(command)], 1e-9)
            lines.append((rows, rows / ours, rows / base, ours_mb, base_mb, cpu_ratio))
            if rows != args.rows[-1]:
                (out / "ours.csv").unlink()

        count = min(args.sample, args.rows[-1])
        sample = head(source, count, out / "sample.csv")
        quarter = head(source, count // 4, out / "quarter.csv")
        measure([*SUBSIDY, "batch", str(sample), "-o", str(out / "columnar.csv"), "-q"])
        reference, _ = measure([*SUBSIDY, "batch", str(sample), "-o", str(out / "reference.csv"), "-q",
                                "--engine", "reference"])
        start, _ = measure([*SUBSIDY, "batch", str(quarter), "-o", str(out / "quarter.results.csv"), "-q",
                            "--engine", "reference"])
        reference_rate = (count - count // 4) / max(reference - start, 1e-9)  # start-up cancels out
        same = (out / "columnar.csv").read_bytes() == (out / "reference.csv").read_bytes()
        # The large run (compiled reader and writer) against the reference on the same first rows.
        same_large = all(first_rows(out / f"ours{part}", count) == (out / f"reference{part}").read_bytes()
                         for part in (".csv", ".errors.csv"))
        measure([*SUBSIDY, "batch", str(sample), "-o", str(out / "long.jsonl"), "-q"])
        checked = agrees_with_evaluate(sample, out / "long.jsonl", args.evaluate)

    shape = "formatted money (separators, 万)" if args.formatted else "plain money"
    check = "without the repeat check" if args.keep_repeats else "with the repeat check"
    print(f"\nsubsidy batch, CSV in → wide CSV out, full rule pack, {shape}, {check}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'rows':>11} {'ours rows/s':>12} {'baseline rows/s':>16} {'ours/baseline':>14} "
          f"{'CPU baseline/ours':>18} {'peak MB ours':>13} {'peak MB baseline':>17}")
    for rows, rate, base_rate, ours_mb, base_mb, cpu_ratio in lines:
        print(f"{rows:>11,} {rate:>12,.0f} {base_rate:>16,.0f} {rate / base_rate:>14.2f} {cpu_ratio:>18.2f} "
              f"{ours_mb:>13,.0f} {base_mb:>17,.0f}")
    print(f"reference path (`--engine reference`, durable_rules per row, start-up excluded): "
          f"{reference_rate:,.0f} rows/s; ours at {lines[0][0]:,} rows is {lines[0][1] / reference_rate:,.0f}× that")
    print(f"same results file from both engines on {count:,} rows: {'yes' if same else 'NO'}; the large run's "
          f"first {count:,} rows the same as the reference's: {'yes' if same_large else 'NO'}; "
          f"{checked} rows checked against `subsidy evaluate`: agree")
    rate_ok = all(rate >= TARGET_RATE for _, rate, *_ in lines)
    memory_ok = all(mb < TARGET_MB for _, _, _, mb, _, _ in lines)
    print(f"targets: ≥ {TARGET_RATE:,} rows/s {'met' if rate_ok else 'NOT met'}; "
          f"< {TARGET_MB} MB peak {'met' if memory_ok else 'NOT met'}")
    if not (same and same_large):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
