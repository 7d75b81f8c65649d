"""Rule texts to syntax trees: our own tokenizer and recursive-descent grammar, never `eval`.

Depth is bounded (MAX_DEPTH), so a hostile rule file cannot exhaust the stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, localcontext

from guangxi_subsidy.engine.language.syntax import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LIST_ITEMS,
    MAX_WHOLE_DIGITS,
    Binary,
    BoolOp,
    Call,
    Compare,
    ExpressionError,
    InList,
    IsSet,
    Literal,
    LiteralValue,
    Name,
    Node,
    Not,
    Unary,
    children,
)
from guangxi_subsidy.engine.money import ARITHMETIC
from guangxi_subsidy.engine.records import record

# ---------------------------------------------------------------- tokenizer


@record
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
            if len(raw.split(".")[0].lstrip("0")) > MAX_WHOLE_DIGITS or len(raw) > 2 * MAX_WHOLE_DIGITS:
                raise ExpressionError(
                    f"a number of more than {MAX_WHOLE_DIGITS} digits", i, text,
                    hint=f"amounts are exact to {MAX_WHOLE_DIGITS} digits; no figure in the documents needs more",
                )
            value: int | Decimal = Decimal(raw) if "." in raw else int(raw)
            suffix = text[end : end + 1]
            with localcontext(ARITHMETIC):
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
        stack.extend((child, depth + 1) for child in children(current))


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
            if len(items) > MAX_LIST_ITEMS:
                raise self.error(f"a list of more than {MAX_LIST_ITEMS} items", items[-1].position,
                                 "the matcher tests each item in turn; split the condition or use a range")
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
