"""The 政策清单 page (`GET /catalogue`) and its JSON (`GET /api/v1/catalogue`), from one selection (`catalogue.py`).

The page is Chinese only, whatever `lang` says: the items are the documents' own words, and a Chinese reader
should meet no field code or English word outside a verbatim quote (so the language switch and the API link are
not shown on it). It is a GET form: it works without script, and a filtered list is a link to share. A filter
value no reader accepts is answered 422 — on the page with the form and the error in Chinese, in the API as a
problem document naming the field, the value and what is accepted.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from guangxi_subsidy.engine.applicant.profile import GUANGXI_CITIES
from guangxi_subsidy.engine.applicant.spellings import CITY_LABELS, KIND_LABELS
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.jsontext import json_line
from guangxi_subsidy.engine.web import catalogue as cat

NAMES = {"q": "关键词", "kind": "惠及对象", "city": "城市", "department": "受理部门", "status": "状态",
         "as_of": "查询日期", "include_drafts": "含征求意见稿"}
Text = Query(None, max_length=400)  # (longer: FastAPI's own 422 problem document, before any reading)


def _query(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k in cat.PARAMETERS}


def router(engine: Engine) -> APIRouter:
    routes = APIRouter()
    pack = engine.pack
    kinds = [k for k in KIND_LABELS if any(k in r.kinds for r in pack.rules.values())]
    departments = cat.all_departments(pack)

    @routes.get("/catalogue", include_in_schema=False, response_class=HTMLResponse)
    async def page(request: Request) -> HTMLResponse:
        from guangxi_subsidy.engine.web.pages import page as render_page

        typed = _query(request)
        filters, refused = cat.read_filters(typed, pack)
        found = [] if refused else cat.entries(pack, filters)
        return render_page(request, "catalogue.html", "zh", 422 if refused else 200, title="政策清单",
                           chinese_only=True, filters=filters, refused=refused, bad={r.field for r in refused},
                           typed={"q": typed.get("q", "")[:cat.MAX_QUERY], "as_of": typed.get("as_of", "")[:40]},
                           names=NAMES, found=found, max_query=cat.MAX_QUERY,
                           kind_choices=[(k, KIND_LABELS[k]) for k in kinds],
                           city_choices=[(c, CITY_LABELS[c]) for c in GUANGXI_CITIES],
                           status_choices=[(code, word) for code, word in cat.STATUS_WORDS.items()
                                           if code != cat.DRAFT] + [(cat.DRAFT, "仅征求意见稿")],
                           departments=departments)

    @routes.get("/api/v1/catalogue", summary="The policy list (政策清单): every item, searched and filtered",
                response_description="subsidy-catalogue/1")
    async def api(request: Request, q: str | None = Text, kind: str | None = Text, city: str | None = Text,
                  department: str | None = Text, status: str | None = Text, as_of: str | None = Text,
                  include_drafts: str | None = Text) -> Response:
        """Every item of the pack as the guide words it, with the codes to filter on; `status` is in_force
        (the default), expired, not_yet, draft or all; drafts only with include_drafts=1 or status=draft."""
        from guangxi_subsidy.engine.web.api import Problem

        filters, refused = cat.read_filters(_query(request), pack)
        if refused:
            raise Problem(422, "Invalid filter", [(r.field, r.value, r.expected_en) for r in refused])
        body: dict[str, Any] = cat.document(filters, cat.entries(pack, filters))
        body["departments"] = departments
        return Response(json_line(body), media_type="application/json")

    return routes
