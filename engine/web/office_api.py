"""The office's HTTP API under /api/v1/office, for systems (a platform reading files or pushing facts nightly, a
finance system pulling payment lists): a bearer token (`subsidy users token`) with a role and a scope like an
account's, checked by the same policy as the pages; every read or change of a file is written to the access log.
Errors are problem documents."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from guangxi_subsidy.engine.accounts import accesslog, lists, sessions
from guangxi_subsidy.engine.accounts.factpush import PushRefused, push, read_items
from guangxi_subsidy.engine.accounts.policy import Principal
from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.register.profiles import current_versions, facts_of
from guangxi_subsidy.engine.web.office_common import Office, add_route, authorize, authorized_file, authorized_list, now

PROBLEM = "application/problem+json"
SCHEMA = "subsidy-office/1"


def problem(status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    """A problem document (RFC 9457); `errors`: each item's problem (its index, field, value, what was expected)."""
    titles = {401: "Unauthorized", 403: "Forbidden", 404: "Not found", 413: "Too large", 422: "Refused"}
    headers = {"www-authenticate": "Bearer"} if status == 401 else None
    body: dict[str, Any] = {"type": "about:blank", "title": titles.get(status, "Error"), "status": status,
                            "detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _token(office: Office, request: Request) -> Principal | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    with office.session() as session:
        return sessions.token_principal(session, header[7:].strip())


def router(office: Office) -> APIRouter:
    api = APIRouter()

    @add_route(api, "GET", "/api/v1/office/files/{ref}", "file.read",
               summary="An applicant's file: its current facts with source and date (a token scoped to it)")
    def file(request: Request, ref: str) -> dict[str, Any]:
        who = _token(office, request)
        with office.session() as session, session.begin():
            principal, applicant = authorized_file(session, who, "file.read", ref)
            facts = current_versions(facts_of(session, applicant))
            accesslog.record(session, principal, applicant.ref, "read", [f.field for f in facts],
                             f"GET {request.url.path}", now())
        return {"schema": SCHEMA, "id": applicant.ref, "kind": applicant.kind, "city": applicant.city,
                "facts": [f.as_json() for f in facts]}

    @add_route(api, "GET", "/api/v1/office/payment-lists", "lists.read",
               summary="The payment lists of the token's jurisdiction, newest first")
    def payment_lists(request: Request) -> dict[str, Any]:
        who = authorize(_token(office, request), "lists.read")
        with office.session() as session:
            rows = [lists.as_json(r) for r in lists.visible(session, who.scope)]
        return {"schema": SCHEMA, "payment_lists": rows}

    @add_route(api, "GET", "/api/v1/office/payment-lists/{list_id}", "lists.read",
               summary="One payment list, with its cases")
    def payment_list(request: Request, list_id: int) -> dict[str, Any]:
        with office.session() as session:
            _who, row = authorized_list(session, _token(office, request), "lists.read", list_id)
            body = lists.as_json(row)
        return {"schema": SCHEMA, **body, "cases": json.loads(row.cases)}

    @add_route(api, "POST", "/api/v1/office/facts", "facts.push",
               summary="Facts of many applicants pushed by a platform (nightly); idempotent, all or nothing")
    async def push_facts(request: Request) -> Response:
        who = authorize(await run_in_threadpool(_token, office, request), "facts.push")
        try:
            body = json.loads(await request.body() or b"null")
        except (ValueError, UnicodeDecodeError):
            return problem(422, "请求体不是有效的 JSON（UTF-8）")
        try:
            items = read_items(body, field_labels())
            counts, given = await run_in_threadpool(_push, office, who, items, request.url.path)
        except PushRefused as refused:
            return problem(refused.status, refused.detail, refused.errors)
        return JSONResponse({"schema": SCHEMA, "applicants": len(given),
                             "facts": {"new": counts.new, "changed": counts.changed, "unchanged": counts.unchanged}})

    return api


def _push(office: Office, who: Principal, items: list[Any], path: str) -> tuple[Any, dict[str, list[str]]]:
    with office.session() as session, session.begin():
        counts, given = push(session, who, items, field_labels(), now())
        for ref, fields in given.items():
            accesslog.record(session, who, ref, "change", fields, f"POST {path}", now())
    return counts, given
