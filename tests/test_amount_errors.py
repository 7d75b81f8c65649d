"""An applicant whose amount cannot be computed (a figure past Decimal's 50 digits) is rejected with the rule named, and
the batch goes on in the same pass: the other applicants are decided once, as they would be without it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from guangxi_subsidy.engine.batch import columnar
from guangxi_subsidy.engine.batch.evaluator import Evaluator
from guangxi_subsidy.engine.rules.pack import load_pack

# One rule whose amount is the rent × the years received × a rate of 33 digits: past Decimal's 50 digits for a
# rent of 18 digits and years of 2.
RULES = """
schema: subsidy-rules/1
document:
  file: 002_b0a6d818020c8865.txt
  title: test document
  short: test
  issuer: test
  jurisdiction: nanning
  status: in_force
  effective: {from: 2016-06-13}
rules:
  - id: test.rate
    name: 测试费率
    beneficiary: [incubation_base]
    benefit: cash_subsidy
    source: {clause: "2", quote: 补贴标准按照每个基地每年实际缴纳的房租和宽带接入费的70%给予补助}
    conditions:
      - {id: paid, when: rent_and_broadband_paid >= 0}
    amount:
      kind: formula
      formula: rent_and_broadband_paid * rent_subsidy_years_received * 1.23456789012345678901234567890123
"""

CELLS = pl.DataFrame({
    "id": ["a", "b", "c", "d"], "kind": ["incubation_base"] * 4, "city": ["南宁"] * 4,
    "rent_and_broadband_paid": ["2", "9999999999999999.99", "3", "8888888888888888.81"],
    "rent_subsidy_years_received": ["1", "99", "2", "77"],
})


@pytest.fixture
def evaluator(tmp_path: Path) -> Evaluator:
    rules = tmp_path / "rate.yaml"
    rules.write_text(RULES, encoding="utf-8")
    ours = Evaluator(load_pack([rules]), as_of=dt.date(2017, 1, 1))
    assert ours.plan.amounts["test.rate"] is None  # (computed row by row, in Decimal)
    return ours


@pytest.mark.parametrize("engine", ["columnar", "reference"])
def test_an_amount_past_fifty_digits_rejects_that_applicant_and_decides_the_others(
        tmp_path: Path, engine: str) -> None:
    rules = tmp_path / "rate.yaml"
    rules.write_text(RULES, encoding="utf-8")
    result = Evaluator(load_pack([rules]), as_of=dt.date(2017, 1, 1), engine=engine).evaluate(CELLS)
    # b and d: 18 digits × 2 × 33 make 52 or 53, past the 50 the arithmetic keeps exactly
    assert result.errors["id"].to_list() == ["b", "d"]
    assert result.errors["row"].to_list() == [3, 5]
    assert all("test.rate" in reason for reason in result.errors["reason"])
    # a: 2 × 1 × 1.2345678… = 2.469… → 2.47; c: 3 × 2 × 1.2345678… = 7.4074… → 7.41
    decided = result.benefits.filter(pl.col("rule_id") == "test.rate")
    assert decided["id"].to_list() == ["a", "c"]
    assert decided["value"].to_list() == [Decimal("2.47"), Decimal("7.41")]
    assert result.results["id"].to_list() == ["a", "c"]
    assert result.results["grants"].to_list() == [Decimal("2.47"), Decimal("7.41")]


def test_the_batch_is_not_run_again_for_an_applicant_whose_amount_fails(evaluator: Evaluator,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    compute = columnar.compute

    def counted(*arguments: Any, **named: Any) -> Any:
        calls.append(arguments)
        return compute(*arguments, **named)

    monkeypatch.setattr(columnar, "compute", counted)
    result = evaluator.evaluate(CELLS)
    assert result.errors.height == 2
    assert len(calls) == CELLS.height  # each applicant's amount computed once: none decided a second time
