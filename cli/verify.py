"""`subsidy rules verify`: the pack's consistency checks, then every property its rules declare."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from guangxi_subsidy.engine.plaintext import text
from guangxi_subsidy.engine.rules.compiled import RULE_FORMAT
from guangxi_subsidy.engine.rules.consistency import check_pack

from .common import EXIT_BAD_INPUT, EXIT_INTERNAL, State, err, friendly_errors


@click.command("verify")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--examples", default=100, show_default=True, type=click.IntRange(min=1),
              help="Generated profiles per property.")
@click.option("--seed", type=int, default=None,
              help="Seed for the generated profiles. Default: a fixed one, so that runs repeat.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("counterexamples"),
              show_default=True, help="Where counterexample profiles are written.")
@click.pass_obj
@friendly_errors
def verify(state: State, paths: tuple[Path, ...], examples: int, seed: int | None, out: Path) -> None:
    """Check the pack's consistency, then each rule's declared properties on generated profiles.

    Checks: rule ids are unique, every field a rule reads is in the profile schema, every parameter a rule reads
    has a value throughout the rule's period. Then each property (monotone, bounded, zero_when_zero,
    independent_of, equals) runs on profiles drawn to meet the rule's conditions; a failure is shrunk to a
    smallest profile, written to --out as a file that `subsidy evaluate` runs as it stands.

    Exit 0 when every check and property holds, 1 when a property fails, 2 when the pack is invalid.
    """
    console = Console(highlight=False, soft_wrap=True)
    sources = list(paths) or list(state.rules)
    checks, loaded = check_pack(sources or None)
    for check in checks:
        if check.name == RULE_FORMAT:  # not a consistency check: the file itself cannot be read as a rule pack
            for problem in check.problems:
                err.print(text(str(problem), lines=True), highlight=False)
            continue
        mark = "[green]✓[/]" if check.passed else "[red]✗[/]"
        console.print(f"{mark} {check.name}: {check.covered}")
        for problem in check.problems:
            console.print(f"    {escape(str(problem))}")
    if loaded is None or not all(check.passed for check in checks):
        err.print("[bold red]the pack is invalid[/]; no property was run.")
        sys.exit(EXIT_BAD_INPUT)
    pack = loaded
    from guangxi_subsidy.engine.verify.properties import verify_pack, write_counterexample  # imports hypothesis: slow

    console.print(f"Properties: {examples} generated profiles each" + (f", seed {seed}" if seed is not None else ""))
    held = failed = 0
    for result in verify_pack(pack, examples, seed):
        label = f"{result.rule.id}  {escape(result.declared.text)}"
        counts = f"{result.examples} example{'' if result.examples == 1 else 's'}, {result.applied} applied"
        if result.holds:
            held += 1
            console.print(f"[green]✓[/] {label}  [dim]({counts})[/]")
            continue
        failed += 1
        console.print(f"[red]✗[/] {label}  [dim]({counts})[/]")
        console.print(f"    [red]{escape(result.failure or '')}[/]")
        for path in write_counterexample(result, out, sources):
            console.print(f"    counterexample: {escape(str(path))}")
    from guangxi_subsidy.engine.verify.programmes import verify_programmes

    once = twice = 0
    for found in verify_programmes(pack, examples, seed):
        label = f"one programme pays once: {escape(found.programme)} ({', '.join(found.rules)})"
        counted = f"{found.examples} profiles"
        if found.combined is not None:
            label = f"combined, paid once: {escape(found.programme)} ({', '.join(found.rules)})"
            counted += f", {found.combined} with one not combined"
        if found.holds:
            once += 1
            console.print(f"[green]✓[/] {label}  [dim]({counted})[/]")
            continue
        twice += 1
        console.print(f"[red]✗[/] {label}  [dim]({counted})[/]")
        both = escape(", ".join(found.both))
        console.print(f"    [red]{both} eligible together for {escape(str(found.counterexample))}[/]")
    console.print(f"{once} programmes pay once, {twice} twice")
    failed += twice
    summary = f"{held} properties hold, {failed} fail"
    if failed:
        console.print(f"[bold red]{summary}[/]")
        sys.exit(EXIT_INTERNAL)
    console.print(f"[green]{summary}[/]")
