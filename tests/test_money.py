"""One rounding rule: exact Decimal throughout, rounded once to the fen, half away from zero."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guangxi_subsidy.engine.applicant.values import money as parse_yuan
from guangxi_subsidy.engine.money import format_yuan, round_fen, to_fen


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("86419.746", "86419.75"), ("0.005", "0.01"), ("0.004999", "0.00"), ("2.675", "2.68"), ("14074.0734", "14074.07")],
)
def test_rounding_is_half_up_to_the_fen(amount: str, rounded: str) -> None:
    assert round_fen(Decimal(amount)) == Decimal(rounded)


def test_sub_fen_amounts_are_not_silently_converted_to_fen() -> None:
    assert to_fen(Decimal("1.23")) == 123
    with pytest.raises(ValueError, match="fen"):
        to_fen(Decimal("1.234"))


@pytest.mark.parametrize(("text", "value"), [("55万", "550000"), ("1,234.50", "1234.50"), ("1.5万元", "15000")])
def test_amounts_written_by_people_are_read_exactly(text: str, value: str) -> None:
    assert parse_yuan(text) == Decimal(value)


def test_an_amount_that_is_not_money_is_refused() -> None:
    with pytest.raises(ValueError, match="amount of money"):
        parse_yuan("lots")


def test_yuan_are_formatted_with_separators_and_two_decimals() -> None:
    assert format_yuan(Decimal("550000")) == "550,000.00"


def test_a_limit_that_is_not_whole_fen_is_rounded_down_so_it_is_never_exceeded() -> None:
    from guangxi_subsidy.engine.money import floor_fen

    assert floor_fen(Decimal("0.005")) == Decimal("0.00")
    assert floor_fen(Decimal("785714.289")) == Decimal("785714.28")
    assert floor_fen(Decimal("550000")) == Decimal("550000.00")
