"""Working days on China's official calendar (public holidays and the adjusted working days, 调休), from the
`chinese_calendar` package, which follows the State Council's yearly notice; a year it does not cover yet is
refused by name rather than guessed."""

from __future__ import annotations

import datetime as dt

import chinese_calendar

from guangxi_subsidy.engine.register.database import RegisterError


class CalendarError(RegisterError):
    """A date beyond the years the official calendar is known for."""


def last_year() -> int:
    """The last year whose official holidays and adjusted working days the calendar holds."""
    return max(day.year for day in chinese_calendar.holidays)


def is_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise CalendarError(
            f"{day.isoformat()}：工作日历尚未收录 {day.year} 年的国务院节假日和调休安排（chinese_calendar 只覆盖到 "
            f"{last_year()} 年），无法按工作日推算。办理人可用 --deadline 日期 直接写明支付期限（如 "
            f"--deadline {day.year}-01-29），或在 {day.year} 年安排公布、chinese_calendar 更新后再办理") from None


def add_workdays(start: dt.date, count: int) -> dt.date:
    """The `count`-th working day after `start` (the day itself not counted)."""
    day, left = start, count
    while left > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if end < start:
        return -workdays_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if is_workday(start + dt.timedelta(days=n)))
