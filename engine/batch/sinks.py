"""Writing one batch output to a partial file, so that no file under a requested name is ever incomplete.

Every output is written to a hidden partial file in its own directory and renamed over the requested name only
when the whole run commits (`engine/batch/commit.py`; a rename within a directory is atomic). A partial is named
`.NAME.PID.TOKEN.partial`, the process that writes it and a token of the run in its name, so that a later run can
tell the partials of a process that no longer exists and remove them; NAME is shortened when the whole would
exceed the file system's limit on a name, never the name asked for. CSV outputs are for spreadsheets: a text
cell taken from the applicant file that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written
with a leading `'`, so a spreadsheet shows it as text instead of running it as a formula. JSON Lines outputs are
data and are written as they are; amounts are decimal strings in both. Parquet and Arrow IPC outputs hold the
same columns, typed: amounts as decimal128(38, 2) yuan, exact, and a row group (or record batch) per batch.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import polars as pl

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet",
           ".arrow": "arrow", ".feather": "arrow", ".ipc": "arrow", ".xlsx": "xlsx"}
TABLES = ("parquet", "arrow")  # written by pyarrow, a batch at a time: amounts as decimal128(38, 2), never float
BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark: how Excel on Chinese Windows knows a CSV file is UTF-8
_FORMULA = r"^[=+\-@\t\r]"
SYNC_EVERY = 16 << 20
# A run's own files beside an output: partials being written, old files kept aside during the commit, and the
# commit's journal. Group 1 is the process id.
OWN_FILE = re.compile(r"^\..*\.(\d+)\.[0-9a-f]{8}\.(partial|old|commit)$", re.DOTALL)


class OutputError(ValueError):
    """An output cannot be written (a missing or read-only directory, a full disk, a name too long…): the
    path and the system's reason, a bad-input error (exit 2), never an internal one."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path


def failure(path: Path, error: OSError) -> OutputError:
    return OutputError(path, error.strerror or str(error))


def format_of(path: Path, given: str | None = None) -> str:
    """csv or jsonl: as given, else from the file name's extension."""
    if given:
        return given
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise ValueError(f"{path}: cannot tell the format from '{path.suffix}'; name it .csv, .jsonl or .xlsx, "
                         "or give --format")
    return found


