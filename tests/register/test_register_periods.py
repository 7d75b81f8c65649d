"""Periods as people write them: a year, a quarter, a month, a range; anything else refused saying what is read."""

from __future__ import annotations

import datetime as dt

import pytest

from guangxi_subsidy.engine.register.periods import Period, PeriodError, parse_period


@pytest.mark.parametrize(("text", "start", "end", "shown"), [
    ("2017", "2017-01-01", "2017-12-31", "2017"),
    ("2017年", "2017-01-01", "2017-12-31", "2017"),
    ("2017Q2", "2017-04-01", "2017-06-30", "2017Q2"),
    ("2017年第4季度", "2017-10-01", "2017-12-31", "2017Q4"),
    ("2016-02", "2016-02-01", "2016-02-29", "2016-02"),  # a leap year's February
    ("2017-03-15..2017-06-30", "2017-03-15", "2017-06-30", "2017-03-15..2017-06-30"),
])
def test_a_period_is_read_and_written_back_the_same_way(text: str, start: str, end: str, shown: str) -> None:
    period = parse_period(text)
    assert period == Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    assert str(period) == shown
    assert parse_period(shown) == period


def test_no_period_is_a_standing_fact_that_covers_every_day() -> None:
    assert parse_period(None).standing and parse_period("  ").standing
    assert parse_period(None).covers(dt.date(1990, 1, 1))


@pytest.mark.parametrize("text", ["2017Q5", "2017-13", "17", "2017-06-30..2017-01-01", "last year"])
def test_a_period_that_cannot_be_read_is_refused_naming_the_spellings_read(text: str) -> None:
    with pytest.raises(PeriodError, match="expected a year"):
        parse_period(text)
