"""Rule conditions and amount formulas: a small, safe expression language.

Policy analysts write these in YAML, so they are parsed by our own grammar (never `eval`), type-checked
against the declared fields, evaluated exactly with Decimal, and compiled into durable_rules conditions.

Missing values: a comparison that reads a missing field is false (`!=` included); only `is set` / `is not
set` look at presence. `evaluate` decides on the normalized form (`not` pushed down to the comparisons),
which is the form durable_rules receives, so both always decide a condition alike.
"""

from __future__ import annotations

import decimal
import difflib
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

MAX_DEPTH = 50
FUNCTIONS = ("min", "max")


class ValueType(StrEnum):
    MONEY = "money"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOL = "bool"
    TEXT = "text"
    DATE = "date"


NUMERIC = frozenset({ValueType.MONEY, ValueType.INTEGER, ValueType.DECIMAL})
# Facts carry money in fen and decimals in millionths, so that durable_rules compares integers only.
_SCALE = {ValueType.MONEY: 100, ValueType.DECIMAL: 1_000_000}
# Precision 50 keeps every realistic sum and product exact; traps turn silent rounding into errors.
_CONTEXT = decimal.Context(prec=50, traps=[decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero])


@dataclass(frozen=True)
class Symbol:
    name: str
    type: ValueType
    choices: tuple[str, ...] | None = None
    is_parameter: bool = False


class ExpressionError(ValueError):
    """A rule text that cannot be accepted; `position` is a 0-based offset into `text`."""

    def __init__(self, message: str, position: int, text: str = "", hint: str | None = None) -> None:
        self.message = message
        self.position = position
        self.text = text
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        where = f"{self.message} at column {self.position + 1}"
        return f"{where}: {self.hint}" if self.hint else where


# ---------------------------------------------------------------- syntax tree
# Positions do not take part in equality, so a tree equals its re-parsed rendering.

LiteralValue: TypeAlias = "int | Decimal | bool | str | date"


@dataclass(frozen=True)
class Literal:
    value: LiteralValue
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Name:
    name: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class InList:
    operand: Node
    items: tuple[Literal, ...]
    negated: bool = False
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class IsSet:
    operand: Name
    negated: bool = False
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class BoolOp:
    op: str
    operands: tuple[Node, ...]
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]
    position: int = field(default=0, compare=False)


Node: TypeAlias = "Literal | Name | Unary | Binary | Compare | InList | IsSet | BoolOp | Not | Call"
_BOOLEAN_NODES = (Compare, InList, IsSet, BoolOp, Not)
_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary | Not | IsSet):
        return (node.operand,)
    if isinstance(node, Binary | Compare):
        return (node.left, node.right)
    if isinstance(node, InList):
        return (node.operand, *node.items)
    if isinstance(node, BoolOp):
        return node.operands
    if isinstance(node, Call):
        return node.args
    return ()


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(_children(current))


def names_read(node: Node) -> set[str]:
    return {n.name for n in _walk(node) if isinstance(n, Name)}


# ---------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class _Token:
    kind: str  # num, str, date, name, kw, op, end
    text: str
    position: int
    value: LiteralValue | None = None


_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "set", "true", "false"})
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",")
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_NUMBER = re.compile(r"[0-9]+(?:_[0-9]+)*(?:\.[0-9]+(?:_[0-9]+)*)?")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'")


