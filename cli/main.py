"""The `subsidy` command.

Exit codes scripts can rely on: 0 success (a run that finds no benefit is still a success), 1 internal error,
2 bad input (a profile, a rule file, a case file or a command line that cannot be used, and an output that cannot
be written: a missing or read-only directory, a full disk, outputs that would overwrite the input or each other),
3 rows were rejected (`subsidy batch --fail-on-rejected` only), 130 interrupted (Ctrl-C) and 143 terminated
(SIGTERM), with one line and no traceback. `subsidy test` and
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
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from guangxi_subsidy.cli import (
    allocator,  # noqa: F401 - must run before anything imports polars
    language,
    launch,
)
from guangxi_subsidy.cli.lazy import LazyGroup

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from guangxi_subsidy.engine.evaluation.evaluate import Engine
    from guangxi_subsidy.engine.rules.pack import RulePack

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_REJECTED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

F = TypeVar("F", bound=Callable[..., Any])


def _(message: str) -> str:
    """A message translated (the catalogue is loaded at the first message: `subsidy --help` reads none)."""
    from guangxi_subsidy.engine.i18n import _ as translated

    return translated(message)


def N_(message: str) -> str:
    """Marks a command's summary for the catalogue; `Commands.summary` translates it when help is shown."""
    return message


class _Stderr:
    """rich's console on stderr, made at the first message: `subsidy --help` does not import rich."""

    _console: Console | None = None

    def print(self, *objects: Any, **options: Any) -> None:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True)
        self._console.print(*objects, **options)


err = _Stderr()


def _bad_input(error: Exception) -> bool:
    from guangxi_subsidy.engine.applicant.reading import ProfileError
    from guangxi_subsidy.engine.evaluation.award import AmountError
    from guangxi_subsidy.engine.rules.pack import RulePackError
    from guangxi_subsidy.engine.verify.cases import CaseFileError

    return isinstance(error, ProfileError | RulePackError | CaseFileError | AmountError)


def friendly_errors(command: F) -> F:
    """Bad input becomes a clear message and exit 2; anything else an internal error and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            interrupted()
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except Exception as error:  # the promise of exit code 1, with the traceback only on request
            if _bad_input(error):
                report_error(str(error))
                sys.exit(EXIT_BAD_INPUT)
            if os.environ.get("SUBSIDY_DEBUG"):
                raise
            internal_error(error)

    return wrapper  # type: ignore[return-value]


def report_error(message: str, label: str | None = None) -> None:
    """`error: MESSAGE` on stderr, the message printed as text whatever it holds."""
    from rich.text import Text

    from guangxi_subsidy.engine.plaintext import text

    _say(Text.assemble((label or _("error:"), "bold red"), " ", text(message, lines=True)))


def internal_error(error: BaseException) -> NoReturn:
    """Exit 1 with the error in one line; this cannot fail on what the error's text holds."""
    try:
        described = f"{type(error).__name__}: {error}"
    except Exception:  # noqa: BLE001 - an exception whose text cannot be made is still reported
        described = type(error).__name__
    from rich.text import Text

    from guangxi_subsidy.engine.plaintext import text

    _say(Text.assemble((_("internal error:"), "bold red"), " ", text(described, lines=True)))
    _say(Text(_("Set SUBSIDY_DEBUG=1 for the traceback."), style="dim"))
    sys.exit(EXIT_INTERNAL)


def interrupted() -> NoReturn:
    """Ctrl-C: one line and exit 130, at any moment of a command (a second Ctrl-C while leaving is ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from rich.text import Text

    _say(Text(_("interrupted"), style="yellow"))
    sys.exit(EXIT_INTERRUPTED)


def _say(message: Text) -> None:
    """A line on stderr through rich, or written plainly if rich cannot print it (an odd encoding)."""
    try:
        err.print(message, highlight=False)
    except Exception:  # noqa: BLE001 - the last resort of the error handlers
        from guangxi_subsidy.engine.plaintext import visible

        sys.stderr.buffer.write(visible(message.plain, lines=True).encode("utf-8", "backslashreplace") + b"\n")
        sys.stderr.flush()


class Commands(LazyGroup):
    """The command group, each command imported when it runs: Ctrl-C while the command line is read or a
    command runs is `interrupted`, not click's "Aborted!" and exit 1."""

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

    def summary(self, name: str) -> str:
        return _(super().summary(name))

    def load(self, name: str) -> click.Command:
        command = super().load(name)
        language.translate_help(command)  # its help in the chosen language, as the commands loaded before it
        return command


