"""Reading an .xlsx applicant workbook in chunks: the first sheet, the header in row 1 (labels may follow in
row 2, as in the template), rows numbered as Excel numbers them.

The sheet's XML is streamed row by row (openpyxl's parser of one sheet), so memory stays flat. Rows are read
as the sheet holds them, by the row number each carries: the sheet's `<dimension>` tag, which generators often
write wrong and openpyxl's read-only mode trusts, is not used, so every row is read exactly once. A sheet whose
row numbers repeat or go backwards is refused (which of two rows 2 is the applicant?). Cells arrive typed; they
are turned back into the text a person sees, so the same readers as for CSV apply: whole numbers without a
decimal point, other numbers in their shortest exact decimal form (what Excel shows at full precision), dates
as YYYY-MM-DD, booleans as true/false; NaN and infinities as such, which every reader of numbers refuses. A
formula cell whose value was never computed (openpyxl and some generators save formulas without one) is not
read as empty: its row is rejected, naming the cell. Empty rows at the very end of a sheet (a formatted but
unused range) are not rows.

A file that is not a workbook (not a zip, a sheet cut short, a part that expands to more than MAX_PART bytes:
a "zip bomb") is refused with the reason, as bad input.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import polars as pl

from guangxi_subsidy.engine.intake.cells import Columns, is_label_row, resolve_header
from guangxi_subsidy.engine.intake.csvsource import Chunk, FileError, Rejection
from guangxi_subsidy.engine.intake.frames import ROW

CHUNK_ROWS = 50_000
MAX_PART = 1 << 30  # bytes a part of the workbook may expand to (a sheet of a million full rows is ~300 MB)
MAX_STRINGS = 256 << 20  # bytes of the shared strings table, which is read whole
NO_VALUE = object()  # a formula cell saved without its computed value
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ParseError, KeyError, EOFError, OSError, ValueError,
                TypeError, IndexError, AttributeError, OverflowError)


def cell_text(value: Any) -> str | None:
    """A typed spreadsheet cell as the text a person sees in it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("-" if value < 0 else "") + "Infinity"
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _check_archive(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                limit = MAX_STRINGS if info.filename.lower().endswith("sharedstrings.xml") else MAX_PART
                if info.file_size > limit:
                    raise FileError(f"part {info.filename} expands to {info.file_size:,} bytes (at most "
                                    f"{limit:,}): not an applicant workbook")
    except zipfile.BadZipFile:
        raise FileError("not an .xlsx workbook (not a zip archive): save it from Excel as .xlsx, or "
                        "as CSV") from None


class XlsxSource:
    def __init__(self, path: Path, rows_per_chunk: int = CHUNK_ROWS):
        self.path = path
        self.rows_per_chunk = rows_per_chunk
        _check_archive(path)
        from openpyxl import load_workbook  # only for .xlsx: it takes a while to import

        try:
            self._book = load_workbook(path, read_only=True, data_only=True)
            self._sheet = self._book.worksheets[0]
            declared = self._sheet.max_row
        except FileError:
            raise
        except _READ_ERRORS as error:
            raise FileError(f"not a readable .xlsx workbook ({type(error).__name__}: {error})") from None
        self.size = max(declared or 1, 1)  # for progress only: the rows read are those the sheet holds
        self._rows = self._parsed()
        first = next(self._rows, None)
        if first is None or first[0] != 1:
            raise FileError("the first sheet has no row 1; row 1 must name the columns")
        headers = [cell_text(v) if v is not NO_VALUE else None for v in first[1]]
        while headers and headers[-1] is None:
            headers.pop()
        self.columns: Columns = resolve_header(headers)
        self._pending = next(self._rows, None)
        self.header_rows = 1
        if self._pending is not None and self._pending[0] == 2 and is_label_row(
                self.columns, [cell_text(v) if v is not NO_VALUE else None for v in self._pending[1]]):
            self.header_rows, self._pending = 2, next(self._rows, None)

    def close(self) -> None:
        self._book.close()

    def _parsed(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number, cell values by column from 1) for each row the sheet holds, in order."""
        from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

        class Parser(WorkSheetParser):
            def parse_cell(self, element: Any) -> dict[str, Any]:
                try:
                    cell: dict[str, Any] = super().parse_cell(element)
                except ValueError:  # a numeric cell holding text (NaN): read as the text, which readers refuse
                    element.set("t", "str")
                    cell = super().parse_cell(element)
                if element.find(FORMULA_TAG) is not None and element.findtext(VALUE_TAG) in (None, ""):
                    cell["value"] = NO_VALUE
                return cell

        sheet, book = self._sheet, self._book
        last = 0
        try:
            with sheet._get_source() as source:
                parser = Parser(source, sheet._shared_strings, data_only=True, epoch=book.epoch,
                                date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
                for number, cells in parser.parse():
                    if number <= last:
                        raise FileError(f"the sheet holds row {number} twice (or out of order, after "
                                        f"row {last}): which is the applicant is unclear; save the file again")
                    last = number
                    values: list[Any] = []
                    for cell in cells:
                        column = cell["column"]
                        if column > len(values):
                            values.extend([None] * (column - len(values)))
                        values[column - 1] = cell["value"]
                    yield number, values
        except FileError:
            raise
        except _READ_ERRORS as error:
            raise FileError(f"the sheet cannot be read past row {last} ({type(error).__name__}: "
                            f"{error}): the file is damaged or cut short") from None

    def chunks(self) -> Iterator[Chunk]:
        width = len(self.columns.fields)
        records: list[list[Any]] = []
        rejected: list[Rejection] = []
        blank_run: list[int] = []  # empty rows are held back until a later row shows they are not trailing
        expected = self.header_rows + 1
        rows = self._rows if self._pending is None else _chain(self._pending, self._rows)
        for number, values in rows:
            blank_run.extend(range(expected, number))  # rows the sheet leaves out are empty rows
            expected = number + 1
            unvalued = [_letter(i) + str(number) for i, v in enumerate(values) if v is NO_VALUE]
            texts = [None if v is NO_VALUE else cell_text(v) for v in values]
            if not unvalued and all(t is None or not t.strip() for t in texts):
                blank_run.append(number)
                continue
            records.extend([n, *[None] * width] for n in blank_run)
            blank_run.clear()
            beyond = [t for t in texts[width:] if t is not None and t.strip()]
            if unvalued:
                rejected.append(Rejection(number, "", ", ".join(unvalued)[:200],
                                          "formula cells saved without their value (open the file in Excel and "
                                          "save it again, so that they are computed)"))
            elif beyond:
                rejected.append(Rejection(number, "", ", ".join(beyond)[:200],
                                          f"cells beyond the header's last column ({width} columns)"))
            else:
                records.append([number, *(texts + [None] * width)[:width]])
            if len(records) + len(rejected) >= self.rows_per_chunk:
                yield self._chunk(records, rejected, number)
                records, rejected = [], []
        yield self._chunk(records, rejected, max(self.size, expected - 1))

    def _chunk(self, records: list[list[Any]], rejected: list[Rejection], position: int) -> Chunk:
        schema = {ROW: pl.Int64, **{n: pl.String for n in self.columns.fields}}
        frame = pl.DataFrame(records, schema=schema, orient="row").select(*self.columns.fields, ROW)
        return Chunk(frame, list(rejected), position=position)


def _chain(first: tuple[int, list[Any]], rest: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    yield first
    yield from rest


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))
