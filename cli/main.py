"""The `subsidy` command.

Exit codes scripts can rely on: 0 success (a run that finds no benefit is still a success), 1 internal error,
2 bad input (a profile, a rule file, a case file or a command line that cannot be used, and an output that cannot
be written: a missing or read-only directory, a full disk, outputs that would overwrite the input or each other),
130 interrupted (Ctrl-C) and 143 terminated (SIGTERM), with one line and no traceback. `subsidy test` and
`subsidy rules check` also exit 1 when a case fails or a check finds a problem in otherwise readable input.
Everything a message quotes from a user or a file is printed as text (`engine/plaintext.py`), never as markup.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.text import Text

from guangxi_subsidy.cli import allocator  # noqa: F401 - must run before anything imports polars
from guangxi_subsidy.engine.applicant.profile import ProfileError
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.plaintext import text, visible
from guangxi_subsidy.engine.rules.pack import RulePack, RulePackError, load_pack
from guangxi_subsidy.engine.verify.cases import CaseFileError

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(command: F) -> F:
    """Bad input becomes a clear message and exit 2; anything else an internal error and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (ProfileError, RulePackError, CaseFileError) as error:
            report_error(str(error))
            sys.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            interrupted()
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except Exception as error:  # the promise of exit code 1, with the traceback only on request
            if os.environ.get("SUBSIDY_DEBUG"):
                raise
            internal_error(error)

    return wrapper  # type: ignore[return-value]


def report_error(message: str, label: str | None = None) -> None:
    """`error: MESSAGE` on stderr, the message printed as text whatever it holds."""
    _say(Text.assemble((label or _("error:"), "bold red"), " ", text(message, lines=True)))


def internal_error(error: BaseException) -> NoReturn:
    """Exit 1 with the error in one line; this cannot fail on what the error's text holds."""
    try:
        described = f"{type(error).__name__}: {error}"
    except Exception:  # noqa: BLE001 - an exception whose text cannot be made is still reported
        described = type(error).__name__
    _say(Text.assemble((_("internal error:"), "bold red"), " ", text(described, lines=True)))
    _say(Text(_("Set SUBSIDY_DEBUG=1 for the traceback."), style="dim"))
    sys.exit(EXIT_INTERNAL)


def interrupted() -> NoReturn:
    """Ctrl-C: one line and exit 130, at any moment of a command (a second Ctrl-C while leaving is ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _say(Text(_("interrupted"), style="yellow"))
    sys.exit(EXIT_INTERRUPTED)


def _say(message: Text) -> None:
    """A line on stderr through rich, or written plainly if rich cannot print it (an odd encoding)."""
    try:
        err.print(message, highlight=False)
    except Exception:  # noqa: BLE001 - the last resort of the error handlers
        sys.stderr.buffer.write(visible(message.plain, lines=True).encode("utf-8", "backslashreplace") + b"\n")
        sys.stderr.flush()


class Commands(click.Group):
    """The command group: Ctrl-C while the command line is read or a command runs is `interrupted`, not
    click's "Aborted!" and exit 1."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:
            interrupted()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            interrupted()


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


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--rules",
    "rules",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    envvar="SUBSIDY_RULES",
    help="Rule pack directory or files (default: the bundled rules/). Env: SUBSIDY_RULES.",
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
    try:
        cli(prog_name="subsidy")
    finally:  # the command is over: a Ctrl-C while the process ends changes nothing and shows no traceback
        signal.signal(signal.SIGINT, signal.SIG_IGN)


# The command modules register themselves on `cli`; imported last because they import `cli` from here.
import importlib  # noqa: E402

for _module in ("batch", "cases", "coverage", "evaluate", "rules", "verify"):
    importlib.import_module(f"{__package__}.{_module}")
