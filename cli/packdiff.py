"""`subsidy rules diff OLD NEW`: what changed between two rule packs, and, for a list of applicants, the money."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.jsontext import json_text
from guangxi_subsidy.engine.money import format_yuan
from guangxi_subsidy.engine.plaintext import text as plain

from .common import EXIT_BAD_INPUT, State, friendly_errors, report_error


@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--applicants", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An applicant file, as subsidy batch reads (CSV, .xlsx, Parquet, Arrow) or JSON Lines: who "
                   "gains or loses, and the money per benefit and department.")
@click.option("--as-of", "as_of", default=None, help="The evaluation date for the applicants (default: each one's).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the result as a workbook for people (.xlsx, in Chinese).")
@click.pass_obj
@friendly_errors
def diff(state: State, old: str, new: str, applicants: Path | None, as_of: str | None, fmt: str,
         output: Path | None) -> None:
    """Compare two rule packs: the rules, clauses, amounts, conditions, periods and places changed.

    OLD and NEW are folders of rule files or revisions of this repository (HEAD~3, a tag). With --applicants,
    each applicant is evaluated under both packs: who gains or loses, and the money per benefit and department.
    """
    from guangxi_subsidy.engine.applicant.values import date as read_date
    from guangxi_subsidy.engine.batch.run import BatchInputError
    from guangxi_subsidy.engine.rules.pack import RulePackError
    from guangxi_subsidy.engine.scenarios.packdiff import PackNotFound, changes_json, impact, load_side, rule_changes
    from guangxi_subsidy.engine.scenarios.packdiff_files import applicant_profiles, write_workbook

    if output is not None and (output.suffix.lower() != ".xlsx" or applicants is not None and
                               output.resolve() == applicants.resolve()):
        report_error(f"{output}：比较结果写为工作簿（.xlsx），且不能覆盖申请人文件")
        sys.exit(EXIT_BAD_INPUT)
    try:
        day = read_date(as_of) if as_of is not None else None
        before, after = load_side(old, Path.cwd()), load_side(new, Path.cwd())
    except (PackNotFound, ValueError) as error:
        if isinstance(error, RulePackError):
            raise
        report_error(str(error))
        sys.exit(EXIT_BAD_INPUT)
    changes = rule_changes(before, after)
    try:
        result = impact(before, after, applicant_profiles(applicants), day) if applicants is not None else None
    except BatchInputError as error:
        report_error(str(error))
        sys.exit(EXIT_BAD_INPUT)
    if output is not None:
        try:
            write_workbook(output, old, new, changes, result, applicants, as_of)
        except OSError as error:
            report_error(_("cannot write {0}: {1}").format(output, error.strerror or error))
            sys.exit(EXIT_BAD_INPUT)
        click.echo(f"已写入 {output}", err=True)
    if fmt == "json":
        click.echo(json_text(changes_json(changes, result)))
        return
    console = Console()
    table = Table(title=f"规则变化：{len(changes)} 项")
    for column in ("事项", "变化", "内容"):
        table.add_column(column, overflow="fold")
    for change in changes:
        table.add_row(plain(change.name), change.change, plain("\n".join(change.details), lines=True))
    console.print(table)
    if result is None:
        return
    console.print(f"申请人：增加 {len(result.gainers)} 户，减少 {len(result.losers)} 户，不变 {result.unchanged} 户")
    for title, rows in (("按事项", result.by_benefit), ("按牵头部门", result.by_department)):
        money = Table(title=f"资金变化（元）{title}")
        for column in (title[1:], "调整前", "调整后", "差额"):
            money.add_column(column, justify="left" if column == title[1:] else "right")
        for key, m in sorted(rows.items(), key=lambda kv: kv[1].difference):
            money.add_row(plain(key), format_yuan(m.before), format_yuan(m.after), format_yuan(m.difference))
        console.print(money)
    for title, people in (("增加最多", sorted(result.gainers, key=lambda x: -x[1])[:5]),
                          ("减少最多", sorted(result.losers, key=lambda x: x[1])[:5])):
        if people:
            console.print(title + "：" + "；".join(f"{plain(w)} {format_yuan(d)} 元" for w, d in people))

