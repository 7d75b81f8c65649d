"""The rule file format: what a YAML rule may say, validated strictly on load.

Pydantic models are the source of the format; `subsidy rules schema` exports them as JSON Schema. Unknown keys
are refused (a typo in a field name must never drop a condition silently).
"""

# (no `from __future__ import annotations`: pydantic reads the fields' annotations as objects, instead of
# evaluating each one's text when the module is imported; a class named before it is defined is quoted)


import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, field_validator, model_validator

from guangxi_subsidy.engine.applicant.fieldtable import CITY_LABELS, ApplicantKind
from guangxi_subsidy.engine.rules import kinds
from guangxi_subsidy.engine.rules.decisions import RULE_ID, Combination, Reading, Strict
from guangxi_subsidy.engine.rules.kinds import BenefitKind, Status  # (their home: format re-exports them)

JURISDICTIONS = ("guangxi", *[c for c in CITY_LABELS if c != "outside_guangxi"])


class Source(Strict):
    """Where the rule comes from, in the document's own words."""

    clause: str = Field(..., min_length=1, description="Clause or task number as the document numbers it")
    quote: str = Field(..., min_length=4, description="Verbatim text of the clause (found in seeds/ by a test)")
    more_quotes: list[str] = Field(default_factory=list, description="Further verbatim passages the rule relies on")
    raw: str | None = Field(None, description="Damaged text exactly as it stands in the document")
    reading: str | None = Field(None, description="How the damaged text is read")
    document: str | None = Field(None, description="Seed file, when not the file's own document")
    figures: str | None = Field(None, description="The figures this source gives for the benefit, in its words")

    @model_validator(mode="after")
    def _raw_needs_reading(self) -> "Source":
        if (self.raw is None) != (self.reading is None):
            raise ValueError("'raw' and 'reading' go together: record the damaged text and how it is read")
        return self


class OtherSource(Source):
    """Another document stating the same benefit: its own quote, clause, period and figures.

    One benefit stated by two documents is one rule, listed once; each further document is recorded here.
    """

    document: str = Field(..., description="Seed file of the other document")
    effective: "Effective | None" = Field(None, description="The period this document states for the benefit")


class Apply(Strict):
    """How to claim, where the sources say it: only what the text states."""

    where: str | None = Field(None, description="Where to apply (the lead department), as the text names it")
    when: str | None = Field(None, description="When to apply: 按季度申报, 自授牌之日起, 每年 …")
    evidence: list[str] = Field(default_factory=list, description="What the applicant must show")
    quote: str = Field(..., min_length=4, description="The words that say it, verbatim (found in seeds/)")

    @model_validator(mode="after")
    def _says_something(self) -> "Apply":
        if self.where is None and self.when is None and not self.evidence:
            raise ValueError("'apply' states where, when or what evidence, with the quote that says it")
        return self


class Effective(Strict):
    from_: dt.date = Field(..., alias="from")
    to: dt.date | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "Effective":
        if self.to is not None and self.to < self.from_:
            raise ValueError(f"effective period ends ({self.to}) before it starts ({self.from_})")
        return self

    def contains(self, day: dt.date) -> bool:
        return self.from_ <= day and (self.to is None or day <= self.to)

    def plain(self) -> kinds.Effective:
        """The period as a built pack holds it (kinds.py: no pydantic to read it back)."""
        return kinds.Effective(self.from_, self.to, self.note)

    @classmethod
    def of(cls, plain: kinds.Effective) -> "Effective":
        """The model of a built pack's period (for its JSON forms, the same as the file's)."""
        return cls.model_validate({"from": plain.from_, "to": plain.to, "note": plain.note})


class Condition(Strict):
    id: str = Field(..., pattern=r"^[a-z0-9_]+$")
    when: str = Field(..., min_length=1, description="Boolean expression over profile fields")
    says: str | None = Field(None, description="The condition in the document's words or a plain reading")


class Cap(Strict):
    value: str | int | Decimal = Field(..., description="A number or an amount expression")
    per: str = Field(..., description="What the cap is per: year, product, loan, firm in total, month, …")
    says: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("write caps as integers, decimals in quotes, or expressions")
        return value


class Tier(Strict):
    when: str
    formula: str
    says: str | None = None


