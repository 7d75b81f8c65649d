"""Hypothesis strategies for applicant profiles, derived from the profile schema and from the rule pack itself.

Nothing here lists fields by hand: the fields, their types, bounds and choices come from `Profile` (so a field
added to the schema is generated at once), and the values that matter come from the pack. Rules change their
answer at a few points — zero, a threshold in a condition, the input at which a cap starts to bite, the day a
period starts or ends — so values are drawn near those points (the point and its neighbours one fen, one unit or
one day away) as often as at random, and fields are sometimes left missing, which rules must read as "not met".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from functools import cache
from typing import Any

from hypothesis import strategies as st

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.fields import fields
from guangxi_subsidy.engine.applicant.profile import CITY_LABELS, ApplicantKind, Profile
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.rules.pack import CompiledRule, RulePack

UNITS: dict[ex.ValueType, Decimal] = {
    ex.ValueType.MONEY: Decimal("0.01"),
    ex.ValueType.INTEGER: Decimal(1),
    ex.ValueType.DECIMAL: Decimal("0.000001"),
}
# Random money is drawn mostly below this (the amounts the documents speak of), sometimes up to the schema's limit.
EVERYDAY_MONEY = Decimal(10) ** 8


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


# ---------------------------------------------------------------- values


def field_values(spec: FieldDomain, special: list[Any] | None = None) -> st.SearchStrategy[Any]:
    """Values the field can hold (never None): the special points as often as random ones."""
    if spec.type == ex.ValueType.BOOL:
        return st.booleans()
    if spec.choices is not None:
        return st.sampled_from(spec.choices)
    if spec.type == ex.ValueType.TEXT:
        return st.text(min_size=1, max_size=20)
    if spec.type == ex.ValueType.DATE:
        return st.dates()
    return _numbers(spec, spec.low, spec.high, special or [])


def _numbers(
    spec: FieldDomain, low: Decimal | None, high: Decimal | None, special: list[Any]
) -> st.SearchStrategy[Any]:
    inside = sorted({v for v in special if (low is None or v >= low) and (high is None or v <= high)})
    if spec.type == ex.ValueType.INTEGER:
        lo = 0 if low is None else int(low)
        hi = None if high is None else int(high)
        small = st.integers(lo, lo + 120 if hi is None else min(hi, lo + 120))
        random: st.SearchStrategy[Any] = st.one_of(small, st.integers(lo, hi))
    else:
        places = 2 if spec.type == ex.ValueType.MONEY else 6
        everyday = high if high is not None and high < EVERYDAY_MONEY else EVERYDAY_MONEY
        random = st.decimals(low, high, places=places, allow_nan=False, allow_infinity=False)
        if spec.type == ex.ValueType.MONEY and (low is None or low <= everyday):
            random = st.one_of(st.decimals(low, everyday, places=places), random)
    # Random values first: a counterexample then shrinks to the smallest plain number that still fails.
    return st.one_of(random, st.sampled_from(inside)) if inside else random


@st.composite
def _pick(draw: Any, main: st.SearchStrategy[Any], others: tuple[st.SearchStrategy[Any], ...], tries: int) -> Any:
    for _ in range(tries):
        if not draw(st.booleans()):
            return draw(main)
    return draw(st.one_of(*others))


def mostly(main: st.SearchStrategy[Any], *others: st.SearchStrategy[Any], tries: int = 3) -> st.SearchStrategy[Any]:
    """`main` with probability 1 - 2**-tries, else one of `others`; shrinks towards `main`.

    Coins rather than a weighted choice among branches: hypothesis draws a branch index with a bias towards the
    ends of the range, which would make the rare branches common."""
    return _pick(main, others, tries)


def kinds() -> st.SearchStrategy[str]:
    return st.sampled_from([k.value for k in ApplicantKind])


def cities(pack: RulePack | None = None) -> st.SearchStrategy[str]:
    """Any city, with the cities that have rules of their own as likely as all the others together."""
    every = st.sampled_from(list(CITY_LABELS))
    if pack is None:
        return every
    own = sorted({r.jurisdiction for r in pack.rules.values() if r.jurisdiction != "guangxi"})
    return st.one_of(st.sampled_from(own), every) if own else every


def evaluation_dates(pack: RulePack) -> st.SearchStrategy[dt.date]:
    """Dates on both sides of every period's ends, and dates in between."""
    points = sorted(pack_thresholds(pack).dates)
    first, last = points[0] - dt.timedelta(days=366), points[-1] + dt.timedelta(days=366)
    return st.one_of(st.sampled_from(points), st.dates(first, last))


