"""`subsidy test`: run the worked example cases."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from guangxi_subsidy.data import CASES
from guangxi_subsidy.engine.plaintext import text
from guangxi_subsidy.engine.verify.cases import load_cases, run_case

from .common import EXIT_INTERNAL, State, friendly_errors


@click.command("test")
@click.argument("path", type=click.Path(exists=True, path_type=Path), default=CASES)
@click.option("-v", "--verbose", is_flag=True, help="List every case, not only failures.")
@click.pass_obj
@friendly_errors
def test_cases(state: State, path: Path, verbose: bool) -> None:
    """Run the worked cases in PATH (a file or a directory, default: the bundled cases) against the rule pack.

    Exit 0 when every case passes, 1 when any fails, 2 when a case file cannot be read.
    """
    console = Console()
    results = [run_case(state.engine, file, case) for file, case in load_cases(path)]
    failed = [r for r in results if not r.passed]
    for result in results:
        if verbose or not result.passed:
            mark = Text("PASS", style="green") if result.passed else Text("FAIL", style="red")
            console.print(mark + text(f" {result.file.name} · {result.case.name}"), highlight=False)
            for failure in result.failures:
                console.print(text(f"     {failure}", lines=True), style="red", highlight=False)
    console.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(EXIT_INTERNAL)
