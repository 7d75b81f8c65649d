"""Scenarios drawn at random for property tests and benchmarks.

Reforms: caps, rates and thresholds moved, periods and beneficiaries changed, parameters given new values, rules
repealed or added; each draw is a valid reform file of the pack, applied by `scenarios.reform.apply_reform`
exactly as a reform file is. Profiles near a threshold: drawn to meet one rule but for one changeable field,
drawn at the rule's thresholds and a unit either side, so that near misses are common.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.profile import ApplicantKind
from guangxi_subsidy.engine.evaluation.changeable import CHANGEABLE
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.scenarios.reform import Reform, ReformError, apply_reform
from guangxi_subsidy.engine.scenarios.reformfile import ReformFile
from guangxi_subsidy.engine.verify import strategies, thresholds

DRAWN = Path("drawn-reform.yaml")


def _constant_caps(rule: CompiledRule) -> bool:
    return rule.amount is not None and len(rule.amount.caps) == 1 and not ex.names_read(rule.amount.caps[0].node)


def _thresholds(rule: CompiledRule) -> list[tuple[str, str, str, Any]]:
    """(condition id, field, operator, constant) of conditions `field OP number`."""
    out = []
    for condition in rule.conditions:
        node = condition.node
        if isinstance(node, ex.Compare) and isinstance(node.left, ex.Name) and not ex.names_read(node.right):
            value = ex.evaluate(node.right, {})
            if isinstance(value, int | Decimal) and not isinstance(value, bool):
                out.append((condition.id, node.left.name, node.op, value))
    return out


@st.composite
def _change(draw: Any, pack: RulePack) -> dict[str, Any]:
    rules = list(pack.rules.values())
    kind = draw(st.sampled_from(["cap", "rate", "threshold", "period", "beneficiary", "parameter", "repeal", "add"]))
    reason = "drawn for a test"
    if kind == "cap":
        rule = draw(st.sampled_from([r for r in rules if _constant_caps(r)]))
        return {"rule": rule.id, "cap": str(draw(st.integers(0, 2_000_000))), "reason": reason}
    if kind == "rate":
        rule = draw(st.sampled_from([r for r in rules if r.amount is not None and r.amount.spec.kind == "formula"]))
        rate = draw(st.integers(0, 150))
        assert rule.amount is not None
        return {"rule": rule.id, "formula": f"({rule.amount.spec.formula}) * {rate}%", "reason": reason}
    if kind == "threshold":
        candidates = [(r, t) for r in rules for t in _thresholds(r)]
        rule, (cid, field, op, value) = draw(st.sampled_from(candidates))
        moved = Decimal(value) + draw(st.integers(-3, 3)) * (1 if isinstance(value, int) else Decimal(value) / 10 or 1)
        moved = max(moved, Decimal(0))
        return {"rule": rule.id, "conditions": {cid: f"{field} {op} {moved:f}"}, "reason": reason}
    if kind == "period":
        rule = draw(st.sampled_from(rules))
        start = rule.effective.from_ + dt.timedelta(days=draw(st.integers(0, 900)))
        end = draw(st.none() | st.just(start + dt.timedelta(days=draw(st.integers(0, 1500)))))
        period: dict[str, Any] = {"from": start}
        if end is not None:
            period["to"] = end
        return {"rule": rule.id, "effective": period, "reason": reason}
    if kind == "beneficiary":
        rule = draw(st.sampled_from(rules))
        kinds = draw(st.lists(st.sampled_from([k.value for k in ApplicantKind]), min_size=1, max_size=3, unique=True))
        return {"rule": rule.id, "beneficiary": kinds, "reason": reason}
    if kind == "parameter":
        name = draw(st.sampled_from([n for n, p in pack.parameters.items() if p.unit == "rate"]))
        day = draw(st.dates(dt.date(2015, 1, 1), dt.date(2024, 12, 31)))
        value = f"{draw(st.integers(0, 60))}%"
        return {"parameter": name, "values": {day: {"value": value, "reference": "drawn for a test"}},
                "reason": reason}
    if kind == "repeal":
        return {"repeal": draw(st.sampled_from(rules)).id, "reason": reason}
    rule = draw(st.sampled_from(rules))
    spec = rule.rule.model_dump(by_alias=True, exclude_none=True)
    spec["id"] = rule.id + "_added"
    return {"add": spec, "document": rule.document.file, "reason": reason}


@st.composite
def reforms(draw: Any, pack: RulePack) -> Reform:
    """A reform of one to three changes on distinct targets that the pack accepts."""
    changes = draw(st.lists(_change(pack), min_size=1, max_size=3,
                            unique_by=lambda c: str(c.get("rule") or c.get("repeal") or c.get("parameter")
                                                    or c["add"]["id"])))
    spec = ReformFile.model_validate({"schema": "subsidy-reform/1", "name": "drawn", "changes": changes})
    try:
        return apply_reform(spec, pack, DRAWN, repr(changes))
    except ReformError:  # e.g. a period starting before a parameter it reads has a value: drawn again
        from hypothesis import reject

        reject()
        raise


def near_thresholds(pack: RulePack) -> st.SearchStrategy[dict[str, Any]]:
    """Profile data drawn to meet one rule, but for one changeable field its conditions read, drawn at the rule's
    thresholds and a unit either side (so that it often just fails), or anywhere in its range."""
    pairs = sorted({(rule.id, name) for rule in pack.rules.values()
                    for node in thresholds.conditions_of(rule, pack) for name in ex.names_read(node)
                    if name in CHANGEABLE})

    def drawn(pair: tuple[str, str]) -> st.SearchStrategy[dict[str, Any]]:
        rule = pack.rules[pair[0]]
        spec = thresholds.schema_fields()[pair[1]]
        special = thresholds.rule_thresholds(rule, pack).values(pair[1])
        return strategies.rule_profile_data(rule, pack, fixed={pair[1]: strategies.field_values(spec, special)})

    return st.sampled_from(pairs).flatmap(drawn)
