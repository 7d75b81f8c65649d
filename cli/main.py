"""The `subsidy` command.

Exit codes scripts can rely on: 0 success (a run that finds no benefit is still a success), 1 internal error,
2 bad input (a profile, a rule file, a case file or a command line that cannot be used), 3 rows were rejected
(`subsidy batch --fail-on-rejected` only). `subsidy test` and
`subsidy rules check` also exit 1 when a case fails or a check finds a problem in otherwise readable input.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.text import Text

from guangxi_subsidy.cli import (
    allocator,  # noqa: F401 - must run before anything imports polars
    language,
)
from guangxi_subsidy.engine.applicant.profile import ProfileError
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.i18n import _, set_language
from guangxi_subsidy.engine.rules.pack import RulePack, RulePackError, load_pack
from guangxi_subsidy.engine.verify.cases import CaseFileError

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_REJECTED = 0, 1, 2, 3

err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(command: F) -> F:
    """Bad input becomes a clear message and exit 2; anything else an internal error and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (ProfileError, RulePackError, CaseFileError) as error:
            err.print(Text(_("error:") + " ", style="bold red") + Text(str(error)), highlight=False)
            sys.exit(EXIT_BAD_INPUT)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except Exception as error:  # the promise of exit code 1, with the traceback only on request
            if os.environ.get("SUBSIDY_DEBUG"):
                raise
            err.print(Text(_("internal error:") + " ", style="bold red") + Text(f"{type(error).__name__}: {error}"),
                      highlight=False)
            err.print(_("Set SUBSIDY_DEBUG=1 for the traceback."), style="dim")
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


class State:
    def __init__(self, rules: tuple[Path, ...]):
        self.rules = rules
        self._pack: RulePack | None = None
        self._engine: Engine | None = None

    @property
    def pack(self) -> RulePack:
        if self._pack is None:
            self._pack = load_pack(list(self.rules) or None)
        return self._pack

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(self.pack)
        return self._engine


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--rules",
    "rules",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    envvar="SUBSIDY_RULES",
    help="Rule pack directory or files (default: the bundled rules/). Env: SUBSIDY_RULES.",
)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), expose_value=False, is_eager=True, callback=language.choose,
    help="Language of messages and help: zh (中文) or en. Default: SUBSIDY_LANG, else the locale (LANG).",
)
@click.version_option(package_name="guangxi-subsidy")
@click.pass_context
def cli(ctx: click.Context, rules: tuple[Path, ...]) -> None:
    """Which Guangxi innovation and entrepreneurship subsidies an applicant qualifies for, how much, and why.

    \b
    Start here:
      subsidy evaluate cases/profiles/nanning_incubation_base.yaml --explain
      subsidy rules list
      subsidy rules show nanning.incubation_base_rent_subsidy
      subsidy schema > profile.schema.json
      subsidy test cases/

    Every rule quotes its clause in the five source documents in seeds/; amounts are exact to the fen.
    """
    ctx.obj = State(rules)


def main() -> None:
    set_language(language.language_in(sys.argv[1:]))
    language.translate_help(cli)
    cli(prog_name="subsidy")


# The command modules register themselves on `cli`; imported last because they import `cli` from here.
import importlib  # noqa: E402

for _module in ("batch", "cases", "coverage", "evaluate", "rules", "verify"):
    importlib.import_module(f"{__package__}.{_module}")
