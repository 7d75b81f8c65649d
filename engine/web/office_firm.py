"""An enterprise's own pages beyond reading its file: correcting what it declared, and its reports.

The correction form lists only the facts the enterprise declared itself (source `declaration`); the facts from
a department's data are shown beside it read-only, with their source, and a posted key that names one of them is
refused. A correction goes through the register's own `correct` (a new version, never an overwrite) with the
source 企业自行申报 and the enterprise's reason. Values are read as a profile file's cells are, so the errors
name the field and what was expected, in Chinese.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.answers.report import report_bytes
from guangxi_subsidy.engine.applicant.reading import ProfileError, parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.i18n import speaking
from guangxi_subsidy.engine.register.corrections import correct
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.evaluation import profile_on
from guangxi_subsidy.engine.register.facts import Source
from guangxi_subsidy.engine.register.periods import parse_period
from guangxi_subsidy.engine.register.profiles import KnownFact, current_versions, facts_of
from guangxi_subsidy.engine.register.tables import Applicant
from guangxi_subsidy.engine.web.office_common import Office, add_route, asker_of, checked_form, now, show, visit
from guangxi_subsidy.engine.web.office_views import SOURCE_WORDS, Views, table

DECLARED = "declaration"
SOURCE_NAME = "企业自行申报"
PREFIX = "fact:"  # a form field per declared fact: fact:<field>@<period>
REPORTS = {"html": (".html", "text/html; charset=utf-8"), "pdf": (".pdf", "application/pdf")}


def key_of(fact: KnownFact) -> str:
    return f"{PREFIX}{fact.field}@{fact.period}"


def declared_facts(session: Session, applicant: Applicant) -> tuple[dict[str, KnownFact], list[KnownFact]]:
    """The file's current facts split in two: those the enterprise declared (by form key), and the others."""
    mine: dict[str, KnownFact] = {}
    others: list[KnownFact] = []
    for fact in current_versions(facts_of(session, applicant)):
        if fact.source_kind == DECLARED:
            mine[key_of(fact)] = fact
        else:
            others.append(fact)
    return mine, others


def problems_of(applicant: Applicant, changes: dict[str, tuple[KnownFact, str]], labels: dict[str, str]
                ) -> list[str]:
    """Each changed value read as the register reads it: what is wrong, naming the field and the expected value."""
    out = []
    for fact, value in changes.values():
        label = labels.get(fact.field, "该事项")
        if not value.strip():
            out.append(f"「{label}」：不能为空（不需要更改的事项请保留原值）")
            continue
        try:
            with speaking("zh"):
                parse_profile({"id": applicant.ref, "kind": applicant.kind, "city": applicant.city,
                               fact.field: value}, applicant.ref)
        except ProfileError as error:
            for _field, given, expected in error.problems:
                out.append(f"「{label}」：填写的“{given.strip(chr(39))}”无法采用：{expected}")
    return out


class FirmPages:
    """The enterprise's correction form and its reports."""

    def __init__(self, office: Office, engine: Engine, views: Views) -> None:
        self.office, self.engine, self.views = office, engine, views

    def correction_form(self, applicant: Applicant, mine: dict[str, KnownFact],
                        typed: dict[str, str] | None = None) -> dict[str, Any]:
        typed = typed or {}
        inputs = [{"name": key, "label": f"{self.views.labels.get(f.field, '事项')}（{str(f.period) or '长期'}）",
                   "value": typed.get(key, f.value), "note": f"现值 {f.value}，{f.recorded_at:%Y-%m-%d} 申报"}
                  for key, f in sorted(mine.items())]
        return {"action": f"/office/files/{applicant.ref}/declared", "legend": "更正本企业申报的事项",
                "hidden": {}, "inputs": inputs, "buttons": [("go", "1", "提交更正")], "reason": True}

    def page(self, request: Request, here: Any, mine: dict[str, KnownFact], others: list[KnownFact],
             status: int = 200, notes: list[str] | None = None, typed: dict[str, str] | None = None
             ) -> HTMLResponse:
        applicant = here.applicant
        labels = self.views.labels
        fixed = table("来自部门数据的事项（只读，如有错误请联系数据来源部门）",
                      ["事项", "数值", "期间", "来源", "记录日期"],
                      [[labels.get(f.field, "事项"), f.value, str(f.period) or "长期",
                        f"{SOURCE_WORDS.get(f.source_kind, '其他')}：{f.source_text()}",
                        f"{f.recorded_at:%Y-%m-%d}"] for f in others])
        forms = [self.correction_form(applicant, mine, typed)] if mine else []
        paragraphs = list(notes or []) or (["本企业尚无自行申报的事项"] if not mine else [])
        return show(request, here.asker, f"更正申报 {applicant.ref}", status, paragraphs=paragraphs,
                    tables=[fixed], forms=forms, links=self.views.file_links(applicant))

    def report(self, session: Session, applicant: Applicant, kind: str) -> tuple[bytes, list[str]]:
        """The applicant's report of its evaluation today, from the register; and the fields it read."""
        try:
            found = profile_on(session, applicant.ref, dt.date.today())
        except ProfileError as error:  # a fact the register holds that today's profile model refuses
            said = "；".join(f"「{self.views.labels.get(f, '某事项')}」{expected}"
                            for f, _v, expected in error.problems)
            raise RegisterError(f"档案中的事实暂时无法生成测算报告，请联系经办：{said}") from None
        evaluation = self.engine.evaluate(found.profile, as_of=found.as_of)
        return report_bytes(evaluation, self.engine.pack, REPORTS[kind][0], "zh"), sorted(found.facts)


