"""The batch's output formats: one writer per format, chosen by the output file's suffix.

A writer turns frames of results (or of rejected rows) into the bytes of its format on a file that
`sinks.AtomicOutput` opened (partial name, syncing, digest, the atomic rename stay there, whatever the format).
Adding a format is one module here with a class that follows `FrameWriter`, and one row in `WRITERS`.
A writer that needs the whole run before it can write (the results workbook, `workbookwriter.py`: only the
benefits someone gets become columns) says so (`gathers`): it is given each batch's pieces (`gather`) and the
run's summary (`conclude`), and writes at `close`. The run's JSON summary is written whole, so its row names no
writer.
"""

from __future__ import annotations

from typing import IO, Any, Protocol

import polars as pl

from guangxi_subsidy.engine.batch.writers.csvwriter import CsvWriter
from guangxi_subsidy.engine.batch.writers.jsonlwriter import JsonlWriter
from guangxi_subsidy.engine.batch.writers.tablewriter import ArrowWriter, ParquetWriter
from guangxi_subsidy.engine.batch.writers.workbookwriter import Piece, Setting, WorkbookWriter

__all__ = ["FORMATS", "WRITERS", "FrameWriter", "Piece", "Setting", "writer_for"]


class FrameWriter(Protocol):
    """Frames of one format written to an open file, in order."""

    text_columns: tuple[str, ...]  # cells taken from the applicant's file (a CSV defuses them as formulas)
    own_layout: str | None  # a layout of its own (--layout refused), else None: the run's
    gathers: bool  # takes the whole run (begin, gather, conclude) and writes it at close
    holds_sides: bool  # holds a second side (a reform, a date) itself: no side files beside it

    def write(self, frame: pl.DataFrame) -> None:
        """The frame's rows (the column names first, on the first call, where the format has them)."""

    def header(self, frame: pl.DataFrame) -> None:
        """The column names (a table's schema) if nothing named them yet: an empty output still names them."""

    def close(self) -> None:
        """The format's end (a table's footer); the file itself is the output's to close."""

    def begin(self, setting: Setting) -> None:
        """(A writer that gathers) what the run shows: its rules, sheets, pack and second side."""

    def gather(self, piece: Piece) -> None:
        """(A writer that gathers) one batch's pieces."""

    def conclude(self, summary: Any, receipt: dict[str, str], other: Any) -> None:
        """(A writer that gathers) the run's summary, said when every batch is in."""


Opener = type[CsvWriter] | type[JsonlWriter] | type[ParquetWriter] | type[ArrowWriter] | type[WorkbookWriter]

# format: (the suffixes that choose it, its writer; None: written whole by its own builder)
WRITERS: dict[str, tuple[tuple[str, ...], Opener | None]] = {
    "csv": ((".csv",), CsvWriter),
    "jsonl": ((".jsonl", ".ndjson"), JsonlWriter),
    "parquet": ((".parquet", ".pq"), ParquetWriter),
    "arrow": ((".arrow", ".feather", ".ipc"), ArrowWriter),
    "xlsx": ((".xlsx",), WorkbookWriter),
    "json": ((), None),  # the run's summary (--summary), written whole; no -o chooses it
}
FORMATS = {suffix: name for name, (suffixes, _) in WRITERS.items() for suffix in suffixes}


def writer_for(fmt: str, handle: IO[bytes], text_columns: tuple[str, ...] = (),
               bom: bool = False) -> FrameWriter | None:
    """The writer of format `fmt` on `handle`, or None for a format written whole (the run's JSON summary)."""
    opener = WRITERS[fmt][1]
    return None if opener is None else opener(handle, text_columns, bom)
