"""The results workbook's other sheets (rejected rows, totals, what was computed), and what every sheet shares:
rows named as the person finds them, and a page set up to print.

A row of a book of several sheets is numbered N × 10,000,000 + row for the Nth sheet, so that every row of the
book has a number of its own; a person looks for "创业孵化基地 第 3 行", so every place a row is named for people (the
row column, and a reason that names another row) says that instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.batch.layouts import RuleInfo
from guangxi_subsidy.engine.batch.summary import Summary
from guangxi_subsidy.engine.evaluation.outcome import Status
from guangxi_subsidy.engine.rules.pack import RulePack

EXACT_DIGITS = 15  # a double shows any decimal of up to 15 significant digits exactly
NONE_LISTED = "（文件未列明）"
UNLISTED = RuleInfo("", "", "", False, (), "").lead  # the lead of a rule that lists no department
_CODES = re.compile(r"（[a-z_]+）")  # a choice's code beside its label, for a program's reader: not on a sheet
_ROW_IN_TEXT = re.compile(r"(?:第 ?|row )(\d{8,})(?: ?行)?")


def row_name(row: int, sheets: Mapping[int, str]) -> int | str:
    """A row as a person finds it: its number, or in a book of several sheets the sheet and the number."""
    if not sheets:
        return row
    offset = max((o for o in sheets if o <= row), default=0)
    if offset == 0:
        return row
    return f"{sheets[offset]} 第 {row - offset} 行"


def rows_named(text: str, sheets: Mapping[int, str]) -> str:
    """A reason with the book's row numbers in it ("同一申请人在第 10000003 行") named as the person finds them."""
    if not sheets or not text:
        return text
    return _ROW_IN_TEXT.sub(lambda m: _named(int(m.group(1)), sheets, m.group(0)), text)


def _named(row: int, sheets: Mapping[int, str], written: str) -> str:
    name = row_name(row, sheets)
    return name if isinstance(name, str) else written


def print_setup(sheet: Any, header_rows: int = 1) -> None:
    """A sheet that prints as people expect: A4 landscape, one page wide, the heading on every page, numbered."""
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    if header_rows:
        sheet.repeat_rows(0, header_rows - 1)
    sheet.set_footer("&C第 &P 页，共 &N 页")


def write_money(sheet: Any, line: int, column: int, value: Decimal | None, money: Any) -> None:
    """An exact amount: a number when a double shows it exactly (up to 15 digits), else text, never rounded."""
    if value is None:
        return
    if len(value.as_tuple().digits) <= EXACT_DIGITS:
        sheet.write_number(line, column, float(value), money)
    else:
        sheet.write_string(line, column, f"{value:,.2f}")


def document_of(rule_id: str, pack: RulePack | None) -> str:
    """The document a rule's benefit comes from, as a person cites it: title, number and clause."""
    if pack is None or rule_id not in pack.rules:
        return ""
    rule = pack.rules[rule_id]
    number = f"（{rule.document.number}）" if rule.document.number else ""
    return f"{rule.document.title}{number} {rule.clause}"


def rejected_sheet(sheet: Any, errors: Iterable[Any], sheets: Mapping[int, str], formats: dict[str, Any]) -> None:
    """The rows not evaluated, one line per problem: where, which column and field, the value and why (`errors`:
    frames of them, in order)."""
    labels = field_labels()
    for column, text in enumerate(["行号", "申请人编号", "列", "字段", "值", "原因"]):
        sheet.write_string(0, column, text, formats["head"])
    items = (item for frame in errors for item in frame.iter_rows(named=True))
    for line, item in enumerate(items, start=1):
        named = labels.get(item["field"] or "", item["field"] or "")
        values = [row_name(item["row"], sheets), item["id"], labels.get(item["column"] or "", item["column"]), named,
                  item["value"], _CODES.sub("", rows_named(item["reason"] or "", sheets))]
        for column, value in enumerate(values):
            if value not in (None, ""):
                if column == 5:
                    sheet.write_string(line, column, value, formats["wrap"])
                else:
                    sheet.write(line, column, value)
    sheet.freeze_panes(1, 0)
    for column, width in enumerate([20 if sheets else 8, 16, 16, 20, 20, 60]):
        sheet.set_column(column, column, width)
    print_setup(sheet)


