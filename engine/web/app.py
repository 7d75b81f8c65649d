"""The web application: calculator, report, batch upload and the API, in one ASGI app behind one guard.

`create_app` loads the rule pack and compiles it into durable_rules once; every request then only evaluates.
Requests share nothing but that read-only engine. Every error a client can cause is a 4xx problem document
(JSON for the API, a page for the calculator), never a traceback.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from guangxi_subsidy.engine import i18n
from guangxi_subsidy.engine.evaluation.evaluate import ENGINE_VERSION, Engine
from guangxi_subsidy.engine.rules.pack import load_pack
from guangxi_subsidy.engine.scenarios.charts import ranked_bars_svg
from guangxi_subsidy.engine.web import api, office, pages
from guangxi_subsidy.engine.web.batchweb import BatchRefused, archive, run_batch
from guangxi_subsidy.engine.web.render import language_of
from guangxi_subsidy.engine.web.safety import LIMITS, Guard, TooLarge

STATIC = Path(__file__).resolve().parent / "static"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _validation_problem(error: RequestValidationError) -> JSONResponse:
    errors = []
    for item in error.errors():
        field = ".".join(str(p) for p in item.get("loc", ()) if p not in ("query", "path", "body")) or "(request)"
        errors.append({"field": field, "value": repr(item.get("input"))[:80], "expected": item.get("msg", "")})
    detail = "; ".join(f"{e['field']}: got {e['value']} — {e['expected']}" for e in errors)
    body = {"type": "about:blank", "title": "Invalid request", "status": 422, "detail": detail, "errors": errors}
    return JSONResponse(body, status_code=422, media_type=api.PROBLEM)


def create_app(rules: Sequence[Path] = (), engine: Engine | None = None, office_db: str | None = None) -> Any:
    """The application, wrapped in the guard (size limits, deadlines, security headers); the office (/office)
    works on the register at `office_db` (else SUBSIDY_DB), opened at its first request."""
    engine = engine or Engine(load_pack(list(rules) or None))
    app = FastAPI(title="guangxi-subsidy", version=ENGINE_VERSION, docs_url=None, redoc_url=None,
                  description="Guangxi innovation and entrepreneurship subsidies: evaluate applicants against "
                              "the rules encoded from the five government documents.")
    app.include_router(api.router(engine))
    app.include_router(pages.router(engine))
    office.mount(app, engine, office_db)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(api.Problem)
    async def problem(request: Request, error: api.Problem) -> Response:
        return error.response()

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        return _validation_problem(error)

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, error: TooLarge) -> Response:
        limit = LIMITS.get(request.url.path, 1024 * 1024)
        return api.Problem(413, "Request body too large", [("(body)", "a larger body", f"at most {limit} bytes")]
                           ).response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        field = "(path)" if error.status_code in (404, 405) else "(request)"
        value = request.method + " " + request.url.path[:100]
        return api.Problem(error.status_code, str(error.detail), [(field, value, "a path and method the service "
                                                                   "answers (see /openapi.json)")]).response()

    @app.get("/api/v1/docs", include_in_schema=False, response_class=HTMLResponse)
    async def docs(request: Request) -> HTMLResponse:
        language = language_of(request.query_params.get("lang"))
        endpoints = [{"method": method.upper(), "path": path, "summary": info.get("summary", "")}
                     for path, item in app.openapi()["paths"].items() for method, info in item.items()]
        return pages.page(request, "api_docs.html", language, title="API", endpoints=endpoints)

    @app.get("/batch", include_in_schema=False, response_class=HTMLResponse)
    async def batch_form(request: Request) -> HTMLResponse:
        return _batch_form(request, language_of(request.query_params.get("lang")), None, 200)

    @app.post("/batch", include_in_schema=False, response_class=HTMLResponse)
    async def batch_page(request: Request) -> HTMLResponse:
        posted = await request.form()
        language = language_of(request.query_params.get("lang") or str(posted.get("lang") or ""))
        try:
            output = await _run(posted, tuple(rules))
        except BatchRefused as error:
            return _batch_form(request, language, f"{error.value} — {error.expected}", error.status)
        finally:
            await posted.close()
        gettext = i18n.translations(language).gettext
        summary = output.summary
        downloads = [
            _download("results.xlsx", XLSX, output.results_xlsx, gettext("Results workbook (.xlsx)")),
            _download("results.csv", "text/csv", output.results_csv, gettext("Results (CSV)")),
            _download("rejected.csv", "text/csv", output.errors_csv, gettext("Rejected rows (CSV)")),
        ]
        benefit_chart = bar_chart(gettext("Grants per benefit"),
                                  [(b["name"], b["amount"]) for b in summary["benefits"]
                                   if b["benefit_kind"] in ("cash_subsidy", "award", "interest_subsidy")],
                                  gettext("No quantified grant in this list."))
        department_chart = bar_chart(gettext("Money per lead department"),
                                     [(d["department"], d["grants"]) for d in summary["departments"]],
                                     gettext("No quantified grant in this list."))
        budget_charts = []
        if "scenario" in summary:  # a reform uploaded beside the list: its budget, baseline against the reform
            from guangxi_subsidy.engine.scenarios.charts import bars_svg, budget_bars

            for by in ("benefit", "department"):
                title, labels, sides = budget_bars(summary["scenario"], by, gettext)
                budget_charts.append(Markup(bars_svg(title, labels, sides)) if labels else None)
        return pages.page(request, "batch_summary.html", language, path="/batch", title=gettext("Batch results"),
                          summary=summary, downloads=downloads, benefit_chart=benefit_chart,
                          department_chart=department_chart, budget_charts=[c for c in budget_charts if c],
                          scenario=summary.get("scenario"), rejected=output.rejected[:200],
                          rejected_more=max(0, len(output.rejected) - 200))

    @app.post("/api/v1/batch", summary="Evaluate an uploaded CSV or .xlsx list (multipart field `applicants`); "
              "a zip of results.csv, results.xlsx, errors.csv and summary.json", response_class=Response)
    async def batch_api(request: Request) -> Response:
        posted = await request.form()
        try:
            output = await _run(posted, tuple(rules))
        except BatchRefused as error:
            raise api.Problem(error.status, "Applicant list refused", [(error.field, error.value, error.expected)]
                              ) from None
        finally:
            await posted.close()
        return Response(archive(output), media_type="application/zip",
                        headers={"content-disposition": 'attachment; filename="batch-results.zip"'})

    @app.get("/template.xlsx", include_in_schema=False)
    async def template() -> Response:
        from guangxi_subsidy.engine.intake.template import write_template

        with tempfile.TemporaryDirectory(prefix="subsidy-template-") as folder:
            path = Path(folder) / "applicants.xlsx"
            write_template(path)
            content = path.read_bytes()
        return Response(content, media_type=XLSX,
                        headers={"content-disposition": 'attachment; filename="applicants.xlsx"'})

    return Guard(app)


def from_environment() -> Any:
    """The application for a worker process started by uvicorn (`subsidy serve --workers N`): the rule paths
    come from SUBSIDY_RULES (separated by the path separator), as the CLI's --rules would give them."""
    import os

    paths = [Path(p) for p in os.environ.get("SUBSIDY_RULES", "").split(os.pathsep) if p]
    return settled(create_app(paths))


