"""The `subsidy` command: the group, its options, and each command registered by name.

The state, the error handling and the exit codes every command shares are in `cli/common.py` (its names are
also importable from here, for programs that did so).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import click

from guangxi_subsidy.cli import (
    allocator,  # noqa: F401 - must run before anything imports polars
    collector,
    language,
)
from guangxi_subsidy.cli.common import (  # noqa: F401 - the shared names, importable from here as before
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REJECTED,
    State,
    _,
    err,
    friendly_errors,
    internal_error,
    interrupted,
    report_error,
)
from guangxi_subsidy.cli.lazy import LazyGroup


def N_(message: str) -> str:
    """Marks a command's summary for the catalogue; `Commands.summary` translates it when help is shown."""
    return message


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
    collector.started()


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


@cli.lazy_command("match", N_("政策找企业: evaluate the register (only what changed since the last run), keep every "
                  "decision with its receipt, and push to each applicant, once, what changed for it."))
def _match() -> click.Command:
    from guangxi_subsidy.cli.match import match

    return match


@cli.lazy_command("users", N_("The office's accounts: add, disable, change a role; API tokens for systems; the "
                  "access log's retention."))
def _users() -> click.Command:
    from guangxi_subsidy.cli.users import users

    return users


@cli.lazy_command("serve", N_("Serve the policy calculator (Chinese, English by a switch) and the HTTP API (/api/v1, "
                  "/openapi.json)."))
def _serve() -> click.Command:
    from guangxi_subsidy.cli.serve import serve

    return serve
