"""`subsidy batch` and `subsidy template`: whole applicant lists, and an empty list to fill in."""

from __future__ import annotations

# isort: off
from guangxi_subsidy.cli import allocator  # noqa: F401 - before polars is imported
# isort: on

import datetime as dt
import gc
import json
import queue
import signal
import sys
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import polars as pl
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from guangxi_subsidy.engine.batch.evaluator import ERRORS, Admitted, Evaluator
from guangxi_subsidy.engine.batch.layouts import BatchResult
from guangxi_subsidy.engine.batch.sinks import AtomicOutput, Outputs, format_of
from guangxi_subsidy.engine.batch.summary import Summary
from guangxi_subsidy.engine.evaluation.evaluate import ENGINE_VERSION
from guangxi_subsidy.engine.intake.cells import HeaderError
from guangxi_subsidy.engine.intake.csvsource import Chunk, CsvSource, FileError
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.intake.repeats import Repeats
from guangxi_subsidy.engine.intake.template import write_template
from guangxi_subsidy.engine.intake.xlsxsource import XlsxSource

from .main import State, cli, friendly_errors
from .scenarios import alternative, side_paths

if TYPE_CHECKING:
    from guangxi_subsidy.engine.batch.widecsv import WideWriter

BATCH_ROWS = 60_000  # applicants decided per call (a call costs ~20 ms of planning, whatever its rows)
Block = tuple[Admitted, pl.DataFrame, int, int]  # admitted rows, rows rejected unread, rows read, position
Batch = tuple[list[Admitted], pl.DataFrame, int, int]
WIDE_ROWS = 15_000  # wide rows built and written at a time


class BadBatchInput(click.ClickException):
    exit_code = 2


@cli.command()
@click.argument("applicants", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Results file: .csv or .jsonl (or give --format).")
@click.option("--layout", type=click.Choice(["wide", "long"]), help="wide: a row per applicant, a column per "
              "benefit, then totals; long: a row per applicant and benefit. Default: wide for CSV, long for JSON "
              "Lines.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Results format (default: from -o).")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Evaluate every applicant for this date. Default: each row's as_of, else today.")
@click.option("--include-drafts", is_flag=True, help="Also apply draft documents (marked DRAFT).")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Rejected rows: row, column, value, reason (.csv or .jsonl). Default: RESULTS.errors.csv.")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the summary (rows, and money per benefit and department) as JSON.")
@click.option("--encoding", help="The CSV file's encoding (default: UTF-8 or GB18030, whichever it is).")
@click.option("--engine", type=click.Choice(["columnar", "reference"]), default="columnar", show_default=True,
              help="columnar: whole columns at once; reference: `subsidy evaluate` on each row (slow).")
@click.option("--keep-repeats", is_flag=True, help="Evaluate every row, even one that repeats an earlier row's "
              "applicant id for the same date (default: only the first is evaluated, the others are rejected).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary table.")
@click.option("--reform", "reform_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also evaluate under this reform file: its results in RESULTS.reform.*, the difference per "
              "applicant in RESULTS.difference.*, both sides in the summary.")
