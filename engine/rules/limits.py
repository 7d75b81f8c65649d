"""What `subsidy rules check` refuses so that the engines never meet it: divisions that can meet zero, amounts
too large to compute exactly to the fen, and chains of derived facts longer than the matcher runs.

A division is accepted when its divisor cannot be zero for any applicant the rule pays: a constant other than
zero (the checker folds constants), an expression whose lowest value is above zero (fields are never negative,
so `x + 1`, `max(x, 1)` or a parameter whose every dated value is positive), or an expression the rule's own
conditions keep away from zero: a condition (of the rule, of a derived fact it requires, or of the tier the
formula belongs to) reading `divisor > 0`, `divisor >= c` with c above zero, `divisor != 0`, or `divisor in
[...]` without 0. Anything else is refused with its position: the author adds the guard the document implies.

durable_rules compiles a chain of derived facts (each requiring the one before) into nested joins; from about
400 it refuses the ruleset, and evaluation walks the chain recursively: MAX_CHAIN is far below both.

An amount's size is bounded from the largest value of each field it reads (the model's bounds) and of each
parameter: above LARGEST, rounding it to the fen would need more digits than Decimal's 50.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.fields import fields
from guangxi_subsidy.engine.language.syntax import children
from guangxi_subsidy.engine.money import ARITHMETIC

if TYPE_CHECKING:
    from guangxi_subsidy.engine.rules.compiled import CompiledRule
    from guangxi_subsidy.engine.rules.pack import RulePack

MAX_CHAIN = 100  # derived facts requiring one another in a row
LARGEST = Decimal(10) ** 45  # an amount bound above this is refused: rounding it to the fen needs over 47 digits

Found = tuple[str, str, str, str]  # file, rule, where, reason


def _walk(node: ex.Node) -> Iterator[ex.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children(current))


def _conjuncts(node: ex.Node) -> Iterator[ex.Node]:
    if isinstance(node, ex.BoolOp) and node.op == "and":
        for operand in node.operands:
            yield from _conjuncts(operand)
    else:
        yield node


def _excludes_zero(guard: ex.Node, divisor: ex.Node) -> bool:
    if isinstance(guard, ex.InList):
        return guard.operand == divisor and not guard.negated and all(item.value != 0 for item in guard.items)
    if not isinstance(guard, ex.Compare):
        return False
    if guard.left == divisor and isinstance(guard.right, ex.Literal):
        op, value = guard.op, guard.right.value
    elif guard.right == divisor and isinstance(guard.left, ex.Literal):
        op, value = ex.FLIPPED[guard.op], guard.left.value
    else:
        return False
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return False
    return {">": value >= 0, ">=": value > 0, "<": value <= 0, "<=": value < 0, "!=": value == 0,
            "==": value != 0}[op]


def _lowest(node: ex.Node, lows: Mapping[str, Decimal]) -> Decimal | None:
    """A lower bound of the expression's value (None: not known)."""
    if isinstance(node, ex.Literal):
        value = node.value
        return Decimal(value) if isinstance(value, int | Decimal) and not isinstance(value, bool) else None
    if isinstance(node, ex.Name):
        return lows.get(node.name)
    if isinstance(node, ex.Binary) and node.op in "+*":
        left, right = _lowest(node.left, lows), _lowest(node.right, lows)
        if left is None or right is None:
            return None
        if node.op == "+":
            return left + right
        return left * right if left >= 0 and right >= 0 else None
    if isinstance(node, ex.Call):
        found = [_lowest(arg, lows) for arg in node.args]
        if node.function == "max":
            known = [v for v in found if v is not None]
            return max(known) if known else None
        return None if any(v is None for v in found) else min(v for v in found if v is not None)
    return None


