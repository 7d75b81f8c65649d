"""`subsidy match payable|cases|confirm|pay|payments|budget|application`: the office's side of 免申即享 and 快申快享.

Each takes `--db` and `--format table|json`; who records is `--by` (else SUBSIDY_USER, else the login name).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from guangxi_subsidy.engine.jsontext import json_text
from guangxi_subsidy.engine.plaintext import text

from .common import State
from .register_common import DATE, by_default, db_option, register_errors

FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
                      help="table: for people (Chinese); json: for programs.")
BY = click.option("--by", "by", default=None, help="Who records it. Default: SUBSIDY_USER, else the login name.")
STATUS = {"listed": "待确认", "confirmed": "已确认待支付", "declined": "已谢绝", "paid": "已支付"}


def _session(db: str | None) -> Any:
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.register.database import open_register

    return Session(open_register(db))


def _say(fmt: str, data: dict[str, Any], line: str) -> None:
    """What a command did: its line for people, or its JSON (`subsidy-match-office/1`) for programs."""
    click.echo(json_text({"schema": "subsidy-match-office/1", **data}) if fmt == "json" else text(line))


def _now() -> dt.datetime:
    from guangxi_subsidy.engine.register.facts import now

    return now()


@click.command("payable")
@click.argument("rule_id", metavar="RULE")
@click.option("--reason", default="", help="Why the office pays it without application (kept with the pack's digest).")
@click.option("--withdraw", is_flag=True, help="No longer pay it without application.")
@BY
@db_option
@FORMAT
@click.pass_obj
@register_errors
def payable(state: State, rule_id: str, reason: str, withdraw: bool, by: str | None, db: str | None,
            fmt: str) -> None:
    """Mark RULE as paid without application (免申即享), with its reason; or withdraw the mark."""
    from guangxi_subsidy.engine.matching.waivers import set_payable

    with _session(db) as session, session.begin():
        set_payable(session, state.pack, rule_id, reason, by or by_default(), _now(), not withdraw)
    done = "已取消免申即享" if withdraw else "已设为免申即享"
    _say(fmt, {"action": "payable", "rule_id": rule_id, "active": not withdraw, "reason": reason,
               "rules_digest": state.pack.digest}, f"{rule_id}：{done}（规则包 {state.pack.digest[:12]}）")


@click.command("cases")
@click.option("--status", type=click.Choice(list(STATUS)), help="Only the cases in this state.")
@click.option("--today", type=DATE, help="Count what is overdue on this day. Default: today.")
@db_option
@FORMAT
@register_errors
def cases(status: str | None, today: dt.datetime | None, db: str | None, fmt: str) -> None:
    """The 免申即享 lists: each case, its state, amount, department and payment deadline."""
    from guangxi_subsidy.engine.matching.payments import case_json
    from guangxi_subsidy.engine.matching.payments import cases as query

    day = today.date() if today else dt.date.today()
    with _session(db) as session:
        rows = [case_json(c, r, day) for c, r in query(session, (status,) if status else tuple(STATUS))]
    if fmt == "json":
        click.echo(json_text({"schema": "subsidy-match-cases/1", "cases": rows}))
        return
    for row in rows:
        late = f"，逾期 {row['overdue_workdays']} 个工作日" if row["overdue_workdays"] else ""
        late += "，申报期已过仍未确认" if row["answer_overdue"] else ""
        due = f"，支付期限 {row['pay_by']}" if row["pay_by"] else ""
        click.echo(text(f"{row['id']}  {row['rule_id']}  {STATUS[row['status']]}  {row['amount']} 元  "
                        f"{row['department']} {row['year']} 年{due}{late}"))
    click.echo(text(f"共 {len(rows)} 件"))


@click.command("confirm")
@click.argument("ref", metavar="ID")
@click.argument("rule_id", metavar="RULE")
@click.option("--decline", is_flag=True, help="The applicant declines (谢绝).")
@click.option("--pay-within", type=click.IntRange(min=1), default=15, show_default=True,
              help="The payment deadline, in official working days from the day of the answer.")
@click.option("--deadline", type=DATE, help="The payment deadline as a date, instead of --pay-within (for a "
              "year whose official holidays are not published yet).")
@click.option("--on", "on", type=DATE, help="The day the applicant answered. Default: today.")
@BY
@db_option
@FORMAT
@register_errors
def confirm(ref: str, rule_id: str, decline: bool, pay_within: int, deadline: dt.datetime | None,
            on: dt.datetime | None, by: str | None, db: str | None, fmt: str) -> None:
    """Record the applicant's answer (意愿确认) to a listed 免申即享 case."""
    from guangxi_subsidy.engine.matching.waivers import answer

    with _session(db) as session, session.begin():
        when = _now() if on is None else dt.datetime.combine(on.date(), _now().time())
        case = answer(session, ref, rule_id, not decline, by or by_default(), when, pay_within,
                      None if deadline is None else deadline.date())
        due = case.pay_by
    _say(fmt, {"action": "confirm", "id": ref, "rule_id": rule_id, "status": "declined" if decline else "confirmed",
               "pay_by": None if due is None else due.isoformat()},
         f"{ref}：{rule_id} 已谢绝" if decline else f"{ref}：{rule_id} 已确认，支付期限 {due}")


