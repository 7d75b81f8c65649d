"""`subsidy batch` and `subsidy template`: whole applicant lists, and an empty list to fill in."""

from __future__ import annotations

# isort: off
from guangxi_subsidy.cli import allocator  # before polars is imported
# isort: on

import datetime as dt
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

from guangxi_subsidy.engine.batch.run import BatchInputError, BatchOptions, run_batch
from guangxi_subsidy.engine.batch.sinks import OutputError
from guangxi_subsidy.engine.i18n import _, ngettext
from guangxi_subsidy.engine.intake.template import write_template
from guangxi_subsidy.engine.plaintext import text, visible

from .common import EXIT_REJECTED, State, friendly_errors
from .reforms import alternative


class BadBatchInput(click.ClickException):
    """Exit 2 with the message; click prints it plainly (no markup), its control characters escaped here."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(visible(message, lines=True))


@click.command()
@click.argument("applicants", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Results file: .csv, .jsonl, .parquet, .arrow or .xlsx (a workbook for people; or give --format).")
@click.option("--layout", type=click.Choice(["wide", "long"]), help="wide: a row per applicant, a column per "
              "benefit, then totals; long: a row per applicant and benefit. Default: wide for CSV, Parquet and "
              "Arrow, long for JSON Lines (a workbook has its own layout).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet", "arrow", "xlsx"]),
              help="Results format (default: from -o).")
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
@click.option("--strict-columns", is_flag=True, help="Refuse a file with a column that names no field (default: "
              "such columns, e.g. 序号 or 备注, are not read, and listed once).")
@click.option("--no-bom", "no_bom", is_flag=True, help="CSV outputs without the UTF-8 byte order mark (which is "
              "written by default, so that Excel reads Chinese text right), for programs that do not expect it.")
@click.option("--fail-on-rejected", is_flag=True, help=f"Exit with code {EXIT_REJECTED} when any row was rejected "
              "(the results are still written).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary table.")
@click.option("--reform", "reform_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also evaluate under this reform file: its results in RESULTS.reform.*, the applicants whose "
              "outcomes differ in RESULTS.difference.*, both sides in the summary.")
@click.option("--compare-as-of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Also evaluate every applicant for this date, as --reform does for a reform.")
@click.option("--register", "from_register", is_flag=True, help="Evaluate the applicants of the register "
              "(一企一档) instead of a file: their profiles on --as-of (default: today).")
@click.option("--where", help="With --register: only applicants of this kind or city: kind=enterprise,city=南宁.")
@click.option("--db", envvar="SUBSIDY_DB", help="With --register: the register's database. Env: SUBSIDY_DB.")
@click.option("--known-on", type=click.DateTime(formats=["%Y-%m-%d"]), help="With --register: only what the "
              "register knew at the end of this day (YYYY-MM-DD).")
@click.option("--assume-none-received", is_flag=True, help="Read a blank in an \"already received\" or "
              "\"already used\" field as none (0), and mark every result so computed as assumed (default: a blank "
              "is unknown, and the workbook names it with the money it holds back).")
@click.pass_obj
@friendly_errors
def batch(state: State, applicants: Path | None, output: Path, layout: str | None, fmt: str | None,
          as_of: dt.datetime | None, include_drafts: bool, errors_path: Path | None, summary_path: Path | None,
          encoding: str | None, engine: str, keep_repeats: bool, strict_columns: bool, no_bom: bool,
          fail_on_rejected: bool, quiet: bool, reform_path: Path | None = None,
          compare_as_of: dt.datetime | None = None, from_register: bool = False, where: str | None = None,
          db: str | None = None, known_on: dt.datetime | None = None, assume_none_received: bool = False) -> None:
    """Evaluate every applicant in APPLICANTS (CSV, .xlsx, Parquet or Arrow; columns named by field or label).

    \b
    Examples:
      subsidy batch applicants.csv -o results.csv --as-of 2017-06-30
      subsidy batch applicants.xlsx -o benefits.jsonl --summary summary.json
      subsidy batch registry.parquet -o results.parquet
      subsidy template book.xlsx
      subsidy batch book.xlsx -o results.xlsx

    Every row ends in the results or in the errors file, with its row number as a spreadsheet shows it
    (in a Parquet or Arrow file, its record index: the first record is row 1).
    A row with the same applicant id and date as an earlier row is rejected (it would count twice in the
    totals) unless --keep-repeats is given. Outputs appear under their names only when the run completes,
    all together, the results last; a path that cannot be written is refused (exit 2) before any row is read.
    """
    day = as_of.date() if as_of else None
    layout_used = layout or ("wide" if (fmt or output.suffix.lstrip(".").lower()) == "csv" else "long")
    other = alternative(state.pack, reform_path, compare_as_of.date() if compare_as_of else None, day,
                        include_drafts, engine, layout_used == "wide")
    options = BatchOptions(output, layout, fmt, day, include_drafts, errors_path, summary_path, encoding, engine,
                           keep_repeats, other, strict_columns, not no_bom, assume_none_received)
    if from_register == (applicants is not None):
        raise click.UsageError("give an APPLICANTS file or --register (one of them)")
    if known_on is not None and not from_register:
        raise click.UsageError("--known-on goes with --register")
    if (fmt or output.suffix.lstrip(".").lower()) == "xlsx":  # (a workbook's run, which holds more at once: the
        allocator.large_blocks_returned()  # reader's arrays given back when freed, for a lower peak)
    try:
        with _registered(from_register, applicants, db, day, where,
                         known_on.date() if known_on else None) as (read, receipt), _terminated_cleanly():
            run = run_batch(state.pack, read, options, partial(_Progress, quiet))
            if receipt is not None and summary_path is not None:
                from .register_evaluate import add_receipt

                add_receipt(summary_path, receipt)
    except (BatchInputError, OutputError) as error:
        raise BadBatchInput(str(error)) from None
    summary, errors_path = run.summary, run.errors_path
    stderr = Console(stderr=True)
    if run.removed:
        notice = ngettext("removed {count} file left by an earlier run that was killed: ",
                          "removed {count} files left by an earlier run that was killed: ", len(run.removed))
        stderr.print(Text(notice.format(count=len(run.removed)), style="dim")
                     + text(", ".join(p.name for p in run.removed), style="dim"), highlight=False)
    if run.not_read:
        stderr.print(text(_("Columns not read (no field of that name): {0}").format("、".join(run.not_read)),
                          style="yellow"), highlight=False)
    if not quiet:
        Console().print(summary.table())
        if other is not None:
            Console().print(other.table(summary))
    if summary.rejected:
        line = ngettext("{count} row rejected: see ", "{count} rows rejected: see ", summary.rejected)
        stderr.print(Text(line.format(count=f"{summary.rejected:,}"), style="yellow")
                     + text(errors_path, style="yellow"), highlight=False)
        if fail_on_rejected:
            sys.exit(EXIT_REJECTED)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@friendly_errors
def template(state: State, path: Path) -> None:
    """Write an empty applicant file to fill in.

    A workbook (.xlsx) has a sheet of instructions and a sheet per kind of applicant with only the fields its
    rules read, labels with units, and dropdowns for choices and yes/no; `subsidy batch` reads every sheet. A
    CSV file has every field: field names in row 1, Chinese labels in row 2.
    """
    try:
        write_template(path, state.pack if path.suffix.lower() == ".xlsx" else None)
    except ValueError as error:
        raise BadBatchInput(str(error)) from None
    except OSError as error:
        raise BadBatchInput(f"{path}: {error.strerror or error}") from None
    click.echo(_("wrote {path}").format(path=visible(path)))


@contextmanager
def _registered(from_register: bool, applicants: Path | None, db: str | None, day: dt.date | None,
                where: str | None, known_on: dt.date | None = None) -> Iterator[tuple[Path, dict[str, Any] | None]]:
    """The file to read: APPLICANTS, or the register's profiles on the day with the receipt of what was read
    (`cli/register_evaluate.py`)."""
    if not from_register:
        assert applicants is not None
        yield applicants, None
        return
    import tempfile

    from guangxi_subsidy.engine.register.database import RegisterError

    from .register_evaluate import registered_profiles

    with tempfile.TemporaryDirectory(prefix="subsidy-register-") as folder:
        try:
            found = registered_profiles(db, day, where, Path(folder), known_on)
        except RegisterError as error:
            raise BadBatchInput(str(error)) from None
        yield found


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