def _highest(node: ex.Node, highs: Mapping[str, Decimal], lows: Mapping[str, Decimal]) -> Decimal | None:
    """An upper bound of the expression's size (None: not known)."""
    if isinstance(node, ex.Literal):
        value = node.value
        return abs(Decimal(value)) if isinstance(value, int | Decimal) and not isinstance(value, bool) else None
    if isinstance(node, ex.Name):
        return highs.get(node.name)
    if isinstance(node, ex.Unary):
        return _highest(node.operand, highs, lows)
    if isinstance(node, ex.Binary):
        left, right = _highest(node.left, highs, lows), _highest(node.right, highs, lows)
        if node.op == "/":
            lowest = _lowest(node.right, lows)
            return None if left is None or lowest is None or lowest <= 0 else left / lowest
        if left is None or right is None:
            return None
        return left + right if node.op in "+-" else left * right
    if isinstance(node, ex.Call):
        found = [_highest(arg, highs, lows) for arg in node.args]
        return None if any(v is None for v in found) else max(v for v in found if v is not None)
    return None


def _highs(pack: RulePack) -> dict[str, Decimal]:
    highs = {name: abs(info.largest) for name, info in fields().items() if info.largest is not None}
    for name, parameter in pack.parameters.items():
        numbers = [abs(v) for _, v, _ in parameter.values if isinstance(v, int | Decimal) and not isinstance(v, bool)]
        if numbers:
            highs[name] = Decimal(max(numbers))
    return highs


def _lows(pack: RulePack) -> dict[str, Decimal]:
    lows = {name: info.low for name, info in fields().items() if info.low is not None}
    for name, parameter in pack.parameters.items():
        numbers = [v for _, v, _ in parameter.values if isinstance(v, int | Decimal) and not isinstance(v, bool)]
        if numbers:
            lows[name] = Decimal(min(numbers))
    return lows


def _guards(rule: CompiledRule, pack: RulePack) -> list[ex.Node]:
    """Every condition that holds whenever the rule's amount is computed."""
    out: list[ex.Node] = []
    stack, seen = [rule], set()
    while stack:
        current = stack.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        out.extend(g for c in current.conditions for g in _conjuncts(c.node))
        stack.extend(pack.derived[n] for n in current.requires if n in pack.derived)
    return out


def _amount_nodes(rule: CompiledRule) -> Iterable[tuple[str, ex.Node, list[ex.Node]]]:
    amount = rule.amount
    if amount is None:
        return
    for where, node in (("amount.formula", amount.formula), ("amount.min", amount.minimum),
                        ("amount.max", amount.maximum)):
        if node is not None:
            yield where, node, []
    for i, tier in enumerate(amount.tiers):
        yield f"amount.tiers[{i}].formula", tier.formula, list(_conjuncts(tier.when.node))
    for i, cap in enumerate(amount.caps):
        yield f"amount.caps[{i}].value", cap.node, []


def unguarded_divisions(pack: RulePack) -> list[Found]:
    """Divisions that can meet zero, and amounts that can outgrow what Decimal computes exactly to the fen."""
    lows, highs = _lows(pack), _highs(pack)
    found: list[Found] = []
    for rule in pack.rules.values():
        guards = _guards(rule, pack)
        for where, node, more in _amount_nodes(rule):
            with localcontext(ARITHMETIC):
                try:
                    high = _highest(node, highs, lows)
                except ArithmeticError:
                    high = LARGEST * 10
            if high is not None and high > LARGEST:
                found.append((rule.file, rule.id, where,
                              f"the amount can reach about 10^{high.adjusted()} yuan: at most 10^{LARGEST.adjusted()} "
                              "is computed exactly to the fen (Decimal's 50 digits)"))
            for division in _walk(node):
                if not isinstance(division, ex.Binary) or division.op != "/":
                    continue
                divisor = division.right
                if not ex.names_read(divisor):
                    continue  # a constant: the checker refuses one that is zero
                lowest = _lowest(divisor, lows)
                if (lowest is not None and lowest > 0) or any(_excludes_zero(g, divisor) for g in [*guards, *more]):
                    continue
                text = ex.render(divisor)
                found.append((rule.file, rule.id, where,
                              f"division by '{text}', which can be 0, at column {division.position + 1}: add a "
                              f"condition such as '{text} > 0' to the rule, or divide by a number that cannot be 0"))
    return found


