"""What a run writing a workbook holds less of gives the same as before: the long layout's columns made alone
(`BatchResult.lines`) are those of the whole layout, the sheet's rows written a few hundred at a time are the bytes
polars' CSV writer gave, the column letters worked out in place are openpyxl's, and batches cut from the reader's
blocks keep every row whole and count every row read once, and the money the blanks hold back is the same when
only the rules that read them are decided again."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import polars as pl
import pytest
from openpyxl.utils import get_column_letter

from guangxi_subsidy.engine.batch import assume, gathered
from guangxi_subsidy.engine.batch.evaluator import ERRORS, Admitted, Evaluator
from guangxi_subsidy.engine.batch.layouts import LINE_COLUMNS
from guangxi_subsidy.engine.batch.writers import sheetxml
from guangxi_subsidy.engine.intake.frames import ROW
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


def block(first: int, count: int, refused: list[int], unread: list[int]) -> gathered.Block:
    """A reader's block of rows first … first+count-1: applicants on every row but the refused and unread ones."""
    rows = [r for r in range(first, first + count) if r not in refused and r not in unread]
    applicants = pl.DataFrame({ROW: rows, "id": [f"a{r}" for r in rows]}, schema={ROW: pl.Int64, "id": pl.String})
    problems = pl.DataFrame([(r, None, "c", "f", "v", "bad") for r in refused], schema=ERRORS, orient="row")
    structural = pl.DataFrame([(r, None, "", "", "", "ragged") for r in unread], schema=ERRORS, orient="row")
    extras = pl.DataFrame({ROW: list(range(first, first + count)), "备注": ["x"] * count},
                          schema={ROW: pl.Int64, "备注": pl.String})
    return Admitted(applicants, problems), structural, count, first * 100, extras


def test_a_gathered_run_decides_a_fixed_number_of_applicants_each_row_whole_in_one_batch() -> None:
    blocks = [block(2, 9, refused=[4], unread=[9]), block(11, 8, refused=[11, 17], unread=[]),
              block(19, 3, refused=[], unread=[21])]
    batches = list(gathered.exactly(iter(blocks), 5))
    # 7 + 6 + 2 = 15 applicants: three batches of 5; the last block's rows 19, 20 and 21 (unread) join the third
    assert [sum(a.applicants.height for a in b[0]) for b in batches] == [5, 5, 5]
    assert all(len(b[0]) == 1 for b in batches)  # (each batch's applicants as one)
    assert sum(b[2] for b in batches) == 9 + 8 + 3  # every row read counted once
    every = [pl.concat([*(a.applicants for a in b[0])]) for b in batches]
    assert pl.concat(every).equals(pl.concat([b[0].applicants for b in blocks]))
    for (admitted, structural, _, _, extras), people in zip(batches, every, strict=True):
        low, high = people[ROW].min(), people[ROW].max()
        assert extras is not None and set(extras[ROW]) >= set(people[ROW])
        for lines in (admitted[0].errors, structural, extras):  # a row's lines travel with the rows around it
            assert lines.height == 0 or (lines[ROW].min() >= low - 2 and lines[ROW].max() < high + 3)
    assert [r for b in batches for r in b[0][0].errors[ROW]] == [4, 11, 17]
    assert [r for b in batches for r in b[1][ROW]] == [9, 21]
    assert [r for b in batches for r in b[4][ROW]] == list(range(2, 22))  # (b[4]: the columns not read)


def test_a_list_shorter_than_a_batch_is_one_batch_as_it_came() -> None:
    batches = list(gathered.exactly(iter([block(2, 4, refused=[3], unread=[])]), 10))
    assert len(batches) == 1 and batches[0][0][0].applicants[ROW].to_list() == [2, 4, 5] and batches[0][2] == 4


def test_the_blanks_money_at_stake_is_the_same_when_only_the_rules_reading_them_are_decided_again(
        pack: RulePack, monkeypatch: pytest.MonkeyPatch) -> None:
    evaluator = Evaluator(pack, wide=False)
    narrow = assume._narrowed(evaluator)
    assert narrow is not None and 0 < len(narrow.plan.rules) < len(evaluator.plan.rules)
    admitted = evaluator.admit(applicants(3000, seed=3, pack=pack))
    columns = admitted.applicants.columns
    found = assume.decide(evaluator, [admitted], columns, False, True)[2]
    monkeypatch.setattr(assume, "_narrowed", lambda evaluator: None)  # every rule decided again, as before
    whole = assume.decide(evaluator, [admitted], columns, False, True)[2]
    assert found is not None and whole is not None and found.height > 100
    assert found.equals(whole)
