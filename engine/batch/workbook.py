"""Results as a workbook for people (`-o results.xlsx`): one sheet of results, one of rejected rows, one of
totals, one saying what was computed for which date with which rules.

The results sheet has a column per benefit that applies to someone in the file (headed by the benefit's name,
drafts marked, a name two rules share told apart by document and clause), the applicant's kind and city in
Chinese, amounts as numbers shown with two decimals and thousands separators, the words for what is not a number
(expired, not yet in force, unquantified) in a 状态 column, the facts missing with the money they hold back in a
缺少资料 column, and a 原因 column when nothing applies. Amounts are exact decimal yuan; a spreadsheet cell holds a
double, which shows any amount of up to 15 significant digits exactly (10^13 yuan to the fen); a larger amount
is written as text, so no figure is ever shown rounded.

Written with xlsxwriter in its constant-memory mode: each row goes to the file as it is written, so the
writer's memory stays flat however many rows (a workbook kept in memory grew by about 9 KB a row). Rows must
then be written in order, which they are: the run's frames (typed, a few dozen bytes a row) are gathered as it
goes, since only benefits that apply to someone become columns, and written row after row at the end.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.applicant.spellings import CITY_LABELS, KIND_LABELS
from guangxi_subsidy.engine.batch.assume import ASSUMED
from guangxi_subsidy.engine.batch.layouts import BatchResult, RuleInfo
from guangxi_subsidy.engine.batch.scenariosheets import ScenarioSide, difference_sheet
from guangxi_subsidy.engine.batch.summary import Summary
from guangxi_subsidy.engine.batch.worksheets import (
    about_sheet,
    print_setup,
    rejected_sheet,
    row_name,
    rows_named,
    totals_sheet,
    write_money,
)
from guangxi_subsidy.engine.evaluation.outcome import STATUS_WORDS, Status
from guangxi_subsidy.engine.i18n import translations
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.money import format_yuan
from guangxi_subsidy.engine.rules.pack import RulePack

ZH = translations("zh").gettext  # the workbook is for people, in Chinese
KIND_WORDS = {"unquantified": "金额未量化", "up_to": "金额未量化（设有上限）", "non_monetary": "非货币支持",
              "range": "金额区间", "incomplete": "缺少资料"}
CARRIED = "\x00carried:"  # (the input's columns not read, apart from the results' own names)


@dataclass
class Workbook:
    """The rows of a run, gathered batch by batch, and the workbook written from them."""

    rules: list[RuleInfo]
    sheets: dict[int, str] = field(default_factory=dict)  # a book of several sheets: row offset -> sheet name
    pack: RulePack | None = None  # the rules' documents and fields, for titles and for the facts missing
    applicants: list[pl.DataFrame] = field(default_factory=list)
    benefits: list[pl.DataFrame] = field(default_factory=list)
    errors: list[pl.DataFrame] = field(default_factory=list)
    extras: list[pl.DataFrame] = field(default_factory=list)  # the input's columns not read, by row
    stakes: list[pl.DataFrame] = field(default_factory=list)  # money a blank "already received" holds back
    assumed: list[pl.DataFrame] = field(default_factory=list)  # rows whose blanks were read as none

    side: ScenarioSide | None = None  # a reform or a second date: its name and its differences
    second: Workbook | None = None  # that side's rows

    def beside(self, kind: str, label: str, rules: list[RuleInfo], pack: RulePack | None) -> None:
        """Write a second side (a reform, a date) into the same workbook: its results and the differences."""
        self.side = ScenarioSide(kind, label, rules)
        self.second = Workbook(rules, self.sheets, pack)

    def add_side(self, result: BatchResult, difference: pl.DataFrame, extras: pl.DataFrame | None) -> None:
        assert self.side is not None and self.second is not None
        self.second.add(result, pl.DataFrame(schema=result.errors.schema), extras)
        self.side.add(difference)

    def __post_init__(self) -> None:
        self._names = {info.id: info.name for info in self.rules}
        self._read: dict[str, frozenset[str]] = {}

    def add(self, result: BatchResult, rejected: pl.DataFrame, extras: pl.DataFrame | None = None,
            stakes: pl.DataFrame | None = None, assumed: pl.DataFrame | None = None) -> None:
        self.applicants.append(result.applicants.with_columns(result.totals.get_column("grants")))
        self.benefits.append(result.benefits.select(ROW, "rule_id", "status", "amount_kind", "value", "min", "max",
                                                    "missing"))
        self.errors.append(pl.concat([rejected, result.errors]))
        if extras is not None:
            self.extras.append(extras)
        if stakes is not None and stakes.height:
            self.stakes.append(stakes)
        if assumed is not None and assumed.height:
            self.assumed.append(assumed)

    def write(self, summary: Summary, receipt: dict[str, str], other: Summary | None = None) -> bytes:
        """The workbook's bytes (a few MB for 100,000 rows), written through a file in constant memory."""
        import xlsxwriter

        with tempfile.TemporaryDirectory(prefix="subsidy-xlsx-") as folder:
            path = Path(folder) / "results.xlsx"
            book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": folder,
                                                   "strings_to_formulas": False, "strings_to_urls": False})
            self.formats = {
                "head": book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top",
                                         "border": 1}),
                "money": book.add_format({"num_format": "#,##0.00", "valign": "top"}),
                "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
                "top": book.add_format({"valign": "top"}),
            }
            side, second = self.side, self.second
            self._results(book.add_worksheet("结果" if side is None else "基准结果"))
            if side is not None and second is not None:
                second.formats = self.formats
                second._results(book.add_worksheet(side.sheet_name))
                difference_sheet(book.add_worksheet("差异"), side, self.rules, self.sheets, self.formats)
            errors = pl.concat(self.errors).sort(ROW, maintain_order=True) if self.errors else pl.DataFrame()
            rejected_sheet(book.add_worksheet("未通过的行"), errors, self.sheets, self.formats)
            totals_sheet(book.add_worksheet("合计" if side is None else "基准合计"), summary, self.pack,
                         self.formats)
            if side is not None and second is not None and other is not None:
                totals_sheet(book.add_worksheet(f"{side.side_name}合计"), other, second.pack, self.formats)
            about_sheet(book.add_worksheet("说明"), summary, receipt, self.formats)
            book.close()
            return path.read_bytes()

    def headers(self, shown: list[str]) -> list[str]:
        """Each benefit's column head: its name, drafts marked; a name two benefits share gets its document's
        number and clause, so that every head is one benefit's."""
        infos = {info.id: info for info in self.rules}
        names = [infos[r].name for r in shown]
        heads = []
        for rule_id, name in zip(shown, names, strict=True):
            if names.count(name) > 1 and self.pack is not None and rule_id in self.pack.rules:
                rule = self.pack.rules[rule_id]
                name += f"（{rule.document.number or rule.document.title} {rule.rule.source.clause}）"
            heads.append(name + ("（征求意见稿）" if infos[rule_id].draft else ""))
        return heads

    def _results(self, sheet: Any) -> None:
        applicants = pl.concat(self.applicants) if self.applicants else pl.DataFrame(schema={ROW: pl.Int64})
        applicants = applicants.sort(ROW, maintain_order=True)  # (file order; the benefits are taken in step)
        benefits = pl.concat(self.benefits).sort(ROW, maintain_order=True) if self.benefits else None
        order = {info.id: n for n, info in enumerate(self.rules)}
        shown = sorted(set(benefits["rule_id"].to_list()), key=order.__getitem__) if benefits is not None else []
        column_of = {rule: n for n, rule in enumerate(shown)}
        head = ["表·行号" if self.sheets else "行号", "申请人编号", "申请人名称", "申请人类型", "所在城市", "所在区县",
                "评估日期", *self.headers(shown), "补助合计（元）", "状态", "缺少资料", "原因"]
        extras = pl.concat(self.extras) if self.extras else None
        carried = [c for c in extras.columns if c != ROW] if extras is not None else []
        if extras is not None and carried:
            applicants = applicants.join(extras.rename({c: CARRIED + c for c in carried}), on=ROW, how="left",
                                         maintain_order="left")
        first = 7  # the first benefit's column
        after = first + len(shown)  # the grants total, then 状态, 缺少资料, 原因, then the columns carried
        head += carried
        for column, text in enumerate(head):
            sheet.write_string(0, column, text, self.formats["head"])
        sheet.set_row(0, 48)
        items = _grouped(benefits)
        top = self.formats["top"]
        stakes = self._stakes()
        assumed = _by_row(pl.concat(self.assumed)) if self.assumed else {}
        for line, person in enumerate(applicants.iter_rows(named=True), start=1):
            row = person[ROW]
            values = [row_name(row, self.sheets), person["id"], person.get("name"),
                      KIND_LABELS.get(person["kind"], person["kind"]),
                      CITY_LABELS.get(person["city"], person["city"]), person.get("district"),
                      _day(person.get("as_of_used"))]
            for column, value in enumerate(values):
                if value is not None:  # (each cell by its type's own method: `write` looks the type up)
                    if isinstance(value, str):
                        sheet.write_string(line, column, value, top)
                    else:
                        sheet.write_number(line, column, value, top)
            mine = items.get_for(row)
            words, missing = [], list(stakes.get(row, []))
            for item in mine:
                name = self._name(item["rule_id"])
                if item["status"] != Status.ELIGIBLE:
                    words.append(f"{name}：{ZH(STATUS_WORDS.get(item['status'], item['status']))}")
                elif item["amount_kind"] in ("exact", "estimate") and item["value"] is not None:
                    write_money(sheet, line, first + column_of[item["rule_id"]], item["value"],
                                self.formats["money"])
                    if item["amount_kind"] == "estimate":
                        words.append(f"{name}：估算")
                else:
                    words.append(f"{name}：{_word(item)}")
                    if item["amount_kind"] == "incomplete" and item["missing"]:
                        missing.append(f"{name}：需补充 {self._labels(str(item['missing']).split(','))}")
            if row in assumed:
                words.append(f"已按未享受计算：{self._labels(assumed[row].split(','))}（表中未填）")
            write_money(sheet, line, after, person["grants"], self.formats["money"])
            for column, parts in ((after + 1, words), (after + 2, missing)):
                if parts:
                    sheet.write_string(line, column, "；".join(parts), self.formats["wrap"])
            if not mine:
                reason = "没有适用的补贴：申请人类型、所在城市或条件不符" + ("，或缺少资料" if missing else "")
                sheet.write_string(line, after + 3, reason, self.formats["wrap"])
            for offset, name in enumerate(carried):
                value = person.get(CARRIED + name)
                if value is not None:
                    sheet.write_string(line, after + 4 + offset, value)  # as the file had it, never a formula
        sheet.freeze_panes(1, 2)
        widths = ([20 if self.sheets else 8, 16, 24, 14, 10, 10, 12] + [18] * len(shown) + [16, 36, 40, 30]
                  + [14] * len(carried))
        for column, width in enumerate(widths):
            money = first <= column <= after
            sheet.set_column(column, column, width, self.formats["money"] if money else None)
        sheet.autofilter(0, 0, max(applicants.height, 1), len(head) - 1)
        print_setup(sheet)

    def _name(self, rule_id: str) -> str:
        return next(info.name for info in self.rules if info.id == rule_id) if rule_id not in self._names \
            else self._names[rule_id]

    def _labels(self, names: list[str]) -> str:
        if not hasattr(self, "_field_labels"):
            self._field_labels = field_labels()
        labels = self._field_labels
        return "、".join(labels.get(n.strip(), n.strip()) for n in names if n.strip())

    def _stakes(self) -> dict[int, list[str]]:
        """Per row, the blanks that hold money back: the fields (those the rule reads), the benefit, the amount."""
        out: dict[int, list[str]] = {}
        if not self.stakes:
            return out
        for item in pl.concat(self.stakes).iter_rows(named=True):
            fields = [f for f in item[ASSUMED].split(",") if self._reads(item["rule_id"], f)]
            worth = "金额未量化" if item["value"] is None else f"{format_yuan(item['value'])} 元"
            out.setdefault(item[ROW], []).append(
                f"{self._labels(fields)}（{self._name(item['rule_id'])}：按未享受计算可得 {worth}）")
        return out

    def _reads(self, rule_id: str, name: str) -> bool:
        if self.pack is None or rule_id not in self.pack.rules:
            return True
        if rule_id not in self._read:
            self._read[rule_id] = frozenset(self.pack.rules[rule_id].fields_read())
        return name in self._read[rule_id]


