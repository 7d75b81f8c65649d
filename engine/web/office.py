"""The office's pages under /office (Chinese, phone width, server-rendered): login and logout; an enterprise's
file, benefits and inbox (confirming or declining a 免申即享 item); an officer's applicants, files, matching runs
and payment lists; a reviewer's approvals; an auditor's access log.

Each handler names its action in the route table (office_common) and asks the policy before it reads anything;
every read or change of a file is written to the access log. Every form carries the session's CSRF token and
every POST checks it (the login form: a double-submit cookie, as there is no session yet).
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts import accesslog, lists, sessions
from guangxi_subsidy.engine.accounts.passwords import LOGINS, Refused
from guangxi_subsidy.engine.accounts.policy import ROLE_WORDS, ListTarget, Principal, allowed
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.matching.office_tables import WaiverCase
from guangxi_subsidy.engine.matching.tables import MatchRun
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.web import office_api, office_desk, office_firm, office_views
from guangxi_subsidy.engine.web.office_common import (
    LOGIN_CSRF_COOKIE,
    PUBLIC,
    SESSION_COOKIE,
    Asker,
    Forbidden,
    NotFound,
    Office,
    add_route,
    asker_of,
    authorize,
    authorized_file,
    authorized_list,
    checked_form,
    now,
    show,
    visit,
)
from guangxi_subsidy.engine.web.pages import page


def mount(app: FastAPI, engine: Engine, db: str | None = None) -> Office:
    """Add the office's pages and API to the application, with their error pages."""
    office = Office(db)
    views = office_views.Views(engine)
    app.include_router(router(office, engine, views))
    app.include_router(office_firm.router(office, engine, views))
    app.include_router(office_desk.router(office, views))
    app.include_router(office_api.router(office))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        if request.url.path.startswith("/api/"):
            return office_api.problem(401 if error.anonymous else 403, error.message)
        if error.anonymous:
            return RedirectResponse("/office/login", status_code=303)
        return _message(request, "无权访问", error.message, 403)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        if request.url.path.startswith("/api/"):
            return office_api.problem(404, f"没有编号为 {error} 的档案或清单")
        return _message(request, "未找到", f"没有编号为 {error} 的档案或清单", 404)

    @app.exception_handler(RegisterError)
    async def refused(request: Request, error: RegisterError) -> Response:
        if request.url.path.startswith("/api/"):
            return office_api.problem(422, str(error))
        return _message(request, "无法办理", str(error), 422)

    return office


def _message(request: Request, title: str, text: str, status: int) -> HTMLResponse:
    return page(request, "office_page.html", "zh", status, path="/office", title=title, asker=None,
                paragraphs=[text], tables=[], forms=[])


def _asker(office: Office, session: Session, request: Request) -> Asker | None:
    return asker_of(session, request)


def _principal(asker: Asker | None) -> Principal | None:
    return None if asker is None else asker.principal


