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

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import polars as pl

from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.batch.assume import ASSUMED
from guangxi_subsidy.engine.batch.layouts import BatchResult, RuleInfo
from guangxi_subsidy.engine.batch.resultsheet import CARRIED, Styles, Words, result_blocks, yuan_text
from guangxi_subsidy.engine.batch.scenariosheets import ScenarioSide, difference_sheet
from guangxi_subsidy.engine.batch.summary import Summary
from guangxi_subsidy.engine.batch.worksheets import (
    about_sheet,
    print_setup,
    rejected_sheet,
    rows_named,
    totals_sheet,
)
from guangxi_subsidy.engine.batch.writers.sheetxml import LongSheet, SharedStrings, splice
from guangxi_subsidy.engine.evaluation.outcome import STATUS_WORDS
from guangxi_subsidy.engine.i18n import translations
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.rules.pack import RulePack

ZH = translations("zh").gettext  # the workbook is for people, in Chinese
KIND_WORDS = {"unquantified": "金额未量化", "up_to": "金额未量化（设有上限）", "non_monetary": "非货币支持",
              "range": "金额区间", "incomplete": "缺少资料"}


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

    def write(self, out: IO[bytes], summary: Summary, receipt: dict[str, str], other: Summary | None = None) -> None:
        """The workbook onto `out`: xlsxwriter writes the small parts (styles, headings, the short sheets) to a
        scratch file, and the results sheets' rows are streamed into the copy (writers/sheetxml.py)."""
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
            # (the streamed cells name their styles by number: each format numbered now, as a cell would)
            styles = Styles(*(self.formats[k]._get_xf_index() for k in ("top", "money", "wrap")))
            side, second = self.side, self.second
            shared = SharedStrings()
            long = [self._results(book.add_worksheet("结果" if side is None else "基准结果"), styles, 1, shared)]
            if side is not None and second is not None:
                second.formats = self.formats
                long.append(second._results(book.add_worksheet(side.sheet_name), styles, 2, shared))
                difference_sheet(book.add_worksheet("差异"), side, self.rules, self.sheets, self.formats)
            errors = pl.concat(self.errors).sort(ROW, maintain_order=True) if self.errors else pl.DataFrame()
            rejected_sheet(book.add_worksheet("未通过的行"), errors, self.sheets, self.formats)
            totals_sheet(book.add_worksheet("合计" if side is None else "基准合计"), summary, self.pack,
                         self.formats)
            if side is not None and second is not None and other is not None:
                totals_sheet(book.add_worksheet(f"{side.side_name}合计"), other, second.pack, self.formats)
            about_sheet(book.add_worksheet("说明"), summary, receipt, self.formats)
            book.close()
            with path.open("rb") as small:
                splice(small, out, long, shared)

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

    def _results(self, sheet: Any, styles: Styles, number: int, shared: SharedStrings) -> LongSheet:
        """The results sheet's heading, widths and print set-up (xlsxwriter's), and its rows to stream in."""
        applicants = pl.concat(self.applicants) if self.applicants else pl.DataFrame(schema={ROW: pl.Int64})
        applicants = applicants.sort(ROW, maintain_order=True)  # (file order; the benefits are taken in step)
        benefits = pl.concat(self.benefits).sort(ROW, maintain_order=True) if self.benefits else None
        order = {info.id: n for n, info in enumerate(self.rules)}
        shown = sorted(benefits["rule_id"].unique().to_list(), key=order.__getitem__) if benefits is not None else []
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
        sheet.freeze_panes(1, 2)
        widths = ([20 if self.sheets else 8, 16, 24, 14, 10, 10, 12] + [18] * len(shown) + [16, 36, 40, 30]
                  + [14] * len(carried))
        for column, width in enumerate(widths):
            money = first <= column <= after
            sheet.set_column(column, column, width, self.formats["money"] if money else None)
        sheet.autofilter(0, 0, max(applicants.height, 1), len(head) - 1)
        print_setup(sheet)
        words = Words(self._names, self._labels, lambda s: ZH(STATUS_WORDS.get(s, s)), _word, self._stakes(),
                      _by_row(pl.concat(self.assumed), self._labels) if self.assumed else None)
        rows = result_blocks(applicants, benefits, shown, carried, self.sheets, words, styles, shared)
        return LongSheet(f"xl/worksheets/sheet{number}.xml", rows, applicants.height, len(head))

    def _name(self, rule_id: str) -> str:
        return next(info.name for info in self.rules if info.id == rule_id) if rule_id not in self._names \
            else self._names[rule_id]

    def _labels(self, names: list[str]) -> str:
        if not hasattr(self, "_field_labels"):
            self._field_labels = field_labels()
        labels = self._field_labels
        return "、".join(labels.get(n.strip(), n.strip()) for n in names if n.strip())

    def _stakes(self) -> pl.DataFrame | None:
        """The blanks that hold money back, a line each in order (sorted by row): the fields (those the rule
        reads), the benefit, the amount; each distinct field list and amount put in words once."""
        if not self.stakes:
            return None
        stakes = pl.concat(self.stakes).sort(ROW, maintain_order=True)
        fields = {(r, a): self._labels([f for f in a.split(",") if self._reads(r, f)])
                  for r, a in stakes.select("rule_id", ASSUMED).unique().iter_rows()}
        key = pl.concat_str([pl.col("rule_id"), pl.col(ASSUMED)], separator="\x00")
        said = {f"{r}\x00{a}": text for (r, a), text in fields.items()}
        name = pl.col("rule_id").replace_strict(self._names, default=pl.col("rule_id"), return_dtype=pl.String)
        return stakes.select(ROW, pl.concat_str([
            key.replace_strict(said, return_dtype=pl.String), pl.lit("（"), name, pl.lit("：按未享受计算可得 "),
            pl.when(pl.col("value").is_null()).then(pl.lit("金额未量化"))
            .otherwise(pl.concat_str([yuan_text(pl.col("value")), pl.lit(" 元")])),
            pl.lit("）")]).alias("text"))

    def _reads(self, rule_id: str, name: str) -> bool:
        if self.pack is None or rule_id not in self.pack.rules:
            return True
        if rule_id not in self._read:
            self._read[rule_id] = frozenset(self.pack.rules[rule_id].fields_read())
        return name in self._read[rule_id]


def _by_row(frame: pl.DataFrame, labels: Callable[[list[str]], str]) -> pl.DataFrame:
    """Per row whose blanks were read as none: the words saying which (each distinct list put in words once)."""
    said = {a: f"已按未享受计算：{labels(a.split(','))}（表中未填）" for a in frame[ASSUMED].unique().to_list()}
    return frame.sort(ROW, maintain_order=True).select(
        ROW, pl.col(ASSUMED).replace_strict(said, return_dtype=pl.String).alias("text"))


def _word(item: dict[str, Any]) -> str:
    word = KIND_WORDS.get(item["amount_kind"], item["amount_kind"])
    if item["amount_kind"] == "range" and item["min"] is not None:
        word += f" {item['min']:,.2f} – {item['max']:,.2f}"
    elif item["amount_kind"] == "up_to" and item["max"] is not None:
        word += f" {item['max']:,.2f}"
    return word


def readable_errors(errors: pl.DataFrame, sheets: dict[int, str]) -> pl.DataFrame:
    """The errors file's reasons with rows named as the person finds them (the row column keeps its number)."""
    if not sheets or not errors.height:
        return errors
    return errors.with_columns(pl.col("reason").map_elements(lambda t: rows_named(t, sheets),
                                                             return_dtype=pl.String))