@click.command("pay")
@click.argument("ref", metavar="ID")
@click.argument("rule_id", metavar="RULE")
@click.option("--reference", required=True, help="The payment decision's number (文号).")
@click.option("--decided", type=DATE, help="The decision's date. Default: today.")
@BY
@db_option
@FORMAT
@register_errors
def pay(ref: str, rule_id: str, reference: str, decided: dt.datetime | None, by: str | None, db: str | None,
        fmt: str) -> None:
    """Pay a confirmed case: an award (paid) in the register's ledger, which the next match counts."""
    from guangxi_subsidy.engine.matching.payments import yuan
    from guangxi_subsidy.engine.matching.waivers import pay as record

    with _session(db) as session, session.begin():
        case = record(session, ref, rule_id, reference, decided.date() if decided else dt.date.today(),
                      by or by_default(), _now())
        amount = yuan(case.amount_fen)
    _say(fmt, {"action": "pay", "id": ref, "rule_id": rule_id, "amount": amount, "reference": reference},
         f"{ref}：{rule_id} 已支付 {amount} 元（{reference}），已记入奖补台账")


@click.command("payments")
@click.option("--today", type=DATE, help="Count what is overdue on this day. Default: today.")
@db_option
@FORMAT
@register_errors
def payments(today: dt.datetime | None, db: str | None, fmt: str) -> None:
    """The payment list: confirmed cases, what is overdue, and totals per department and year against budgets."""
    from guangxi_subsidy.engine.matching.payments import payment_list

    with _session(db) as session:
        found = payment_list(session, today.date() if today else dt.date.today())
    if fmt == "json":
        click.echo(json_text(found))
        return
    for row in found["cases"]:
        late = f"，逾期 {row['overdue_workdays']} 个工作日" if row["overdue_workdays"] else ""
        click.echo(text(f"{row['id']}  {row['rule_id']}  {row['amount']} 元  支付期限 {row['pay_by']}{late}"))
    for group in found["groups"]:
        budget = f"，预算 {group['budget']} 元" if group["budget"] else ""
        click.echo(text(f"{group['department']} {group['year']} 年：待付 {group['listed']} 元，已付 {group['paid']} 元"
                        f"{budget}"))
        if group["warning"]:
            click.echo(text(f"  ⚠ {group['warning']}"))


@click.command("budget")
@click.argument("department")
@click.argument("year", type=click.IntRange(2000, 2100))
@click.argument("amount")
@BY
@db_option
@FORMAT
@register_errors
def budget(department: str, year: int, amount: str, by: str | None, db: str | None, fmt: str) -> None:
    """Set what DEPARTMENT may pay in YEAR (AMOUNT in yuan, e.g. 500000 or 500000.00)."""
    from guangxi_subsidy.engine.matching.payments import set_budget
    from guangxi_subsidy.engine.money import to_fen

    try:
        fen = to_fen(Decimal(amount))
    except (InvalidOperation, ArithmeticError, ValueError):
        raise click.BadParameter(f"'{amount}'：应为以元计的金额，如 500000 或 500000.00", param_hint="AMOUNT") from None
    with _session(db) as session, session.begin():
        set_budget(session, department, year, fen, by or by_default(), _now())
    _say(fmt, {"action": "budget", "department": department, "year": year, "amount": f"{fen // 100}.{fen % 100:02d}"},
         f"{department} {year} 年预算：{amount} 元")


@click.command("application")
@click.argument("ref", metavar="ID")
@click.argument("rule_id", metavar="RULE")
@db_option
@FORMAT
@click.pass_obj
@register_errors
def application(state: State, ref: str, rule_id: str, db: str | None, fmt: str) -> None:
    """快申快享: ID's application for RULE prefilled from the register, and the evidence still needed."""
    from guangxi_subsidy.engine.matching.application import prefilled

    with _session(db) as session:
        found = prefilled(session, state.pack, ref, rule_id)
    if fmt == "json":
        click.echo(json_text(found))
        return
    click.echo(text(f"{found['name']}（{found['document']} {found['clause']}）  {found['amount']} 元"))
    for fact in found["facts_known"]:
        click.echo(text(f"  已知：{fact['label']} = {fact['value']}（{fact['source']}，第 {fact['version']} 版）"))
    for item in found["evidence_needed"]:
        click.echo(text(f"  需提交：{item}"))
    if found["without_application"]:
        click.echo(text("  本项可免申即享：无需提交申请，等待确认即可"))


@click.command("window")
@click.argument("rule_id", metavar="RULE")
@click.option("--opens", type=DATE, required=True, help="The first day applications are taken (YYYY-MM-DD).")
@click.option("--closes", type=DATE, required=True, help="The last day applications are taken (YYYY-MM-DD).")
@BY
@db_option
@FORMAT
@click.pass_obj
@register_errors
def window(state: State, rule_id: str, opens: dt.datetime, closes: dt.datetime, by: str | None,
           db: str | None, fmt: str) -> None:
    """Set RULE's application window (申报时间) as the office announces it."""
    from guangxi_subsidy.engine.matching.windows import set_window

    with _session(db) as session, session.begin():
        set_window(session, state.pack, rule_id, opens.date(), closes.date(), by or by_default(), _now())
    _say(fmt, {"action": "window", "rule_id": rule_id, "opens": opens.date().isoformat(),
               "closes": closes.date().isoformat()}, f"{rule_id}：申报时间 {opens.date()} 至 {closes.date()}")


COMMANDS = (payable, cases, confirm, pay, payments, budget, application, window)
