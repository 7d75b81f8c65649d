"""Parquet and Arrow IPC results: the same columns as the CSV, typed (amounts as decimal128(38, 2) yuan, exact,
never float), a row group (or record batch) per batch, written by pyarrow (imported at the first batch)."""

from __future__ import annotations

from typing import IO, Any

import polars as pl

from guangxi_subsidy.engine.batch.writers.streamed import Streamed


class _TableWriter(Streamed):
    """Frames as the record batches of one table whose schema is the first frame's."""

    def __init__(self, handle: IO[bytes], text_columns: tuple[str, ...] = (), bom: bool = False):
        self.handle = handle
        self.text_columns = text_columns
        self._table: Any = None  # the pyarrow writer, made at the first frame
        self._schema: Any = None

    def _open(self, schema: Any) -> Any:
        raise NotImplementedError

    def write(self, frame: pl.DataFrame) -> None:
        table = frame.to_arrow()
        if self._table is None:
            self._table = self._open(table.schema)
            self._schema = table.schema
        self._table.write_table(table.cast(self._schema))

    def header(self, frame: pl.DataFrame) -> None:
        if self._table is None:
            self.write(frame.clear())

    def close(self) -> None:
        if self._table is not None:
            self._table.close()  # (the footer: pyarrow's writers leave the file open)


class ParquetWriter(_TableWriter):
    def _open(self, schema: Any) -> Any:
        import pyarrow.parquet as pq

        return pq.ParquetWriter(self.handle, schema)


class ArrowWriter(_TableWriter):
    def _open(self, schema: Any) -> Any:
        import pyarrow.ipc as ipc

        return ipc.new_file(self.handle, schema)
