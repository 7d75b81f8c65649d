"""The awards ledger: what was granted and paid, and the profile fields computed from it.

The pack declares (`rules/ledger.yaml`) which profile fields count earlier awards and how (years covered, any
award, total amount, total in the year, loan quota used). Evaluating from the register, those fields are computed
from the ledger, each with the awards it counted, so a refusal can name them ("2017年 … 南人社〔2018〕12号");
a value the applicant declared that disagrees is kept beside the computed one and flagged.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy import data
from guangxi_subsidy.engine.i18n import N_, _
from guangxi_subsidy.engine.money import FEN, to_fen
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.periods import Period
from guangxi_subsidy.engine.register.profiles import end_of
from guangxi_subsidy.engine.register.tables import Applicant, Award
from guangxi_subsidy.engine.yamlio import load_yaml

STATUSES = (N_("proposed"), N_("approved"), N_("paid"), N_("revoked"))  # (their words translated when shown)
GRANTED = ("approved", "paid")  # what counts as received
MEASURES = ("years", "any", "amount", "amount_in_year", "quota")


@dataclass(frozen=True)
class Derivation:
    field: str
    rules: tuple[str, ...]
    measure: str
    kinds: tuple[str, ...]  # the applicants its rules are for


@functools.cache
def derivations() -> tuple[Derivation, ...]:
    """The pack's declaration of the fields computed from the ledger."""
    declared = load_yaml((data.RULES / "ledger.yaml").read_text(encoding="utf-8"))
    out = []
    for item in declared["derived"]:
        if item["measure"] not in MEASURES:
            raise ValueError(f"rules/ledger.yaml: {item['field']}: measure '{item['measure']}' is not one of "
                             f"{', '.join(MEASURES)}")
        out.append(Derivation(str(item["field"]), tuple(str(r) for r in item["rules"]), str(item["measure"]),
                              tuple(str(k) for k in item["kinds"])))
    return tuple(out)


@dataclass(frozen=True)
class AwardView:
    """One award as the ledger holds it, amounts in yuan."""

    pk: int
    rule_id: str
    programme: str | None
    period: Period
    amount: Decimal
    quota: Decimal | None
    decision_date: dt.date
    reference: str
    status: str

    def text(self, rule_name: str | None = None) -> str:
        """`2017 创业孵化基地房租和宽带接入费补助 550000.00 yuan, decided 2018-03-01, 南人社〔2018〕12号 (paid)`: the
        programme, else the rule's name when given, else its id."""
        return _("{0} {1} {2} yuan, decided {3}, {4} ({5})").format(
            self.period, self.programme or rule_name or self.rule_id, self.amount, self.decision_date.isoformat(),
            self.reference, _(self.status))

    def as_json(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "programme": self.programme, "period": str(self.period),
                "amount": str(self.amount), "quota": None if self.quota is None else str(self.quota),
                "decision_date": self.decision_date.isoformat(), "reference": self.reference, "status": self.status}


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else (Decimal(fen) / 100).quantize(FEN)


def awards_of(session: Session, applicant: Applicant, known_on: dt.date | None = None) -> list[AwardView]:
    """Every award of the applicant recorded by the end of `known_on` (all: None), by decision date."""
    query = select(Award).where(Award.applicant_pk == applicant.pk)
    if known_on is not None:
        query = query.where(Award.recorded_at <= end_of(known_on))
    out = [AwardView(a.pk, a.rule_id, a.programme, Period(a.period_start, a.period_end), _yuan(a.amount_fen) or
                     Decimal("0.00"), _yuan(a.quota_fen), a.decision_date, a.reference, a.status)
           for a in session.scalars(query)]
    out.sort(key=lambda a: (a.decision_date, a.pk))
    return out


@dataclass(frozen=True)
class Derived:
    """A field computed from the ledger: its value (as a profile holds it), the awards counted, and what the
    applicant declared when that differs."""

    field: str
    value: str
    awards: tuple[AwardView, ...]
    declared: str | None = None

    @property
    def disagrees(self) -> bool:
        return self.declared is not None and not _same(self.declared, self.value)

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value, "awards": [a.as_json() for a in self.awards],
                "declared": self.declared, "disagrees": self.disagrees}


def _same(declared: str, computed: str) -> bool:
    try:
        return Decimal(declared) == Decimal(computed)
    except ArithmeticError:
        return declared.strip().lower() == computed


def derive(awards: Iterable[AwardView], on: dt.date, declared: dict[str, str], kind: str) -> list[Derived]:
    """The value on `on` of each field the ledger counts for this kind of applicant, from the awards granted by
    then (see rules/ledger.yaml)."""
    granted = [a for a in awards if a.status in GRANTED and a.decision_date <= on]
    out = []
    for derivation in (d for d in derivations() if kind in d.kinds):
        mine = tuple(a for a in granted if a.rule_id in derivation.rules)
        if derivation.measure == "amount_in_year":
            mine = tuple(a for a in mine if on.year in a.period.years())
        out.append(Derived(derivation.field, _measure(derivation.measure, mine), mine,
                           declared.get(derivation.field)))
    return out


def _measure(measure: str, awards: tuple[AwardView, ...]) -> str:
    if measure == "years":
        return str(len({year for a in awards for year in a.period.years()}))
    if measure == "any":
        return "true" if awards else "false"
    if measure == "quota":
        return str(sum((a.quota or Decimal("0.00") for a in awards), Decimal("0.00")))
    return str(sum((a.amount for a in awards), Decimal("0.00")))


@dataclass(frozen=True)
class NewAward:
    rule_id: str
    period: Period
    amount: Decimal
    decision_date: dt.date
    reference: str
    status: str = "approved"
    programme: str | None = None
    quota: Decimal | None = None


def record_award(session: Session, applicant: Applicant, award: NewAward, recorded_by: str,
                 when: dt.datetime) -> Award:
    """Add an award to the ledger (a period is required: what the award covers)."""
    if award.status not in STATUSES:
        raise RegisterError(_("status '{0}': expected one of {1}").format(award.status, ", ".join(STATUSES)))
    if award.period.start is None or award.period.end is None:
        raise RegisterError(_("an award needs the period it covers (--period 2017, 2017Q2, …)"))
    if award.amount < 0:
        raise RegisterError(_("amount {0}: an award is not negative").format(award.amount))
    row = Award(applicant_pk=applicant.pk, rule_id=award.rule_id, programme=award.programme,
                period_start=award.period.start, period_end=award.period.end, amount_fen=to_fen(award.amount),
                quota_fen=None if award.quota is None else to_fen(award.quota), decision_date=award.decision_date,
                reference=award.reference, status=award.status, recorded_at=when, recorded_by=recorded_by)
    session.add(row)
    session.flush()
    return row
