"""One batch run: an applicant file in, the results, rejected rows and summary out, nothing lost.

`run_batch` is what `subsidy batch` does, without click: a program (or a notebook) evaluates a file with it
and gets the `Summary` back. A reader thread reads, admits and checks the blocks for repeats and gathers them
into batches (`threads.Prefetch`); this thread decides a batch while the next is read; a third writes the last
(`threads.InOrder`). Outputs are written to partial files and published only when the run completes
(`commit.Outputs`: all renamed into place together, the results last). Every row ends in the results or
in the errors file.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

from guangxi_subsidy.engine.batch import assume, destinations
from guangxi_subsidy.engine.batch.commit import Outputs, recover
from guangxi_subsidy.engine.batch.evaluator import ERRORS, Admitted, Evaluator
from guangxi_subsidy.engine.batch.gathered import Batch, Block, exactly
from guangxi_subsidy.engine.batch.layouts import BatchResult
from guangxi_subsidy.engine.batch.sinks import AtomicOutput, format_of
from guangxi_subsidy.engine.batch.summary import Summary
from guangxi_subsidy.engine.batch.threads import InOrder, Prefetch
from guangxi_subsidy.engine.batch.workbook import readable_errors
from guangxi_subsidy.engine.batch.writers import WRITERS, Piece, Setting
from guangxi_subsidy.engine.evaluation.evaluate import ENGINE_VERSION
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.intake.arrowsource import ArrowSource, is_arrow_file
from guangxi_subsidy.engine.intake.cells import HeaderError
from guangxi_subsidy.engine.intake.csvsource import Chunk, CsvSource, FileError
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.intake.repeats import Repeats
from guangxi_subsidy.engine.intake.xlsxsource import XlsxSource
from guangxi_subsidy.engine.jsontext import json_bytes
from guangxi_subsidy.engine.rules.pack import RulePack

if TYPE_CHECKING:
    from guangxi_subsidy.engine.batch.widecsv import WideWriter

BATCH_ROWS = 60_000  # applicants decided per call (a call costs ~20 ms of planning, whatever its rows)
GATHERED_ROWS = 7_500  # applicants per call when the workbook is gathered, a reader's block cut where needed
# (gathered.exactly; 100,000 rows, in turn with the code before, whose CPU s were 6.1-6.7: 219-222 MB at 5,000 for
# 6.7-7.3 CPU s, 228-230 MB at 7,500 for 6.2-6.6, 236-239 MB at 10,000 for 5.9-6.3; the blanks' second reading
# decides only the rules that read them: narrowed.py)
WIDE_ROWS = 15_000  # wide rows built and written at a time
Progress = Callable[[int, int], None]  # (bytes read, rows read)


class SecondSide(Protocol):
    """A second evaluation of every batch beside the first (a reform, another date: `scenarios.batchdiff`),
    with outputs of its own; told of each batch decided, on the writing thread."""

    kind: str
    label: str  # the reform's name, or the date
    summary: Summary
    evaluator: Evaluator

    def open(self, outputs: Outputs, results: Path, difference: Path, fmt: str, layout: str,
             wide_lines: bool) -> None: ...
    def decide(self, admitted: list[Admitted], base: BatchResult | None = None) -> BatchResult: ...
    def publish(self, base: BatchResult, other: BatchResult, rows: int, structural: int) -> None: ...
    def tally(self, base: BatchResult, other: BatchResult, rows: int, structural: int) -> pl.DataFrame: ...
    def finish(self) -> None: ...
    def as_json(self, baseline: Summary, source: str, engine: str, as_of: dt.date | None, include_drafts: bool,
                version: str) -> dict[str, Any]: ...


def side_paths(output: Path, kind: str) -> tuple[Path, Path]:
    """Where a second side's results and the differences go, beside the results file."""
    side = "reform" if kind == "reform" else "compared"
    return (output.with_name(f"{output.stem}.{side}{output.suffix}"),
            output.with_name(f"{output.stem}.difference{output.suffix}"))


class BatchInputError(ValueError):
    """The file or the options cannot be run at all (before any row is evaluated): a bad-input error."""


