"""A click group whose commands are imported only when one is run, so `subsidy evaluate` never loads the batch
path (polars, numpy, pyarrow, openpyxl) and `subsidy --help` loads no command at all.

A command is registered with its name, the one-line summary `--help` lists, and a function that imports and
returns it; the summary is the first line of the command's own help (a test holds the two together).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

Loader = Callable[[], click.Command]


class LazyGroup(click.Group):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[Loader, str]] = {}

    def lazy_command(self, name: str, summary: str) -> Callable[[Loader], Loader]:
        """Register the decorated loader as the command `name`, listed in `--help` with `summary`."""

        def register(loader: Loader) -> Loader:
            self.lazy[name] = (loader, summary)
            return loader

        return register

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.load(cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def load(self, name: str) -> click.Command:
        """The command `name`, imported."""
        return self.lazy[name][0]()

    def summary(self, name: str) -> str:
        """The line `--help` lists for a command not imported yet."""
        return self.lazy[name][1]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, from the registered summaries for commands not yet imported."""
        names = [name for name in self.list_commands(ctx) if not self._hidden(name)]
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name) or click.Command(name, help=self.summary(name))  # (shortened alike)
            rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _hidden(self, name: str) -> bool:
        command = self.commands.get(name)
        return command is not None and command.hidden
