"""The rule file format: what a YAML rule may say, validated strictly on load.

Pydantic models are the source of the format; `subsidy rules schema` exports them as JSON Schema. Unknown keys
are refused (a typo in a field name must never drop a condition silently).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .profile import CITY_LABELS, ApplicantKind

RULE_ID = r"^(guangxi|[a-z]+)\.[a-z0-9_]+$"
JURISDICTIONS = ("guangxi", *[c for c in CITY_LABELS if c != "outside_guangxi"])


class Status(StrEnum):
    IN_FORCE = "in_force"
    DRAFT = "draft"


class BenefitKind(StrEnum):
    CASH_SUBSIDY = "cash_subsidy"
    AWARD = "award"
    TAX_RELIEF = "tax_relief"
    FEE_RELIEF = "fee_relief"
    LOAN_QUOTA = "loan_quota"
    INTEREST_SUBSIDY = "interest_subsidy"
    NON_MONETARY = "non_monetary"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    """Where the rule comes from, in the document's own words."""

    clause: str = Field(..., min_length=1, description="Clause or task number as the document numbers it")
    quote: str = Field(..., min_length=4, description="Verbatim text of the clause (found in seeds/ by a test)")
    more_quotes: list[str] = Field(default_factory=list, description="Further verbatim passages the rule relies on")
    raw: str | None = Field(None, description="Damaged text exactly as it stands in the document")
    reading: str | None = Field(None, description="How the damaged text is read")
    document: str | None = Field(None, description="Seed file, when not the file's own document")

    @model_validator(mode="after")
    def _raw_needs_reading(self) -> Source:
        if (self.raw is None) != (self.reading is None):
            raise ValueError("'raw' and 'reading' go together: record the damaged text and how it is read")
        return self


class Effective(Strict):
    from_: dt.date = Field(..., alias="from")
    to: dt.date | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.to is not None and self.to < self.from_:
            raise ValueError(f"effective period ends ({self.to}) before it starts ({self.from_})")
        return self

    def contains(self, day: dt.date) -> bool:
        return self.from_ <= day and (self.to is None or day <= self.to)


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
    def _shape(self) -> Amount:
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
    requires: list[str] = Field(default_factory=list, description="Derived facts that must hold (by id)")
    conditions: list[Condition] = Field(default_factory=list)
    amount: Amount
    properties: list[dict[str, Any]] = Field(default_factory=list, description="Declared properties to verify")
    notes: str | None = None

    @field_validator("jurisdiction")
    @classmethod
    def _place(cls, value: str | None) -> str | None:
        if value is not None and value not in JURISDICTIONS:
            raise ValueError(f"unknown jurisdiction '{value}': expected one of {', '.join(JURISDICTIONS)}")
        return value

    @model_validator(mode="after")
    def _unique_conditions(self) -> Rule:
        ids = [c.id for c in self.conditions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"condition ids repeated: {', '.join(dupes)}")
        if self.benefit == BenefitKind.NON_MONETARY and self.amount.kind != "non_monetary":
            raise ValueError("a non_monetary benefit needs an amount of kind non_monetary")
        return self


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


class Untranslatable(Strict):
    """A passage with a money figure that is deliberately not encoded as a benefit, and why."""

    clause: str
    quote: str
    reason: str


class RuleFile(Strict):
    schema_: Literal["subsidy-rules/1"] = Field(..., alias="schema")
    document: Document
    derived: list[Derived] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    not_encoded: list[Untranslatable] = Field(default_factory=list)
