"""Recording facts: a value of a profile field for a period, with its source; never overwritten.

A value equal to the latest version for the same applicant, field and period changes nothing (so importing a
file twice changes nothing); a different value is a new version, with its reason. Values are kept as the text a
profile file holds (`canonical`), so that what was recorded is what the rules read, and two spellings of one value
(`90万`, `900000`) are one value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.register.periods import Period
from guangxi_subsidy.engine.register.tables import Fact, PersonalFact

SOURCE_KINDS = ("department", "file", "declaration", "officer")
NOT_FACTS = ("id", "kind", "as_of")  # the file's key and kind; an evaluation's date is not a fact about anyone


def kept(field: str, personal: bool) -> bool:
    """Whether the register keeps this field: every profile field of an organisation; of a person, only the
    fields the rules read, and the city (PIPL: no more personal data than the decisions need; a person's name
    stays with the office's own files)."""
    if field in NOT_FACTS:
        return False
    if not personal or field == "city":
        return True
    from guangxi_subsidy.engine.applicant.fields import fields

    info = fields().get(field)
    return info is not None and info.read_by_rules


@dataclass(frozen=True)
class Source:
    """Where a value comes from and who recorded it."""

    kind: str  # department | file | declaration | officer
    name: str  # 税务, 市场监管 …; the officer's or the applicant's name
    recorded_by: str
    file: str | None = None
    row: int | None = None


@dataclass(frozen=True)
class Change:
    """One value to record for one applicant (by its key `pk`)."""

    applicant_pk: int
    personal: bool
    field: str
    value: str
    period: Period
    source: Source
    reason: str | None = None


def canonical(value: Any) -> str:
    """A profile value as the text stored: numbers without trailing zeros, true/false, ISO dates, codes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):  # one text per number: 900000, 900000.00 and 90万 are one value
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def now() -> dt.datetime:
    """The time a fact is recorded: UTC, without a zone (stored alike on SQLite and PostgreSQL)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


Key = tuple[int, str, dt.date | None, dt.date | None]
TABLES = {False: Fact.metadata.tables["facts"], True: Fact.metadata.tables["personal_facts"]}  # (Core tables)


def latest(session: Session, table: type[Fact] | type[PersonalFact], pks: Sequence[int]) -> dict[Key, tuple[int, str]]:
    """The latest version and value of every (applicant, field, period) of these applicants."""
    out: dict[Key, tuple[int, str]] = {}
    if not pks:
        return out
    query = select(table.applicant_pk, table.field, table.period_start, table.period_end, table.version,
                   table.value).where(table.applicant_pk.in_(pks))
    for pk, field, start, end, version, value in session.execute(query):
        key = (pk, field, start, end)
        if key not in out or out[key][0] < version:
            out[key] = (version, value)
    return out


@dataclass
class Counts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0


def record(session: Session, changes: Iterable[Change], when: dt.datetime | None = None,
           reason_for_change: str | None = None) -> tuple[Counts, set[int]]:
    """Record `changes` (a value already there for that period is left alone); the counts, and the applicants
    that gained a new or changed fact. `reason_for_change` is the reason written on a new version when a
    change carries none (an import names its file)."""
    changes = list(changes)
    when = when or now()
    counts, touched = Counts(), set()
    for table, personal in ((Fact, False), (PersonalFact, True)):
        mine = [c for c in changes if c.personal is personal]
        known = latest(session, table, sorted({c.applicant_pk for c in mine}))
        rows: list[dict[str, Any]] = []
        for change in mine:
            key = (change.applicant_pk, change.field, change.period.start, change.period.end)
            version, value = known.get(key, (0, None))
            if value == change.value:
                counts.unchanged += 1
                continue
            if version:
                counts.changed += 1
            else:
                counts.new += 1
            known[key] = (version + 1, change.value)
            touched.add(change.applicant_pk)
            rows.append(_row(change, version + 1, when, change.reason or (reason_for_change if version else None)))
        if rows:  # (Core's executemany: the ORM's bulk path costs as much again for rows it does not track)
            session.connection().execute(insert(TABLES[personal]), rows)
    return counts, touched


def _row(change: Change, version: int, when: dt.datetime, reason: str | None) -> dict[str, Any]:
    source = change.source
    return {"applicant_pk": change.applicant_pk, "field": change.field, "value": change.value,
            "period_start": change.period.start, "period_end": change.period.end, "version": version,
            "reason": reason, "recorded_at": when, "recorded_by": source.recorded_by, "source_kind": source.kind,
            "source": source.name, "source_file": source.file, "source_row": source.row}

