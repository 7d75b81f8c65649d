"""Type checking against the declared fields, before any rule runs.

A rule file is refused at load time, with the position, for every text that could fail or mislead at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, localcontext
from typing import TypeAlias

from guangxi_subsidy.engine.language.interpret import evaluate_node, normalize
from guangxi_subsidy.engine.language.parser import parse
from guangxi_subsidy.engine.language.render import render
from guangxi_subsidy.engine.language.syntax import (
    BOOLEAN_NODES,
    FACT_SCALE,
    NUMERIC,
    Binary,
    BoolOp,
    Call,
    Compare,
    ExpressionError,
    InList,
    IsSet,
    Literal,
    Name,
    Node,
    Not,
    Symbol,
    Unary,
    ValueType,
    children,
    names_read,
)
from guangxi_subsidy.engine.money import ARITHMETIC

# ---------------------------------------------------------------- type checking


def check(node: Node, symbols: Mapping[str, Symbol], *, condition: bool) -> ValueType:
    checker = Checker(symbols, condition)
    if condition:
        checker.condition_operand(node)
        return ValueType.BOOL
    types = checker.infer(node) & NUMERIC
    if not types:
        found = _describe(checker.infer(node))
        raise ExpressionError(f"an amount must be a number, not {found}", node.position)
    return next(t for t in (ValueType.MONEY, ValueType.INTEGER, ValueType.DECIMAL) if t in types)


def compile_condition(text: str, symbols: Mapping[str, Symbol]) -> Node:
    node = parse(text)
    try:
        check(node, symbols, condition=True)
    except ExpressionError as error:
        error.text = text
        raise
    return normalize(node)


def compile_amount(text: str, symbols: Mapping[str, Symbol]) -> Node:
    node = parse(text)
    try:
        check(node, symbols, condition=False)
    except ExpressionError as error:
        error.text = text
        raise
    return node


Types: TypeAlias = frozenset[ValueType]


def _describe(types: Types) -> str:
    if len(types) == 1:
        return next(iter(types)).value
    return "a number" if types <= NUMERIC else "/".join(sorted(types))


def _number_types(value: int | Decimal, condition: bool) -> Types:
    """A numeric constant takes the type of whatever it meets; in a condition it must also encode exactly."""
    whole = value == value.to_integral_value() if isinstance(value, Decimal) else True
    if not condition:
        return NUMERIC if whole else frozenset({ValueType.MONEY, ValueType.DECIMAL})
    with localcontext(ARITHMETIC):
        found = {t for t, scale in FACT_SCALE.items() if is_whole(value * scale)}
    return frozenset(found | ({ValueType.INTEGER} if whole else set()))


def is_whole(value: int | Decimal) -> bool:
    with localcontext(ARITHMETIC):
        return isinstance(value, int) or value == value.to_integral_value()


def _arithmetic(op: str, a: ValueType, b: ValueType, condition: bool) -> ValueType | None:
    money, integer, dec = ValueType.MONEY, ValueType.INTEGER, ValueType.DECIMAL
    if op in "+-":
        return a if a == b else None
    if condition:
        # Facts hold scaled integers, so in durable_rules only a whole-number factor keeps the scale right.
        return b if a == integer else a if b == integer else None
    if op == "*":
        if a == b:
            return None if a == money else a
        return money if money in (a, b) else dec
    if a == money:
        return dec if b == money else money
    return None if b == money else dec


class Checker:
    def __init__(self, symbols: Mapping[str, Symbol], condition: bool) -> None:
        self.symbols = symbols
        self.condition = condition

    def condition_operand(self, node: Node) -> None:
        """Something `and`, `or`, `not` or the whole condition can stand on."""
        types = self.infer(node)
        if ValueType.BOOL not in types:
            raise ExpressionError(f"expected a condition (true/false), not {_describe(types)}", node.position)
        if self.condition and isinstance(node, Literal):
            raise ExpressionError("a constant is not a condition", node.position)

    def symbol(self, node: Name) -> Symbol:
        symbol = self.symbols.get(node.name)
        if symbol is None:
            import difflib  # (only for a misspelling: not loaded by a run without one)

            close = difflib.get_close_matches(node.name, list(self.symbols), n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else None
            raise ExpressionError(f"unknown field '{node.name}'", node.position, hint=hint)
        if self.condition and symbol.is_parameter:
            raise ExpressionError(
                f"'{node.name}' is a dated parameter", node.position, hint="parameters belong in amounts"
            )
        return symbol

    def infer(self, node: Node) -> Types:
        if isinstance(node, Literal):
            return self.literal(node)
        if isinstance(node, Name):
            return frozenset({self.symbol(node).type})
        if isinstance(node, Unary | Binary):
            return self.arithmetic(node)
        if isinstance(node, Compare):
            self.compare(node)
        elif isinstance(node, InList):
            self.in_list(node)
        elif isinstance(node, IsSet):
            self.symbol(node.operand)
        elif isinstance(node, BoolOp | Not):
            for operand in children(node):
                self.condition_operand(operand)
        elif isinstance(node, Call):
            return self.call(node)
        return frozenset({ValueType.BOOL})

    def literal(self, node: Literal) -> Types:
        value = node.value
        if isinstance(value, bool):
            return frozenset({ValueType.BOOL})
        if isinstance(value, str):
            return frozenset({ValueType.TEXT})
        if isinstance(value, date):
            return frozenset({ValueType.DATE})
        return _number_types(value, self.condition)

    def arithmetic(self, node: Unary | Binary) -> Types:
        if isinstance(node, Binary) and node.op == "/" and self.condition:
            raise ExpressionError(
                "'/' is not allowed in a condition",
                node.position,
                hint="conditions compare exactly: multiply instead of dividing",
            )
        operands = children(node)
        operand_types = [self.infer(operand) for operand in operands]
        for operand, types in zip(operands, operand_types, strict=True):
            if not types & NUMERIC:
                raise ExpressionError(f"'{node.op}' needs numbers, not {_describe(types)}", operand.position)
        if isinstance(node, Binary) and node.op == "/" and not names_read(node.right):
            try:
                zero = fold(node.right) == 0
            except ArithmeticError:
                zero = False  # reported below, where the whole is folded or the divisor is checked alone
            if zero:
                raise ExpressionError("division by zero", node.position)
        if not names_read(node):
            try:
                return _number_types(fold(node), self.condition)
            except ZeroDivisionError:
                raise ExpressionError("division by zero", node.position) from None
            except ArithmeticError:  # decimal.Inexact, Overflow: not exact in 50 digits
                raise ExpressionError(
                    "a constant too large to compute exactly", node.position, hint="Decimal holds 50 digits"
                ) from None
        if isinstance(node, Unary):
            return operand_types[0]
        left, right = operand_types
        result = frozenset(
            t for a in left & NUMERIC for b in right & NUMERIC if (t := _arithmetic(node.op, a, b, self.condition))
        )
        if result:
            return result
        if self.condition and node.op == "*":
            raise ExpressionError(
                f"cannot multiply {_describe(left)} by {_describe(right)} in a condition",
                node.position,
                hint="one factor must be a whole number or an integer field",
            )
        verb = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}[node.op]
        joiner = " and " if node.op in "+-" else " by "
        raise ExpressionError(f"cannot {verb} {_describe(left)}{joiner}{_describe(right)}", node.position)

    def call(self, node: Call) -> Types:
        if self.condition:
            raise ExpressionError(
                f"{node.function}(...) is not allowed in a condition",
                node.position,
                hint="compare with each value separately",
            )
        common = NUMERIC
        for arg in node.args:
            common = common & self.infer(arg)
        if not common:
            kinds = ", ".join(_describe(self.infer(arg)) for arg in node.args)
            raise ExpressionError(f"{node.function} needs values of one kind, got {kinds}", node.position)
        return common

    def compare(self, node: Compare) -> None:
        for side in (node.left, node.right):
            if isinstance(side, BOOLEAN_NODES):
                raise ExpressionError("compare a value, not a condition", side.position)
        if self.condition and not (self.is_field(node.left) or self.is_field(node.right)):
            raise ExpressionError("a condition compares a field: put a plain field on one side", node.position)
        left, right = self.infer(node.left), self.infer(node.right)
        allowed = NUMERIC | {ValueType.DATE} if node.op not in ("==", "!=") else frozenset(ValueType)
        if not left & right:
            raise self.mismatch(node.left, left, node.right, right, node.position)
        if not left & right & allowed:
            raise ExpressionError(f"'{node.op}' cannot order {_describe(left & right)} values", node.position)
        self.choice(node.left, node.right)
        self.choice(node.right, node.left)

    def in_list(self, node: InList) -> None:
        if self.condition and not self.is_field(node.operand):
            raise ExpressionError("'in' needs a plain field on its left in a condition", node.operand.position)
        if isinstance(node.operand, BOOLEAN_NODES):
            raise ExpressionError("'in' needs a value on its left, not a condition", node.operand.position)
        types = self.infer(node.operand)
        for item in node.items:
            item_types = self.literal(item)
            if not types & item_types:
                raise self.mismatch(node.operand, types, item, item_types, item.position)
            self.choice(node.operand, item)

    def is_field(self, node: Node) -> bool:
        return isinstance(node, Name)

    def mismatch(self, a: Node, a_types: Types, b: Node, b_types: Types, position: int) -> ExpressionError:
        for field_types, constant, constant_types in ((a_types, b, b_types), (b_types, a, a_types)):
            if len(field_types) == 1 and field_types <= NUMERIC and constant_types <= NUMERIC:
                if not names_read(constant):
                    vtype = next(iter(field_types))
                    unit = {
                        ValueType.MONEY: "a whole number of fen",
                        ValueType.DECIMAL: "at most 6 decimals",
                        ValueType.INTEGER: "a whole number",
                    }[vtype]
                    return ExpressionError(
                        f"{render(constant)} cannot be compared exactly with {vtype.value}",
                        constant.position,
                        hint=f"write {unit}",
                    )
        return ExpressionError(f"cannot compare {_describe(a_types)} with {_describe(b_types)}", position)

    def choice(self, field_node: Node, other: Node) -> None:
        if not (isinstance(field_node, Name) and isinstance(other, Literal) and isinstance(other.value, str)):
            return
        choices = self.symbol(field_node).choices
        if choices is not None and other.value not in choices:
            import difflib  # (only for a misspelling: not loaded by a run without one)

            close = difflib.get_close_matches(other.value, choices, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else "choices: " + ", ".join(choices)
            raise ExpressionError(f"'{other.value}' is not a choice of '{field_node.name}'", other.position, hint=hint)


def fold(node: Node) -> int | Decimal:
    """The value of an arithmetic expression made of constants only."""
    with localcontext(ARITHMETIC):
        value = evaluate_node(node, {})
    assert isinstance(value, int | Decimal) and not isinstance(value, bool)
    return value
