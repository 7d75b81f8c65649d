"""The applicant-workbook reader's fast path (the C scanner of the sheet XML and its whole-block passes) reads
what openpyxl's parser read before it: the same texts, the same row numbers, the same rows refused, on workbooks
written by xlsxwriter (shared and inline strings, dates, numbers as it spells them) and on generated hostile
ones; and it hands what it does not know to that parser instead of guessing."""

from __future__ import annotations

import datetime as dt
import random
import sys
import zipfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import xlsxwriter

from guangxi_subsidy.engine.intake import sheetcells
from guangxi_subsidy.engine.intake.csvsource import FileError
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.intake.template import INSTRUCTIONS, SHEET_NAMES
from guangxi_subsidy.engine.intake.xlsxsource import XlsxSource

sys.path.insert(0, str(Path(__file__).parent / "fuzz"))
import hostile  # noqa: E402
from workbooks import numbered, sheet_xml, write_workbook  # noqa: E402

pytestmark = pytest.mark.skipif(not sheetcells.AVAILABLE, reason="the scanner is not built")


def read(path: Path, fast: bool = True, rows_per_chunk: int = 10_000) -> tuple[pl.DataFrame, list[tuple[Any, ...]]]:
    """Every record of a workbook (one frame) and its refused rows, by the fast path or by openpyxl's alone."""
    saved = sheetcells.AVAILABLE
    sheetcells.AVAILABLE = fast
    try:
        source = XlsxSource(path, rows_per_chunk=rows_per_chunk)
        chunks = list(source.chunks())
        source.close()
    finally:
        sheetcells.AVAILABLE = saved
    frame = pl.concat([c.cells for c in chunks], how="vertical")
    return frame, [(r.row, r.value, r.reason) for c in chunks for r in c.rejected]


def same(one: Any, other: Any) -> bool:
    """Two outcomes of `read` (or the error each raised) alike: the same records, in order, and the same refusals."""
    if not isinstance(one, tuple) or not isinstance(other, tuple):
        return bool(one == other)
    return one[0].equals(other[0]) and one[1] == other[1]


def scanner_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any use of openpyxl's row parser fail the test: the scanner must read these by itself."""
    def refuse(self: Any, sheet: Any) -> Any:
        raise AssertionError("openpyxl's parser was used")
    monkeypatch.setattr(XlsxSource, "_parsed", refuse)


