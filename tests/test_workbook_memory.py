"""What a run writing a workbook holds less of gives the same as before: the long layout's columns made alone
(`BatchResult.lines`) are those of the whole layout, the sheet's rows written a few hundred at a time are the bytes
polars' CSV writer gave, and the column letters worked out in place are openpyxl's."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import polars as pl
import pytest
from openpyxl.utils import get_column_letter

from guangxi_subsidy.engine.batch.evaluator import Evaluator
from guangxi_subsidy.engine.batch.layouts import LINE_COLUMNS
from guangxi_subsidy.engine.batch.writers import sheetxml
from guangxi_subsidy.engine.rules.pack import RulePack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from applicants import applicants  # noqa: E402


def test_the_long_layouts_columns_made_alone_are_the_whole_layouts(pack: RulePack) -> None:
    decided = Evaluator(pack, wide=False).evaluate(applicants(300, seed=5, pack=pack))
    whole = decided.benefits
    assert whole.height > 300  # (several benefits a row: the lines are not trivially few)
    assert tuple(whole.columns) == LINE_COLUMNS
    for names in (("row", "rule_id", "status", "value"),
                  ("row", "rule_id", "status", "amount_kind", "value", "min", "max", "missing"),
                  ("as_of", "departments", "id"), LINE_COLUMNS):
        assert decided.lines(names).equals(whole.select(names)), names


@pytest.mark.parametrize("rows", [0, 1, 511, 512, 513, 2000])
def test_rows_written_a_few_hundred_at_a_time_are_the_bytes_of_the_csv_writer(rows: int) -> None:
    texts = [f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>申请人 {n} &amp; "引号", 逗号</t></is></c></row>'
             for n in range(rows)]
    frame = pl.DataFrame({"xml": texts}, schema={"xml": pl.String})
    before, after = io.BytesIO(), io.BytesIO()
    frame.write_csv(before, include_header=False, quote_style="never")
    sheetxml.write_lines(frame.to_series(), after)
    assert after.getvalue() == before.getvalue()


def test_column_letters_are_openpyxls_for_every_column_a_sheet_has() -> None:
    assert [sheetxml.column_name(i) for i in (0, 25, 26, 701, 702, 16383)] == ["A", "Z", "AA", "ZZ", "AAA", "XFD"]
    assert all(sheetxml.column_name(i) == get_column_letter(i + 1) for i in range(16384))
