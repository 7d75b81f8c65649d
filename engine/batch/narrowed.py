"""The rules a batch's second reading of its blanks can change: those whose query reads a field of what was
received (`assume.received_fields`), and the rules settled together with them.

Why: a workbook's run decides every applicant with a blank in such a field a second time, the blanks read as
none, for the money they hold back (`assume.decide`). Only 9 of the 73 rules in force read such a field; every
other rule reads the same cells both times and decides the same, so deciding it again cost a call as much as
the first decision and 15 to 18 MB of a batch of 10,000, for lines the comparison then drops. A rule is kept when
any column its query reads (its filter with the derived facts it requires inlined, its figures, the intermediate
columns of its amount) is such a field, or when its amount is computed row by row (it reads every field); a
group of rules settled together (`combined.settle`) is kept whole when one of them is. Nothing is narrowed when
the evaluation date or the place reads such a field, or for the reference engine.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from guangxi_subsidy.engine.batch.evaluator import Evaluator


def narrowed(evaluator: Evaluator, fields: Collection[str]) -> Evaluator | None:
    """An evaluator deciding only the rules that can read `fields` (numbered as in the whole plan, so that its
    lines name the same rules); None when that is every rule."""
    plan = evaluator.plan
    wanted = set(fields)

    def reads(exprs: list[pl.Expr]) -> bool:
        return any(wanted.intersection(e.meta.root_names()) for e in exprs)

    if evaluator.engine != "columnar" or reads([plan.day(), *plan.place()]):
        return None
    keep = {number for number, rule in enumerate(plan.rules)
            if plan.amounts[rule.id] is None or reads(plan.decided_by(number))}
    grown = True
    while grown:  # (groups may share a rule)
        grown = False
        for group in plan.groups:
            members = {plan.numbers[r] for r in group.order if r in plan.numbers}
            if keep & members and not members <= keep:
                keep |= members
                grown = True
    if len(keep) == len(plan.rules):
        return None
    return evaluator.only(sorted(keep))
