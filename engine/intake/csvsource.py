"""Reading a CSV applicant file in chunks, with every row accounted for and numbered as a spreadsheet shows it.

The file is read in blocks of bytes cut at line ends, so memory stays flat however long it is. Each block is
parsed by polars, then checked: every record must have exactly as many cells as the header, and records must be
the block's lines (a quote that swallows following lines, a blank line or a ragged row all break the count). A
block that fails the check, or that polars cannot parse (a stray quote, bytes that are not text in the file's
encoding), is read again line by line with Python's csv module, which finds the bad rows, reports each with
its row number and reason, and keeps the good ones. A quoted cell may span lines, as Excel writes cells with
line breaks: such a record is one row, as Excel counts it. The file is opened once and each byte read once: every
reader of a block (the line count, the compiled reader, polars, the csv module, the cells as written) reads it
in memory, so a file changed while it is read cannot give rows that disagree.

For the columnar engine, a file of at least COMPILED_FROM bytes is first given block by block to the compiled
reader (`engine/intake/scan.py`), which types its clean lines directly; the lines it hands back are read here, as
`_careful` reads lines, and blocks it hands back whole are read as above.

Encodings: UTF-8 (with or without a byte order mark) and GB18030 (which includes GBK and GB2312, what Excel
saves in China) are told apart by trying UTF-8 on the first block; `encoding` overrides the guess.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import polars as pl

from guangxi_subsidy.engine import native
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.intake.cells import Columns, is_label_row, resolve_header
from guangxi_subsidy.engine.intake.frames import ROW, fast_schema, split_extras
from guangxi_subsidy.engine.intake.lines import detect_encoding, line_count

if TYPE_CHECKING:
    from guangxi_subsidy.engine.intake.scan import Scanner

BLOCK = 8 << 20  # bytes per block read and parsed at once: about 36,000 rows of a typical applicant file
# Blocks for the compiled reader are smaller (half the memory in flight; it has little cost per block). A file
# whose blocks hold quotes is read the usual way, which has a cost per block, so it goes back to BLOCK.
SCAN_BLOCK = 4 << 20
COMPILED_FROM = 8 << 20  # bytes: smaller files are read without the compiled reader (see CsvSource)
# A quoted cell spanning more lines than this is taken for a stray quote. A note pasted into a cell may well
# hold over a hundred line breaks (Excel allows 32,767 characters a cell); the search for its closing quote
# reads each line once, so a stray quote costs at most this many lines read again.
MAX_RECORD_LINES = 1000
_SENTINEL, _END = b"\x01", "\x01end"
# How far a block's cells are typed by the CSV reader itself: booleans, choices and counts, or nothing (text).
# A block is read at the first level that succeeds.
_LEVELS = ("enums", "text")


@dataclass(frozen=True)
class Rejection:
    """A row that cannot be evaluated, with what a person needs to fix it."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class Chunk:
    cells: pl.DataFrame  # columns named by profile field, plus ROW
    rejected: list[Rejection] = field(default_factory=list)
    position: int = 0  # how far through the file (bytes, or rows of a sheet) this chunk ends
    texts: list[Callable[[], pl.DataFrame]] = field(default_factory=list)  # each part's cells as written
    typed: pl.DataFrame | None = None  # rows the compiled reader (engine/intake/scan.py) has already typed
    extras: pl.DataFrame | None = None  # the columns not read, by header, with ROW: carried to the results
    rows: int = field(init=False, default=0)  # rows accounted for: cells, typed, and rows rejected before reading

    def as_text(self) -> pl.DataFrame:
        """The same cells as text, exactly as written (for rows whose typed cells the model must see)."""
        if not self.texts:
            return self.cells
        return pl.concat([text() for text in self.texts])

    def __post_init__(self) -> None:
        typed = 0 if self.typed is None else self.typed.height
        self.rows = self.cells.height + typed + len({r.row for r in self.rejected})

    def take(self) -> pl.DataFrame:
        """Hand the cells over (the chunk keeps no reference, so they are freed once read). Cells read line by
        line are text already: `as_text` then gives the cells handed over, not the emptied frame."""
        cells, self.cells = self.cells, self.cells.clear()
        if not self.texts:
            self.texts = [lambda: cells]
        return cells


class FileError(ValueError):
    """A file that cannot be read as an applicant list at all (no header, unknown columns)."""


