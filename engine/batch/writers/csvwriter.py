"""CSV results and rejected rows, for spreadsheets: UTF-8 (with a byte order mark if asked, for Excel on Chinese
Windows), the column names first, and a text cell taken from the applicant file that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return written with a leading `'`, so a spreadsheet shows it as text instead of running
it as a formula. Amounts are decimal strings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

import polars as pl

from guangxi_subsidy.engine.batch.writers.streamed import Streamed

BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark: how Excel on Chinese Windows knows a CSV file is UTF-8
_FORMULA = r"^[=+\-@\t\r]"


def defuse(frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Text cells that a spreadsheet would read as a formula, prefixed with ' so they stay text."""
    present = [c for c in columns if c in frame.columns and frame.schema[c] == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in present
    )


class CsvWriter(Streamed):
    """Frames as CSV lines, the header once."""

    def __init__(self, handle: IO[bytes], text_columns: tuple[str, ...] = (), bom: bool = False):
        self.handle = handle
        self.text_columns = text_columns
        self.header_written = False
        if bom:
            handle.write(BOM)

    def write(self, frame: pl.DataFrame) -> None:
        defuse(frame, self.text_columns).write_csv(self.handle, include_header=not self.header_written)
        self.header_written = True

    def header(self, frame: pl.DataFrame) -> None:
        if not self.header_written:
            frame.clear().write_csv(self.handle, include_header=True)
            self.header_written = True

    def close(self) -> None:
        """Nothing ends a CSV file."""
