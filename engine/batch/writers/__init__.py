"""The batch's output formats: one writer per format, chosen by the output file's suffix.

A writer turns frames of results (or of rejected rows) into the bytes of its format on a file that
`sinks.AtomicOutput` opened (partial name, syncing, digest, the atomic rename stay there, whatever the format).
Adding a format is one module here with a class that follows `FrameWriter`, and one row in `WRITERS`.
The results workbook (.xlsx) is not written frame by frame: it is built whole by `engine/batch/workbook.py`
(a sheet per kind of row, the summary) and handed to the output as bytes at the end, so its row names no writer;
nor does the run's JSON summary's.
"""

from __future__ import annotations

from typing import IO, Protocol

import polars as pl

from guangxi_subsidy.engine.batch.writers.csvwriter import CsvWriter
from guangxi_subsidy.engine.batch.writers.jsonlwriter import JsonlWriter
from guangxi_subsidy.engine.batch.writers.tablewriter import ArrowWriter, ParquetWriter


class FrameWriter(Protocol):
    """Frames of one format written to an open file, in order."""

    text_columns: tuple[str, ...]  # cells taken from the applicant's file (a CSV defuses them as formulas)

    def write(self, frame: pl.DataFrame) -> None:
        """The frame's rows (the column names first, on the first call, where the format has them)."""

    def header(self, frame: pl.DataFrame) -> None:
        """The column names (a table's schema) if nothing named them yet: an empty output still names them."""

    def close(self) -> None:
        """The format's end (a table's footer); the file itself is the output's to close."""


Opener = type[CsvWriter] | type[JsonlWriter] | type[ParquetWriter] | type[ArrowWriter]

# format: (the suffixes that choose it, its writer; None: written whole by its own builder)
WRITERS: dict[str, tuple[tuple[str, ...], Opener | None]] = {
    "csv": ((".csv",), CsvWriter),
    "jsonl": ((".jsonl", ".ndjson"), JsonlWriter),
    "parquet": ((".parquet", ".pq"), ParquetWriter),
    "arrow": ((".arrow", ".feather", ".ipc"), ArrowWriter),
    "xlsx": ((".xlsx",), None),
    "json": ((), None),  # the run's summary (--summary), written whole; no -o chooses it
}
FORMATS = {suffix: name for name, (suffixes, _) in WRITERS.items() for suffix in suffixes}


def writer_for(fmt: str, handle: IO[bytes], text_columns: tuple[str, ...] = (),
               bom: bool = False) -> FrameWriter | None:
    """The writer of format `fmt` on `handle`, or None for a format written whole (xlsx)."""
    opener = WRITERS[fmt][1]
    return None if opener is None else opener(handle, text_columns, bom)
