"""The results workbook for people (.xlsx), behind the same table as the other formats.

Unlike them it cannot write a batch as it comes: only the benefits that apply to someone in the file become
columns, and a sheet's rows go in order, so it gathers the run's typed rows (a few dozen bytes each) batch by
batch and writes the whole workbook when the output closes (`engine/batch/workbook.py`). It lays its rows out
itself (a sheet per kind of row: `--layout` is not for it) and holds a second side (a reform, a date) on sheets
of its own, so such a run writes no side files beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

import polars as pl

from guangxi_subsidy.engine.batch.layouts import BatchResult, RuleInfo


@dataclass
class Piece:
    """One batch of a run as a whole-run writer takes it: the results, the rows rejected before deciding, the
    input's columns not read, the blanks' money at stake and the blanks read as none, and a second side's."""

    result: BatchResult
    rejected: pl.DataFrame
    extras: pl.DataFrame | None = None
    stakes: pl.DataFrame | None = None
    assumed: pl.DataFrame | None = None
    second: BatchResult | None = None
    difference: pl.DataFrame | None = None


@dataclass
class Setting:
    """What a whole-run writer is told before the first batch: the rules shown, a several-sheet book's sheets
    (row offset -> name), the pack, and the second side (kind, label, its rules and pack) if any."""

    rules: list[RuleInfo]
    sheets: dict[int, str]
    pack: Any
    side: tuple[str, str, list[RuleInfo], Any] | None = None


class WorkbookWriter:
    """The run gathered, and written as a workbook for people when the output closes."""

    own_layout: str | None = "long"  # (the batches it is given are long: one line per applicant and benefit)
    gathers = True
    holds_sides = True

    def __init__(self, handle: IO[bytes], text_columns: tuple[str, ...] = (), bom: bool = False):
        self.handle = handle
        self.text_columns = text_columns  # (a cell is text by its type, never read as a formula)
        self.book: Any = None
        self._ending: tuple[Any, dict[str, str], Any] | None = None

    def begin(self, setting: Setting) -> None:
        from guangxi_subsidy.engine.batch.workbook import Workbook

        self.book = Workbook(setting.rules, setting.sheets, setting.pack)
        if setting.side is not None:
            self.book.beside(*setting.side)

    def gather(self, piece: Piece) -> None:
        self.book.add(piece.result, piece.rejected, piece.extras, piece.stakes, piece.assumed)
        if piece.second is not None and piece.difference is not None:
            self.book.add_side(piece.second, piece.difference, piece.extras)

    def conclude(self, summary: Any, receipt: dict[str, str], other: Any) -> None:
        """The run's summary (and the second side's) and what the 说明 sheet says: written at close."""
        self._ending = (summary, receipt, other)

    def write(self, frame: pl.DataFrame) -> None:
        raise TypeError("the workbook gathers the run (gather), it is not written frame by frame")

    def header(self, frame: pl.DataFrame) -> None:
        """(Every sheet has its heading, rows or none.)"""

    def close(self) -> None:
        if self.book is not None and self._ending is not None:
            self.book.write(self.handle, *self._ending)
