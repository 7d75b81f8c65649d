"""What the pack says matters: each field's domain (type, bounds, choices, its unit) and the points where the
pack's rules may change their answer (thresholds in conditions, the input at which a cap starts to bite, the
days periods start and end, fields compared with expressions over other fields).

`strategies.py` draws profiles near these points; `properties.py` and `scenarios.py` read them too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from functools import cache
from typing import Any

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.fields import fields
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack

UNITS: dict[ex.ValueType, Decimal] = {
    ex.ValueType.MONEY: Decimal("0.01"),
    ex.ValueType.INTEGER: Decimal(1),
    ex.ValueType.DECIMAL: Decimal("0.000001"),
}

@dataclass(frozen=True)
class FieldDomain:
    """One profile field as the schema declares it: type, bounds (inclusive) and choices."""

    name: str
    type: ex.ValueType
    choices: tuple[str, ...] | None = None
    low: Decimal | None = None
    high: Decimal | None = None

    @property
    def numeric(self) -> bool:
        return self.type in ex.NUMERIC

    @property
    def unit(self) -> Decimal:
        return UNITS[self.type]

    def coerce(self, value: Any, rounding: str = ROUND_FLOOR) -> Any:
        """A number in this field's unit (fen, whole, millionths) and bounds, or None when it cannot be one."""
        if value is None or not self.numeric or isinstance(value, bool):
            return None
        try:
            number = Decimal(value).quantize(self.unit, rounding=rounding)
        except (InvalidOperation, TypeError):
            return None
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            return None
        return int(number) if self.type == ex.ValueType.INTEGER else number

    def near(self, value: Any) -> set[Any]:
        """The value and its neighbours one unit away, those the field can hold."""
        out = set()
        for rounding in (ROUND_FLOOR, ROUND_CEILING):
            try:
                point = Decimal(value).quantize(self.unit, rounding=rounding)
            except (InvalidOperation, TypeError):
                continue
            for step in (-1, 0, 1):
                found = self.coerce(point + step * self.unit)
                if found is not None:
                    out.add(found)
        return out


@cache
def schema_fields() -> dict[str, FieldDomain]:
    """Every field a rule may read (kind and city aside), with the bounds the profile model sets
    (applicant/fields.py)."""
    return {
        name: FieldDomain(name, info.type, info.choices, info.low, info.largest)
        for name, info in fields().items() if info.read_by_rules and name not in ("kind", "city")
    }


# ---------------------------------------------------------------- what the pack says matters


@dataclass(frozen=True)
class Link:
    """A field compared with an expression over other fields: drawing it equal to the expression (± a unit)
    reaches the boundary that random values for both would almost never hit."""

    field: str
    node: ex.Node
    direction: int = 0  # +1: the rule wants the field above the expression, -1 below, 0 either


@dataclass
class Thresholds:
    """The points where the pack's rules may change their answer."""

    by_field: dict[str, set[Any]] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    dates: set[dt.date] = field(default_factory=set)

    def add(self, name: str, value: Any) -> None:
        spec = schema_fields().get(name)
        if spec is not None and spec.numeric:
            self.by_field.setdefault(name, set()).update(spec.near(value))

    def values(self, name: str) -> list[Any]:
        spec = schema_fields()[name]
        found = set(self.by_field.get(name, set()))
        if spec.numeric:
            assert spec.low is not None
            found |= spec.near(spec.low) | ({spec.high} if spec.high is not None else set())
        return sorted(found)


def nodes(node: ex.Node) -> Iterator[ex.Node]:
    """A node and everything under it."""
    yield node
    for item in dataclasses.fields(node):
        value = getattr(node, item.name)
        for child in value if isinstance(value, tuple) else (value,):
            if dataclasses.is_dataclass(child) and not isinstance(child, type):
                yield from nodes(child)  # type: ignore[arg-type]


def conditions_of(rule: CompiledRule, pack: RulePack) -> list[ex.Node]:
    """The rule's conditions with those of the derived facts it requires, and its tier conditions."""
    out = [c.node for c in rule.conditions]
    for need in rule.requires:
        out.extend(conditions_of(pack.derived[need], pack))
    if rule.amount is not None:
        out.extend(t.when.node for t in rule.amount.tiers)
    return out


def fields_of(rule: CompiledRule, pack: RulePack) -> set[str]:
    """Profile fields the rule reads, through its conditions, the derived facts it requires and its amount."""
    names = {n for node in conditions_of(rule, pack) for n in ex.names_read(node)}
    if rule.amount is not None:
        names |= {n for node in rule.amount.nodes() for n in ex.names_read(node)}
    return {n for n in names if n in schema_fields()}