def long_chains(pack: RulePack) -> list[Found]:
    """Derived facts whose chain of requirements is longer than MAX_CHAIN (cycles are reported elsewhere)."""
    every = {**pack.derived, **pack.rules}
    length: dict[str, int] = {}
    found: list[Found] = []
    for start in every:
        stack: list[tuple[str, bool]] = [(start, False)]
        on_path: set[str] = set()
        while stack:
            name, done = stack.pop()
            if name in length or name not in every:
                continue
            needs = [n for n in every[name].requires if n in pack.derived]
            if done:
                on_path.discard(name)
                length[name] = 1 + max((length.get(n, 0) for n in needs), default=0)
                continue
            if name in on_path:
                continue  # a cycle
            on_path.add(name)
            stack.append((name, True))
            stack.extend((n, False) for n in needs if n not in length and n not in on_path)
    for name, rule in every.items():
        if length.get(name, 0) > MAX_CHAIN and all(length.get(n, 0) <= MAX_CHAIN for n in rule.requires):
            found.append((rule.file, rule.id, "requires",
                          f"a chain of {length[name]} derived facts, each requiring the next: at most {MAX_CHAIN} "
                          "(the matcher refuses longer chains)"))
    return found


def _range(node: ex.Node, lows: Mapping[str, Decimal], highs: Mapping[str, Decimal]
           ) -> tuple[Decimal, Decimal] | None:
    """Signed bounds of the expression's value (None: not known), for the sign check."""
    if isinstance(node, ex.Literal):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            return None
        return Decimal(value), Decimal(value)
    if isinstance(node, ex.Name):
        low, high = lows.get(node.name), highs.get(node.name)
        return None if low is None or high is None else (low, high)
    if isinstance(node, ex.Unary) and node.op == "-":
        found = _range(node.operand, lows, highs)
        return None if found is None else (-found[1], -found[0])
    if isinstance(node, ex.Binary) and node.op in "+-*":
        a, b = _range(node.left, lows, highs), _range(node.right, lows, highs)
        if a is None or b is None:
            return None
        if node.op == "+":
            return a[0] + b[0], a[1] + b[1]
        if node.op == "-":
            return a[0] - b[1], a[1] - b[0]
        products = [x * y for x in a for y in b]
        return min(products), max(products)
    if isinstance(node, ex.Call) and node.function in ("max", "min") and node.args:
        bounds = [_range(arg, lows, highs) for arg in node.args]
        known = [b for b in bounds if b is not None]
        if len(known) != len(bounds):
            return None
        pick = max if node.function == "max" else min
        return pick(b[0] for b in known), pick(b[1] for b in known)
    return None


def negative_amounts(pack: RulePack) -> list[Found]:
    """Amounts, caps and bounds that are below zero for every applicant (a cap of -5 turns every award into
    nothing, silently): a document never pays a negative sum, so such a value is a mistake in the rule."""
    lows, highs = _lows(pack), _highs(pack)
    signed = dict(highs)
    for name, parameter in pack.parameters.items():  # _highs keeps a parameter's size; the sign needs its value
        numbers = [v for _, v, _ in parameter.values if isinstance(v, int | Decimal) and not isinstance(v, bool)]
        if numbers:
            signed[name] = Decimal(max(numbers))
    found: list[Found] = []
    for rule in pack.rules.values():
        for where, node, _more in _amount_nodes(rule):
            with localcontext(ARITHMETIC):
                try:
                    bounds = _range(node, lows, signed)
                except ArithmeticError:
                    bounds = None
            if bounds is not None and bounds[1] < 0:
                found.append((rule.file, rule.id, where,
                              f"'{ex.render(node)}' is below zero for every applicant (at most {bounds[1]}): an "
                              "amount, a cap or a bound is zero or more"))
    return found


def refused(pack: RulePack) -> list[Found]:
    """Everything above: what `subsidy rules check` refuses in a pack, and a reform in the pack it makes."""
    return [*unguarded_divisions(pack), *negative_amounts(pack), *long_chains(pack)]
