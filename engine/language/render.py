"""Trees back to rule text, with only the parentheses precedence needs (explanations, `rules show`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from guangxi_subsidy.engine.language.syntax import (
    Binary,
    Call,
    Compare,
    InList,
    IsSet,
    Literal,
    LiteralValue,
    Name,
    Node,
    Not,
    Unary,
)

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
        # `not not x` needs no parentheses: nested negations must not nest them (the parser bounds their depth).
        inner = node.operand
        operand = _render(inner)[0] if isinstance(inner, Not) else _wrap(inner, _PRECEDENCE["unary"])
        return f"not {operand}", _PRECEDENCE["not"]
    level = _PRECEDENCE[node.op]
    return f" {node.op} ".join(_wrap(operand, level) for operand in node.operands), level
