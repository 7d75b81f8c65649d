"""The reform file format: an overlay on the rule pack, validated as strictly as the pack itself.

A reform names the rules and parameters it changes and says why, change by change, so a costing can be read
back against its reasons. Unknown keys are refused (a misspelt `cap` must never leave the baseline in place
unnoticed); every expression a change writes is parsed and type-checked when the reform is applied.

```yaml
schema: subsidy-reform/1
name: 房租补助上限提高到60万
changes:
  - rule: nanning.incubation_base_rent_subsidy
    cap: 60万
    reason: 测算上限提高到每个基地每年60万元的成本
```
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag

from guangxi_subsidy.engine.applicant.profile import ApplicantKind
from guangxi_subsidy.engine.rules.format import RULE_ID, Amount, Cap, Effective, Rule, Status, Strict, Tier, Value
from guangxi_subsidy.engine.rules.parameters import DatedValue

SCHEMA = "subsidy-reform/1"
CHANGE_KINDS = ("rule", "parameter", "add", "repeal")


class _Change(Strict):
    reason: str = Field(..., min_length=2, description="Why the change is made: what the reform is costing")


class ChangeRule(_Change):
    """Changes to one rule of the pack: only what is given changes."""

    rule: str = Field(..., pattern=RULE_ID, description="The id of a rule (or derived fact) of the pack")
    name: str | None = Field(None, min_length=2)
    beneficiary: list[ApplicantKind] | None = Field(None, min_length=1)
    effective: Effective | None = None
    status: Status | None = None
    departments: list[str] | None = None
    conditions: dict[str, str | None] | None = Field(
        None, description="Condition id to its new `when` (a threshold, a period of months…); a new id adds a "
        "condition; null removes one",
    )
    formula: str | None = Field(None, description="A new amount formula (a rate: `rent_and_broadband_paid * 60%`)")
    cap: Value | None = Field(None, description="A new value for the rule's only cap")
    caps: list[Cap] | None = Field(None, description="A new list of caps, replacing the rule's")
    tiers: list[Tier] | None = None
    min: str | None = None
    max: str | None = None
    amount: Amount | None = Field(None, description="A whole new amount, replacing the rule's")


class ChangeParameter(_Change):
    """Dated values added to (or replacing those of the same date in) a parameter, or a new parameter."""

    parameter: str = Field(..., pattern=r"^[a-z][a-z0-9_]*$")
    values: dict[dt.date, DatedValue] = Field(..., min_length=1)
    description: str | None = Field(None, description="Needed for a new parameter")
    unit: Literal["rate", "yuan", "count"] | None = Field(None, description="Needed for a new parameter")


class AddRule(_Change):
    """A new rule, in the format of the rule files, under a document of the pack."""

    add: Rule
    document: str = Field(..., description="The seed file of the document the rule belongs to (its header's `file`)")


class RepealRule(_Change):
    repeal: str = Field(..., pattern=RULE_ID, description="The id of the rule repealed")


def _change_kind(value: Any) -> str | None:
    if isinstance(value, _Change):
        return {ChangeRule: "rule", ChangeParameter: "parameter", AddRule: "add", RepealRule: "repeal"}[type(value)]
    if isinstance(value, dict):
        found = [k for k in CHANGE_KINDS if k in value]
        return found[0] if len(found) == 1 else None
    return None


def _known_change(value: Any) -> Any:
    if isinstance(value, dict):
        found = [k for k in CHANGE_KINDS if k in value]
        if len(found) != 1:
            raise ValueError(
                f"a change names exactly one of {', '.join(CHANGE_KINDS)}"
                + (f", found {' and '.join(found)}" if found else "")
            )
    elif not isinstance(value, _Change):
        raise ValueError(f"a change is a mapping such as 'rule: ID', not {value!r}")
    return value


Change = Annotated[
    Annotated[ChangeRule, Tag("rule")]
    | Annotated[ChangeParameter, Tag("parameter")]
    | Annotated[AddRule, Tag("add")]
    | Annotated[RepealRule, Tag("repeal")],
    Discriminator(_change_kind),
    BeforeValidator(_known_change),
]


class ReformFile(Strict):
    schema_: Literal["subsidy-reform/1"] = Field(..., alias="schema")
    name: str = Field(..., min_length=2, description="The reform's name, as tables and charts show it")
    description: str | None = None
    changes: list[Change] = Field(..., min_length=1)


def target_of(change: Any) -> str:
    """What a change changes: a rule or parameter id."""
    for key in CHANGE_KINDS:
        value = getattr(change, key, None)
        if isinstance(value, Rule):
            return value.id
        if isinstance(value, str):
            return value
    raise AssertionError(change)
