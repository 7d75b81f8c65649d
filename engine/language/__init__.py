"""The expression language of rule conditions and amount formulas: small, safe, exact.

Policy analysts write these in YAML, so they are parsed by our own grammar (never `eval`), type-checked against
the declared fields, and evaluated exactly with Decimal; `evaluation/compiler.py` turns them into durable_rules
conditions. The modules, in the order a text goes through them: `syntax` (types, symbols, the tree), `parser`,
`checker`, `interpret` (normalize and evaluate), `render`. This package is their one public face.
"""

from guangxi_subsidy.engine.language.checker import Checker, check, compile_amount, compile_condition, fold, is_whole
from guangxi_subsidy.engine.language.interpret import evaluate, normalize
from guangxi_subsidy.engine.language.parser import parse
from guangxi_subsidy.engine.language.render import render
from guangxi_subsidy.engine.language.syntax import (
    FACT_SCALE,
    FLIPPED,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LIST_ITEMS,
    MAX_WHOLE_DIGITS,
    NUMERIC,
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
    Symbol,
    Unary,
    ValueType,
    names_read,
)

__all__ = [
    "FACT_SCALE", "FLIPPED", "FUNCTIONS", "MAX_DEPTH", "MAX_LIST_ITEMS", "MAX_WHOLE_DIGITS",
    "NUMERIC", "Binary", "BoolOp", "Call", "Checker", "Compare",
    "ExpressionError", "InList", "IsSet", "Literal", "LiteralValue", "Name", "Node", "Not", "Symbol", "Unary",
    "ValueType", "check", "compile_amount", "compile_condition", "evaluate", "fold", "is_whole", "names_read",
    "normalize", "parse", "render",
]
