"""Columns handed to polars from numpy buffers over the Arrow C data interface: the values and blanks as the
buffers say, the buffers shared (not copied) and let go once polars drops them; and the batch path's imports
leave pyarrow out."""

from __future__ import annotations

import datetime as dt
import gc
import subprocess
import sys

import numpy as np
import polars as pl

from guangxi_subsidy.engine.intake import arrowc


def _bits(valid: list[bool]) -> np.ndarray:
    return np.packbits(np.array(valid, dtype=np.bool_), bitorder="little")


def _column(name: str, fmt: bytes, valid: list[bool], *buffers: np.ndarray) -> arrowc.Column:
    bits = _bits(valid)
    return arrowc.Column(name, fmt, valid.count(False), tuple(arrowc.address(b) for b in (bits, *buffers)),
                         (bits, buffers))


def test_each_format_reads_back_its_values_with_blanks_where_the_bit_is_clear() -> None:
    texts = ["甲", "", "a longer text than twelve bytes", "x"]
    data = np.frombuffer("".join(texts).encode("utf-8"), dtype=np.uint8)
    offsets = np.cumsum([0, *(len(t.encode("utf-8")) for t in texts)]).astype(np.int64)
    columns = [
        _column("n", b"l", [True, False, True, True], np.array([1, 2, -3, 2**40], np.int64)),
        _column("day", b"tdD", [True, True, False, True], np.array([0, 1, 2, -1], np.int32)),
        _column("yes", b"b", [True, True, True, False], _bits([True, False, True, True])),
        _column("code", b"I", [False, True, True, True], np.array([7, 8, 9, 10], np.uint32)),
        _column("名称", b"U", [True, True, False, True], offsets, data),
    ]
    frame = arrowc.frame(columns, 4)
    assert frame.schema == pl.Schema({"n": pl.Int64, "day": pl.Date, "yes": pl.Boolean, "code": pl.UInt32,
                                      "名称": pl.String})
    # day 0 is 1970-01-01, -1 the day before; the third text is blank by its bit, whatever its bytes
    assert frame.to_dict(as_series=False) == {
        "n": [1, None, -3, 2**40],
        "day": [dt.date(1970, 1, 1), dt.date(1970, 1, 2), None, dt.date(1969, 12, 31)],
        "yes": [True, False, True, None],
        "code": [None, 8, 9, 10],
        "名称": ["甲", "", None, "x"],
    }
    assert frame.null_count().row(0) == (1, 1, 1, 1, 1)


def test_blanks_are_counted_from_the_bits_of_the_rows_only() -> None:
    # 11 rows: the first octet's bits for rows 1-8, the second's low three for rows 9-11; the high bits of the
    # second octet are past the last row and are not counted, set or not
    bits = np.array([[0b1111_0111, 0b1111_1010], [0, 0b0000_0111]], dtype=np.uint8)
    assert arrowc.null_counts(bits, 11) == [11 - (7 + 1), 11 - 3]


def test_the_buffers_are_shared_and_each_column_s_let_go_when_polars_drops_it() -> None:
    values, others = np.arange(1000, dtype=np.int64), np.arange(1000, dtype=np.int64)
    frame = arrowc.frame([_column("a", b"l", [True] * 1000, values), _column("b", b"l", [True] * 1000, others)],
                         1000)
    values[0] = 99  # (shared: polars sees the change)
    assert frame["a"][0] == 99
    gc.collect()
    held = len(arrowc._held)
    only_b = frame.drop("a")
    del frame
    gc.collect()
    assert len(arrowc._held) == held - 1  # "a" let go, "b" still held
    assert only_b["b"][999] == 999
    del only_b
    gc.collect()
    assert len(arrowc._held) == held - 2


def test_a_batch_run_imports_no_pyarrow() -> None:
    code = ("import sys; import guangxi_subsidy.cli.batch, guangxi_subsidy.engine.intake.scan; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyarrow'))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "[]"
