"""A worksheet's cells, a block of rows at a time, as the text a person sees in each: the fast path of the
applicant-workbook reader (engine/intake/xlsxsource.py says what becomes of the rows).

The sheet's XML is inflated from the archive 2 MB at a time and its rows read by a scanner in C
(engine/_sheetxml.c) into arrays: per cell its row, column, type, style, flags and text. The cells' texts are
then made what openpyxl's reader (the reader before this one, which the tests compare) would have given,
a whole block at once with polars: shared strings looked up, numbers in their shortest exact form (`0.1`,
`123456789.99`, `1e-07`: the text a float prints as, never float noise), dates and booleans as `cell_text`
writes them. What the block-wide rules do not settle (a number in an unusual spelling, a cell styled as a date, a
boolean) goes through openpyxl's own conversions once per distinct value, so both paths give the same text.

The scanner reads only the XML that spreadsheet programs write. Where a sheet holds anything else (a comment, an
element it does not know, rich text, a row without its number, another encoding or namespace prefix), the rest of
the sheet is read by openpyxl's parser, from the row the scanner reached: a file is never judged by the fast
path alone. Without the compiled scanner (no C compiler at install), every sheet is read that way.
"""

from __future__ import annotations

import ctypes
import importlib.util
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple
from xml.etree.ElementTree import ParseError, fromstring

import numpy as np
import polars as pl

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.intake.csvsource import FileError

BLOCK = 2 << 20  # bytes of XML inflated and scanned at a time (4 MB: 25 MB more at the peak, no faster)
FIRST = 256 << 10  # bytes read first: enough for the header rows, which are read before the rest
HEAD_LIMIT = 64 << 20  # bytes before <sheetData> (sheet views, column widths) looked through for it
T_N, T_S, T_STR, T_INLINE, T_B, T_E, T_D = range(7)
F_FORMULA, F_VALUE, F_ESCAPED, F_INLINE, F_TEXT, F_UNVALUED, F_INT, F_FLOAT = 1, 2, 4, 8, 16, 32, 64, 128
DONE, MORE, NOT_MINE, OUT_OF_ORDER = range(4)
NONBLANK = r"[^\s\x1c-\x1f]"  # a character that str.strip() keeps: a cell holding one is not empty
_ROOT = re.compile(rb'<worksheet\b[^>]*\bxmlns="http://schemas\.openxmlformats\.org/spreadsheetml/2006/main"')
_ENCODING = re.compile(rb'^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding="(?!utf-8")', re.IGNORECASE)
_SHEET_DATA = re.compile(rb"<sheetData\s*(/?)>")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);|&")


class Block(NamedTuple):
    """The rows of one stretch of a sheet: every row element's number, in order, and the cells they hold
    (row, col from 0, text (null: empty), unvalued: a formula saved without its value)."""

    rows: list[int]
    cells: pl.DataFrame


def _load() -> tuple[Any, Any]:
    try:
        spec = importlib.util.find_spec("guangxi_subsidy.engine._sheetxml")
    except ImportError:
        return None, None
    if spec is None or spec.origin is None:
        return None, None
    library = ctypes.CDLL(spec.origin)
    scan, texts = library.sheet_cells, library.sheet_texts
    scan.restype = None
    scan.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, *[ctypes.c_void_p] * 9]
    texts.restype = ctypes.c_int
    texts.argtypes = [ctypes.c_int64, *[ctypes.c_void_p] * 5]
    return scan, texts


_SCAN, _TEXTS = _load()
AVAILABLE = _SCAN is not None
_SCHEMA = {"row": pl.Int64, "col": pl.Int32, "text": pl.String, "unvalued": pl.Boolean}


