"""`subsidy compare`, `subsidy whatif` and `subsidy chart` (the reform parts of `evaluate` and `batch`: reforms.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from guangxi_subsidy.engine.answers.document import evaluation_json
from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.applicant.reading import ProfileError, load_profile
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.jsontext import json_text
from guangxi_subsidy.engine.money import format_yuan
from guangxi_subsidy.engine.scenarios.compare import comparison_json, comparison_table

from .common import BadInput, State, friendly_errors

if TYPE_CHECKING:  # (reform files are read only when one is given: `subsidy evaluate` starts without them)
    pass

BATCH_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".txt")


# ---------------------------------------------------------------- compare


@click.command()
@click.argument("profile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as-of", "dates", multiple=True, required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The two dates, given twice: --as-of A --as-of B.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--include-drafts", is_flag=True, help="Also apply draft documents (marked DRAFT).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="For an applicant list (CSV or .xlsx): the results file, as `subsidy batch -o`.")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False, path_type=Path),
              help="For an applicant list: the summary JSON, with both dates.")
@click.option("-q", "--quiet", is_flag=True, help="For an applicant list: no progress bar and no tables.")
@click.pass_context
@friendly_errors
def compare(ctx: click.Context, profile: Path, dates: tuple[dt.datetime, ...], fmt: str, include_drafts: bool,
            output: Path | None, summary_path: Path | None, quiet: bool) -> None:
    """What started, ended or changed for an applicant (or a whole list) between two dates.

    \b
    Examples:
      subsidy compare firm.yaml --as-of 2017-06-30 --as-of 2018-01-01
      subsidy compare applicants.csv --as-of 2017-06-30 --as-of 2018-01-01 -o results.csv --summary s.json
    """
    if len(dates) != 2:
        raise BadInput(f"--as-of: got {len(dates)} dates, expected two (--as-of A --as-of B)")
    first, second = (d.date() for d in dates)
    if profile.suffix.lower() in BATCH_SUFFIXES:
        if output is None:
            raise BadInput("an applicant list needs -o RESULTS (the results on the first date)")
        from .batch import batch

        ctx.invoke(batch, applicants=profile, output=output, as_of=dates[0], include_drafts=include_drafts,
                   summary_path=summary_path, compare_as_of=dates[1], quiet=quiet)
        return
    state: State = ctx.obj
    applicant = load_profile(profile)
    a = state.engine.evaluate(applicant, as_of=first, include_drafts=include_drafts)
    b = state.engine.evaluate(applicant, as_of=second, include_drafts=include_drafts)
    if fmt == "json":
        data = {"schema": "subsidy-date-comparison/1", "applicant": applicant.id,
                "dates": [first.isoformat(), second.isoformat()],
                "comparison": comparison_json(a, b, (first.isoformat(), second.isoformat())),
                "evaluations": [evaluation_json(a), evaluation_json(b)]}
        click.echo(json_text(data))
        return
    title = _("{who}: {first} against {second}").format(who=applicant.name or applicant.id, first=first,
                                                        second=second)
    Console().print(comparison_table(a, b, (first.isoformat(), second.isoformat()), title))


# ---------------------------------------------------------------- what-if


def _decimal(text: str, option: str) -> Decimal:
    try:
        return Decimal(text.replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise ProfileError(option, [(option, text, "a number")]) from None


@click.command()
@click.argument("profile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--vary", "field", required=True, help="The numeric profile field to vary (see `subsidy rules fields`).")
@click.option("--from", "start", required=True, help="The first value.")
@click.option("--to", "stop", required=True, help="The last value.")
@click.option("--steps", default=11, show_default=True, help="How many values, both ends included.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Evaluate for this date.")
@click.option("--include-drafts", is_flag=True, help="Also apply draft documents (marked DRAFT).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw the curve: .svg, or .png (a picture, drawn with matplotlib).")
@click.pass_obj
@friendly_errors
def whatif(state: State, profile: Path, field: str, start: str, stop: str, steps: int, as_of: dt.datetime | None,
           include_drafts: bool, fmt: str, chart: Path | None) -> None:
    """Vary one FIELD of PROFILE from a value to another: each benefit's amount along the way.

    \b
    Example:
      subsidy whatif cases/profiles/nanning_incubation_base.yaml --vary rent_and_broadband_paid \\
          --from 0 --to 1000000 --steps 11 --chart rent.svg
    """
    from guangxi_subsidy.engine.scenarios.whatif import vary

    curve = vary(state.engine, load_profile(profile), field, _decimal(start, "--from"), _decimal(stop, "--to"),
                 steps, as_of.date() if as_of else None, include_drafts)
    if chart is not None:
        _chart_kind("--chart", chart)
        if chart.suffix.lower() == ".png":
            _note(_picture(lambda: curve.png(chart)))
        else:
            chart.write_text(curve.svg(), encoding="utf-8")
    if fmt == "json":
        click.echo(json_text(curve.as_json()))
        return
    label = field_labels().get(field, field)
    table = Table(title=_("What if {label} ({field}) varies").format(label=label, field=field), title_justify="left")
    table.add_column(label, justify="right")
    benefits = curve.benefits()
    for _rule_id, name in benefits:
        table.add_column(name, justify="right", overflow="fold")
    series = curve.series()
    for i, value in enumerate(curve.values):
        cells = [format_yuan(v) if (v := series[rid][i]) is not None else "—" for rid, _n in benefits]
        table.add_row(f"{value:,}", *cells)
    Console().print(table)
    if chart is not None:
        Console(stderr=True).print(_("wrote {path}").format(path=chart))


# ---------------------------------------------------------------- charts


@click.command()
@click.argument("summary", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The chart: .svg, or .png (a picture, drawn with matplotlib).")
@click.option("--by", type=click.Choice(["benefit", "department"]), default="benefit", show_default=True)
@friendly_errors
def chart(summary: Path, output: Path, by: str) -> None:
    """Draw a batch SUMMARY written with --reform or --compare-as-of: money baseline against the alternative.

    \b
    Example:
      subsidy batch applicants.csv -o r.csv --reform cases/reforms/rent_cap_60wan.yaml --summary s.json
      subsidy chart s.json -o budget.svg --by department
    """
    from guangxi_subsidy.engine.scenarios.charts import budget_svg

    try:
        data = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BadInput(f"{summary}: not a readable summary JSON ({error})") from None
    if not isinstance(data, dict) or "scenario" not in data:
        raise BadInput(f"{summary}: no 'scenario' in it: write it with `subsidy batch --reform … --summary`")
    _chart_kind("-o", output)
    if output.suffix.lower() == ".png":
        from guangxi_subsidy.engine.scenarios.charts import budget_bars
        from guangxi_subsidy.engine.scenarios.plots import bars_png

        _note(_picture(lambda: bars_png(output, *budget_bars(data["scenario"], by))))
    else:
        output.write_text(budget_svg(data["scenario"], by), encoding="utf-8")
    click.echo(_("wrote {path}").format(path=output))


def _chart_kind(option: str, path: Path) -> None:
    if path.suffix.lower() not in (".svg", ".png"):
        raise BadInput(_("{option}: {path} — charts are written as .svg or .png").format(option=option,
                                                                                               path=path))


def _picture(draw: Callable[[], str | None]) -> str | None:
    """Draw a PNG; matplotlib missing or a path that cannot be written is bad input (exit 2), with the reason."""
    from guangxi_subsidy.engine.scenarios.plots import PlottingUnavailable

    try:
        return draw()
    except PlottingUnavailable as error:
        raise BadInput(str(error)) from None
    except OSError as error:
        raise BadInput(f"{error.filename or ''}: {error.strerror or error}") from None


def _note(note: str | None) -> None:
    if note:
        Console(stderr=True).print(Text(note, style="yellow"), highlight=False)
