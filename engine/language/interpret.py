"""Normalizing and evaluating a tree exactly, in Decimal.

Missing values: a comparison that reads a missing field is false (`!=` included); only `is set` / `is not
set` look at presence. `evaluate` decides on the normalized form (`not` pushed down to the comparisons),
which is the form durable_rules receives, so both always decide a condition alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal, localcontext

from guangxi_subsidy.engine.language.syntax import (
    BOOLEAN_NODES,
    NEGATED,
    Binary,
    BoolOp,
    Compare,
    InList,
    IsSet,
    Literal,
    Name,
    Node,
    Not,
    Unary,
)
from guangxi_subsidy.engine.money import ARITHMETIC, EXACT

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
        return replace(node, op=NEGATED[node.op]) if negate else node
    if isinstance(node, InList | IsSet):
        return replace(node, negated=node.negated != negate)
    if isinstance(node, Name):
        return Compare("==", node, Literal(not negate, node.position), node.position)
    if isinstance(node, Literal) and isinstance(node.value, bool):
        return Literal(node.value != negate, node.position)
    return Not(node, node.position) if negate else node


def evaluate(node: Node, env: Mapping[str, object]) -> object:
    if isinstance(node, BOOLEAN_NODES):
        node = normalize(node)
    with localcontext(ARITHMETIC):
        return evaluate_node(node, env)


def _number(value: object, position: int) -> int | Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"expected an int or Decimal at column {position + 1}, got {type(value).__name__}")
    return value


def evaluate_node(node: Node, env: Mapping[str, object]) -> object:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        return env.get(node.name)
    if isinstance(node, Unary):
        value = evaluate_node(node.operand, env)
        return None if value is None else -_number(value, node.position)
    if isinstance(node, Binary):
        return _binary(node, evaluate_node(node.left, env), evaluate_node(node.right, env))
    if isinstance(node, Compare):
        left, right = evaluate_node(node.left, env), evaluate_node(node.right, env)
        return left is not None and right is not None and _compare(node.op, left, right)
    if isinstance(node, InList):
        value = evaluate_node(node.operand, env)
        return value is not None and (value in [item.value for item in node.items]) != node.negated
    if isinstance(node, IsSet):
        return (env.get(node.operand.name) is not None) != node.negated
    if isinstance(node, BoolOp):
        results = (evaluate_node(operand, env) is True for operand in node.operands)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return evaluate_node(normalize(node), env)
    values = [evaluate_node(arg, env) for arg in node.args]
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
    # Sums and products are exact (money.EXACT traps Inexact): 50 digits they cannot hold are an error, never a
    # silent rounding; a quotient may round (to 50 digits), and the amount is rounded to the fen after its caps.
    with localcontext(EXACT):
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