class SheetReader:
    """The cells of the sheets of one workbook opened by openpyxl (read-only): its shared strings, date styles
    and epoch are those openpyxl read; `fallback` is its row parser (xlsxsource's), for what the scanner leaves."""

    def __init__(self, book: Any, fallback: Callable[[Any], Iterator[tuple[int, list[Any]]]],
                 text: Callable[[Any], str | None], no_value: object):
        self.book = book
        self.fallback = fallback
        self.text = text
        self.no_value = no_value
        self._listed: list[str] = []  # the shared strings, as openpyxl read them (each sheet has the book's)
        self._strings: pl.Series | None = None
        self._scratch: tuple[np.ndarray, ...] | None = None

    def blocks(self, sheet: Any) -> Iterator[Block]:
        """The sheet's rows, block after block; a row number repeated or going back refuses the file."""
        last = 0
        if sheet._shared_strings is not self._listed:
            self._listed, self._strings = sheet._shared_strings, None
        if AVAILABLE:
            try:
                for block in self._scanned(sheet):
                    yield block
                    last = block.rows[-1]
                return
            except _Handover as handover:
                last = handover.last
        yield from self._parsed(sheet, last)

    # ---------------------------------------------------------------- the scanner

    def _scanned(self, sheet: Any) -> Iterator[Block]:
        last = 0
        try:
            with sheet._get_source() as source:
                data = source.read(FIRST)
                found = _SHEET_DATA.search(data)
                while found is None and len(data) < HEAD_LIMIT:
                    more = source.read(BLOCK)
                    if not more:
                        break
                    data += more
                    found = _SHEET_DATA.search(data)
                if found is None:
                    raise _Handover(0)
                head = data[:found.start()]
                if _ROOT.search(head) is None or _ENCODING.search(head) or b"<!DOCTYPE" in head:
                    raise _Handover(0)
                rest = data[found.end():]
                if found.group(1):  # <sheetData/>: no rows
                    self._check_tail(head, rest + source.read(), sheet.title, 0)
                    return
                ended = False
                while True:
                    scanned = self._scan(rest, last, sheet.title)
                    status, consumed = scanned[0], scanned[1]
                    if scanned[2] is not None:
                        yield scanned[2]
                        last = scanned[2].rows[-1]
                    rest = rest[consumed:]
                    if status == DONE:
                        self._check_tail(head, rest[len(b"</sheetData>"):] + source.read(), sheet.title, last)
                        return
                    if status == NOT_MINE or ended:
                        raise _Handover(last)  # not ours, or cut short: openpyxl's parser says which
                    more = source.read(BLOCK)
                    ended = not more
                    rest += more
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise FileError(_("sheet “{0}” cannot be read past row {1} ({2}: {3}): the file is damaged or cut "
                              "short").format(sheet.title, last, type(error).__name__, error)) from None

    def _scan(self, data: bytes, last: int, title: str) -> tuple[int, int, Block | None]:
        room = len(data) // 10 + 2
        if self._scratch is None or len(self._scratch[0]) < room or len(self._scratch[7]) < len(data):
            # kept from block to block: allocated once (as large as the largest block), not once a block
            self._scratch = (np.empty(room, np.int64), np.empty(room, np.int64), np.empty(room, np.int32),
                             np.empty(room, np.uint8), np.empty(room, np.int32), np.empty(room, np.uint8),
                             np.empty(room + 1, np.int64), np.empty(max(len(data), 1), np.uint8))
        rows, cell_row, cell_col, cell_type, cell_style, flags, offsets, text = self._scratch
        state = np.zeros(5, np.int64)
        source = np.frombuffer(data, np.uint8) if data else np.zeros(1, np.uint8)
        assert _SCAN is not None
        _SCAN(source.ctypes.data, len(data), last, rows.ctypes.data, cell_row.ctypes.data, cell_col.ctypes.data,
              cell_type.ctypes.data, cell_style.ctypes.data, flags.ctypes.data, offsets.ctypes.data,
              text.ctypes.data, state.ctypes.data)
        consumed, n_rows, n_cells, status, reached = (int(v) for v in state)
        if status == OUT_OF_ORDER:
            raise FileError(_("sheet “{0}” holds row {1} twice (or out of order, after row {2}): which is the "
                              "applicant is unclear; save the file again").format(title, reached, last if not n_rows
                                                                                 else int(rows[n_rows - 1])))
        if not n_rows:
            return status, consumed, None
        flag = flags[:n_cells].copy()
        texts = _strings(n_cells, offsets, text, flag)
        cells = self._texts(pl.DataFrame({
            "row": cell_row[:n_cells].copy(), "col": cell_col[:n_cells].copy(), "type": cell_type[:n_cells].copy(),
            "style": cell_style[:n_cells].copy(), "flags": flag, "text": texts,
            "unvalued": flag & F_UNVALUED > 0}), title, last)
        return status, consumed, Block(rows[:n_rows].tolist(), cells)

    def _check_tail(self, head: bytes, tail: bytes, title: str, last: int) -> None:
        """The XML around the rows must be as well formed as openpyxl's parser requires of the whole."""
        try:
            fromstring(head + b"<sheetData/>" + tail)
        except ParseError as error:
            raise FileError(_("sheet “{0}” cannot be read past row {1} ({2}: {3}): the file is damaged or cut "
                              "short").format(title, last, type(error).__name__, error)) from None

    # ---------------------------------------------------------------- texts

    def _texts(self, frame: pl.DataFrame, title: str, last: int) -> pl.DataFrame:
        """Each cell's text as openpyxl's reader and `cell_text` make it: the scanner's flags say which cells are
        plain text or a number printed as itself, which leaves few to look at."""
        flags, kind = pl.col("flags"), pl.col("type")
        text = frame["text"]
        if frame.select((((flags & (F_INT | F_TEXT)) == F_TEXT) & (kind != T_STR) & (kind != T_INLINE)
                         | ((flags & F_ESCAPED) > 0)).any()).item():
            text = self._resolved(frame, title, last)
        return frame.select("row", "col", text.alias("text"), "unvalued")

    def _resolved(self, frame: pl.DataFrame, title: str, last: int) -> pl.Series:
        """The texts of the cells that are not plain text nor plain whole numbers: numbers in the usual spellings
        and shared strings in whole-column passes, what remains (a number spelt oddly, dates, booleans, escaped
        text) once per distinct value."""
        flags, kind, raw = pl.col("flags"), pl.col("type"), pl.col("text")
        escaped = frame["flags"] & F_ESCAPED > 0
        if escaped.any():
            try:
                text = frame["text"].scatter(escaped.arg_true(), _each(frame["text"].filter(escaped), _unescape))
            except (ValueError, OverflowError, KeyError):
                raise _Handover(last) from None  # not XML: openpyxl's parser says where
            frame = frame.with_columns(text=text)
        dates = list(self.book._date_formats)
        number = (kind == T_N) & raw.is_not_null() & ((flags & F_INT) == 0)
        number = number & ~pl.col("style").is_in(dates) if dates else number
        marks = frame.select(
            number=number,
            slow=raw.is_not_null() & (kind.is_in([T_B, T_D]) | (
                (kind == T_N) & pl.col("style").is_in(dates) if dates else pl.lit(False))),
            shared=(kind == T_S) & raw.is_not_null())
        text, numeric, slow, shared = frame["text"], marks["number"], marks["slow"], marks["shared"]
        if numeric.any():
            numbers = frame.filter(numeric)
            shown = numbers.select(pl.when((flags & F_FLOAT) > 0).then(_shortest(raw)).alias("shown"))["shown"]
            at = numeric.arg_true()
            text = text.scatter(at, shown)
            odd = shown.is_null()
            if odd.any():
                text = text.scatter(at.filter(odd), _each(numbers["text"].filter(odd), self._number))
        if slow.any():
            typed = [self._typed(t, s, r) for t, s, r in frame.filter(slow).select("type", "style", "text").iter_rows()]
            text = text.scatter(slow.arg_true(), pl.Series(typed, dtype=pl.String))
        if shared.any():
            text = text.scatter(shared.arg_true(), self._shared(frame["text"].filter(shared), title, last))
        return text

    def _number(self, raw: str) -> str | None:
        from openpyxl.worksheet._reader import _cast_number

        try:
            return self.text(_cast_number(raw))
        except ValueError:  # a numeric cell holding text (NaN): read as the text, which readers refuse
            return raw

    def _typed(self, kind: int, style: int, raw: str) -> str | None:
        """A boolean, an ISO date, or a number styled as a date, as openpyxl's reader gives it."""
        from openpyxl.utils.datetime import from_excel, from_ISO8601
        from openpyxl.worksheet._reader import _cast_number

        try:
            if kind == T_B:
                return self.text(bool(int(raw)))
            if kind == T_D:
                return self.text(from_ISO8601(raw))
            value = _cast_number(raw)
        except ValueError:
            return raw
        try:
            return self.text(from_excel(value, self.book.epoch, timedelta=style in self.book._timedelta_formats))
        except (OverflowError, ValueError):
            return "#VALUE!"

    def _shared(self, raw: pl.Series, title: str, last: int) -> pl.Series:
        if self._strings is None:
            self._strings = pl.Series(list(self._listed), dtype=pl.String)
        strings = self._strings
        index = raw.str.strip_chars(" \t\n\r").cast(pl.Int64, strict=False)
        if index.null_count():  # not a plain index: as openpyxl reads it (int(), and text when that fails)
            return pl.Series([self._shared_one(r, title, last) for r in raw.to_list()], dtype=pl.String)
        index = pl.Series(np.where(index.to_numpy() < 0, index.to_numpy() + len(strings), index.to_numpy()))
        if len(index) and (index.min() < 0 or index.max() >= len(strings)):  # type: ignore[operator]
            raise FileError(_("sheet “{0}” cannot be read past row {1} ({2}: {3}): the file is damaged or cut "
                              "short").format(title, last, "IndexError", "shared string index out of range"))
        return strings.gather(index)

    def _shared_one(self, raw: str, title: str, last: int) -> str | None:
        try:
            number = int(raw)
        except ValueError:
            return raw
        try:
            return self.text(self._listed[number])
        except IndexError:
            raise FileError(_("sheet “{0}” cannot be read past row {1} ({2}: {3}): the file is damaged or cut "
                              "short").format(title, last, "IndexError", "shared string index out of range")) \
                from None

    # ---------------------------------------------------------------- openpyxl's parser

    def _parsed(self, sheet: Any, after: int) -> Iterator[Block]:
        """The rows after row `after`, by openpyxl's parser, in blocks of 2,000."""
        rows: list[int] = []
        found: list[tuple[int, int, str | None, bool]] = []
        for number, values in self.fallback(sheet):
            if number <= after:
                continue
            rows.append(number)
            for col, value in enumerate(values):
                if value is self.no_value:
                    found.append((number, col, None, True))
                elif value is not None:
                    found.append((number, col, self.text(value), False))
            if len(rows) >= 2000:
                yield Block(rows, pl.DataFrame(found, schema=_SCHEMA, orient="row"))
                rows, found = [], []
        if rows:
            yield Block(rows, pl.DataFrame(found, schema=_SCHEMA, orient="row"))


