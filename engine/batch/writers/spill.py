"""A run's rows set aside on disk as the batches come, and read back in order, a block at a time.

Why: a workbook's sheets are written one after the other, and only when the run ends (only the benefits that
apply to someone become columns), so every row waits until then. Held in memory, a run of 100,000 applicants
held some 125 MB of them at its peak; set aside as Arrow IPC files (a file per batch and kind of row, in a
private temporary folder), the run holds one batch at a time, and reading them back costs a fraction of writing
the sheet. The folder is removed when the workbook is written, and also when the run fails or is interrupted
(the folder's finalizer runs when its owner goes, or when the interpreter exits).

Each file is sorted by row as it is set aside; batches come in file order, so the files read one after the other
are the whole run sorted by row, as sorting it whole with a stable sort gives. If a batch ever starts before the
previous one ended, its kind of row is read back whole and sorted instead, so the order is the same either way.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from guangxi_subsidy.engine.intake.frames import ROW


class Spill:
    """Frames set aside by name (applicants, benefits, errors …), each read back sorted by its row column."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="subsidy-xlsx-"))
        self._removal = weakref.finalize(self, shutil.rmtree, str(self.folder), True)
        self._files: dict[str, list[Path]] = {}
        self._rows: dict[str, int] = {}
        self._last: dict[str, int] = {}
        self._sorted: dict[str, bool] = {}
        self._by: dict[str, str] = {}

    def add(self, name: str, frame: pl.DataFrame, by: str = ROW) -> None:
        """The frame set aside under `name`, sorted by `by` (stably, as the whole would be)."""
        if not frame.height:
            return
        frame = frame.sort(by, maintain_order=True)
        column = frame.get_column(by)
        first, last = column[0], column[-1]
        if first is None or last is None or (name in self._last and first < self._last[name]):
            self._sorted[name] = False  # (read back whole and sorted)
        else:
            self._last[name] = last
        path = self.folder / f"{sum(len(f) for f in self._files.values())}.arrow"
        frame.write_ipc(path, compression="uncompressed")
        self._files.setdefault(name, []).append(path)
        self._rows[name] = self._rows.get(name, 0) + frame.height
        self._by[name] = by

    def rows(self, name: str) -> int:
        return self._rows.get(name, 0)

    def __contains__(self, name: str) -> bool:
        return name in self._files

    def frames(self, name: str) -> Iterator[pl.DataFrame]:
        """The frames set aside under `name`, in order of their rows."""
        files = self._files.get(name, [])
        if not self._sorted.get(name, True):
            yield pl.concat([_read(p) for p in files]).sort(self._by[name], maintain_order=True)
            return
        for path in files:
            yield _read(path)

    def blocks(self, name: str, size: int) -> Iterator[pl.DataFrame]:
        """The rows set aside under `name`, in order, `size` at a time (the last block the rest), as slicing the
        whole would give them."""
        held: list[pl.DataFrame] = []
        count = 0
        for frame in self.frames(name):
            while frame.height:
                take = min(size - count, frame.height)
                held.append(frame.slice(0, take))
                count += take
                frame = frame.slice(take)
                if count == size:
                    yield held[0] if len(held) == 1 else pl.concat(held, rechunk=True)
                    held, count = [], 0
        if held:
            yield held[0] if len(held) == 1 else pl.concat(held, rechunk=True)

    def remove(self) -> None:
        """The folder and its files removed (at once; otherwise when this goes, or at exit)."""
        self._removal()


class InStep:
    """Frames sorted by row, taken in step with the blocks of a sheet: each call, the rows up to a row number."""

    def __init__(self, frames: Iterator[pl.DataFrame], by: str = ROW):
        self._frames = frames
        self._by = by
        self._held: pl.DataFrame | None = None
        self._ended = False

    def upto(self, last: int) -> pl.DataFrame | None:
        """The rows not yet taken whose row is at most `last` (None: there were never any rows)."""
        pieces: list[pl.DataFrame] = []
        while True:
            if self._held is None:
                self._held = None if self._ended else next(self._frames, None)
                if self._held is None:
                    self._ended = True
                    break
            cut = int(self._held.get_column(self._by).search_sorted(last, "right"))
            if cut < self._held.height:
                pieces.append(self._held.slice(0, cut))
                self._held = self._held.slice(cut)
                break
            pieces.append(self._held)
            self._held = None
        if not pieces:
            return None
        return pieces[0] if len(pieces) == 1 else pl.concat(pieces)


def _read(path: Path) -> pl.DataFrame:
    return pl.read_ipc(path)
