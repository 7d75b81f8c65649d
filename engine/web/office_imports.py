"""An officer's import page: an applicant file (CSV, workbook, Parquet) uploaded into the register by the
register's own import, the result counted in Chinese with the rejected rows and their reasons.

A city's officer imports only files of its city: the file is read first (the import's own reader) and refused
whole, naming the rows, when a row names an applicant of another city or an applicant the register holds in
another city. Every applicant the file names is written to the access log as changed.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from guangxi_subsidy.engine.accounts.policy import REGION, in_jurisdiction
from guangxi_subsidy.engine.batch.run import BatchInputError
from guangxi_subsidy.engine.i18n import speaking
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.facts import canonical
from guangxi_subsidy.engine.register.importer import ImportOptions, ImportReport, _chunks, import_file
from guangxi_subsidy.engine.register.periods import PeriodError, parse_period
from guangxi_subsidy.engine.register.tables import Applicant
from guangxi_subsidy.engine.web.office_common import Office, add_route, asker_of, checked_form, show, visit
from guangxi_subsidy.engine.web.office_views import Views, city, table

SUFFIXES = (".csv", ".xlsx", ".parquet")
KINDS = (("department", "部门数据（可用于免申即享）"), ("file", "其他来源的文件"))
_CODE = re.compile(r"\b([a-z][a-z0-9_]*)(?=[:：])")


def import_form(message: str = "") -> dict[str, object]:
    return {"action": "/office/imports", "legend": message or "导入申报主体文件（CSV、xlsx 工作簿或 Parquet）",
            "hidden": {}, "upload": True, "reason": False, "buttons": [("go", "1", "导入")],
            "inputs": [{"name": "file", "label": "文件", "type": "file", "required": True},
                       {"name": "source", "label": "数据来源（如 税务、市场监管）", "required": True},
                       {"name": "period", "label": "数据期间（如 2025，可不填）"},
                       {"name": "source_kind", "label": "来源类别", "choices": KINDS, "value": "department"}]}


def scan(session: Session, path: Path, options: ImportOptions, scope: str) -> tuple[list[str], list[str]]:
    """The applicants the file names, and its rows outside `scope` (their row and id)."""
    refs: list[str] = []
    outside: list[str] = []
    with speaking("zh"):
        for rows in _chunks(path, options, ImportReport(str(path)), {}):
            held = dict(session.execute(select(Applicant.ref, Applicant.city).where(
                Applicant.ref.in_([ref for _row, ref, _p in rows]))).all())
            for row, ref, profile in rows:
                refs.append(ref)
                cities = {canonical(profile.city)} | ({held[ref]} if ref in held else set())
                if not all(in_jurisdiction(scope, c) for c in cities):
                    outside.append(f"第 {row} 行（{ref}）")
    return refs, outside


def result_tables(report: ImportReport, views: Views) -> list[dict[str, object]]:
    counts = [["申报主体", str(report.applicants_new), str(report.applicants_changed),
               str(report.applicants_unchanged)],
              ["事实", str(report.facts.new), str(report.facts.changed), str(report.facts.unchanged)]]

    def chinese(reason: str) -> str:  # field codes in the reader's reasons, as the labels people read
        return _CODE.sub(lambda m: views.labels.get(m.group(1), m.group(1)), reason)

    rejected = [[str(r.row), r.id or "—", chinese(r.reason)] for r in report.rejected]
    return [table(f"导入结果：共 {report.rows} 行", ["", "新增", "变更", "未变"], counts),
            table(f"未导入的行（{len({r.row for r in report.rejected})} 行）", ["行号", "申请人", "原因"], rejected,
                  "没有被拒绝的行")]


def router(office: Office, views: Views) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @add_route(pages, "GET", "/office/imports", "imports.run", response_class=HTMLResponse)
    def imports(request: Request) -> HTMLResponse:
        with visit(office, request, "imports.run") as here:
            where = f"导入范围：{city(here.who.scope)}"
            if here.who.scope != REGION:
                where += "（其他城市的行将被拒绝）"
            return show(request, here.asker, "导入", forms=[import_form()], paragraphs=[where])

    @add_route(pages, "POST", "/office/imports", "imports.run", response_class=HTMLResponse)
    async def run_import(request: Request) -> Response:
        with office.session() as session:
            asker = asker_of(session, request)
        posted = await checked_form(request, asker)
        with visit(office, request, "imports.run", asker=asker) as here:
            who = here.who
        upload = posted.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise RegisterError("文件：请选择要导入的文件（CSV、xlsx 或 Parquet）")
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in SUFFIXES:
            raise RegisterError(f"文件“{Path(upload.filename).name[:80]}”：类型应为 {'、'.join(SUFFIXES)} 之一")
        source = str(posted.get("source") or "").strip()[:100]
        if not source:
            raise RegisterError("数据来源：请填写数据来自哪个部门或平台，如 税务")
        try:
            period = parse_period(str(posted.get("period") or "").strip() or None)
        except PeriodError as error:
            raise RegisterError(f"数据期间：{error}") from None
        kind = str(posted.get("source_kind") or "department")
        if kind not in dict(KINDS):
            raise RegisterError("来源类别：应为“部门数据”或“其他来源的文件”")
        options = ImportOptions(source=source, recorded_by=who.name, period=period, source_kind=kind)
        content = await upload.read()
        with tempfile.TemporaryDirectory(prefix="office-import-") as folder:
            path = Path(folder) / f"{Path(upload.filename).stem[:60] or 'upload'}{suffix}"
            path.write_bytes(content)
            report = await run_in_threadpool(_import, office, path, options, who.scope)
            refs = report[1]
        with visit(office, request, "imports.run", asker=asker) as here:
            for ref in refs:
                here.log(ref, "change", ["import"])
        return show(request, asker, "导入结果", tables=result_tables(report[0], views), forms=[import_form("继续导入")],
                    paragraphs=[f"文件：{upload.filename[:80]}，来源：{source}"])

    return pages


def _import(office: Office, path: Path, options: ImportOptions, scope: str) -> tuple[ImportReport, list[str]]:
    """Read the file for its jurisdiction, then import it (the register's import, in its own transaction)."""
    try:
        with office.session() as session:
            refs, outside = scan(session, path, options, scope)
        if outside:
            shown = "、".join(outside[:20]) + ("等" if len(outside) > 20 else "")
            raise RegisterError(f"文件中有 {len(outside)} 行不属于{city(scope)}，整个文件未导入：{shown}")
        with speaking("zh"):
            return import_file(office.engine(), path, options), refs
    except BatchInputError as error:
        raise RegisterError(f"文件无法读取：{error}") from None
