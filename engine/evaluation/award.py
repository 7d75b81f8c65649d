"""How much: a rule's amount computed exactly, with the cap that bit and every input shown.

An amount is computed in exact Decimal, capped, floored at zero, and rounded once to the fen (money.round_fen).
What the documents do not quantify stays unquantified: it is never turned into 0.
"""

from __future__ import annotations

from dataclasses import field
from decimal import Decimal
from typing import Any

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.evaluation.outcome import QUANTIFIED, AmountKind
from guangxi_subsidy.engine.money import floor_fen, round_fen
from guangxi_subsidy.engine.records import record
from guangxi_subsidy.engine.rules.compiled import CompiledAmount, CompiledCap
from guangxi_subsidy.engine.rules.pack import RulePack


@record(made_often=True)
class CapOutcome:
    text: str
    per: str
    says: str | None
    value: Decimal | None
    bit: bool


@record(made_often=True)
class Award:
    """An amount as reported.

    kind: exact | range | estimate | up_to | unquantified | non_monetary | incomplete (eligible, but a figure the
    amount needs is missing from the profile: `missing` names it).
    """

    kind: AmountKind
    value: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    uncapped: Decimal | None = None
    formula: str | None = None
    tier: str | None = None
    caps: tuple[CapOutcome, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    assumes: dict[str, tuple[Decimal | None, str | None]] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    period: str | None = None
    says: str | None = None

    @property
    def quantified(self) -> bool:
        return self.kind in QUANTIFIED

    def figures(self) -> dict[str, Decimal | None]:
        """The figures totals add (`outcome.contributions` says which)."""
        return {"value": self.value, "min": self.minimum, "max": self.maximum}


class AmountError(ValueError):
    """An amount that cannot be computed for one applicant (a division meeting zero, a figure past Decimal's
    50 digits): that applicant's error, with the rule named, never the end of a run. `index` is the applicant's
    position in a batch, where one is known."""

    def __init__(self, rule: str, reason: str, index: int | None = None):
        self.rule, self.reason, self.index = rule, reason, index
        super().__init__(f"rule {rule}: the amount cannot be computed for this applicant ({reason})")


def compute(amount: CompiledAmount, env: dict[str, Any], pack: RulePack, on: Any, rule: str = "") -> Award:
    """The amount for one applicant; raises AmountError when its arithmetic fails."""
    try:
        return _compute(amount, env, pack, on)
    except ArithmeticError as error:  # ZeroDivisionError and every trapped decimal signal
        reason = str(error) if isinstance(error, ZeroDivisionError) else f"decimal {type(error).__name__}"
        raise AmountError(rule or "?", reason) from None


def _compute(amount: CompiledAmount, env: dict[str, Any], pack: RulePack, on: Any) -> Award:
    spec = amount.terms  # (what the amount states, as written: read without the rule file's model)
    common: dict[str, Any] = {"period": spec.period, "says": spec.says}
    if spec.kind == "non_monetary":
        return Award(kind=AmountKind.NON_MONETARY, **common)

    caps, cap_missing = _caps(amount.caps, env)
    if spec.kind in ("unquantified", "up_to"):
        ceiling = _evaluate_money(amount.maximum, env) if amount.maximum is not None else None
        limits = [c.value for c in caps if c.value is not None] + ([ceiling] if ceiling is not None else [])
        maximum = floor_fen(max(min(limits), Decimal(0))) if limits else None
        kind = AmountKind.UP_TO if maximum is not None else AmountKind.UNQUANTIFIED
        return Award(kind=kind, maximum=maximum, caps=caps, inputs=_inputs(amount, env), **common)

    if spec.kind == "range":
        assert amount.minimum is not None and amount.maximum is not None
        low = _evaluate_money(amount.minimum, env)
        high = _evaluate_money(amount.maximum, env)
        missing = _missing(amount, env) if low is None or high is None or cap_missing else ()
        if missing:
            return Award(kind=AmountKind.INCOMPLETE, missing=missing, caps=caps, inputs=_inputs(amount, env), **common)
        assert low is not None and high is not None
        low_capped, _ = _apply_caps(low, caps)
        high_capped, bit = _apply_caps(high, caps)
        return Award(
            kind=AmountKind.RANGE,
            minimum=round_fen(low_capped),
            maximum=round_fen(high_capped),
            uncapped=high,
            formula=f"{spec.min} … {spec.max}",
            caps=bit,
            inputs=_inputs(amount, env),
            **common,
        )

    formula, formula_text, tier = amount.formula, spec.formula, None
    if spec.kind == "tiers":
        for compiled in amount.tiers:
            if ex.evaluate(compiled.when.node, env) is True:
                formula, formula_text = compiled.formula, compiled.formula_text
                tier = compiled.says or compiled.when.text
                break
        if formula is None:
            return Award(kind=AmountKind.INCOMPLETE, missing=_missing(amount, env), inputs=_inputs(amount, env),
                         **common)
    assert formula is not None
    value = _evaluate_money(formula, env)
    if value is None and not cap_missing and caps and rises_with_inputs(formula):
        reached = _cap_reached(formula, caps, env, pack)
        if reached is not None:
            return Award(kind=AmountKind.ESTIMATE if spec.kind == "estimate" else AmountKind.EXACT,
                         value=round_fen(reached[0]), formula=formula_text, tier=tier, caps=reached[1],
                         inputs=_inputs(amount, env),
                         assumes={name: _parameter_at(pack, name, on) for name in spec.assumes}, **common)
    if value is None or cap_missing:
        known = [c.value for c in caps if c.value is not None]
        ceiling = round_fen(min(known)) if known else None
        return Award(
            kind=AmountKind.INCOMPLETE, maximum=ceiling, caps=caps, missing=_missing(amount, env),
            inputs=_inputs(amount, env), **common,
        )
    capped, outcomes = _apply_caps(value, caps)
    assumes = {name: _parameter_at(pack, name, on) for name in spec.assumes}
    return Award(
        kind=AmountKind.ESTIMATE if spec.kind == "estimate" else AmountKind.EXACT,
        value=round_fen(capped),
        uncapped=value,
        formula=formula_text,
        tier=tier,
        caps=outcomes,
        inputs=_inputs(amount, env),
        assumes=assumes,
        **common,
    )


def rises_with_inputs(node: ex.Node) -> bool:
    """Whether the amount never falls when an input rises: sums, products and min/max of inputs and non-negative
    numbers. Profile figures are never negative, so such an amount with its missing figures taken as 0 is a
    lower bound of what it would be with them given."""
    if isinstance(node, ex.Literal):
        return isinstance(node.value, (int, Decimal)) and not isinstance(node.value, bool) and node.value >= 0
    if isinstance(node, ex.Name):
        return True
    if isinstance(node, ex.Binary):
        return node.op in ("+", "*") and rises_with_inputs(node.left) and rises_with_inputs(node.right)
    if isinstance(node, ex.Call):
        return node.function in ("min", "max") and all(rises_with_inputs(a) for a in node.args)
    return False


def _cap_reached(formula: ex.Node, caps: tuple[CapOutcome, ...], env: dict[str, Any],
                 pack: RulePack) -> tuple[Decimal, tuple[CapOutcome, ...]] | None:
    """The lowest cap, when the amount's lower bound (its missing profile figures as 0) already reaches it: the
    amount is then the cap whatever the missing figures are (a site's rent unknown, the utilities alone above
    the month's ceiling). None when the bound stays below every cap, or a missing name is not a profile figure."""
    unknown = [n for n in ex.names_read(formula) if env.get(n) is None]
    if any(n not in pack.symbols or pack.symbols[n].is_parameter for n in unknown):
        return None
    low = _evaluate_money(formula, {**env, **dict.fromkeys(unknown, Decimal(0))})
    limits = [c.value for c in caps if c.value is not None]
    if low is None or not limits or low < min(limits):
        return None
    capped, outcomes = _apply_caps(low, caps)
    if all(not c.bit for c in outcomes):  # the bound equals the cap: it binds all the same
        known = [i for i, c in enumerate(caps) if c.value is not None]
        lowest = min(known, key=lambda i: caps[i].value or Decimal(0))
        outcomes = tuple(CapOutcome(c.text, c.per, c.says, c.value, bit=(i == lowest)) for i, c in enumerate(caps))
    return capped, outcomes


def _parameter_at(pack: RulePack, name: str, on: Any) -> tuple[Decimal | None, str | None]:
    found = pack.parameters[name].at(on)
    return (found[0], found[1]) if found else (None, None)


def _evaluate_money(node: ex.Node, env: dict[str, Any]) -> Decimal | None:
    value = ex.evaluate(node, env)
    if value is None:
        return None
    assert isinstance(value, (Decimal, int)) and not isinstance(value, bool)
    return Decimal(value)


def _caps(caps: tuple[CompiledCap, ...], env: dict[str, Any]) -> tuple[tuple[CapOutcome, ...], bool]:
    out, missing = [], False
    for cap in caps:
        value = _evaluate_money(cap.node, env)
        missing |= value is None
        limit = None if value is None else floor_fen(max(value, Decimal(0)))
        out.append(CapOutcome(cap.text, cap.per, cap.says, limit, False))
    return tuple(out), missing


def _apply_caps(value: Decimal, caps: tuple[CapOutcome, ...]) -> tuple[Decimal, tuple[CapOutcome, ...]]:
    """The lowest cap below the uncapped amount is the one that bit; the result is never below zero."""
    result = max(value, Decimal(0))
    binding = None
    for i, cap in enumerate(caps):
        if cap.value is not None and cap.value < result:
            result, binding = cap.value, i
    outcomes = tuple(
        CapOutcome(c.text, c.per, c.says, c.value, bit=(i == binding)) for i, c in enumerate(caps)
    )
    return result, outcomes


def _inputs(amount: CompiledAmount, env: dict[str, Any]) -> dict[str, Any]:
    names = sorted({n for node in amount.nodes() for n in ex.names_read(node)})
    return {n: env.get(n) for n in names}


def _missing(amount: CompiledAmount, env: dict[str, Any]) -> tuple[str, ...]:
    return tuple(n for n, v in _inputs(amount, env).items() if v is None)
