"""Syntax trees to durable_rules conditions, and profile values to the facts those conditions read.

durable_rules' messages are JSON, so facts carry money as integer fen, ratios as integer millionths and dates as
day ordinals (`encode_value`); conditions are written in the same units. `rete.py` hands both to durable_rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, localcontext

from guangxi_subsidy.engine.language import (
    FACT_SCALE,
    FLIPPED,
    Binary,
    BoolOp,
    Checker,
    Compare,
    ExpressionError,
    InList,
    IsSet,
    Literal,
    Name,
    Node,
    Symbol,
    Unary,
    ValueType,
    check,
    fold,
    is_whole,
    names_read,
    normalize,
    render,
)
from guangxi_subsidy.engine.money import ARITHMETIC


def encode_value(vtype: ValueType, value: object) -> object:
    if value is None:
        return None
    if vtype in FACT_SCALE:
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
            raise ValueError(f"{vtype.value} must be an int or a finite Decimal, not {value!r}")
        with localcontext(ARITHMETIC):
            scaled = Decimal(value) * FACT_SCALE[vtype]
        if not is_whole(scaled):
            unit = "fen" if vtype == ValueType.MONEY else "millionths"
            raise ValueError(f"{value} is not a whole number of {unit}")
        return int(scaled)
    expected: type | tuple[type, ...] = {
        ValueType.INTEGER: int,
        ValueType.BOOL: bool,
        ValueType.TEXT: str,
        ValueType.DATE: date,
    }[vtype]
    if not isinstance(value, expected) or (vtype == ValueType.INTEGER and isinstance(value, bool)):
        raise ValueError(f"{vtype.value} value expected, not {value!r}")
    if isinstance(value, date):
        if type(value) is not date:
            raise ValueError(f"a date is expected, not {value!r}")
        return value.toordinal()
    return value


_DURABLE_OPS = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


def to_durable(node: Node, symbols: Mapping[str, Symbol]) -> dict[str, object]:
    """The durable_rules condition over one fact; facts carry values as `encode_value` gives them.

    durable_rules decides a missing field as false in a comparison with a constant, but inside an `$and`
    it lets a comparison whose right side reads a missing field (`$m`) succeed whatever the operator. So
    a comparison between fields is preceded by `$ex` tests of every field it reads.

    Rules must AND the result with a test on a field only real facts carry: a condition that holds for
    absent fields (`x is not set`) otherwise also matches the session state object, and fires forever.
    """
    check(node, symbols, condition=True)
    return _Durable(symbols).condition(normalize(node))


class _Durable:
    def __init__(self, symbols: Mapping[str, Symbol]) -> None:
        self.symbols = symbols
        self.checker = Checker(symbols, condition=True)

    def condition(self, node: Node) -> dict[str, object]:
        if isinstance(node, BoolOp):
            op, operands = f"${node.op}", list[object]()
            for operand in map(self.condition, node.operands):
                nested = operand.get(op) if len(operand) == 1 else None
                operands.extend(nested if isinstance(nested, list) else [operand])
            return {op: operands}
        if isinstance(node, IsSet):
            return {"$nex" if node.negated else "$ex": {node.operand.name: 1}}
        if isinstance(node, InList):
            assert isinstance(node.operand, Name)
            name, vtype = node.operand.name, self.symbols[node.operand.name].type
            tests = [self.test("!=" if node.negated else "==", name, self.constant(item, vtype)) for item in node.items]
            return {"$and" if node.negated else "$or": tests}
        assert isinstance(node, Compare), f"not a normalized condition: {render(node)}"
        op, left, right = node.op, node.left, node.right
        if not isinstance(left, Name):
            op, left, right = FLIPPED[op], right, left
        assert isinstance(left, Name)
        test = self.test(op, left.name, self.value(right, self.symbols[left.name].type))
        if not names_read(right):
            return test
        present = [{"$ex": {name: 1}} for name in sorted({left.name} | names_read(right))]
        return {"$and": [*present, test]}

    @staticmethod
    def test(op: str, name: str, value: object) -> dict[str, object]:
        return {name: value} if op == "==" else {_DURABLE_OPS[op]: {name: value}}

    def constant(self, node: Node, vtype: ValueType) -> object:
        value = node.value if isinstance(node, Literal) else fold(node)
        if vtype == ValueType.INTEGER and isinstance(value, Decimal) and is_whole(value):
            value = int(value)
        try:
            return encode_value(vtype, value)
        except ValueError as error:
            raise ExpressionError(str(error), node.position) from None

    def value(self, node: Node, vtype: ValueType) -> object:
        """The right-hand side of a comparison with a field of type `vtype`, in that field's units."""
        if not names_read(node):
            return self.constant(node, vtype)
        if isinstance(node, Name):
            return {"$m": node.name}
        if isinstance(node, Unary):
            return {"$sub": {"$l": 0, "$r": self.value(node.operand, vtype)}}
        assert isinstance(node, Binary), f"cannot compile {render(node)} for durable_rules"
        if node.op in "+-":
            left, right = self.value(node.left, vtype), self.value(node.right, vtype)
        else:
            left, right = self.product(node, vtype)
        return {{"+": "$add", "-": "$sub", "*": "$mul"}[node.op]: {"$l": left, "$r": right}}

    def product(self, node: Binary, vtype: ValueType) -> tuple[object, object]:
        """A scaled value times an unscaled whole factor: decide which side is the factor."""
        integer = ValueType.INTEGER
        if vtype == integer:
            return self.value(node.left, integer), self.value(node.right, integer)
        left_can, right_can = (vtype in self.checker.infer(side) for side in (node.left, node.right))
        factor_is_left = not left_can or (right_can and not names_read(node.left))
        if factor_is_left:
            return self.value(node.left, integer), self.value(node.right, vtype)
        return self.value(node.left, vtype), self.value(node.right, integer)
