"""The compiled passes (engine/_kernels.c) are built, number things as the Python modules do, and refuse
arrays of the wrong type or layout instead of reading or writing past them."""

from __future__ import annotations

import numpy as np
import pytest

from guangxi_subsidy.engine import native
from guangxi_subsidy.engine.batch import widecsv
from guangxi_subsidy.engine.intake import scan


def test_the_compiled_passes_are_built_with_the_package() -> None:
    assert native.AVAILABLE, "engine/_kernels.c was not built: is a C compiler installed? (pip install -e .)"


def test_the_c_file_numbers_kinds_stores_and_amount_shapes_as_the_python_modules_do() -> None:
    numbers = native.layout()
    assert [numbers[n] for n in ("TEXT_ID", "TEXT_NAME", "MONEY", "RATIO", "INTEGER", "SPELLED", "DATE")] == [
        scan.TEXT_ID, scan.TEXT_NAME, scan.MONEY, scan.RATIO, scan.INTEGER, scan.SPELLED, scan.DATE]
    assert [numbers[n] for n in ("INTS", "DAYS", "BITS", "CODES", "TEXTS")] == [
        scan.INTS, scan.DAYS, scan.BITS, scan.CODES, scan.TEXTS]
    assert [numbers[n] for n in ("FIGURE", "RANGE", "UP_TO", "NON_MONETARY")] == [
        widecsv.FIGURE, widecsv.RANGE, widecsv.UP_TO, widecsv.NON_MONETARY]
    assert numbers["ID_LIMIT"] == scan.ID_LIMIT


def test_an_array_of_the_wrong_type_or_layout_is_refused_before_the_call() -> None:
    keys, rows = np.array([5], dtype=np.uint64), np.array([2], dtype=np.uint32)
    table_keys, table_rows = np.zeros(16, dtype=np.uint64), np.zeros(16, dtype=np.uint32)
    first = np.zeros(1, dtype=np.uint32)
    assert native.call("seen_first", keys, rows, 1, table_keys, table_rows, 16, first) == 1 and first[0] == 2
    with pytest.raises(TypeError, match="argument 1 must be a C-ordered uint32 array, not int64"):
        native.call("seen_first", keys, rows.astype(np.int64), 1, table_keys, table_rows, 16, first)
    with pytest.raises(TypeError, match="argument 3 must be a C-ordered uint64 array"):
        native.call("seen_first", keys, rows, 1, np.zeros(32, dtype=np.uint64)[::2], table_rows, 16, first)
    with pytest.raises(TypeError, match="8 arguments for 7"):
        native.call("seen_first", keys, rows, 1, table_keys, table_rows, 16, first, first)
