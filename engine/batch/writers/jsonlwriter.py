"""JSON Lines results: one object a row, data written as it is (no defusing), amounts as decimal strings."""

from __future__ import annotations

from typing import IO

import polars as pl

from guangxi_subsidy.engine.batch.writers.streamed import Streamed


class JsonlWriter(Streamed):
    """Frames as JSON Lines."""

    def __init__(self, handle: IO[bytes], text_columns: tuple[str, ...] = (), bom: bool = False):
        self.handle = handle
        self.text_columns = text_columns

    def write(self, frame: pl.DataFrame) -> None:
        frame.write_ndjson(self.handle)

    def header(self, frame: pl.DataFrame) -> None:
        """JSON Lines name their keys in each row: an empty output is an empty file."""

    def close(self) -> None:
        """Nothing ends a JSON Lines file."""
