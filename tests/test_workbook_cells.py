"""Every cell of the results workbook, read back with openpyxl, says what the CSV results say for the same batch:
texts with XML's special characters, Chinese, a leading = + - @ (kept as text, never a formula), control
characters, very long texts and empty cells; amounts as exact numbers (0.01, 123456789.99), an amount a double
cannot hold as text. The rows are written by polars a block at a time (engine/batch/writers/sheetxml.py), so the
escaping is checked here, cell by cell, against the CSV writer's own output."""

from __future__ import annotations

import io
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import xlsxwriter
from openpyxl import load_workbook

from guangxi_subsidy.engine.batch.resultsheet import yuan_text
from guangxi_subsidy.engine.batch.run import BatchOptions, run_batch
from guangxi_subsidy.engine.batch.writers.sheetxml import (
    LongSheet,
    SharedStrings,
    number_cell,
    numbered,
    rows_xml,
    splice,
    text_cell,
)
from guangxi_subsidy.engine.money import format_yuan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import applicants as generated  # noqa: E402  (benchmarks/applicants.py: a list shaped like a real one)

HOSTILE = [
    '<r>x</r> & "引号" \'单\' <b>',  # XML's specials; a text shaped like xlsxwriter's rich string
    "=1+1", "+8613800000000", "-2", "@SUM(A1)", "\t制表开头", "=HYPERLINK(\"http://x\")",  # formulas, defused
    "控制\x01字符\x1f与\x0b\x0c", "回车\r换行\n", "_x0041_ 看似转义", "\ufffe非字符",
    "长" * 20_000,  # a very long text (a cell holds 32,767 characters)
    "  首尾空格  ", "中文：南宁市创业孵化基地（第一期）",
]
AMOUNT = re.compile(r"^-?\d+\.\d{2}$")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def excel_text(value: str) -> str:
    """A cell's text as Excel reads it: `_xHHHH_` is the character HHHH (`_x005F_` a literal underscore)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)


def defused(value: str) -> str:
    """What the CSV writer makes of a text from the applicant's file (a leading ' on a would-be formula)."""
    return "'" + value if re.match(r"^[=+\-@\t\r]", value) else value


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory, pack: Any) -> tuple[pl.DataFrame, dict[str, dict[str, Any]],
                                                                          list[str]]:
    """300 generated applicants, names and a 备注 column (not read: carried as the file had it) made hostile; the
    same batch written as CSV and as a workbook."""
    folder = tmp_path_factory.mktemp("cells")
    frame = generated.applicants(200, seed=11, pack=pack)
    notes = [HOSTILE[n % len(HOSTILE)] if n % 3 else None for n in range(frame.height)]
    names = [HOSTILE[(n * 7) % len(HOSTILE)][:200] if n % 4 == 0 else name
             for n, name in enumerate(frame["name"].to_list())]
    frame = frame.with_columns(pl.Series("name", names), pl.Series("备注", notes, dtype=pl.String))
    source = folder / "applicants.csv"
    frame.write_csv(source)
    run_batch(pack, source, BatchOptions(folder / "r.csv"))
    run_batch(pack, source, BatchOptions(folder / "r.xlsx"))
    csv = pl.read_csv(folder / "r.csv", infer_schema=False)
    sheet = load_workbook(folder / "r.xlsx")["结果"]
    rows = list(sheet.iter_rows(values_only=True))
    book = {str(r[1]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    return csv, book, [str(h) for h in rows[0]]


def test_every_text_cell_reads_back_as_the_csv_has_it_defused_there_and_plain_text_here(outputs) -> None:
    csv, book, _ = outputs
    assert len(book) == csv.height == 200
    seen = set()
    for line in csv.iter_rows(named=True):
        row = book[line["id"]]
        for head, column in (("申请人名称", "name"), ("备注", "备注")):
            cell, text = row[head], line[column]
            if text is None:
                assert cell is None  # an empty cell stays empty
                continue
            assert isinstance(cell, str)
            assert defused(excel_text(cell)) == text
            seen.add(excel_text(cell))
    assert set(HOSTILE) <= seen  # every hostile text went through, none was lost or rejected
    assert defused("=1+1") == "'=1+1"  # (the CSV's defusing, which the workbook does not need: a text cell)


def test_each_amount_is_the_exact_number_the_csv_writes_and_nothing_else_is_a_number(outputs, pack) -> None:
    csv, book, heads = outputs
    from guangxi_subsidy.engine.batch.workbook import Workbook

    rules = [c for c in csv.columns if c in pack.rules]
    infos = {info.id: info for info in _infos(pack)}
    named = dict(zip(Workbook([infos[r] for r in rules], pack=pack).headers(rules), rules, strict=True))
    compared = 0
    for line in csv.iter_rows(named=True):
        row = book[line["id"]]
        assert row["行号"] == int(line["row"])
        assert Decimal(repr(row["补助合计（元）"])) == Decimal(line["grants"])
        for head in heads[7:heads.index("补助合计（元）")]:
            text, cell = line[named[head]], row[head]
            if text is not None and AMOUNT.match(text):
                assert isinstance(cell, float | int) and Decimal(repr(float(cell))) == Decimal(text)
                compared += 1
            else:
                assert cell is None  # a word, not an amount: said in 状态 instead
    assert compared > 50


def _infos(pack: Any) -> list[Any]:
    from guangxi_subsidy.engine.batch.evaluator import Evaluator

    return Evaluator(pack).rules


def test_amounts_are_written_in_their_exact_decimal_form_with_the_money_format(tmp_path: Path) -> None:
    values = [Decimal("0.01"), Decimal("123456789.99"), Decimal("-0.05"), Decimal("9999999999999.99"), None]
    frame = pl.DataFrame({"v": pl.Series(values, dtype=pl.Decimal(38, 2)),
                          "t": ["a&b", None, "<c>", "\x00", ""]})
    scratch = tmp_path / "small.xlsx"
    book = xlsxwriter.Workbook(str(scratch), {"constant_memory": True})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet("S")
    sheet.write_string(0, 0, "金额")
    style = money._get_xf_index()
    book.close()
    rows = rows_xml(numbered(frame, 2), [number_cell(0, pl.col("v").cast(pl.String), style),
                                         text_cell(1, pl.col("t"), None)])
    out = io.BytesIO()
    with scratch.open("rb") as small:
        splice(small, out, [LongSheet("xl/worksheets/sheet1.xml", [rows], frame.height, 2)], SharedStrings())
    read = load_workbook(out)["S"]
    assert [c.value for c in read["A"]] == ["金额", 0.01, 123456789.99, -0.05, 9999999999999.99, None]
    assert read["A2"].number_format == "#,##0.00"
    assert [excel_text(c.value) if c.value else c.value for c in read["B"]][1:] == ["a&b", None, "<c>", "\x00", ""]
    assert read.max_row == 6  # the dimension stretched to every row


def test_amounts_in_words_are_grouped_as_the_finance_office_writes_them() -> None:
    values = [Decimal(v) for v in ("0.00", "0.01", "-0.05", "1234.50", "-1234.50", "123456789.99",
                                   "10000000000000.00", "12345678901234567890.12")]
    frame = pl.DataFrame({"v": pl.Series(values, dtype=pl.Decimal(38, 2))})
    assert frame.select(yuan_text(pl.col("v")).alias("v"))["v"].to_list() == [format_yuan(v) for v in values]
