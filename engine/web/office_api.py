"""The office's HTTP API under /api/v1/office, for systems (a platform reading files, a finance system pulling
payment lists): a bearer token (`subsidy users token`) with a role and a scope like an account's, checked by the
same policy as the pages; every file read is written to the access log. Errors are problem documents."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from guangxi_subsidy.engine.accounts import accesslog, lists, sessions
from guangxi_subsidy.engine.accounts.policy import Principal
from guangxi_subsidy.engine.register.profiles import current_versions, facts_of
from guangxi_subsidy.engine.web.office_common import Office, add_route, authorize, authorized_file, authorized_list, now

PROBLEM = "application/problem+json"
SCHEMA = "subsidy-office/1"


def problem(status: int, detail: str) -> JSONResponse:
    titles = {401: "Unauthorized", 403: "Forbidden", 404: "Not found", 422: "Refused"}
    headers = {"www-authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"type": "about:blank", "title": titles.get(status, "Error"), "status": status,
                         "detail": detail}, status_code=status, media_type=PROBLEM, headers=headers)


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

    return api
