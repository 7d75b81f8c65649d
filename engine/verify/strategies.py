"""Hypothesis strategies for applicant profiles, derived from the profile schema and from the rule pack itself.

Nothing here lists fields by hand: the fields, their types, bounds and choices come from `Profile` (so a field
added to the schema is generated at once), and the values that matter come from the pack. Rules change their
answer at a few points — zero, a threshold in a condition, the input at which a cap starts to bite, the day a
period starts or ends — so values are drawn near those points (the point and its neighbours one fen, one unit or
one day away) as often as at random, and fields are sometimes left missing, which rules must read as "not met".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from hypothesis import strategies as st

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.profile import CITY_LABELS, ApplicantKind, Profile
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.verify.thresholds import (
    FieldDomain,
    Link,
    _comparisons,
    _constant,
    conditions_of,
    fields_of,
    pack_thresholds,
    rule_thresholds,
    schema_fields,
)

# Random money is drawn mostly below this (the amounts the documents speak of), sometimes up to the schema's limit.
EVERYDAY_MONEY = Decimal(10) ** 8


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
