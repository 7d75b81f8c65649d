"""The profiles of a block of applicants on a date, with the keys of the facts and awards each was built from.

The same choice of facts and the same ledger fields as the register's own (`profiles.applying`, `ledger.derive`);
what this adds is the key of each fact taken and of each award counted, so a decision's receipt names exactly
the versions it read and `subsidy match why` can build the same profile again from them alone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.register.ledger import AwardView, derivations, derive
from guangxi_subsidy.engine.register.periods import Period
from guangxi_subsidy.engine.register.profiles import KnownFact, applying, profile_data
from guangxi_subsidy.engine.register.tables import Applicant, Award, Fact, PersonalFact


@dataclass(frozen=True)
class Loaded:
    """One applicant's profile mapping on the date, and what it was built from."""

    applicant: Applicant
    data: dict[str, Any]
    facts: dict[str, tuple[int, int, bool, str]]  # field: (fact key, version, personal, source kind)
    awards: tuple[int, ...]  # the keys of the awards the ledger fields counted


def _known(row: Fact | PersonalFact, personal: bool) -> KnownFact:
    return KnownFact(row.field, row.value, Period(row.period_start, row.period_end), row.version, row.reason,
                     row.recorded_at, row.recorded_by, row.source_kind, row.source, row.source_file,
                     row.source_row, personal)


def _award(award: Award) -> AwardView:
    return AwardView(award.pk, award.rule_id, award.programme, Period(award.period_start, award.period_end),
                     Decimal(award.amount_fen) / 100,
                     None if award.quota_fen is None else Decimal(award.quota_fen) / 100,
                     award.decision_date, award.reference, award.status)


def build(applicant: Applicant, rows: Iterable[tuple[Fact | PersonalFact, bool]], awards: Sequence[AwardView],
          as_of: dt.date) -> Loaded:
    """The profile of `applicant` on `as_of` from these fact rows and awards (all of them, or a receipt's)."""
    keyed: dict[int, tuple[int, bool]] = {}
    known = []
    for row, personal in rows:
        fact = _known(row, personal)
        known.append(fact)
        keyed[id(fact)] = (row.pk, personal)
    chosen = applying(known, as_of)
    data = profile_data(applicant, chosen, as_of)
    declared = {d.field: str(data[d.field]) for d in derivations() if d.field in data}
    counted: set[int] = set()
    for item in derive(awards, as_of, declared, applicant.kind):
        data[item.field] = item.value
        counted.update(a.pk for a in item.awards)
    facts = {name: (keyed[id(f)][0], f.version, keyed[id(f)][1], f.source_kind) for name, f in chosen.items()}
    return Loaded(applicant, data, facts, tuple(sorted(counted)))


def load_block(session: Session, applicants: Sequence[Applicant], as_of: dt.date) -> list[Loaded]:
    """The profiles of `applicants` on `as_of` (two queries for the facts, one for the awards)."""
    pks = [a.pk for a in applicants]
    rows: dict[int, list[tuple[Fact | PersonalFact, bool]]] = defaultdict(list)
    tables: tuple[tuple[type[Fact] | type[PersonalFact], bool], ...] = ((Fact, False), (PersonalFact, True))
    for table, personal in tables:
        found: list[Fact | PersonalFact] = list(session.scalars(select(table).where(table.applicant_pk.in_(pks))))
        for row in found:
            rows[row.applicant_pk].append((row, personal))
    awards: dict[int, list[AwardView]] = defaultdict(list)
    for award in session.scalars(select(Award).where(Award.applicant_pk.in_(pks))):
        awards[award.applicant_pk].append(_award(award))
    return [build(a, rows.get(a.pk, []), awards.get(a.pk, []), as_of) for a in applicants]


def load_receipt(session: Session, applicant: Applicant, fact_keys: dict[str, list[Any]], award_keys: list[int],
                 as_of: dt.date) -> Loaded:
    """The profile a decision read, from its receipt's fact and award keys only (for `subsidy match why`)."""
    plain = [k for k, _v, personal, *_rest in fact_keys.values() if not personal]
    personal_keys = [k for k, _v, personal, *_rest in fact_keys.values() if personal]
    rows: list[tuple[Fact | PersonalFact, bool]] = []
    if plain:
        rows += [(r, False) for r in session.scalars(select(Fact).where(Fact.pk.in_(plain)))]
    if personal_keys:
        rows += [(r, True) for r in session.scalars(select(PersonalFact).where(PersonalFact.pk.in_(personal_keys)))]
    awards = [_award(a) for a in session.scalars(select(Award).where(Award.pk.in_(award_keys or [-1])))]
    return build(applicant, rows, awards, as_of)
