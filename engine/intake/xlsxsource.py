"""Reading an .xlsx applicant workbook in chunks: the first sheet, the header in row 1 (labels may follow in
row 2, as in the template), rows numbered as Excel numbers them.

openpyxl streams the sheet (read-only mode), so memory stays flat. Cells arrive typed; they are turned back
into the text a person sees, so the same readers as for CSV apply: whole numbers without a decimal point,
other numbers in their shortest exact decimal form (what Excel shows at full precision), dates as YYYY-MM-DD,
booleans as true/false. Empty rows at the very end of a sheet (a formatted but unused range) are not rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.intake.cells import Columns, is_label_row, resolve_header
from guangxi_subsidy.engine.intake.csvsource import Chunk, FileError, Rejection
from guangxi_subsidy.engine.intake.frames import ROW

CHUNK_ROWS = 50_000


def cell_text(value: Any) -> str | None:
    """A typed spreadsheet cell as the text a person sees in it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class XlsxSource:
    def __init__(self, path: Path, rows_per_chunk: int = CHUNK_ROWS, strict: bool = False):
        self.path = path
        self.rows_per_chunk = rows_per_chunk
        from openpyxl import load_workbook  # only for .xlsx: it takes a while to import

        self._book = load_workbook(path, read_only=True, data_only=True)
        self._sheet = self._book.worksheets[0]
        self.size = max(self._sheet.max_row or 1, 1)
        rows = self._sheet.iter_rows(min_row=1, max_row=2, values_only=True)
        first = next(rows, None)
        if first is None:
            raise FileError(_("{0}: the first sheet is empty; row 1 must name the columns").format(path))
        headers = [cell_text(v) for v in first]
        while headers and headers[-1] is None:
            headers.pop()
        self.columns: Columns = resolve_header(headers, strict)
        second = next(rows, None)
        self.header_rows = 2 if second is not None and is_label_row(self.columns, [cell_text(v) for v in second]) else 1

    def close(self) -> None:
        self._book.close()

    def chunks(self) -> Iterator[Chunk]:
        width = len(self.columns.fields)
        records: list[list[Any]] = []
        rejected: list[Rejection] = []
        blank_run: list[int] = []  # empty rows are held back until a later row shows they are not trailing
        start = self.header_rows + 1
        for number, values in enumerate(self._sheet.iter_rows(min_row=start, values_only=True), start=start):
            texts = [cell_text(v) for v in values]
            if all(t is None or not t.strip() for t in texts):
                blank_run.append(number)
                continue
            records.extend([n, *[None] * width] for n in blank_run)
            blank_run.clear()
            beyond = [t for t in texts[width:] if t is not None and t.strip()]
            if beyond:
                rejected.append(Rejection(number, "", ", ".join(beyond)[:200],
                                          _("cells beyond the header's last column ({0} columns)").format(width)))
            else:
                records.append([number, *(texts + [None] * width)[:width]])
            if len(records) + len(rejected) >= self.rows_per_chunk:
                yield self._chunk(records, rejected, number)
                records, rejected = [], []
        yield self._chunk(records, rejected, self.size)

    def _chunk(self, records: list[list[Any]], rejected: list[Rejection], position: int) -> Chunk:
        schema = {ROW: pl.Int64, **{n: pl.String for n in self.columns.fields}}
        frame = pl.DataFrame(records, schema=schema, orient="row").select(*self.columns.read, ROW)
        return Chunk(frame, list(rejected), position=position)
