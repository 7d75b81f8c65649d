"""Evaluating from the register: `subsidy evaluate --register ID`, `subsidy register export`, and the profiles
`subsidy batch --register` evaluates."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.jsontext import json_text
from guangxi_subsidy.engine.plaintext import text

from .common import State
from .register_common import DATE, day, db_option, register_errors


@register_errors
def evaluate_registered(state: State, ref: str, as_of: dt.datetime | None, known_on: dt.datetime | None,
                        db: str | None, fmt: str, explain: bool, include_drafts: bool, report: Path | None) -> None:
    """`subsidy evaluate --register ID`: the document of a file's evaluation, with the register's keys."""
    from guangxi_subsidy.engine.answers.document import evaluation_document
    from guangxi_subsidy.engine.answers.table import print_evaluation, print_near_misses
    from guangxi_subsidy.engine.register.database import open_register
    from guangxi_subsidy.engine.register.evaluation import annotate, ledger_lines, load, source_lines


    found = load(open_register(db), ref, day(as_of), day(known_on))
    evaluation = state.engine.evaluate(found.profile, as_of=found.as_of, include_drafts=include_drafts)
    document = annotate(evaluation_document(evaluation, state.pack, explain), evaluation, found)
    if fmt == "json":
        click.echo(json_text(document))
    else:
        console = Console(highlight=False)
        print_evaluation(evaluation, console, explain)
        print_near_misses(evaluation, state.pack, console)
        lines = ledger_lines(document, found)
        if explain:
            console.print(_("Facts from the register (period; source; version):"))
            lines = ["  " + line for line in source_lines(found)] + lines
        for line in lines:
            console.print(text(line, lines=True))
    if report is not None:
        from guangxi_subsidy.engine.answers.report import write_report

        try:
            write_report(evaluation, state.pack, report, os.environ.get("SUBSIDY_LANG"))
        except OSError as error:
            raise click.BadParameter(f"{report}: {error.strerror}", param_hint="--report") from None


@click.command("export")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write: .xlsx (a workbook), .parquet or .csv; `subsidy batch` reads it.")
@click.option("--as-of", type=DATE, help="The profiles on this date (YYYY-MM-DD). Default: today.")
@click.option("--known-on", type=DATE, help="Only what the register knew at the end of this day.")
@click.option("--where", "where", help="Only applicants of this kind or city: kind=enterprise,city=南宁.")
@db_option
@register_errors
def export(output: Path, as_of: dt.datetime | None, known_on: dt.datetime | None, where: str | None,
           db: str | None) -> None:
    """Write the profiles on a date to a workbook, Parquet or CSV file that `subsidy batch` reads."""
    from guangxi_subsidy.engine.register.bulk import parse_where
    from guangxi_subsidy.engine.register.database import open_register
    from guangxi_subsidy.engine.register.export import export as write

    engine = open_register(db)
    count = write(engine, output, day(as_of) or dt.date.today(), parse_where(where), day(known_on))
    click.echo(text(_("{0} applicants written to {1}").format(count, output)))


def registered_profiles(db: str | None, as_of: dt.date | None, where: str | None, folder: Path,
                        known_on: dt.date | None = None) -> tuple[Path, dict[str, Any]]:
    """The register's profiles on a date as a Parquet file in `folder`, for `subsidy batch --register` (the
    batch then reads them as any applicant file), and the receipt of what was read (the register's high-water
    marks: rows are only added, so they pin the facts' versions). Raises a RegisterError naming the fault."""
    from guangxi_subsidy.engine.register.bulk import parse_where
    from guangxi_subsidy.engine.register.database import open_register
    from guangxi_subsidy.engine.register.export import export as write
    from guangxi_subsidy.engine.register.export import snapshot

    path = folder / "register.parquet"
    engine = open_register(db)
    marks = snapshot(engine)
    day = as_of or dt.date.today()
    count = write(engine, path, day, parse_where(where), known_on)
    receipt = {"database": engine.url.render_as_string(hide_password=True), "as_of": day.isoformat(),
               "known_on": None if known_on is None else known_on.isoformat(), "where": where or None,
               "applicants": count, **marks}
    engine.dispose()
    return path, receipt


def add_receipt(summary: Path, receipt: dict[str, Any]) -> None:
    """The batch summary with the register's receipt added under `register` (its other keys unchanged)."""
    import json

    from guangxi_subsidy.engine.jsontext import json_bytes

    data = json.loads(summary.read_bytes())
    data["register"] = receipt
    partial = summary.with_name(summary.name + ".partial")
    partial.write_bytes(json_bytes(data))
    partial.replace(summary)
