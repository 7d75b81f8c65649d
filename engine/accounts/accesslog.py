"""The access log: who read or changed which applicant's file, when, which fields, through which page or call.

Rows are only added; the database refuses to update one (a trigger, migration 0005). The only removal is the
purge of rows older than the retention the office set (`subsidy users retention DAYS`). Exported as CSV with
stable English column keys (a program's file), UTF-8 with a BOM so a spreadsheet opens it in Chinese.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts.policy import REGION, Principal
from guangxi_subsidy.engine.accounts.tables import AccessEntry
from guangxi_subsidy.engine.accounts.users import retention_days
from guangxi_subsidy.engine.register.tables import Applicant

COLUMNS = ("at", "who", "role", "applicant_id", "action", "fields", "via")


def record(session: Session, who: Principal, ref: str, action: str, fields: Iterable[str], via: str,
           now: dt.datetime) -> None:
    session.add(AccessEntry(at=now, who=who.name, role=who.role, applicant_ref=ref, action=action,
                            fields=",".join(sorted(set(fields))), via=via[:300]))


def entries(session: Session, scope: str = REGION, limit: int | None = None) -> list[AccessEntry]:
    """Newest first; for a city's auditor, the files of that city only."""
    query = select(AccessEntry).order_by(AccessEntry.pk.desc())
    if scope != REGION:
        query = query.join(Applicant, Applicant.ref == AccessEntry.applicant_ref).where(Applicant.city == scope)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def export_csv(rows: Iterable[AccessEntry]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.at.isoformat(), row.who, row.role, row.applicant_ref, row.action, row.fields, row.via])
    return "\ufeff".encode() + out.getvalue().encode()


def purge(session: Session, now: dt.datetime) -> int:
    """Remove the rows older than the retention; how many went."""
    cutoff = now - dt.timedelta(days=retention_days(session))
    result = session.execute(delete(AccessEntry).where(AccessEntry.at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