def totals_sheet(sheet: Any, summary: Summary, pack: RulePack | None, formats: dict[str, Any]) -> None:
    """Per benefit: its document, the applicants eligible and the money; per lead department, only those some
    applicant is eligible from, each under its one name."""
    head = ["补贴", "文件及条款", "符合条件人数", "金额合计（元）", "已失效", "尚未施行", "未量化", "牵头部门"]
    for column, text in enumerate(head):
        sheet.write_string(0, column, text, formats["head"])
    line = 1
    for info, counts in zip(summary.rules, summary.per_rule, strict=True):
        if not (counts[Status.ELIGIBLE] or counts[Status.EXPIRED] or counts[Status.NOT_YET_IN_FORCE]):
            continue
        sheet.write_string(line, 0, info.name + ("（征求意见稿）" if info.draft else ""), formats["wrap"])
        sheet.write_string(line, 1, document_of(info.id, pack), formats["wrap"])
        sheet.write_number(line, 2, counts[Status.ELIGIBLE])
        write_money(sheet, line, 3, Decimal(counts["amount"]) / 100, formats["money"])
        for column, key in ((4, Status.EXPIRED), (5, Status.NOT_YET_IN_FORCE), (6, "unquantified")):
            sheet.write_number(line, column, counts[key])
        sheet.write_string(line, 7, lead_of(info))
        line += 1
    line += 1
    heads = ["牵头部门", "符合条件人次", "补助（元）", "税费减免估算（元）", "贷款额度（元）"]
    for column, text in enumerate(heads):
        sheet.write_string(line, column, text, formats["head"])
    for name, values in summary.departments().items():
        if not values[Status.ELIGIBLE]:
            continue  # a department no applicant is eligible from is not a line of the budget
        line += 1
        sheet.write_string(line, 0, NONE_LISTED if name == UNLISTED else name)
        sheet.write_number(line, 1, values[Status.ELIGIBLE])
        for column, key in ((2, "grants"), (3, "relief_estimate"), (4, "loan_quota")):
            write_money(sheet, line, column, Decimal(values[key]) / 100, formats["money"])
    sheet.freeze_panes(1, 0)
    for column, width in enumerate([36, 50, 14, 18, 18, 14, 10, 24]):
        sheet.set_column(column, column, width)
    print_setup(sheet)


def lead_of(info: RuleInfo) -> str:
    return info.lead if info.departments else NONE_LISTED


def about_sheet(sheet: Any, summary: Summary, receipt: dict[str, str], formats: dict[str, Any]) -> None:
    """What was computed, for which date, with which rules and engine, from which file."""
    rows = [
        ("评估日期", receipt.get("as_of") or "各行的评估日期，未填则为运行当天"),
        ("规则摘要", receipt["rules_digest"]),
        ("引擎版本", receipt["engine_version"]),
        ("申请人文件", receipt["source"]),
        ("包含征求意见稿", "是" if receipt.get("include_drafts") == "true" else "否"),
        ("“已享受”类空白", "按未享受计算（结果已标明）" if receipt.get("assume_none_received") == "true"
         else "视为未知（“缺少资料”列写明所缺资料及其涉及金额）"),
        *([("对比", receipt["scenario"])] if receipt.get("scenario") else []),
        ("读取行数", str(summary.rows_read)),
        ("已评估", str(summary.evaluated)),
        ("未通过", str(summary.rejected)),
        ("未读取的列", receipt.get("not_read") or "无"),
        ("生成时间", dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")),
        ("说明", "金额精确到分（元）；每项金额出自该补贴引用的文件条款，见“合计”表的“文件及条款”列。"),
    ]
    for line, (key, value) in enumerate(rows):
        sheet.write_string(line, 0, key, formats["head"])
        sheet.write_string(line, 1, value, formats["wrap"])
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 80)
    print_setup(sheet, 0)