class Amount(Strict):
    """How much: exact formula, tiers, a range, an estimate of relief, a ceiling only, or nothing to count."""

    kind: Literal["formula", "tiers", "range", "estimate", "up_to", "unquantified", "non_monetary"]
    formula: str | None = None
    tiers: list[Tier] | None = None
    min: str | None = None
    max: str | None = None
    caps: list[Cap] = Field(default_factory=list)
    unit: Literal["yuan"] = "yuan"
    period: str | None = Field(None, description="What one amount covers: per year, once, per loan, per month…")
    assumes: list[str] = Field(default_factory=list, description="Parameters an estimate assumes")
    says: str | None = Field(None, description="What the benefit is, in words (required when nothing is counted)")

    @model_validator(mode="after")
    def _shape(self) -> "Amount":
        need = {
            "formula": ["formula"],
            "estimate": ["formula"],
            "tiers": ["tiers"],
            "range": ["min", "max"],
            "up_to": [],
            "unquantified": ["says"],
            "non_monetary": ["says"],
        }[self.kind]
        for key in need:
            if getattr(self, key) in (None, []):
                raise ValueError(f"amount of kind '{self.kind}' needs '{key}'")
        if self.kind == "up_to" and not self.caps and self.max is None:
            raise ValueError("amount of kind 'up_to' needs 'max' or a cap")
        if self.kind == "estimate" and not self.assumes:
            raise ValueError("an estimate names the parameters it assumes in 'assumes'")
        if self.kind == "non_monetary" and (self.formula or self.caps):
            raise ValueError("a non-monetary benefit carries no formula or cap")
        return self


Number = str | int | Decimal


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("write numbers as integers, decimals in quotes, or expressions")
    return value


Value = Annotated[Number, BeforeValidator(_no_float)]


class _Property(Strict):
    says: str | None = Field(None, description="Why the property holds, in the document's terms")


class Monotone(_Property):
    """More of the field never means less (or, decreasing, never more) when the rule pays at both values."""

    monotone: str = Field(..., description="A numeric profile field")
    direction: Literal["increasing", "decreasing"] = "increasing"


class Bounded(_Property):
    """The amount is never above this value (an amount expression, evaluated for the same profile)."""

    bounded: Value


class ZeroWhenZero(_Property):
    """When the field is 0 the rule pays nothing: not eligible, or an amount of 0."""

    zero_when_zero: str = Field(..., description="A numeric profile field")


class IndependentOf(_Property):
    """Changing the field never changes the rule's status or amount."""

    independent_of: str = Field(..., description="A profile field")


class Equals(_Property):
    """With the fields in their ranges the rule pays exactly the formula.

    The conditions that read those fields must hold throughout the ranges, so there the rule is eligible whenever
    its other checks hold: a threshold moved by one unit (`>=` written `>`) fails this, not only a wrong amount.
    """

    equals: Value = Field(..., description="An amount expression")
    within: dict[str, tuple[Value, Value]] = Field(
        default_factory=dict, description="Numeric fields and their [low, high] ranges, bounds included"
    )


PROPERTY_KINDS = ("monotone", "bounded", "zero_when_zero", "independent_of", "equals")


def _property_kind(value: Any) -> str | None:
    if isinstance(value, _Property):
        return next(k for k in PROPERTY_KINDS if hasattr(value, k))
    if isinstance(value, dict):
        found = [k for k in PROPERTY_KINDS if k in value]
        return found[0] if len(found) == 1 else None
    return None


def _known_kind(value: Any) -> Any:
    """Name the kinds, and the likely one, when a property states none or several: typos must not pass."""
    if isinstance(value, dict):
        found = [k for k in PROPERTY_KINDS if k in value]
        if len(found) > 1:
            raise ValueError(f"one property per item, found {' and '.join(found)}")
        if not found:
            keys = [str(k) for k in value]
            import difflib  # (only for a misspelt property: not imported at start-up)

            close = [m for k in keys for m in difflib.get_close_matches(k, PROPERTY_KINDS, n=1, cutoff=0.6)]
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(
                f"unknown property {', '.join(repr(k) for k in keys) or '{}'}{hint}: "
                f"expected one of {', '.join(PROPERTY_KINDS)}"
            )
    elif not isinstance(value, _Property):
        raise ValueError(f"a property is a mapping such as 'monotone: FIELD', not {value!r}")
    return value


Property = Annotated[
    Annotated[Monotone, Tag("monotone")]
    | Annotated[Bounded, Tag("bounded")]
    | Annotated[ZeroWhenZero, Tag("zero_when_zero")]
    | Annotated[IndependentOf, Tag("independent_of")]
    | Annotated[Equals, Tag("equals")],
    Discriminator(_property_kind),
    BeforeValidator(_known_kind),
]


