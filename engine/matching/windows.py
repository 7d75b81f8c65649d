"""Application windows (申报时间): the dates an office announces for applying to an item, and where a case stands
against them, counted in official working days (a window that closes on a holiday closes then all the same:
the office's announcement gives the date)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.matching.office_tables import ApplicationWindow
from guangxi_subsidy.engine.matching.workdays import CalendarError, workdays_between
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.rules.pack import RulePack


def set_window(session: Session, pack: RulePack, rule_id: str, opens: dt.date, closes: dt.date, by: str,
               when: dt.datetime) -> None:
    if rule_id not in pack.rules:
        raise RegisterError(f"规则 {rule_id} 不在当前规则包中")
    if closes < opens:
        raise RegisterError(f"申报截止日 {closes.isoformat()} 早于开始日 {opens.isoformat()}")
    session.add(ApplicationWindow(rule_id=rule_id, opens=opens, closes=closes, set_at=when, set_by=by))
    session.flush()


def windows(session: Session) -> dict[str, tuple[dt.date, dt.date]]:
    """Each item's window now (its latest setting)."""
    return {row.rule_id: (row.opens, row.closes)
            for row in session.scalars(select(ApplicationWindow).order_by(ApplicationWindow.pk))}


def standing(window: tuple[dt.date, dt.date] | None, today: dt.date) -> dict[str, Any] | None:
    """Where `today` stands in the window: not yet open, open (working days left), or closed."""
    if window is None:
        return None
    opens, closes = window
    state = "not_open" if today < opens else "closed" if today > closes else "open"
    try:
        left: int | None = workdays_between(today, closes) if state != "closed" else 0
    except CalendarError:  # a window closing in a year the official calendar does not cover yet: not counted
        left = None
    return {"opens": opens.isoformat(), "closes": closes.isoformat(), "state": state, "workdays_left": left}
