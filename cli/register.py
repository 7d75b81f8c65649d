"""`subsidy register …`: the register (一企一档) from the command line: create it, import files, show an
applicant's file, its history, its awards; export profiles; correct, link and forget.

Every subcommand takes `--db` (else SUBSIDY_DB, else `subsidy-register.db` in the current folder). Bad input
(an unknown applicant, a wrong check character, a period that cannot be read) exits 2 with the reason.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.jsontext import json_text
from guangxi_subsidy.engine.plaintext import text

from .common import EXIT_BAD_INPUT, report_error
from .register_common import DATE, by_default, day, db_option, register_errors


@click.group()
def register() -> None:
    """The register (一企一档): a file per applicant over time, with sources, and the awards ledger.

    \b
    Examples:
      subsidy register init
      subsidy register import 税务2017.csv --source 税务 --period 2017
      subsidy register show 91450100MA5L00000X --as-of 2019-03-01
      subsidy evaluate --register 91450100MA5L00000X --as-of 2019-03-01
    """


@register.command("init")
@db_option
@register_errors
def init(db: str | None) -> None:
    """Create the register (or bring an older one's schema up to date)."""
    from guangxi_subsidy.engine.register import database

    engine = database.connect(db)
    before = database.revision_of(engine)
    database.upgrade(engine)
    shown = engine.url.render_as_string(hide_password=True)
    if before is None:
        click.echo(_("register created: {0} (schema {1})").format(shown, database.head()))
    elif before != database.head():
        click.echo(_("register upgraded: {0} (schema {1} → {2})").format(shown, before, database.head()))
    else:
        click.echo(_("register up to date: {0} (schema {1})").format(shown, before))


@register.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help="Where the file comes from: a department (税务, 市场监管, 人社, 科技, "
              "金融) or the applicant (申报).")
@click.option("--period", help="The period the file's values describe: 2017, 2017Q2, 2017-03 or "
              "2017-01-01..2017-06-30. Default: none (standing facts).")
@click.option("--source-kind", type=click.Choice(["department", "declaration", "officer", "file"]),
              default="department", show_default=True, help="What kind of source --source is.")
