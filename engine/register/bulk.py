"""Every applicant's profile on a date, a block of applicants at a time (two queries per block: their facts and
their awards), for export and for evaluating the whole register: the same choice of facts and the same ledger
fields as one applicant's profile (`profiles.applying`, `ledger.derive`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.ledger import AwardView, derivations, derive
from guangxi_subsidy.engine.register.periods import Period
from guangxi_subsidy.engine.register.profiles import KnownFact, applying, end_of, profile_data
from guangxi_subsidy.engine.register.tables import Applicant, Award, Fact, PersonalFact

BLOCK = 20_000  # applicants read at a time
WHERE_KEYS = ("kind", "city")


def parse_where(text: str | None) -> dict[str, str]:
    """`kind=enterprise,city=南宁` as a filter on the applicants' kind and city (their codes or Chinese names)."""
    from guangxi_subsidy.engine.applicant.spellings import read_choice

    out: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in WHERE_KEYS or not value.strip():
            raise RegisterError(_("--where '{0}': expected kind=… or city=…, separated by commas").format(part))
        try:
            out[key] = str(read_choice(key, value.strip()))
        except ValueError as error:
            raise RegisterError(f"--where {key}: {error}") from None
    return out


def _applicants(where: dict[str, str]) -> Select[Any]:
    query = select(Applicant).where(Applicant.forgotten_at.is_(None)).order_by(Applicant.pk)
    if "kind" in where:
        query = query.where(Applicant.kind == where["kind"])
    if "city" in where:
        query = query.where(Applicant.city == where["city"])
    return query


def profiles(session: Session, as_of: dt.date, where: dict[str, str] | None = None,
             known_on: dt.date | None = None) -> Iterator[list[dict[str, Any]]]:
    """Blocks of profile mappings (as a profile file holds them) of the applicants matching `where`."""
    last = 0
    while True:
        block: list[Applicant] = list(session.scalars(_applicants(where or {}).where(Applicant.pk > last)
                                                      .limit(BLOCK)))
        if not block:
            return
        last = block[-1].pk
        yield _block(session, block, as_of, known_on)


def _block(session: Session, block: list[Applicant], as_of: dt.date, known_on: dt.date | None) -> list[dict[str, Any]]:
    pks = [a.pk for a in block]
    facts: dict[int, list[KnownFact]] = defaultdict(list)
    tables: tuple[tuple[type[Fact] | type[PersonalFact], bool], ...] = ((Fact, False), (PersonalFact, True))
    for table, personal in tables:
        query = select(table).where(table.applicant_pk.in_(pks))
        if known_on is not None:
            query = query.where(table.recorded_at <= end_of(known_on))
        rows: list[Fact | PersonalFact] = list(session.scalars(query))
        for row in rows:
            facts[row.applicant_pk].append(KnownFact(
                row.field, row.value, Period(row.period_start, row.period_end), row.version, row.reason,
                row.recorded_at, row.recorded_by, row.source_kind, row.source, row.source_file, row.source_row,
                personal))
    awards: dict[int, list[AwardView]] = defaultdict(list)
    query_awards = select(Award).where(Award.applicant_pk.in_(pks))
    if known_on is not None:
        query_awards = query_awards.where(Award.recorded_at <= end_of(known_on))
    for award in session.scalars(query_awards):
        awards[award.applicant_pk].append(AwardView(
            award.pk, award.rule_id, award.programme, Period(award.period_start, award.period_end),
            Decimal(award.amount_fen) / 100, None if award.quota_fen is None else Decimal(award.quota_fen) / 100,
            award.decision_date, award.reference, award.status))
    fields = [d.field for d in derivations()]
    out = []
    for applicant in block:
        data = profile_data(applicant, applying(facts.get(applicant.pk, []), as_of), as_of)
        declared = {f: str(data[f]) for f in fields if f in data}
        for item in derive(awards.get(applicant.pk, []), as_of, declared, applicant.kind):
            data[item.field] = item.value
        out.append(data)
    return out
