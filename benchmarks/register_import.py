"""The register at province scale: importing applicants, and evaluating the whole register.

For N applicants (--rows, default 1,000,000; a few facts each) the benchmark writes an applicant file, then, in
the same run:

* import: `subsidy register import` of the file into a fresh register (SQLite, and PostgreSQL: a throwaway server
  started as the tests start it, or --pg URL), in rows per second, against a plain bulk insert of the same
  applicants and facts rows into the same tables (executemany for SQLite, COPY for PostgreSQL): what reading,
  checking and versioning cost above writing;
* a second import of the same file (which changes nothing): the cost of finding that out;
* evaluate: the whole register through `subsidy batch --register` (profiles built from the facts and the ledger,
  then the batch) against `subsidy batch` on the same applicants as a Parquet file.

Prints seconds, rows per second, the ratios, and this process's peak resident memory. Timings are never
asserted; `--rows 2000` is the smoke run.

    .venv/bin/python benchmarks/register_import.py --rows 20000
    .venv/bin/python benchmarks/register_import.py --rows 1000000 --pg postgresql://user@host/register
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, text

from guangxi_subsidy.engine.batch.run import BatchOptions, run_batch
from guangxi_subsidy.engine.register import database
from guangxi_subsidy.engine.register.export import export
from guangxi_subsidy.engine.register.identity import check_character
from guangxi_subsidy.engine.register.importer import ImportOptions, import_file
from guangxi_subsidy.engine.register.periods import parse_period
from guangxi_subsidy.engine.rules.pack import load_pack

FACT_FIELDS = ("name", "city", "monthly_sales", "rd_expenses", "high_tech_enterprise", "small_micro_enterprise")
AS_OF = dt.date(2019, 6, 1)


def code(number: int) -> str:
    first = f"91450100{number:09d}"
    return first + check_character(first)


def applicants(rows: int) -> pl.DataFrame:
    """N applicants: 9 in 10 enterprises with sales, R&D and two flags; 1 in 10 incubation bases with rent."""
    numbers = range(1, rows + 1)
    base = [n % 10 == 0 for n in numbers]
    return pl.DataFrame({
        "id": [code(n) for n in numbers],
        "kind": ["incubation_base" if b else "enterprise" for b in base],
        "city": ["南宁" if n % 3 else "柳州" for n in numbers],
        "name": [f"企业{n}" for n in numbers],
        "monthly_sales": [None if b else str(50_000 + n % 200_000) for b, n in zip(base, numbers, strict=True)],
        "rd_expenses": [None if b else str(n % 5_000_000) for b, n in zip(base, numbers, strict=True)],
        "high_tech_enterprise": [None if b else ("是" if n % 7 == 0 else "否") for b, n in zip(base, numbers,
                                                                                            strict=True)],
        "small_micro_enterprise": [None if b else "是" for b in base],
        "recognised_incubation_base": ["是" if b else None for b in base],
        "rent_and_broadband_paid": [str(300_000 + n % 900_000) if b else None for b, n in zip(base, numbers,
                                                                                             strict=True)],
    })


def plain_rows(frame: pl.DataFrame) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The applicants and facts rows the import writes, made ahead (the baseline only writes them)."""
    now = dt.datetime(2019, 1, 1)
    people, facts = [], []
    for pk, row in enumerate(frame.iter_rows(named=True), start=1):
        people.append({"pk": pk, "ref": row["id"], "holder": "organisation", "kind": row["kind"],
                       "city": "nanning", "created_at": now})
        for field, value in row.items():
            if field in ("id", "kind") or value is None:
                continue
            facts.append({"applicant_pk": pk, "field": field, "value": value, "period_start": dt.date(2018, 1, 1),
                          "period_end": dt.date(2018, 12, 31), "version": 1, "recorded_at": now,
                          "recorded_by": "bench", "source_kind": "department", "source": "税务"})
    return people, facts


