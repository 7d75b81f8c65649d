"""An amount whose lower bound already reaches its cap is the cap, exact, though a figure it adds is missing — in
the evaluator and the columnar batch alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from guangxi_subsidy.engine.batch.evaluator import Evaluator
from guangxi_subsidy.engine.rules.pack import load_pack

PACK = load_pack()
UTILITIES = "nanning.incubated_firm_utilities_subsidy"


@pytest.mark.parametrize("engine", ["columnar", "reference"])
def test_utilities_above_the_ceiling_settle_the_amount_without_the_site_rent(engine: str) -> None:
    cells = pl.DataFrame({"id": ["A", "B", "C"], "kind": ["enterprise"] * 3, "city": ["南宁"] * 3,
                          "in_incubation_base": ["是"] * 3, "has_site_lease": ["是"] * 3,
                          "utilities_months": ["3", "3", "3"], "utilities_paid": ["4200", "3900", "1500"]})
    result = Evaluator(PACK, as_of=dt.date(2017, 10, 10), engine=engine).evaluate(cells)
    rows = {r["id"]: r for r in result.benefits.filter(pl.col("rule_id") == UTILITIES).iter_rows(named=True)}
    # A: site (unknown, ≥ 0) + 4,200 ≥ 4,200 > 3 × 1,300 = 3,900 → 3,900, exact
    assert rows["A"]["amount_kind"] == "exact" and rows["A"]["value"] == Decimal("3900.00")
    # B: site + 3,900 ≥ 3,900 = the cap → 3,900, exact (the bound reaches the cap)
    assert rows["B"]["amount_kind"] == "exact" and rows["B"]["value"] == Decimal("3900.00")
    # C: site + 1,500 could be anything from 1,500 to 3,900: the site rent is missing
    assert rows["C"]["amount_kind"] == "incomplete" and rows["C"]["value"] is None
    assert result.results["grants"].to_list() == [Decimal("3900.00"), Decimal("3900.00"), Decimal("0.00")]