class State:
    def __init__(self, rules: tuple[Path, ...]):
        self.rules = rules
        self._pack: RulePack | None = None
        self._engine: Engine | None = None

    @property
    def pack(self) -> RulePack:
        if self._pack is None:
            from guangxi_subsidy.engine.rules.pack import load_pack

            self._pack = load_pack(list(self.rules) or None)
        return self._pack

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from guangxi_subsidy.engine.evaluation.evaluate import Engine

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
      subsidy examples
      subsidy evaluate --example nanning_incubation_base --explain
      subsidy rules list
      subsidy rules show nanning.incubation_base_rent_subsidy
      subsidy schema > profile.schema.json
      subsidy test

    Every rule quotes its clause in the five source documents in seeds/; amounts are exact to the fen.
    """
    ctx.obj = State(rules)
    launch.started()


def main() -> None:
    from guangxi_subsidy.engine.i18n import set_language

    set_language(language.language_in(sys.argv[1:]))
    language.translate_help(cli)  # (the commands imported so far; each other one as it is imported)
    try:
        cli(prog_name="subsidy")
    finally:  # the command is over: a Ctrl-C while the process ends changes nothing and shows no traceback
        signal.signal(signal.SIGINT, signal.SIG_IGN)


# The commands, each imported only when it runs (its summary is the first line of its help).


@cli.lazy_command("evaluate", N_("Evaluate one applicant PROFILE (YAML or JSON) and list its benefits."))
def _evaluate() -> click.Command:
    from guangxi_subsidy.cli.evaluate import evaluate

    return evaluate


@cli.lazy_command("examples", N_("List the bundled example profiles: name, file and what each describes."))
def _examples() -> click.Command:
    from guangxi_subsidy.cli.examples import examples

    return examples


@cli.lazy_command("schema", N_("Print the applicant profile's JSON Schema, so other tools can produce valid profiles."))
def _schema() -> click.Command:
    from guangxi_subsidy.cli.evaluate import schema

    return schema


@cli.lazy_command("rules", N_("Inspect and check the rule pack (one YAML file per source document, in rules/)."))
def _rules() -> click.Command:
    from guangxi_subsidy.cli.rules import rules

    return rules


@cli.lazy_command("test", N_("Run the worked cases in PATH (a file or a directory, default: the bundled cases) "
                  "against the rule pack."))
def _test() -> click.Command:
    from guangxi_subsidy.cli.cases import test_cases

    return test_cases


@cli.lazy_command("batch", N_("Evaluate every applicant in APPLICANTS (CSV, .xlsx, Parquet or Arrow; columns named "
                  "by field or label)."))
def _batch() -> click.Command:
    from guangxi_subsidy.cli.batch import batch

    return batch


@cli.lazy_command("template", N_("Write an empty applicant file to fill in."))
def _template() -> click.Command:
    from guangxi_subsidy.cli.batch import template

    return template


@cli.lazy_command("compare", N_("What started, ended or changed for an applicant (or a whole list) between two dates."))
def _compare() -> click.Command:
    from guangxi_subsidy.cli.scenarios import compare

    return compare


@cli.lazy_command("whatif", N_("Vary one FIELD of PROFILE from a value to another: each benefit's amount along the "
                               "way."))
def _whatif() -> click.Command:
    from guangxi_subsidy.cli.scenarios import whatif

    return whatif


@cli.lazy_command("chart", N_("Draw a batch SUMMARY written with --reform or --compare-as-of: money baseline against "
                  "the alternative."))
def _chart() -> click.Command:
    from guangxi_subsidy.cli.scenarios import chart

    return chart


@cli.lazy_command("register", N_("The register (一企一档): a file per applicant over time, with sources, and the "
                  "awards ledger."))
def _register() -> click.Command:
    from guangxi_subsidy.cli.register import register

    return register


@cli.lazy_command("match", N_("政策找企业: evaluate the register (what changed since the last run), keep each "
                  "decision with its receipt, push what changed to each applicant."))
def _match() -> click.Command:
    from guangxi_subsidy.cli.match import match

    return match


@cli.lazy_command("users", N_("办事台账号: add, disable, change a role; API tokens for systems; the access log's "
                  "retention."))
def _users() -> click.Command:
    from guangxi_subsidy.cli.users import users

    return users


@cli.lazy_command("serve", N_("Serve the policy calculator (Chinese, English by a switch) and the HTTP API (/api/v1, "
                  "/openapi.json)."))
def _serve() -> click.Command:
    from guangxi_subsidy.cli.serve import serve

    return serve
