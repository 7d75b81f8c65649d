"""免申即享: the items the office pays without application, and their cases from listing to payment.

An item is a rule the office marks payable without application, with its reason, under the pack's digest. After
each match, an applicant eligible for such an item goes to its list only when every fact the rule decides on
came from a department's data (`source_kind` department; the awards ledger's fields are the office's own
record) and not from the applicant's declaration, an uploaded file or an officer's entry. The applicant (or the
officer for it) confirms or declines (意愿确认); a confirmed case has a payment deadline in working days and
joins the payment list; its payment is an award in the ledger, so the next match counts it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.matching.office_tables import PayableItem, WaiverCase
from guangxi_subsidy.engine.matching.tables import Decision, MatchSnapshot
from guangxi_subsidy.engine.matching.workdays import add_workdays
from guangxi_subsidy.engine.register.applicants import find
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.ledger import NewAward, record_award
from guangxi_subsidy.engine.register.periods import Period
from guangxi_subsidy.engine.rules.departments import canonical
from guangxi_subsidy.engine.rules.pack import RulePack

PAY_WITHIN = 15  # working days from confirmation to payment, unless the office says otherwise
OPEN = ("listed", "confirmed", "paid")


def set_payable(session: Session, pack: RulePack, rule_id: str, reason: str, by: str, when: dt.datetime,
                active: bool = True) -> PayableItem:
    """Mark (or, `active` false, unmark) a rule as paid without application, with the reason and the digest."""
    if rule_id not in pack.rules:
        raise RegisterError(f"规则 {rule_id} 不在当前规则包中")
    if active and not reason.strip():
        raise RegisterError("免申即享需写明理由（--reason）")
    row = PayableItem(rule_id=rule_id, reason=reason.strip(), rules_digest=pack.digest, active=active, set_at=when,
                      set_by=by)
    session.add(row)
    session.flush()
    return row


def payable(session: Session) -> dict[str, PayableItem]:
    """The items paid without application now (each rule's latest setting, if active)."""
    latest: dict[str, PayableItem] = {}
    for row in session.scalars(select(PayableItem).order_by(PayableItem.pk)):
        latest[row.rule_id] = row
    return {k: v for k, v in latest.items() if v.active}


def deciding_fields(pack: RulePack, rule_id: str) -> set[str]:
    """The profile fields a rule decides on: its own and those of the derived facts it requires."""
    rule = pack.rules.get(rule_id) or pack.derived[rule_id]
    names = set(rule.fields_read())
    for need in rule.requires:
        names |= deciding_fields(pack, need)
    return names - set(pack.parameters)


def from_departments(pack: RulePack, rule_id: str, facts: dict[str, list[object]]) -> bool:
    """Whether every fact the rule decides on that the profile holds came from a department's data."""
    return all(facts[name][3] == "department" for name in deciding_fields(pack, rule_id) if name in facts)


def list_cases(session: Session, pack: RulePack, run_pk: int, when: dt.datetime) -> int:
    """Put this run's eligible applicants of payable items on their lists (once per applicant, item and year)."""
    items = payable(session)
    if not items:
        return 0
    query = select(Decision).where(Decision.run_pk == run_pk, Decision.status == "eligible",
                                   Decision.rule_id.in_(items), Decision.amount_fen.is_not(None))
    listed = 0
    for decision in session.scalars(query):
        held = session.scalars(select(WaiverCase).where(
            WaiverCase.applicant_pk == decision.applicant_pk, WaiverCase.rule_id == decision.rule_id,
            WaiverCase.year == decision.as_of.year, WaiverCase.status.in_(OPEN))).first()
        snapshot = session.scalars(select(MatchSnapshot).where(MatchSnapshot.run_pk == decision.run_pk,
                                                MatchSnapshot.applicant_pk == decision.applicant_pk)).first()
        if held is not None or snapshot is None or not from_departments(pack, decision.rule_id,
                                                                         json.loads(snapshot.facts)):
            continue
        rule = pack.rules[decision.rule_id]
        lead = rule.rule.departments[0] if rule.rule.departments else "未指明部门"
        assert decision.amount_fen is not None
        session.add(WaiverCase(applicant_pk=decision.applicant_pk, rule_id=decision.rule_id, decision_pk=decision.pk,
                               amount_fen=decision.amount_fen, department=canonical(lead, rule.jurisdiction),
                               year=decision.as_of.year, status="listed", listed_at=when))
        listed += 1
    session.flush()
    return listed


def case_of(session: Session, ref: str, rule_id: str, statuses: tuple[str, ...]) -> WaiverCase:
    applicant = find(session, ref)
    case = session.scalars(select(WaiverCase).where(
        WaiverCase.applicant_pk == applicant.pk, WaiverCase.rule_id == rule_id, WaiverCase.status.in_(statuses))
        .order_by(WaiverCase.pk.desc())).first()
    if case is None:
        raise RegisterError(f"{ref}：{rule_id} 没有状态为 {'/'.join(statuses)} 的免申即享案件")
    return case


def answer(session: Session, ref: str, rule_id: str, confirmed: bool, by: str, when: dt.datetime,
           pay_within: int = PAY_WITHIN, deadline: dt.date | None = None) -> WaiverCase:
    """Record the applicant's answer (意愿确认); a confirmation sets the payment deadline in working days, or
    on the day the office gives (`deadline`: for a year the official calendar does not cover yet)."""
    if deadline is not None and deadline < when.date():
        raise RegisterError(f"--deadline {deadline.isoformat()}：支付期限早于确认日 {when.date().isoformat()}，"
                            f"应为确认日当天或以后的日期")
    case = case_of(session, ref, rule_id, ("listed",))
    case.status = "confirmed" if confirmed else "declined"
    case.answered_at, case.answered_by = when, by
    case.pay_by = (deadline or add_workdays(when.date(), pay_within)) if confirmed else None
    session.flush()
    return case


def pay(session: Session, ref: str, rule_id: str, reference: str, decided: dt.date, by: str,
        when: dt.datetime) -> WaiverCase:
    """Pay a confirmed case: an award in the ledger (paid, the case's amount, for its year)."""
    case = case_of(session, ref, rule_id, ("confirmed",))
    period = Period(dt.date(case.year, 1, 1), dt.date(case.year, 12, 31))
    award = record_award(session, find(session, ref), NewAward(rule_id, period, Decimal(case.amount_fen) / 100,
                                                                decided, reference, "paid", "免申即享"), by, when)
    case.status, case.paid_at, case.award_pk = "paid", when, award.pk
    session.flush()
    return case
