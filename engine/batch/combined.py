"""Combinations in columns: `Engine.evaluate`'s `settle` over a whole batch's outcomes at once.

The columnar plan decides each rule on its own, one frame of rows per rule. A paying group (rules/combining.py)
then takes its rules' eligible rows, finds the applicants for whom two or more are eligible, and marks every one
but the rule paid `not_combined`, as the reference engine does: the group's order decides, or for 就高 the amount
(`outcome.worth`: an exact or estimated value, a range's maximum; an amount not known ranks below a known one;
ties to the first in order). Only frames with such rows are touched.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from guangxi_subsidy.engine.evaluation.outcome import SHOWN, AmountKind, Status
from guangxi_subsidy.engine.rules.combining import Group

INDEX = "index"  # (columnar.INDEX: the applicant's position in the batch)
ELIGIBLE = SHOWN.index(Status.ELIGIBLE)  # its number in the outcome frames' Enum (columnar.STATUSES)
ORDER, WORTH = "__order", "__worth"


def settle(found: list[pl.DataFrame], groups: Sequence[Group], numbers: dict[str, int],
           extra: Sequence[Sequence[pl.Expr]] | None = None) -> list[pl.DataFrame]:
    """The rules' frames with each group settled; `extra` (per rule) is computed again on a frame that changed,
    as it reads the status. The applicants two rules of a group hold for are found with numpy first: most
    batches have none, and a frame operation costs a batch more than a whole group's arrays do."""
    for group in groups:
        members = [numbers[r] for r in group.order if r in numbers]
        eligible = [_eligible(found[m]) for m in members]
        if sum(1 for e in eligible if e.size) < 2:
            continue
        values, counts = np.unique(np.concatenate(eligible), return_counts=True)  # (once per rule each)
        together = values[counts > 1]
        if not together.size:
            continue
        if group.choose == "higher":
            _settle(found, group, members, together, extra)
            continue
        for place, number in enumerate(members):  # by order: not paid where a rule before it is eligible
            if place and eligible[place].size:
                out = eligible[place][np.isin(eligible[place], np.concatenate(eligible[:place]))]
                if out.size:
                    _mark(found, number, pl.Series(INDEX, out), extra)
    return found


def _mark(found: list[pl.DataFrame], number: int, out: pl.Series,
          extra: Sequence[Sequence[pl.Expr]] | None) -> None:
    """The rule's eligible rows for the applicants `out` marked not combined."""
    frame = found[number].with_columns(
        pl.when(pl.col(INDEX).is_in(out.cast(pl.UInt32).implode()) & (pl.col("status") == Status.ELIGIBLE.value))
        .then(pl.lit(Status.NOT_COMBINED.value)).otherwise(pl.col("status"))
        .cast(found[number].schema["status"]).alias("status"))
    found[number] = frame.with_columns(extra[number]) if extra else frame


def _eligible(frame: pl.DataFrame) -> np.ndarray:
    """The applicants (INDEX) for whom the rule's frame says eligible."""
    if not frame.height:
        return np.empty(0, dtype=np.int64)
    status = frame.get_column("status").to_physical().to_numpy()
    return frame.get_column(INDEX).to_numpy()[status == ELIGIBLE].astype(np.int64)


def _settle(found: list[pl.DataFrame], group: Group, members: list[int], together: np.ndarray,
            extra: Sequence[Sequence[pl.Expr]] | None) -> None:
    """就高 by frames: `together`, the applicants two or more of the group's rules are eligible for, ranked by
    what each amount pays."""
    chosen = pl.Series(INDEX, together).cast(pl.UInt32).implode()
    frames = [found[m].filter((pl.col("status") == Status.ELIGIBLE.value) & pl.col(INDEX).is_in(chosen)).select(
        pl.col(INDEX), pl.lit(place, dtype=pl.Int32).alias(ORDER), _worth().alias(WORTH))
        for place, m in enumerate(members)]
    rows = pl.concat(frames)
    ranked = (rows.sort([WORTH, ORDER], descending=[True, False], nulls_last=True)
              if group.choose == "higher" else rows.sort(ORDER))
    losers = ranked.with_columns(pl.col(ORDER).first().over(INDEX).alias("__paid")).filter(
        pl.col(ORDER) != pl.col("__paid"))
    for place, number in enumerate(members):
        out = losers.filter(pl.col(ORDER) == place).get_column(INDEX)
        if out.len():
            _mark(found, number, out, extra)


def _worth() -> pl.Expr:
    kind = pl.col("kind")
    return (pl.when(kind.is_in([AmountKind.EXACT.value, AmountKind.ESTIMATE.value])).then(pl.col("value"))
            .when(kind == AmountKind.RANGE.value).then(pl.col("max")).otherwise(None))
