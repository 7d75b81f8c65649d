"""Exact decimal arithmetic on columns: a number is an integer column and a power of ten.

`Scaled(expr, scale, bound)` stands for the values expr / 10**scale, where expr is an integer polars expression
and every row satisfies |expr| <= bound. Sums, differences, products, negation, min and max of such numbers are
again integers with a known scale and a known bound, so they are computed exactly. The bound decides the integer
type: Int64 while it fits, Int128 above that, and beyond 10**37 the expression is refused (`NotExact`) and the
caller computes it row by row with Decimal instead. Below that limit every intermediate value has fewer than 50
significant digits, so the reference engine's Decimal arithmetic (precision 50) is exact too and the two agree
to the last digit. Division is refused: Decimal rounds a quotient to 50 digits, and only Decimal can mirror that.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

INT64_LIMIT = 2**63 - 1
LIMIT = 10**37
_LITERALS: dict[tuple[Any, ...], tuple[pl.Expr, Any]] = {}


def lit(value: Any, dtype: Any = None) -> pl.Expr:
    """`pl.lit(value, dtype)` made once per value, type and dtype, then reused: making one costs polars a
    tenth of a millisecond (a one-value Series), and a pack's plan asks for ~2,000 literals, ~200 different
    ones (a status, a date, a zero). An expression is immutable, so the same one may appear in many plans.
    Keyed by the value's type and repr: 1 and True, or Decimal("1") and Decimal("1.0"), stay apart."""
    # (an Enum hashes its categories, a third of a millisecond: it is keyed by identity, and kept alive by the
    # entry, so that its id is not reused while the entry stands)
    key = (type(value), repr(value), id(dtype) if isinstance(dtype, pl.Enum) else dtype)
    found = _LITERALS.get(key)
    if found is None:
        if len(_LITERALS) >= 4096:  # (values come from rule packs: bounded, but a process may load many)
            _LITERALS.clear()
        found = _LITERALS[key] = (pl.lit(value, dtype=dtype), dtype)
    return found[0]


class NotExact(ValueError):
    """An expression that columns of integers cannot compute exactly (division, or too large a bound)."""


@dataclass(frozen=True)
class Scaled:
    expr: pl.Expr
    scale: int
    bound: int

    @property
    def dtype(self) -> type[pl.DataType]:
        return dtype_for(self.bound)


def dtype_for(bound: int) -> type[pl.DataType]:
    if bound > LIMIT:
        raise NotExact(f"values up to {bound} exceed the exact range of a column")
    return pl.Int64 if bound <= INT64_LIMIT else pl.Int128


def constant(value: int | Decimal) -> Scaled:
    """A literal number, scaled to a whole integer."""
    if isinstance(value, int):
        return Scaled(lit(value, dtype=dtype_for(abs(value))), 0, abs(value))
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), value
    scale = max(0, -exponent)
    whole = int(value.scaleb(scale))
    return Scaled(lit(whole, dtype=dtype_for(abs(whole))), scale, abs(whole))


def rescale(number: Scaled, scale: int) -> Scaled:
    """The same values at a finer scale."""
    if scale == number.scale:
        return number
    assert scale > number.scale
    factor = 10 ** (scale - number.scale)
    bound = number.bound * factor
    return Scaled(_cast(number, bound) * lit(factor, dtype=dtype_for(bound)), scale, bound)


def _cast(number: Scaled, bound: int) -> pl.Expr:
    return number.expr.cast(dtype_for(bound))


def align(*numbers: Scaled) -> list[Scaled]:
    scale = max(n.scale for n in numbers)
    return [rescale(n, scale) for n in numbers]


def add(left: Scaled, right: Scaled, subtract: bool = False) -> Scaled:
    a, b = align(left, right)
    bound = a.bound + b.bound
    x, y = _cast(a, bound), _cast(b, bound)
    return Scaled(x - y if subtract else x + y, a.scale, bound)


def multiply(left: Scaled, right: Scaled) -> Scaled:
    bound = left.bound * right.bound
    return Scaled(_cast(left, bound) * _cast(right, bound), left.scale + right.scale, bound)


def negate(number: Scaled) -> Scaled:
    return Scaled(-number.expr, number.scale, number.bound)


def extreme(numbers: list[Scaled], smallest: bool, skip_missing: bool = False) -> Scaled:
    """min or max; a missing value makes the result missing unless `skip_missing`."""
    aligned = align(*numbers)
    bound = max(n.bound for n in aligned)
    exprs = [_cast(n, bound) for n in aligned]
    found = pl.min_horizontal(exprs) if smallest else pl.max_horizontal(exprs)
    if not skip_missing:
        found = pl.when(pl.any_horizontal([e.is_null() for e in exprs])).then(None).otherwise(found)
    return Scaled(found, aligned[0].scale, bound)


def floor_zero(number: Scaled) -> Scaled:
    """max(value, 0); missing stays missing."""
    return Scaled(number.expr.clip(lower_bound=lit(0, dtype=number.dtype)), number.scale, number.bound)


def compare(op: str, left: Scaled, right: Scaled) -> pl.Expr:
    a, b = align(left, right)
    bound = max(a.bound, b.bound)
    x, y = _cast(a, bound), _cast(b, bound)
    return {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def floor_fen(number: Scaled) -> Scaled:
    """Round a non-negative limit down to the fen (money.floor_fen): scale 2."""
    if number.scale <= 2:
        return rescale(number, 2)
    step = 10 ** (number.scale - 2)
    dtype = dtype_for(number.bound)
    return Scaled(number.expr.cast(dtype) // lit(step, dtype=dtype), 2, number.bound // step)


def to_fen(number: Scaled) -> Scaled:
    """Round a non-negative amount to the fen, half up (money.round_fen): scale 2."""
    if number.scale <= 2:
        return rescale(number, 2)
    step = 10 ** (number.scale - 2)
    dtype = dtype_for(number.bound + step)
    rounded = (number.expr.cast(dtype) + lit(step // 2, dtype=dtype)) // lit(step, dtype=dtype)
    return Scaled(rounded, 2, number.bound // step + 1)
