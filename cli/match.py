"""`subsidy match …`: 政策找企业 from the command line: evaluate the register (what changed since the last run),
keep every decision with its receipt, push to each applicant what changed for it; ask the decision store; export
the pushes.

Every subcommand takes `--db` (as `subsidy register` does) and `--format table|json`; bad input exits 2.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from guangxi_subsidy.engine.jsontext import json_text
from guangxi_subsidy.engine.plaintext import text

from .common import State
from .register_common import DATE, day, db_option, register_errors

STATUS = {"eligible": "可享", "not_eligible": "不可享", "expired": "已过期", "not_yet_in_force": "尚未生效"}
FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
                      help="table: for people (Chinese); json: for programs.")


class _Bar:
    """A progress bar on stderr (applicants evaluated), silent when stderr is not a terminal or with --format json."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = Progress(TextColumn("[bold]匹配中"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=Console(stderr=True), transient=True)
        self.task = self.bar.add_task("match", total=None)

    def __enter__(self) -> Callable[[int, int | None], None]:
        if self.enabled:
            self.bar.start()

        def advance(done: int, total: int | None) -> None:
            if self.enabled:
                self.bar.update(self.task, completed=done, total=total)

        return advance

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            self.bar.stop()


@click.group(invoke_without_command=True)
@click.option("--as-of", type=DATE, help="Match on this date (YYYY-MM-DD). Default: today.")
@click.option("--full", is_flag=True, help="Evaluate every applicant, not only what changed since the last run.")
@click.option("--near-misses/--no-near-misses", "near", default=True, show_default=True,
              help="Look for near misses for the applicants whose decisions changed (each evaluated rule by rule); "
                   "without, a large run pushes only the facts an incomplete amount lacks.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write this run's pushes to a file: .xlsx, .csv or .jsonl.")
@db_option
@FORMAT
@click.pass_context
def match(ctx: click.Context, as_of: dt.datetime | None, full: bool, near: bool, output: Path | None,
          db: str | None, fmt: str) -> None:
    """政策找企业: evaluate the register (only what changed since the last run), keep every decision with its
    receipt, and push to each applicant, once, what changed for it.

    \b
    Examples:
      subsidy match --as-of 2019-03-01
      subsidy match --format json
      subsidy match decisions --became-eligible
      subsidy match why 91450100MA5L000000 nanning.incubation_base_rent_subsidy
      subsidy match inbox 91450100MA5L000000
    """
    if ctx.invoked_subcommand is None:
        state = ctx.find_object(State)
        assert state is not None  # (the top command makes it)
        _run(state, day(as_of) or dt.date.today(), full, output, db, fmt, near)


@register_errors
def _run(state: State, as_of: dt.date, full: bool, output: Path | None, db: str | None, fmt: str,
         near: bool = True) -> None:
    from guangxi_subsidy.engine.matching.run import match as run_match
    from guangxi_subsidy.engine.register.database import open_register

    engine = open_register(db)
    with _Bar(fmt != "json") as progress:
        report = run_match(engine, state.engine, as_of, full, progress, near=near)
    if output is not None:
        _write(report.pushed_rows(), output)
    if fmt == "json":
        click.echo(json_text(report.as_json()))
        return
    click.echo(text(f"第 {report.run_pk} 次匹配（{as_of.isoformat()}，{'全部' if report.mode == 'full' else '增量'}）："
                    f"评估 {report.evaluated} 个申请人，推送 {len(report.pushed)} 条"))
    for push in report.pushed:
        click.echo(text(f"  {push['id']}：{push['text']}"))
    for bad in report.unreadable:
        click.echo(text(f"  ⚠ {bad['id']}：资料无法读取：{bad['reason']}"))


def _write(pushes: list[dict[str, Any]], output: Path) -> None:
    from guangxi_subsidy.engine.matching.export import write

    try:
        write(pushes, output)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--output") from None
    except OSError as error:
        raise click.BadParameter(f"{output}: {error.strerror}", param_hint="--output") from None


