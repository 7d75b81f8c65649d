"""The expression language's vocabulary: value types, symbols, errors and the syntax tree.

Positions do not take part in equality, so a tree equals its re-parsed rendering.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

from guangxi_subsidy.engine.records import record

MAX_DEPTH = 50
# A number in a rule has at most this many digits before its point: amounts stay far inside Decimal's 50 digits
# (a product of two such numbers and a profile figure is still exact), and no figure in the documents needs more.
MAX_WHOLE_DIGITS = 18
# An `in [...]` list holds at most this many items: durable_rules tests them one by one, and from 512 items on its
# matcher never returns.
MAX_LIST_ITEMS = 256
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
FACT_SCALE = {ValueType.MONEY: 100, ValueType.DECIMAL: 1_000_000}


@record
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


@record
class Literal:
    value: LiteralValue
    position: int = field(default=0, compare=False)


@record
class Name:
    name: str
    position: int = field(default=0, compare=False)


@record
class Unary:
    op: str
    operand: Node
    position: int = field(default=0, compare=False)


@record
class Binary:
    op: str
    left: Node
    right: Node
    position: int = field(default=0, compare=False)


@record
class Compare:
    op: str
    left: Node
    right: Node
    position: int = field(default=0, compare=False)


@record
class InList:
    operand: Node
    items: tuple[Literal, ...]
    negated: bool = False
    position: int = field(default=0, compare=False)


@record
class IsSet:
    operand: Name
    negated: bool = False
    position: int = field(default=0, compare=False)


@record
class BoolOp:
    op: str
    operands: tuple[Node, ...]
    position: int = field(default=0, compare=False)


@record
class Not:
    operand: Node
    position: int = field(default=0, compare=False)


@record
class Call:
    function: str
    args: tuple[Node, ...]
    position: int = field(default=0, compare=False)


Node: TypeAlias = "Literal | Name | Unary | Binary | Compare | InList | IsSet | BoolOp | Not | Call"
BOOLEAN_NODES = (Compare, InList, IsSet, BoolOp, Not)
NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
FLIPPED = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def children(node: Node) -> tuple[Node, ...]:
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
        stack.extend(children(current))


def names_read(node: Node) -> set[str]:
    return {n.name for n in _walk(node) if isinstance(n, Name)}
