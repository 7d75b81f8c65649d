"""Contested readings compiled: each alternative's amount expression parsed and type-checked like a formula.

A clause that admits more than one reading is recorded as data on its rule (`readings:`): the reading the rule
implements, the others, and why. An alternative that changes the amount states it as an amount expression over
the same profile fields, so that `subsidy rules readings` can show, on the reading's worked example, what each
reading would pay: the choice a legal office has to settle, with its price.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.records import record
from guangxi_subsidy.engine.rules.lazyspec import LazySpec

if TYPE_CHECKING:  # (pydantic models: a pack read back holds them pickled apart until read, lazyspec.py)
    from guangxi_subsidy.engine.rules.decisions import Alternative, Reading
    from guangxi_subsidy.engine.rules.format import Rule

IDENTITY = ("kind", "city", "as_of", "id", "name")


@record
class CompiledAlternative(LazySpec):
    spec: Alternative
    formula: ex.Node | None


@record
class CompiledReading(LazySpec):
    spec: Reading
    alternatives: tuple[CompiledAlternative, ...]


def compile_readings(
    rule: Rule, symbols: Mapping[str, ex.Symbol], report: Callable[[str, str], None]
) -> tuple[CompiledReading, ...]:
    """Every reading of the rule, or nothing reported for it when an expression or an example field is wrong."""
    out = []
    for i, reading in enumerate(rule.readings):
        where = f"readings[{i}]"
        ok = True
        for name in reading.example:
            if name not in IDENTITY and (name not in symbols or symbols[name].is_parameter):
                report(f"{where}.example.{name}", f"unknown field '{name}' (see `subsidy rules fields`)")
                ok = False
        alternatives = []
        for j, alternative in enumerate(reading.alternatives):
            node = None
            if alternative.formula is not None:
                try:
                    node = ex.compile_amount(alternative.formula, symbols)
                except ex.ExpressionError as error:
                    report(f"{where}.alternatives[{j}].formula", str(error))
                    ok = False
            alternatives.append(CompiledAlternative(alternative, node))
        if any(a.formula is not None for a in alternatives) and rule.amount.kind in ("non_monetary", "unquantified"):
            report(where, f"an alternative states an amount, but the rule's amount is {rule.amount.kind}")
            ok = False
        if ok:
            out.append(CompiledReading(reading, tuple(alternatives)))
    return tuple(out)
