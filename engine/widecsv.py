"""The wide layout written straight to CSV bytes, in one compiled pass over a batch's outcomes.

Building the wide frame (a text column per benefit, totals by group-by) and handing it to a CSV writer costs
a large part of a batch's time, most of it on cells that are empty. `WideWriter` instead walks each
applicant's outcomes once, in code compiled by numba, and writes the line as `layouts.BatchResult.wide` and
`sinks.AtomicOutput` would have written it: the same cells (`layouts.wide_cell`), the same totals
(`layouts.BatchResult.totals`), the same quoting (a cell holding a comma, a quote or a line break, or an empty
text, is quoted; quotes doubled) and the same guard against spreadsheet formulas in applicant text
(`sinks.defuse`). Amounts are integer fen formatted as yuan with two decimals.

A batch whose figures do not fit the compiled pass's 64-bit integers (no amount in the pack comes near) is
left to the frame path (`lines` returns None). tests/test_widecsv.py checks both write the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numba
import numpy as np
import polars as pl
import pyarrow as pa

from .columnar import AMOUNT_KINDS, DAY, INDEX, RULE, STATUSES
from .frames import ROW, typed_schema
from .layouts import WIDE_TEXT, BatchResult, RuleInfo
from .report import GRANT_KINDS, RELIEF_KINDS

LIMIT = (1 << 62) // 64  # figures up to this sum across any number of rules without leaving 64 bits
# The rule's kind of amount, as layouts.wide_cell tells them apart.
FIGURE, RANGE, UP_TO, NON_MONETARY = range(4)
ELIGIBLE, EXPIRED = STATUSES.index("eligible"), STATUSES.index("expired")
EXACT, ESTIMATE, RANGED, UPTO, UNQUANTIFIED, NONMONETARY, INCOMPLETE = (
    AMOUNT_KINDS.index(k) for k in ("exact", "estimate", "range", "up_to", "unquantified", "non_monetary",
                                    "incomplete"))
CELL_ROOM = 80  # bytes a cell takes at most, besides the names in "needs …"
LINE_ROOM = 400  # bytes the rest of a line takes at most, besides the applicant's id and name
FIRST_DAY, LAST_DAY = -719162, 2932896  # 0001-01-01 and 9999-12-31, as days since 1970-01-01


# ------------------------------------------------------------ compiled pieces


@numba.njit(cache=True, nogil=True)
def _put(out: Any, at: int, data: Any, start: int, end: int) -> int:
    for k in range(start, end):
        out[at] = data[k]
        at += 1
    return at


@numba.njit(cache=True, nogil=True)
def _integer(out: Any, at: int, value: int) -> int:
    if value < 0:
        out[at] = 45
        at += 1
        value = -value
    digits = 1
    scan = value
    while scan >= 10:
        scan //= 10
        digits += 1
    for k in range(digits - 1, -1, -1):
        out[at + k] = 48 + value % 10
        value //= 10
    return at + digits


@numba.njit(cache=True, nogil=True)
def _yuan(out: Any, at: int, fen: int) -> int:
    """Fen as yuan with two decimals, as a Decimal(38, 2) is written: 1234.50, 0.05, -0.05."""
    if fen < 0:
        out[at] = 45
        at += 1
        fen = -fen
    at = _integer(out, at, fen // 100)
    out[at] = 46
    out[at + 1] = 48 + (fen % 100) // 10
    out[at + 2] = 48 + fen % 10
    return at + 3


@numba.njit(cache=True, nogil=True)
def _date(out: Any, at: int, days: int) -> int:
    """Days since 1970-01-01 as YYYY-MM-DD (civil from days, Howard Hinnant's algorithm)."""
    z = days + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    for k, (value, width) in enumerate(((year, 4), (month, 2), (day, 2))):
        if k:
            out[at] = 45
            at += 1
        for p in range(width - 1, -1, -1):
            out[at + p] = 48 + value % 10
            value //= 10
        at += width
    return at


@numba.njit(cache=True, nogil=True)
def _text(out: Any, at: int, data: Any, start: int, end: int, defuse: bool, lead: Any, lead_start: int,
          lead_end: int) -> int:
    """Text as a CSV writer quotes it when necessary, after the words lead[lead_start:lead_end] (which need no
    quoting); with `defuse`, a leading formula character gets a '."""
    prefix = defuse and end > start and (data[start] == 61 or data[start] == 43 or data[start] == 45
                                         or data[start] == 64 or data[start] == 9 or data[start] == 13)
    quote = end == start and not prefix and lead_end == lead_start
    for k in range(start, end):
        b = data[k]
        if b == 44 or b == 34 or b == 10 or b == 13:
            quote = True
            break
    if quote:
        out[at] = 34
        at += 1
    if prefix:
        out[at] = 39
        at += 1
    at = _put(out, at, lead, lead_start, lead_end)
    for k in range(start, end):
        out[at] = data[k]
        at += 1
        if data[k] == 34:
            out[at] = 34
            at += 1
    if quote:
        out[at] = 34
        at += 1
    return at


@numba.njit(cache=True, nogil=True)
def _write(start: int, stop: int, rows: Any, days: Any, id_data: Any, id_offsets: Any, id_valid: Any,
           name_data: Any, name_offsets: Any, name_valid: Any, kinds: Any, cities: Any, city_base: int,
           word_data: Any, word_offsets: Any, positions: Any, status: Any, kind: Any, value: Any, value_valid: Any,
           low: Any, low_valid: Any, high: Any, high_valid: Any, missing_data: Any, missing_offsets: Any,
           missing_valid: Any, rule_shape: Any, rule_grant: Any, rule_relief: Any, rule_loan: Any,
           out: Any) -> tuple[int, int]:
    """Lines for applicants start … stop-1 into `out`: (the applicant after the last written, bytes used).
    Stops early when `out` may not hold the next line. Words (word_offsets): 0 expired, 1 not yet in force,
    2 non-monetary, 3 unquantified, 4 'up to ', 5 'needs ', 6 ' – ', then the kinds' names, then from
    `city_base` the cities' names."""
    rules = positions.shape[1]
    at = 0
    for i in range(start, stop):
        room = LINE_ROOM + CELL_ROOM * rules + 2 * (id_offsets[i + 1] - id_offsets[i]) \
            + 2 * (name_offsets[i + 1] - name_offsets[i])
        for r in range(rules):
            j = positions[i, r]
            if j >= 0 and missing_valid[j]:
                room += 2 * (missing_offsets[j + 1] - missing_offsets[j])
        if at + room > out.shape[0]:
            return i, at
        at = _integer(out, at, rows[i])
        out[at] = 44
        at += 1
        if id_valid[i]:
            at = _text(out, at, id_data, id_offsets[i], id_offsets[i + 1], True, word_data, 0, 0)
        out[at] = 44
        at += 1
        if name_valid[i]:
            at = _text(out, at, name_data, name_offsets[i], name_offsets[i + 1], True, word_data, 0, 0)
        out[at] = 44
        at += 1
        at = _put(out, at, word_data, word_offsets[7 + kinds[i]], word_offsets[8 + kinds[i]])
        out[at] = 44
        at += 1
        at = _put(out, at, word_data, word_offsets[city_base + cities[i]], word_offsets[city_base + cities[i] + 1])
        out[at] = 44
        at += 1
        at = _date(out, at, days[i])
        grants = grants_min = grants_max = relief = loan = 0
        unquantified = non_monetary = incomplete = 0
        for r in range(rules):
            out[at] = 44
            at += 1
            j = positions[i, r]
            if j < 0:
                continue
            eligible = status[j] == ELIGIBLE
            k = kind[j]
            # the cell (layouts.wide_cell)
            if not eligible:
                word = 0 if status[j] == EXPIRED else 1
                at = _put(out, at, word_data, word_offsets[word], word_offsets[word + 1])
            elif rule_shape[r] == NON_MONETARY:
                at = _put(out, at, word_data, word_offsets[2], word_offsets[3])
            elif rule_shape[r] == UP_TO:
                if high_valid[j]:
                    at = _put(out, at, word_data, word_offsets[4], word_offsets[5])
                    at = _yuan(out, at, high[j])
                else:
                    at = _put(out, at, word_data, word_offsets[3], word_offsets[4])
            elif k == INCOMPLETE:
                if missing_valid[j]:  # "needs a, b": quoted, as the names are joined by ", "
                    at = _text(out, at, missing_data, missing_offsets[j], missing_offsets[j + 1], False, word_data,
                               word_offsets[5], word_offsets[6])
            elif rule_shape[r] == RANGE:
                if low_valid[j] and high_valid[j]:
                    at = _yuan(out, at, low[j])
                    at = _put(out, at, word_data, word_offsets[6], word_offsets[7])
                    at = _yuan(out, at, high[j])
            elif value_valid[j]:
                at = _yuan(out, at, value[j])
            # the totals (layouts.BatchResult.totals)
            if not eligible:
                continue
            quantified = (k == EXACT or k == ESTIMATE) and value_valid[j]
            if quantified and rule_grant[r]:
                grants += value[j]
                grants_min += value[j]
                grants_max += value[j]
            elif k == RANGED:
                if low_valid[j]:
                    grants_min += low[j]
                if high_valid[j]:
                    grants_max += high[j]
            if quantified and rule_relief[r]:
                relief += value[j]
            if quantified and rule_loan[r]:
                loan += value[j]
            if k == UPTO or k == UNQUANTIFIED:
                unquantified += 1
            elif k == NONMONETARY:
                non_monetary += 1
            elif k == INCOMPLETE:
                incomplete += 1
        for figure in (grants, grants_min, grants_max, relief, loan):
            out[at] = 44
            at = _yuan(out, at + 1, figure)
        for count in (unquantified, non_monetary, incomplete):
            out[at] = 44
            at = _integer(out, at + 1, count)
        out[at] = 10
        at += 1
    return stop, at


# ------------------------------------------------------------ the batch's columns, as the compiled pass takes them


def _text_buffers(series: pl.Series) -> tuple[Any, Any, Any]:
    """UTF-8 bytes, offsets and validity of a text column."""
    array = series.to_arrow()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string())
    _, offsets, data = array.buffers()
    start = array.offset
    offsets_np = np.frombuffer(offsets, dtype=np.int64)[start:start + len(array) + 1] if offsets is not None \
        else np.zeros(len(array) + 1, dtype=np.int64)
    data_np = np.frombuffer(data, dtype=np.uint8) if data is not None and data.size else np.zeros(1, np.uint8)
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    return data_np, offsets_np, valid


