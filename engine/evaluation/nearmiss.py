"""Near misses: the smallest change to a profile that makes a rule pay, solved from the rule's parsed conditions.

For each rule this applicant's kind can claim in its place, which fails only on comparisons of a number with a
threshold, each failing comparison is solved for its field exactly: `months_operating_in_base >= 12` with 10
months gives 12; `x > 30万` gives 30万 and one fen in money, 30万 and one in whole counts; `x < c` one unit
below c. `and` needs every part, `or` any one (each alternative is tried and the one paying most kept). No
value is searched for. Only fields judged changeable (`changeable.py`), in the direction they can move, are
suggested; the profile changed so is evaluated once more, every condition of the rule and of the facts it
requires, and the suggestion kept only when the rule then pays, with the amount it would pay.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.fields import field_symbols, fields
from guangxi_subsidy.engine.evaluation.award import Award, compute
from guangxi_subsidy.engine.evaluation.changeable import changeable
from guangxi_subsidy.engine.evaluation.evaluate import Evaluation, Outcome, profile_values
from guangxi_subsidy.engine.records import record
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack

UNITS = {ex.ValueType.MONEY: Decimal("0.01"), ex.ValueType.INTEGER: Decimal(1),
         ex.ValueType.DECIMAL: Decimal("0.000001")}
_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


@record
class Change:
    field: str
    before: Any
    after: Any
    condition: str  # the condition's id
    says: str | None  # the condition in the document's words

    @property
    def by(self) -> Any:
        return self.after - self.before


@record
class NearMiss:
    rule: CompiledRule
    changes: tuple[Change, ...]
    award: Award

    @property
    def gain(self) -> Decimal | None:
        """What the rule would pay, when that is a number (the top of a range)."""
        if self.award.kind in ("exact", "estimate"):
            return self.award.value
        if self.award.kind == "range":
            return self.award.maximum
        return None


@functools.cache
def _bounds(name: str) -> tuple[Decimal | None, Decimal | None]:
    """The field's bounds as the profile model declares them (ge, le; money's digits), from the field table."""
    info = fields()[name]
    return info.low, info.largest


def near_misses(evaluation: Evaluation, pack: RulePack) -> list[NearMiss]:
    """Every near miss of the evaluation, the best paying first."""
    if evaluation.facts is not None and evaluation.facts.pack is pack:  # (the values its evaluation read)
        env: Mapping[str, Any] = evaluation.facts.env
    else:
        env = {**profile_values(evaluation.profile), **pack.parameters_on(evaluation.as_of)}
    found = []
    for outcome in evaluation.outcomes:
        if not outcome.placed:  # (most of the pack: a rule for another kind of applicant or place is no near miss)
            continue
        miss = _near_miss(outcome, env, pack, evaluation.as_of)
        if miss is not None:
            found.append(miss)
    found.sort(key=lambda m: (m.gain is None, -(m.gain or 0), len(m.changes), m.rule.id))
    return found


def _near_miss(outcome: Outcome, env: Mapping[str, Any], pack: RulePack, day: dt.date) -> NearMiss | None:
    if outcome.status != "not_eligible" or not (outcome.placed and outcome.in_force):  # whom, where, when
        return None
    rule = outcome.rule
    # The conditions that fail, the rule's own and those of the derived facts it requires.
    failing: list[tuple[str, str | None, ex.Node]] = []
    for condition in _conditions(rule, pack):
        if ex.evaluate(condition.node, env) is not True:
            failing.append((condition.id, condition.says, condition.node))
    if not failing:
        return None
    options: list[dict[str, tuple[Any, str, str | None]]] = [{}]
    for cid, says, node in failing:
        solved = _solve(node, env)
        if not solved:
            return None
        options = [m for a in options for b in solved if (m := _merge(a, {k: (v, cid, says) for k, v in b.items()}))]
    best: NearMiss | None = None
    for option in options:
        changed = {**env, **{name: value for name, (value, _c, _s) in option.items()}}
        if not all(ex.evaluate(c.node, changed) is True for c in _conditions(rule, pack)):
            continue
        if not rule.effective.contains(day) or rule.amount is None:
            continue
        award = compute(rule.amount, changed, pack, day)
        changes = tuple(Change(name, env[name], value, cid, says) for name, (value, cid, says) in option.items())
        miss = NearMiss(rule, changes, award)
        if best is None or (miss.gain or 0, -len(miss.changes)) > (best.gain or 0, -len(best.changes)):
            best = miss
    return best


def _conditions(rule: CompiledRule, pack: RulePack) -> list[Any]:
    out: list[Any] = []
    seen: set[str] = set()
    stack = list(rule.requires)
    while stack:
        need = stack.pop()
        if need in seen:
            continue
        seen.add(need)
        out.extend(pack.derived[need].conditions)
        stack.extend(pack.derived[need].requires)
    return [*out, *rule.conditions]


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any] | None:
    """Two sets of changes together; the same field asked for two values cannot be met by one change."""
    out = dict(a)
    for name, value in b.items():
        if name in out and out[name][0] != value[0]:
            return None
        out[name] = value
    return out


def _solve(node: ex.Node, env: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ways (each a field → new value) of making a failing condition hold by one changeable field each."""
    if ex.evaluate(node, env) is True:
        return [{}]
    if isinstance(node, ex.BoolOp) and node.op == "and":
        options: list[dict[str, Any]] = [{}]
        for operand in node.operands:
            parts = _solve(operand, env)
            options = [m for a in options for b in parts if (m := _plain_merge(a, b)) is not None]
        return options
    if isinstance(node, ex.BoolOp):  # or: any one alternative
        return [option for operand in node.operands for option in _solve(operand, env)]
    if isinstance(node, ex.Compare):
        found = _threshold(node, env)
        return [] if found is None else [found]
    return []


def _plain_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any] | None:
    if any(k in a and a[k] != v for k, v in b.items()):
        return None
    return {**a, **b}


def _threshold(node: ex.Compare, env: Mapping[str, Any]) -> dict[str, Any] | None:
    """`field OP expression` (either way round) solved for the field, in its unit, or None."""
    if isinstance(node.left, ex.Name) and node.left.name not in ex.names_read(node.right):
        name, op, other = node.left.name, node.op, node.right
    elif isinstance(node.right, ex.Name) and node.right.name not in ex.names_read(node.left):
        name, op, other = node.right.name, _FLIPPED[node.op], node.left
    else:
        return None
    symbol = field_symbols().get(name)
    rule = changeable(name)
    value = env.get(name)
    if symbol is None or rule is None or symbol.type not in UNITS or value is None or op == "!=":
        return None
    target = ex.evaluate(other, env)
    if not isinstance(target, int | Decimal) or isinstance(target, bool):
        return None
    unit = UNITS[symbol.type]
    t = Decimal(target)
    if op == ">=":
        new = t.quantize(unit, rounding=ROUND_CEILING)
    elif op == ">":
        new = t.quantize(unit, rounding=ROUND_FLOOR) + unit
    elif op == "<=":
        new = t.quantize(unit, rounding=ROUND_FLOOR)
    elif op == "<":
        new = t.quantize(unit, rounding=ROUND_CEILING) - unit
    else:  # ==
        new = t
        if new.quantize(unit, rounding=ROUND_FLOOR) != new:
            return None
    up = new > Decimal(value)
    if (up and rule.direction == "down") or (not up and rule.direction == "up") or new == Decimal(value):
        return None
    low, high = _bounds(name)
    if (low is not None and new < low) or (high is not None and new > high):
        return None
    return {name: int(new) if symbol.type == ex.ValueType.INTEGER else new.quantize(unit)}
