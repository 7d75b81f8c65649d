"""Writing one batch output to a partial file, so that no file under a requested name is ever incomplete.

Every output is written to a hidden partial file in its own directory and renamed over the requested name only
when the whole run commits (`engine/batch/commit.py`; a rename within a directory is atomic). A partial is named
`.NAME.PID.TOKEN.partial`, the process that writes it and a token of the run in its name, so that a later run can
tell the partials of a process that no longer exists and remove them; NAME is shortened when the whole would
exceed the file system's limit on a name, never the name asked for. What the bytes are is the format's writer's
(`engine/batch/writers/`: one per format, chosen by the file's suffix).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import polars as pl

from guangxi_subsidy.engine.batch.writers import FORMATS, FrameWriter, Piece, writer_for
from guangxi_subsidy.engine.batch.writers.csvwriter import BOM, defuse

__all__ = ["BOM", "FORMATS", "AtomicOutput", "OutputError", "defuse", "format_of"]

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
        self.token = f"{os.getpid()}.{os.urandom(4).hex()}"  # (its own: two shortened names may be alike)
        self.temporary = own_name(path, self.token, "partial")
        try:  # (read too: the digest is read back)
            handle = os.open(self.temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except OSError as error:
            raise failure(path, error) from None
        self._handle: IO[bytes] = os.fdopen(handle, "wb")
        self._writer: FrameWriter | None = writer_for(fmt, self._handle, tuple(text_columns), bom)
        self._text_columns = tuple(text_columns)
        self._synced = 0  # bytes known to be on disk
        self._hash = hashlib.sha256() if digest else None
        self._hashed = 0
        self.rows = 0
        self.size = 0
        self.sha256: str | None = None
        self.finished = False

    @property
    def text_columns(self) -> tuple[str, ...]:
        """Columns of text taken from the applicant's file (a CSV writer defuses them)."""
        return self._text_columns

    @text_columns.setter
    def text_columns(self, names: tuple[str, ...]) -> None:
        self._text_columns = tuple(names)
        if self._writer is not None:
            self._writer.text_columns = self._text_columns

    def write(self, frame: pl.DataFrame) -> None:
        if self._writer is None:
            raise TypeError(f"{self.format} is written whole (write_bytes), not frame by frame")
        try:
            self._writer.write(frame)
            self.rows += frame.height
            self._settle()
        except OSError as error:
            raise failure(self.path, error) from None

    @property
    def writer(self) -> FrameWriter | None:
        """The format's writer (None: a file written whole, the run's summary)."""
        return self._writer

    @property
    def gathers(self) -> bool:
        """Its writer takes the whole run (the workbook) rather than frames."""
        return self._writer is not None and self._writer.gathers

    def gather(self, piece: Piece) -> None:
        assert self._writer is not None
        self._writer.gather(piece)

    def conclude(self, summary: Any, receipt: dict[str, str], other: Any, rows: int) -> None:
        """The run's end told to a writer that gathers (which writes at `finish`), with the rows it holds."""
        if self._writer is not None and self._writer.gathers:
            self._writer.conclude(summary, receipt, other)
            self.rows = rows

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
        if self._writer is None:
            return
        try:
            self._writer.header(frame)
        except OSError as error:
            raise failure(self.path, error) from None

    def finish(self) -> None:
        """Everything written on the disk (fsync), the file closed, its size and digest known."""
        if self.finished:
            return
        try:
            if self._writer is not None:
                self._writer.close()
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