@dataclass(frozen=True)
class BatchOptions:
    """What `subsidy batch` is asked to do; None: the defaults it documents."""

    output: Path
    layout: str | None = None
    fmt: str | None = None
    as_of: dt.date | None = None
    include_drafts: bool = False
    errors_path: Path | None = None
    summary_path: Path | None = None
    encoding: str | None = None
    engine: str = "columnar"
    keep_repeats: bool = False
    second: SecondSide | None = None  # also evaluate every batch so, beside the first
    strict_columns: bool = False  # a column that names no field refuses the file (else: not read, listed)
    bom: bool = True  # CSV outputs start with a UTF-8 byte order mark, so that Excel reads them as UTF-8
    assume_none_received: bool = False  # blanks in "already received" fields read as none (batch/assume.py)
    # also the workbook for people of the same run, gathered as it goes and written when the caller asks, after
    # the other outputs are in place (BatchRun.write_workbook): the web job's second download, without a
    # second run; not beside a second side
    workbook: Path | None = None


@dataclass(frozen=True)
class BatchRun:
    """What a finished run wrote: the summary, where the rejected rows are, and the files an earlier run
    killed outright had left in the output directories, removed before this one wrote."""

    summary: Summary
    errors_path: Path
    removed: tuple[Path, ...] = ()
    not_read: tuple[str, ...] = ()  # the file's columns that name no field
    workbook: AtomicOutput | None = None  # (BatchOptions.workbook) gathered, not yet written

    def write_workbook(self) -> None:
        """The workbook gathered during the run written, and put in place under its name."""
        assert self.workbook is not None
        try:
            self.workbook.commit()
        except BaseException:
            self.workbook.discard()
            raise

    def drop_workbook(self) -> None:
        """The workbook gathered during the run not written (its partial file removed)."""
        if self.workbook is not None:
            self.workbook.discard()


def run_batch(pack: RulePack, applicants: Path, options: BatchOptions,
              progress: Callable[[int], AbstractContextManager[Progress]] | None = None) -> BatchRun:
    """Evaluate every applicant in a CSV, .xlsx, Parquet or Arrow file. `progress(size)`, given the file's size
    (a Parquet file's: its records), is entered for the run and gives a function told (bytes or records read,
    rows read) as batches are written (a progress bar)."""
    try:
        results_format = format_of(options.output, options.fmt)
        errors_path = options.errors_path or options.output.with_name(options.output.stem + ".errors.csv")
        errors_format = format_of(errors_path)
        named = {"-o": options.output, "--errors": errors_path}
        if options.summary_path is not None:
            named["--summary"] = options.summary_path
        if options.workbook is not None:
            named["workbook"] = options.workbook
            gathering = WRITERS[format_of(options.workbook)][1]
            if gathering is None or not gathering.gathers:
                raise ValueError(f"{options.workbook}: a second output of the run is one that gathers it (.xlsx)")
        other = options.second
        fixed = WRITERS[results_format][1]
        if other is not None and not (fixed is not None and fixed.holds_sides):  # its results and the
            for path in side_paths(options.output, other.kind):  # differences, beside the results
                named[f"-o ({path.name})"] = path
        destinations.check(applicants, named)
    except (ValueError, OSError) as error:
        raise BatchInputError(str(error)) from None
    own_layout = fixed.own_layout if fixed is not None else None
    if own_layout is not None and options.layout is not None:
        raise BatchInputError(_("a workbook (.xlsx) has its own layout: --layout is for .csv and .jsonl results"))
    layout = options.layout or own_layout or ("long" if results_format == "jsonl" else "wide")
    removed = tuple(recover(p.parent for p in named.values()))
    book = None
    try:
        book = None if options.workbook is None or other is not None else AtomicOutput(
            options.workbook, format_of(options.workbook))
        done = _outputs(pack, applicants, options, results_format, errors_path, errors_format, layout, book,
                        progress)
    except BaseException:
        if book is not None:
            book.discard()
        raise
    return BatchRun(done[0], errors_path, removed, done[1], book)


