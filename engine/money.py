"""Money is exact: Decimal yuan in, one rounding rule out.

The one rounding rule: every amount the engine reports is rounded once, at the end of its computation (after caps),
to the fen (0.01 yuan), half away from zero (ROUND_HALF_UP). Intermediate arithmetic is exact Decimal with 50
significant digits, so the only rounding a result ever sees is that last one. A limit (a cap or a ceiling) that
is not a whole number of fen is first rounded down to the fen, so that no amount is ever paid above its limit.
"""

from __future__ import annotations

from decimal import (
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Underflow,
    localcontext,
)

FEN = Decimal("0.01")
# The one Decimal context: 50 significant digits keep every realistic sum and product exact; its traps make an
# invalid operation, an overflow or a division by zero an error instead of a NaN or an infinity.
ARITHMETIC = Context(prec=50, traps=[InvalidOperation, Overflow, DivisionByZero, Underflow])
# The same context where a result is claimed exact (sums, products, scaling to fen): a result that 50 digits cannot
# hold raises Inexact instead of being rounded silently. Divisions keep ARITHMETIC: 1/3 legitimately rounds.
EXACT = Context(prec=50, traps=[InvalidOperation, Overflow, DivisionByZero, Underflow, Inexact])


def round_fen(amount: Decimal) -> Decimal:
    """Round to the fen, half away from zero: the engine's single rounding rule."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP, context=ARITHMETIC)  # (in the context, not entering it)


def floor_fen(limit: Decimal) -> Decimal:
    """A limit in whole fen, rounded down: paying up to it never pays above the limit."""
    with localcontext(ARITHMETIC):
        return limit.quantize(FEN, rounding=ROUND_FLOOR)


def to_fen(amount: Decimal) -> int:
    """Exact yuan to integer fen; refuses sub-fen amounts rather than rounding them silently."""
    with localcontext(EXACT):
        fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} yuan is not a whole number of fen")
    return int(fen)


def format_yuan(amount: Decimal) -> str:
    """Thousands separators and two decimals, the way a finance office writes it."""
    return f"{round_fen(amount):,.2f}"
