"""Results as a workbook for people (`-o results.xlsx`): one sheet of results, one of rejected rows, one of
totals, one saying what was computed for which date with which rules.

The results sheet has a column per benefit that applies to someone in the file (headed by the benefit's name,
drafts marked), the applicant's kind and city in Chinese, amounts as numbers shown with two decimals and
thousands separators, and the words for what is not a number (expired, not yet in force, unquantified, facts
missing) in a column of their own, beside a column of reasons when nothing applies. Amounts are exact decimal
yuan; a spreadsheet cell holds a double, which shows any amount of up to 15 significant digits exactly (10^13
yuan to the fen); a larger amount is written as text, so no figure is ever shown rounded.

Written with xlsxwriter: it writes a sheet row by row without holding cells as objects (openpyxl keeps a cell
object per cell, several times the memory and time). The rows are gathered as the run goes (they must all be
known before the columns are: only benefits that apply to someone are columns) and written at the end.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.applicant.spellings import CITY_LABELS, KIND_LABELS
from guangxi_subsidy.engine.batch.layouts import BatchResult, RuleInfo
from guangxi_subsidy.engine.batch.summary import Summary
from guangxi_subsidy.engine.evaluation.outcome import STATUS_WORDS, Status
from guangxi_subsidy.engine.i18n import _, translations
from guangxi_subsidy.engine.intake.frames import ROW

EXACT_DIGITS = 15  # a double shows any decimal of up to 15 significant digits exactly
ZH = translations("zh").gettext  # the workbook is for people, in Chinese
KIND_WORDS = {"unquantified": "金额未量化", "up_to": "金额未量化（设有上限）", "non_monetary": "非货币支持",
              "range": "金额区间", "incomplete": "缺少资料"}


@dataclass
class Workbook:
    """The rows of a run, gathered batch by batch, and the workbook written from them."""

    rules: list[RuleInfo]
    sheets: dict[int, str] = field(default_factory=dict)  # a book of several sheets: row offset -> sheet name
    applicants: list[pl.DataFrame] = field(default_factory=list)
    benefits: list[pl.DataFrame] = field(default_factory=list)
    errors: list[pl.DataFrame] = field(default_factory=list)
    extras: list[pl.DataFrame] = field(default_factory=list)  # the input's columns not read, by row

    def add(self, result: BatchResult, rejected: pl.DataFrame, extras: pl.DataFrame | None = None) -> None:
        self.applicants.append(result.applicants.with_columns(result.totals.get_column("grants")))
        self.benefits.append(result.benefits)
        self.errors.append(pl.concat([rejected, result.errors]))
        if extras is not None:
            self.extras.append(extras)

    def write(self, summary: Summary, receipt: dict[str, str]) -> bytes:
        import xlsxwriter

        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False,
                                            "strings_to_formulas": False, "strings_to_urls": False})
        self.formats = {
            "head": book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top",
                                     "border": 1}),
            "money": book.add_format({"num_format": "#,##0.00"}),
            "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        }
        self._results(book.add_worksheet("结果"))
        self._rejected(book.add_worksheet("未通过的行"))
        self._totals(book.add_worksheet("合计"), summary)
        self._about(book.add_worksheet("说明"), summary, receipt)
        book.close()
        return buffer.getvalue()

    def _results(self, sheet: Any) -> None:
        applicants = pl.concat(self.applicants) if self.applicants else pl.DataFrame()
        benefits = pl.concat(self.benefits) if self.benefits else pl.DataFrame()
        shown = sorted(set(benefits["rule_id"].to_list())) if benefits.height else []
        order = {info.id: n for n, info in enumerate(self.rules)}
        shown.sort(key=order.__getitem__)
        infos = {info.id: info for info in self.rules}
        labels = field_labels()
        head = ["行号", "申请人编号", "申请人名称", "申请人类型", "所在城市", "所在区县", "评估日期"]
        if self.sheets:
            head[0] = "表·行号"
        head += [infos[r].name + ("（征求意见稿）" if infos[r].draft else "") for r in shown]
        head += ["补助合计（元）", "状态", "原因"]
        extras = pl.concat(self.extras) if self.extras else pl.DataFrame({ROW: []}, schema={ROW: pl.Int64})
        carried = [c for c in extras.columns if c != ROW]  # the input's columns not read, after the results
        kept = {r[ROW]: r for r in extras.iter_rows(named=True)} if carried else {}
        first_extra = len(head)
        head += carried
        for column, text in enumerate(head):
            sheet.write_string(0, column, text, self.formats["head"])
        by_row: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for item in benefits.iter_rows(named=True) if benefits.height else []:
            by_row[item[ROW]].append(item)
        base = first_extra - len(shown) - 3
        for line, person in enumerate(applicants.iter_rows(named=True) if applicants.height else [], start=1):
            values = [self._where(person[ROW]), person["id"], person.get("name"),
                      KIND_LABELS.get(person["kind"], person["kind"]), CITY_LABELS.get(person["city"], person["city"]),
                      person.get("district"), _day(person.get("as_of_used"))]
            for column, value in enumerate(values):
                if value is not None:
                    sheet.write(line, column, value)
            words, reasons = [], []
            for item in by_row.get(person[ROW], []):
                column = base + shown.index(item["rule_id"])
                name = infos[item["rule_id"]].name
                if item["status"] != Status.ELIGIBLE:
                    words.append(f"{name}：{ZH(STATUS_WORDS.get(item['status'], item['status']))}")
                    continue
                if item["amount_kind"] in ("exact", "estimate") and item["value"] is not None:
                    self._money(sheet, line, column, item["value"])
                    if item["amount_kind"] == "estimate":
                        words.append(f"{name}：估算")
                    continue
                word = KIND_WORDS.get(item["amount_kind"], item["amount_kind"])
                if item["amount_kind"] == "range" and item["min"] is not None:
                    word += f" {item['min']:,.2f} – {item['max']:,.2f}"
                elif item["amount_kind"] == "up_to" and item["max"] is not None:
                    word += f" {item['max']:,.2f}"
                if item["amount_kind"] == "incomplete" and item["missing"]:
                    needs = "、".join(labels.get(m.strip(), m.strip()) for m in str(item["missing"]).split(","))
                    reasons.append(f"{name}：需补充 {needs}")
                words.append(f"{name}：{word}")
            if not by_row.get(person[ROW]):
                reasons.append("没有适用的补贴：申请人类型、所在城市或条件不符，或缺少资料")
            self._money(sheet, line, first_extra - 3, person["grants"])
            if words:
                sheet.write_string(line, first_extra - 2, "；".join(words), self.formats["wrap"])
            if reasons:
                sheet.write_string(line, first_extra - 1, "；".join(reasons), self.formats["wrap"])
            for offset, name in enumerate(carried):
                value = kept.get(person[ROW], {}).get(name)
                if value is not None:
                    sheet.write_string(line, first_extra + offset, value)  # as the file had it, never a formula
        sheet.freeze_panes(1, 2)
        widths = [6, 16, 24, 14, 10, 10, 12] + [18] * len(shown) + [16, 40, 40] + [14] * len(carried)
        for column, width in enumerate(widths):
            money = base <= column < first_extra - 2
            sheet.set_column(column, column, width, self.formats["money"] if money else None)
        sheet.autofilter(0, 0, max(applicants.height, 1), len(head) - 1)

    def _where(self, row: int) -> int | str:
        """A row as a person finds it: its number, or in a book of several sheets the sheet and the number."""
        if not self.sheets:
            return row
        offset = max((o for o in self.sheets if o <= row), default=0)
        return f"{self.sheets.get(offset, '')} 第 {row - offset} 行"

    def _money(self, sheet: Any, line: int, column: int, value: Decimal | None) -> None:
        if value is None:
            return
        if len(value.as_tuple().digits) <= EXACT_DIGITS:
            sheet.write_number(line, column, float(value), self.formats["money"])
        else:
            sheet.write_string(line, column, f"{value:,.2f}")

    def _rejected(self, sheet: Any) -> None:
        errors = pl.concat(self.errors).sort(ROW, maintain_order=True) if self.errors else pl.DataFrame()
        labels = field_labels()
        for column, text in enumerate(["行号", "申请人编号", "列", "字段", "值", "原因"]):
            sheet.write_string(0, column, text, self.formats["head"])
        for line, item in enumerate(errors.iter_rows(named=True) if errors.height else [], start=1):
            named = labels.get(item["field"] or "", item["field"] or "")
            for column, value in enumerate([self._where(item[ROW]), item["id"], item["column"], named, item["value"],
                                            item["reason"]]):
                if value not in (None, ""):
                    sheet.write(line, column, value)
        sheet.freeze_panes(1, 0)
        for column, width in enumerate([6, 16, 16, 20, 20, 60]):
            sheet.set_column(column, column, width)

    def _totals(self, sheet: Any, summary: Summary) -> None:
        head = ["补贴", "文件", "符合条件人数", "金额合计（元）", "已失效", "尚未施行", "未量化", "牵头部门"]
        for column, text in enumerate(head):
            sheet.write_string(0, column, text, self.formats["head"])
        line = 1
        for info, counts in zip(summary.rules, summary.per_rule, strict=True):
            if not (counts[Status.ELIGIBLE] or counts[Status.EXPIRED] or counts[Status.NOT_YET_IN_FORCE]):
                continue
            sheet.write_string(line, 0, info.name + ("（征求意见稿）" if info.draft else ""))
            sheet.write_string(line, 1, info.id)
            sheet.write_number(line, 2, counts[Status.ELIGIBLE])
            self._money(sheet, line, 3, Decimal(counts["amount"]) / 100)
            for column, key in ((4, Status.EXPIRED), (5, Status.NOT_YET_IN_FORCE), (6, "unquantified")):
                sheet.write_number(line, column, counts[key])
            sheet.write_string(line, 7, info.lead)
            line += 1
        line += 1
        heads = ["牵头部门", "符合条件人次", "补助（元）", "税费减免估算（元）", "贷款额度（元）"]
        for column, text in enumerate(heads):
            sheet.write_string(line, column, text, self.formats["head"])
        for name, values in summary.departments().items():
            line += 1
            sheet.write_string(line, 0, name)
            sheet.write_number(line, 1, values[Status.ELIGIBLE])
            for column, key in ((2, "grants"), (3, "relief_estimate"), (4, "loan_quota")):
                self._money(sheet, line, column, Decimal(values[key]) / 100)
        sheet.freeze_panes(1, 0)
        for column, width in enumerate([36, 40, 14, 18, 18, 14, 10, 30]):
            sheet.set_column(column, column, width)

    def _about(self, sheet: Any, summary: Summary, receipt: dict[str, str]) -> None:
        rows = [
            ("评估日期", receipt.get("as_of") or "各行的评估日期，未填则为运行当天"),
            ("规则摘要（rules digest）", receipt["rules_digest"]),
            ("引擎版本", receipt["engine_version"]),
            ("申请人文件", receipt["source"]),
            ("包含征求意见稿", "是" if receipt.get("include_drafts") == "true" else "否"),
            ("读取行数", str(summary.rows_read)),
            ("已评估", str(summary.evaluated)),
            ("未通过", str(summary.rejected)),
            ("未读取的列", receipt.get("not_read") or "无"),
            ("生成时间", dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")),
            ("说明", _("Amounts are exact yuan; each comes from the clause its benefit quotes (`subsidy rules "
                       "show ID`).")),
        ]
        for line, (key, value) in enumerate(rows):
            sheet.write_string(line, 0, key, self.formats["head"])
            sheet.write_string(line, 1, value, self.formats["wrap"])
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 1, 80)


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value
