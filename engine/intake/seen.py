"""A table of the applicants seen so far, for files too long to probe row by row in frames.

`repeats.Repeats` keys each row by a 64-bit hash of its id and evaluation date. Probing every row seen for each new
block (a frame filter) costs time in proportion to the rows seen, so a file of n rows costs n² / block; this
open-addressing table, in C (`seen_first` in engine/kernels/seen.c), costs the same for every row, however long the
file. It keeps the key and the first row number (12 bytes a slot). It is sized for the rows the file is expected to
hold (from its size) at most four fifths full, and grows by a quarter if it must, so it takes about 15 bytes a row.
Used for the files the compiled CSV reader reads (`csvsource.COMPILED_FROM`); tests/test_repeats.py checks it finds
what the frame probe finds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from guangxi_subsidy.engine import native

_FULL = 0.8  # the table grows before it is fuller than this
_GROWTH = 1.25


def _first(keys: Any, rows: Any, table_keys: Any, table_rows: Any) -> tuple[Any, int]:
    """For each row, in order, the first row with its key (itself if new, then remembered); rows added.
    (`seen_first` in engine/kernels/seen.c: the key's top bits scaled to the table give its slot, then the next
    free one.)"""
    first = np.empty(keys.shape[0], dtype=np.uint32)
    added = native.call("seen_first", keys, rows, keys.shape[0], table_keys, table_rows, table_keys.shape[0], first)
    return first, int(added)


class SeenTable:
    """First row numbers by 64-bit key."""

    def __init__(self, expected: int = 1 << 16):
        capacity = max(int(expected / _FULL) + 1, 16)
        self.keys = np.zeros(capacity, dtype=np.uint64)
        self.rows = np.zeros(capacity, dtype=np.uint32)
        self.size = 0

    def first(self, keys: Any, rows: Any) -> Any:
        """The first row with each key (uint64), rows (uint32, at least 1) in file order; new keys are kept."""
        while self.size + len(keys) > _FULL * len(self.keys):
            self._grow()
        found, added = _first(np.array(keys, dtype=np.uint64), np.array(rows, dtype=np.uint32), self.keys, self.rows)
        self.size += added
        return found

    def _grow(self) -> None:
        held = self.rows != 0
        keys, rows = self.keys[held], self.rows[held]
        del held
        capacity = int(len(self.keys) * _GROWTH) + 1
        self.keys = np.zeros(capacity, dtype=np.uint64)
        self.rows = np.zeros(capacity, dtype=np.uint32)
        _first(keys, rows, self.keys, self.rows)  # each key once: where it lands does not change what is found
