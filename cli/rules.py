"""`subsidy rules …`: list, show and check the rule pack."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.jsontext import json_text, plain
from guangxi_subsidy.engine.money import format_yuan
from guangxi_subsidy.engine.plaintext import text, visible
from guangxi_subsidy.engine.rules.format import rule_schema as rule_format_schema
from guangxi_subsidy.engine.rules.pack import RulePackError, load_pack
from guangxi_subsidy.engine.rules.periods import horizon
from guangxi_subsidy.engine.rules.rulejson import amount_summary, rule_detail, rule_list

from .common import EXIT_BAD_INPUT, State, err, friendly_errors, report_error
from .lazy import LazyGroup


@click.group(cls=LazyGroup)
def rules() -> None:
    """Inspect and check the rule pack (one YAML file per source document, in rules/)."""


@rules.lazy_command("coverage", "Scan the source documents for amounts, rates and caps, and show the rule or reason "
                    "covering each.")
def _coverage() -> click.Command:
    from guangxi_subsidy.cli.coverage import coverage

    return coverage


@rules.lazy_command("verify", "Check the pack's consistency, then each rule's declared properties on generated "
                    "profiles.")
def _verify() -> click.Command:
    from guangxi_subsidy.cli.verify import verify

    return verify


@rules.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@friendly_errors
def list_rules(state: State, fmt: str) -> None:
    """List every rule in the pack, drafts included (marked), in document order."""
    pack = state.pack
    if fmt == "json":
        click.echo(json_text(rule_list(pack)))
        return
    table = Table(title=f"{len(pack.rules)} rules, {len(pack.derived)} derived facts · pack {pack.digest[:12]}")
    table.add_column("Rule", overflow="fold", ratio=4)
    table.add_column("Place", overflow="fold", ratio=1)
    table.add_column("In force", overflow="fold", ratio=2)
    table.add_column("Clause", overflow="fold", ratio=2)
    table.add_column("Amount", overflow="fold", ratio=1)
    for rule in pack.rules.values():
        name = text(rule.id)
        name.append(f"\n{visible(rule.name)}", style="dim")
        period = Text(f"{rule.effective.from_} …\n{rule.effective.to or ''}")
        if rule.status.value == "draft":
            period.append("\nDRAFT", style="bold yellow")
        clause = text("\n".join(f"{(s.document or rule.document.file)[:3]} · {s.clause}" for s in rule.rule.sources))
        table.add_row(name, text(rule.jurisdiction), period, clause, text(rule.rule.amount.kind.replace("_", "-")))
    Console().print(table)


@rules.command()
@click.argument("rule_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
@friendly_errors
def show(state: State, rule_id: str, fmt: str) -> None:
    """Show one rule: its quote and reading, period, departments, conditions and formula."""
    pack = state.pack
    rule = pack.rules.get(rule_id) or pack.derived.get(rule_id)
    if rule is None:
        import difflib

        close = difflib.get_close_matches(rule_id, [*pack.rules, *pack.derived], n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else " See `subsidy rules list`."
        report_error(f"no rule '{visible(rule_id)}'.{hint}")
        sys.exit(EXIT_BAD_INPUT)
    data = rule_detail(rule)
    if fmt == "json":
        click.echo(json_text(data))
        return
    console = Console()

    def say(line: str, style: str = "", lines: bool = False) -> None:
        """A line of the rule as written in its file: never markup, control characters escaped."""
        console.print(text(line, style=style, lines=lines), highlight=False)

    say(f"{rule.id} · {rule.name}", style="bold")
    doc = rule.document
    say(f"Document: {doc.title} {doc.number or ''} ({doc.file}), issued by {doc.issuer}")
    if not rule.is_derived:
        spec = rule.rule
        say(f"Clause:   {spec.source.clause}")
        say(f"Quote:    “{spec.source.quote}”")
        for more in spec.source.more_quotes:
            say(f"          “{more}”")
        if spec.source.raw:
            say(f"Damaged:  “{spec.source.raw}” read as “{spec.source.reading}”", style="yellow")
        if spec.source.figures:
            say(f"Figures:  {spec.source.figures}")
        for other in spec.more_sources:
            period = f"{other.effective.from_} … {other.effective.to or 'no end'}" if other.effective else "—"
            say(f"Also:     {other.document} · {other.clause} (period {period})")
            say(f"          “{other.quote}”")
            if other.figures:
                say(f"          figures: {other.figures}")
        say(f"Benefit:  {spec.benefit.value}; departments: {', '.join(spec.departments) or '—'}")
        if spec.jurisdiction_quote:
            say(f"Place:    {rule.jurisdiction}, decided by “{spec.jurisdiction_quote}”")
        if spec.apply is not None:
            apply = spec.apply
            for label, said in (("where", apply.where), ("when", apply.when)):
                if said:
                    say(f"Apply:    {label}: {said}")
            for item in apply.evidence:
                say(f"Apply:    show: {item}")
            say(f"          “{apply.quote}”")
    say(f"Status:   {rule.status.value}; in force {rule.effective.from_} … {rule.effective.to or 'no end'}")
    if not rule.is_derived:
        end = horizon(rule.effective, list(rule.documents or (rule.document,)))
        if end is not None:
            say(f"          no end date stated: results after {end} carry a validity warning")
    say(f"For:      {', '.join(rule.kinds)} in {rule.jurisdiction}")
    for need in rule.requires:
        say(f"Requires: {need} ({pack.derived[need].name})")
    for cond in rule.conditions:
        say(f"  if {cond.id}: {cond.text}" + (f"   — {cond.says}" if cond.says else ""))
    if not rule.is_derived:
        amount = rule.rule.amount
        say(f"Amount:   {amount.kind}: {amount_summary(rule)}")
        if amount.says:
            say(f"          {amount.says}")
        for tier in amount.tiers or []:
            say(f"          when {tier.when}: {tier.formula}" + (f" — {tier.says}" if tier.says else ""))
        for name in sorted(rule.amount.parameters if rule.amount else []):
            parameter = pack.parameters[name]
            for start, value, reference in parameter.values:
                say(f"          {name} = {value} from {start} ({reference})")
        for reading in rule.rule.readings:
            say(f"Reading:  {reading.id}: {reading.question}")
            say(f"          chosen: {reading.chosen} — {reading.why}")
            for alternative in reading.alternatives:
                say(f"          not:    {alternative.reading} — {alternative.why}")
        if rule.rule.notes:
            say(f"Notes:    {rule.rule.notes}", lines=True)


@rules.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.pass_obj
@friendly_errors
def check(state: State, paths: tuple[Path, ...]) -> None:
    """Validate rule files (default: the whole pack): format, expressions, parameters, cross-references.

    Exit 0 when the pack loads, 2 with every problem listed (file, rule, where, reason) when it does not.
    """
    try:
        pack = load_pack(list(paths) or list(state.rules) or None)
    except RulePackError as error:
        for problem in error.problems:
            err.print(text(str(problem), lines=True), highlight=False)
        err.print(f"[bold red]{len(error.problems)} problem(s)[/]; the pack is refused.")
        sys.exit(EXIT_BAD_INPUT)
    Console().print(
        f"[green]ok[/]: {len(pack.rules)} rules, {len(pack.derived)} derived facts, "
        f"{len(pack.parameters)} parameters in {len(pack.files)} files"
    )


@rules.command("schema")
def rule_schema() -> None:
    """Print the JSON Schema of rule files (subsidy-rules/1; committed as schema/rules-1.json)."""
    click.echo(json_text(rule_format_schema()))


@rules.command("fields")
def fields() -> None:
    """List the profile fields a rule expression may read, with their types."""
    from guangxi_subsidy.engine.applicant.fields import field_labels, field_symbols

    labels = field_labels()
    table = Table()
    for column in ("Field", "Type", "Label", "Choices"):
        table.add_column(column)
    for name, symbol in field_symbols().items():
        kind = symbol.type.value if isinstance(symbol.type, ex.ValueType) else str(symbol.type)
        table.add_row(name, kind, labels.get(name, ""), ", ".join(symbol.choices or ()))
    Console().print(table)


def _effect_text(amount: Decimal | None, effect: str | None, ceiling: bool = False) -> str:
    if amount is None:
        return effect or "—"
    return ("up to " if ceiling else "") + format_yuan(amount)


@rules.command("readings")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@friendly_errors
def readings(state: State, fmt: str) -> None:
    """List every contested reading: the one implemented, the others, why, and each one's effect on an example.

    Each reading's worked example is evaluated as the rule stands (the chosen reading) and with each
    alternative's recorded formula, so that the price of the choice is shown in yuan, for a legal office to settle.
    """
    from guangxi_subsidy.engine.evaluation.contested import contested_readings
    from guangxi_subsidy.engine.evaluation.evaluate import Engine

    found = contested_readings(Engine(state.pack))
    if fmt == "json":
        click.echo(json_text([
            {
                "rule_id": c.rule.id, "name": c.rule.name, "reading_id": c.reading.id,
                "clause": c.rule.rule.source.clause, "document": c.rule.document.file,
                "question": c.reading.question, "quote": c.reading.quote,
                "example": plain(c.example), "as_of": c.as_of.isoformat(), "status": c.status,
                "chosen": {"reading": c.chosen.reading, "why": c.chosen.why, "amount": plain(c.chosen.amount),
                           "effect": c.chosen.effect, "ceiling": c.chosen.ceiling},
                "alternatives": [
                    {"reading": a.reading, "why": a.why, "amount": plain(a.amount), "effect": a.effect}
                    for a in c.alternatives
                ],
            }
            for c in found
        ]))
        return
    table = Table(title=f"{len(found)} contested readings, with their effect on a worked example", show_lines=True)
    for column, ratio in (("Rule · clause", 2), ("Question", 3), ("Reading", 4), ("On the example", 2)):
        table.add_column(column, overflow="fold", ratio=ratio)
    for c in found:
        facts = ", ".join(f"{k} = {v}" for k, v in c.example.items() if k not in ("id", "kind", "city"))
        head = Text(f"{c.rule.id}\n{c.rule.document.short} · {c.rule.rule.source.clause}")
        head.append(f"\n{c.reading.id}", style="dim")
        question = Text(f"{c.reading.question}\n“{c.reading.quote}”")
        question.append(f"\nexample ({c.as_of}): {facts}", style="dim")
        chosen = Text("implemented: ", style="bold green")
        chosen.append(f"{c.chosen.reading} — {c.chosen.why}")
        amounts = Text(_effect_text(c.chosen.amount, c.chosen.effect, c.chosen.ceiling), style="bold green")
        for alternative in c.alternatives:
            chosen.append("\nnot: ", style="bold red")
            chosen.append(f"{alternative.reading} — {alternative.why}")
            amounts.append("\n" + _effect_text(alternative.amount, alternative.effect), style="red")
        table.add_row(head, question, chosen, amounts)
    Console().print(table)