class CsvSource:
    """An applicant CSV: its header (field names or labels), then chunks of rows."""

    def __init__(self, path: Path, encoding: str | None = None, block: int = BLOCK, compiled: bool | None = False,
                 strict: bool = False):
        self._temporary: Path | None = None
        handle: BinaryIO = path.open("rb")  # the one opening: every byte is read from it once (see `chunks`)
        sample = handle.read(1 << 20)
        if b"\r" in sample and b"\n" not in sample:  # lines ended by CR alone (Excel for the old Mac OS)
            path = self._temporary = _with_line_feeds(handle)
            handle.close()
            handle = path.open("rb")
            sample = handle.read(1 << 20)
        self.path = path
        self.block = block
        self.size = os.fstat(handle.fileno()).st_size
        # About how many rows the file holds, from the lines of its first megabyte (sizes tables ahead).
        self.expected_rows = int(self.size / max(len(sample) / max(line_count(sample), 1), 1) * 1.02) + 1
        self.encoding = encoding or detect_encoding(sample)
        codecs.lookup(self.encoding)  # unknown names fail here, before any output is opened
        self.text_encoding = "utf-8" if self.encoding in ("utf-8", "utf-8-sig") else self.encoding
        handle.seek(0)
        self._handle = handle
        self._level, self._blocks = 0, 0
        header = self._read_record()
        if header is None:
            raise FileError(_("{0}: the file is empty; the first row must name the columns").format(path))
        self.columns: Columns = resolve_header(header, strict)
        self.header_rows = 1
        self._start = self._handle.tell()
        self._handle.seek(self._start - 2)
        self.crlf = self._handle.read(2) == b"\r\n"  # the header's line end: the file's (Excel on Windows: CRLF)
        second = self._read_record()
        if second is not None and is_label_row(self.columns, second):
            self.header_rows, self._start = 2, self._handle.tell()
        self._handle.seek(self._start)
        if compiled is None:  # worth its set-up (pyarrow, the tables of spellings) on large files, where built
            compiled = self.size >= COMPILED_FROM and native.AVAILABLE
        self.compiled = compiled  # whether lines go to the compiled reader first
        self._scanner: Scanner | None = None  # the compiled reader, made on first use

    def _read_record(self) -> list[str] | None:
        """One record from the current position (the header may hold quoted cells with line breaks)."""
        lines: list[str] = []
        while True:
            raw = self._handle.readline()
            if not raw:
                return None if not lines else _cells("\n".join(lines))
            lines.append(raw.decode(self.encoding, errors="replace").rstrip("\r\n"))
            if "\n".join(lines).count('"') % 2 == 0:
                return _cells("\n".join(lines))

    def close(self) -> None:
        self._handle.close()
        if self._temporary is not None:
            self._temporary.unlink(missing_ok=True)

    def chunks(self) -> Iterator[Chunk]:
        """Chunks in file order; rows are numbered on from the header (row 1, or rows 1–2 in a template).

        With the compiled reader, blocks whose quotes all open a cell and close it on the same line (most have
        none) are parsed two at a time on worker threads (its pass releases the interpreter): in such a block
        every line is one row, so the next block's first row is known before this one is parsed. Any other
        block with a quote, where a record may span lines, waits for the blocks before it and is parsed here,
        and so are the blocks after it."""
        next_row = self.header_rows + 1
        carry, quoted = b"", False
        pending: deque[tuple[Future[Chunk], int]] = deque()
        workers = ThreadPoolExecutor(2, thread_name_prefix="scan") if self.compiled else None
        try:
            while True:
                data = self._handle.read(SCAN_BLOCK if workers is not None and not quoted else self.block)
                at_end = not data
                block = carry + data
                if not at_end:
                    cut = block.rfind(b"\n") + 1
                    if cut == 0:
                        carry = block
                        continue
                    block, carry = block[:cut], block[cut:]
                else:
                    carry = b""
                    if not block:
                        break
                    if not block.endswith(b"\n"):
                        block += b"\n"
                if workers is not None and not quoted and (b'"' not in block or quotes_regular(block)):
                    lines = line_count(block)
                    job = workers.submit(self._parse_lines, block, next_row, lines)
                    pending.append((job, self._handle.tell() - len(carry)))
                    next_row += lines
                    while len(pending) > 1:
                        yield _finished(*pending.popleft())
                else:
                    quoted = True
                    while pending:
                        yield _finished(*pending.popleft())
                    chunk, leftover = self._parse(block, next_row, at_end)
                    if leftover:
                        carry = leftover + carry
                    chunk.position = self._handle.tell() - len(carry)
                    next_row += chunk.rows
                    yield chunk
                if at_end and not carry:
                    break
            while pending:
                yield _finished(*pending.popleft())
        finally:
            if workers is not None:
                workers.shutdown(wait=True, cancel_futures=True)

    def _parse_lines(self, block: bytes, first_row: int, lines: int) -> Chunk:
        """A block without quotes: each of its lines is one row, whichever reader reads it."""
        chunk, leftover = self._parse(block, first_row, at_end=True, lines=lines)
        if leftover or chunk.rows != lines:
            raise AssertionError(f"rows {first_row}–{first_row + lines - 1}: {chunk.rows} rows read from "
                                 f"{lines} lines without quotes")
        return chunk

    # ------------------------------------------------------------ one block

    def _marked(self, block: bytes) -> tuple[bytes, int]:
        """The block as UTF-8 with a sentinel cell ending every line (a row with too few cells leaves the last
        column empty), and its number of lines. Raises UnicodeDecodeError for bytes not in the encoding."""
        text = block if self.text_encoding == "utf-8" else block.decode(self.text_encoding).encode("utf-8")
        end = b"\r\n" if self.crlf else b"\n"
        marked = text.replace(end, b"," + _SENTINEL + end)
        return marked, (len(marked) - len(text)) // (len(_SENTINEL) + 1)

    def _parse(self, block: bytes, first_row: int, at_end: bool, lines: int | None = None) -> tuple[Chunk, bytes]:
        """The block read (`lines`: its line ends, when counted already)."""
        if self.compiled:
            scanned = self._scan(block, first_row, lines)
            if scanned is not None:
                return scanned, b""
        names = list(self.columns.fields)
        try:
            marked, lines = self._marked(block)
        except UnicodeDecodeError:
            return self._careful(block, first_row, at_end)
        frame = None
        for level in range(self._level, len(_LEVELS)):
            try:
                frame = pl.read_csv(marked, has_header=False, schema={**_schema(names, level), _END: pl.String})
            except pl.exceptions.PolarsError:  # a cell outside the level's dtypes, a stray quote, a ragged row
                continue
            self._blocks += 1
            self._level = level if self._blocks % 16 else 0  # keep a level that works; now and then try faster
            break
        del marked
        if frame is None or frame[_END].null_count() or frame.height != lines:
            return self._careful(block, first_row, at_end)
        frame, extras = split_extras(frame.drop(_END).with_columns(
            pl.int_range(first_row, first_row + frame.height, dtype=pl.Int64).alias(ROW)
        ), self.columns)
        return Chunk(frame, texts=[self._as_written(block, first_row)], extras=extras), b""

    def _scan(self, block: bytes, first_row: int, lines: int | None = None) -> Chunk | None:
        """The block through the compiled reader: its clean rows typed, the other lines read as text one by one
        (ragged and empty lines rejected as `_careful` rejects them); None if it must be read the usual way."""
        if self._scanner is None:  # (two workers may both make one: it holds no state)
            self._scanner = scanner(self.columns.fields, self.crlf)
        try:
            text = block if self.text_encoding == "utf-8" else block.decode(self.text_encoding).encode("utf-8")
        except UnicodeDecodeError:
            return None
        scanned = self._scanner.read(text, first_row, lines)  # (re-encoded, a block keeps its line ends)
        if scanned is None:
            return None
        typed, others = scanned
        records: list[list[Any]] = []
        rejected: list[Rejection] = []
        for row, line in others:
            raw = line.rstrip(b"\r")
            try:
                found = self._record(row, raw.decode("utf-8"))
            except UnicodeDecodeError as error:
                found = Rejection(row, "", _shown(raw), _encoding_reason(error, self.text_encoding))
            if isinstance(found, Rejection):
                rejected.append(found)
            else:
                records.append(found)
        chunk = self._careful_done(records, rejected)
        chunk.typed, extras = split_extras(typed, self.columns)
        if extras is not None:
            chunk.extras = extras if chunk.extras is None else pl.concat([extras, chunk.extras]).sort(ROW)
        chunk.rows += typed.height
        return chunk

    def _as_written(self, block: bytes, first_row: int) -> Callable[[], pl.DataFrame]:
        """The block's cells as text, parsed when needed (rarely: a typed cell the profile model must see as
        written) from the bytes read once, never from the file again, which may have changed since. The chunk
        lives from its reading to its admission, as `chunks` holds the block anyway: no memory is added."""
        names = list(self.columns.fields)

        def text() -> pl.DataFrame:
            marked, _ = self._marked(block)
            frame = pl.read_csv(marked, has_header=False, schema={**{n: pl.String for n in names}, _END: pl.String})
            return frame.drop(_END, *self.columns.extras_named).with_columns(
                pl.int_range(first_row, first_row + frame.height, dtype=pl.Int64).alias(ROW)
            )

        return text

    def _careful(self, block: bytes, first_row: int, at_end: bool) -> tuple[Chunk, bytes]:
        """Line by line: find the bad rows, keep the good ones (slow, for blocks that need it)."""
        lines = block.split(b"\n")[:-1]
        records: list[list[Any]] = []
        rejected: list[Rejection] = []
        row, i = first_row, 0
        while i < len(lines):
            raw = lines[i].rstrip(b"\r")
            try:
                line = raw.decode(self.text_encoding)
            except UnicodeDecodeError as error:
                rejected.append(Rejection(row, "", _shown(raw), _encoding_reason(error, self.text_encoding)))
                row, i = row + 1, i + 1
                continue
            used = 1
            if line.count('"') % 2 == 1:
                joined, used = self._join(lines, i)
                if joined is None and not at_end and len(lines) - i <= MAX_RECORD_LINES:
                    return self._careful_done(records, rejected), b"\n".join(lines[i:]) + b"\n"
                if joined is None:
                    rejected.append(Rejection(row, "", line, "a quote opens a cell that never closes (stray quote?)"))
                    row, i = row + 1, i + 1
                    continue
                line = joined
            i += used
            found = self._record(row, line)
            if isinstance(found, Rejection):
                rejected.append(found)
            else:
                records.append(found)
            row += 1
        return self._careful_done(records, rejected), b""

    def _record(self, row: int, line: str) -> list[Any] | Rejection:
        """One record's cells (row number first), or why the line is not one."""
        if not line.strip():
            return Rejection(row, "", "", _("empty row"))
        try:
            cells = next(csv.reader([line], strict=True))
        except csv.Error as error:
            return Rejection(row, "", line, _("malformed quoting: {0}").format(error))
        width = len(self.columns.fields)
        if len(cells) != width:
            return Rejection(row, "", line, _("{0} cells, but the header has {1}").format(len(cells), width))
        return [row, *[c if c != "" else None for c in cells]]

    def _join(self, lines: list[bytes], start: int) -> tuple[str | None, int]:
        """The record starting at `start` that a quoted line break continues, and how many lines it takes."""
        parts: list[str] = []
        quotes = 0
        for used, raw in enumerate(lines[start : start + MAX_RECORD_LINES], start=1):
            try:
                parts.append(raw.rstrip(b"\r").decode(self.text_encoding))
            except UnicodeDecodeError:
                return None, 0
            quotes += parts[-1].count('"')  # (counted line by line: joining every time would be quadratic)
            if used > 1 and quotes % 2 == 0:
                joined = "\n".join(parts)
                try:
                    cells = next(csv.reader(io.StringIO(joined), strict=True))
                except (csv.Error, StopIteration):
                    return None, 0
                return (joined, used) if len(cells) == len(self.columns.fields) else (None, 0)
        return None, 0

    def _careful_done(self, records: list[list[Any]], rejected: list[Rejection]) -> Chunk:
        schema = {ROW: pl.Int64, **{n: pl.String for n in self.columns.fields}}
        frame, extras = split_extras(pl.DataFrame(records, schema=schema, orient="row"), self.columns)
        return Chunk(frame.select(*self.columns.read, ROW), rejected, extras=extras)


