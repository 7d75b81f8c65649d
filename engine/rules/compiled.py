"""A rule as the engines run it: its conditions parsed and type-checked, its amount compiled, its properties,
its place and period; and the compiling of a rule file's rule into it, each problem reported by file, rule and
where, by the consistency check it breaks.

`pack.py` loads the files and cross-checks the rules against each other; this module is one rule at a time.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.records import record
from guangxi_subsidy.engine.rules.kinds import Document, Effective, Parameter, Status
from guangxi_subsidy.engine.rules.lazyspec import LazySpec
from guangxi_subsidy.engine.rules.periods import validity_warning
from guangxi_subsidy.engine.rules.provenance import normalise
from guangxi_subsidy.engine.rules.readings import CompiledReading, compile_readings

# (the rule file's models are pydantic: imported where a rule is compiled, never by a pack read back from the
# program's cache, which holds them pickled apart until read: lazyspec.py)
if TYPE_CHECKING:
    from guangxi_subsidy.engine.rules.format import Amount, Derived, Property, Rule

UNIQUE_IDS, FIELDS_IN_SCHEMA, PARAMETERS_IN_FORCE, RULE_FORMAT = (
    "unique rule ids", "fields in the schema", "parameters in force", "rule format"
)


@record
class Problem:
    file: str
    rule: str | None
    where: str
    reason: str
    check: str = RULE_FORMAT  # which consistency check the problem breaks


    def __str__(self) -> str:
        rule = f" rule {self.rule}" if self.rule else ""
        where = f" [{self.where}]" if self.where else ""
        return f"{self.file}:{rule}{where}: {self.reason}"


@record
class CompiledCondition:
    id: str
    text: str
    says: str | None
    node: ex.Node  # normalised: `not` pushed down, as durable_rules will read it

    @functools.cached_property
    def fields(self) -> frozenset[str]:  # read on every evaluation: computed once
        return frozenset(ex.names_read(self.node))


@record
class CompiledCap:
    text: str
    node: ex.Node
    per: str
    says: str | None


@record
class CompiledTier:
    when: CompiledCondition
    formula: ex.Node
    formula_text: str
    says: str | None


@record
class AmountTerms:
    """What a rule's amount states beside its expressions, as written: the engines read these at each
    evaluation (a plain copy of `format.Amount`'s, so that they need not read the model: lazyspec.py)."""

    kind: str  # formula | tiers | range | estimate | up_to | unquantified | non_monetary
    period: str | None
    says: str | None
    formula: str | None
    min: str | None
    max: str | None
    assumes: tuple[str, ...]


@record
class CompiledAmount(LazySpec):
    spec: Amount  # as the rule file writes it (kept pickled in a pack read back, until read)
    formula: ex.Node | None
    minimum: ex.Node | None
    maximum: ex.Node | None
    tiers: tuple[CompiledTier, ...]
    caps: tuple[CompiledCap, ...]
    terms: AmountTerms = field(init=False, repr=False)  # (from `spec`, whenever one is made)

    def __post_init__(self) -> None:
        spec = self.spec
        self.__dict__["terms"] = AmountTerms(spec.kind, spec.period, spec.says, spec.formula, spec.min, spec.max,
                                             tuple(spec.assumes))

    @property
    def parameters(self) -> set[str]:
        from guangxi_subsidy.engine.applicant.fields import field_symbols

        return {n for node in self.nodes() for n in ex.names_read(node) if n not in field_symbols()}

    def nodes(self) -> Iterable[ex.Node]:
        for node in (self.formula, self.minimum, self.maximum):
            if node is not None:
                yield node
        for tier in self.tiers:
            yield tier.when.node
            yield tier.formula
        for cap in self.caps:
            yield cap.node


@record
class CompiledProperty:
    """A declared property, its fields checked against the schema and its expressions compiled."""

    kind: str  # monotone | bounded | zero_when_zero | independent_of | equals
    text: str  # as a rule author would write it, for reports
    field: str | None = None  # monotone, zero_when_zero, independent_of
    node: ex.Node | None = None  # bounded: the bound; equals: the formula
    decreasing: bool = False
    within: tuple[tuple[str, Decimal, Decimal], ...] = ()


@record
class Pairing:
    """One of a rule's recorded combinations, as the engines settle it (combining.py): with which rules, and
    what is paid (`choose`: both, this, other, higher). Its quote or reading stays in the rule's `spec`."""

    with_: tuple[str, ...]
    choose: str


@record
class CompiledRule(LazySpec):
    id: str
    name: str
    file: str
    document: Document
    spec: Rule | Derived  # as the rule file writes it (kept pickled in a pack read back, until read: lazyspec.py)
    is_derived: bool
    kinds: tuple[str, ...]
    jurisdiction: str
    cities: tuple[str, ...]
    effective: Effective
    status: Status
    requires: tuple[str, ...]
    conditions: tuple[CompiledCondition, ...]
    amount: CompiledAmount | None
    properties: tuple[CompiledProperty, ...] = ()
    readings: tuple[CompiledReading, ...] = ()
    documents: tuple[Document, ...] = ()  # every source's document, the rule's own first (set once all are loaded)
    # What an evaluation and its table read of the rule as written, copied from `spec` whenever one is made, so
    # that they never unpickle it: the benefit's kind (None for a derived fact), the clause of its own source,
    # its combinations, the departments it names (which a batch's long layout lists).
    benefit: str | None = field(init=False, repr=False)
    clause: str | None = field(init=False, repr=False)
    pairings: tuple[Pairing, ...] = field(init=False, repr=False)
    departments: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        spec, plain = self.spec, self.__dict__
        source = spec.source
        plain["clause"] = None if source is None else source.clause
        if self.is_derived:
            plain["benefit"], plain["pairings"], plain["departments"] = None, (), ()
        else:
            rule: Rule = spec  # type: ignore[assignment]
            plain["benefit"] = rule.benefit.value
            plain["pairings"] = tuple(Pairing(tuple(c.with_), c.choose) for c in rule.combinations)
            plain["departments"] = tuple(rule.departments)

    def validity_warning(self, day: dt.date) -> str | None:
        """A warning when no end date is stated and `day` lies beyond what the sources speak for."""
        return validity_warning(self.effective, list(self.documents or (self.document,)), day)

    @property
    def rule(self) -> Rule:
        """The rule as written (not for a derived fact)."""
        assert not self.is_derived, self.id
        return self.spec  # type: ignore[return-value]

    def fields_read(self) -> set[str]:
        names = {n for c in self.conditions for n in c.fields}
        if self.amount is not None:
            names |= {n for node in self.amount.nodes() for n in ex.names_read(node)}
        return names


def parameter_type(parameter: Parameter) -> ex.ValueType:
    return {"rate": ex.ValueType.DECIMAL, "yuan": ex.ValueType.MONEY}.get(parameter.unit, ex.ValueType.INTEGER)


def _condition(
    text: str, cid: str, says: str | None, where: str, symbols: dict[str, ex.Symbol], report: Any
) -> CompiledCondition | None:
    try:
        node = ex.compile_condition(text, symbols)
    except ex.ExpressionError as error:
        report(where, str(error))
        return None
    return CompiledCondition(cid, text, says, node)


def compile_rule(
    path: Path, document: Document, spec: Rule | Derived, symbols: dict[str, ex.Symbol], problems: list[Problem]
) -> CompiledRule | None:
    from guangxi_subsidy.engine.applicant.fieldtable import GUANGXI_CITIES
    from guangxi_subsidy.engine.rules.format import Derived, Rule

    before = len(problems)

    def report(where: str, reason: str) -> None:
        check = FIELDS_IN_SCHEMA if reason.startswith("unknown field") else RULE_FORMAT
        problems.append(Problem(str(path), spec.id, where, reason, check))

    conditions = []
    for cond in spec.conditions:
        compiled = _condition(cond.when, cond.id, cond.says, f"conditions.{cond.id}.when", symbols, report)
        if compiled is not None:
            conditions.append(compiled)

    amount = None
    properties: tuple[CompiledProperty, ...] = ()
    readings: tuple[CompiledReading, ...] = ()
    if isinstance(spec, Rule):
        amount = _compile_amount(spec.amount, symbols, report)
        properties = _compile_properties(spec, symbols, report)
        if spec.source.document and spec.source.document != document.file:
            report("source.document", "a rule's quote must come from its file's document")
        _check_place(spec, document, report)
        readings = compile_readings(spec, symbols, report)

    jurisdiction = spec.jurisdiction or document.jurisdiction
    cities = GUANGXI_CITIES if jurisdiction == "guangxi" else (jurisdiction,)
    effective = (spec.effective.plain() if isinstance(spec, Rule) and spec.effective else None) or document.effective
    status = (spec.status if isinstance(spec, Rule) and spec.status else None) or document.status
    if len(problems) > before:
        return None
    return CompiledRule(
        id=spec.id,
        name=spec.name,
        file=str(path),
        document=document,
        spec=spec,
        is_derived=isinstance(spec, Derived),
        kinds=tuple(k.value for k in spec.beneficiary),
        jurisdiction=jurisdiction,
        cities=tuple(cities),
        effective=effective,
        status=status,
        requires=tuple(spec.requires),
        conditions=tuple(conditions),
        amount=amount,
        properties=properties,
        readings=readings,
    )


def _check_place(spec: Rule, document: Document, report: Any) -> None:
    """A rule that applies elsewhere than its document says which of its words decide it (relayed policy)."""
    if spec.jurisdiction is not None and spec.jurisdiction != document.jurisdiction and not spec.jurisdiction_quote:
        report("jurisdiction_quote", f"jurisdiction {spec.jurisdiction} differs from the document's "
               f"({document.jurisdiction}): quote the words that decide it in 'jurisdiction_quote'")
    if spec.jurisdiction_quote is not None:
        quoted = normalise("".join(q for _, q in spec.quotes()))
        if normalise(spec.jurisdiction_quote) not in quoted:
            report("jurisdiction_quote", "the words that decide the place must stand in one of the rule's quotes")


def _compile_amount(spec: Amount, symbols: dict[str, ex.Symbol], report: Any) -> CompiledAmount | None:
    ok = True

    def amount(text: str | None, where: str) -> ex.Node | None:
        nonlocal ok
        if text is None:
            return None
        try:
            return ex.compile_amount(text, symbols)
        except ex.ExpressionError as error:
            report(where, str(error))
            ok = False
            return None

    tiers = []
    for i, tier in enumerate(spec.tiers or []):
        when = _condition(tier.when, f"tier_{i + 1}", tier.says, f"amount.tiers[{i}].when", symbols, report)
        formula = amount(tier.formula, f"amount.tiers[{i}].formula")
        if when is None or formula is None:
            ok = False
            continue
        tiers.append(CompiledTier(when, formula, tier.formula, tier.says))
    caps = []
    for i, cap in enumerate(spec.caps):
        node = amount(str(cap.value), f"amount.caps[{i}].value")
        if node is not None:
            caps.append(CompiledCap(str(cap.value), node, cap.per, cap.says))
    compiled = CompiledAmount(
        spec=spec,
        formula=amount(spec.formula, "amount.formula"),
        minimum=amount(spec.min, "amount.min"),
        maximum=amount(spec.max, "amount.max"),
        tiers=tuple(tiers),
        caps=tuple(caps),
    )
    for name in spec.assumes:
        if name not in symbols or not symbols[name].is_parameter:
            report("amount.assumes", f"'{name}' is not a dated parameter")
            ok = False
    return compiled if ok else None


def _compile_properties(
    spec: Rule, symbols: dict[str, ex.Symbol], report: Any
) -> tuple[CompiledProperty, ...]:
    """Refuse a property that names no profile field, reads a field of the wrong type or cannot be computed."""
    out = []
    numbered = spec.amount.kind != "non_monetary" and (
        spec.amount.kind != "unquantified" or bool(spec.amount.caps) or spec.amount.max is not None
    )
    for i, item in enumerate(spec.properties):
        where = f"properties[{i}]"
        compiled = _compile_property(item, where, symbols, report)
        if compiled is None:
            continue
        if compiled.kind != "independent_of" and not numbered:
            report(where, f"'{compiled.kind}' needs an amount, but the rule's amount is {spec.amount.kind}")
            continue
        out.append(compiled)
    return tuple(out)


def _compile_property(
    item: Property, where: str, symbols: dict[str, ex.Symbol], report: Any
) -> CompiledProperty | None:
    def field_of(name: str, at: str, numeric: bool) -> str | None:
        symbol = symbols.get(name)
        if symbol is None or symbol.is_parameter:
            import difflib  # (only for a misspelt name: not imported at start-up)

            close = difflib.get_close_matches(name, [n for n, s in symbols.items() if not s.is_parameter], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else " (see `subsidy rules fields`)"
            report(at, f"unknown field '{name}'{hint}")
            return None
        if numeric and symbol.type not in ex.NUMERIC:
            report(at, f"'{name}' is {symbol.type.value}; this property needs a numeric field")
            return None
        return name

    def expression(text: str, at: str) -> ex.Node | None:
        try:
            return ex.compile_amount(text, symbols)
        except ex.ExpressionError as error:
            report(at, str(error))
            return None

    from guangxi_subsidy.engine.rules.format import Bounded, Equals, IndependentOf, Monotone, ZeroWhenZero

    if isinstance(item, Monotone):
        name = field_of(item.monotone, f"{where}.monotone", numeric=True)
        decreasing = item.direction == "decreasing"
        text = f"monotone {item.monotone}" + (" (decreasing)" if decreasing else "")
        return None if name is None else CompiledProperty("monotone", text, field=name, decreasing=decreasing)
    if isinstance(item, ZeroWhenZero):
        name = field_of(item.zero_when_zero, f"{where}.zero_when_zero", numeric=True)
        text = f"zero_when_zero {item.zero_when_zero}"
        return None if name is None else CompiledProperty("zero_when_zero", text, field=name)
    if isinstance(item, IndependentOf):
        name = field_of(item.independent_of, f"{where}.independent_of", numeric=False)
        text = f"independent_of {item.independent_of}"
        return None if name is None else CompiledProperty("independent_of", text, field=name)
    if isinstance(item, Bounded):
        node = expression(str(item.bounded), f"{where}.bounded")
        return None if node is None else CompiledProperty("bounded", f"bounded {item.bounded}", node=node)
    assert isinstance(item, Equals)
    node = expression(str(item.equals), f"{where}.equals")
    within = []
    ok = node is not None
    for name, (low_text, high_text) in item.within.items():
        at = f"{where}.within.{name}"
        if field_of(name, at, numeric=True) is None:
            ok = False
            continue
        bounds = [expression(str(v), at) for v in (low_text, high_text)]
        if bounds[0] is None or bounds[1] is None:
            ok = False
            continue
        if any(ex.names_read(b) for b in bounds if b is not None):
            report(at, "a range's bounds are numbers, not expressions over fields")
            ok = False
            continue
        low, high = (Decimal(ex.evaluate(b, {})) for b in bounds)  # type: ignore[arg-type]
        if low > high:
            report(at, f"the range is empty: {low} > {high}")
            ok = False
            continue
        within.append((name, low, high))
    if not ok:
        return None
    ranges = ", ".join(f"{n} in [{lo}, {hi}]" for n, lo, hi in within)
    text = f"equals {item.equals}" + (f" within {ranges}" if ranges else "")
    return CompiledProperty("equals", text, node=node, within=tuple(within))
