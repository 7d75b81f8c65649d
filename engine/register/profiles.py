"""An applicant's profile on a date, built from the facts that apply then; and what was known on a given day.

For each field, the facts recorded up to the as-known moment (all of them when not asked) are taken at their
latest version per period. Of those, the one that applies on the date is, in order: a fact whose period covers
the date (the latest-starting, then the narrowest, if several do); a standing fact (no period); the fact of
the latest period that ended before the date (the most recent value known, shown with its period so a reader
sees its age). A fact whose period starts after the date never applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.register.periods import Period
from guangxi_subsidy.engine.register.tables import Applicant, Fact, PersonalFact


@dataclass(frozen=True)
class KnownFact:
    """One recorded value, with everything that says where it came from."""

    field: str
    value: str
    period: Period
    version: int
    reason: str | None
    recorded_at: dt.datetime
    recorded_by: str
    source_kind: str
    source: str
    source_file: str | None
    source_row: int | None
    personal: bool

    def source_text(self) -> str:
        """The source as a person reads it: `税务, file.csv row 3`."""
        where = ""
        if self.source_file:
            where = f", {self.source_file}" + (f" 第{self.source_row}行" if self.source_row is not None else "")
        return f"{self.source}{where}"

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value, "period": str(self.period) or None,
                "version": self.version, "reason": self.reason, "recorded_at": self.recorded_at.isoformat(),
                "recorded_by": self.recorded_by, "source": {"kind": self.source_kind, "name": self.source,
                                                            "file": self.source_file, "row": self.source_row}}


def end_of(day: dt.date) -> dt.datetime:
    """The last moment of a day (UTC): what was recorded on day T counts as known on T."""
    return dt.datetime.combine(day, dt.time.max)


def facts_of(session: Session, applicant: Applicant, known_on: dt.date | None = None) -> list[KnownFact]:
    """Every fact of the applicant recorded by the end of `known_on` (every fact: None), oldest first."""
    out: list[KnownFact] = []
    tables: tuple[tuple[type[Fact] | type[PersonalFact], bool], ...] = ((Fact, False), (PersonalFact, True))
    for table, personal in tables:
        query = select(table).where(table.applicant_pk == applicant.pk)
        if known_on is not None:
            query = query.where(table.recorded_at <= end_of(known_on))
        rows: list[Fact | PersonalFact] = list(session.scalars(query))
        for row in rows:
            out.append(KnownFact(row.field, row.value, Period(row.period_start, row.period_end), row.version,
                                 row.reason, row.recorded_at, row.recorded_by, row.source_kind, row.source,
                                 row.source_file, row.source_row, personal))
    out.sort(key=lambda f: (f.recorded_at, f.field, f.period.start or dt.date.min, f.version))
    return out


def current_versions(facts: Iterable[KnownFact]) -> list[KnownFact]:
    """The latest version of each field and period."""
    latest: dict[tuple[str, Period], KnownFact] = {}
    for fact in facts:
        key = (fact.field, fact.period)
        if key not in latest or latest[key].version < fact.version:
            latest[key] = fact
    return list(latest.values())


def _rank(fact: KnownFact, day: dt.date) -> tuple[int, dt.date, int]:
    """Covering the day, then standing, then past; then the latest start; then the narrowest period (a quarter's
    value over the year's, when both cover the day). `bulk` orders the same way."""
    if fact.period.standing:
        return (1, dt.date.min, 0)
    assert fact.period.start is not None and fact.period.end is not None
    return (2 if fact.period.covers(day) else 0, fact.period.start, -fact.period.end.toordinal())


def applying(facts: Iterable[KnownFact], day: dt.date) -> dict[str, KnownFact]:
    """The fact of each field that applies on `day` (see the module's note for the order)."""
    chosen: dict[str, KnownFact] = {}
    for fact in current_versions(facts):
        if fact.period.start is not None and fact.period.start > day:
            continue
        held = chosen.get(fact.field)
        if held is None or _rank(fact, day) > _rank(held, day):
            chosen[fact.field] = fact
    return chosen


def profile_data(applicant: Applicant, chosen: dict[str, KnownFact], day: dt.date) -> dict[str, Any]:
    """The profile mapping (as a profile file would hold it) of the applicant on `day`."""
    data: dict[str, Any] = {"id": applicant.ref, "kind": applicant.kind, "city": applicant.city,
                            "as_of": day.isoformat()}
    for name, fact in chosen.items():
        if name not in ("id", "kind", "as_of"):
            data[name] = fact.value
    return data
