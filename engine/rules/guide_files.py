"""The guide's rows (`guide.py`) written for people: a workbook (事项清单, 申兑指南, 条款覆盖), an HTML page, or a PDF.

The workbook is xlsxwriter's (wrapped text, frozen headers, filters), the PDF ReportLab's with the CID font
every reader has (as `engine/answers/reportpdf.py` for the report), the HTML plain markup with every text
escaped. All three carry the same rows, in Chinese.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guangxi_subsidy.engine.pdfstyles import paragraph_styles
from guangxi_subsidy.engine.rules.guide import ClauseRow, Item

LIST_HEADERS = ("序号", "事项名称", "惠及对象", "适用地区", "兑现方式", "受理部门", "状态", "有效期", "政策依据")
GUIDE_HEADERS = ("序号", "事项名称", "惠及对象", "适用地区", "申报条件", "兑现标准", "兑现方式", "申报时间", "申报材料",
                 "受理部门", "政策依据（文件、条款、原文）", "状态", "有效期")
FONT = "STSong-Light"  # as engine/answers/reportpdf.py
CLAUSE_HEADERS = ("文件", "条款", "处理结果", "对应事项", "条款原文")
COVERAGE_TITLE = "各文件条款处理情况（每一条款：已编码为事项，或记录不属于惠企事项的理由）"


def _basis_short(item: Item) -> str:
    return "；".join(f"{b.document} {b.clause}" for b in item.basis)


def _basis_full(item: Item) -> str:
    return "\n".join(f"{b.document} {b.clause}：“{b.quote}”" for b in item.basis)


def list_row(number: int, item: Item) -> tuple[str, ...]:
    return (str(number), item.name, item.beneficiaries, item.place, item.way, item.departments, item.status,
            item.period, _basis_short(item))


def guide_row(number: int, item: Item) -> tuple[str, ...]:
    conditions = "\n".join(f"{i}. {c}" for i, c in enumerate(item.conditions, 1)) or "无其他条件"
    return (str(number), item.name, item.beneficiaries, item.place, conditions, item.standard, item.way, item.when,
            item.evidence, item.departments, _basis_full(item), item.status, item.period)


def clause_row(row: ClauseRow) -> tuple[str, ...]:
    return (row.document, row.clause, row.outcome, row.items or "—", row.text)


def title(city: str | None, day: dt.date) -> str:
    return f"{city or '广西'}创新创业惠企政策事项清单和申兑指南（{day.isoformat()}）"


def write(path: Path, heading: str, items: list[Item], clauses: list[ClauseRow]) -> None:
    """Write the guide in the format the file's suffix names (.xlsx, .html, .pdf)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _xlsx(path, heading, items, clauses)
    elif suffix in (".html", ".htm"):
        path.write_text(_html(heading, items, clauses), encoding="utf-8")
    elif suffix == ".pdf":
        _pdf(path, heading, items, clauses)
    else:
        raise ValueError(f"unknown suffix {path.suffix!r}")


def _xlsx(path: Path, heading: str, items: list[Item], clauses: list[ClauseRow]) -> None:
    write_book(path, [
        Sheet("事项清单", heading, LIST_HEADERS, [list_row(i, x) for i, x in enumerate(items, 1)],
              (6, 28, 16, 10, 14, 30, 12, 24, 40)),
        Sheet("申兑指南", heading, GUIDE_HEADERS, [guide_row(i, x) for i, x in enumerate(items, 1)],
              (6, 24, 14, 10, 40, 40, 12, 16, 20, 26, 60, 12, 22)),
        Sheet("条款覆盖", COVERAGE_TITLE, CLAUSE_HEADERS, [clause_row(r) for r in clauses], (30, 16, 18, 30, 80)),
    ])


@dataclass(frozen=True)
class Sheet:
    """A sheet of a workbook for people: a title line, a header row, rows of text, column widths."""

    name: str
    heading: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    widths: tuple[int, ...]


def write_book(path: Path, sheets: list[Sheet]) -> None:
    """A workbook of text sheets as the guide lays them out (wrapped text, frozen headers, filters); also what
    `subsidy rules diff -o diff.xlsx` writes. A file that cannot be created raises OSError."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top", "border": 1})
    cell = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
    big = book.add_format({"bold": True, "font_size": 14})
    for one in sheets:
        sheet = book.add_worksheet(one.name)
        sheet.write(0, 0, one.heading, big)
        for column, (header, width) in enumerate(zip(one.headers, one.widths, strict=True)):
            sheet.set_column(column, column, width)
            sheet.write(1, column, header, head)
        for r, row in enumerate(one.rows, start=2):
            for column, value in enumerate(row):
                sheet.write_string(r, column, value, cell)
        sheet.freeze_panes(2, 0)
        sheet.autofilter(1, 0, max(1, len(one.rows) + 1), len(one.headers) - 1)
    try:
        book.close()
    except xlsxwriter.exceptions.FileCreateError as error:  # its OSError, as the other writers raise it
        raise OSError(*error.args[0].args) if error.args and isinstance(error.args[0], OSError) else OSError(
            str(error)) from None


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v).replace(chr(10), '<br>')}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html(heading: str, items: list[Item], clauses: list[ClauseRow]) -> str:
    style = ("body{font-family:'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;margin:1.5em}"
             "table{border-collapse:collapse;margin-bottom:2em;font-size:13px}"
             "th,td{border:1px solid #999;padding:4px;vertical-align:top}th{background:#DDEBF7}")
    return (
        f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{html.escape(heading)}</title>"
        f"<style>{style}</style></head><body><h1>{html.escape(heading)}</h1>"
        f"<h2>事项清单</h2>{_table(LIST_HEADERS, [list_row(i, x) for i, x in enumerate(items, 1)])}"
        f"<h2>申兑指南</h2>{_table(GUIDE_HEADERS, [guide_row(i, x) for i, x in enumerate(items, 1)])}"
        f"<h2>条款覆盖</h2>{_table(CLAUSE_HEADERS, [clause_row(r) for r in clauses])}</body></html>\n"
    )


@functools.cache
def _styles() -> dict[str, Any]:
    """Paragraph styles in STSong-Light, the CID font every PDF reader has: no font file travels or is needed."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return paragraph_styles(FONT)


def _pdf(path: Path, heading: str, items: list[Item], clauses: list[ClauseRow]) -> None:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    styles = _styles()

    def para(text: str, style: str = "body") -> Any:
        return Paragraph(html.escape(text).replace("\n", "<br/>"), styles[style])

    story: list[Any] = [para(heading, "title"), para("事项清单", "h2")]
    for i, x in enumerate(items, 1):
        story.append(para(f"{i}. {x.name}（{x.beneficiaries}；{x.place}；{x.way}；{x.status}）", "body"))
    story += [PageBreak(), para("申兑指南", "h2")]
    for i, x in enumerate(items, 1):
        row = guide_row(i, x)
        story.append(para(f"{i}. {x.name}", "h3"))
        for header, value in zip(GUIDE_HEADERS[2:], row[2:], strict=True):
            story.append(para(f"{header}：{value}", "quote" if header.startswith("政策依据") else "body"))
        story.append(Spacer(0, 6))
    story += [PageBreak(), para("条款覆盖", "h2")]
    for r in clauses:
        words = r.text if len(r.text) <= 80 else r.text[:79] + "…"
        story.append(para(f"{r.document} {r.clause}：{r.outcome}{'（' + r.items + '）' if r.items else ''}　{words}",
                          "small"))
    SimpleDocTemplate(str(path), pagesize=landscape(A4), title=heading).build(story)