def book(path: Path, rows: list[Any], constant_memory: bool) -> Path:
    """A workbook as xlsxwriter writes it: shared strings by default, inline strings in constant-memory mode."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    sheet = workbook.add_worksheet("applicants")
    dated = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for number, row in enumerate(rows):
        for column, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(number, column, dt.datetime.combine(value, dt.time()), dated)
            elif value is not None:
                sheet.write(number, column, value)
    workbook.close()
    return path


HEADER: list[Any] = ["id", "kind", "city", "as_of", "rent_and_broadband_paid", "guangxi_new_product_share"]


@pytest.mark.parametrize("constant_memory", [False, True], ids=["shared strings", "inline strings"])
def test_numbers_keep_their_shortest_exact_form_and_dates_read_as_dates(tmp_path: Path, constant_memory: bool,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    scanner_only(monkeypatch)
    rows = [HEADER,
            ["A1", "enterprise", "南宁", dt.date(2017, 6, 30), 0.1, 1e-7],
            ["A2", "enterprise", "南宁", "2017-06-30", 123456789.99, 9.04],
            ["A3", "enterprise", "南宁", None, 550000, 0.85]]
    frame, rejected = read(book(tmp_path / "b.xlsx", rows, constant_memory))
    assert rejected == []
    # Each double as the shortest text that reads back as it (what Python's repr prints): 0.1 stays 0.1
    # although xlsxwriter spells 9.04 as 9.039999999999999; a whole number without ".0"; 1e-7 as Python writes it.
    assert frame["rent_and_broadband_paid"].to_list() == ["0.1", "123456789.99", "550000"]
    assert frame["guangxi_new_product_share"].to_list() == ["1e-07", "9.04", "0.85"]
    assert frame["as_of"].to_list() == ["2017-06-30", "2017-06-30", None]
    assert frame["city"].to_list() == ["南宁"] * 3 and frame[ROW].to_list() == [2, 3, 4]


def test_the_fast_path_and_openpyxls_parser_give_the_same_records(tmp_path: Path) -> None:
    rows = [HEADER, *[[f"A{i}", "enterprise", "南宁 & <市>", dt.date(2017, 1, 1 + i % 28), i * 1.1, i / 7]
                      for i in range(60)]]
    path = book(tmp_path / "same.xlsx", rows, constant_memory=False)
    assert same(read(path), read(path, fast=False))


def test_rows_keep_the_numbers_the_sheet_gives_them_with_empty_rows_between(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    scanner_only(monkeypatch)
    good = ["X", "enterprise", "nanning"]
    # rows 3 and 4 left out, row 5 all white space, rows 9 and 10 empty at the end (not rows)
    path = write_workbook(tmp_path / "gaps.xlsx", [(1, ["id", "kind", "city"]), (2, good), (5, ["  ", " "]),
                                                   (6, good), (8, good), (9, [" "]), (10, [None, ""])])
    frame, rejected = read(path)
    assert frame[ROW].to_list() == [2, 3, 4, 5, 6, 7, 8]
    assert frame["id"].to_list() == ["X", None, None, None, "X", None, "X"] and rejected == []


def test_a_formula_without_its_value_refuses_its_row_naming_the_cell(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    scanner_only(monkeypatch)
    path = write_workbook(tmp_path / "formula.xlsx", numbered([
        ["id", "kind", "city", "rent_and_broadband_paid"], ["A1", "enterprise", "nanning", ("1+1", None)],
        ["A2", "enterprise", "nanning", ("1+1", "2")], ["A3", "enterprise", "nanning", 3],
        ["A4", "enterprise", "nanning", 1, "beyond"]]))
    frame, rejected = read(path)
    assert frame[ROW].to_list() == [3, 4] and frame["rent_and_broadband_paid"].to_list() == ["2", "3"]
    assert [(row, value) for row, value, _ in rejected] == [(2, "D2"), (5, "beyond")]
    assert "formula" in rejected[0][2] and "4 columns" in rejected[1][2]


def test_a_row_number_twice_is_refused_by_the_fast_path_too(tmp_path: Path) -> None:
    rows = [(1, ["id", "kind", "city"]), (2, ["A", "enterprise", "nanning"]), (2, ["B", "enterprise", "nanning"])]
    with pytest.raises(FileError, match="row 2 twice"):
        read(write_workbook(tmp_path / "twice.xlsx", rows))


def test_what_the_scanner_does_not_know_is_read_by_openpyxls_parser_from_that_row(tmp_path: Path) -> None:
    rows = numbered([["id", "kind", "city"], *[[f"A{i}", "enterprise", "nanning"] for i in range(6)]])
    xml = sheet_xml(rows)
    odd = xml.replace('<row r="5">', '<!-- a note --><row r="5">').replace('<c r="A7" ', '<c ')
    path = write_workbook(tmp_path / "odd.xlsx", [], sheet=odd)
    frame, rejected = read(path)
    assert frame["id"].to_list() == [f"A{i}" for i in range(6)] and frame[ROW].to_list() == list(range(2, 8))
    assert same((frame, rejected), read(path, fast=False))


@pytest.mark.parametrize("cell, readable", [
    ("南宁 😀".encode(), True),  # three- and four-byte characters: read by the scanner
    (b"\xe5\x8d", False),  # a character cut short, its end in the next cell: not UTF-8 in either cell
    (b"\xed\xa0\x80", False),  # a surrogate
    (b"\xc0\xaf", False),  # an overlong "/"
    (b"\xef\xbf\xbf", False),  # U+FFFF, which XML does not allow
    (b"\xf4\x90\x80\x80", False),  # past U+10FFFF
])
def test_a_text_that_is_not_utf8_is_refused_alike_by_either_path(tmp_path: Path, cell: bytes, readable: bool) -> None:
    rows = numbered([["id", "kind", "city"], ["A1", "enterprise", "nanning"], ["CELL", "\xad", "nanning"]])
    xml = sheet_xml(rows).encode().replace(b"CELL", cell)
    path = tmp_path / "bytes.xlsx"
    write_workbook(path, rows)
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(tmp_path / "copy.xlsx", "w") as copy:
        for name in original.namelist():
            copy.writestr(name, xml if name.endswith("sheet1.xml") else original.read(name))
    outcomes: list[Any] = []
    for fast in (True, False):
        try:
            outcomes.append(read(tmp_path / "copy.xlsx", fast=fast))
        except FileError as error:
            outcomes.append(type(error))
    assert same(outcomes[0], outcomes[1])
    assert (outcomes[0] is not FileError) == readable
    if readable:
        assert outcomes[0][0]["id"].to_list() == ["A1", cell.decode()]


def test_a_book_of_several_sheets_as_the_template_has_them_reads_each_with_its_kind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "several.xlsx"
    workbook = xlsxwriter.Workbook(str(path))  # shared strings, as Excel and the template's writer save them
    workbook.add_worksheet(INSTRUCTIONS).write_row(0, 0, ["项目", "说明"])
    for kind, rows in (("incubation_base", [["JD-1", "南宁"]]), ("enterprise", [["QY-1", "南宁"], ["QY-2", "梧州"]])):
        sheet = workbook.add_worksheet(SHEET_NAMES[kind])
        sheet.write_row(0, 0, ["申请人编号", "所在城市"])  # row 1 the labels, row 2 the field names
        sheet.write_row(1, 0, ["id", "city"])
        for number, row in enumerate(rows, start=2):
            sheet.write_row(number, 0, row)
    workbook.close()
    scanner_only(monkeypatch)
    frame, rejected = read(path)
    assert rejected == []
    # the instructions sheet is not a list; the other sheets are the 1st and the 2nd: row 3 of the 2nd sheet is
    # 2 × 10,000,000 + 3
    assert frame.select("id", "kind", "city", ROW).rows() == [
        ("JD-1", "incubation_base", "南宁", 10_000_003), ("QY-1", "enterprise", "南宁", 20_000_003),
        ("QY-2", "enterprise", "梧州", 20_000_004)]


def test_hostile_workbooks_read_the_same_by_either_path(tmp_path: Path) -> None:
    for seed in range(8):
        rng = random.Random(seed)
        path = hostile.workbook_file(rng, tmp_path / f"h{seed}.xlsx", rng.choice([3, 8, 15]))
        outcomes = []
        for fast in (True, False):
            try:
                outcomes.append(read(path, fast=fast, rows_per_chunk=rng.choice([2, 5, 10_000])))
            except FileError as error:
                outcomes.append(type(error))  # type: ignore[arg-type]
        assert same(outcomes[0], outcomes[1]), seed