def _with_line_feeds(source: BinaryIO) -> Path:
    """A copy of a file whose lines end in CR alone, with LF instead (row numbers are the same), in the
    system's temporary folder, read from the file already open; the source removes it when closed."""
    import tempfile

    descriptor, name = tempfile.mkstemp(prefix=".subsidy-lf-", suffix=".csv")
    source.seek(0)
    with os.fdopen(descriptor, "wb") as out:
        while data := source.read(1 << 22):
            out.write(data.replace(b"\r", b"\n"))
    return Path(name)


def _schema(names: list[str], level: int) -> dict[str, Any]:
    return {n: pl.String for n in names} if _LEVELS[level] == "text" else fast_schema(names)


def _finished(job: Future[Chunk], position: int) -> Chunk:
    chunk = job.result()
    chunk.position = position
    return chunk


def _cells(text: str) -> list[str]:
    """A record's cells; none if the csv module cannot read it (a stray carriage return: not a header, and
    the rows' reader reports it as a bad row)."""
    try:
        return next(csv.reader([text]), [])
    except csv.Error:
        return []


def _shown(raw: bytes) -> str:
    return raw.decode("utf-8", errors="backslashreplace")[:200]


def _encoding_reason(error: UnicodeDecodeError, encoding: str) -> str:
    byte = error.object[error.start : error.start + 1].hex()
    return _("not valid {0} text (byte 0x{1} at byte {2} of the line): save the file as UTF-8, or give its "
             "encoding with --encoding").format(encoding, byte, error.start + 1)


def quotes_regular(block: bytes) -> bool:
    from guangxi_subsidy.engine.intake.scan import quotes_regular as regular

    return regular(block)


def scanner(fields: tuple[str, ...], crlf: bool) -> Scanner:
    from guangxi_subsidy.engine.intake.scan import (
        scanner as compiled,  # (pyarrow: imported only when a file is large enough to gain)
    )

    return compiled(fields, crlf)