def router(office: Office, engine: Engine, views: Views) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    firm = FirmPages(office, engine, views)

    @add_route(pages, "GET", "/office/files/{ref}/declared", "file.declare", response_class=HTMLResponse)
    def declared(request: Request, ref: str) -> HTMLResponse:
        with visit(office, request, "file.declare", ref) as here:
            assert here.applicant is not None
            mine, others = declared_facts(here.session, here.applicant)
            here.log(here.applicant.ref, "read", [f.field for f in [*mine.values(), *others]])
            saved = request.query_params.get("saved")
            notes = [f"已保存 {saved} 项更正，来源记为“{SOURCE_NAME}”"] if saved and saved.isdigit() else []
            return firm.page(request, here, mine, others, notes=notes)

    @add_route(pages, "POST", "/office/files/{ref}/declared", "file.declare")
    async def correct_declared(request: Request, ref: str) -> Response:
        with office.session() as session:
            asker = asker_of(session, request)
        posted = await checked_form(request, asker)
        with visit(office, request, "file.declare", ref, asker) as here:
            applicant = here.applicant
            assert applicant is not None
            mine, others = declared_facts(here.session, applicant)
            typed = {k: str(v)[:500] for k, v in posted.items() if k.startswith(PREFIX)}
            foreign = sorted(k for k in typed if k not in mine)
            notes = [f"「{views.labels.get(k[len(PREFIX):].split('@')[0], '该事项')}」不是本企业申报的事项，"
                     "不能在此更正（部门数据请联系数据来源部门）" for k in foreign]
            changes = {k: (mine[k], v.strip()) for k, v in typed.items() if k in mine and v.strip() != mine[k].value}
            notes += problems_of(applicant, changes, views.labels)
            reason = str(posted.get("reason") or "").strip()
            if changes and not reason:
                notes.append("理由：请写明更正的理由")
            if notes or not changes:
                return firm.page(request, here, mine, others, 422, notes or ["没有更改任何事项"], typed)
            source = Source(DECLARED, SOURCE_NAME, here.who.name)
            for fact, value in changes.values():
                correct(here.session, applicant.ref, fact.field, value, parse_period(str(fact.period) or None),
                        reason, source, now())
            here.log(applicant.ref, "change", [f.field for f, _ in changes.values()])
            target = f"/office/files/{applicant.ref}/declared?saved={len(changes)}"
        return RedirectResponse(target, status_code=303)

    @add_route(pages, "GET", "/office/files/{ref}/reports", "file.report", response_class=HTMLResponse)
    def reports(request: Request, ref: str) -> HTMLResponse:
        with visit(office, request, "file.report", ref) as here:
            assert here.applicant is not None
            base = f"/office/files/{here.applicant.ref}/report"
            rows = [[{"href": base + ".html", "text": "测算报告（网页，可打印）"}, "按登记档案当前的事实测算"],
                    [{"href": base + ".pdf", "text": "测算报告（PDF）"}, "按登记档案当前的事实测算"]]
            return show(request, here.asker, f"我的报告 {here.applicant.ref}",
                        tables=[table("报告下载", ["报告", "说明"], rows)], links=views.file_links(here.applicant))

    def report(request: Request, ref: str, kind: str) -> Response:
        with visit(office, request, "file.report", ref) as here:
            assert here.applicant is not None
            content, fields = firm.report(here.session, here.applicant, kind)
            here.log(here.applicant.ref, "read", [*fields, "report"])
            name = f"report-{here.applicant.ref}{REPORTS[kind][0]}"
        return Response(content, media_type=REPORTS[kind][1],
                        headers={"content-disposition": f'attachment; filename="{name}"'})

    @add_route(pages, "GET", "/office/files/{ref}/report.html", "file.report")
    def report_html(request: Request, ref: str) -> Response:
        return report(request, ref, "html")

    @add_route(pages, "GET", "/office/files/{ref}/report.pdf", "file.report")
    def report_pdf(request: Request, ref: str) -> Response:
        return report(request, ref, "pdf")

    return pages
