"""A table of the applicants seen so far, for files too long to probe row by row in frames.

`repeats.Repeats` keys each row by a 64-bit hash of its id and evaluation date. Probing every row seen for
each new block (a frame filter) costs time in proportion to the rows seen, so a file of n rows costs n² / block;
this open-addressing table, in code compiled by numba, costs the same for every row, however long the file.
It keeps the key and the first row number (12 bytes a slot). It is sized for the rows the file is expected to
hold (from its size) at most four fifths full, and grows by a quarter if it must, so it takes about 15 bytes
a row. Used for the files the compiled CSV reader reads (`csvsource.COMPILED_FROM`); tests/test_repeats.py
checks it finds what the frame probe finds.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

_FULL = 0.8  # the table grows before it is fuller than this
_GROWTH = 1.25


@numba.njit(cache=True, nogil=True)
def _first(keys: Any, rows: Any, table_keys: Any, table_rows: Any) -> tuple[Any, int]:
    """For each row, in order, the first row with its key (itself if new, then remembered); rows added."""
    capacity = np.uint64(table_keys.shape[0])
    first = np.empty(keys.shape[0], dtype=np.uint32)
    added = 0
    for i in range(keys.shape[0]):
        key = keys[i]
        slot = ((key >> np.uint64(32)) * capacity) >> np.uint64(32)  # the key's top bits scaled to the table
        while True:
            if table_rows[slot] == 0:  # empty (row numbers start at 1)
                table_keys[slot] = key
                table_rows[slot] = rows[i]
                first[i] = rows[i]
                added += 1
                break
            if table_keys[slot] == key:
                first[i] = table_rows[slot]
                break
            slot += np.uint64(1)
            if slot == capacity:
                slot = np.uint64(0)
    return first, added


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
