"""The period a fact describes: a year (`2017`), a quarter (`2017Q2`), a month (`2017-03`), a day range, or
none (a standing fact: a recognition, a city). Written back the same way for people and files."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from guangxi_subsidy.engine.i18n import _

_YEAR = re.compile(r"^(\d{4})年?$")
_QUARTER = re.compile(r"^(\d{4})\s*[-年]?\s*(?:Q|q|第)([1-4])(?:季度?)?$")
_MONTH = re.compile(r"^(\d{4})[-/年](\d{1,2})月?$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|~|至)\s*(\d{4}-\d{2}-\d{2})$")


class PeriodError(ValueError):
    """A period that cannot be read: names the text and the spellings understood."""


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def standing(self) -> bool:
        return self.start is None

    def covers(self, day: dt.date) -> bool:
        if self.start is None or self.end is None:
            return self.start is None
        return self.start <= day <= self.end

    def years(self) -> list[int]:
        """The calendar years the period touches (an award for 2017 covers 2017)."""
        if self.start is None or self.end is None:
            return []
        return list(range(self.start.year, self.end.year + 1))

    def __str__(self) -> str:
        if self.start is None or self.end is None:
            return ""
        s, e = self.start, self.end
        if s == dt.date(s.year, 1, 1) and e == dt.date(s.year, 12, 31):
            return str(s.year)
        if s.day == 1 and s.month % 3 == 1 and s.year == e.year and e == _month_end(s.year, s.month + 2):
            return f"{s.year}Q{(s.month - 1) // 3 + 1}"
        if s.day == 1 and e == _month_end(s.year, s.month):
            return f"{s.year}-{s.month:02d}"
        return f"{s.isoformat()}..{e.isoformat()}"


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def parse_period(text: str | None) -> Period:
    """`2017`, `2017Q2`, `2017-03`, `2017-01-01..2017-06-30`, or nothing (a standing fact)."""
    if text is None or not str(text).strip():
        return Period()
    value = str(text).strip()
    try:
        if found := _YEAR.match(value):
            year = int(found[1])
            return Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
        if found := _QUARTER.match(value):
            year, quarter = int(found[1]), int(found[2])
            return Period(dt.date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter))
        if found := _MONTH.match(value):
            year, month = int(found[1]), int(found[2])
            return Period(dt.date(year, month, 1), _month_end(year, month))
        if found := _RANGE.match(value):
            start, end = dt.date.fromisoformat(found[1]), dt.date.fromisoformat(found[2])
            if start <= end:
                return Period(start, end)
    except ValueError:
        pass
    raise PeriodError(_("period '{0}': expected a year (2017), a quarter (2017Q2), a month (2017-03) or a range "
                        "(2017-01-01..2017-06-30)").format(value))
