"""The reference for batches: `Engine.evaluate` on each profile, in the shape the columnar plan produces.

Slow (durable_rules and the explanation, per row), but it is `subsidy evaluate` itself; `--engine reference`
runs a batch through it, and the tests and the benchmark hold the columnar plan to it, fen for fen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from guangxi_subsidy.engine.batch.columnar import INDEX, OUTCOME, RULE, Plan
from guangxi_subsidy.engine.evaluation.award import AmountError
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.evaluation.outcome import AmountKind

if TYPE_CHECKING:
    from guangxi_subsidy.engine.applicant.profile import Profile


def outcomes(engine: Engine, plan: Plan, profiles: list[Profile],
             failures: list[AmountError] | None = None) -> list[pl.DataFrame]:
    """Per rule of the plan, the profiles (by position) for which it holds, with status and amount. A profile
    whose amount cannot be computed raises AmountError (its `index` set), or, given `failures`, is left out
    and its error added there."""
    number = {rule.id: i for i, rule in enumerate(plan.rules)}
    found: list[dict[str, list[Any]]] = [{name: [] for name in OUTCOME} for _ in plan.rules]
    for index, profile in enumerate(profiles):
        try:
            evaluation = engine.evaluate(profile, as_of=plan.as_of, include_drafts=plan.include_drafts)
        except AmountError as error:
            error.index = index
            if failures is None:
                raise
            failures.append(error)
            continue
        for outcome in evaluation.outcomes:
            if outcome.status == "not_eligible" or outcome.rule.id not in number:
                continue
            award = outcome.award
            assert award is not None
            rows = found[number[outcome.rule.id]]
            rows[INDEX].append(index)
            rows[RULE].append(number[outcome.rule.id])
            rows["status"].append(outcome.status)
            rows["kind"].append(award.kind)
            for part, value in (("value", award.value), ("min", award.minimum), ("max", award.maximum)):
                rows[part].append(None if value is None else int(value.scaleb(2)))
            rows["missing"].append(", ".join(award.missing) if award.kind == AmountKind.INCOMPLETE else None)
    return [pl.DataFrame(rows, schema=OUTCOME) for rows in found]