def _glued(text: str, end: int) -> bool:
    """A number or date running straight into letters or a dot is a typo, not two tokens."""
    return end < len(text) and (text[end].isalnum() or text[end] in "_.")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif (m := _DATE.match(text, i)) and not _glued(text, m.end()):
            try:
                day = date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise ExpressionError(f"'{m[0]}' is not a valid date", i, text) from None
            tokens.append(_Token("date", m[0], i, day))
            i = m.end()
        elif m := _NUMBER.match(text, i):
            raw, end = m[0].replace("_", ""), m.end()
            value: int | Decimal = Decimal(raw) if "." in raw else int(raw)
            suffix = text[end : end + 1]
            with decimal.localcontext(_CONTEXT):
                if suffix == "%":
                    value, end = Decimal(raw) / 100, end + 1
                elif suffix == "万":
                    value, end = _tidy(Decimal(raw) * 10_000), end + 1
            if _glued(text, end):
                raise ExpressionError(f"malformed number '{text[i : end + 1]}'", i, text)
            tokens.append(_Token("num", text[i:end], i, value))
            i = end
        elif m := _STRING.match(text, i):
            tokens.append(_Token("str", m[0], i, m[0][1:-1]))
            i = m.end()
        elif ch in "\"'":
            raise ExpressionError("unterminated string", i, text)
        elif m := _NAME.match(text, i):
            tokens.append(_Token("kw" if m[0] in _KEYWORDS else "name", m[0], i))
            i = m.end()
        elif text.startswith("**", i):
            raise ExpressionError("'**' is not supported", i, text, "multiply explicitly")
        elif ch == "=" and not text.startswith("==", i):
            raise ExpressionError("unexpected '='", i, text, "compare with '=='")
        elif op := next((op for op in _OPERATORS if text.startswith(op, i)), None):
            tokens.append(_Token("op", op, i))
            i += len(op)
        else:
            raise ExpressionError(f"unexpected character {ch!r}", i, text)
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _tidy(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


# ---------------------------------------------------------------- parser


def parse(text: str) -> Node:
    node = _Parser(text).parse()
    for sub, depth in _depths(node):
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nests more than {MAX_DEPTH} levels deep", sub.position, text)
    return node


def _depths(node: Node) -> Iterator[tuple[Node, int]]:
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        yield current, depth
        stack.extend((child, depth + 1) for child in _children(current))


class _Parser:
    """Recursive descent; precedence from loose to tight: or, and, not, comparison, + -, * /, unary -."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    def parse(self) -> Node:
        node = self.expression()
        if self.peek().kind != "end":
            raise self.unexpected(self.peek())
        return node

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.peek()
        self.index += 1
        return token

    def at(self, kind: str, text: str | None = None, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == kind and (text is None or token.text == text)

    def error(self, message: str, position: int, hint: str | None = None) -> ExpressionError:
        return ExpressionError(message, position, self.text, hint)

    def unexpected(self, token: _Token) -> ExpressionError:
        if token.kind == "end":
            return self.error("unexpected end of text", token.position)
        hint = f"did you mean '{token.text.lower()}'?" if token.text.lower() in _KEYWORDS else None
        return self.error(f"unexpected '{token.text}'", token.position, hint)

    def expect(self, text: str, message: str) -> _Token:
        if not self.at("op", text):
            raise self.error(message, self.peek().position)
        return self.advance()

    @contextmanager
    def nested(self) -> Iterator[None]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"expression nests more than {MAX_DEPTH} levels deep", self.peek().position)
        try:
            yield
        finally:
            self.depth -= 1

    def expression(self) -> Node:
        with self.nested():
            return self.boolean("or", self.conjunction)

    def conjunction(self) -> Node:
        return self.boolean("and", self.negation)

    def boolean(self, op: str, operand: Callable[[], Node]) -> Node:
        first = operand()
        if not self.at("kw", op):
            return first
        position, operands = self.peek().position, [first]
        while self.at("kw", op):
            self.advance()
            operands.append(operand())
        return BoolOp(op, tuple(operands), position)

    def negation(self) -> Node:
        if self.at("kw", "not"):
            position = self.advance().position
            with self.nested():
                return Not(self.negation(), position)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        token = self.peek()
        node: Node
        if token.kind == "op" and token.text in _COMPARISONS:
            self.advance()
            node = Compare(token.text, left, self.sum(), token.position)
        elif self.at("kw", "in") or (self.at("kw", "not") and self.at("kw", "in", ahead=1)):
            negated = self.advance().text == "not"
            if negated:
                self.advance()
            node = InList(left, self.literal_list(), negated, token.position)
        elif self.at("kw", "is"):
            self.advance()
            negated = self.at("kw", "not")
            if negated:
                self.advance()
            if not self.at("kw", "set"):
                raise self.error("expected 'set' after 'is'", self.peek().position)
            self.advance()
            if not isinstance(left, Name):
                raise self.error("only a field can be tested with 'is set'", token.position)
            node = IsSet(left, negated, token.position)
        else:
            return left
        after = self.peek()
        if (after.kind == "op" and after.text in _COMPARISONS) or (after.kind == "kw" and after.text in ("in", "is")):
            raise self.error("comparisons cannot be chained", after.position, "join them with 'and'")
        return node

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect("[", "expected '[' after 'in'")
        if self.at("op", "]"):
            raise self.error("an empty list matches nothing", self.peek().position)
        items = [self.list_item()]
        while self.at("op", ","):
            self.advance()
            items.append(self.list_item())
        self.expect("]", "expected ',' or ']' in the list")
        return tuple(items)

    def list_item(self) -> Literal:
        token = self.advance()
        if token.kind == "op" and token.text == "-" and self.at("num"):
            value = self.advance().value
            assert isinstance(value, int | Decimal)
            return Literal(-value, token.position)
        if token.kind in ("num", "str", "date") or token.text in ("true", "false"):
            return self.literal(token)
        raise self.error("a list holds only literal values", token.position)

    @staticmethod
    def literal(token: _Token) -> Literal:
        if token.kind == "kw":
            return Literal(token.text == "true", token.position)
        assert token.value is not None
        return Literal(token.value, token.position)

    def sum(self) -> Node:
        return self.binary(("+", "-"), self.term)

    def term(self) -> Node:
        return self.binary(("*", "/"), self.unary)

    def binary(self, ops: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        left = operand()
        while self.peek().kind == "op" and self.peek().text in ops:
            token = self.advance()
            left = Binary(token.text, left, operand(), token.position)
        return left

    def unary(self) -> Node:
        if self.at("op", "-"):
            position = self.advance().position
            with self.nested():
                return Unary("-", self.unary(), position)
        return self.primary()

    def primary(self) -> Node:
        token = self.advance()
        if token.kind in ("num", "str", "date") or token.text in ("true", "false"):
            return self.literal(token)
        if token.kind == "name" and self.at("op", "("):
            return self.call(token)
        if token.kind == "name":
            return Name(token.text, token.position)
        if token.kind == "op" and token.text == "(":
            node = self.expression()
            self.expect(")", "expected ')'")
            return node
        found = "end of text" if token.kind == "end" else f"'{token.text}'"
        raise self.error(f"expected a value, found {found}", token.position)

    def call(self, name: _Token) -> Call:
        if name.text not in FUNCTIONS:
            raise self.error(f"unknown function '{name.text}'", name.position, "only min(...) and max(...) exist")
        self.advance()
        args = [self.expression()]
        while self.at("op", ","):
            self.advance()
            args.append(self.expression())
        self.expect(")", "expected ',' or ')'")
        if len(args) < 2:
            raise self.error(f"{name.text} needs at least two values", name.position)
        return Call(name.text, tuple(args), name.position)


# ---------------------------------------------------------------- type checking


def check(node: Node, symbols: Mapping[str, Symbol], *, condition: bool) -> ValueType:
    checker = _Checker(symbols, condition)
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
    with decimal.localcontext(_CONTEXT):
        found = {t for t, scale in _SCALE.items() if _is_whole(value * scale)}
    return frozenset(found | ({ValueType.INTEGER} if whole else set()))


def _is_whole(value: int | Decimal) -> bool:
    with decimal.localcontext(_CONTEXT):
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


class _Checker:
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
            for operand in _children(node):
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
        operands = _children(node)
        operand_types = [self.infer(operand) for operand in operands]
        for operand, types in zip(operands, operand_types, strict=True):
            if not types & NUMERIC:
                raise ExpressionError(f"'{node.op}' needs numbers, not {_describe(types)}", operand.position)
        if not names_read(node):
            try:
                return _number_types(_fold(node), self.condition)
            except ZeroDivisionError:
                raise ExpressionError("division by zero", node.position) from None
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
            if isinstance(side, _BOOLEAN_NODES):
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
        if isinstance(node.operand, _BOOLEAN_NODES):
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
            close = difflib.get_close_matches(other.value, choices, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else "choices: " + ", ".join(choices)
            raise ExpressionError(f"'{other.value}' is not a choice of '{field_node.name}'", other.position, hint=hint)


def _fold(node: Node) -> int | Decimal:
    """The value of an arithmetic expression made of constants only."""
    with decimal.localcontext(_CONTEXT):
        value = _eval(node, {})
    assert isinstance(value, int | Decimal) and not isinstance(value, bool)
    return value


# ---------------------------------------------------------------- normalization and evaluation


def normalize(node: Node) -> Node:
    return _normalize(node, negate=False)


def _normalize(node: Node, negate: bool) -> Node:
    if isinstance(node, Not):
        return _normalize(node.operand, not negate)
    if isinstance(node, BoolOp):
        op = {"and": "or", "or": "and"}[node.op] if negate else node.op
        operands: list[Node] = []
        for operand in node.operands:
            normal = _normalize(operand, negate)
            operands.extend(normal.operands if isinstance(normal, BoolOp) and normal.op == op else [normal])
        return BoolOp(op, tuple(operands), node.position)
    if isinstance(node, Compare):
        return replace(node, op=_NEGATED[node.op]) if negate else node
    if isinstance(node, InList | IsSet):
        return replace(node, negated=node.negated != negate)
    if isinstance(node, Name):
        return Compare("==", node, Literal(not negate, node.position), node.position)
    if isinstance(node, Literal) and isinstance(node.value, bool):
        return Literal(node.value != negate, node.position)
    return Not(node, node.position) if negate else node


def evaluate(node: Node, env: Mapping[str, object]) -> object:
    if isinstance(node, _BOOLEAN_NODES):
        node = normalize(node)
    with decimal.localcontext(_CONTEXT):
        return _eval(node, env)


def _number(value: object, position: int) -> int | Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"expected an int or Decimal at column {position + 1}, got {type(value).__name__}")
    return value


def _eval(node: Node, env: Mapping[str, object]) -> object:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        return env.get(node.name)
    if isinstance(node, Unary):
        value = _eval(node.operand, env)
        return None if value is None else -_number(value, node.position)
    if isinstance(node, Binary):
        return _binary(node, _eval(node.left, env), _eval(node.right, env))
    if isinstance(node, Compare):
        left, right = _eval(node.left, env), _eval(node.right, env)
        return left is not None and right is not None and _compare(node.op, left, right)
    if isinstance(node, InList):
        value = _eval(node.operand, env)
        return value is not None and (value in [item.value for item in node.items]) != node.negated
    if isinstance(node, IsSet):
        return (env.get(node.operand.name) is not None) != node.negated
    if isinstance(node, BoolOp):
        results = (_eval(operand, env) is True for operand in node.operands)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return _eval(normalize(node), env)
    values = [_eval(arg, env) for arg in node.args]
    if any(value is None for value in values):
        return None
    numbers = [_number(value, node.position) for value in values]
    return min(numbers) if node.function == "min" else max(numbers)


def _binary(node: Binary, left: object, right: object) -> int | Decimal | None:
    if left is None or right is None:
        return None
    a, b = _number(left, node.position), _number(right, node.position)
    if node.op == "/":
        if b == 0:
            raise ZeroDivisionError(f"division by zero at column {node.position + 1}")
        return Decimal(a) / Decimal(b)
    if isinstance(a, int) and isinstance(b, int):
        return a + b if node.op == "+" else a - b if node.op == "-" else a * b
    x, y = Decimal(a), Decimal(b)
    return x + y if node.op == "+" else x - y if node.op == "-" else x * y


def _compare(op: str, left: object, right: object) -> bool:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    a, b = left, right
    assert isinstance(a, int | Decimal | date) and isinstance(b, int | Decimal | date)
    if op == "<":
        return a < b  # type: ignore[operator]
    if op == "<=":
        return a <= b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


# ---------------------------------------------------------------- rendering

_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "not": 3,
    "compare": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "unary": 7,
    "atom": 8,
}


def render(node: Node) -> str:
    return _render(node)[0]


def _wrap(node: Node, above: int) -> str:
    """Render `node`, parenthesized unless it binds tighter than `above`."""
    text, precedence = _render(node)
    return text if precedence > above else f"({text})"


def _render_literal(value: LiteralValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'" if '"' in value else f'"{value}"'
    if isinstance(value, date):
        return value.isoformat()
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _render(node: Node) -> tuple[str, int]:
    if isinstance(node, Literal):
        text = _render_literal(node.value)
        return text, _PRECEDENCE["unary" if text.startswith("-") else "atom"]
    if isinstance(node, Name):
        return node.name, _PRECEDENCE["atom"]
    if isinstance(node, Call):
        return f"{node.function}({', '.join(render(arg) for arg in node.args)})", _PRECEDENCE["atom"]
    if isinstance(node, Unary):
        return f"-{_wrap(node.operand, _PRECEDENCE['unary'] - 1)}", _PRECEDENCE["unary"]
    if isinstance(node, Binary):
        level = _PRECEDENCE[node.op]
        return f"{_wrap(node.left, level - 1)} {node.op} {_wrap(node.right, level)}", level
    compare = _PRECEDENCE["compare"]
    if isinstance(node, Compare):
        return f"{_wrap(node.left, compare)} {node.op} {_wrap(node.right, compare)}", compare
    if isinstance(node, InList):
        items = ", ".join(_render_literal(item.value) for item in node.items)
        keyword = "not in" if node.negated else "in"
        return f"{_wrap(node.operand, compare)} {keyword} [{items}]", compare
    if isinstance(node, IsSet):
        return f"{node.operand.name} is {'not ' if node.negated else ''}set", compare
    if isinstance(node, Not):
        return f"not {_wrap(node.operand, _PRECEDENCE['unary'])}", _PRECEDENCE["not"]
    level = _PRECEDENCE[node.op]
    return f" {node.op} ".join(_wrap(operand, level) for operand in node.operands), level


# ---------------------------------------------------------------- durable_rules


def encode_value(vtype: ValueType, value: object) -> object:
    if value is None:
        return None
    if vtype in _SCALE:
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
            raise ValueError(f"{vtype.value} must be an int or a finite Decimal, not {value!r}")
        with decimal.localcontext(_CONTEXT):
            scaled = Decimal(value) * _SCALE[vtype]
        if not _is_whole(scaled):
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
        self.checker = _Checker(symbols, condition=True)

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
            op, left, right = _FLIPPED[op], right, left
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
        value = node.value if isinstance(node, Literal) else _fold(node)
        if vtype == ValueType.INTEGER and isinstance(value, Decimal) and _is_whole(value):
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
