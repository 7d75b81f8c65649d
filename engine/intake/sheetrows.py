"""A sheet's rows as the batch's records, a block of rows at a time: which rows are applicants, which are empty,
which are refused and why (engine/intake/xlsxsource.py reads the sheets; engine/intake/sheetcells.py their cells).

The rules are the reader's of old, applied to a whole block at once with polars and numpy: rows keep the numbers
the sheet gives them; the rows a sheet leaves out, and rows whose cells are all empty or white space, are empty
rows, kept (as rows with no value) only when a later row holds something, so that the empty rows at the end of a
sheet (a formatted but unused range) are not rows; a row with a formula saved without its value is refused,
naming the cells; so is a row with something beyond the header's last column. A row's cells go to the book's
columns (the same field in every sheet), the kind of a sheet named for one filling the rows that leave it empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.intake.cells import Columns, is_extra
from guangxi_subsidy.engine.intake.csvsource import Rejection
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.intake.sheetcells import NONBLANK, Block


@dataclass
class Layout:
    """Where one sheet's columns go in the book's, and what its rows lack."""

    book: Columns
    sheet: Columns
    kind: str | None  # the sheet's kind, from its name
    first: int  # the first row of applicants (after the header and its row of labels)
    offset: int  # added to its row numbers

    def targets(self) -> np.ndarray:
        """For each of the sheet's columns, the book's column it fills (-1: none)."""
        places = [_place(self.book, f, h) for f, h in zip(self.sheet.fields, self.sheet.headers, strict=True)]
        return np.array([-1 if p is None else p for p in places], dtype=np.int64)


@dataclass
class Part:
    """Rows of a block as records: their numbers (ROW, ascending), the records themselves (ROW and a text
    column per field of the book, null where a row has no value), and the rows refused."""

    numbers: np.ndarray
    cells: pl.DataFrame
    rejected: list[Rejection]

    def split(self, last: int) -> tuple[Part, Part]:
        """The rows up to ROW `last`, and the rest."""
        cut = int(np.searchsorted(self.numbers, last, side="right"))
        before = [r for r in self.rejected if r.row <= last]
        after = [r for r in self.rejected if r.row > last]
        return (Part(self.numbers[:cut], self.cells.slice(0, cut), before),
                Part(self.numbers[cut:], self.cells.slice(cut), after))


def sheet_records(blocks: Iterator[Block], layout: Layout) -> Iterator[Part]:
    """Per block, its rows: the records and the rows refused, empty rows held back until a later row shows they
    are not trailing. A block's cells come row after row (rows ascending), so a row's cells are a run."""
    width = len(layout.sheet.fields)
    targets = layout.targets()
    kind_place = layout.book.fields.index("kind") if layout.kind is not None and "kind" in layout.book.fields \
        else None
    pending = layout.first  # the first row not yet given as a record or refused
    for block in blocks:
        cells = block.cells if block.rows[0] >= layout.first else block.cells.filter(pl.col("row") >= layout.first)
        cells = _last_of_each(cells)
        if cells.is_empty():
            continue
        row, col = cells["row"].to_numpy(), cells["col"].to_numpy()
        nonblank = cells["text"].str.contains(NONBLANK).fill_null(False).to_numpy()
        unvalued = cells["unvalued"].to_numpy()
        starts = np.flatnonzero(np.concatenate([[True], row[1:] != row[:-1]]))
        numbers_of = row[starts]
        any_unvalued = np.logical_or.reduceat(unvalued, starts)
        any_beyond = np.logical_or.reduceat(nonblank & (col >= width), starts)
        live = any_unvalued | np.logical_or.reduceat(nonblank, starts)
        if not live.any():
            continue
        refused = live & (any_unvalued | any_beyond)
        kept = numbers_of[live & ~refused]
        rejections: list[Rejection] = []
        if refused.any():
            refused_rows = numbers_of[refused]
            rejections = _refused(cells.filter(pl.col("row").is_in(pl.Series(refused_rows).implode())),
                                  refused_rows.tolist(), width, layout)
        end = int(numbers_of[live][-1])
        numbers = np.arange(pending, end + 1, dtype=np.int64)
        if refused.any():
            numbers = numbers[~np.isin(numbers, numbers_of[refused])]
        place = np.full(len(col), -1, dtype=np.int64)
        inside = col < width
        place[inside] = targets[col[inside]]
        keep = np.repeat(live & ~refused, np.diff(np.append(starts, len(row)))) & (place >= 0)
        keep &= cells["text"].is_not_null().to_numpy()  # a cell without a value fills nothing
        texts = cells["text"].filter(pl.Series(keep))
        frame = _wide(numbers + layout.offset, np.searchsorted(numbers, row[keep]), place[keep], texts,
                      layout.book.fields)
        if kind_place is not None:  # the sheet's kind for its records that leave it empty (not for empty rows)
            lacking = pl.Series(np.isin(numbers, kept)) & frame["kind"].is_null()
            frame = frame.with_columns(pl.when(lacking).then(pl.lit(layout.kind)).otherwise(pl.col("kind"))
                                       .alias("kind"))
        pending = end + 1
        yield Part(numbers + layout.offset, frame, rejections)


def _wide(numbers: np.ndarray, at: np.ndarray, place: np.ndarray, texts: pl.Series,
          fields: tuple[str, ...]) -> pl.DataFrame:
    """Records from cells: ROW, then per field the text of the cell each row has there (`at`: the row's place
    among `numbers`). One gather puts every cell where it goes in one column-major series of the fields that
    have cells here, nulls where a row has none; those fields' columns are slices of it, and the fields without
    a cell share one column of nulls, so no cell is copied twice. Of two cells a row has for a field, the later
    wins, as in the sheet."""
    count = len(numbers)
    slot = np.full(len(fields), -1, np.int64)
    present = np.flatnonzero(np.bincount(place, minlength=len(fields)))
    slot[present] = np.arange(len(present))
    index = np.full(len(present) * count, -1, np.int64)  # -1: no cell there, made a null index (a null text)
    index[slot[place] * count + at] = np.arange(len(texts))
    where = pl.Series("at", index)
    flat = texts.gather(where.to_frame().select(pl.when(where >= 0).then(where))["at"])
    nulls = pl.repeat(None, count, dtype=pl.String, eager=True)
    return pl.DataFrame([pl.Series(ROW, numbers, dtype=pl.Int64), *[
        (flat.slice(int(slot[number]) * count, count) if slot[number] >= 0 else nulls).alias(name)
        for number, name in enumerate(fields)]])


def records(parts: list[Part], fields: tuple[str, ...]) -> pl.DataFrame:
    """The records of these parts: ROW, and per field of the book its cells' texts (null where none)."""
    if not parts:
        return pl.DataFrame(schema={ROW: pl.Int64, **{name: pl.String for name in fields}})
    return pl.concat([p.cells for p in parts], how="vertical", rechunk=False)