def dates_within(rule: CompiledRule) -> st.SearchStrategy[dt.date]:
    """Dates inside the rule's effective period, its first and last day included."""
    start, end = rule.effective.from_, rule.effective.to
    last = end if end is not None else start + dt.timedelta(days=3 * 365)
    return st.one_of(st.sampled_from(sorted({start, last})), st.dates(start, last))


def _apply_links(draw: Any, data: dict[str, Any], links: list[Link]) -> None:
    fields = schema_fields()
    for link in links:
        if not draw(st.booleans()):
            continue
        try:
            target = ex.evaluate(link.node, data)
        except (TypeError, ArithmeticError):
            continue
        if not isinstance(target, int | Decimal) or isinstance(target, bool):
            continue
        spec = fields[link.field]
        step = draw(st.sampled_from((0, 1, -1)))
        if link.direction and draw(st.booleans()):
            step = draw(st.integers(1, 10**6)) * link.direction
        value = spec.coerce(Decimal(target) + step * spec.unit)
        if value is not None:
            data[link.field] = value


def profile_data(
    pack: RulePack, dates: st.SearchStrategy[dt.date] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid profiles of every applicant kind, as the mappings a YAML file would hold, with as_of."""
    thresholds = pack_thresholds(pack)
    fields = schema_fields()
    values = {
        name: st.one_of(st.none(), field_values(spec, thresholds.values(name) if spec.numeric else None))
        for name, spec in fields.items()
    }

    head = {"kind": kinds(), "city": cities(pack), "as_of": dates if dates is not None else evaluation_dates(pack)}
    return _profile(head, values, thresholds.links)


@st.composite
def _profile(
    draw: Any,
    head: dict[str, st.SearchStrategy[Any]],
    values: dict[str, st.SearchStrategy[Any]],
    links: list[Link],
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": "generated"}
    data.update({key: draw(strategy) for key, strategy in head.items()})
    for name, strategy in values.items():
        value = draw(strategy)
        if value is not None:
            data[name] = value
    _apply_links(draw, data, links)
    return data


def profiles(pack: RulePack, dates: st.SearchStrategy[dt.date] | None = None) -> st.SearchStrategy[Profile]:
    return profile_data(pack, dates).map(parse_profile)


# ---------------------------------------------------------------- profiles a given rule is likely to accept


@dataclass(frozen=True)
class _Bounds:
    low: Decimal | None = None
    high: Decimal | None = None
    exact: Any = None
    missing: bool | None = None  # True: must be missing; False: must be set
    among: tuple[Any, ...] | None = None
    excluded: tuple[Any, ...] = ()


def _conjuncts(node: ex.Node) -> list[ex.Node]:
    if isinstance(node, ex.BoolOp) and node.op == "and":
        return [part for operand in node.operands for part in _conjuncts(operand)]
    return [node]


def _bounds(name: str, spec: FieldDomain, atoms: list[ex.Node]) -> _Bounds:
    """What the rule's conditions (those that must all hold) ask of one field."""
    low, high, exact, missing = spec.low, spec.high, None, None
    among: tuple[Any, ...] | None = None
    excluded: list[Any] = []
    for atom in atoms:
        if isinstance(atom, ex.IsSet) and atom.operand.name == name:
            missing = atom.negated
        elif isinstance(atom, ex.InList) and isinstance(atom.operand, ex.Name) and atom.operand.name == name:
            items = tuple(item.value for item in atom.items)
            if atom.negated:
                excluded.extend(items)
            else:
                among = items
        elif isinstance(atom, ex.Compare):
            for field_name, op, other in _comparisons(atom):
                constant = other.value if isinstance(other, ex.Literal) else _constant(other)
                if field_name != name or constant is None:
                    continue
                if isinstance(constant, bool | str):
                    if op == "==":
                        exact = constant
                    elif op == "!=":
                        excluded.append(constant)
                    continue
                if not spec.numeric:
                    continue
                if not isinstance(constant, int | Decimal):
                    continue
                value, unit = Decimal(constant), spec.unit
                if op == "==":
                    exact = spec.coerce(value)
                elif op == "!=":
                    excluded.append(spec.coerce(value))
                elif op in (">", ">="):
                    start = value.quantize(unit, rounding=ROUND_CEILING)
                    start += unit if op == ">" and start == value else Decimal(0)
                    low = start if low is None else max(low, start)
                elif op in ("<", "<="):
                    end = value.quantize(unit, rounding=ROUND_FLOOR)
                    end -= unit if op == "<" and end == value else Decimal(0)
                    high = end if high is None else min(high, end)
    return _Bounds(low, high, exact, missing, among, tuple(excluded))


def satisfying(spec: FieldDomain, bounds: _Bounds, special: list[Any]) -> st.SearchStrategy[Any]:
    """Values of one field that meet what the rule's conditions ask of it (as far as they ask alone)."""
    if bounds.missing is True:
        return st.none()
    if bounds.exact is not None:
        return st.just(bounds.exact)
    if bounds.among is not None:
        return st.sampled_from(bounds.among)
    if spec.type == ex.ValueType.BOOL:
        strategy: st.SearchStrategy[Any] = st.booleans()
    elif spec.choices is not None:
        allowed = [c for c in spec.choices if c not in bounds.excluded]
        strategy = st.sampled_from(allowed or spec.choices)
    elif spec.numeric and (bounds.low is None or bounds.high is None or bounds.low <= bounds.high):
        strategy = _numbers(spec, bounds.low, bounds.high, special)
    else:
        strategy = field_values(spec, special)
    if bounds.excluded and spec.numeric:
        strategy = strategy.filter(lambda v: v not in bounds.excluded)
    return strategy


def meeting(rule: CompiledRule, pack: RulePack, name: str) -> st.SearchStrategy[Any]:
    """Values of one field that meet what the rule's conditions ask of it, near the rule's thresholds."""
    spec = schema_fields()[name]
    atoms = [atom for node in conditions_of(rule, pack) for atom in _conjuncts(node)]
    special = rule_thresholds(rule, pack).values(name) if spec.numeric else []
    return satisfying(spec, _bounds(name, spec, atoms), special)


def within_range(spec: FieldDomain, low: Decimal, high: Decimal) -> st.SearchStrategy[Any]:
    """Values of a numeric field in [low, high]: both ends, their inner neighbours, and values in between."""
    ends = {spec.coerce(v) for v in (low, high, low + spec.unit, high - spec.unit)}
    return _numbers(spec, low, high, [v for v in ends if v is not None and low <= v <= high])


def rule_field_values(rule: CompiledRule, pack: RulePack) -> dict[str, st.SearchStrategy[Any]]:
    """For each field the rule reads: mostly values that meet its conditions, sometimes any value or none."""
    thresholds = rule_thresholds(rule, pack)
    fields = schema_fields()
    out = {}
    for name in sorted(fields_of(rule, pack)):
        spec = fields[name]
        special = thresholds.values(name) if spec.numeric else []
        out[name] = mostly(meeting(rule, pack, name), field_values(spec, special), st.none(), tries=4)
    return out


def rule_profile_data(
    rule: CompiledRule,
    pack: RulePack,
    dates: st.SearchStrategy[dt.date] | None = None,
    fixed: Mapping[str, st.SearchStrategy[Any]] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Profiles the rule is likely to accept: its kinds and places, a date in its period, and values drawn to meet
    its conditions (and the derived facts it requires). Fields the rule does not read are left missing; `fixed`
    replaces the strategy of some fields (a property's own field, a range it is stated within)."""
    thresholds = rule_thresholds(rule, pack)
    values = rule_field_values(rule, pack)
    values.update(fixed or {})

    head = {
        "kind": st.sampled_from(rule.kinds),
        "city": st.sampled_from(rule.cities),
        "as_of": dates if dates is not None else dates_within(rule),
    }
    return _profile(head, values, [link for link in thresholds.links if link.field not in (fixed or {})])


def any_profile_data(pack: RulePack) -> st.SearchStrategy[dict[str, Any]]:
    """Profiles of every kind, half of them drawn for one rule of the pack (on any date) so that each rule is met."""
    dates = evaluation_dates(pack)
    ordered = [*pack.rules.values()]
    focused = {rule.id: rule_profile_data(rule, pack, dates) for rule in ordered}
    return st.one_of(
        profile_data(pack, dates),
        st.sampled_from([r.id for r in ordered]).flatmap(lambda rule_id: focused[rule_id]),
    )


# ---------------------------------------------------------------- invalid profiles


def _invalid_values(spec: FieldDomain) -> list[Any]:
    if spec.type == ex.ValueType.MONEY:
        return [-1, "-0.01", "12.345", "0.001", 1.5, "twelve", True, [1]]
    if spec.type == ex.ValueType.INTEGER:
        over = int(spec.high) + 1 if spec.high is not None else "many"
        return [-1, over, "1.5", "twelve", [1], {"a": 1}]
    if spec.type == ex.ValueType.DECIMAL:
        return ["1.000001", "-0.1", "0.1234567", "half", [0]]
    if spec.type == ex.ValueType.BOOL:
        return ["maybe", 2, [True], {"yes": 1}]
    if spec.choices is not None:
        return ["no_such_choice", 3, [spec.choices[0]]]
    return [[1], {"a": 1}]


def invalid_profile_data(pack: RulePack | None = None) -> st.SearchStrategy[tuple[dict[str, Any], str]]:
    """A profile wrong in one field, and that field: negative or sub-fen money, an unknown city or kind, a bad
    date, a value of the wrong type, a misspelt field name, a required field left out."""
    fields = schema_fields()

    def spoil(base: dict[str, Any], name: str, value: Any) -> tuple[dict[str, Any], str]:
        return {**base, name: value}, name

    base = st.fixed_dictionaries({
        "id": st.just("invalid"),
        "kind": kinds(),
        "city": cities(pack),
        "as_of": st.dates(dt.date(2015, 1, 1), dt.date(2024, 12, 31)),
    })
    in_a_field = st.tuples(base, st.sampled_from(sorted(fields))).flatmap(
        lambda pair: st.sampled_from(_invalid_values(fields[pair[1]])).map(lambda v: spoil(pair[0], pair[1], v))
    )
    place_or_kind = st.tuples(
        base, st.sampled_from([("city", "shenzhen"), ("city", "深圳"), ("city", 7), ("kind", "robot"),
                               ("kind", "企业家"), ("kind", None)])
    ).map(lambda pair: spoil(pair[0], *pair[1]))
    bad_date = st.tuples(base, st.sampled_from(["2017-02-30", "2017-13-01", "yesterday", "01/03/2017", [2017]])).map(
        lambda pair: spoil(pair[0], "as_of", pair[1])
    )
    misspelt = st.tuples(base, st.sampled_from(sorted(fields))).map(
        lambda pair: ({**pair[0], pair[1] + "_x": True}, pair[1] + "_x")
    )
    left_out = st.tuples(base, st.sampled_from(["id", "kind", "city"])).map(
        lambda pair: ({k: v for k, v in pair[0].items() if k != pair[1]}, pair[1])
    )
    return st.one_of(in_a_field, place_or_kind, bad_date, misspelt, left_out)