class Rule(Strict):
    id: str = Field(..., pattern=RULE_ID)
    name: str = Field(..., min_length=2, description="Chinese name of the benefit")
    title: str | None = Field(None, description="English name")
    beneficiary: list[ApplicantKind] = Field(..., min_length=1)
    jurisdiction: str | None = Field(None, description="guangxi or a city; defaults to the document's")
    effective: Effective | None = Field(None, description="Defaults to the document's")
    status: Status | None = Field(None, description="Defaults to the document's")
    benefit: BenefitKind
    departments: list[str] = Field(default_factory=list)
    source: Source
    more_sources: list[OtherSource] = Field(
        default_factory=list, description="Other documents stating the same benefit (one benefit, one rule)"
    )
    programme: str | None = Field(
        None, pattern=RULE_ID,
        description="The programme the rule is a part of: the parts of one programme exclude each other by their "
                    "conditions, so an applicant is paid under one at most (checked by `subsidy rules verify`)",
    )
    jurisdiction_quote: str | None = Field(
        None, description="The words that decide where the rule applies; required when it is not the document's"
    )
    readings: list[Reading] = Field(default_factory=list, description="Contested readings of the clause")
    combinations: list[Combination] = Field(
        default_factory=list,
        description="How the benefit combines with others for one applicant (就高, 不得重复享受, or may be combined), "
                    "each with the quote that says so or the reading that decides it",
    )
    apply: Apply | None = Field(None, description="Where, when and with what to apply, as the sources say")
    requires: list[str] = Field(default_factory=list, description="Derived facts that must hold (by id)")
    conditions: list[Condition] = Field(default_factory=list)
    amount: Amount
    properties: list[Property] = Field(
        default_factory=list, description="Declared properties, checked on generated profiles by `subsidy rules verify`"
    )
    notes: str | None = None

    @field_validator("jurisdiction")
    @classmethod
    def _place(cls, value: str | None) -> str | None:
        if value is not None and value not in JURISDICTIONS:
            raise ValueError(f"unknown jurisdiction '{value}': expected one of {', '.join(JURISDICTIONS)}")
        return value

    @model_validator(mode="after")
    def _unique_conditions(self) -> "Rule":
        ids = [c.id for c in self.conditions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"condition ids repeated: {', '.join(dupes)}")
        if self.benefit == BenefitKind.NON_MONETARY and self.amount.kind != "non_monetary":
            raise ValueError("a non_monetary benefit needs an amount of kind non_monetary")
        readings = [r.id for r in self.readings]
        if len(set(readings)) != len(readings):
            raise ValueError("reading ids repeated")
        return self

    @property
    def sources(self) -> list[Source]:
        """Every source of the rule: its own document's first, then the others."""
        return [self.source, *self.more_sources]

    def quotes(self) -> list[tuple[str | None, str]]:
        """Every verbatim passage the rule relies on, with its document (None: the file's own)."""
        out: list[tuple[str | None, str]] = []
        for source in self.sources:
            out.extend((source.document, q) for q in (source.quote, *source.more_quotes))
        out.extend((None, r.quote) for r in self.readings)
        for combination in self.combinations:
            if combination.quote is not None:
                out.append((combination.document, combination.quote))
            if combination.reading is not None:
                out.append((None, combination.reading.quote))
        if self.apply is not None:
            out.append((None, self.apply.quote))
        return out


class Derived(Strict):
    """A fact derived from the profile that other rules require (forward chaining)."""

    id: str = Field(..., pattern=RULE_ID)
    name: str
    beneficiary: list[ApplicantKind] = Field(..., min_length=1)
    jurisdiction: str | None = None
    requires: list[str] = Field(default_factory=list)
    conditions: list[Condition] = Field(..., min_length=1)
    source: Source | None = None

    _place = field_validator("jurisdiction")(Rule._place.__func__)  # type: ignore[attr-defined]


class Document(Strict):
    file: str = Field(..., description="Seed file name in seeds/")
    title: str
    short: str = Field(..., max_length=24, description="A short name for tables")
    number: str | None = None
    issuer: str
    issued: dt.date | None = None
    issued_raw: str | None = None
    jurisdiction: str
    status: Status
    effective: Effective
    notes: str | None = None

    def plain(self) -> kinds.Document:
        """The header as a built pack holds it (kinds.py: no pydantic to read it back)."""
        return kinds.Document(self.file, self.title, self.short, self.number, self.issuer, self.issued,
                              self.issued_raw, self.jurisdiction, self.status, self.effective.plain(), self.notes)

    @classmethod
    def of(cls, plain: kinds.Document) -> "Document":
        """The model of a built pack's header (for its JSON forms, the same as the file's)."""
        fields = {name: getattr(plain, name) for name in cls.model_fields if name != "effective"}
        return cls.model_validate({**fields, "effective": Effective.of(plain.effective)})


class Untranslatable(Strict):
    """A passage with a money figure that is deliberately not encoded as a benefit, and why."""

    clause: str
    quote: str
    reason: str


class NotBenefits(Strict):
    """Clauses of the document that grant nothing to an applicant, named by their labels, with one reason."""

    clauses: list[str] = Field(..., min_length=1, description="Clause labels as `subsidy rules coverage` names them")
    reason: str = Field(..., min_length=4)


RULE_FORMAT = "subsidy-rules/1"  # the format version a rule file names in its `schema:` key


class RuleFile(Strict):
    schema_: Literal["subsidy-rules/1"] = Field(
        ..., alias="schema", description="The rule format version the file is written in (schema/rules-1.json)"
    )
    document: Document
    derived: list[Derived] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    not_encoded: list[Untranslatable] = Field(default_factory=list)
    not_benefits: list[NotBenefits] = Field(
        default_factory=list, description="Clauses that grant nothing (targets, duties of departments), by label"
    )


def rule_schema() -> dict[str, Any]:
    """The JSON Schema of rule files in this format version, as committed in schema/rules-1.json."""
    schema = RuleFile.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": RULE_FORMAT, **schema}
