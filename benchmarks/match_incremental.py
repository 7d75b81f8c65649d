"""`subsidy match` on a stored register: a full run against an incremental run after a change touching 5% of the
applicants, in the same run (the ratio is what counts; seconds depend on the machine).

    .venv/bin/python benchmarks/match_incremental.py [--applicants 1000000] [--changed 0.05] [--db URL] [--rowwise N]

The register is made in a temporary SQLite file (or the database `--db` names, emptied first): applicants of
three kinds and places with a few facts each, inserted in bulk; then `match` (full), a change of one fact for
5% of them (recorded as an import records it), and `match` again (incremental). A run of 1,000 applicants or
more goes through the columnar engine; a second register of `--rowwise` applicants, matched rule by rule, gives
the rate the columnar full run is compared with, in the same run. The load average is printed: on a shared
machine it says how far the seconds are from an idle one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.evaluation.evaluate import Engine as RulesEngine
from guangxi_subsidy.engine.matching.bulkrun import bound, insert_rows
from guangxi_subsidy.engine.matching.run import COLUMNAR_FROM, match
from guangxi_subsidy.engine.register import database
from guangxi_subsidy.engine.register.facts import Change, Source, record
from guangxi_subsidy.engine.register.periods import parse_period
from guangxi_subsidy.engine.register.tables import Applicant, Fact
from guangxi_subsidy.engine.rules.pack import load_pack

KINDS = (("incubation_base", "nanning", ("recognised_incubation_base", "rent_and_broadband_paid")),
         ("enterprise", "wuzhou", ("small_micro_enterprise", "annual_taxable_income")),
         ("enterprise", "nanning", ("in_incubation_base", "has_site_lease")))
CHUNK = 20_000


def fill(engine: Engine, count: int, seed: int) -> None:
    """Applicants and their facts written by the driver's executemany, as the register's import writes them (the
    import itself reads each row with the profile model, about 660 rows a second: hours for a million)."""
    rng = random.Random(seed)
    period = parse_period("2019")
    with engine.begin() as connection:
        when = bound(connection, Applicant.__table__, "created_at", dt.datetime(2019, 1, 1))
        start_day = bound(connection, Fact.__table__, "period_start", period.start)
        end_day = bound(connection, Fact.__table__, "period_end", period.end)
        for start in range(0, count, CHUNK):
            size = min(CHUNK, count - start)
            rows = [(start + i + 1, f"B{start + i:09d}", "organisation", KINDS[(start + i) % 3][0],
                     KINDS[(start + i) % 3][1], when) for i in range(size)]
            insert_rows(connection, Applicant.__table__, ("pk", "ref", "holder", "kind", "city", "created_at"), rows)
            facts = []
            for pk, *_rest in rows:
                kind = KINDS[(pk - 1) % 3]
                values = ("true", str(rng.randrange(0, 1_000_000))) if kind[0] == "incubation_base" else (
                    (rng.choice(("true", "false")), str(rng.randrange(0, 10_000_000))) if kind[1] == "wuzhou"
                    else ("true", rng.choice(("true", "false"))))
                for field, value in zip(kind[2], values, strict=True):
                    facts.append((pk, field, value, start_day, end_day, 1, when, "bench", "department", "人社"))
            insert_rows(connection, Fact.__table__, ("applicant_pk", "field", "value", "period_start", "period_end",
                                                     "version", "recorded_at", "recorded_by", "source_kind",
                                                     "source"), facts)


def change(engine: Engine, count: int, share: float, seed: int) -> int:
    rng = random.Random(seed + 1)
    chosen = rng.sample(range(1, count + 1), max(1, int(count * share)))
    source = Source("department", "人社", "bench")
    period = parse_period("2019")
    changes = [Change(pk, False, KINDS[(pk - 1) % 3][2][1], "12345" if (pk - 1) % 3 != 2 else "false",
                      period, source) for pk in chosen]
    with Session(engine) as session, session.begin():
        _counts, touched = record(session, changes, reason_for_change="bench change")
    return len(touched)  # (a value drawn equal to the one held changes nothing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=1_000_000)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--db", help="a database URL (default: a temporary SQLite file)")
    parser.add_argument("--rowwise", type=int, help="applicants of a second register matched rule by rule, for the "
                        "rate the columnar full run is compared with (default: a tenth, at most 1,000)")
    parser.add_argument("--no-near-misses", dest="near", action="store_false",
                        help="match without looking for near misses (`subsidy match --no-near-misses`)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = database.connect(args.db or f"sqlite:///{Path(folder) / 'bench.db'}")
        database.upgrade(engine)
        started = time.perf_counter()
        fill(engine, args.applicants, 7)
        fill_seconds = time.perf_counter() - started
        rules = RulesEngine(load_pack())
        day = dt.date(2019, 6, 1)
        started, cpu = time.perf_counter(), time.process_time()
        full = match(engine, rules, day, near=args.near)
        full_seconds, full_cpu = time.perf_counter() - started, time.process_time() - cpu
        touched = change(engine, args.applicants, args.changed, 7)
        started, cpu = time.perf_counter(), time.process_time()
        incremental = match(engine, rules, day, near=args.near)
        incremental_seconds, incremental_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; register filled in {fill_seconds:.1f} s")
        print(f"applicants stored: {args.applicants:,}; with a changed fact: {touched:,} (drawn: {args.changed:.0%}); "
              f"near misses: {'looked for' if args.near else 'not looked for'}")
        path = {True: "columnar", False: "rule by rule"}
        print(f"full run:        {full.evaluated:>9,} evaluated in {full_seconds:8.2f} s "
              f"({full.evaluated / full_seconds:,.0f}/s; {full_cpu:.1f} s of CPU), {len(full.pushed):,} pushes, "
              f"{path[full.evaluated >= COLUMNAR_FROM]}")
        print(f"incremental run: {incremental.evaluated:>9,} evaluated in {incremental_seconds:8.2f} s "
              f"({incremental_cpu:.1f} s of CPU), "
              f"{len(incremental.pushed):,} pushes, {path[incremental.evaluated >= COLUMNAR_FROM]}")
        print(f"incremental / full: {incremental_seconds / full_seconds:.3f} "
              f"({full_seconds / incremental_seconds:.1f}x faster)")
        sample = args.rowwise if args.rowwise is not None else min(1_000, args.applicants // 10)
        if sample:
            rowwise = database.connect(f"sqlite:///{Path(folder) / 'rowwise.db'}")
            database.upgrade(rowwise)
            fill(rowwise, sample, 7)
            started, cpu = time.perf_counter(), time.process_time()
            done = match(rowwise, rules, day, columnar=False)
            rate, cpu = done.evaluated / (time.perf_counter() - started), time.process_time() - cpu
            print(f"rule by rule, a register of {sample:,}: {rate:,.0f}/s ({done.evaluated / cpu:,.0f} per second of "
                  f"CPU); the full run above: {full.evaluated / full_seconds / rate:.1f}x that rate "
                  f"({full.evaluated / full_cpu / (done.evaluated / cpu):.1f}x by CPU)")
            rowwise.dispose()
        engine.dispose()


if __name__ == "__main__":
    main()
