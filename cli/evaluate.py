"""`subsidy evaluate` and `subsidy schema`."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click
from rich.console import Console

from guangxi_subsidy.data import examples
from guangxi_subsidy.engine.answers.document import evaluation_document
from guangxi_subsidy.engine.answers.table import print_evaluation, print_near_misses
from guangxi_subsidy.engine.applicant.reading import load_applicant
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.jsontext import json_text

from .common import State, friendly_errors


@click.command()
@click.argument("profile", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option("--example", type=click.Choice(sorted(examples())), help="Evaluate a bundled example profile "
              "instead of a file (`subsidy examples` lists them).")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Evaluate for this date (YYYY-MM-DD). Default: the profile's as_of, else today.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--explain", is_flag=True, help="Show every rule's conditions with the profile's values, and how "
              "each amount was computed (formula, inputs, the cap that bit).")
@click.option("--include-drafts", is_flag=True, help="Also apply draft documents (the Wuzhou draft); their "
              "results are marked DRAFT.")
@click.option("--reform", "reform_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also evaluate under this reform file and show the baseline and the reform side by side.")
@click.option("--report", "report", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the applicant's report (测算报告) to this file: .html (printable) or .pdf. "
              "Chinese unless SUBSIDY_LANG=en.")
@click.option("--register", "register_id", metavar="ID", help="Evaluate the applicant ID from the register "
              "(一企一档) instead of a file: its facts on the date, the fields counted from the awards ledger.")
@click.option("--known-on", type=click.DateTime(formats=["%Y-%m-%d"]), help="With --register: only what the "
              "register knew at the end of this day (YYYY-MM-DD).")
@click.option("--db", "db", envvar="SUBSIDY_DB", help="With --register: the register's database (as `subsidy "
              "register --db`). Env: SUBSIDY_DB.")
@click.option("--report-signature", is_flag=True, help="Add to the report the block the applicant fills in to hand "
              "it in: seal, person handling, telephone, date.")
@click.pass_obj
@friendly_errors
def evaluate(
    state: State, profile: Path | None, example: str | None, as_of: dt.datetime | None, fmt: str, explain: bool,
    include_drafts: bool,
    reform_path: Path | None = None,
    report: Path | None = None,
    register_id: str | None = None, known_on: dt.datetime | None = None, db: str | None = None,
    report_signature: bool = False,
) -> None:
    """Evaluate one applicant PROFILE (YAML or JSON) and list its benefits.

    \b
    Examples:
      subsidy evaluate --example nanning_incubation_base
      subsidy evaluate firm.yaml --as-of 2017-06-30 --explain
      subsidy evaluate firm.json --format json | jq '.totals'
      subsidy evaluate base.yaml --reform cases/reforms/rent_cap_60wan.yaml
      subsidy evaluate firm.yaml --report report.pdf

    The table lists eligible benefits (and any that would apply but have expired) with document, clause and
    amount; unquantified and non-monetary benefits are listed as such, never as 0. Totals keep grants, tax and
    fee relief, and loan quotas apart.
    """
    if register_id is not None and profile is None and example is None and reform_path is None:
        from .register_evaluate import evaluate_registered

        evaluate_registered(state, register_id, as_of, known_on, db, fmt, explain, include_drafts, report)
        return
    if (profile is None) == (example is None) or register_id is not None:
        raise click.UsageError("give a PROFILE file, --example NAME or --register ID (one of them)")
    if report is not None and report.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise click.BadParameter(f"{report}: a report is .html or .pdf", param_hint="--report")
    applicant = load_applicant(profile or examples()[example or ""])  # (a valid profile: without pydantic)
    evaluation = state.engine.evaluate(
        applicant, as_of=as_of.date() if as_of else None, include_drafts=include_drafts
    )
    if reform_path is not None:
        from .reforms import show_reform  # (the side-by-side tables: imported only for a reform)

        show_reform(state, reform_path, evaluation, fmt, explain)
    elif fmt == "json":
        data = evaluation_document(evaluation, state.pack, explain)
        click.echo(json_text(data))
    else:
        # (no `:name:` emoji codes: no text of the program or of the rules holds one, an applicant's values are
        # shown as rich Text, never read for them; reading them would import rich's table of 3,600 emoji)
        console = Console(emoji=False)
        print_evaluation(evaluation, console, explain)
        print_near_misses(evaluation, state.pack, console)
    if report is not None:
        from guangxi_subsidy.engine.answers.report import write_report  # the page and PDF stack, only when asked

        try:
            write_report(evaluation, state.pack, report, os.environ.get("SUBSIDY_LANG"), report_signature)
        except OSError as error:
            raise click.BadParameter(f"{report}: {error.strerror}", param_hint="--report") from None
        from guangxi_subsidy.engine.answers.pdffont import font_file

        if report.suffix.lower() == ".pdf" and font_file() is None:
            click.echo(_("warning: no Chinese font found (install fonts-noto-cjk, or set SUBSIDY_PDF_FONT): the PDF "
                         "names STSong-Light, which the reader substitutes"), err=True)


@click.command()
def schema() -> None:
    """Print the applicant profile's JSON Schema, so other tools can produce valid profiles."""
    from guangxi_subsidy.engine.applicant.profile import Profile

    click.echo(json_text(Profile.model_json_schema()))
