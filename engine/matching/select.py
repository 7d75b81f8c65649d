"""Which applicants a run evaluates: all of them the first time (or when asked); after that only those whose
facts or awards were recorded since the last run, those a changed rule concerns, and those a new date reaches
(a rule's horizon crossed, a fact's period begun or ended, an award decided in between)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.matching.changes import Print, changed_rules, crossed, reach
from guangxi_subsidy.engine.matching.tables import MatchRun
from guangxi_subsidy.engine.register.tables import Applicant, Award, Fact, PersonalFact
from guangxi_subsidy.engine.rules.pack import RulePack


@dataclass(frozen=True)
class Marks:
    """The register's high-water marks: the last keys recorded."""

    fact: int
    personal_fact: int
    award: int
    applicant: int


def marks(session: Session) -> Marks:
    def top(column: object) -> int:
        return int(session.scalar(select(func.coalesce(func.max(column), 0))) or 0)

    return Marks(top(Fact.pk), top(PersonalFact.pk), top(Award.pk), top(Applicant.pk))


@dataclass
class Choice:
    """The applicants to evaluate (None: all) and why, group by group."""

    pks: set[int] | None
    reasons: dict[str, int] = field(default_factory=dict)
    rules_changed: list[str] = field(default_factory=list)
    rules_crossed: list[str] = field(default_factory=list)


def _of_pairs(session: Session, pairs: set[tuple[str, str]]) -> set[int]:
    if not pairs:
        return set()
    kinds, cities = {k for k, _c in pairs}, {c for _k, c in pairs}
    query = select(Applicant.pk, Applicant.kind, Applicant.city).where(
        Applicant.kind.in_(kinds), Applicant.city.in_(cities), Applicant.forgotten_at.is_(None))
    return {pk for pk, kind, city in session.execute(query) if (kind, city) in pairs}


def _recorded_since(session: Session, last: MatchRun) -> set[int]:
    out: set[int] = set()
    out.update(session.scalars(select(Fact.applicant_pk).where(Fact.pk > last.last_fact).distinct()))
    out.update(session.scalars(select(PersonalFact.applicant_pk).where(PersonalFact.pk > last.last_personal_fact)
                               .distinct()))
    out.update(session.scalars(select(Award.applicant_pk).where(Award.pk > last.last_award).distinct()))
    out.update(session.scalars(select(Applicant.pk).where(Applicant.pk > last.last_applicant)))
    return out


def _dated_between(session: Session, low: dt.date, high: dt.date) -> set[int]:
    """Applicants a fact's period starts or ends for, or an award is decided for, after `low` up to `high`."""
    out: set[int] = set()
    for table in (Fact, PersonalFact):
        out.update(session.scalars(select(table.applicant_pk).where(or_(
            (table.period_start > low) & (table.period_start <= high),
            (table.period_end >= low) & (table.period_end < high))).distinct()))
    out.update(session.scalars(select(Award.applicant_pk).where(
        (Award.decision_date > low) & (Award.decision_date <= high)).distinct()))
    if low.year != high.year:  # a year's totals of awards start again
        out.update(session.scalars(select(Award.applicant_pk).distinct()))
    return out


def choose(session: Session, pack: RulePack, now: dict[str, Print], as_of: dt.date, last: MatchRun | None,
           before: dict[str, Print], full: bool) -> Choice:
    """The applicants this run evaluates."""
    if last is None or full:
        return Choice(None, {"full": 1})
    chosen = _recorded_since(session, last)
    choice = Choice(chosen, {"facts_recorded": len(chosen)})
    if last.rules_digest != pack.digest:
        rules = changed_rules(before, now)
        concerned = _of_pairs(session, reach(rules, before, now))
        choice.rules_changed = sorted(rules)
        choice.reasons["rules_changed"] = len(concerned)
        chosen |= concerned
    if last.as_of != as_of:
        rules = crossed(pack, last.as_of, as_of)
        concerned = _of_pairs(session, reach(rules, now)) | _dated_between(
            session, min(last.as_of, as_of), max(last.as_of, as_of))
        choice.rules_crossed = sorted(rules)
        choice.reasons["date_crossed"] = len(concerned)
        chosen |= concerned
    return choice
