"""A Parquet registry of 5,000,000 applicants: one process beside a local Dask cluster of two workers.

The applicants of benchmarks/applicants.py are written (once, in a child process, to benchmarks/data/) as one
Parquet file of typed columns, as a data team keeps a registry: money as decimal(18, 2), counts as integers,
dates as dates, yes/no as booleans (shares and choices stay text), in row groups of 250,000 rows. Then, in the
same run:

* one process: `subsidy batch FILE -o results.parquet --summary …` in a child process (its wall time, and its
  peak resident memory from the kernel);
* the cluster: a LocalCluster of two worker processes (one thread each) on this machine, with
  `evaluate_dataset` mapping the batch over the file's row groups (a part each), results written as Parquet;
  its wall time from submitting the parts to the totals gathered (the workers are started, and have imported
  the package and compiled the rules, before the clock starts: that is paid once per cluster, not per dataset;
  it is printed apart), and each worker's peak resident memory.

It checks that both runs read, evaluate and reject the same rows and give the same summary (every total, in
fen), and prints rows per second for both, their ratio, peak MB, and rows per hour.

    .venv/bin/python benchmarks/dask_parquet.py              # 5,000,000 rows
    .venv/bin/python benchmarks/dask_parquet.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from applicants import DATA  # noqa: E402
from children import timed  # noqa: E402

SUBSIDY = [sys.executable, "-c", "from guangxi_subsidy.cli.main import main; main()"]
GROUP = 250_000
GENERATE = """
import sys
import polars as pl
import pyarrow.parquet as pq
sys.path.insert(0, sys.argv[3])
from applicants import applicants
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.fields import field_symbols
from guangxi_subsidy.engine.intake.frames import BOOL_SPELLINGS
from guangxi_subsidy.engine.language import ValueType

rows, target, step = int(sys.argv[1]), sys.argv[2], 500_000
symbols = field_symbols()
kinds = {n: symbols[n].type for n in Profile.model_fields if n in symbols}
def typed(part):
    out = []
    for name in part.columns:
        kind = kinds.get(name)
        if kind == ValueType.MONEY:
            out.append(pl.col(name).cast(pl.Decimal(18, 2)))
        elif kind == ValueType.INTEGER:
            out.append(pl.col(name).cast(pl.Int64))
        elif kind == ValueType.BOOL:
            out.append(pl.col(name).replace_strict(BOOL_SPELLINGS, default=None, return_dtype=pl.Boolean))
        elif name == "as_of":
            out.append(pl.col(name).str.to_date())
        else:
            out.append(pl.col(name))
    return part.select(out)
writer = None
for start in range(0, rows, step):
    size = min(step, rows - start)
    part = typed(applicants(size, 7 + start).with_columns(
        id=pl.concat_str([pl.lit("GX"), pl.int_range(start, start + size).cast(pl.String).str.zfill(8)])))
    table = part.to_arrow()
    if writer is None:
        writer = pq.ParquetWriter(target, table.schema)
    writer.write_table(table, row_group_size=int(sys.argv[4]))
writer.close()
"""


def generate(rows: int) -> Path:
    """The registry as Parquet (written once, in a child process, kept under benchmarks/data/)."""
    path = DATA / f"registry_{rows}.parquet"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        subprocess.run([sys.executable, "-c", GENERATE, str(rows), str(partial), str(Path(__file__).parent),
                        str(GROUP)], check=True)
        partial.rename(path)
    return path


def one_process(source: Path, folder: Path) -> tuple[float, float, dict[str, object]]:
    """Seconds, peak resident MB and summary of `subsidy batch` on the file, in a child process."""
    summary = folder / "summary.json"
    command = [*SUBSIDY, "batch", str(source), "-o", str(folder / "results.parquet"), "--summary", str(summary),
               "-q"]
    done = timed(command)
    return done.seconds, done.peak_mb, json.loads(summary.read_text(encoding="utf-8"))


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm() -> None:
    from guangxi_subsidy.engine.batch.cluster import _evaluator

    _evaluator(None, None, False, True)


def on_cluster(source: Path, folder: Path) -> tuple[float, float, dict[str, float], dict[str, object]]:
    """Seconds, set-up seconds, each worker's peak resident MB and the summary, on a local cluster."""
    from dask.distributed import Client, LocalCluster

    from guangxi_subsidy import evaluate_dataset, summarise

    began = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      worker_dashboard_address=None, memory_limit=0) as cluster, Client(cluster) as client:
        client.run(_warm)  # imports and the compiled rules: once per cluster
        ready = time.perf_counter()
        found = evaluate_dataset(client, source, output=folder / "parts", rows_per_part=GROUP)
        seconds = time.perf_counter() - ready
        peaks = client.run(_peak_mb)
    return seconds, ready - began, peaks, summarise(found.summary, source=str(source))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    args = parser.parse_args()
    source = generate(args.rows)
    with tempfile.TemporaryDirectory(dir=DATA) as work:
        folder = Path(work)
        single, single_mb, expected = one_process(source, folder)
        seconds, setup, peaks, found = on_cluster(source, folder)
    same = all(found[k] == expected[k] for k in ("rows", "benefits", "departments", "totals"))
    rows = args.rows
    print(f"{rows:,} applicants, Parquet ({source.stat().st_size / 1e6:,.0f} MB, row groups of {GROUP:,})")
    print(f"  one process (subsidy batch):  {rows / single:>10,.0f} rows/s  {single:6.1f} s  peak {single_mb:,.0f} MB")
    print(f"  local cluster, 2 workers:     {rows / seconds:>10,.0f} rows/s  {seconds:6.1f} s  peak per worker "
          + ", ".join(f"{mb:,.0f} MB" for mb in peaks.values()) + f"  (set-up {setup:.1f} s, apart)")
    print(f"  cluster / one process: {single / seconds:.2f}")
    print(f"  rows an hour: one process {rows / single * 3600:,.0f}; cluster {rows / seconds * 3600:,.0f}")
    print(f"  same rows, decisions and totals: {'yes' if same else 'NO'}  (grants {found['totals']['grants']})")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
