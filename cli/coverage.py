"""`subsidy rules coverage`: is every money figure in the source documents encoded by a rule or explained?"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from guangxi_subsidy.engine.jsontext import json_text
from guangxi_subsidy.engine.plaintext import text as plain
from guangxi_subsidy.engine.rules.coverage import ENCODED, EXPLAINED, UNEXPLAINED, Coverage, coverage_json, scan
from guangxi_subsidy.engine.rules.provenance import SEEDS

from .common import EXIT_INTERNAL, State, friendly_errors

_STYLE = {ENCODED: "green", EXPLAINED: "cyan", UNEXPLAINED: "bold red"}


@click.command("coverage")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--seeds",
    "seeds",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=SEEDS,
    show_default="the bundled seeds/",
    help="Folder of source documents to scan.",
)
@click.option("--all", "show_all", is_flag=True, help="List every figure, not only the unexplained ones.")
@click.pass_obj
@friendly_errors
def coverage(state: State, fmt: str, seeds: Path, show_all: bool) -> None:
    """Scan the source documents for amounts, rates and caps, and show the rule or reason covering each.

    A figure is encoded (inside a rule's quote), explained (inside the quote of a `not_encoded` entry, with
    the reason it grants nothing) or unexplained. Exit 0 when every figure is encoded or explained, 1
    otherwise.
    """
    result = scan(state.pack, seeds)
    if fmt == "json":
        click.echo(json_text(coverage_json(result)))
    else:
        _table(result, show_all)
    if not result.complete:
        sys.exit(EXIT_INTERNAL)


def _table(result: Coverage, show_all: bool) -> None:
    console = Console()
    counts = result.counts()
    shown = [c for c in result.clauses if show_all or c.status == UNEXPLAINED]
    if shown:
        table = Table(title="Money figures in the source documents")
        for column in ("Doc", "Figure", "Status", "Covered by", "Clause"):
            table.add_column(column, overflow="fold")
        for clause in shown:
            for figure in clause.figures:
                by = ", ".join(figure.rules) or figure.reason or "—"
                text = clause.text if len(clause.text) <= 80 else clause.text[:79] + "…"
                status = Text(figure.status, style=_STYLE[figure.status])
                table.add_row(plain(clause.document[:3]), plain(figure.text), status, plain(by), plain(text))
        console.print(table)
    for passage in result.unfound:
        who = passage.rule or f"not_encoded {passage.clause}"
        found = plain(f" in {passage.document} ({who}): {passage.text}")
        console.print(Text("quote not found", style="yellow") + found, highlight=False)
    if show_all and result.decisions:
        table = Table(title="Passages recorded as not a benefit (not_encoded), with the reason")
        for column in ("Doc", "Clause", "Reason"):
            table.add_column(column, overflow="fold")
        for passage in result.decisions:
            table.add_row(plain(passage.document[:3]), plain(passage.clause or ""), plain(passage.reason or ""))
        console.print(table)
    summary = (
        f"{counts['figures']} figures in {counts['clauses']} clauses of {counts['documents']} documents: "
        f"{counts[ENCODED]} encoded, {counts[EXPLAINED]} explained, {counts[UNEXPLAINED]} unexplained; "
        f"{len(result.decisions)} passages recorded as not a benefit"
    )
    verdict = "[green]complete[/]" if result.complete else "[bold red]incomplete[/]"
    console.print(f"{verdict}: {summary}")