def defuse(frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Text cells that a spreadsheet would read as a formula, prefixed with ' so they stay text."""
    present = [c for c in columns if c in frame.columns and frame.schema[c] == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in present
    )


def name_limit(directory: Path) -> int:
    """The longest file name, in bytes, the directory's file system takes."""
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def own_name(path: Path, token: str, ending: str) -> Path:
    """`.NAME.TOKEN.ENDING` beside `path`, NAME shortened (at a character) to fit the file system's limit."""
    room = name_limit(path.parent) - len(f"..{token}.{ending}".encode())
    name = path.name.encode()[:max(room, 1)].decode("utf-8", "ignore") or "o"
    return path.with_name(f".{name}.{token}.{ending}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class AtomicOutput:
    """An output file written under its partial name; `finish` puts it on the disk whole, and the run's commit
    renames it into place. With `digest`, its SHA-256 is computed as it is written (on the thread writing)."""

    def __init__(self, path: Path, fmt: str, text_columns: Iterable[str] = (), digest: bool = False,
                 bom: bool = False):
        self.path = path
        self.format = fmt
        self.text_columns = tuple(text_columns)
        self.token = f"{os.getpid()}.{os.urandom(4).hex()}"  # (its own: two shortened names may be alike)
        self.temporary = own_name(path, self.token, "partial")
        try:  # (read too: the digest is read back)
            handle = os.open(self.temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except OSError as error:
            raise failure(path, error) from None
        self._handle: IO[bytes] = os.fdopen(handle, "wb")
        if bom and fmt == "csv":
            self._handle.write(BOM)
        self._header_written = False
        self._synced = 0  # bytes known to be on disk
        self._hash = hashlib.sha256() if digest else None
        self._hashed = 0
        self.rows = 0
        self.size = 0
        self.sha256: str | None = None
        self.finished = False
        self._table: Any = None  # the pyarrow writer of a Parquet or Arrow output, made at the first batch

    def write(self, frame: pl.DataFrame) -> None:
        try:
            if self.format in TABLES:
                self._write_table(frame)
            elif self.format == "csv":
                defuse(frame, self.text_columns).write_csv(self._handle, include_header=not self._header_written)
                self._header_written = True
            else:
                frame.write_ndjson(self._handle)
            self.rows += frame.height
            self._settle()
        except OSError as error:
            raise failure(self.path, error) from None

    def write_lines(self, pieces: Iterable[bytes | memoryview], rows: int, header: pl.DataFrame) -> None:
        """CSV lines formatted already (engine/batch/widecsv.py), after the column names of `header`."""
        self.write_header(header)
        try:
            for piece in pieces:
                self._handle.write(piece)
            self.rows += rows
            self._settle()
        except OSError as error:
            raise failure(self.path, error) from None

    def _settle(self) -> None:
        """Send what is written to the disk every SYNC_EVERY bytes, so that the fsync before the rename, which
        the run waits for, has only the last part left to write; and hash what was written since the last call
        (read back from the page cache, whoever wrote it: polars or this class)."""
        if self._hash is not None:
            self._handle.flush()
            self._digest_to(self._handle.tell())
        if self._handle.tell() - self._synced >= SYNC_EVERY:
            self._handle.flush()
            getattr(os, "fdatasync", os.fsync)(self._handle.fileno())  # (macOS has fsync only)
            self._synced = self._handle.tell()

    def _write_table(self, frame: pl.DataFrame) -> None:
        table = frame.to_arrow()
        if self._table is None:
            if self.format == "parquet":
                import pyarrow.parquet as pq

                self._table = pq.ParquetWriter(self._handle, table.schema)
            else:
                import pyarrow.ipc as ipc

                self._table = ipc.new_file(self._handle, table.schema)
            self._schema = table.schema
        self._table.write_table(table.cast(self._schema))

    def _digest_to(self, end: int) -> None:
        assert self._hash is not None
        fd = self._handle.fileno()
        while self._hashed < end:
            piece = os.pread(fd, min(end - self._hashed, 1 << 20), self._hashed)
            if not piece:
                break
            self._hash.update(piece)
            self._hashed += len(piece)

    def write_text(self, text: str) -> None:
        try:
            self._handle.write(text.encode("utf-8"))
        except OSError as error:
            raise failure(self.path, error) from None

    def write_bytes(self, data: bytes) -> None:
        try:
            self._handle.write(data)
        except OSError as error:
            raise failure(self.path, error) from None

    def write_header(self, frame: pl.DataFrame) -> None:
        """A CSV header even when no row follows (an empty result still names its columns); for a table,
        its schema."""
        if self.format in TABLES and self._table is None:
            self._write_table(frame.clear())
        if self.format == "csv" and not self._header_written:
            try:
                frame.clear().write_csv(self._handle, include_header=True)
            except OSError as error:
                raise failure(self.path, error) from None
            self._header_written = True

    def finish(self) -> None:
        """Everything written on the disk (fsync), the file closed, its size and digest known."""
        if self.finished:
            return
        try:
            if self._table is not None:
                self._table.close()  # (the footer: Parquet's and Arrow's writers leave the file open)
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self.size = self._handle.tell()
            if self._hash is not None:
                self._digest_to(self.size)
                self.sha256 = self._hash.hexdigest()
            self._handle.close()
            os.chmod(self.temporary, 0o666 & ~_umask())  # os.open's private mode is not what a user expects
        except OSError as error:
            raise failure(self.path, error) from None
        self.finished = True

    def commit(self) -> None:
        """This output alone into place (the run commits all of its outputs together: commit.Outputs)."""
        self.finish()
        try:
            os.replace(self.temporary, self.path)
        except OSError as error:
            raise failure(self.path, error) from None

    def discard(self) -> None:
        try:
            if not self._handle.closed:
                self._handle.close()
        except OSError:
            pass  # (a full disk refusing the last buffer: the file goes anyway)
        self.temporary.unlink(missing_ok=True)