def _outputs(pack: RulePack, applicants: Path, options: BatchOptions, results_format: str, errors_path: Path,
             errors_format: str, layout: str, book: AtomicOutput | None,
             progress: Callable[[int], AbstractContextManager[Progress]] | None) -> tuple[Summary, tuple[str, ...]]:
    """The run with its outputs opened, written and committed together (none of them if it fails)."""
    other = options.second
    with Outputs() as outputs:  # every output created before a row is read: a directory that refuses it, now
        try:
            results = outputs.open(options.output, results_format, ("id", "name"), options.summary_path is not None,
                                   options.bom)
            errors = outputs.open(errors_path, errors_format, ("id", "column", "value"),
                                  options.summary_path is not None, options.bom)
            summary_file = None if options.summary_path is None else outputs.open(options.summary_path, "json")
            source = open_source(applicants, options.encoding, options.engine == "columnar", options.strict_columns)
            # the input's columns not read are carried to the results as text, defused like the names
            results.text_columns += tuple(n for c in source.columns.extras for n in (c, f"{c} (input)"))
        except (ValueError, LookupError, OSError) as error:
            raise BatchInputError(str(error)) from None
        summary = _run(pack, applicants, source, options, layout, outputs, results, errors, progress, book)
        results.finish()
        errors.finish()
        if other is not None:
            other.summary.repeated = summary.repeated
            if not results.gathers:  # (a writer that gathers holds both sides)
                other.finish()
        if summary_file is not None:
            data = summary.as_json(str(applicants), options.engine, options.as_of, options.include_drafts,
                                   pack.digest, ENGINE_VERSION)
            if other is not None:
                data["scenario"] = other.as_json(summary, str(applicants), options.engine, options.as_of,
                                                 options.include_drafts, ENGINE_VERSION)
            data["not_read"] = list(source.columns.extras)
            data["outputs"] = {name: {"path": str(o.path), "format": o.format, "bytes": o.size, "sha256": o.sha256}
                               for name, o in (("results", results), ("errors", errors))}
            summary_file.write_bytes(json_bytes(data))
        # the results last: under their name, they mean every output of the run is complete and in place
        last = [*([summary_file] if summary_file is not None else []), results]
        outputs.commit([*(o for o in outputs.files if o not in last), *last])
    return summary, tuple(source.columns.extras)


