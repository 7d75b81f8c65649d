"""The payment list: confirmed 免申即享 cases, with their deadlines (what is overdue, in working days), and the
totals per department and year against the budget the office set, with a warning when a list exceeds it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.matching.office_tables import Budget, WaiverCase
from guangxi_subsidy.engine.matching.windows import standing, windows
from guangxi_subsidy.engine.matching.workdays import CalendarError, workdays_between
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.tables import Applicant


def yuan(fen: int) -> str:
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def set_budget(session: Session, department: str, year: int, amount_fen: int, by: str, when: dt.datetime) -> None:
    """The budget of a department for a year (a later setting replaces an earlier one)."""
    if amount_fen < 0:
        raise RegisterError(f"预算 {yuan(amount_fen)}：预算不能为负数")
    session.add(Budget(department=department, year=year, amount_fen=amount_fen, set_at=when, set_by=by))
    session.flush()


def budgets(session: Session) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    for row in session.scalars(select(Budget).order_by(Budget.pk)):
        out[(row.department, row.year)] = row.amount_fen
    return out


def cases(session: Session, statuses: tuple[str, ...]) -> list[tuple[WaiverCase, str]]:
    query = select(WaiverCase, Applicant.ref).join(Applicant, Applicant.pk == WaiverCase.applicant_pk).where(
        WaiverCase.status.in_(statuses)).order_by(WaiverCase.pk)
    return [(case, ref) for case, ref in session.execute(query)]


def case_json(case: WaiverCase, ref: str, today: dt.date,
              window: tuple[dt.date, dt.date] | None = None) -> dict[str, Any]:
    """A case, with what is overdue: a payment past its deadline (working days late), an answer still awaited
    after the item's application window closed."""
    late = None  # (counted only once the deadline has passed: a deadline in a year not yet on the calendar)
    past = case.pay_by is not None and case.status == "confirmed" and today > case.pay_by
    if past and case.pay_by is not None:
        try:
            late = workdays_between(case.pay_by, today)
        except CalendarError:  # past the deadline, by working days the calendar cannot count yet
            late = None
    where = standing(window, today)
    awaited = case.status == "listed" and where is not None and where["state"] == "closed"
    return {"window": where, "answer_overdue": awaited, "id": ref, "rule_id": case.rule_id, "status": case.status,
            "amount": yuan(case.amount_fen),
            "department": case.department, "year": case.year, "listed_at": case.listed_at.isoformat(),
            "answered_by": case.answered_by, "pay_by": None if case.pay_by is None else case.pay_by.isoformat(),
            "overdue_workdays": late if late is not None and late > 0 else 0, "past_deadline": past}


def payment_list(session: Session, today: dt.date) -> dict[str, Any]:
    """The confirmed cases (to pay), overdue ones marked, and per department and year: the list's total, what
    was paid already, the budget, and a warning when paid plus listed exceeds it."""
    confirmed = cases(session, ("confirmed",))
    paid = cases(session, ("paid",))
    totals: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for case, _ref in confirmed:
        totals[(case.department, case.year)][0] += case.amount_fen
    for case, _ref in paid:
        totals[(case.department, case.year)][1] += case.amount_fen
    set_ = budgets(session)
    groups = []
    for (department, year), (listed, done) in sorted(totals.items()):
        budget = set_.get((department, year))
        over = budget is not None and listed + done > budget
        if budget is None:
            warning = f"{department} {year} 年：未设预算"
        elif over:
            warning = (f"{department} {year} 年：待付 {yuan(listed)} 元加已付 {yuan(done)} 元，超出预算 "
                       f"{yuan(budget)} 元 {yuan(listed + done - budget)} 元")
        else:
            warning = ""
        groups.append({"department": department, "year": year, "listed": yuan(listed), "paid": yuan(done),
                       "budget": None if budget is None else yuan(budget), "exceeds_budget": over,
                       "warning": warning})
    open_windows = windows(session)
    rows = [case_json(c, r, today, open_windows.get(c.rule_id)) for c, r in confirmed]
    return {"schema": "subsidy-match-payments/1", "cases": rows, "groups": groups,
            "overdue": [r for r in rows if r["overdue_workdays"] > 0 or r["past_deadline"]]}
