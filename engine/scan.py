"""Reading the clean lines of a CSV block straight into typed columns, in one compiled pass over its bytes.

Most lines of a large applicant file are clean: the header's number of cells, and every cell in a spelling that
`frames.read_cells` reads without help (`1234.56`, `85%`, `是`, `南宁`, `2017-06-30`). Parsing such lines into
string columns and then reading each column with string expressions costs most of a batch's time; `Scanner`
walks the bytes once instead, in code compiled by numba (`cache=True`: compiled on first use, then loaded from
`__pycache__`), and writes integers straight into the columns of `frames.typed_schema`.

It accepts exactly what `frames.read_cells` reads to a value, and nothing else: a line holding anything else (a
ragged or blank line, a required cell left empty, bytes that are not UTF-8, a cell in any other spelling) is
handed back with its row number, and the usual readers read, or reject, it. A block holding a quote (a quoted
cell may span lines) or a stray carriage return is handed back whole. So the compiled pass decides nothing the
other readers would decide differently; tests/test_scan.py checks that both give the same typed rows, the
same rejections and the same output files.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import polars as pl
import pyarrow as pa

from .cells import REQUIRED
from .expression import ValueType
from .frames import BOOL_SPELLINGS, ROW, field_specs, typed_schema

# How each column is read (the `kinds` array), and where its values go (the `stores` array).
TEXT_ID, TEXT_NAME, MONEY, RATIO, INTEGER, SPELLED, DATE = range(7)
INTS, DAYS, BITS, CODES, TEXTS = range(5)  # int64, date32 days, bits (booleans), enum codes, text spans
ID_LIMIT = 200  # characters in an applicant id (profile model)
NO_DATE = -(1 << 62)
MASK62 = (1 << 62) - 1
FNV_START, FNV_PRIME = 0xCBF29CE484222325 & MASK62, 0x100000001B3


@numba.njit(cache=True, nogil=True)
def _is_space(point: int) -> bool:
    """White space as the profile model strips it (cells.WHITESPACE, tests/test_scan.py)."""
    if point <= 0x20:
        return point == 0x20 or 0x09 <= point <= 0x0D
    if point < 0x85:
        return False
    return (point == 0x85 or point == 0xA0 or point == 0x1680 or 0x2000 <= point <= 0x200A or point == 0x2028
            or point == 0x2029 or point == 0x202F or point == 0x205F or point == 0x3000)


@numba.njit(cache=True, nogil=True)
def _text(buf: Any, start: int, end: int, limit: int) -> bool:
    """A text cell stage one keeps as it is: valid UTF-8, at most `limit` characters (if not 0), no white
    space at either end."""
    at, chars, point = start, 0, 0
    while at < end:
        b = buf[at]
        if b < 0x80:
            point, size = b, 1
        elif 0xC2 <= b <= 0xDF:
            point, size, low, high = b & 0x1F, 2, 0x80, 0xBF
        elif 0xE0 <= b <= 0xEF:
            point, size = b & 0x0F, 3
            low = 0xA0 if b == 0xE0 else 0x80
            high = 0x9F if b == 0xED else 0xBF
        elif 0xF0 <= b <= 0xF4:
            point, size = b & 0x07, 4
            low = 0x90 if b == 0xF0 else 0x80
            high = 0x8F if b == 0xF4 else 0xBF
        else:
            return False
        if size > 1:
            if at + size > end or not low <= buf[at + 1] <= high:
                return False
            for k in range(1, size):
                if k > 1 and not 0x80 <= buf[at + k] <= 0xBF:
                    return False
                point = (point << 6) | (buf[at + k] & 0x3F)
        if at == start and _is_space(point):
            return False
        chars += 1
        at += size
    return not _is_space(point) and (limit == 0 or chars <= limit)


@numba.njit(cache=True, nogil=True)
def _decimal(buf: Any, start: int, end: int, whole_max: int, places: int) -> int:
    """^[0-9]{1,whole_max}(\\.[0-9]{1,places})?$ as an integer count of 10**-places; -1 if not so spelled."""
    value, whole, at = 0, 0, start
    while at < end and 48 <= buf[at] <= 57:
        value = value * 10 + (buf[at] - 48)
        whole += 1
        at += 1
    if whole == 0 or whole > whole_max:
        return -1
    decimals = 0
    if at < end:
        if buf[at] != 46:
            return -1
        at += 1
        while at < end and 48 <= buf[at] <= 57:
            value = value * 10 + (buf[at] - 48)
            decimals += 1
            at += 1
        if at < end or decimals == 0 or decimals > places:
            return -1
    for _ in range(places - decimals):
        value *= 10
    return value


@numba.njit(cache=True, nogil=True)
def _hash(buf: Any, start: int, end: int) -> int:
    """FNV-1a of buf[start:end], kept to 62 bits (the same as `_hash_bytes`)."""
    h = FNV_START
    for at in range(start, end):
        h = ((h ^ buf[at]) * FNV_PRIME) & MASK62
    return h


def _hash_bytes(data: bytes) -> int:
    h = FNV_START
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & MASK62
    return h


@numba.njit(cache=True, nogil=True)
def _ratio(buf: Any, start: int, end: int) -> int:
    """A share in millionths, read as frames.read_cells reads it: 0.85 or 1 (stage one), or 85% with at most
    four decimals, or up to three whole digits (stage two); -1 if not so spelled or above 1."""
    if end > start and buf[end - 1] == 37:  # %
        value = _decimal(buf, start, end - 1, 3, 4)
    else:
        value = _decimal(buf, start, end, 3, 6)
    return value if value <= 1_000_000 else -1


@numba.njit(cache=True, nogil=True)
def _days(buf: Any, start: int, end: int) -> int:
    """An ISO date YYYY-MM-DD as days since 1970-01-01; -2**62 if not one."""
    bad = NO_DATE
    if end - start != 10 or buf[start + 4] != 45 or buf[start + 7] != 45:
        return bad
    for at in (0, 1, 2, 3, 5, 6, 8, 9):
        if not 48 <= buf[start + at] <= 57:
            return bad
    year = (buf[start] - 48) * 1000 + (buf[start + 1] - 48) * 100 + (buf[start + 2] - 48) * 10 + buf[start + 3] - 48
    month = (buf[start + 5] - 48) * 10 + buf[start + 6] - 48
    day = (buf[start + 8] - 48) * 10 + buf[start + 9] - 48
    if year < 1 or month < 1 or month > 12 or day < 1:
        return bad
    leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
    lengths = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if day > lengths[month - 1]:
        return bad
    # days from civil (proleptic Gregorian), as in Howard Hinnant's algorithm
    y = year - 1 if month <= 2 else year
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = month + 9 if month <= 2 else month - 3
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@numba.njit(cache=True, nogil=True)
def _scan(buf: Any, kinds: Any, stores: Any, slots: Any, bounds: Any, required: Any, spell_data: Any,
          spell_lo: Any, spell_hi: Any, spell_value: Any, table: Any, table_at: Any, table_mask: Any, crlf: bool,
          ints: Any, days: Any, bits: Any, codes: Any, starts: Any, ends: Any, valid: Any, flags: Any,
          lines: Any) -> int:
    """Every line of buf into the output columns, flagging the lines that are not clean; -1 if a carriage
    return is out of place. `buf` holds no quote and ends with a line end (`Scanner.read` checks). A column's
    values go to the store its type needs (`stores`: INTS, DAYS, BITS, CODES or TEXTS), at row `slots[column]`
    of it; `valid` holds a bit per cell given. One function: numba passes arrays to a function it does not
    inline at a cost per call."""
    width = kinds.shape[0]
    size = buf.shape[0]
    row, at = 0, 0
    while at < size:
        lines[row] = at
        column, clean = 0, True
        while True:
            cell = at
            byte = buf[at]
            while byte != 44 and byte != 10 and byte != 13:
                at += 1
                byte = buf[at]
            if column >= width:
                clean = False
            elif clean:
                kind, store, slot = kinds[column], stores[column], slots[column]
                if at == cell:  # empty: null, unless required
                    clean = not required[column]
                    if store == INTS:
                        ints[slot, row] = 0
                    elif store == DAYS:
                        days[slot, row] = 0
                    elif store == CODES:
                        codes[slot, row] = 0
                else:
                    if store == TEXTS:
                        clean = _text(buf, cell, at, ID_LIMIT if kind == TEXT_ID else 0)
                        starts[slot, row] = cell
                        ends[slot, row] = at
                    elif kind == SPELLED:  # look the cell up in its column's table of spellings
                        value, length = -1, at - cell
                        mask = table_mask[column]
                        place = _hash(buf, cell, at) & mask
                        while True:
                            number = table[table_at[column] + place]
                            if number < 0:
                                break
                            if spell_hi[number] - spell_lo[number] == length:
                                base = spell_lo[number] - cell
                                same = True
                                for k in range(cell, at):
                                    if spell_data[base + k] != buf[k]:
                                        same = False
                                        break
                                if same:
                                    value = spell_value[number]
                                    break
                            place = (place + 1) & mask
                        clean = value >= 0
                        if store == BITS:
                            if value > 0:
                                bits[slot, row >> 3] |= 1 << (row & 7)
                        else:
                            codes[slot, row] = max(value, 0)
                    elif kind == DATE:
                        day = _days(buf, cell, at)
                        clean = day != NO_DATE
                        days[slot, row] = day if clean else 0
                    else:
                        if kind == MONEY:  # fen
                            value = _decimal(buf, cell, at, 16, 2)
                        elif kind == RATIO:  # millionths
                            value = _ratio(buf, cell, at)
                        else:  # a count: the CSV reader's integers, within stage one's bounds
                            value = _decimal(buf, cell, at, 18, 0)
                            if value > bounds[column]:
                                value = -1
                        clean = value >= 0
                        ints[slot, row] = value
                    if clean:  # (a text cell that is not UTF-8 is never handed on as text)
                        valid[column, row >> 3] |= 1 << (row & 7)
            column += 1
            if byte != 44:
                break
            at += 1
        if byte == 13:  # a carriage return ends a line only before a line feed, and only in a CRLF file
            if not crlf or buf[at + 1] != 10:
                return -1
            at += 1
        elif crlf:
            return -1
        at += 1
        flags[row] = not clean or column != width
        row += 1
    return row


@numba.njit(cache=True, nogil=True)
def _gather(buf: Any, starts: Any, ends: Any, valid: Any) -> tuple[Any, Any]:
    """Arrow offsets and bytes of a text column (`valid`: a bit per row)."""
    rows = starts.shape[0]
    offsets = np.zeros(rows + 1, dtype=np.int64)
    total = 0
    for row in range(rows):
        if (valid[row >> 3] >> (row & 7)) & 1:
            total += ends[row] - starts[row]
        offsets[row + 1] = total
    data = np.empty(total, dtype=np.uint8)
    at = 0
    for row in range(rows):
        if (valid[row >> 3] >> (row & 7)) & 1:
            for k in range(starts[row], ends[row]):
                data[at] = buf[k]
                at += 1
    return offsets, data


class Scanner:
    """The compiled reader for one file's columns."""

    def __init__(self, fields: tuple[str, ...], crlf: bool):
        specs = field_specs()
        self.fields, self.crlf = fields, crlf
        kinds, bounds, required, table_at, table_mask = [], [], [], [], []
        spellings: list[bytes] = []
        values: list[int] = []
        table: list[int] = []
        tables: dict[tuple[tuple[str, int], ...], tuple[int, int]] = {}  # spellings -> where their table is
        for name in fields:
            spec = specs[name]
            at, mask = 0, 0
            if name in ("id", "name"):
                kind = TEXT_ID if name == "id" else TEXT_NAME
            elif name == "as_of":
                kind = DATE
            elif spec.spellings is not None:
                kind = SPELLED
                if spec.vtype == ValueType.BOOL:  # as the CSV reader's enum of BOOL_SPELLINGS, then stage one
                    items = tuple((text, int(value)) for text, value in BOOL_SPELLINGS.items())
                else:  # the position of the code among the enum's categories
                    codes = list(spec.dtype.categories)
                    items = tuple((text, codes.index(code)) for text, code in spec.spellings.items())
                if items not in tables:
                    tables[items] = _table(items, spellings, values, table)
                at, mask = tables[items]
            elif spec.vtype == ValueType.MONEY:
                kind = MONEY
            elif spec.vtype == ValueType.DECIMAL:
                kind = RATIO
            elif spec.vtype == ValueType.INTEGER:
                kind = INTEGER
            else:
                raise ValueError(f"no compiled reading for {name}")
            kinds.append(kind)
            bounds.append(spec.bound)
            required.append(name in REQUIRED)
            table_at.append(at)
            table_mask.append(mask)
        self.kinds = np.array(kinds, dtype=np.int64)
        self.bounds = np.array(bounds, dtype=np.int64)
        self.required = np.array(required, dtype=np.bool_)
        stores = [_store(kind, specs[name].vtype) for kind, name in zip(kinds, fields, strict=True)]
        self.stores = np.array(stores, dtype=np.int64)
        self.counts = [stores.count(store) for store in range(5)]
        self.slots = np.array([stores[:i].count(stores[i]) for i in range(len(stores))], dtype=np.int64)
        self.spell_data = np.frombuffer(b"".join(spellings) or b"\0", dtype=np.uint8)
        lengths = np.array([len(s) for s in spellings], dtype=np.int64)
        self.spell_hi = np.cumsum(lengths)
        self.spell_lo = self.spell_hi - lengths
        self.spell_value = np.array(values, dtype=np.int64)
        self.table = np.array(table or [-1], dtype=np.int64)
        self.table_at = np.array(table_at, dtype=np.int64)
        self.table_mask = np.array(table_mask, dtype=np.int64)

    def read(self, block: bytes, first_row: int) -> tuple[pl.DataFrame, list[tuple[int, bytes]]] | None:
        """The block's clean rows as typed columns (frames.typed_schema), and the other lines with their row
        numbers; None if the block must be read the usual way (a quote, a stray carriage return). `block` is
        UTF-8 (bytes that are not are found in the cells that hold them) and ends with a line end."""
        if not block.endswith(b"\n") or b'"' in block or (not self.crlf and b"\r" in block):
            return None  # a quoted cell may hold line breaks; a stray carriage return may end a line
        buf = np.frombuffer(block, dtype=np.uint8)
        rows = block.count(b"\n")
        octets = (rows + 7) // 8
        # Fresh arrays each block: the frame's columns are views of them (no copy).
        ints = np.empty((self.counts[INTS], rows), dtype=np.int64)
        days = np.empty((self.counts[DAYS], rows), dtype=np.int32)
        bits = np.zeros((self.counts[BITS], octets), dtype=np.uint8)
        codes = np.empty((self.counts[CODES], rows), dtype=np.uint32)
        starts = np.empty((self.counts[TEXTS], rows), dtype=np.int64)
        ends = np.empty((self.counts[TEXTS], rows), dtype=np.int64)
        valid = np.zeros((len(self.fields), octets), dtype=np.uint8)
        flags = np.empty(rows, dtype=np.uint8)
        lines = np.empty(rows + 1, dtype=np.int64)
        found = _scan(buf, self.kinds, self.stores, self.slots, self.bounds, self.required, self.spell_data,
                      self.spell_lo, self.spell_hi, self.spell_value, self.table, self.table_at, self.table_mask,
                      self.crlf, ints, days, bits, codes, starts, ends, valid, flags, lines)
        if found != rows:
            return None
        flagged = np.flatnonzero(flags)
        others: list[tuple[int, bytes]] = []
        if flagged.size:
            lines[rows] = len(block)
            others = [(first_row + int(i), block[lines[i]:lines[i + 1] - 1]) for i in flagged]
        frame = self._frame(buf, rows, first_row, (ints, days, bits, codes), starts, ends, valid)
        if flagged.size:
            frame = frame.filter(pl.Series(flags == 0))
        return frame, others

    def _frame(self, buf: Any, rows: int, first_row: int, stores: tuple[Any, ...], starts: Any, ends: Any,
               valid: Any) -> pl.DataFrame:
        """Arrow arrays over the pass's outputs (no copy), then polars' dtypes."""
        schema = typed_schema()
        types = {INTS: pa.int64(), DAYS: pa.date32(), BITS: pa.bool_(), CODES: pa.uint32()}
        arrays: dict[str, pa.Array] = {}
        for column, name in enumerate(self.fields):
            store, slot = int(self.stores[column]), int(self.slots[column])
            bitmap = pa.py_buffer(valid[column])
            if store == TEXTS:
                offsets, data = _gather(buf, starts[slot], ends[slot], valid[column])
                arrays[name] = pa.LargeStringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data),
                                                                bitmap)
            else:
                values = pa.py_buffer(stores[store][slot])
                arrays[name] = pa.Array.from_buffers(types[store], rows, [bitmap, values])
        frame = pl.from_arrow(pa.table(arrays))
        assert isinstance(frame, pl.DataFrame)
        have = frame.schema
        made = []  # only the columns that are not already as typed_schema has them: fewer steps to plan
        for name, dtype in schema.items():
            if name == ROW:
                made.append(pl.int_range(first_row, first_row + rows, dtype=pl.Int64).alias(ROW))
            elif name not in arrays:
                made.append(pl.lit(None, dtype=dtype).alias(name))
            elif isinstance(dtype, pl.Enum):
                categories = pl.Series(list(dtype.categories), dtype=dtype)
                made.append(pl.lit(categories).gather(pl.col(name)).alias(name))
            elif have[name] != dtype:
                made.append(pl.col(name).cast(dtype))
        return frame.with_columns(made).select(list(schema))


def _store(kind: int, vtype: ValueType | None) -> int:
    if kind in (TEXT_ID, TEXT_NAME):
        return TEXTS
    if kind == DATE:
        return DAYS
    if kind == SPELLED:
        return BITS if vtype == ValueType.BOOL else CODES
    return INTS


def _table(items: tuple[tuple[str, int], ...], spellings: list[bytes], values: list[int],
           table: list[int]) -> tuple[int, int]:
    """Add the spellings, and an open-addressing hash table of their numbers, to the shared arrays; where
    the table starts and its mask (its size less one: a power of two, at most half full)."""
    size = 1
    while size < 2 * len(items):
        size *= 2
    slots = [-1] * size
    for text, value in items:
        data = text.encode("utf-8")
        slot = _hash_bytes(data) & (size - 1)
        while slots[slot] >= 0:
            slot = (slot + 1) & (size - 1)
        slots[slot] = len(spellings)
        spellings.append(data)
        values.append(value)
    at = len(table)
    table.extend(slots)
    return at, size - 1


def scanner(fields: tuple[str, ...], crlf: bool) -> Scanner:
    """A compiled reader for one file's columns."""
    return Scanner(fields, crlf)

