"""`subsidy users …`: the office's accounts and API tokens, and the access log's retention.

Every subcommand takes `--db` (else SUBSIDY_DB). Bad input (a role that does not exist, a scope the role does not
understand, a password too short, an unknown account) exits 2 with the reason. A password is asked for without
echo, or read from SUBSIDY_NEW_PASSWORD (for scripts); it never appears on the command line.
"""

from __future__ import annotations

import click

from .register_common import db_option, register_errors

ROLE_CHOICES = ("enterprise", "incubator", "officer", "reviewer", "auditor", "administrator")
SCOPE_HELP = ("enterprise, incubator: its unified social credit code; officer, reviewer, auditor: region or a city "
              "code (nanning, wuzhou …); administrator: none")


def _session(db: str | None):  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.register.database import open_register

    return Session(open_register(db))


def _now():  # type: ignore[no-untyped-def]
    from guangxi_subsidy.engine.web.office_common import now

    return now()


@click.group()
def users() -> None:
    """The office's accounts: add, disable, change a role; API tokens for systems; the access log's retention.

    \b
    Examples:
      subsidy users add wz-jb01 --role officer --scope wuzhou
      subsidy users role wz-jb01 --role reviewer --scope wuzhou
      subsidy users disable wz-jb01
      subsidy users token 财政系统 --role reviewer --scope region
      subsidy users retention 1095
    """


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLE_CHOICES), required=True)
@click.option("--scope", default="", help=SCOPE_HELP)
@click.option("--password", prompt="密码", hide_input=True, confirmation_prompt="再次输入密码",
              envvar="SUBSIDY_NEW_PASSWORD", help="(asked for when not given; at least 12 characters)")
@db_option
@register_errors
def add(name: str, role: str, scope: str, password: str, db: str | None) -> None:
    """Add an account."""
    from guangxi_subsidy.engine.accounts import users as accounts

    with _session(db) as session, session.begin():
        user = accounts.add(session, name, password, role, scope, _now())
        click.echo(f"已添加账号 {user.name}：{role} {user.scope}".rstrip())


@users.command("disable")
@click.argument("name")
@db_option
@register_errors
def disable(name: str, db: str | None) -> None:
    """Disable an account (its sessions end at once)."""
    from guangxi_subsidy.engine.accounts import users as accounts

    with _session(db) as session, session.begin():
        accounts.disable(session, name)
        click.echo(f"已停用账号 {name}")


@users.command("role")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLE_CHOICES), required=True)
@click.option("--scope", default="", help=SCOPE_HELP)
@db_option
@register_errors
def role(name: str, role: str, scope: str, db: str | None) -> None:
    """Change an account's role and scope (its sessions end at once)."""
    from guangxi_subsidy.engine.accounts import users as accounts

    with _session(db) as session, session.begin():
        user = accounts.set_role(session, name, role, scope)
        click.echo(f"账号 {user.name}：{role} {user.scope}".rstrip())


@users.command("token")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLE_CHOICES[:-1]), required=True)
@click.option("--scope", default="", help=SCOPE_HELP)
@db_option
@register_errors
def token(name: str, role: str, scope: str, db: str | None) -> None:
    """Issue an API token for a system (shown this once only)."""
    from guangxi_subsidy.engine.accounts import users as accounts

    with _session(db) as session, session.begin():
        click.echo(accounts.issue_token(session, name, role, scope, _now()))


@users.command("retention")
@click.argument("days", type=click.IntRange(min=1))
@db_option
@register_errors
def retention(days: int, db: str | None) -> None:
    """Set how many days the access log keeps, and remove older entries."""
    from guangxi_subsidy.engine.accounts import accesslog
    from guangxi_subsidy.engine.accounts import users as accounts

    with _session(db) as session, session.begin():
        accounts.set_retention(session, days)
        gone = accesslog.purge(session, _now())
        click.echo(f"访问记录保留 {days} 天；已删除更早的记录 {gone} 条")
