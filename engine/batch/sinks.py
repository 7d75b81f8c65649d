"""Writing batch outputs so that an interrupted run never leaves a file that looks complete.

Every output is written to a hidden temporary file in the same directory and renamed over the requested name
only when the run finishes (a rename within a directory is atomic), so a run killed halfway leaves at most a
`.NAME.*.partial` file, never a truncated NAME. CSV outputs are for spreadsheets: a text cell taken from the
applicant file that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading `'`, so
a spreadsheet shows it as text instead of running it as a formula. JSON Lines outputs are data and are written
as they are; amounts are decimal strings in both.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO

import polars as pl

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}
BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark: how Excel on Chinese Windows knows a CSV file is UTF-8
_FORMULA = r"^[=+\-@\t\r]"
SYNC_EVERY = 16 << 20


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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class AtomicOutput:
    """An output file written under a temporary name and renamed into place by `commit`."""

    def __init__(self, path: Path, fmt: str, text_columns: Iterable[str] = (), bom: bool = False):
        self.path = path
        self.format = fmt
        self.text_columns = tuple(text_columns)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        self.temporary = Path(temporary)
        self._handle: IO[bytes] = os.fdopen(handle, "wb")
        if bom and fmt == "csv":
            self._handle.write(BOM)
        self._header_written = False
        self._synced = 0  # bytes known to be on disk
        self.rows = 0

    def write(self, frame: pl.DataFrame) -> None:
        if self.format == "csv":
            defuse(frame, self.text_columns).write_csv(self._handle, include_header=not self._header_written)
            self._header_written = True
        else:
            frame.write_ndjson(self._handle)
        self.rows += frame.height
        self._settle()

    def write_lines(self, pieces: Iterable[bytes | memoryview], rows: int, header: pl.DataFrame) -> None:
        """CSV lines formatted already (engine/widecsv.py), after the column names of `header`."""
        self.write_header(header)
        for piece in pieces:
            self._handle.write(piece)
        self.rows += rows
        self._settle()

    def _settle(self) -> None:
        """Send what is written to the disk every SYNC_EVERY bytes, so that the fsync before the rename, which
        the run waits for, has only the last part left to write."""
        if self._handle.tell() - self._synced >= SYNC_EVERY:
            self._handle.flush()
            getattr(os, "fdatasync", os.fsync)(self._handle.fileno())  # (macOS has fsync only)
            self._synced = self._handle.tell()

    def write_text(self, text: str) -> None:
        self._handle.write(text.encode("utf-8"))

    def write_bytes(self, data: bytes) -> None:
        self._handle.write(data)

    def write_header(self, frame: pl.DataFrame) -> None:
        """A CSV header even when no row follows (an empty result still names its columns)."""
        if self.format == "csv" and not self._header_written:
            frame.clear().write_csv(self._handle, include_header=True)
            self._header_written = True

    def commit(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.chmod(self.temporary, 0o666 & ~_umask())  # mkstemp's private mode is not what a user expects
        os.replace(self.temporary, self.path)

    def discard(self) -> None:
        if not self._handle.closed:
            self._handle.close()
        self.temporary.unlink(missing_ok=True)


class Outputs:
    """The run's outputs together: all renamed into place at the end, or all discarded."""

    def __init__(self) -> None:
        self.files: list[AtomicOutput] = []

    def open(self, path: Path, fmt: str, text_columns: Iterable[str] = (), bom: bool = False) -> AtomicOutput:
        output = AtomicOutput(path, fmt, text_columns, bom)
        self.files.append(output)
        return output

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is None:
            for output in self.files:
                output.commit()
        else:
            for output in self.files:
                output.discard()
