"""Results as a workbook for people (`-o results.xlsx`): one sheet of results, one of rejected rows, one of
totals, one saying what was computed for which date with which rules.

The results sheet has a column per benefit that applies to someone in the file (headed by the benefit's name,
drafts marked, a name two rules share told apart by document and clause), the applicant's kind and city in
Chinese, amounts as numbers shown with two decimals and thousands separators, the words for what is not a number
(expired, not yet in force, unquantified) in a 状态 column, the facts missing with the money they hold back in a
缺少资料 column, and a 原因 column when nothing applies. Amounts are exact decimal yuan; a spreadsheet cell holds a
double, which shows any amount of up to 15 significant digits exactly (10^13 yuan to the fen); a larger amount
is written as text, so no figure is ever shown rounded.

Written with xlsxwriter in its constant-memory mode, the results sheets' rows streamed in a block at a time:
each row goes to the file as it is written, so the writer's memory stays flat however many rows (a workbook kept
in memory grew by about 9 KB a row). Rows must then be written in order, which they are: the run's typed rows
are set aside on disk batch by batch as the run goes (`writers/spill.py`), since only benefits that apply to
someone become columns, and read back in order, a block at a time, when the workbook is written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import polars as pl

from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.batch.assume import ASSUMED
from guangxi_subsidy.engine.batch.layouts import BatchResult, RuleInfo
from guangxi_subsidy.engine.batch.resultsheet import BLOCK, CARRIED, Styles, Words, result_blocks, yuan_text
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
from guangxi_subsidy.engine.batch.writers.spill import InStep, Spill
from guangxi_subsidy.engine.evaluation.outcome import STATUS_WORDS
from guangxi_subsidy.engine.i18n import translations
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.rules.pack import RulePack

ZH = translations("zh").gettext  # the workbook is for people, in Chinese
KIND_WORDS = {"unquantified": "金额未量化", "up_to": "金额未量化（设有上限）", "non_monetary": "非货币支持",
              "range": "金额区间", "incomplete": "缺少资料"}


@dataclass
class Workbook:
    """The rows of a run, set aside batch by batch, and the workbook written from them."""

    rules: list[RuleInfo]
    sheets: dict[int, str] = field(default_factory=dict)  # a book of several sheets: row offset -> sheet name
    pack: RulePack | None = None  # the rules' documents and fields, for titles and for the facts missing

    side: ScenarioSide | None = None  # a reform or a second date: its name and its differences
    second: Workbook | None = None  # that side's rows

    def beside(self, kind: str, label: str, rules: list[RuleInfo], pack: RulePack | None) -> None:
        """Write a second side (a reform, a date) into the same workbook: its results and the differences."""
        self.side = ScenarioSide(kind, label, rules, self.spill)
        self.second = Workbook(rules, self.sheets, pack)

    def add_side(self, result: BatchResult, difference: pl.DataFrame, extras: pl.DataFrame | None) -> None:
        assert self.side is not None and self.second is not None
        self.second.add(result, pl.DataFrame(schema=result.errors.schema), extras)
        self.side.add(difference)

    def __post_init__(self) -> None:
        self._names = {info.id: info.name for info in self.rules}
        self._read: dict[str, frozenset[str]] = {}
        self.spill = Spill()  # (applicants, benefits, errors, stakes, assumed: set aside as they come)
        self._shown: set[str] = set()  # the benefits someone in the file has a line of
        self._carried: list[str] | None = None  # the input's columns not read, once a batch has named them
        self._said: dict[str, str] = {}  # (rule, fields) -> the fields' labels, for the blanks' money at stake

    def add(self, result: BatchResult, rejected: pl.DataFrame, extras: pl.DataFrame | None = None,
            stakes: pl.DataFrame | None = None, assumed: pl.DataFrame | None = None) -> None:
        applicants = result.applicants.with_columns(result.totals.get_column("grants"))
        if extras is not None:
            carried = [c for c in extras.columns if c != ROW]
            self._carried = self._carried or carried
            if carried:
                applicants = applicants.join(extras.rename({c: CARRIED + c for c in carried}), on=ROW, how="left",
                                             maintain_order="left")
        self.spill.add("applicants", applicants)
        benefits = result.lines((ROW, "rule_id", "status", "amount_kind", "value", "min", "max", "missing"))
        self._shown.update(benefits.get_column("rule_id").unique().to_list())
        self.spill.add("benefits", benefits)
        self.spill.add("errors", pl.concat([rejected, result.errors]))
        if stakes is not None and stakes.height:
            self.spill.add("stakes", stakes)
        if assumed is not None and assumed.height:
            self.spill.add("assumed", assumed)

    def remove(self) -> None:
        """The rows set aside removed (the workbook written, or the run given up)."""
        self.spill.remove()
        if self.second is not None:
            self.second.remove()

    def write(self, out: IO[bytes], summary: Summary, receipt: dict[str, str], other: Summary | None = None) -> None:
        """The workbook onto `out`: xlsxwriter writes the small parts (styles, headings, the short sheets) to a
        scratch file, and the results sheets' rows are streamed into the copy (writers/sheetxml.py)."""
        import xlsxwriter

        try:
            self._write(out, summary, receipt, other, xlsxwriter)
        finally:
            self.remove()

    def _write(self, out: IO[bytes], summary: Summary, receipt: dict[str, str], other: Summary | None,
               xlsxwriter: Any) -> None:
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
            rejected_sheet(book.add_worksheet("未通过的行"), self.spill.frames("errors"), self.sheets, self.formats)
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
                name += f"（{rule.document.number or rule.document.title} {rule.clause}）"
            heads.append(name + ("（征求意见稿）" if infos[rule_id].draft else ""))
        return heads

    def _results(self, sheet: Any, styles: Styles, number: int, shared: SharedStrings) -> LongSheet:
        """The results sheet's heading, widths and print set-up (xlsxwriter's), and its rows to stream in."""
        order = {info.id: n for n, info in enumerate(self.rules)}
        shown = sorted(self._shown, key=order.__getitem__)
        head = ["表·行号" if self.sheets else "行号", "申请人编号", "申请人名称", "申请人类型", "所在城市", "所在区县",
                "评估日期", *self.headers(shown), "补助合计（元）", "状态", "缺少资料", "原因"]
        carried = self._carried or []
        height = self.spill.rows("applicants")
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
        sheet.autofilter(0, 0, max(height, 1), len(head) - 1)
        print_setup(sheet)
        words = Words(self._names, self._labels, lambda s: ZH(STATUS_WORDS.get(s, s)), _word, None, None)
        spill = self.spill
        benefits = InStep(spill.frames("benefits")).upto
        stakes = InStep(map(self._stakes, spill.frames("stakes"))).upto if "stakes" in spill else None
        said: dict[str, str] = {}
        assumed = InStep(_by_row(f, self._labels, said) for f in spill.frames("assumed")).upto \
            if "assumed" in spill else None
        rows = result_blocks(self._blocks(carried), benefits, shown, carried, self.sheets, words, styles, shared,
                             stakes, assumed)
        return LongSheet(f"xl/worksheets/sheet{number}.xml", rows, height, len(head))

    def _blocks(self, carried: list[str]) -> Iterator[pl.DataFrame]:
        """The applicants in blocks of BLOCK rows, in order, each with every column carried (a batch that came
        without them has them empty)."""
        for block in self.spill.blocks("applicants", BLOCK):
            missing = [CARRIED + c for c in carried if CARRIED + c not in block.columns]
            yield block.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing) if missing else block

    def _name(self, rule_id: str) -> str:
        return next(info.name for info in self.rules if info.id == rule_id) if rule_id not in self._names \
            else self._names[rule_id]

    def _labels(self, names: list[str]) -> str:
        if not hasattr(self, "_field_labels"):
            self._field_labels = field_labels()
        labels = self._field_labels
        return "、".join(labels.get(n.strip(), n.strip()) for n in names if n.strip())

    def _stakes(self, stakes: pl.DataFrame) -> pl.DataFrame:
        """The blanks that hold money back (lines sorted by row), a line each: the fields (those the rule reads),
        the benefit, the amount; each distinct field list put in words once for the run."""
        said = self._said
        for r, a in stakes.select("rule_id", ASSUMED).unique().iter_rows():
            if f"{r}\x00{a}" not in said:
                said[f"{r}\x00{a}"] = self._labels([f for f in a.split(",") if self._reads(r, f)])
        key = pl.concat_str([pl.col("rule_id"), pl.col(ASSUMED)], separator="\x00")
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


def _by_row(frame: pl.DataFrame, labels: Callable[[list[str]], str], said: dict[str, str]) -> pl.DataFrame:
    """Per row whose blanks were read as none (sorted by row): the words saying which (each distinct list put in
    words once, kept in `said`)."""
    for a in frame[ASSUMED].unique().to_list():
        if a not in said:
            said[a] = f"已按未享受计算：{labels(a.split(','))}（表中未填）"
    return frame.select(ROW, pl.col(ASSUMED).replace_strict(said, return_dtype=pl.String).alias("text"))


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