def settled(app: Any) -> Any:
    """The application, with what it holds for the process's life (the pack, the compiled network, the models
    and templates) moved out of the garbage collector's sight: a full collection then walks only what requests
    make, so it is short, and the slowest answers under load are less slow (benchmarks/web_load.py)."""
    import gc

    gc.collect()
    gc.freeze()
    return app


def _batch_form(request: Request, language: str, error: str | None, status: int) -> HTMLResponse:
    gettext = i18n.translations(language).gettext
    return pages.page(request, "batch.html", language, status, path="/batch", title=gettext("Batch evaluation"),
                      error=error, limit_mb=LIMITS["/batch"] // (1024 * 1024))


async def _run(posted: Any, rules: tuple[Path, ...]) -> Any:
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import UploadFile

    upload = posted.get("applicants")
    if not isinstance(upload, UploadFile):
        raise BatchRefused(400, "applicants", "no file", "a CSV or .xlsx file in the field `applicants`")
    content = await upload.read()
    as_of = posted.get("as_of")
    as_of = as_of.strip() if isinstance(as_of, str) and as_of.strip() else None
    if as_of is not None:
        from guangxi_subsidy.engine.web.form import choose

        _, _, as_of, problems = choose(None, None, as_of)
        if problems:
            raise BatchRefused(422, "as_of", problems["as_of"], "a date such as 2017-06-30")
    reform = posted.get("reform")
    reform_text = await reform.read() if isinstance(reform, UploadFile) else b""
    return await run_in_threadpool(run_batch, content, upload.filename, as_of, posted.get("include_drafts") == "1",
                                   rules, reform=reform_text or None)


def bar_chart(title: str, items: Sequence[tuple[str, str]], empty: str) -> Markup:
    """The ranked bars of a batch's totals (scenarios/charts.py), or a line saying there is nothing to draw."""
    svg = ranked_bars_svg(title, items)
    return Markup('<p class="none">{}</p>').format(empty) if svg is None else Markup(svg)


def _download(name: str, media: str, content: bytes, label: str) -> dict[str, str]:
    href = f"data:{media};base64," + base64.b64encode(content).decode()
    return {"name": name, "href": href, "label": label}
