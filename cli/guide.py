"""`subsidy rules guide`: the 事项清单 and 申兑指南 made from the pack, with a coverage table per document."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from guangxi_subsidy.engine.i18n import _

from .common import EXIT_BAD_INPUT, State, friendly_errors, report_error

SUFFIXES = (".xlsx", ".html", ".htm", ".pdf")


@click.command("guide")
@click.option("--city", "city", default=None, help="Only what applies in this city (南宁, nanning …).")
@click.option("--as-of", "as_of", default=None, help="The date the items are in force on (default: today).")
@click.option("--include-drafts", is_flag=True, help="Include the draft document's items, marked as drafts.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The guide to write: .xlsx, .html or .pdf.")
@click.pass_obj
@friendly_errors
def guide(state: State, city: str | None, as_of: str | None, include_drafts: bool, output: Path) -> None:
    """Write the item list and the application guide of the pack, in Chinese, as a workbook, HTML or PDF.

    A row for every item in force on the date (in the city, when one is given): who benefits, the conditions,
    the amounts, rates and caps, how it is paid, when and where to apply, with what, and the document, clause
    and verbatim quote it rests on; then, per document, every clause and what became of it.
    """
    from guangxi_subsidy.engine.applicant.spellings import CITY_LABELS, read_choice
    from guangxi_subsidy.engine.applicant.values import date as read_date
    from guangxi_subsidy.engine.rules import guide as g
    from guangxi_subsidy.engine.rules.guide_files import title, write

    if output.suffix.lower() not in SUFFIXES:
        report_error(_("{0}: the guide is written as .xlsx, .html or .pdf").format(output))
        sys.exit(EXIT_BAD_INPUT)
    try:
        code = read_choice("city", city) if city is not None else None
        day = read_date(as_of) if as_of is not None else dt.date.today()
    except ValueError as error:
        report_error(str(error))
        sys.exit(EXIT_BAD_INPUT)
    items = g.items(state.pack, day, code, include_drafts)
    place = CITY_LABELS.get(code) if code else None
    try:
        write(output, title(place, day), items, g.clause_rows(state.pack))
    except OSError as error:
        report_error(_("cannot write {0}: {1}").format(output, error.strerror or error))
        sys.exit(EXIT_BAD_INPUT)
    click.echo(_("{0}: {1} items in force on {2}").format(output, len(items), day.isoformat()))
