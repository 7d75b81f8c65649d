"""The web application: calculator, report, batch upload and the API, in one ASGI app behind one guard.

`create_app` loads the rule pack and compiles it into durable_rules once; every request then only evaluates.
Requests share nothing but that read-only engine. Every error a client can cause is a 4xx problem document
(JSON for the API, a page for the calculator), never a traceback.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from guangxi_subsidy.engine.answers.report import STATIC  # the stylesheet the report prints with
from guangxi_subsidy.engine.evaluation.evaluate import ENGINE_VERSION, Engine
from guangxi_subsidy.engine.rules.pack import load_pack
from guangxi_subsidy.engine.web import api, batchweb, catalogueview, office, pages
from guangxi_subsidy.engine.web.direct import PATH, DirectEvaluate
from guangxi_subsidy.engine.web.problems import PROBLEM, problem_bytes
from guangxi_subsidy.engine.web.render import language_of
from guangxi_subsidy.engine.web.safety import DEFAULT_LIMIT, LIMITS, Guard, TooLarge

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _validation_problem(error: RequestValidationError) -> Response:
    errors = []
    for item in error.errors():
        field = ".".join(str(p) for p in item.get("loc", ()) if p not in ("query", "path", "body")) or "(request)"
        errors.append((field, repr(item.get("input"))[:80], str(item.get("msg", ""))))
    return Response(problem_bytes(422, "Invalid request", errors), status_code=422, media_type=PROBLEM)


def create_app(rules: Sequence[Path] = (), engine: Engine | None = None, office_db: str | None = None) -> Any:
    """The application, wrapped in the guard (size limits, deadlines, security headers); the office (/office)
    works on the register at `office_db` (else SUBSIDY_DB), opened at its first request."""
    engine = engine or Engine(load_pack(list(rules) or None))
    app = FastAPI(title="guangxi-subsidy", version=ENGINE_VERSION, docs_url=None, redoc_url=None,
                  description="Guangxi innovation and entrepreneurship subsidies: evaluate applicants against "
                              "the rules encoded from the five government documents.")
    app.include_router(api.router(engine))
    app.include_router(pages.router(engine))
    app.include_router(catalogueview.router(engine))
    app.include_router(batchweb.router(rules))
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
        expected = "a path and method the service answers (see /openapi.json)"
        if str(error.detail).startswith("Invalid multipart"):  # (a part's header over 4 KB: a file name so long)
            field, value = "(upload)", "a form part the reader refused"
            expected = ("a form upload (multipart/form-data) whose file name is at most 4,000 characters: "
                        "rename the file and send it again")
        return api.Problem(error.status_code, str(error.detail), [(field, value, expected)]).response()

    @app.get("/api/v1/docs", include_in_schema=False, response_class=HTMLResponse)
    async def docs(request: Request) -> HTMLResponse:
        language = language_of(request.query_params.get("lang"))
        endpoints = [{"method": method.upper(), "path": path, "summary": info.get("summary", "")}
                     for path, item in app.openapi()["paths"].items() for method, info in item.items()]
        return pages.page(request, "api_docs.html", language, title="API", endpoints=endpoints)

    @app.get("/template.xlsx", include_in_schema=False)
    async def template() -> Response:
        from guangxi_subsidy.engine.intake.template import write_template

        with tempfile.TemporaryDirectory(prefix="subsidy-template-") as folder:
            path = Path(folder) / "applicants.xlsx"
            write_template(path)
            content = path.read_bytes()
        return Response(content, media_type=XLSX,
                        headers={"content-disposition": 'attachment; filename="applicants.xlsx"'})

    return Guard(DirectEvaluate(app, engine, LIMITS.get(PATH, DEFAULT_LIMIT)))


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
