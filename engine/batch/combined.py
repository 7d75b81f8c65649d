"""Combinations in columns: `Engine.evaluate`'s `settle` over a whole batch's outcomes at once.

The columnar plan decides each rule on its own, one frame of rows per rule. A paying group (rules/combining.py)
then takes its rules' eligible rows, finds the applicants for whom two or more are eligible, and marks every one
but the rule paid `not_combined`, as the reference engine does: the group's order decides, or for 就高 the amount
(`outcome.worth`: an exact or estimated value, a range's maximum; an amount not known ranks below a known one;
ties to the first in order). Only frames with such rows are touched; a batch where no two rules of a group are
eligible together costs one filter per rule of each group.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from guangxi_subsidy.engine.evaluation.outcome import AmountKind, Status
from guangxi_subsidy.engine.rules.combining import Group

INDEX = "index"  # (columnar.INDEX: the applicant's position in the batch)
ORDER, WORTH = "__order", "__worth"


def settle(found: list[pl.DataFrame], groups: Sequence[Group], numbers: dict[str, int],
           extra: Sequence[Sequence[pl.Expr]] | None = None) -> list[pl.DataFrame]:
    """The rules' frames with each group settled; `extra` (per rule) is computed again on a frame that changed,
    as it reads the status."""
    for group in groups:
        members = [numbers[r] for r in group.order if r in numbers]
        eligible = [found[m].filter(pl.col("status") == Status.ELIGIBLE.value).select(
            pl.col(INDEX), pl.lit(place, dtype=pl.Int32).alias(ORDER), _worth().alias(WORTH))
            for place, m in enumerate(members)]
        if sum(1 for frame in eligible if frame.height) < 2:
            continue
        together = pl.concat(eligible).filter(pl.len().over(INDEX) > 1)
        if not together.height:
            continue
        ranked = (together.sort([WORTH, ORDER], descending=[True, False], nulls_last=True)
                  if group.choose == "higher" else together.sort(ORDER))
        losers = ranked.with_columns(
            pl.col(ORDER).first().over(INDEX).alias("__paid")).filter(pl.col(ORDER) != pl.col("__paid"))
        for place, number in enumerate(members):
            out = losers.filter(pl.col(ORDER) == place).get_column(INDEX)
            if not out.len():
                continue
            frame = found[number].with_columns(
                pl.when(pl.col(INDEX).is_in(out.implode())).then(pl.lit(Status.NOT_COMBINED.value))
                .otherwise(pl.col("status")).cast(found[number].schema["status"]).alias("status"))
            found[number] = frame.with_columns(extra[number]) if extra else frame
    return found


def _worth() -> pl.Expr:
    kind = pl.col("kind")
    return (pl.when(kind.is_in([AmountKind.EXACT.value, AmountKind.ESTIMATE.value])).then(pl.col("value"))
            .when(kind == AmountKind.RANGE.value).then(pl.col("max")).otherwise(None))
