"""The wide layout written straight to CSV bytes, in one compiled pass over a batch's outcomes.

Building the wide frame (a text column per benefit, totals by group-by) and handing it to a CSV writer costs a
large part of a batch's time, most of it on cells that are empty. `WideWriter` instead walks each applicant's
outcomes once, in C (`write_lines` in engine/kernels/write.c), and writes the line as `layouts.BatchResult.wide` and
`sinks.AtomicOutput` would have written it: the same cells (`layouts.wide_cell`), the same totals
(`layouts.BatchResult.totals`), the same quoting (a cell holding a comma, a quote or a line break, or an empty
text, is quoted; quotes doubled) and the same guard against spreadsheet formulas in applicant text
(`writers.csvwriter.defuse`). Amounts are integer fen formatted as yuan with two decimals.

A batch whose figures do not fit the compiled pass's 64-bit integers (no amount in the pack comes near) is
left to the frame path (`lines` returns None). tests/test_widecsv.py checks both write the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from guangxi_subsidy.engine import native
from guangxi_subsidy.engine.batch.columnar import AMOUNT_KINDS, DAY, INDEX, RULE, STATUSES
from guangxi_subsidy.engine.batch.layouts import WIDE_TEXT, BatchResult, RuleInfo
from guangxi_subsidy.engine.evaluation.outcome import AmountKind as K
from guangxi_subsidy.engine.evaluation.outcome import Status, benefit_class, contributions
from guangxi_subsidy.engine.intake.frames import ROW, typed_schema

LIMIT = (1 << 62) // 64  # figures up to this sum across any number of rules without leaving 64 bits
# The rule's kind of amount, as layouts.wide_cell tells them apart.
FIGURE, RANGE, UP_TO, NON_MONETARY = range(4)
ELIGIBLE, EXPIRED = STATUSES.index(Status.ELIGIBLE), STATUSES.index(Status.EXPIRED)
NOT_COMBINED = STATUSES.index(Status.NOT_COMBINED)
EXACT, ESTIMATE, RANGED, UPTO, UNQUANTIFIED, NONMONETARY, INCOMPLETE = (
    AMOUNT_KINDS.index(k) for k in (K.EXACT, K.ESTIMATE, K.RANGE, K.UP_TO, K.UNQUANTIFIED, K.NON_MONETARY,
                                    K.INCOMPLETE))
FIRST_DAY, LAST_DAY = -719162, 2932896  # 0001-01-01 and 9999-12-31, as days since 1970-01-01


# ------------------------------------------------------------ the batch's columns, as the compiled pass takes them


def _text_buffers(series: pl.Series) -> tuple[Any, Any, Any, Any]:
    """A text column as polars holds it, Arrow string views (16 bytes a text: its length, and the text itself if
    12 bytes or fewer, else where it is in the data buffers), the data buffers' addresses, and validity: no copy,
    where a large_string array would copy every text; then the array, which holds the buffers while it lives."""
    array = series.to_arrow(compat_level=pl.CompatLevel.newest())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not pa.types.is_string_view(array.type):
        array = array.cast(pa.string_view())
    buffers = array.buffers()
    start, rows = array.offset, len(array)
    views = np.frombuffer(buffers[1], dtype=np.uint8)[16 * start:16 * (start + rows)] \
        if buffers[1] is not None and rows else np.zeros(16, dtype=np.uint8)
    data = np.array([b.address if b is not None else 0 for b in buffers[2:]] or [0], dtype=np.uint64)
    return views, data, _given(array), array


def _figures(frame: pl.DataFrame) -> tuple[Any, ...] | None:
    """value, min and max in fen as 64-bit integers, each with where it is given; None if one is beyond LIMIT.
    Within LIMIT, a wrapping cast of the 128-bit column is exact, and its buffers are read as they are: a value
    where none is given is never read (the compiled pass looks at its flag first)."""
    out: list[Any] = []
    for name in ("value", "min", "max"):
        column = frame.get_column(name)
        low: Any = column.min()
        high: Any = column.max()
        if (low is not None and -int(low) > LIMIT) or (high is not None and int(high) > LIMIT):
            return None
        out.extend(_integers(column.cast(pl.Int64, wrap_numerical=True)))
    return tuple(out)


def _integers(series: pl.Series) -> tuple[Any, Any]:
    """The values of a 64-bit integer column (anything where it is null) and a flag per row, given or not,
    straight from its Arrow buffers."""
    array = series.to_arrow()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    rows, start = len(array), array.offset
    data = array.buffers()[1]
    values = np.frombuffer(data, dtype=np.int64)[start:start + rows] if data is not None and rows \
        else np.zeros(rows, dtype=np.int64)
    return values, _given(array)


def _given(array: pa.Array) -> Any:
    """A flag per row of an Arrow array, given or not, unpacked from its bitmap (no Python object per row)."""
    rows, start, validity = len(array), array.offset, array.buffers()[0]
    if validity is None:
        return np.full(rows, array.null_count == 0, dtype=np.bool_)
    bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), count=start + rows, bitorder="little")
    return bits[start:].view(np.bool_)


def _codes(series: pl.Series) -> Any:
    """An Enum's (or an integer column's) codes as the 64-bit integers the compiled pass reads; never null."""
    if series.null_count():
        raise ValueError(f"{series.name}: a value missing where the compiled writer needs one")
    return series.to_physical().to_numpy().astype(np.int64)


class WideWriter:
    """The wide CSV lines of batches evaluated for one rule list."""

    def __init__(self, rules: list[RuleInfo], room: int = 2 << 20):
        native.require({"FIGURE": FIGURE, "RANGE": RANGE, "UP_TO": UP_TO, "NON_MONETARY": NON_MONETARY})
        shapes = {"non_monetary": NON_MONETARY, "unquantified": UP_TO, "up_to": UP_TO, "range": RANGE}
        self.rule_shape = np.array([shapes.get(r.amount_kind, FIGURE) for r in rules], dtype=np.int64)
        # which total an exact amount adds to, as outcome.contributions says (a draft's: none)
        adds = [contributions(benefit_class(r.benefit, r.draft), K.EXACT) for r in rules]
        self.rule_grant = np.array(["grants" in a for a in adds], dtype=np.bool_)
        self.rule_relief = np.array(["relief_estimate" in a for a in adds], dtype=np.bool_)
        self.rule_loan = np.array(["loan_quota" in a for a in adds], dtype=np.bool_)
        self.rule_counted = np.array([not r.draft for r in rules], dtype=np.bool_)
        schema = typed_schema()
        kinds, cities = list(schema["kind"].categories), list(schema["city"].categories)
        words = [WIDE_TEXT[Status.EXPIRED], WIDE_TEXT[Status.NOT_YET_IN_FORCE], "non-monetary", "unquantified",
                 "up to ", "needs ", " – ", *kinds, *cities, WIDE_TEXT[Status.NOT_COMBINED]]
        self.codes = np.array([ELIGIBLE, EXPIRED, EXACT, ESTIMATE, RANGED, UPTO, UNQUANTIFIED, NONMONETARY,
                               INCOMPLETE, NOT_COMBINED, len(words) - 1], dtype=np.int64)
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
        at = every.get_column(INDEX).to_numpy().astype(np.int64) * len(frames) + every.get_column(RULE).to_numpy()
        positions.reshape(-1)[at] = np.arange(every.height, dtype=np.int32)  # (one index: a fraction of two's cost)
        figures = _figures(every)
        days = applicants.get_column(DAY).to_physical().to_numpy()
        if figures is None or (n and not (FIRST_DAY <= days.min() and days.max() <= LAST_DAY)):
            return None
        value, value_valid, low, low_valid, high, high_valid = figures
        *missing, missing_array = _text_buffers(every.get_column("missing"))
        *ids, ids_array = _text_buffers(applicants.get_column("id"))
        *names, names_array = _text_buffers(applicants.get_column("name"))
        status, kind = _codes(every.get_column("status")), _codes(every.get_column("kind"))
        rows = _codes(applicants.get_column(ROW))
        kinds, cities = _codes(applicants.get_column("kind")), _codes(applicants.get_column("city"))
        columns = (rows, days.astype(np.int64), *ids, *names, kinds, cities, self.city_base, self.word_data,
                   self.word_offsets, positions, positions.shape[1], status, kind, value, value_valid, low, low_valid,
                   high, high_valid, *missing, self.rule_shape, self.rule_grant, self.rule_relief, self.rule_loan,
                   self.rule_counted, self.codes)
        return self._pieces(n, columns, (missing_array, ids_array, names_array))

    def _pieces(self, n: int, columns: tuple[Any, ...], held: tuple[Any, ...]) -> Iterator[memoryview]:
        """The lines `columns` give, a buffer at a time; `held`: the arrays whose buffers the texts are read from,
        kept alive until the last line is written."""
        start = 0
        while start < n:
            used = np.zeros(1, dtype=np.int64)
            stop = native.call("write_lines", start, n, *columns, self.out, self.out.shape[0], used)
            if stop == start:  # a line longer than the room: make room
                self.out = np.empty(2 * self.out.shape[0], dtype=np.uint8)
                continue
            yield self.out.data[:int(used[0])]
            start = stop
