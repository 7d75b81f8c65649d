"""The rows of a long worksheet as SpreadsheetML, built a block of rows at a time by polars, and spliced into a
workbook whose small parts (styles, the heading row, widths, print set-up) xlsxwriter wrote.

Why: xlsxwriter formats each cell in Python, a few thousand rows a second; a results sheet of half a million
rows took minutes. Here each column of a block is one polars expression giving its cells' XML (null: no cell),
a row is their concatenation, and the block is one string written to the zip entry. Strings are inline
(`t="inlineStr"`), escaped as Excel reads them back: `&`, `<`, `>` as entities, the control characters XML
cannot hold as `_xHHHH_`, and a literal `_xHHHH_` with its underscore escaped (`_x005F_xHHHH_`), so a reader gets
the exact text (xlsxwriter's constant-memory writer passes a text shaped `<r>…</r>` through unescaped; this does
not). Numbers are written in their exact decimal form (`0.01`, `123456789.99`), never through a float's digits.
Every cell names its place (`r="C7"`), so an empty cell is simply absent.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

import polars as pl

from guangxi_subsidy.engine.batch.threads import Prefetch

LINE = "\x00line"  # the block's column of the sheet's row numbers (1-based, as text)
_CONTROL = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A)] + ["\ufffe", "\uffff"]
_FROM = ["&", "<", ">", *_CONTROL]
_TO = ["&amp;", "&lt;", "&gt;", *(f"_x{ord(c):04X}_" for c in _CONTROL)]
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
ZIP64_FROM = 1 << 30  # an entry that may grow past this is written with zip64 sizes
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def column_name(index: int) -> str:
    """A column's letters, 0 -> A, 26 -> AA, 702 -> AAA (as openpyxl's `get_column_letter(index + 1)` gives them:
    worked out here, since importing openpyxl for it costs a run writing a workbook some 16 MB)."""
    letters = ""
    index += 1
    while index:
        index, left = divmod(index - 1, 26)
        letters = chr(65 + left) + letters
    return letters


def escaped(text: pl.Expr) -> pl.Expr:
    """Text as XML character data, as Excel writes it (see the module's docstring)."""
    return text.str.replace_all(r"(_x[0-9A-Fa-f]{4}_)", "_x005F$1").str.replace_many(_FROM, _TO)


def _style(style: int | None) -> str:
    return "" if style is None else f' s="{style}"'


def _place(column: int | pl.Expr) -> list[pl.Expr]:
    """`<c r="B7`: a cell's opening and place (its column's letters given, or a column of them)."""
    if isinstance(column, int):
        return [pl.lit(f'<c r="{column_name(column)}'), pl.col(LINE)]
    return [pl.lit('<c r="'), column, pl.col(LINE)]


def text_cell(column: int | pl.Expr, value: pl.Expr, style: int | None, preserve: bool = True) -> pl.Expr:
    """A text cell (null where the value is null); `preserve`: its spaces at either end kept (a text from the
    applicant's file may have them)."""
    space = ' xml:space="preserve"' if preserve else ""
    return pl.concat_str([*_place(column), pl.lit(f'"{_style(style)} t="inlineStr"><is><t{space}>'),
                          escaped(value), pl.lit("</t></is></c>")])


def number_cell(column: int | pl.Expr, digits: pl.Expr, style: int | None) -> pl.Expr:
    """A number cell from the number's decimal text (null where it is null)."""
    return pl.concat_str([*_place(column), pl.lit(f'"{_style(style)}><v>'), digits, pl.lit("</v></c>")])


def shared_cell(column: int | pl.Expr, index: pl.Expr, style: int | None) -> pl.Expr:
    """A text cell by its place in the shared strings (null where the index is null)."""
    return pl.concat_str([*_place(column), pl.lit(f'"{_style(style)} t="s"><v>'), index, pl.lit("</v></c>")])


class SharedStrings:
    """The workbook's table of shared strings, for the columns whose texts repeat (a kind, a city, a reason):
    each text written once, its cells name it by number. A block whose column has many distinct texts (names,
    a row's own words) writes them inline instead, so the table stays small (at most a tenth of the rows)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def numbered(self, block: pl.DataFrame, name: str) -> pl.Series | None:
        """The column's texts as their numbers in the table (as text), or None: inline them, too many."""
        texts = block.get_column(name).drop_nulls().unique(maintain_order=True).to_list()
        if len(texts) > max(64, block.height // 10):
            return None
        index = self.index
        for text in texts:
            if text not in index:
                index[text] = len(index)
        return block.get_column(name).replace_strict({t: str(index[t]) for t in texts}, default=None,
                                                     return_dtype=pl.String)

    def xml(self) -> bytes:
        texts = pl.DataFrame({"t": list(self.index)}, schema={"t": pl.String})
        items = texts.select(pl.concat_str([pl.lit('<si><t xml:space="preserve">'), escaped(pl.col("t")),
                                            pl.lit("</t></si>")]).str.join("")).item() if self.index else ""
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{MAIN}" '
                f'count="{len(self.index)}" uniqueCount="{len(self.index)}">{items}</sst>').encode()


def value_cell(column: int, value: pl.Expr, dtype: pl.DataType, style: int | None, preserve: bool = True) -> pl.Expr:
    """A cell of a column by its type: numbers as numbers (exact), dates as ISO text, the rest as text."""
    if dtype.is_integer() or isinstance(dtype, pl.Decimal):
        return number_cell(column, value.cast(pl.String), style)
    if dtype == pl.Date:
        return text_cell(column, value.dt.to_string("%Y-%m-%d"), style, preserve=False)
    return text_cell(column, value.cast(pl.String), style, preserve)


def rows_xml(block: pl.DataFrame, cells: list[pl.Expr]) -> pl.DataFrame:
    """The block's rows as `<row>` elements, one a line (`cells`: one expression per column, over the block's
    columns and its LINE, the rows' numbers on the sheet)."""
    return block.select(pl.concat_str([pl.lit('<row r="'), pl.col(LINE), pl.lit('">'), *cells, pl.lit("</row>")],
                                      ignore_nulls=True))


def numbered(block: pl.DataFrame, first_line: int) -> pl.DataFrame:
    """The block with its rows' numbers on the sheet (LINE, as text), the first `first_line` (1-based)."""
    return block.with_columns(pl.int_range(first_line, first_line + block.height, eager=True).cast(pl.String)
                              .alias(LINE))


@dataclass
class LongSheet:
    """A worksheet whose rows below its heading are streamed in: the zip entry's name, its rows' XML blocks,
    how many rows and columns in all (for the sheet's dimension)."""

    entry: str
    blocks: Iterable[pl.DataFrame]  # a column of rows' XML, one row a line
    rows: int
    columns: int


def splice(book: IO[bytes], out: IO[bytes], sheets: list[LongSheet], shared: SharedStrings) -> None:
    """Copy the workbook `book` (xlsxwriter's, each long sheet holding its heading row only) to `out`, each long
    sheet's blocks streamed in after its heading (a fast deflate: the rows are repetitive XML), and the shared
    strings they name added (xlsxwriter's constant-memory mode writes none of its own)."""
    long = {sheet.entry: sheet for sheet in sheets}
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for info in source.infolist():
            data = _naming_the_table(info.filename, source.read(info.filename))
            sheet = long.get(info.filename)
            if sheet is None:
                zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
                continue
            head, tail = _parts(data, sheet)
            big = sheet.rows * (sheet.columns * 96 + 32) > ZIP64_FROM
            with zf.open(info.filename, "w", force_zip64=big) as stream:  # (the zip's own level: fast)
                stream.write(head)
                with Prefetch(iter(sheet.blocks)) as pieces:  # the next block built while this one is packed
                    for piece in pieces:
                        write_lines(piece.to_series(), stream)
                stream.write(tail)
        zf.writestr("xl/sharedStrings.xml", shared.xml())


LINES = 512  # rows' XML handed to the zip at a time


def write_lines(lines: pl.Series, stream: IO[bytes]) -> None:
    """Each text of `lines` onto `stream`, a line each, a few hundred at a time: a block's rows written at once
    (polars' `write_csv` of the block) held three times its size again while it was written."""
    for start in range(0, len(lines), LINES):
        stream.write(lines.slice(start, LINES).str.join("\n").cast(pl.Binary).item())  # (bytes, as polars holds
        stream.write(b"\n")  # them: no trip through a Python str)


def _naming_the_table(name: str, data: bytes) -> bytes:
    """The package's list of parts and the workbook's relationships, with the shared strings in them."""
    if name == "[Content_Types].xml" and b"sharedStrings" not in data:
        part = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/>'
        return data.replace(b"</Types>", part.encode() + b"</Types>")
    if name == "xl/_rels/workbook.xml.rels" and b"sharedStrings" not in data:
        number = data.count(b"<Relationship ") + 100
        part = f'<Relationship Id="rId{number}" Type="{SST_REL}" Target="sharedStrings.xml"/>'
        return data.replace(b"</Relationships>", part.encode() + b"</Relationships>")
    return data


def _parts(data: bytes, sheet: LongSheet) -> tuple[bytes, bytes]:
    """The sheet's XML before and after where its rows go, its dimension stretched to every row."""
    at = data.find(b"</sheetData>")
    if at < 0:  # (a sheet with no row at all writes <sheetData/>)
        at = data.find(b"<sheetData/>")
        data = data[:at] + b"<sheetData></sheetData>" + data[at + len(b"<sheetData/>"):]
    last = f"{column_name(max(sheet.columns, 1) - 1)}{sheet.rows + 1}"
    head = _DIMENSION.sub(f'<dimension ref="A1:{last}"/>'.encode(), data[:at], count=1)
    return head, data[at:]


def blocks_of(frame: pl.DataFrame, size: int) -> Iterator[tuple[int, pl.DataFrame]]:
    """The frame in slices of `size` rows, each with its offset."""
    for start in range(0, frame.height, size):
        yield start, frame.slice(start, size)
