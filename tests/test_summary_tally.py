"""The summary's counts and sums per rule, status and kind of amount, added up by the compiled pass
(engine/kernels/tally.c), are the ones polars' group-by gives, and stay exact beyond 64 bits."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import polars as pl
import pytest

from guangxi_subsidy.engine import native
from guangxi_subsidy.engine.batch import summary
from guangxi_subsidy.engine.batch.columnar import AMOUNT_KIND, RULE, STATUS
from guangxi_subsidy.engine.evaluation.outcome import AmountKind, Status

RULES = 7
KIND = pl.col("kind").to_physical().cast(pl.UInt32).fill_null(summary._NO_KIND)
KEY = pl.col(RULE).cast(pl.UInt32) * 256 + pl.col("status").to_physical().cast(pl.UInt32) * 16 + KIND


def _outcomes(rows: int, seed: int, figure: Any) -> pl.DataFrame:
    pick = random.Random(seed)
    kinds, statuses = [*AMOUNT_KIND.categories, None], list(STATUS.categories)
    return pl.DataFrame({
        RULE: pl.Series([pick.randrange(RULES) for _ in range(rows)], dtype=pl.UInt16),
        "status": pl.Series([pick.choice(statuses) for _ in range(rows)], dtype=STATUS),
        "kind": pl.Series([pick.choice(kinds) for _ in range(rows)], dtype=AMOUNT_KIND),
        **{name: pl.Series([pick.choice([None, figure(pick)]) for _ in range(rows)], dtype=pl.Int128)
           for name in ("value", "min", "max")}})


@pytest.mark.parametrize("seed", [1, 2])
def test_the_compiled_tally_gives_each_group_what_polars_group_by_gives(seed: int) -> None:
    assert native.AVAILABLE
    outcomes = _outcomes(3000, seed, lambda pick: pick.randrange(-10**9, 10**15))
    grouped = outcomes.group_by(KEY.alias("key")).agg(
        pl.len(), pl.col("value").count().alias("given"), *[pl.col(n).sum() for n in ("value", "min", "max")])
    expected = sorted((key, rows, given, int(value or 0), int(low or 0), int(high or 0))
                      for key, rows, given, value, low, high in grouped.iter_rows())
    tallied = summary._tallied(outcomes, KEY, 256 * RULES)
    assert tallied is not None and sorted(tallied) == expected


def test_amounts_beyond_64_bits_are_added_up_exactly() -> None:
    # two eligible exact amounts of 2**70 fen under rule 0, one of 1 fen: 2**71 + 1 fen
    outcomes = pl.DataFrame({
        RULE: pl.Series([0, 0, 0], dtype=pl.UInt16),
        "status": pl.Series([Status.ELIGIBLE.value] * 3, dtype=STATUS),
        "kind": pl.Series([AmountKind.EXACT.value] * 3, dtype=AMOUNT_KIND),
        **{name: pl.Series([2**70, 2**70, 1], dtype=pl.Int128) for name in ("value", "min", "max")}})
    assert summary._tallied(outcomes, KEY, 256 * RULES) is None  # (left to polars' group-by)
    counted = summary.Summary(rules=[None] * RULES)  # type: ignore[list-item]
    counted.add(SimpleNamespace(every=outcomes, evaluated=3, rejected=0), 3, 0)  # type: ignore[arg-type]
    assert counted.per_rule[0]["amount"] == 2**71 + 1 and counted.per_rule[0]["quantified"] == 3