async def _checked_form(request: Request, asker: Asker | None) -> dict[str, str]:
    """The posted text fields, once the CSRF token matches the session's; 403 otherwise."""
    return {k: v for k, v in (await checked_form(request, asker)).items() if isinstance(v, str)}


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def router(office: Office, engine: Engine, views: office_views.Views) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @add_route(pages, "GET", "/office/login", PUBLIC, response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        response = page(request, "office_login.html", "zh", path="/office/login", title="登录", csrf=token,
                        error=None, name="")
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/office")
        return response

    @add_route(pages, "POST", "/office/login", PUBLIC, response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("name") or "")[:100], str(form.get("password") or "")[:1000]
        expected = request.cookies.get(LOGIN_CSRF_COOKIE)
        if not expected or not sessions.csrf_ok(expected, form.get("csrf")):
            return _message(request, "无法登录", "表单已过期或来源不明（缺少安全令牌），请重新打开登录页", 403)
        work = functools.partial(_login, request, name, password, expected)
        return await asyncio.get_running_loop().run_in_executor(LOGINS, work)

    def _login(request: Request, name: str, password: str, token: str) -> Response:
        with office.session() as session, session.begin():
            result = office.authenticator.authenticate(session, name, password, _address(request), now())
            if isinstance(result, Refused):
                response: Response = page(request, "office_login.html", "zh", result.status, path="/office/login",
                                          title="登录", csrf=token, error=result.message, name=name)
                if result.retry_after:
                    response.headers["retry-after"] = str(result.retry_after)
                return response
            sid, _csrf = sessions.start(session, result.name, request.cookies.get(SESSION_COOKIE), now())
        response = RedirectResponse("/office", status_code=303)
        response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax", path="/",
                            secure=request.url.scheme == "https")
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/office")
        return response

    @add_route(pages, "POST", "/office/logout", "home")
    async def logout(request: Request) -> Response:
        with office.session() as session:
            asker = _asker(office, session, request)
        await _checked_form(request, asker)
        with office.session() as session, session.begin():
            sessions.end(session, request.cookies.get(SESSION_COOKIE) or "")
        response = RedirectResponse("/office/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @add_route(pages, "GET", "/office", "home", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        with office.session() as session:
            asker = _asker(office, session, request)
            who = authorize(_principal(asker), "home")
        return show(request, asker, "办事台", paragraphs=[f"{who.name}（{ROLE_WORDS[who.role]}）"],
                    tables=[views.menu(who)])

    @add_route(pages, "GET", "/office/files", "applicants.list", response_class=HTMLResponse)
    def files(request: Request) -> HTMLResponse:
        with visit(office, request, "applicants.list") as here:
            table = views.applicants(here.session, here.who)
            if here.who.role == "incubator":  # its firms' benefits and missing facts are read from their files
                for row in table["rows"]:
                    here.log(row[0]["text"], "read", ["decisions"])
            return show(request, here.asker, "申报主体", tables=[table])

    @add_route(pages, "GET", "/office/files/{ref}", "file.read", response_class=HTMLResponse)
    def file(request: Request, ref: str) -> HTMLResponse:
        with visit(office, request, "file.read", ref) as here:
            applicant = here.file()
            table, fields = views.facts(here.session, applicant)
            here.log(applicant.ref, "read", fields)
        return show(request, here.asker, f"档案 {applicant.ref}", tables=[table], links=views.file_links(applicant))

    @add_route(pages, "GET", "/office/files/{ref}/benefits", "file.benefits", response_class=HTMLResponse)
    def benefits(request: Request, ref: str) -> HTMLResponse:
        with visit(office, request, "file.benefits", ref) as here:
            applicant = here.file()
            table = views.benefits(here.session, applicant)
            here.log(applicant.ref, "read", ["decisions"])
        return show(request, here.asker, f"当前可享 {applicant.ref}", tables=[table],
                    links=views.file_links(applicant))

    @add_route(pages, "GET", "/office/files/{ref}/inbox", "file.inbox", response_class=HTMLResponse)
    def inbox(request: Request, ref: str) -> HTMLResponse:
        with visit(office, request, "file.inbox", ref) as here:
            applicant = here.file()
            table = views.inbox(here.session, applicant)
            cases = list(here.session.scalars(select(WaiverCase).where(
                WaiverCase.applicant_pk == applicant.pk, WaiverCase.status == "listed").order_by(WaiverCase.pk)))
            forms = views.waiver_forms(applicant, cases) if allowed(here.who, "waiver.answer", None) else []
            here.log(applicant.ref, "read", ["pushes", "waiver_cases"])
        return show(request, here.asker, f"消息 {applicant.ref}", tables=[table], forms=forms,
                    links=views.file_links(applicant))

    @add_route(pages, "POST", "/office/files/{ref}/waivers", "waiver.answer")
    async def waiver(request: Request, ref: str) -> Response:
        with office.session() as session:
            asker = _asker(office, session, request)
        fields = await _checked_form(request, asker)
        from guangxi_subsidy.engine.matching.waivers import answer

        with office.session() as session, session.begin():
            who, applicant = authorized_file(session, _principal(asker), "waiver.answer", ref)
            choice = fields.get("answer")
            if choice not in ("confirm", "decline"):
                raise RegisterError(f"answer '{choice}'：应为 confirm（确认）或 decline（放弃）")
            rule_id = fields.get("rule_id", "")
            answer(session, applicant.ref, rule_id, choice == "confirm", who.name, now())
            accesslog.record(session, who, applicant.ref, "change", [f"waiver:{rule_id}"],
                             f"POST {request.url.path}", now())
        return RedirectResponse(f"/office/files/{applicant.ref}/inbox", status_code=303)

    @add_route(pages, "GET", "/office/runs", "runs.list", response_class=HTMLResponse)
    def runs(request: Request) -> HTMLResponse:
        with office.session() as session:
            asker = _asker(office, session, request)
            authorize(_principal(asker), "runs.list")
            rows = list(session.scalars(select(MatchRun).order_by(MatchRun.pk.desc()).limit(50)))
        return show(request, asker, "匹配运行", tables=[views.runs(rows)])

    @add_route(pages, "GET", "/office/decisions", "decisions.read", response_class=HTMLResponse)
    def decisions(request: Request) -> HTMLResponse:
        with office.session() as session:
            asker = _asker(office, session, request)
            who = authorize(_principal(asker), "decisions.read")
            table = views.decisions(session, who.scope)
        return show(request, asker, "匹配结论", tables=[table])

    @add_route(pages, "GET", "/office/lists", "lists.read", response_class=HTMLResponse)
    def payment_lists(request: Request) -> HTMLResponse:
        with office.session() as session:
            asker = _asker(office, session, request)
            who = authorize(_principal(asker), "lists.read")
            table = views.lists(lists.visible(session, who.scope))
            waiting = len(lists.open_cases(session, who.scope)) if allowed(who, "lists.prepare") else 0
        forms = [views.prepare_form(waiting)] if waiting else []
        return show(request, asker, "付款清单", tables=[table], forms=forms)

    @add_route(pages, "POST", "/office/lists", "lists.prepare")
    async def prepare(request: Request) -> Response:
        with office.session() as session:
            asker = _asker(office, session, request)
        await _checked_form(request, asker)
        with office.session() as session, session.begin():
            who = authorize(_principal(asker), "lists.prepare")
            row = lists.prepare(session, who, now())
        return RedirectResponse(f"/office/lists/{row.pk}", status_code=303)

    @add_route(pages, "GET", "/office/lists/{list_id}", "lists.read", response_class=HTMLResponse)
    def payment_list(request: Request, list_id: int) -> HTMLResponse:
        with office.session() as session:
            asker = _asker(office, session, request)
            who, row = authorized_list(session, _principal(asker), "lists.read", list_id)
            table = views.list_cases(session, json.loads(row.cases))
            forms = [views.review_form(row)] if row.status == "prepared" and allowed(
                who, "lists.review", ListTarget(row.jurisdiction, row.prepared_by)) else []
        return show(request, asker, f"付款清单 {row.pk}", tables=[views.lists([row]), table], forms=forms)

    @add_route(pages, "POST", "/office/lists/{list_id}/review", "lists.review")
    async def review(request: Request, list_id: int) -> Response:
        with office.session() as session:
            asker = _asker(office, session, request)
        fields = await _checked_form(request, asker)
        with office.session() as session, session.begin():
            who, row = authorized_list(session, _principal(asker), "lists.review", list_id)
            decision = fields.get("decision")
            if decision not in ("approve", "reject"):
                raise RegisterError(f"decision '{decision}'：应为 approve（批准）或 reject（退回）")
            lists.review(session, row, who, decision == "approve", fields.get("reason", ""), now())
        return RedirectResponse(f"/office/lists/{list_id}", status_code=303)

    @add_route(pages, "GET", "/office/log", "log.read", response_class=HTMLResponse)
    def log(request: Request) -> HTMLResponse:
        with office.session() as session:
            asker = _asker(office, session, request)
            who = authorize(_principal(asker), "log.read")
            table = views.log(accesslog.entries(session, who.scope, limit=500))
        return show(request, asker, "访问记录", tables=[table], links=[("/office/log.csv", "导出 CSV")])

    @add_route(pages, "GET", "/office/log.csv", "log.read")
    def log_csv(request: Request) -> Response:
        with office.session() as session:
            asker = _asker(office, session, request)
            who = authorize(_principal(asker), "log.read")
            content = accesslog.export_csv(accesslog.entries(session, who.scope))
        return Response(content, media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="access-log.csv"'})

    return pages
