"""`subsidy register award / awards / correct / link / forget`: what an officer records by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import click
from rich.console import Console
from rich.table import Table

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.jsontext import json_text
from guangxi_subsidy.engine.plaintext import text

from .register_common import DATE, by_default, db_option, register_errors


def _amount(value: str, option: str) -> Decimal:
    from guangxi_subsidy.engine.applicant import values
    from guangxi_subsidy.engine.register.database import RegisterError

    try:
        amount = values.money(value)
    except ValueError:
        raise RegisterError(_("{0} '{1}': not an amount of yuan").format(option, value)) from None
    if not isinstance(amount, Decimal) or amount != amount.quantize(Decimal("0.01")):
        raise RegisterError(_("{0} '{1}': not an amount of yuan").format(option, value))
    return amount.quantize(Decimal("0.01"))


@click.command("award")
@click.argument("applicant_id")
@click.option("--rule", "rule_id", required=True, help="The rule the award was made under (`subsidy rules list`).")
@click.option("--period", required=True, help="The period the award covers: 2017, 2017Q2, 2017-03 or a range.")
@click.option("--amount", required=True, help="The amount awarded, yuan (550000, 55万).")
@click.option("--decided", required=True, type=DATE, help="The decision's date (YYYY-MM-DD).")
@click.option("--reference", required=True, help="The decision's reference (文号).")
@click.option("--status", type=click.Choice(["proposed", "approved", "paid", "revoked"]), default="approved",
              show_default=True, help="Where the award stands.")
@click.option("--programme", help="The programme or batch it belongs to (for people).")
@click.option("--quota", help="For an interest subsidy: the loan quota the award used, yuan.")
@click.option("--by", "recorded_by", help="Who records it (default: SUBSIDY_USER, else the login name).")
@db_option
@register_errors
def award(applicant_id: str, rule_id: str, period: str, amount: str, decided: dt.datetime, reference: str,
          status: str, programme: str | None, quota: str | None, recorded_by: str | None, db: str | None) -> None:
    """Add an award to the awards ledger of APPLICANT_ID."""
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.register.applicants import find
    from guangxi_subsidy.engine.register.database import RegisterError, open_register
    from guangxi_subsidy.engine.register.facts import now
    from guangxi_subsidy.engine.register.ledger import NewAward, record_award
    from guangxi_subsidy.engine.register.periods import parse_period
    from guangxi_subsidy.engine.rules.pack import load_pack

    if rule_id not in load_pack().rules:
        raise RegisterError(_("--rule '{0}': no such rule (`subsidy rules list`)").format(rule_id))
    new = NewAward(rule_id, parse_period(period), _amount(amount, "--amount"), decided.date(), reference, status,
                   programme, None if quota is None else _amount(quota, "--quota"))
    with Session(open_register(db)) as session, session.begin():
        row = record_award(session, find(session, applicant_id), new, recorded_by or by_default(), now())
        click.echo(_("award {0} recorded: {1} {2} yuan ({3})").format(row.pk, new.period, new.amount, status))


@click.command("awards")
@click.argument("applicant_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@db_option
@register_errors
def awards(applicant_id: str, fmt: str, db: str | None) -> None:
    """The awards ledger of APPLICANT_ID: rule, period, amount, decision, reference, status."""
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.register.applicants import find
    from guangxi_subsidy.engine.register.database import open_register
    from guangxi_subsidy.engine.register.ledger import awards_of

    with Session(open_register(db)) as session:
        found = awards_of(session, find(session, applicant_id))
    if fmt == "json":
        click.echo(json_text({"schema": "subsidy-register-awards/1", "id": applicant_id,
                              "awards": [a.as_json() for a in found]}))
        return
    table = Table(title=text(_("awards of {0}").format(applicant_id)))
    for heading in (_("rule"), _("period"), _("amount (yuan)"), _("decided"), _("reference"), _("status")):
        table.add_column(heading)
    for item in found:
        table.add_row(text(item.programme or item.rule_id), str(item.period), str(item.amount),
                      item.decision_date.isoformat(), text(item.reference), _(item.status))
    Console(highlight=False).print(table)


@click.command("correct")
@click.argument("applicant_id")
@click.argument("field")
@click.argument("value")
@click.option("--reason", required=True, help="Why the value is entered or corrected (kept with it).")
@click.option("--period", help="The period the value describes (as for import). Default: none (a standing fact).")
@click.option("--source", help="Where the value comes from (default: the officer).")
@click.option("--by", "recorded_by", help="Who records it (default: SUBSIDY_USER, else the login name).")
@db_option
@register_errors
def correct(applicant_id: str, field: str, value: str, reason: str, period: str | None, source: str | None,
            recorded_by: str | None, db: str | None) -> None:
    """Enter or correct one FIELD of APPLICANT_ID: a new version with its reason, the old one kept."""
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.register.corrections import correct as record_correction
    from guangxi_subsidy.engine.register.database import open_register
    from guangxi_subsidy.engine.register.facts import Source, now
    from guangxi_subsidy.engine.register.periods import parse_period

    who = recorded_by or by_default()
    origin = Source("officer", source or who, who)
    with Session(open_register(db)) as session, session.begin():
        counts = record_correction(session, applicant_id, field, value, parse_period(period), reason, origin, now())
    click.echo(_("unchanged: the register already holds this value") if counts.unchanged
               else _("recorded as a new version"))


@click.command("link")
@click.argument("firm_id")
@click.option("--base", "base_id", required=True, help="The incubation base the firm sits in (its id).")
@db_option
@register_errors
def link(firm_id: str, base_id: str, db: str | None) -> None:
    """Link an incubated firm FIRM_ID to its base."""
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.register.applicants import link_base
    from guangxi_subsidy.engine.register.database import open_register

    with Session(open_register(db)) as session, session.begin():
        link_base(session, firm_id, base_id)
    click.echo(_("{0} linked to the base {1}").format(firm_id, base_id))


@click.command("forget")
@click.argument("applicant_id")
@click.option("--yes", is_flag=True, help="Do it without asking (the personal data cannot be brought back).")
@db_option
@register_errors
def forget(applicant_id: str, yes: bool, db: str | None) -> None:
    """Erase an individual's personal data (PIPL); the awards are kept, anonymised, for the budget."""
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.register.database import open_register
    from guangxi_subsidy.engine.register.facts import now
    from guangxi_subsidy.engine.register.privacy import forget as erase

    if not yes:
        click.confirm(_("Erase the personal data of {0}? It cannot be brought back.").format(applicant_id),
                      abort=True)
    with Session(open_register(db)) as session, session.begin():
        done = erase(session, applicant_id, now())
    click.echo(_("{0}: {1} personal facts erased; {2} awards kept as {3}").format(
        applicant_id, done.facts_erased, done.awards_kept, done.anonymous_id))