class _Grouped:
    """The benefits of each row, handed out row after row (the frame sorted by row), one row's at a time."""

    def __init__(self, rows: Iterator[dict[str, Any]]):
        self._rows = rows
        self._next: dict[str, Any] | None = next(rows, None)

    def get_for(self, row: int) -> list[dict[str, Any]]:
        out = []
        while self._next is not None and self._next[ROW] <= row:
            if self._next[ROW] == row:
                out.append(self._next)
            self._next = next(self._rows, None)
        return out


def _grouped(benefits: pl.DataFrame | None) -> _Grouped:
    return _Grouped(iter(benefits.iter_rows(named=True)) if benefits is not None and benefits.height else iter(()))


def _by_row(frame: pl.DataFrame) -> dict[int, str]:
    return dict(zip(frame[ROW].to_list(), frame[ASSUMED].to_list(), strict=True))


def _word(item: dict[str, Any]) -> str:
    word = KIND_WORDS.get(item["amount_kind"], item["amount_kind"])
    if item["amount_kind"] == "range" and item["min"] is not None:
        word += f" {item['min']:,.2f} – {item['max']:,.2f}"
    elif item["amount_kind"] == "up_to" and item["max"] is not None:
        word += f" {item['max']:,.2f}"
    return word


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def readable_errors(errors: pl.DataFrame, sheets: dict[int, str]) -> pl.DataFrame:
    """The errors file's reasons with rows named as the person finds them (the row column keeps its number)."""
    if not sheets or not errors.height:
        return errors
    return errors.with_columns(pl.col("reason").map_elements(lambda t: rows_named(t, sheets),
                                                             return_dtype=pl.String))
