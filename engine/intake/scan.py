"""Reading the clean lines of a CSV block straight into typed columns, in one compiled pass over its bytes.

Most lines of a large applicant file are clean: the header's number of cells, and every cell in a spelling that
`frames.read_cells` reads without help (`1234.56`, `85%`, `是`, `南宁`, `2017-06-30`), or money as its second stage
reads it (`"1,234.56"`, `12.5万`), quoted or not. Parsing such lines into string columns and then reading each
column with string expressions costs most of a batch's time; `Scanner` walks the bytes once instead, in C
(`scan_block` in engine/kernels/scan.c), and writes integers straight into the columns of `frames.typed_schema`. This
module sets the pass up: how each column is read and stored, and the tables of the spellings of choices and
booleans.

It accepts exactly what `frames.read_cells` reads to a value, and nothing else: a line holding anything else (a
ragged or blank line, a required cell left empty, bytes that are not UTF-8, a cell in any other spelling, a quoted
cell that is empty or holds a doubled quote) is handed back with its row number, and the usual readers read, or
reject, it. A block holding a quote that does not open a cell and close it on the same line (a quoted cell may span
lines) or a stray carriage return is handed back whole. So the compiled pass decides nothing the other readers
would decide differently; tests/test_scan.py checks that both give the same typed rows, the same rejections and the
same output files.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from guangxi_subsidy.engine import native
from guangxi_subsidy.engine.intake import arrowc
from guangxi_subsidy.engine.intake.cells import REQUIRED, is_extra
from guangxi_subsidy.engine.intake.frames import BOOL_SPELLINGS, ROW, field_specs, typed_schema
from guangxi_subsidy.engine.intake.lines import line_count
from guangxi_subsidy.engine.language import ValueType

# How each column is read (the `kinds` array), and where its values go (the `stores` array).
TEXT_ID, TEXT_NAME, MONEY, RATIO, INTEGER, SPELLED, DATE = range(7)
INTS, DAYS, BITS, CODES, TEXTS = range(5)  # int64, date32 days, bits (booleans), enum codes, text spans
ID_LIMIT = 200  # characters in an applicant id (profile model)
MASK64 = (1 << 64) - 1
HASH_START, HASH_PRIME = 0xCBF29CE484222325, 0x9E3779B97F4A7C15


def _hash_bytes(data: bytes) -> int:
    """The hash the compiled pass computes of a cell: eight bytes at a time (little-endian, the last padded with
    zeros), each mixed in by a multiply, then the high half folded onto the low; a word at a time rather than a
    byte, as the pass reads them."""
    h = HASH_START
    for at in range(0, len(data), 8):
        h = ((h ^ int.from_bytes(data[at:at + 8], "little")) * HASH_PRIME) & MASK64
    return h ^ (h >> 32)


def quotes_regular(block: bytes) -> bool:
    """Whether every quote in the block opens a cell and closes it on the same line, before a separator: then
    each line is one record, whichever reader reads it."""
    return bool(native.call("quotes_regular", np.frombuffer(block or b"\0", dtype=np.uint8), len(block)))


def text_clean(data: bytes, limit: int = 0) -> bool:
    """Whether the compiled pass keeps a text cell as it is: valid UTF-8, at most `limit` characters (if not
    0), no white space at either end."""
    return bool(native.call("text_clean", np.frombuffer(data or b"\0", dtype=np.uint8), len(data), limit))


def _gather(buf: Any, starts: Any, ends: Any, valid: Any) -> tuple[Any, Any]:
    """Arrow offsets and bytes of a text column (`valid`: a bit per row)."""
    rows = starts.shape[0]
    offsets = np.empty(rows + 1, dtype=np.int64)
    data = np.empty(native.call("gather_offsets", starts, ends, valid, rows, offsets), dtype=np.uint8)
    native.call("gather_data", buf, starts, ends, valid, rows, data)
    return offsets, data


class Scanner:
    """The compiled reader for one file's columns."""

    def __init__(self, fields: tuple[str, ...], crlf: bool):
        _check_layout()
        specs = field_specs()
        self.fields, self.crlf = fields, crlf
        text_spec = specs["name"]  # a column not read (`序号`) is walked as text and dropped
        kinds, bounds, required, table_at, table_mask = [], [], [], [], []
        spellings: list[bytes] = []
        values: list[int] = []
        table: list[int] = []
        tables: dict[tuple[tuple[str, int], ...], tuple[int, int]] = {}  # spellings -> where their table is
        for name in fields:
            spec = specs.get(name, text_spec)
            at, mask = 0, 0
            if name not in specs or name in ("id", "name", "district"):
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
        stores = [_store(kind, specs.get(name, text_spec).vtype) for kind, name in zip(kinds, fields, strict=True)]
        self.stores = np.array(stores, dtype=np.int64)
        self.counts = [stores.count(store) for store in range(5)]
        self.slots = np.array([stores[:i].count(stores[i]) for i in range(len(stores))], dtype=np.int64)
        self.spell_data = np.frombuffer(b"".join(spellings) or b"\0", dtype=np.uint8)
        lengths = np.array([len(s) for s in spellings], dtype=np.int64)
        self.spell_hi = np.cumsum(lengths)
        self.spell_lo = self.spell_hi - lengths
        self.spell_value = np.array(values, dtype=np.int64)
        # a spelling of 8 bytes or fewer as one little-endian word: compared with the cell's in one step
        self.spell_word = np.array([int.from_bytes(s[:8], "little") for s in spellings] or [0], dtype=np.uint64)
        self.table = np.array(table or [-1], dtype=np.int64)
        self.table_at = np.array(table_at, dtype=np.int64)
        self.table_mask = np.array(table_mask, dtype=np.int64)

    def read(self, block: bytes, first_row: int,
             counted: int | None = None) -> tuple[pl.DataFrame, list[tuple[int, bytes]]] | None:
        """The block's clean rows as typed columns (frames.typed_schema), and the other lines with their row
        numbers; None if the block must be read the usual way (a quote that does not open and close a cell on
        one line, a stray carriage return). `block` is UTF-8 (bytes that are not are found in the cells that
        hold them) and ends with a line end; `counted`, its number of line ends, if the caller has counted them."""
        if not block.endswith(b"\n") or (not self.crlf and b"\r" in block):
            return None  # a stray carriage return may end a line
        buf = np.frombuffer(block, dtype=np.uint8)
        rows = line_count(block) if counted is None else counted
        octets = (rows + 7) // 8
        # Fresh arrays each block: the frame's columns are views of them (no copy). Zeroed: the pass leaves an
        # empty cell's value as it finds it (most cells of a wide file are empty).
        ints = np.zeros((self.counts[INTS], rows), dtype=np.int64)
        days = np.zeros((self.counts[DAYS], rows), dtype=np.int32)
        bits = np.zeros((self.counts[BITS], octets), dtype=np.uint8)
        codes = np.zeros((self.counts[CODES], rows), dtype=np.uint32)
        starts = np.empty((self.counts[TEXTS], rows), dtype=np.int64)
        ends = np.empty((self.counts[TEXTS], rows), dtype=np.int64)
        valid = np.zeros((len(self.fields), octets), dtype=np.uint8)
        flags = np.empty(rows, dtype=np.uint8)
        lines = np.empty(rows + 1, dtype=np.int64)
        found = native.call("scan_block", buf, len(block), len(self.fields), self.kinds, self.stores, self.slots,
                            self.bounds, self.required, self.spell_data, self.spell_lo, self.spell_hi,
                            self.spell_value, self.spell_word, self.table, self.table_at, self.table_mask,
                            self.crlf, rows, octets, ints, days, bits, codes, starts, ends, valid, flags, lines)
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
        formats = {INTS: b"l", DAYS: b"tdD", BITS: b"b", CODES: b"I"}
        nulls = arrowc.null_counts(valid, rows)
        columns = []
        rows_at = {store: (arrowc.address(array), array.strides[0]) for store, array in enumerate(stores)}
        owners = {store: (valid, array) for store, array in enumerate(stores)}  # (a store's columns go together)
        valid_at, valid_stride = arrowc.address(valid), valid.strides[0]
        for column, name in enumerate(self.fields):
            store, slot = int(self.stores[column]), int(self.slots[column])
            bits = valid_at + column * valid_stride
            if store == TEXTS:
                offsets, data = _gather(buf, starts[slot], ends[slot], valid[column])
                columns.append(arrowc.Column(name, b"U", nulls[column], (bits, arrowc.address(offsets),
                                                                          arrowc.address(data)),
                                             (valid, offsets, data)))
            else:
                at, stride = rows_at[store]
                columns.append(arrowc.Column(name, formats[store], nulls[column], (bits, at + slot * stride),
                                             owners[store]))
        frame = arrowc.frame(columns, rows)
        have = frame.schema  # (the columns read: the pass's fields)
        made = []  # only the columns that are not already as typed_schema has them: fewer steps to plan
        for name, dtype in schema.items():
            if name == ROW:
                made.append(pl.int_range(first_row, first_row + rows, dtype=pl.Int64).alias(ROW))
            elif name not in have:
                made.append(pl.lit(None, dtype=dtype).alias(name))
            elif isinstance(dtype, pl.Enum):
                categories = pl.Series(list(dtype.categories), dtype=dtype)
                made.append(pl.lit(categories).gather(pl.col(name)).alias(name))
            elif have[name] != dtype:
                made.append(pl.col(name).cast(dtype))
        extras = [n for n in self.fields if is_extra(n)]  # as text, split off by the reader (frames.split_extras)
        return frame.with_columns(made).select([*schema, *extras])


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


def _check_layout() -> None:
    """The C pass numbers kinds and stores as this module does."""
    native.require({"TEXT_ID": TEXT_ID, "TEXT_NAME": TEXT_NAME, "MONEY": MONEY, "RATIO": RATIO, "INTEGER": INTEGER,
                    "SPELLED": SPELLED, "DATE": DATE, "INTS": INTS, "DAYS": DAYS, "BITS": BITS, "CODES": CODES,
                    "TEXTS": TEXTS, "ID_LIMIT": ID_LIMIT})


def scanner(fields: tuple[str, ...], crlf: bool) -> Scanner:
    """A compiled reader for one file's columns."""
    return Scanner(fields, crlf)