def _figures(frame: pl.DataFrame) -> tuple[Any, ...] | None:
    """value, min and max in fen as 64-bit integers, each with where it is given; None if one is beyond LIMIT."""
    names = ("value", "min", "max")
    largest = frame.select(pl.max_horizontal(pl.col(names).abs().max())).item() if frame.height else None
    if largest is not None and int(largest) > LIMIT:
        return None
    columns = frame.select(*[c for n in names for c in (pl.col(n).fill_null(0).cast(pl.Int64).alias(n),
                                                        pl.col(n).is_not_null().alias(f"{n}_given"))])
    return tuple(column.to_numpy() for column in columns.get_columns())


class WideWriter:
    """The wide CSV lines of batches evaluated for one rule list."""

    def __init__(self, rules: list[RuleInfo], room: int = 2 << 20):
        shapes = {"non_monetary": NON_MONETARY, "unquantified": UP_TO, "up_to": UP_TO, "range": RANGE}
        self.rule_shape = np.array([shapes.get(r.amount_kind, FIGURE) for r in rules], dtype=np.int64)
        self.rule_grant = np.array([r.benefit in GRANT_KINDS for r in rules], dtype=np.bool_)
        self.rule_relief = np.array([r.benefit in RELIEF_KINDS for r in rules], dtype=np.bool_)
        self.rule_loan = np.array([r.benefit == "loan_quota" for r in rules], dtype=np.bool_)
        schema = typed_schema()
        kinds, cities = list(schema["kind"].categories), list(schema["city"].categories)
        words = [WIDE_TEXT["expired"], WIDE_TEXT["not_yet_in_force"], "non-monetary", "unquantified", "up to ",
                 "needs ", " – ", *kinds, *cities]
        encoded = [w.encode("utf-8") for w in words]
        assert all(not set(w) & set(b',"\r\n') and w for w in encoded), "names written unquoted"
        self.word_data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        self.word_offsets = np.concatenate([[0], np.cumsum([len(w) for w in encoded])]).astype(np.int64)
        self.city_base = 7 + len(kinds)
        self.out = np.empty(room, dtype=np.uint8)
        self._positions = np.empty((0, 0), dtype=np.int32)

    def lines(self, result: BatchResult) -> Iterator[memoryview] | None:
        """The batch's lines (no header) in pieces, each to be written before the next is asked for (they
        share a buffer); None if its figures are too large for the compiled pass."""
        applicants, n = result.applicants, result.applicants.height
        frames = result.outcomes
        if self._positions.shape[0] < n or self._positions.shape[1] != len(frames):
            self._positions = np.empty((n, len(frames)), dtype=np.int32)
        positions = self._positions[:n]  # per applicant, its outcome under each rule (-1: the rule does not hold)
        positions.fill(-1)
        every = result.every
        positions[every.get_column(INDEX).to_numpy(), every.get_column(RULE).to_numpy()] = np.arange(
            every.height, dtype=np.int32)
        figures = _figures(every)
        days = applicants.get_column(DAY).to_physical().to_numpy()
        if figures is None or (n and not (FIRST_DAY <= days.min() and days.max() <= LAST_DAY)):
            return None
        value, value_valid, low, low_valid, high, high_valid = figures
        missing = _text_buffers(every.get_column("missing"))
        ids = _text_buffers(applicants.get_column("id"))
        names = _text_buffers(applicants.get_column("name"))
        status = every.get_column("status").to_physical().cast(pl.Int64).to_numpy()
        kind = every.get_column("kind").to_physical().cast(pl.Int64).to_numpy()
        rows = applicants.get_column(ROW).cast(pl.Int64).to_numpy()
        kinds = applicants.get_column("kind").to_physical().cast(pl.Int64).to_numpy()
        cities = applicants.get_column("city").to_physical().cast(pl.Int64).to_numpy()
        columns = (rows, days.astype(np.int64), *ids, *names, kinds, cities, self.city_base, self.word_data,
                   self.word_offsets, positions, status, kind, value, value_valid, low, low_valid, high, high_valid,
                   *missing, self.rule_shape, self.rule_grant, self.rule_relief, self.rule_loan)
        return self._pieces(n, columns)

    def _pieces(self, n: int, columns: tuple[Any, ...]) -> Iterator[memoryview]:
        start = 0
        while start < n:
            stop, used = _write(start, n, *columns, self.out)  # type: ignore[call-arg]
            if stop == start:  # a line longer than the room: make room
                self.out = np.empty(2 * self.out.shape[0], dtype=np.uint8)
                continue
            yield self.out.data[:used]
            start = stop