@click.option("--by", "recorded_by", help="Who records the file (default: SUBSIDY_USER, else the login name).")
@click.option("--encoding", help="The CSV file's encoding (default: UTF-8 or GB18030, whichever it is).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@db_option
@register_errors
def import_(file: Path, source: str, period: str | None, source_kind: str, recorded_by: str | None,
            encoding: str | None, fmt: str, db: str | None) -> None:
    """Import an applicant FILE (CSV, .xlsx or Parquet) into the register; the same file twice changes nothing."""
    from guangxi_subsidy.engine.batch.run import BatchInputError
    from guangxi_subsidy.engine.register.database import open_register
    from guangxi_subsidy.engine.register.importer import ImportOptions, import_file
    from guangxi_subsidy.engine.register.periods import parse_period

    engine = open_register(db)
    options = ImportOptions(source, recorded_by or by_default(), parse_period(period), source_kind, encoding)
    try:
        report = import_file(engine, file, options)
    except BatchInputError as error:
        report_error(str(error))
        sys.exit(EXIT_BAD_INPUT)
    if fmt == "json":
        click.echo(json_text(report.as_json()))
        return
    console = Console(highlight=False)
    console.print(text(_("{0}: {1} rows").format(file.name, report.rows)))
    console.print(_("applicants: {0} new, {1} changed, {2} unchanged").format(
        report.applicants_new, report.applicants_changed, report.applicants_unchanged))
    console.print(_("facts: {0} new, {1} changed, {2} unchanged").format(
        report.facts.new, report.facts.changed, report.facts.unchanged))
    if report.rejected:
        console.print(_("rows rejected: {0}").format(len({r.row for r in report.rejected})))
        for rejected in report.rejected:
            console.print(text("  " + _("row {0}: {1}").format(rejected.row, rejected.reason), lines=True))


@register.command("show")
@click.argument("applicant_id")
@click.option("--as-of", type=DATE, help="The profile on this date (YYYY-MM-DD). Default: today.")
@click.option("--known-on", type=DATE, help="What the register knew at the end of this day (for an audit of an "
              "earlier decision). Default: everything recorded.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@db_option
@register_errors
def show(applicant_id: str, as_of: dt.datetime | None, known_on: dt.datetime | None, fmt: str,
         db: str | None) -> None:
    """An applicant's file on a date: each field's value, its period, source and version; its awards."""
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.applicant.fields import field_labels
    from guangxi_subsidy.engine.register.applicants import find
    from guangxi_subsidy.engine.register.database import open_register
    from guangxi_subsidy.engine.register.ledger import awards_of
    from guangxi_subsidy.engine.register.profiles import applying, facts_of
    from guangxi_subsidy.engine.register.tables import Applicant

    engine = open_register(db)
    on = day(as_of) or dt.date.today()
    with Session(engine) as session:
        applicant = find(session, applicant_id)
        chosen = applying(facts_of(session, applicant, day(known_on)), on)
        granted = awards_of(session, applicant, day(known_on))
        base = None if applicant.base_pk is None else session.get(Applicant, applicant.base_pk)
        base_ref = None if base is None else base.ref
    if fmt == "json":
        click.echo(json_text({"schema": "subsidy-register-file/1", "id": applicant.ref, "kind": applicant.kind,
                              "city": applicant.city, "as_of": on.isoformat(),
                              "known_on": known_on.date().isoformat() if known_on else None, "base": base_ref,
                              "facts": [chosen[n].as_json() for n in sorted(chosen)],
                              "awards": [a.as_json() for a in granted]}))
        return
    labels = field_labels()
    table = Table(title=text(_("{0} ({1}) on {2}").format(applicant.ref, applicant.kind, on)))
    for heading in (_("field"), _("value"), _("period"), _("source"), _("recorded"), _("version")):
        table.add_column(heading)
    for name in sorted(chosen):
        fact = chosen[name]
        table.add_row(text(labels.get(name, name)), text(fact.value), str(fact.period),
                      text(fact.source_text()), f"{fact.recorded_at:%Y-%m-%d %H:%M} {fact.recorded_by}",
                      str(fact.version))
    console = Console(highlight=False)
    console.print(table)
    if base_ref is not None:
        console.print(text(_("incubated in the base {0}").format(base_ref)))
    for award in granted:
        console.print(text(_("award: {0}").format(award.text()), lines=True))


@register.command("history")
@click.argument("applicant_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@db_option
@register_errors
def history(applicant_id: str, fmt: str, db: str | None) -> None:
    """Every value ever recorded for an applicant, oldest first, with corrections and their reasons."""
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.applicant.fields import field_labels
    from guangxi_subsidy.engine.register.applicants import find
    from guangxi_subsidy.engine.register.database import open_register
    from guangxi_subsidy.engine.register.profiles import facts_of

    engine = open_register(db)
    with Session(engine) as session:
        applicant = find(session, applicant_id)
        facts = facts_of(session, applicant)
    if fmt == "json":
        click.echo(json_text({"schema": "subsidy-register-history/1", "id": applicant.ref,
                              "facts": [f.as_json() for f in facts]}))
        return
    labels = field_labels()
    table = Table(title=text(_("history of {0}").format(applicant.ref)))
    for heading in (_("recorded"), _("field"), _("period"), _("value"), _("version"), _("source"), _("reason")):
        table.add_column(heading)
    for fact in facts:
        table.add_row(f"{fact.recorded_at:%Y-%m-%d %H:%M} {fact.recorded_by}", text(labels.get(fact.field, fact.field)),
                      str(fact.period), text(fact.value), str(fact.version), text(fact.source_text()),
                      text(fact.reason or ""))
    Console(highlight=False).print(table)



def _more() -> None:
    """The commands of the ledger, the officer's records and export (their own modules)."""
    from . import register_evaluate, register_records

    for command in (register_records.award, register_records.awards, register_records.correct,
                    register_records.link, register_records.forget, register_evaluate.export):
        register.add_command(command)


_more()
