"""Budgets: each department's budget for a year against what its 免申即享 cases ask (confirmed, on the office's
payment lists, paid), with the warning when they exceed it (the matching's payment list computes the totals and
the warning; the budget is set through its `set_budget`).

A city's staff see and set the budgets of the departments that serve their city: those named after the city
(南宁市…) and those with cases in it; the region's staff, every department.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts import lists
from guangxi_subsidy.engine.accounts.policy import REGION, Principal, allowed
from guangxi_subsidy.engine.matching import payments
from guangxi_subsidy.engine.matching.office_tables import WaiverCase
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.tables import Applicant
from guangxi_subsidy.engine.web.office_common import Office, add_route, asker_of, checked_form, now, show, visit
from guangxi_subsidy.engine.web.office_views import Views, city, table

LARGEST_YUAN = Decimal("100000000000")  # 千亿元: no department's yearly budget is larger


def departments_of(session: Session, scope: str) -> set[str]:
    """The departments with cases in a jurisdiction (every department with cases, for the region)."""
    query = select(WaiverCase.department).join(Applicant, Applicant.pk == WaiverCase.applicant_pk)
    if scope != REGION:
        query = query.where(Applicant.city == scope)
    return set(session.scalars(query.distinct()))


def serves(session: Session, who: Principal, department: str) -> bool:
    return who.scope == REGION or department.startswith(city(who.scope)) or department in departments_of(
        session, who.scope)


def on_lists(session: Session, scope: str) -> dict[tuple[str, int], int]:
    """Per department and year: the fen on the payment lists of the jurisdiction not rejected."""
    pks = [pk for row in lists.visible(session, scope) if row.status != "rejected" for pk in json.loads(row.cases)]
    out: dict[tuple[str, int], int] = defaultdict(int)
    if pks:
        for case in session.scalars(select(WaiverCase).where(WaiverCase.pk.in_(pks))):
            out[(case.department, case.year)] += case.amount_fen
    return out


def budget_rows(session: Session, who: Principal) -> tuple[list[list[str]], list[str]]:
    """The table's rows and the warnings, for the departments serving `who`'s jurisdiction."""
    groups = payments.payment_list(session, now().date())["groups"]
    listed = on_lists(session, who.scope)
    seen = {(g["department"], g["year"]) for g in groups}
    for (department, year), fen in sorted(payments.budgets(session).items()):
        if (department, year) not in seen:  # a budget with no case yet
            groups.append({"department": department, "year": year, "listed": "0.00", "paid": "0.00",
                           "budget": payments.yuan(fen), "exceeds_budget": False, "warning": ""})
    rows, warnings = [], []
    for g in sorted(groups, key=lambda g: (g["department"], g["year"])):
        if not serves(session, who, g["department"]):
            continue
        rows.append([g["department"], str(g["year"]), g["budget"] or "未设", g["listed"],
                     payments.yuan(listed.get((g["department"], g["year"]), 0)), g["paid"],
                     "超出预算" if g["exceeds_budget"] else ("未设预算" if g["budget"] is None else "未超出")])
        if g["exceeds_budget"]:
            warnings.append("预警：" + g["warning"])
    return rows, warnings


def budget_form() -> dict[str, Any]:
    return {"action": "/office/budgets", "legend": "设定部门年度预算（再次设定即替换）", "hidden": {},
            "reason": False, "buttons": [("go", "1", "保存预算")],
            "inputs": [{"name": "department", "label": "部门", "required": True},
                       {"name": "year", "label": "年度（如 2026）", "required": True},
                       {"name": "amount", "label": "预算金额（元，最多两位小数）", "required": True}]}


def parsed_budget(posted: dict[str, Any]) -> tuple[str, int, int]:
    """(department, year, fen) from the form; a RegisterError names the field and what was expected."""
    department = str(posted.get("department") or "").strip()
    if not department or len(department) > 200:
        raise RegisterError("部门：应填写部门名称（1 至 200 个字）")
    year_text = str(posted.get("year") or "").strip()
    if not (year_text.isdigit() and 2000 <= int(year_text) <= 2100):
        raise RegisterError(f"年度“{year_text[:20]}”：应为 2000 至 2100 之间的年份，如 2026")
    amount_text = str(posted.get("amount") or "").strip().replace(",", "")
    try:
        amount = Decimal(amount_text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount > LARGEST_YUAN or amount != amount.quantize(Decimal("0.01")):
        raise RegisterError(f"预算金额“{amount_text[:30]}”：应为不小于 0 的金额（元），最多两位小数，"
                            "如 1500000 或 1500000.50")
    return department, int(year_text), int(amount * 100)


def router(office: Office, views: Views) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @add_route(pages, "GET", "/office/budgets", "budgets.read", response_class=HTMLResponse)
    def budgets(request: Request) -> HTMLResponse:
        with visit(office, request, "budgets.read") as here:
            rows, warnings = budget_rows(here.session, here.who)
            forms = [budget_form()] if allowed(here.who, "budgets.set") else []
            return show(request, here.asker, "预算", paragraphs=warnings, forms=forms, tables=[table(
                f"{city(here.who.scope)}相关部门的年度预算（元）",
                ["部门", "年度", "预算", "已确认待付", "已列入付款清单", "已支付", "状态"], rows,
                "尚未设定预算，也没有案件")])

    @add_route(pages, "POST", "/office/budgets", "budgets.set")
    async def set_budget(request: Request) -> Response:
        with office.session() as session:
            asker = asker_of(session, request)
        posted = await checked_form(request, asker)
        with visit(office, request, "budgets.set", asker=asker) as here:
            department, year, fen = parsed_budget(posted)
            if not serves(here.session, here.who, department):
                raise RegisterError(f"部门“{department}”：不是为{city(here.who.scope)}办理的部门，"
                                    "请由该部门所在城市或全区的经办设定")
            payments.set_budget(here.session, department, year, fen, here.who.name, now())
        return RedirectResponse("/office/budgets", status_code=303)

    return pages