def _constant(node: ex.Node) -> Any:
    if ex.names_read(node):
        return None
    value = ex.evaluate(node, {})
    return value if isinstance(value, int | Decimal) and not isinstance(value, bool) else None


def _comparisons(node: ex.Node) -> Iterator[tuple[str, str, ex.Node]]:
    """(field, operator, other side) for every comparison of a plain field, the field put on the left."""
    flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
    for sub in nodes(node):
        if isinstance(sub, ex.Compare):
            if isinstance(sub.left, ex.Name):
                yield sub.left.name, sub.op, sub.right
            if isinstance(sub.right, ex.Name):
                yield sub.right.name, flipped[sub.op], sub.left
        elif isinstance(sub, ex.InList) and isinstance(sub.operand, ex.Name):
            for item in sub.items:
                yield sub.operand.name, "==", item


def solve(node: ex.Node, name: str, target: Decimal, env: Mapping[str, Any]) -> Decimal | None:
    """The value of `name` at which a linear amount expression reaches `target` (caps start to bite there)."""
    try:
        points = [ex.evaluate(node, {**env, name: x}) for x in (0, 1, 2)]
    except (TypeError, ZeroDivisionError, ArithmeticError):
        return None
    if any(not isinstance(p, int | Decimal) or isinstance(p, bool) for p in points):
        return None
    f0, f1, f2 = (Decimal(p) for p in points)  # type: ignore[arg-type]
    slope = f1 - f0
    if slope == 0 or f2 - f1 != slope:
        return None
    return (target - f0) / slope


_RULE_THRESHOLDS: dict[tuple[str, str], Thresholds] = {}


def rule_thresholds(rule: CompiledRule, pack: RulePack, into: Thresholds | None = None) -> Thresholds:
    """Thresholds of one rule: its conditions' constants, where its formula meets its caps, its period's ends."""
    if into is None:
        key = (pack.digest, rule.id)
        if key not in _RULE_THRESHOLDS:
            _RULE_THRESHOLDS[key] = rule_thresholds(rule, pack, Thresholds())
        return _RULE_THRESHOLDS[key]
    found = into
    fields = schema_fields()
    for node in conditions_of(rule, pack):
        for name, op, other in _comparisons(node):
            if name not in fields:
                continue
            constant = _constant(other)
            if constant is not None:
                found.add(name, constant)
            elif any(n in fields for n in ex.names_read(other)):
                found.links.append(Link(name, other, 1 if op in (">", ">=") else -1 if op in ("<", "<=") else 0))
    if not rule.is_derived:
        found.dates |= {rule.effective.from_, rule.effective.from_ - dt.timedelta(days=1)}
        if rule.effective.to is not None:
            found.dates |= {rule.effective.to, rule.effective.to + dt.timedelta(days=1)}
    if rule.amount is None:
        return found
    parameters = pack.parameters_on(rule.effective.from_)
    formulas = [n for n in (rule.amount.formula, rule.amount.minimum, rule.amount.maximum) if n is not None]
    formulas += [t.formula for t in rule.amount.tiers]
    for cap in rule.amount.caps:
        cap_fields = [n for n in ex.names_read(cap.node) if n in fields]
        cap_value = _constant(cap.node)
        for single in cap_fields if len(cap_fields) == 1 else []:
            # Where a cap that shrinks with a field reaches zero, and where it meets a constant formula.
            for target in [Decimal(0)] + [Decimal(c) for f in formulas if (c := _constant(f)) is not None]:
                point = solve(cap.node, single, target, parameters)
                if point is not None:
                    found.add(single, point)
        for formula in formulas:
            formula_fields = [n for n in ex.names_read(formula) if n in fields]
            if cap_value is not None and len(formula_fields) == 1:
                point = solve(formula, formula_fields[0], Decimal(cap_value), parameters)
                if point is not None:
                    found.add(formula_fields[0], point)
            elif isinstance(formula, ex.Name) and formula.name in fields and cap_fields:
                found.links.append(Link(formula.name, cap.node))
    return found


_PACK_THRESHOLDS: dict[str, Thresholds] = {}


def pack_thresholds(pack: RulePack) -> Thresholds:
    """Thresholds of the whole pack: every rule's, and the days dated parameters change (computed once a pack)."""
    found = _PACK_THRESHOLDS.get(pack.digest)
    if found is None:
        found = Thresholds()
        for rule in [*pack.derived.values(), *pack.rules.values()]:
            rule_thresholds(rule, pack, found)
        for parameter in pack.parameters.values():
            for start, _value, _reference in parameter.values:
                found.dates |= {start, start - dt.timedelta(days=1)}
        _PACK_THRESHOLDS[pack.digest] = found
    return found