def _run(pack: RulePack, applicants: Path, source: CsvSource | XlsxSource | ArrowSource, options: BatchOptions,
         layout: str, outputs: Outputs, results: AtomicOutput, errors: AtomicOutput,
         progress: Callable[[int], AbstractContextManager[Progress]] | None, book: AtomicOutput | None = None
         ) -> Summary:
    """Read, decide and write every row; the summary of what was read and decided. `book`: a workbook gathered
    beside the results (written later, by the caller)."""
    results_format = results.format
    other = options.second
    # A long file read by the compiled reader is also checked for repeats and written by compiled code.
    compiled = isinstance(source, CsvSource | ArrowSource) and source.compiled
    # (the compiled writer writes the benefit columns only: a file with columns not read goes the frame way)
    wide_lines = compiled and layout == "wide" and results_format == "csv" and not source.columns.extras
    try:
        evaluator = Evaluator(pack, as_of=options.as_of, include_drafts=options.include_drafts,
                              engine=options.engine, wide=layout == "wide" and not wide_lines)
        summary = Summary(evaluator.rules)
        repeats = None if options.keep_repeats else Repeats(
            evaluator.plan.day(), source.columns.header_of("id"), compiled,
            0 if isinstance(source, XlsxSource) else source.expected_rows)
        gathers = results.gathers  # (the workbook: given each batch's pieces, written whole at the end)
        gatherers = [o for o in (results, book) if o is not None and o.gathers]
        if other is not None and not gathers:
            other.open(outputs, *side_paths(options.output, other.kind), results_format, layout, wide_lines)
        sheets = {s.offset: s.title for s in source.sheets if s.offset} if isinstance(source, XlsxSource) else {}
        for gatherer in gatherers:
            assert gatherer.writer is not None
            gatherer.writer.begin(Setting(evaluator.rules, sheets, pack, None if other is None else (
                other.kind, other.label, other.evaluator.rules, other.evaluator.pack)))
    except BaseException:
        source.close()
        raise
    # (the reference engine gains nothing from batches; a run that gathers decides twice, long: smaller batches)
    size = (GATHERED_ROWS if gatherers else BATCH_ROWS) if options.engine == "columnar" else 1
    shown = progress(source.size) if progress is not None else nullcontext(_unseen)
    with shown as advance:
        try:
            blocks = _admitted(source, evaluator, repeats)
            with Prefetch(exactly(blocks, size) if gatherers and size > 1 else _batches(blocks, size)) as batches:
                # the file is being read while the compiled writer loads
                writer = _wide_writer(evaluator) if wide_lines else None
                header = evaluator.empty().results if wide_lines else None

                def publish(result: BatchResult, rejected: pl.DataFrame, rows: int, position: int,
                            second: BatchResult | None, extras: pl.DataFrame | None,
                            assumed: pl.DataFrame | None = None, stakes: pl.DataFrame | None = None) -> None:
                    lines = None if writer is None else writer.lines(result)
                    if gatherers:  # (a second side is the results' own only when they gather: the workbook)
                        piece = Piece(result, rejected, extras, stakes, assumed,
                                      *(_side(other, result, second, rows, rejected) if gathers else (None, None)))
                        for gatherer in gatherers:
                            gatherer.gather(piece)
                    if gathers:
                        pass  # (written whole at the end)
                    elif lines is not None:
                        assert header is not None
                        results.write_lines(lines, result.evaluated, header)
                    elif layout == "wide":
                        for wide in result.wide_slices(WIDE_ROWS):
                            results.write(with_extras(wide, extras, source.columns.extras))
                    else:
                        results.write(result.benefits)
                    noted = assume.notes(result, assumed, stakes if gathers else None, source.columns.header_of)
                    if rejected.height or result.errors.height or noted.height:
                        errors.write(readable_errors(pl.concat([rejected, result.errors, noted]).sort(
                            ROW, maintain_order=True), sheets))
                    summary.add(result, rows, rejected[ROW].n_unique())
                    if other is not None and second is not None and not gathers:
                        other.publish(result, second, rows, rejected[ROW].n_unique())
                    advance(position, summary.rows_read)

                with _collector_skips_the_set_up(), InOrder() as publishing:  # writing overlaps deciding
                    for admitted, rejected, rows, position, extras in batches:
                        decided, assumed, stakes, admitted = assume.decide(
                            evaluator, admitted, source.columns.read, options.assume_none_received,
                            bool(gatherers))
                        second = other.decide(admitted, decided) if other is not None else None
                        publishing.submit(partial(publish, decided, rejected, rows, position, second, extras,
                                                  assumed, stakes))
        except FileError as error:  # found part-way (a workbook's sheet cut short): no output is kept
            raise BatchInputError(_named(applicants, error)) from None
        finally:
            source.close()  # (after the reading thread has stopped)
    summary.repeated = repeats.repeated if repeats is not None else 0
    if gatherers:
        receipt = {"as_of": options.as_of.isoformat() if options.as_of else "", "rules_digest": pack.digest,
                   "engine_version": ENGINE_VERSION, "source": applicants.name,
                   "include_drafts": str(options.include_drafts).lower(),
                   "not_read": "、".join(source.columns.extras),
                   "assume_none_received": str(options.assume_none_received).lower(),
                   "scenario": "" if other is None else other.label}
        for gatherer in gatherers:
            gatherer.conclude(summary, receipt, other.summary if other is not None else None, summary.evaluated)
    _headers(results, errors, evaluator, layout, source.columns.extras)
    return summary


def _side(other: SecondSide | None, result: BatchResult, second: BatchResult | None, rows: int,
          rejected: pl.DataFrame) -> tuple[BatchResult | None, pl.DataFrame | None]:
    """A second side's results and its differences from the batch's (counted in its summary), if any."""
    if other is None or second is None:
        return None, None
    return second, other.tally(result, second, rows, rejected[ROW].n_unique())


def _unseen(position: int, rows: int) -> None:
    """No progress shown."""