def _strings(count: int, offsets: np.ndarray, data: np.ndarray, flags: np.ndarray) -> pl.Series:
    """The scan's texts as a column of strings (null where a cell has no value), made in C and handed to polars
    through the Arrow C data interface (as PyCapsules): one copy, and no Python object per cell. The scanner has
    checked that every text is UTF-8 (a sheet where one is not is left to openpyxl's parser, which refuses it)."""
    assert _TEXTS is not None
    column = _ArrowColumn()
    if _TEXTS(count, offsets.ctypes.data, data.ctypes.data, flags.ctypes.data, ctypes.addressof(column.array),
              ctypes.addressof(column.schema)):
        raise MemoryError("the texts of a block of the sheet")
    return pl.Series("text", column)


class _ArrowColumn:
    """An Arrow array and its schema made by the scanner's library, as polars takes them (`__arrow_c_array__`):
    polars moves the array out and frees its buffers through the array's release callback; the structs
    themselves live here."""

    def __init__(self) -> None:
        self.array = ctypes.create_string_buffer(80)  # struct ArrowArray
        self.schema = ctypes.create_string_buffer(72)  # struct ArrowSchema (static strings: nothing to free)

    def __arrow_c_array__(self, requested_schema: object = None) -> tuple[object, object]:
        return (_CAPSULE(ctypes.addressof(self.schema), b"arrow_schema", None),
                _CAPSULE(ctypes.addressof(self.array), b"arrow_array", None))


