"""Reading applicants that come as Arrow data: a Parquet file, an Arrow IPC file, or a table in memory.

A data team's registry is a Parquet table, not a spreadsheet, so its columns arrive typed. They are read as they
are: integer, decimal, date and boolean columns go straight into the typed columns (`frames._typed`: money and
shares scaled exactly, with no trip through text), while text columns (and the spellings they hold: 南宁, 是,
55万) go through the same cell readers as a CSV file's. Floating-point columns are not exact; they are read as
the shortest decimal that prints each value, as a spreadsheet cell is (`xlsxsource.cell_text`). A row with a
value out of its field's range is read by the profile model from its cells as text, which names the field,
value and reason, exactly as for a CSV row.

The file is read a record batch at a time (Parquet: `ParquetFile.iter_batches`, row group by row group), so
memory stays bounded however many rows it holds. Rows are numbered by their record index, the first record
being row 1 (there is no header row); a partition of a larger dataset starts at the number `first_row` of its
first record in the dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from guangxi_subsidy.engine.intake.cells import Columns, is_extra, resolve_header
from guangxi_subsidy.engine.intake.csvsource import Chunk, FileError
from guangxi_subsidy.engine.intake.frames import ROW, split_extras

if TYPE_CHECKING:  # (imported where a file is read: a batch of CSV or a workbook runs without pyarrow)
    import pyarrow as pa

CHUNK_ROWS = 65_536  # rows handed on at a time (a Parquet row group is read in batches of at most this)
PARQUET = (".parquet", ".pq")
ARROW = (".arrow", ".feather", ".ipc")


def is_arrow_file(path: Path) -> bool:
    """Whether a path names a Parquet or Arrow IPC file (by its extension)."""
    return path.suffix.lower() in PARQUET + ARROW


class ArrowSource:
    """Record batches of applicants, handed on as chunks of cells named by profile field, plus ROW."""

    def __init__(self, schema: pa.Schema, batches: Callable[[], Iterator[pa.RecordBatch]], rows: int,
                 first_row: int = 1, close: Callable[[], None] | None = None, name: str = "table"):
        self.columns: Columns = resolve_header(schema.names)
        _check_types(schema, self.columns, name)
        self._name = name
        self._widened = _widened(schema)
        self._batches = batches
        self.size = rows  # progress counts records
        self.expected_rows = rows
        self.first_row = first_row
        self._close = close
        self.compiled = _compiled()

    @classmethod
    def open(cls, path: Path, first_row: int = 1, row_groups: list[int] | None = None,
             rows_per_chunk: int = CHUNK_ROWS, strict: bool = False) -> ArrowSource:
        """A Parquet file (all its row groups, or those given) or an Arrow IPC file (file or stream format).
        `strict`: a column that names no field refuses the file (else it is not read, and listed)."""
        import pyarrow as pa

        try:
            if path.suffix.lower() in PARQUET:
                source = cls._parquet(path, first_row, row_groups, rows_per_chunk)
            else:
                source = cls._ipc(path, first_row, rows_per_chunk)
            if strict and source.columns.extras:
                source.close()
                resolve_header(list(source.columns.headers), strict=True)  # (raises, naming every such column)
            return source
        except BaseException as error:  # (a Rust panic in a reader is a BaseException: pyo3's PanicException)
            if not isinstance(error, pa.ArrowException | OSError) and not _panic(error):
                raise
            raise FileError(f"{path}: not a readable {'Parquet' if path.suffix.lower() in PARQUET else 'Arrow'} "
                            f"file ({error})") from None

    @classmethod
    def _parquet(cls, path: Path, first_row: int, row_groups: list[int] | None, rows_per_chunk: int) -> ArrowSource:
        import pyarrow.parquet as pq

        file = pq.ParquetFile(path)
        groups = list(range(file.num_row_groups)) if row_groups is None else row_groups
        rows = sum(file.metadata.row_group(g).num_rows for g in groups)

        def batches() -> Iterator[pa.RecordBatch]:
            if groups:
                yield from file.iter_batches(batch_size=rows_per_chunk, row_groups=groups)

        return cls(file.schema_arrow, batches, rows, first_row, file.close, str(path))

    @classmethod
    def _ipc(cls, path: Path, first_row: int, rows_per_chunk: int) -> ArrowSource:
        import pyarrow as pa
        import pyarrow.ipc as ipc

        source = pa.memory_map(str(path))
        try:
            reader: Any = ipc.open_file(source)
            count = reader.num_record_batches
            rows = sum(reader.get_batch(i).num_rows for i in range(count))  # (mapped: reads no data)
            every: Callable[[], Iterator[pa.RecordBatch]] = lambda: (reader.get_batch(i) for i in range(count))  # noqa: E731
        except pa.ArrowInvalid:  # the stream format: its length is known only at the end
            source.seek(0)
            reader = ipc.open_stream(source)
            rows, every = 0, lambda: iter(reader)
        return cls(reader.schema, lambda: _sliced(_validated(every()), rows_per_chunk), rows, first_row, source.close,
                   str(path))

    @classmethod
    def of(cls, table: pa.Table | pl.DataFrame, first_row: int = 1, rows_per_chunk: int = CHUNK_ROWS) -> ArrowSource:
        """A table in memory (Arrow, or polars)."""
        if isinstance(table, pl.DataFrame):
            table = table.to_arrow()
        return cls(table.schema, lambda: iter(table.to_batches(max_chunksize=rows_per_chunk)), table.num_rows,
                   first_row)

    def close(self) -> None:
        if self._close is not None:
            self._close()

    def chunks(self) -> Iterator[Chunk]:
        import pyarrow as pa

        row = self.first_row
        batches = self._batches()
        while True:
            try:
                batch = next(batches, None)
                if batch is None:
                    return
                if not batch.num_rows:
                    continue
                if self._widened is not None:
                    batch = batch.cast(self._widened)
                arrived = pl.from_arrow(batch)
                assert isinstance(arrived, pl.DataFrame)  # (a record batch is a frame, never a column)
                frame, extras = _cells(arrived, self.columns, row)
            except BaseException as error:  # a damaged page, or a value the readers cannot take: the file named
                if not isinstance(error, pa.ArrowException | OSError | pl.exceptions.PolarsError) \
                        and not _panic(error):
                    raise
                raise FileError(f"{self._name}: cannot be read after row {row - 1} "
                                f"({type(error).__name__}: {str(error)[:200]})") from None
            row += batch.num_rows
            yield Chunk(frame, position=row - self.first_row, texts=[_as_text(frame)], extras=extras)


def _panic(error: BaseException) -> bool:
    """A Rust panic raised through pyo3 (polars, or a library built the same way): not an Exception subclass."""
    return type(error).__name__ == "PanicException"


def _widened(schema: pa.Schema) -> pa.Schema | None:
    """The schema the batches are cast to before polars takes them, or None: decimals of 256 bits (which polars
    does not read) as 128-bit decimals when their precision fits, else as their exact text."""
    import pyarrow as pa

    types = []
    for field in schema:
        kind = field.type
        if pa.types.is_decimal256(kind):
            kind = pa.decimal128(kind.precision, kind.scale) if kind.precision <= 38 else pa.string()
        types.append(field.with_type(kind))
    widened = pa.schema(types, metadata=schema.metadata)
    return None if widened.equals(schema) else widened


def _compiled() -> bool:
    """Whether the compiled kernels load (the repeat check then keeps its table in compiled code)."""
    from guangxi_subsidy.engine import native

    return native.AVAILABLE


def _validated(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """An IPC file's batches, each checked whole (offsets in range, text valid UTF-8): they are mapped from the
    file as they are, and a damaged one would otherwise reach polars, which panics on it (a Parquet file's pages
    are decoded, and checked, by the reader)."""
    for batch in batches:
        batch.validate(full=True)
        yield batch


def _sliced(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        for start in range(0, batch.num_rows, rows):
            yield batch.slice(start, rows)


def _readable(dtype: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_integer(dtype) or pa.types.is_decimal(dtype) or pa.types.is_floating(dtype)
                or pa.types.is_boolean(dtype) or pa.types.is_date(dtype) or pa.types.is_timestamp(dtype)
                or pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_null(dtype)
                or (pa.types.is_dictionary(dtype) and _readable(dtype.value_type)))


def _check_types(schema: pa.Schema, columns: Columns, name: str) -> None:
    """A column of lists, structs or bytes cannot hold a profile field, nor be carried to the results as text
    when it names none: the file is refused, naming it."""
    problems = [f"column '{schema.field(i).name}' holds {schema.field(i).type} values"
                + (" (a column not read is carried to the results as text, which these values have none of: "
                   "remove it)" if is_extra(columns.fields[i]) else "")
                for i in range(len(schema.names)) if not _readable(schema.field(i).type)]
    if problems:
        raise FileError(f"{name}: " + "; ".join(problems) + " (expected text, integers, decimals, floats, dates "
                        "or booleans)")


def _cells(frame: pl.DataFrame, columns: Columns, first_row: int) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """A batch as cells named by field: typed columns kept, the rest as text, and the rows numbered; and the
    columns not read, as text by header (frames.split_extras)."""
    frame = frame.rename(dict(zip(frame.columns, columns.fields, strict=True)))
    rows = pl.int_range(first_row, first_row + frame.height, dtype=pl.Int64).alias(ROW)
    _, extras = split_extras(frame.with_columns(rows), columns)
    kept = []
    for name, dtype in frame.schema.items():
        if is_extra(name):
            continue  # a column that names no field is not read
        column = pl.col(name)
        if name in ("id", "name") or not (dtype.is_integer() or dtype in (pl.Boolean, pl.Date)
                                          or isinstance(dtype, pl.Decimal)):
            if isinstance(dtype, pl.Datetime):  # a date at midnight is a date
                column = pl.when(column.dt.time() == pl.time(0)).then(column.dt.date().cast(pl.String)) \
                    .otherwise(column.cast(pl.String))
            else:
                column = column.cast(pl.String)
        kept.append(column.alias(name))
    return frame.select(*kept, rows), extras


def _as_text(frame: pl.DataFrame) -> Callable[[], pl.DataFrame]:
    """The cells as text, for rows the profile model reads: what each typed value prints as."""
    return lambda: frame.select(pl.col(n).cast(pl.String) if n != ROW else pl.col(n) for n in frame.columns)
