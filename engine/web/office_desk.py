"""An officer's desk beyond files and payment lists: imports (an applicant file into the register), the pushes of
a matching run (a page, and a workbook or CSV to hand to the platforms), 免申即享 confirmations recorded for an
applicant (意愿确认 given by telephone or on paper), and the departments' budgets against what is listed and paid.

Everything here goes through the register's and the matching's public functions; this module checks who may,
keeps each officer to its jurisdiction, and writes the access log.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from guangxi_subsidy.engine.accounts.policy import REGION, Principal
from guangxi_subsidy.engine.matching import export as push_export
from guangxi_subsidy.engine.matching import payments, waivers
from guangxi_subsidy.engine.matching.office_tables import WaiverCase
from guangxi_subsidy.engine.matching.store import inbox
from guangxi_subsidy.engine.matching.tables import MatchRun
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.tables import Applicant
from guangxi_subsidy.engine.web import office_budgets, office_imports
from guangxi_subsidy.engine.web.office_common import (
    Office,
    add_route,
    asker_of,
    authorized_file,
    checked_form,
    now,
    show,
    visit,
)
from guangxi_subsidy.engine.web.office_views import Views, link, table

SHOWN = 500  # rows on a page; the exports hold them all
CASE_WORDS = {"listed": "待确认", "confirmed": "已确认", "declined": "已放弃", "paid": "已支付"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cities(session: Any, refs: set[str]) -> dict[str, str]:
    if not refs:
        return {}
    return dict(session.execute(select(Applicant.ref, Applicant.city).where(Applicant.ref.in_(sorted(refs)))).all())


def scoped_pushes(session: Any, who: Principal, run: int | None) -> tuple[int | None, list[dict[str, Any]]]:
    """The pushes of a run (the latest when none is named) to the applicants of `who`'s jurisdiction."""
    if run is None:
        run = session.scalar(select(MatchRun.pk).order_by(MatchRun.pk.desc()).limit(1))
    if run is None:
        return None, []
    found = inbox(session, run=run)
    if who.scope == REGION:
        return run, found
    cities = _cities(session, {p["id"] for p in found})
    return run, [p for p in found if cities.get(p["id"]) == who.scope]


def _run_of(request: Request) -> int | None:
    text = request.query_params.get("run", "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise RegisterError(f"匹配批次“{text[:20]}”：应为批次编号（正整数）")
    return int(text)


def router(office: Office, views: Views) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    pages.include_router(office_imports.router(office, views))
    pages.include_router(office_budgets.router(office, views))

    @add_route(pages, "GET", "/office/pushes", "pushes.read", response_class=HTMLResponse)
    def pushes(request: Request) -> HTMLResponse:
        with visit(office, request, "pushes.read") as here:
            run, found = scoped_pushes(here.session, here.who, _run_of(request))
            shown = found[:SHOWN]
            for ref in sorted({p["id"] for p in shown}):
                here.log(ref, "read", ["pushes"])
            rows = [[p["id"], views.kind_word(p["kind"]), views.rule_name(p["rule_id"]), p["text"],
                     p["created_at"][:10]] for p in shown]
            runs = list(here.session.scalars(select(MatchRun).order_by(MatchRun.pk.desc()).limit(20)))
        query = "" if run is None else f"?run={run}"
        links = [(f"/office/pushes.xlsx{query}", "导出工作簿"), (f"/office/pushes.csv{query}", "导出 CSV")]
        caption = ("尚无匹配运行" if run is None else
                   f"第 {run} 批匹配的推送（共 {len(found)} 条，页面显示前 {SHOWN} 条）")
        other_runs = table("其他批次", ["批次", "匹配日期"],
                           [[link(f"/office/pushes?run={r.pk}", str(r.pk)), r.as_of.isoformat()] for r in runs])
        return show(request, here.asker, "推送清单", links=links,
                    tables=[table(caption, ["统一社会信用代码", "类别", "政策", "内容", "日期"], rows), other_runs])

    def push_file(request: Request, suffix: str) -> Response:
        with visit(office, request, "pushes.read") as here:
            run, found = scoped_pushes(here.session, here.who, _run_of(request))
            for ref in sorted({p["id"] for p in found}):
                here.log(ref, "read", ["pushes"])
            with tempfile.TemporaryDirectory(prefix="office-pushes-") as folder:
                path = Path(folder) / f"pushes{suffix}"
                push_export.write(found, path)
                content = path.read_bytes()
        media = XLSX if suffix == ".xlsx" else "text/csv; charset=utf-8"
        name = f"pushes-run{run or 0}{suffix}"
        return Response(content, media_type=media,
                        headers={"content-disposition": f'attachment; filename="{name}"'})

    @add_route(pages, "GET", "/office/pushes.xlsx", "pushes.read")
    def pushes_xlsx(request: Request) -> Response:
        return push_file(request, ".xlsx")

    @add_route(pages, "GET", "/office/pushes.csv", "pushes.read")
    def pushes_csv(request: Request) -> Response:
        return push_file(request, ".csv")

    @add_route(pages, "GET", "/office/confirmations", "waiver.record", response_class=HTMLResponse)
    def confirmations(request: Request) -> HTMLResponse:
        with visit(office, request, "waiver.record") as here:
            query = select(WaiverCase, Applicant.ref).join(Applicant, Applicant.pk == WaiverCase.applicant_pk
                                                           ).order_by(WaiverCase.pk.desc()).limit(SHOWN)
            if here.who.scope != REGION:
                query = query.where(Applicant.city == here.who.scope)
            cases = list(here.session.execute(query))
            for ref in sorted({ref for _c, ref in cases}):
                here.log(ref, "read", ["waiver_cases"])
            rows = [[ref, views.rule_name(c.rule_id), payments.yuan(c.amount_fen), c.department,
                     CASE_WORDS.get(c.status, "其他"), c.answered_by or "—",
                     "—" if c.answered_at is None else f"{c.answered_at:%Y-%m-%d}"] for c, ref in cases]
            forms = [views.waiver_record_form(ref, c) for c, ref in cases if c.status == "listed"][:50]
            return show(request, here.asker, "免申即享确认", forms=forms,
                        tables=[table("免申即享案件（待确认的可代为登记企业的答复）",
                                      ["统一社会信用代码", "政策", "金额（元）", "部门", "状态", "答复人", "答复日期"],
                                      rows)])

    @add_route(pages, "POST", "/office/confirmations", "waiver.record")
    async def record_confirmation(request: Request) -> Response:
        with office.session() as session:
            asker = asker_of(session, request)
        posted = await checked_form(request, asker)
        ref = str(posted.get("ref") or "").strip()
        with visit(office, request, "waiver.record", asker=asker) as here:
            if not ref:
                raise RegisterError("企业：请指明统一社会信用代码")
            who, applicant = authorized_file(here.session, here.who, "waiver.record", ref)
            choice, rule_id = posted.get("answer"), str(posted.get("rule_id") or "")
            if choice not in ("confirm", "decline"):
                raise RegisterError("企业的答复：应为“确认领取”或“放弃”")
            waivers.answer(here.session, applicant.ref, rule_id, choice == "confirm", f"{who.name}（经办代登记）",
                           now())
            here.log(applicant.ref, "change", [f"waiver:{rule_id}"])
        return RedirectResponse("/office/confirmations", status_code=303)

    return pages

