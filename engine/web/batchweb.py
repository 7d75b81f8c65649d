"""Batch evaluation of an uploaded list, as a job: the upload page, the job's page and the API beside them.

`POST /batch` (or `POST /api/v1/batch`) stores the upload under a fixed name (the client's file name is never a
path) and starts a job (`jobs.submit`) that runs the batch engine on it in a process of its own
(`batchjob.work`); the request is answered at once: a redirect to the job's page, or 202 with the job's address.
The job's page tells how far the run is (a progress bar, the page reloading itself every two seconds), then shows
the summary, the charts and the downloads; it can be left and come back to until the results are removed
(`jobs.keep_seconds()` after the job finished). When as many jobs run as the server allows, the upload is refused
at once with 429 and a page saying the server is busy, never left waiting.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup

from guangxi_subsidy.engine import i18n
from guangxi_subsidy.engine.scenarios.charts import ranked_bars_svg
from guangxi_subsidy.engine.web import api, jobs, pages
from guangxi_subsidy.engine.web.batchjob import work
from guangxi_subsidy.engine.web.problems import PROBLEM
from guangxi_subsidy.engine.web.render import language_of
from guangxi_subsidy.engine.web.safety import LIMITS

SUFFIXES = (".csv", ".xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REFRESH = 2  # seconds between two reloads of a running job's page
WORDS = {  # the job page's own words (the rest of the page takes the catalogue's)
    "zh": {"queued": "排队中，即将开始……", "running": "正在测算", "workbook": "测算已完成，正在生成结果工作簿",
           "refused": "名单未能测算", "failed": "测算未能完成", "progress": "进度", "read": "已读取",
           "rows": "行", "reload": "本页每 {0} 秒自动刷新；也可以先离开，稍后用本页地址回来查看。",
           "keep": "结果保留到 {0}（完成 {1} 分钟后删除）。", "beijing": "（北京时间）", "busy": "服务器繁忙",
           "busy_text": "当前同时运行的批量测算已达上限（{0} 个），请 {1} 秒后再上传。",
           "gone": "找不到这个批量测算", "gone_text": "地址有误，或结果已过保留期被删除（完成后保留 {0} 分钟）。",
           "again": "重新上传名单", "no_book": "名单超过一张工作表的行数，未生成工作簿；请下载 CSV 结果。"},
    "en": {"queued": "Queued, starting soon…", "running": "Evaluating", "workbook": "Evaluated; writing the "
           "results workbook", "refused": "The list could not be evaluated", "failed": "The evaluation did not "
           "finish", "progress": "Progress", "read": "read", "rows": "rows", "reload": "This page reloads itself "
           "every {0} s; you may leave it and come back to its address later.", "keep": "Results are kept until "
           "{0} (removed {1} minutes after the run).", "beijing": " (Beijing time)", "busy": "Server busy",
           "busy_text": "As many batch "
           "evaluations run as this server allows ({0}); upload again in {1} seconds.", "gone": "No such batch "
           "evaluation", "gone_text": "The address is wrong, or the results were removed (they are kept {0} "
           "minutes after the run).", "again": "Upload a list", "no_book": "The list is longer than a worksheet "
           "holds: no workbook; download the CSV results."},
}
LABELS = {"results.xlsx": "Results workbook (.xlsx)", "results.csv": "Results (CSV)",
          "errors.csv": "Rejected rows (CSV)", "results.reform.csv": "Results under the reform (CSV)",
          "results.difference.csv": "Applicants whose outcome differs (CSV)"}


class BatchRefused(Exception):
    """The upload cannot be evaluated: the reason names what was wrong, for a 4xx answer."""

    def __init__(self, status: int, field: str, value: str, expected: str):
        super().__init__(f"{field}: got {value} — {expected}")
        self.status, self.field, self.value, self.expected = status, field, value, expected


def suffix_of(filename: str | None, content: bytes) -> str:
    """.xlsx for a workbook (by its zip signature or its name), .csv otherwise when the name says so."""
    name = (filename or "").lower()
    if content[:2] == b"PK" and not name.endswith(".csv"):
        return ".xlsx"
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise BatchRefused(415, "applicants", repr((filename or "")[:80]), "a .csv or .xlsx file")


async def submit(posted: Any, rules: tuple[Path, ...]) -> jobs.Job:
    """The upload as a job (started, not waited for); BatchRefused for an upload that cannot be one."""
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import UploadFile

    upload = posted.get("applicants")
    if not isinstance(upload, UploadFile):
        raise BatchRefused(400, "applicants", "no file", "a CSV or .xlsx file in the field `applicants`")
    content = await upload.read()
    if not content:
        raise BatchRefused(400, "applicants", "an empty file", "a CSV or .xlsx applicant list")
    suffix = suffix_of(upload.filename, content)
    as_of = posted.get("as_of")
    as_of = as_of.strip() if isinstance(as_of, str) and as_of.strip() else None
    if as_of is not None:
        from guangxi_subsidy.engine.web.form import choose

        _, _, as_of, problems = choose(None, None, as_of)
        if problems:
            raise BatchRefused(422, "as_of", problems["as_of"], "a date such as 2017-06-30")
    reform = posted.get("reform")
    reform_text = await reform.read() if isinstance(reform, UploadFile) else b""
    inputs = {"applicants" + suffix: content, **({"reform.yaml": reform_text} if reform_text else {})}
    params = {"input": "applicants" + suffix, "as_of": str(as_of) if as_of else None,
              "include_drafts": posted.get("include_drafts") == "1", "reform": bool(reform_text),
              "rules": [str(p) for p in rules]}
    return await run_in_threadpool(jobs.submit, work, inputs, params)


def job_json(job: jobs.Job) -> dict[str, Any]:
    """A job as the API tells it: its state, progress, and the address of each result."""
    status = job.status
    data: dict[str, Any] = {"id": job.id, "state": job.state, "done": status.get("done", 0),
                            "total": status.get("total", 0), "rows": status.get("rows"),
                            "expires": _iso(status.get("expires")),
                            "files": {name: f"/api/v1/batch/{job.id}/{name}" for name in status.get("files", {})}}
    if job.state in ("refused", "failed"):
        data["error"] = {"status": status.get("status"), "field": status.get("field", "applicants"),
                         "detail": status.get("error", "")}
    if job.state == "done" and (job.folder / "summary.json").is_file():
        import json

        data["summary"] = json.loads((job.folder / "summary.json").read_text(encoding="utf-8"))
        data["summary"]["input"] = job.status.get("input", data["summary"].get("input"))
    return data


def _iso(moment: Any) -> str | None:
    if not moment:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(moment)))


def _beijing(moment: Any, zone: str) -> str:
    """A moment as the people of Guangxi read a clock: Beijing time (UTC+8), to the minute."""
    if not moment:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(float(moment) + 8 * 3600)) + zone


def router(rules: Sequence[Path] = ()) -> APIRouter:
    routes = APIRouter()
    rules = tuple(rules)

    @routes.get("/batch", include_in_schema=False, response_class=HTMLResponse)
    async def batch_form(request: Request) -> HTMLResponse:
        return form_page(request, language_of(request.query_params.get("lang")), None, 200)

    @routes.post("/batch", include_in_schema=False, response_class=HTMLResponse)
    async def batch_page(request: Request) -> Response:
        posted = await request.form()
        language = language_of(request.query_params.get("lang") or str(posted.get("lang") or ""))
        try:
            job = await submit(posted, rules)
        except BatchRefused as error:
            return form_page(request, language, f"{error.value} — {error.expected}", error.status)
        except jobs.Busy as busy:
            return busy_page(request, language, busy)
        finally:
            await posted.close()
        return RedirectResponse(f"/batch/jobs/{job.id}?lang={language}", status_code=303)

    @routes.get("/batch/jobs/{job_id}", include_in_schema=False, response_class=HTMLResponse)
    async def job_page(request: Request, job_id: str) -> HTMLResponse:
        language = language_of(request.query_params.get("lang"))
        job = jobs.find(job_id)
        if job is None:
            return gone_page(request, language)
        if job.state == "refused":
            return form_page(request, language, job.status.get("error", ""), int(job.status.get("status", 422)))
        if job.state in ("done", "workbook") and "summary.json" in job.status.get("files", {}):
            return summary_page(request, language, job)
        return progress_page(request, language, job)

    @routes.get("/batch/jobs/{job_id}/{name}", include_in_schema=False)
    async def job_file(job_id: str, name: str) -> Response:
        return _file(job_id, name)

    @routes.post("/api/v1/batch", summary="Start evaluating an uploaded CSV or .xlsx list (multipart field "
                 "`applicants`): 202 and the job; 429 when the server runs as many as it allows",
                 response_class=JSONResponse, status_code=202)
    async def batch_api(request: Request) -> Response:
        posted = await request.form()
        try:
            job = await submit(posted, rules)
        except BatchRefused as error:
            raise api.Problem(error.status, "Applicant list refused", [(error.field, error.value, error.expected)]
                              ) from None
        except jobs.Busy as busy:
            problem = api.Problem(429, "Busy", [("(server)", f"{busy.running} batch jobs running",
                                                 f"sent again in {busy.retry_after} s")])
            return JSONResponse(problem.body(), status_code=429, media_type=PROBLEM,
                                headers={"retry-after": str(busy.retry_after)})
        finally:
            await posted.close()
        return JSONResponse(job_json(job), status_code=202, headers={"location": f"/api/v1/batch/{job.id}"})

    @routes.get("/api/v1/batch/{job_id}", summary="A batch job: state (queued, running, workbook, done, refused, "
                "failed), progress, the summary and the result files' addresses")
    async def job_api(job_id: str) -> Response:
        job = jobs.find(job_id)
        if job is None:
            raise api.Problem(404, "No such batch job", [("job_id", repr(job_id[:80]), "the id of a job started "
                              f"within the last {jobs.keep_seconds() / 60:g} minutes")])
        return JSONResponse(job_json(job))

    @routes.get("/api/v1/batch/{job_id}/{name}", summary="A result file of a finished batch job")
    async def job_file_api(job_id: str, name: str) -> Response:
        return _file(job_id, name)

    return routes


def _file(job_id: str, name: str) -> Response:
    job = jobs.find(job_id)
    path = job.file(name) if job is not None else None
    if job is None or path is None:
        raise api.Problem(404, "No such result", [("(path)", repr(f"{job_id[:40]}/{name[:40]}"), "a result "
                          f"file of a job finished within the last {jobs.keep_seconds() / 60:g} minutes")])
    media = job.status["files"][name]
    return FileResponse(path, media_type=media, filename=name)


def form_page(request: Request, language: str, error: str | None, status: int) -> HTMLResponse:
    gettext = i18n.translations(language).gettext
    return pages.page(request, "batch.html", language, status, path="/batch", title=gettext("Batch evaluation"),
                      error=error, limit_mb=LIMITS["/batch"] // (1024 * 1024))


def busy_page(request: Request, language: str, busy: jobs.Busy) -> HTMLResponse:
    words = WORDS.get(language, WORDS["zh"])
    response = pages.page(request, "batch_job.html", language, 429, path="/batch", title=words["busy"],
                          words=words, heading=words["busy"], message=words["busy_text"].format(
                              busy.running, busy.retry_after), percent=None)
    response.headers["retry-after"] = str(busy.retry_after)
    return response


def gone_page(request: Request, language: str) -> HTMLResponse:
    words = WORDS.get(language, WORDS["zh"])
    return pages.page(request, "batch_job.html", language, 404, path="/batch", title=words["gone"], words=words,
                      heading=words["gone"], message=words["gone_text"].format(f"{jobs.keep_seconds() / 60:g}"),
                      percent=None)


def progress_page(request: Request, language: str, job: jobs.Job) -> HTMLResponse:
    words = WORDS.get(language, WORDS["zh"])
    total, done = int(job.status.get("total") or 0), int(job.status.get("done") or 0)
    percent = math.floor(100 * done / total) if total else 0
    if job.state == "failed":
        return pages.page(request, "batch_job.html", language, 500, path="/batch", title=words["failed"],
                          words=words, heading=words["failed"], message=job.status.get("error", ""), percent=None)
    response = pages.page(request, "batch_job.html", language, 200, path="/batch", title=words[job.state],
                          words=words, heading=words[job.state], message=words["reload"].format(REFRESH),
                          percent=percent, rows=job.status.get("rows"))
    response.headers["refresh"] = str(REFRESH)
    return response


def summary_page(request: Request, language: str, job: jobs.Job) -> HTMLResponse:
    import csv
    import io
    import json

    gettext = i18n.translations(language).gettext
    words = WORDS.get(language, WORDS["zh"])
    summary = json.loads((job.folder / "summary.json").read_text(encoding="utf-8"))
    with open(job.folder / "errors.csv", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(io.StringIO(handle.read(1024 * 1024)))
        rejected = [row for _, row in zip(range(200), reader, strict=False)]
    files = job.status.get("files", {})
    downloads = [{"name": name, "href": f"/batch/jobs/{job.id}/{name}", "label": gettext(LABELS[name])}
                 for name in LABELS if name in files]
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
    notes = []
    if job.state == "workbook":
        notes.append(words["workbook"] + "……" + words["reload"].format(REFRESH))
    elif job.state == "done" and not job.status.get("workbook") and not summary.get("scenario"):
        notes.append(words["no_book"])
    minutes = f"{jobs.keep_seconds() / 60:g}"
    notes.append(words["keep"].format(_beijing(job.status.get("expires"), words["beijing"]), minutes))
    response = pages.page(request, "batch_summary.html", language, path="/batch", title=gettext("Batch results"),
                          summary=summary, downloads=downloads, benefit_chart=benefit_chart,
                          department_chart=department_chart, budget_charts=[c for c in budget_charts if c],
                          scenario=summary.get("scenario"), rejected=rejected,
                          rejected_more=max(0, int(summary["rows"]["rejected"]) - len(rejected)), notes=notes)
    if job.state == "workbook":
        response.headers["refresh"] = str(REFRESH)
    return response


def bar_chart(title: str, items: Sequence[tuple[str, str]], empty: str) -> Markup:
    """The ranked bars of a batch's totals (scenarios/charts.py), or a line saying there is nothing to draw."""
    svg = ranked_bars_svg(title, items)
    return Markup('<p class="none">{}</p>').format(empty) if svg is None else Markup(svg)