_CAPSULE = ctypes.pythonapi.PyCapsule_New
_CAPSULE.restype = ctypes.py_object
_CAPSULE.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


class _Handover(Exception):
    """The scanner stops here (after row `last`): openpyxl's parser reads the rest."""

    def __init__(self, last: int):
        super().__init__(last)
        self.last = last


def _shortest(raw: pl.Expr) -> pl.Expr:
    """A number's text as `cell_text(float(text))` gives it (null: left to Python), for the usual spellings: a
    whole number as itself, other numbers between 0.0001 and 10^15 in their shortest exact decimal form, which
    polars prints as Python does (both print the shortest text that reads back as the same double) and a whole
    float without its ".0". Outside that range Python writes exponents, or the float's exact integer."""
    value = raw.cast(pl.Float64, strict=False)
    size = value.abs()
    return (pl.when((size < 1e15) & (value == value.floor())).then(value.cast(pl.Int64, strict=False).cast(pl.String))
            .when((size < 1e15) & (size >= 1e-4)).then(value.cast(pl.String)))


def _each(values: pl.Series, convert: Callable[[str], str | None]) -> pl.Series:
    """`convert` applied once per distinct value."""
    distinct = {v: convert(v) for v in values.unique().to_list() if v is not None}
    return values.replace_strict(distinct, default=None, return_dtype=pl.String)


def _unescape(text: str) -> str:
    """XML text as a parser gives it: line ends made \\n, the five entities and character references."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    def entity(found: re.Match[str]) -> str:
        name = found.group(1)
        if name is None:
            raise ValueError("& not starting an entity")
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}[name]

    return _ENTITY.sub(entity, text)