@match.command("decisions")
@click.option("--pack", "digest", help="Only decisions made with the pack whose digest starts with this.")
@click.option("--became-eligible", is_flag=True, help="Only the benefits the latest run opened.")
@click.option("--id", "ref", help="Only this applicant's current decisions.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@db_option
@FORMAT
@register_errors
def decisions(digest: str | None, became_eligible: bool, ref: str | None, limit: int | None, db: str | None,
              fmt: str) -> None:
    """The decision store: decisions by pack, the applicants who became eligible since the last run, or an
    applicant's current decisions."""
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.matching.store import decisions as query
    from guangxi_subsidy.engine.register.database import open_register

    with Session(open_register(db)) as session:
        rows = query(session, digest, became_eligible, ref, limit)
    if fmt == "json":
        click.echo(json_text({"schema": "subsidy-match-decisions/1", "decisions": rows}))
        return
    for row in rows:
        amount = f"{row['amount']} 元" if row["amount"] is not None else ""
        click.echo(text(f"{row['id']}  {row['rule_id']}  {STATUS.get(row['status'], row['status'])}  {amount}  "
                        f"评估日 {row['as_of']}  规则包 {row['rules_digest'][:12]}  第 {row['run']} 次匹配"))
    click.echo(text(f"共 {len(rows)} 条"))


@match.command("why")
@click.argument("ref", metavar="ID")
@click.argument("rule_id", metavar="RULE")
@db_option
@FORMAT
@click.pass_obj
@register_errors
def why(state: State, ref: str, rule_id: str, db: str | None, fmt: str) -> None:
    """Why ID's current decision on RULE was made: each check, from the fact versions the decision read."""
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.matching.store import why as explain
    from guangxi_subsidy.engine.register.database import open_register

    with Session(open_register(db)) as session:
        found = explain(session, state.engine, ref, rule_id)
    if fmt == "json":
        click.echo(json_text({"schema": "subsidy-match-why/1", "decision": found.decision, "facts": found.facts,
                              "awards": found.awards, "outcome": found.outcome}))
        return
    from guangxi_subsidy.engine.applicant.fields import field_labels

    labels = field_labels()
    decision = found.decision
    click.echo(text(f"{ref}：{found.outcome['name']}（{rule_id}），{STATUS.get(decision['status'], '')}，"
                       f"评估日 {decision['as_of']}，规则包 {decision['rules_digest'][:12]}"))
    for check in found.outcome.get("checks", []):
        values = "，".join(f"{labels.get(k, k)} = {'未知' if v is None else v}" for k, v in check["values"].items())
        click.echo(text(f"  {'✓' if check['held'] else '✗'} {check['says'] or check['text']}（{values}）"))
    click.echo(text("所用资料（字段：记录编号、版本、来源类别）："))
    for name, fact in found.facts.items():
        kind = {"department": "部门数据", "file": "上传文件", "declaration": "自行申报", "officer": "工作人员录入"}.get(
            fact["source_kind"], fact["source_kind"])
        click.echo(text(f"  {labels.get(name, name)}：记录 #{fact['fact']}，第 {fact['version']} 版，{kind}"))
    if not found.outcome["same_pack"]:
        click.echo(text("⚠ 当前规则包与作出该决定时的规则包不同：以上为当前规则包对同一资料的判断"))


@match.command("inbox")
@click.argument("ref", metavar="ID", required=False)
@click.option("--run", "run", type=int, help="Only the pushes of this run.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write them to a file: .xlsx, .csv or .jsonl.")
@db_option
@FORMAT
@register_errors
def inbox(ref: str | None, run: int | None, output: Path | None, db: str | None, fmt: str) -> None:
    """The pushes kept in an applicant's inbox (or every applicant's, or one run's), oldest first."""
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.matching.store import inbox as query
    from guangxi_subsidy.engine.register.database import open_register

    with Session(open_register(db)) as session:
        rows = query(session, ref, run)
    if output is not None:
        _write(rows, output)
    if fmt == "json":
        click.echo(json_text({"schema": "subsidy-match-inbox/1", "pushes": rows}))
        return
    for row in rows:
        click.echo(text(f"{row['created_at'][:10]}  {row['id']}：{row['text']}"))
    click.echo(text(f"共 {len(rows)} 条"))


def _office() -> None:
    from .match_office import COMMANDS

    for command in COMMANDS:
        match.add_command(command)


_office()
