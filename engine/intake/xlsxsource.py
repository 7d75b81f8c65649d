"""Reading an .xlsx applicant workbook in chunks: its sheets of applicants, the header in row 1 (labels or field
names may follow in row 2, as in the template), rows numbered as Excel numbers them.

The sheets' XML is streamed a block of rows at a time: its cells are read by a scanner in C and made text a
block at a time (engine/intake/sheetcells.py; what the scanner does not know is read by openpyxl's parser of one
sheet, as before), and its rows made records a block at a time (engine/intake/sheetrows.py), so memory stays
flat (benchmarks/xlsx_readers.py measures it beside openpyxl and python-calamine: see the README). openpyxl still
reads the parts around the sheets (their names, shared strings, styles). Rows are read as each sheet holds them,
by the row number each carries: a sheet's `<dimension>` tag, which generators often write wrong and openpyxl's
read-only mode trusts, is not used, so every row is read exactly once. A sheet whose row numbers repeat or go
backwards is refused (which of two rows 2 is the applicant?). Cells are turned back into the text a person sees,
so the same readers as for CSV apply: whole numbers without a decimal point, other numbers in their shortest
exact decimal form (what Excel shows at full precision), dates as YYYY-MM-DD, booleans as true/false; NaN and
infinities as such, which every reader of numbers refuses. A formula cell whose value was never computed
(openpyxl and some generators save formulas without one) is not read as empty: its row is rejected, naming the
cell. Empty rows at the very end of a sheet (a formatted but unused range) are not rows.

A file that is not a workbook (not a zip, a sheet cut short, a part that expands to more than MAX_PART bytes:
a "zip bomb") is refused with the reason, as bad input.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np

from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.applicant.fieldtable import FACTS
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.intake.cells import (
    Columns,
    HeaderError,
    extra_name,
    is_extra,
    is_label_row,
    resolve_header,
)
from guangxi_subsidy.engine.intake.csvsource import Chunk, FileError
from guangxi_subsidy.engine.intake.frames import ROW, split_extras
from guangxi_subsidy.engine.intake.sheetcells import SheetReader
from guangxi_subsidy.engine.intake.sheetrows import Layout, Part, first_rows, records, sheet_records
from guangxi_subsidy.engine.intake.template import INSTRUCTIONS, kind_of_sheet

CHUNK_ROWS = 10_000  # rows handed on at a time: a chunk of 10,000 rows of 128 text columns is ~25 MB
MAX_PART = 1 << 30  # bytes a part of the workbook may expand to (a sheet of a million full rows is ~300 MB)
MAX_STRINGS = 256 << 20  # bytes of the shared strings table, which is read whole
NO_VALUE = object()  # a formula cell saved without its computed value
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ParseError, KeyError, EOFError, OSError, ValueError,
                TypeError, IndexError, AttributeError, OverflowError)
SHEET_ROWS = 10_000_000  # in a book of several sheets, the Nth sheet's rows are numbered from N × SHEET_ROWS


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
                    raise FileError(_("part {0} expands to {1:,} bytes (at most {2:,}): not an applicant "
                                      "workbook").format(info.filename, info.file_size, limit))
    except zipfile.BadZipFile:
        raise FileError(_("not an .xlsx workbook (not a zip archive): save it from Excel as .xlsx, or as "
                          "CSV")) from None


@dataclass
class Sheet:
    """One sheet of applicants: its columns, its kind when its name gives one, where its rows start."""

    title: str
    columns: Columns
    kind: str | None
    header_rows: int
    offset: int  # added to its row numbers: 0 in a book of one sheet, else SHEET_ROWS × its place


class XlsxSource:
    """The applicant sheets of a workbook. A book of one sheet is read as before; a book of several (as
    `subsidy template` writes them: one per kind of applicant, named by the kind, and an instructions sheet)
    is read sheet after sheet, a sheet's kind taken from its name when it has no kind column. Rows keep the
    numbers Excel shows; in a book of several sheets, the Nth sheet's rows are numbered N × 10,000,000 + row,
    so that every row of the book has a number of its own (Excel's sheets have at most 1,048,576 rows)."""

    def __init__(self, path: Path, rows_per_chunk: int = CHUNK_ROWS, strict: bool = False):
        self.path = path
        self.rows_per_chunk = rows_per_chunk
        _check_archive(path)
        from openpyxl import load_workbook  # only for .xlsx: it takes a while to import

        try:
            self._book = load_workbook(path, read_only=True, data_only=True)
            candidates = [w for w in self._book.worksheets if w.title != INSTRUCTIONS]
        except FileError:
            raise
        except _READ_ERRORS as error:
            raise FileError(_("not a readable .xlsx workbook ({0}: {1})").format(type(error).__name__, error)) \
                from None
        self._reader = SheetReader(self._book, self._parsed, cell_text, NO_VALUE)
        several = len(candidates) > 1
        self.sheets: list[Sheet] = []
        self.size = 0
        for place, worksheet in enumerate(candidates, start=1):
            found = first_rows(self._reader.blocks(worksheet))
            first = found[0] if found and found[0][0] == 1 else None
            headers = list(first[1]) if first else []
            while headers and headers[-1] is None:
                headers.pop()
            if not headers:
                if several:
                    continue  # an empty sheet beside others is not a list
                raise FileError(_("{0}: the first sheet has no row 1; row 1 must name the columns").format(path))
            kind = kind_of_sheet(worksheet.title) if several else None
            try:
                columns = resolve_header(headers, strict, kind_known=kind is not None)
            except HeaderError as error:
                raise HeaderError(_("sheet “{0}”: {1}").format(worksheet.title, error) if several else str(error)) \
                    from None
            second = found[1] if len(found) > 1 else None
            labels = second is not None and second[0] == 2 and is_label_row(columns, second[1])
            self.sheets.append(Sheet(worksheet.title, columns, kind, 2 if labels else 1,
                                     SHEET_ROWS * place if several else 0))
            self.size += max(worksheet.max_row or 1, 1)  # for progress only: the rows read are those it holds
        if not self.sheets:
            raise FileError(_("{0}: no sheet has a header row naming the columns").format(path))
        self.columns = _union([s.columns for s in self.sheets], any(s.kind for s in self.sheets))
        self.header_rows = self.sheets[0].header_rows

    def close(self) -> None:
        self._book.close()

    def _parsed(self, sheet: Any) -> Generator[tuple[int, list[Any]], None, None]:
        """(row number, cell values by column from 1) for each row a sheet holds, in order, by openpyxl's parser:
        for what the scanner of engine/intake/sheetcells.py leaves to it."""
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

        book = self._book
        last = 0
        try:
            with sheet._get_source() as source:
                parser = Parser(source, sheet._shared_strings, data_only=True, epoch=book.epoch,
                                date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
                for number, cells in parser.parse():
                    if number <= last:
                        raise FileError(_("sheet “{0}” holds row {1} twice (or out of order, after row {2}): "
                                          "which is the applicant is unclear; save the file again").format(
                                              sheet.title, number, last))
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
            raise FileError(_("sheet “{0}” cannot be read past row {1} ({2}: {3}): the file is damaged or cut "
                              "short").format(sheet.title, last, type(error).__name__, error)) from None

    def chunks(self) -> Iterator[Chunk]:
        parts: list[Part] = []
        held = 0
        position = 0
        for sheet in self.sheets:
            layout = Layout(self.columns, sheet.columns, sheet.kind, sheet.header_rows + 1, sheet.offset)
            try:
                for part in sheet_records(self._reader.blocks(self._book[sheet.title]), layout):
                    parts.append(part)
                    held += len(part.numbers) + len(part.rejected)
                    while held >= self.rows_per_chunk:
                        ready, parts = _cut(parts, self.rows_per_chunk)
                        held = sum(len(p.numbers) + len(p.rejected) for p in parts)
                        yield self._chunk(ready, position)
            except FileError:
                raise
            except _READ_ERRORS as error:
                raise FileError(_("sheet “{0}” cannot be read ({1}: {2}): the file is damaged or cut short").format(
                    sheet.title, type(error).__name__, error)) from None
            position += max(self._book[sheet.title].max_row or 1, 1)
        yield self._chunk(parts, self.size)

    def _chunk(self, parts: list[Part], position: int) -> Chunk:
        frame, extras = split_extras(records(parts, self.columns.fields), self.columns)
        rejected = [r for p in parts for r in p.rejected]
        return Chunk(frame.select(*self.columns.read, ROW), rejected, position=position, extras=extras)


def _cut(parts: list[Part], size: int) -> tuple[list[Part], list[Part]]:
    """The first `size` rows (records and refused rows, in row order) apart from the rest."""
    refused = np.array([r.row for p in parts for r in p.rejected], np.int64)
    numbers = np.sort(np.concatenate([p.numbers for p in parts] + [refused]))
    last = int(numbers[size - 1])
    ready, rest = [], []
    for part in parts:
        if (not part.numbers.size or part.numbers[-1] <= last) and all(r.row <= last for r in part.rejected):
            ready.append(part)
            continue
        before, after = part.split(last)
        ready.append(before)
        rest.append(after)
    return ready, rest


def _union(sheets: list[Columns], with_kind: bool) -> Columns:
    """The book's columns: every field any sheet reads (the kind too, when sheets give it), in the profile's
    order, headed as the first sheet to have it heads it; the columns not read, by sheet."""
    order = [fact.name for fact in FACTS]
    heads: dict[str, str] = {}
    for columns in sheets:
        for header, field in zip(columns.headers, columns.fields, strict=True):
            if not is_extra(field):
                heads.setdefault(field, header)
    if with_kind:
        heads.setdefault("kind", field_labels()["kind"])
    fields = sorted(heads, key=order.index)
    extras = list(dict.fromkeys(h for c in sheets for h in c.extras))
    return Columns(tuple([heads[f] for f in fields] + extras),
                   tuple(fields + [extra_name(n) for n in range(len(fields) + 1, len(fields) + len(extras) + 1)]))