def _last_of_each(cells: pl.DataFrame) -> pl.DataFrame:
    """One cell per row and column: the last the sheet holds, as a reader of its XML overwrites the first."""
    key = cells["row"].to_numpy() * 20_000 + cells["col"].to_numpy()
    if len(key) < 2 or bool(np.all(key[1:] > key[:-1])):
        return cells
    return cells.unique(subset=["row", "col"], keep="last", maintain_order=True)


def _refused(cells: pl.DataFrame, refused: list[int], width: int, layout: Layout) -> list[Rejection]:
    """Why each refused row is: its formulas without values (by cell), or its cells beyond the header."""
    by_row: dict[int, list[tuple[int, str | None, bool]]] = {}
    for row, col, text, unvalued in cells.sort("row", "col").select("row", "col", "text", "unvalued").iter_rows():
        by_row.setdefault(row, []).append((col, text, unvalued))
    out: list[Rejection] = []
    for row in refused:
        found = by_row.get(row, [])
        unvalued = [_letter(col) + str(row) for col, _text, flag in found if flag]
        if unvalued:
            out.append(Rejection(layout.offset + row, "", ", ".join(unvalued)[:200],
                                 _("formula cells saved without their value (open the file in Excel and save it "
                                   "again, so that they are computed)")))
            continue
        beyond = [text for col, text, _flag in found if col >= width and text is not None and text.strip()]
        out.append(Rejection(layout.offset + row, "", ", ".join(beyond)[:200],
                             _("cells beyond the header's last column ({0} columns)").format(width)))
    return out


def _place(book: Columns, field: str, header: str) -> int | None:
    """Where a sheet's column goes among the book's: a field by its name, a column not read by its header (each
    sheet numbers its own columns not read, the book numbers them again)."""
    if not is_extra(field):
        return book.fields.index(field) if field in book.fields else None
    for at, (name, head) in enumerate(zip(book.fields, book.headers, strict=True)):
        if is_extra(name) and head == header:
            return at
    return None


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def row_texts(block: Block, number: int) -> list[str | None]:
    """The texts of one row of a block, by column from A (None: empty, or a formula without its value)."""
    texts: list[str | None] = []
    for col, text in block.cells.filter(pl.col("row") == number).select("col", "text").iter_rows():
        if col >= len(texts):
            texts.extend([None] * (col + 1 - len(texts)))
        texts[col] = text
    return texts


def first_rows(blocks: Iterator[Block]) -> list[tuple[int, list[str | None]]]:
    """The sheet's first two rows (number, texts), as far as it has them."""
    found: list[tuple[int, list[str | None]]] = []
    try:
        for block in blocks:
            for number in block.rows:
                found.append((number, row_texts(block, number)))
                if len(found) == 2:
                    return found
    finally:
        close: Any = getattr(blocks, "close", None)
        if close is not None:
            close()
    return found