@click.option("--compare-as-of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Also evaluate every applicant for this date, as --reform does for a reform.")
@click.pass_obj
@friendly_errors
def batch(state: State, applicants: Path, output: Path, layout: str | None, fmt: str | None,
          as_of: dt.datetime | None, include_drafts: bool, errors_path: Path | None, summary_path: Path | None,
          encoding: str | None, engine: str, keep_repeats: bool, quiet: bool, reform_path: Path | None = None,
          compare_as_of: dt.datetime | None = None) -> None:
    """Evaluate every applicant in APPLICANTS (CSV or .xlsx, headers are field names or Chinese labels).

    \b
    Examples:
      subsidy batch applicants.csv -o results.csv --as-of 2017-06-30
      subsidy batch applicants.xlsx -o benefits.jsonl --summary summary.json
      subsidy template applicants.xlsx

    Every row ends in the results or in the errors file, with its row number as a spreadsheet shows it.
    A row with the same applicant id and date as an earlier row is rejected (it would count twice in the
    totals) unless --keep-repeats is given. Outputs appear under their names only when the run completes.
    """
    try:
        results_format = format_of(output, fmt)
        errors_path = errors_path or output.with_name(output.stem + ".errors.csv")
        errors_format = format_of(errors_path)
        source = _open(applicants, encoding, engine == "columnar")
    except (ValueError, LookupError, OSError) as error:
        raise BadBatchInput(str(error)) from None
    layout = layout or ("wide" if results_format == "csv" else "long")
    day = as_of.date() if as_of else None
    # A long file read by the compiled reader is also checked for repeats and written by compiled code.
    compiled = isinstance(source, CsvSource) and source.compiled
    wide_lines = compiled and layout == "wide" and results_format == "csv"
    evaluator = Evaluator(state.pack, as_of=day, include_drafts=include_drafts, engine=engine,
                          wide=layout == "wide" and not wide_lines)
    summary = Summary(evaluator.rules)
    other = alternative(state.pack, reform_path, compare_as_of.date() if compare_as_of else None, day,
                        include_drafts, engine, layout == "wide" and not wide_lines)
    repeats = None if keep_repeats else Repeats(evaluator.plan.day(), source.columns.header_of("id"), compiled,
                                                 source.expected_rows if isinstance(source, CsvSource) else 0)
    size = BATCH_ROWS if engine == "columnar" else 1  # the reference engine gains nothing from batches
    with _terminated_cleanly(), Outputs() as outputs, _Progress(quiet, source.size) as advance:
        try:
            with _Prefetch(_batches(_admitted(source, evaluator, repeats), size)) as batches:
                # the file is being read while the compiled writer loads
                writer = _wide_writer(evaluator) if wide_lines else None
                header = evaluator.empty().results if wide_lines else None
                results = outputs.open(output, results_format, ("id", "name"))
                errors = outputs.open(errors_path, errors_format, ("id", "column", "value"))
                if other is not None:
                    other.open(outputs, *side_paths(output, other.kind), results_format, layout, wide_lines)

                def publish(result: BatchResult, rejected: pl.DataFrame, rows: int, position: int,
                            second: BatchResult | None = None) -> None:
                    lines = None if writer is None else writer.lines(result)
                    if lines is not None:
                        assert header is not None
                        results.write_lines(lines, result.evaluated, header)
                    else:
                        for piece in (result.wide_slices(WIDE_ROWS) if layout == "wide" else [result.benefits]):
                            results.write(piece)
                    if rejected.height or result.errors.height:
                        errors.write(pl.concat([rejected, result.errors]).sort(ROW, maintain_order=True))
                    summary.add(result, rows, rejected[ROW].n_unique())
                    if other is not None and second is not None:
                        other.publish(result, second, rows, rejected[ROW].n_unique())
                    advance(position, summary.rows_read)

                with _collector_skips_the_set_up(), _InOrder() as publishing:  # writing overlaps deciding
                    for admitted, rejected, rows, position in batches:
                        decided = evaluator.decide(admitted)
                        second = other.decide(admitted, decided) if other is not None else None
                        publishing.submit(partial(publish, decided, rejected, rows, position, second))
        finally:
            source.close()  # (after the reading thread has stopped)
        summary.repeated = repeats.repeated if repeats is not None else 0
        _headers(results, errors, evaluator, layout)
        if other is not None:
            other.summary.repeated = summary.repeated
            other.finish(other.evaluator.empty())
        if summary_path is not None:
            data = summary.as_json(str(applicants), engine, day, include_drafts, state.pack.digest, ENGINE_VERSION)
            if other is not None:
                data["scenario"] = other.as_json(summary, str(applicants), engine, day, include_drafts,
                                                 other.evaluator.pack.digest, ENGINE_VERSION)
            outputs.open(summary_path, "json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    if not quiet:
        Console().print(summary.table())
        if other is not None:
            Console().print(other.table(summary))
    if summary.rejected:
        Console(stderr=True).print(f"{summary.rejected:,} rows rejected: see {errors_path}", style="yellow")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def template(path: Path) -> None:
    """Write an empty applicant file (.csv or .xlsx): field names in row 1, Chinese labels in row 2."""
    try:
        write_template(path)
    except ValueError as error:
        raise BadBatchInput(str(error)) from None
    click.echo(f"wrote {path}")


def _wide_writer(evaluator: Evaluator) -> WideWriter:
    from guangxi_subsidy.engine.batch.widecsv import WideWriter  # (pyarrow: imported only when a long file is written)

    return WideWriter(evaluator.rules)


def _open(path: Path, encoding: str | None, compiled: bool) -> CsvSource | XlsxSource:
    """The applicant file's reader; `compiled`: large CSV files may use the compiled reader (engine/scan.py),
    which types clean rows directly, for the columnar engine."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return XlsxSource(path)
        return CsvSource(path, encoding, compiled=None if compiled else False)
    except (HeaderError, FileError) as error:
        raise BadBatchInput(f"{path}: {error}") from None


def _structural(chunk: Chunk) -> pl.DataFrame:
    """Rows the reader refused before any cell was read (ragged, stray quote, wrong encoding, empty)."""
    rows = [(r.row, None, r.column, "", r.value[:200], r.reason) for r in chunk.rejected]
    return pl.DataFrame(rows, schema=ERRORS, orient="row")


def _headers(results: AtomicOutput, errors: AtomicOutput, evaluator: Evaluator, layout: str) -> None:
    """Name the columns of outputs that received no rows."""
    if results.rows and errors.rows:
        return
    empty = evaluator.empty()
    results.write_header(empty.results if layout == "wide" else empty.benefits)
    errors.write_header(empty.errors)


def _admitted(source: CsvSource | XlsxSource, evaluator: Evaluator, repeats: Repeats | None) -> Iterator[Block]:
    """Blocks read and admitted one by one, in file order (typed rows take a third of the memory of cells);
    rows that repeat an earlier applicant are refused here, unless `repeats` is None."""
    for chunk in source.chunks():
        rows, position, rejected = chunk.rows, chunk.position, _structural(chunk)
        admitted = evaluator.admit(chunk.take, source.columns, chunk.as_text, chunk.typed)
        if repeats is not None:
            admitted = admitted.only(*repeats.sift(admitted.applicants))
        yield admitted, rejected, rows, position


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
    return [b[0] for b in blocks], pl.concat([b[1] for b in blocks]), sum(b[2] for b in blocks), blocks[-1][3]


class _Prefetch:
    """Batches read, admitted and gathered on a thread of their own, from entering the block, while earlier
    ones are decided and written: on two cores the two overlap. One batch is read ahead, and the next only once
    it is taken, so memory stays flat. (Gathering here, not in the deciding thread, keeps a whole batch ready
    when the last one is decided.) An error in reading is raised where the batches are taken; leaving the
    block stops the reading."""

    def __init__(self, batches: Iterator[Batch]) -> None:
        self._batches = batches
        self._handoff: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> Iterator[Batch]:
        self._thread.start()
        return self._taken()

    def __exit__(self, *exc: Any) -> None:
        self._stopped.set()
        while self._thread.is_alive():  # a reader waiting to hand on a batch sees the stop
            try:
                self._handoff.get(timeout=0.05)
                self._handoff.task_done()
            except queue.Empty:
                pass

    def _read(self) -> None:
        try:
            for batch in self._batches:
                self._handoff.put(batch)
                self._handoff.join()  # the next is read once this one is taken: two batches in memory, not three
                if self._stopped.is_set():
                    return
            self._handoff.put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the taking thread, which raises it
            self._handoff.put(error)
        finally:
            if isinstance(self._batches, Generator):
                self._batches.close()  # a reader stopped early finishes its blocks in hand and lets go of them

    def _taken(self) -> Iterator[Batch]:
        while True:
            item = self._handoff.get()
            self._handoff.task_done()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item


_DONE = object()


class _InOrder:
    """Jobs run one after another on a thread of their own, in the order given; at most one waits. The first
    error a job raises is raised in the submitting thread (at the next submit or at the end), and no job runs
    after it; leaving the block on an error stops the thread before the error goes on."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _InOrder:
        self._thread.start()
        return self

    def submit(self, job: Callable[[], None]) -> None:
        if self._error is not None:
            raise self._error
        self._jobs.put(job)

    def __exit__(self, kind: type[BaseException] | None, *rest: Any) -> None:
        if kind is not None:
            self._stopped = True
        self._jobs.put(None)
        self._thread.join()
        if kind is None and self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is None and not self._stopped:
                try:
                    job()
                except BaseException as error:  # noqa: BLE001 - raised in the submitting thread
                    self._error = error


class _Progress:
    """A progress bar on stderr with rows per second and time left; silent when stderr is not a terminal."""

    def __init__(self, quiet: bool, total: int):
        self.enabled = not quiet and sys.stderr.isatty()
        self.total = total
        self.bar = Progress(
            TextColumn("[bold]evaluating"), BarColumn(), TextColumn("{task.fields[rows]:,} rows"),
            TextColumn("{task.fields[rate]:,.0f} rows/s"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )
        self.task = self.bar.add_task("batch", total=total, rows=0, rate=0.0)

    def __enter__(self) -> Any:
        if self.enabled:
            self.bar.start()
        self.started = dt.datetime.now()

        def advance(position: int, rows: int) -> None:
            if self.enabled:
                seconds = max((dt.datetime.now() - self.started).total_seconds(), 1e-6)
                self.bar.update(self.task, completed=position, rows=rows, rate=rows / seconds)

        return advance

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            self.bar.stop()


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


@contextmanager
def _terminated_cleanly() -> Iterator[None]:
    """SIGTERM ends the run like Ctrl-C: unwinding, so that no partial output is left under a requested name."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)
