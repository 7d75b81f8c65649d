"""The language of the command line: `--lang`, and the help texts of every command in it.

Help texts are written in English in the decorators (they are the catalogue's message ids, as every other
message is) and translated in place when the language is chosen, before click formats any help: by `main` from
the command line as given (so `subsidy --help` is translated too), and by the `--lang` option itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import click

from guangxi_subsidy.engine.i18n import _, set_language

_ORIGINAL: dict[int, dict[str, str | None]] = {}  # each command's and option's English help, by object


def help_texts(command: click.Command) -> list[tuple[Any, str, str]]:
    """Every help text in a command tree: (object, attribute, English text as click shows it)."""
    found: list[tuple[Any, str, str]] = []
    for item in (command, *command.params):
        original = _ORIGINAL.setdefault(id(item), {a: getattr(item, a, None) for a in ("help", "short_help")})
        for attribute, text in original.items():
            if text:
                found.append((item, attribute, inspect.cleandoc(text)))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            found.extend(help_texts(sub))
    return found


def translate_help(command: click.Command) -> None:
    """Every help text of the tree in the chosen language (from the English, however often it is chosen)."""
    for item, attribute, text in help_texts(command):
        setattr(item, attribute, _(text))


def language_in(arguments: Sequence[str]) -> str | None:
    """The `--lang` given on a command line, if any (read before click parses it, for the help texts)."""
    for position, argument in enumerate(arguments):
        if argument == "--lang" and position + 1 < len(arguments):
            return arguments[position + 1]
        if argument.startswith("--lang="):
            return argument.split("=", 1)[1]
    return None


def choose(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """The `--lang` option's callback: the language for messages and help from here on."""
    set_language(value)
    translate_help(ctx.find_root().command)
