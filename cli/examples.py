"""`subsidy examples`: the example profiles the package carries, which work from any directory."""

from __future__ import annotations

import click

from guangxi_subsidy.data import example_summary
from guangxi_subsidy.data import examples as bundled
from guangxi_subsidy.engine.i18n import language


@click.command()
def examples() -> None:
    """List the bundled example profiles: name, file and what each describes.

    \b
    Evaluate one by name, or copy its file as a start for a profile of your own:
      subsidy evaluate --example nanning_incubation_base --explain
    """
    for name, path in bundled().items():
        click.echo(f"{name}\n    {example_summary(path, language())}\n    {path}")