def open_source(path: Path, encoding: str | None, compiled: bool,
                strict: bool = False) -> CsvSource | XlsxSource | ArrowSource:
    """The applicant file's reader; `compiled`: large CSV files may use the compiled reader (intake/scan.py),
    which types clean rows directly, for the columnar engine."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return XlsxSource(path, strict=strict)
        if is_arrow_file(path):
            return ArrowSource.open(path, strict=strict)
        return CsvSource(path, encoding, compiled=None if compiled else False, strict=strict)
    except (HeaderError, FileError) as error:
        raise BatchInputError(_named(path, error)) from None


def _named(path: Path, error: Exception) -> str:
    """The error's text, after the file's name unless it starts with it already."""
    return str(error) if str(error).startswith(f"{path}: ") else f"{path}: {error}"


def _wide_writer(evaluator: Evaluator) -> WideWriter:
    from guangxi_subsidy.engine.batch.widecsv import WideWriter  # (pyarrow: imported only when a long file is written)

    return WideWriter(evaluator.rules)


def _structural(chunk: Chunk) -> pl.DataFrame:
    """Rows the reader refused before any cell was read (ragged, stray quote, wrong encoding, empty)."""
    rows = [(r.row, None, r.column, "", r.value[:200], r.reason) for r in chunk.rejected]
    return pl.DataFrame(rows, schema=ERRORS, orient="row")


def with_extras(results: pl.DataFrame, extras: pl.DataFrame | None, names: tuple[str, ...]) -> pl.DataFrame:
    """Wide results with the input's columns not read (`序号`, `备注`) after them, as the file had them, matched
    by row number; a header that a results column already has is suffixed "(input)"."""
    if not names:
        return results
    if extras is None:
        extras = pl.DataFrame(schema={ROW: pl.Int64, **{n: pl.String for n in names}})
    clash = {n: f"{n} (input)" for n in names if n in results.columns and n != ROW}
    joined = results.join(extras.rename(clash), on=ROW, how="left", maintain_order="left")
    return joined.select(*results.columns, *[clash.get(n, n) for n in names])


def _headers(results: AtomicOutput, errors: AtomicOutput, evaluator: Evaluator, layout: str,
             extras: tuple[str, ...] = ()) -> None:
    """Name the columns of outputs that received no rows."""
    if results.rows and errors.rows:
        return
    empty = evaluator.empty()
    results.write_header(with_extras(empty.results, None, extras) if layout == "wide" else empty.benefits)
    errors.write_header(empty.errors)


def _admitted(source: CsvSource | XlsxSource | ArrowSource, evaluator: Evaluator,
              repeats: Repeats | None) -> Iterator[Block]:
    """Blocks read and admitted one by one, in file order (typed rows take a third of the memory of cells);
    rows that repeat an earlier applicant are refused here, unless `repeats` is None."""
    for chunk in source.chunks():
        rows, position, rejected = chunk.rows, chunk.position, _structural(chunk)
        extras = chunk.extras
        admitted = evaluator.admit(chunk.take, source.columns, chunk.as_text, chunk.typed)
        if repeats is not None:
            admitted = admitted.only(*repeats.sift(admitted.applicants))
        yield admitted, rejected, rows, position, extras


def _batches(blocks: Iterator[Block], size: int) -> Iterator[Batch]:
    """Admitted blocks handed on `size` rows at a time: deciding has a cost per call."""
    pending: list[Block] = []
    for block in blocks:
        pending.append(block)
        if sum(b[2] for b in pending) >= size:
            yield _batch(pending)
            pending = []
    if pending:
        yield _batch(pending)


def _batch(blocks: list[Block]) -> Batch:
    extras = [b[4] for b in blocks if b[4] is not None]
    return ([b[0] for b in blocks], pl.concat([b[1] for b in blocks]), sum(b[2] for b in blocks), blocks[-1][3],
            pl.concat(extras) if extras else None)


@contextmanager
def _collector_skips_the_set_up() -> Iterator[None]:
    """What is made before the batches (the pack, the compiled plan, imported modules) lives for the run: the
    garbage collector need not walk it again at every collection. Given back to it afterwards, so that a process
    running many batches does not keep each one's set-up for ever."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