def bulk_insert(engine: Engine, people: list[dict[str, Any]], facts: list[dict[str, Any]]) -> float:
    """Seconds to write the rows with the driver's own bulk path: executemany (SQLite) or COPY (PostgreSQL)."""
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.url.get_backend_name() == "sqlite":
            cursor.executemany("INSERT INTO applicants (pk, ref, holder, kind, city, created_at) VALUES "
                               "(:pk, :ref, :holder, :kind, :city, :created_at)", people)
            cursor.executemany(
                "INSERT INTO facts (applicant_pk, field, value, period_start, period_end, version, recorded_at, "
                "recorded_by, source_kind, source) VALUES (:applicant_pk, :field, :value, :period_start, "
                ":period_end, :version, :recorded_at, :recorded_by, :source_kind, :source)", facts)
        else:
            _copy(cursor, "applicants", ("pk", "ref", "holder", "kind", "city", "created_at"), people)
            _copy(cursor, "facts", ("applicant_pk", "field", "value", "period_start", "period_end", "version",
                                    "recorded_at", "recorded_by", "source_kind", "source"), facts)
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def _copy(cursor: Any, table: str, names: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[n] for n in names])


def fresh(url: str) -> Engine:
    engine = database.connect(url)
    database.upgrade(engine)
    return engine


def measure_import(name: str, make_url: Any, path: Path, frame: pl.DataFrame) -> None:
    rows = frame.height
    people, facts = plain_rows(frame)
    baseline = bulk_insert(fresh(make_url("baseline")), people, facts)
    engine = fresh(make_url("register"))
    options = ImportOptions("税务", "bench", parse_period("2018"))
    started = time.perf_counter()
    report = import_file(engine, path, options)
    first = time.perf_counter() - started
    assert report.facts.new == len(facts), (report.facts, len(facts))
    started = time.perf_counter()
    again = import_file(engine, path, options)
    second = time.perf_counter() - started
    assert again.facts.new == again.facts.changed == 0
    print(f"{name:>10} import     {first:8.2f} s  {rows / first:>10,.0f} rows/s   bulk insert {baseline:6.2f} s "
          f"({rows / baseline:,.0f} rows/s): import takes {first / baseline:.1f}× the bulk insert; "
          f"again (nothing changes) {second:.2f} s")
    engine.dispose()


def measure_evaluation(url: str, source: Path, folder: Path) -> None:
    pack = load_pack()
    parquet = folder / "applicants.parquet"
    pl.read_csv(source, infer_schema=False).with_columns(pl.lit(AS_OF.isoformat()).alias("as_of")) \
        .write_parquet(parquet)
    started = time.perf_counter()
    run_batch(pack, parquet, BatchOptions(folder / "from_file.parquet", as_of=AS_OF))
    plain = time.perf_counter() - started
    started = time.perf_counter()
    exported = folder / "register.parquet"
    export(database.open_register(url), exported, AS_OF)
    built = time.perf_counter() - started
    run_batch(pack, exported, BatchOptions(folder / "from_register.parquet", as_of=AS_OF))
    ours = time.perf_counter() - started
    rows = pl.scan_parquet(parquet).select(pl.len()).collect().item()
    print(f"{'evaluate':>10} register   {ours:8.2f} s  {rows / ours:>10,.0f} rows/s (profiles built in {built:.2f} s)"
          f"   batch on Parquet {plain:.2f} s ({rows / plain:,.0f} rows/s): {plain / ours:.2f}× the batch's speed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", help="a PostgreSQL database to use (its public schema is replaced); default: a "
                        "throwaway server started here, when PostgreSQL is installed")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="subsidy-bench-") as name:
        folder = Path(name)
        frame = applicants(args.rows)
        source = folder / "税务2018.csv"
        frame.write_csv(source)
        print(f"{args.rows:,} applicants, {sum(frame.get_column(c).null_count() < frame.height for c in FACT_FIELDS)}"
              f"+ fields each (file {source.stat().st_size / 1e6:.1f} MB)")
        measure_import("SQLite", lambda kind: f"sqlite:///{folder / (kind + '.db')}", source, frame)
        if not args.no_pg:
            _postgres(args.pg, source, frame)
        measure_evaluation(f"sqlite:///{folder / 'register.db'}", source, folder)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:,.0f} MB")


def _postgres(url: str | None, source: Path, frame: pl.DataFrame) -> None:
    server = None
    if url is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "register"))
        import pgserver

        try:
            server = pgserver.start()
        except pgserver.Unavailable as error:
            print(f"PostgreSQL skipped: {error}")
            return
        url = server.url("postgres")
    try:
        admin = database.connect(url)
        with admin.begin() as connection:
            for kind in ("baseline", "register"):
                connection.execute(text(f"DROP SCHEMA IF EXISTS bench_{kind} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA bench_{kind}"))
        admin.dispose()
        separator = "&" if "?" in url else "?"
        measure_import("PostgreSQL", lambda kind: f"{url}{separator}options=-csearch_path%3Dbench_{kind}", source,
                       frame)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
