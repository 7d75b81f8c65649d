"""`subsidy match` on a stored register: a full run against an incremental run after a change touching 5% of the
applicants, in the same run (the ratio is what counts; seconds depend on the machine).

    .venv/bin/python benchmarks/match_incremental.py [--applicants 1000000] [--changed 0.05] [--db URL]

The register is made in a temporary SQLite file (or the database `--db` names, emptied first): applicants of
three kinds and places with a few facts each, inserted in bulk; then `match` (full), a change of one fact for
5% of them (recorded as an import records it), and `match` again (incremental).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.evaluation.evaluate import Engine as RulesEngine
from guangxi_subsidy.engine.matching.run import match
from guangxi_subsidy.engine.register import database
from guangxi_subsidy.engine.register.facts import Change, Source, record
from guangxi_subsidy.engine.register.periods import parse_period
from guangxi_subsidy.engine.register.tables import Applicant, Fact
from guangxi_subsidy.engine.rules.pack import load_pack

KINDS = (("incubation_base", "nanning", ("recognised_incubation_base", "rent_and_broadband_paid")),
         ("enterprise", "wuzhou", ("small_micro_enterprise", "annual_taxable_income")),
         ("enterprise", "nanning", ("in_incubation_base", "has_site_lease")))
CHUNK = 20_000


def fill(engine: object, count: int, seed: int) -> None:
    rng = random.Random(seed)
    when = dt.datetime(2019, 1, 1)
    period = parse_period("2019")
    with Session(engine) as session, session.begin():  # type: ignore[call-overload]
        for start in range(0, count, CHUNK):
            size = min(CHUNK, count - start)
            rows = [{"pk": start + i + 1, "ref": f"B{start + i:09d}", "holder": "organisation",
                     "kind": KINDS[(start + i) % 3][0], "city": KINDS[(start + i) % 3][1], "created_at": when}
                    for i in range(size)]
            session.execute(insert(Applicant), rows)
            facts = []
            for row in rows:
                kind = KINDS[(row["pk"] - 1) % 3]
                values = ("true", str(rng.randrange(0, 1_000_000))) if kind[0] == "incubation_base" else (
                    (rng.choice(("true", "false")), str(rng.randrange(0, 10_000_000))) if kind[1] == "wuzhou"
                    else ("true", rng.choice(("true", "false"))))
                for field, value in zip(kind[2], values, strict=True):
                    facts.append({"applicant_pk": row["pk"], "field": field, "value": value,
                                  "period_start": period.start, "period_end": period.end, "version": 1,
                                  "reason": None, "recorded_at": when, "recorded_by": "bench",
                                  "source_kind": "department", "source": "人社", "source_file": None,
                                  "source_row": None})
            session.execute(insert(Fact), facts)


def change(engine: object, count: int, share: float, seed: int) -> int:
    rng = random.Random(seed + 1)
    chosen = rng.sample(range(1, count + 1), max(1, int(count * share)))
    source = Source("department", "人社", "bench")
    period = parse_period("2019")
    changes = [Change(pk, False, KINDS[(pk - 1) % 3][2][1], "12345" if (pk - 1) % 3 != 2 else "false",
                      period, source) for pk in chosen]
    with Session(engine) as session, session.begin():  # type: ignore[call-overload]
        _counts, touched = record(session, changes, reason_for_change="bench change")
    return len(touched)  # (a value drawn equal to the one held changes nothing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=1_000_000)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--db", help="a database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = database.connect(args.db or f"sqlite:///{Path(folder) / 'bench.db'}")
        database.upgrade(engine)
        fill(engine, args.applicants, 7)
        rules = RulesEngine(load_pack())
        day = dt.date(2019, 6, 1)
        started = time.perf_counter()
        full = match(engine, rules, day)
        full_seconds = time.perf_counter() - started
        touched = change(engine, args.applicants, args.changed, 7)
        started = time.perf_counter()
        incremental = match(engine, rules, day)
        incremental_seconds = time.perf_counter() - started
        print(f"applicants stored: {args.applicants:,}; with a changed fact: {touched:,} (drawn: {args.changed:.0%})")
        print(f"full run:        {full.evaluated:>9,} evaluated in {full_seconds:8.2f} s "
              f"({full.evaluated / full_seconds:,.0f}/s), {len(full.pushed):,} pushes")
        print(f"incremental run: {incremental.evaluated:>9,} evaluated in {incremental_seconds:8.2f} s, "
              f"{len(incremental.pushed):,} pushes")
        print(f"incremental / full: {incremental_seconds / full_seconds:.3f} "
              f"({full_seconds / incremental_seconds:.1f}x faster)")
        engine.dispose()


if __name__ == "__main__":
    main()
