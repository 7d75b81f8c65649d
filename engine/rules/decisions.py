"""What a rule records of its own reading: contested readings, and how it combines with other benefits.

A clause may admit more than one reading (`Reading`, with its `Alternative`s, for a legal office to settle), and
two benefits one applicant meets may be paid together, or only one of them (`Combination`). Both are decisions
about the text, recorded beside the rule with the words they rest on, so they live together here; `format`
builds the rule file's models from them.
"""

# (no `from __future__ import annotations`: pydantic reads the fields' annotations as objects, instead of
# evaluating each one's text when the module is imported; a class named before it is defined is quoted)

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RULE_ID = r"^(guangxi|[a-z]+)\.[a-z0-9_]+$"


class Strict(BaseModel):
    # defer_build: a model's validator is built when a rule file is first validated, not when this module is
    # imported; a program that reads its pack back from the cache (engine/rules/packcache.py) never builds them.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Alternative(Strict):
    """A reading of a contested clause that the rule does not implement."""

    reading: str = Field(..., min_length=4, description="The other reading, in words")
    why: str = Field(..., min_length=4, description="What speaks for it, and why it was not chosen")
    formula: str | None = Field(None, description="The amount under this reading: an amount expression")
    effect: str | None = Field(None, description="What this reading would grant, when it is not an amount")

    @model_validator(mode="after")
    def _says_its_effect(self) -> "Alternative":
        if self.formula is None and self.effect is None:
            raise ValueError("an alternative reading states its 'formula' (an amount) or its 'effect' (in words)")
        return self


class Reading(Strict):
    """A clause that admits more than one reading: the one implemented, the others, and why (for a legal office)."""

    id: str = Field(..., pattern=r"^[a-z0-9_]+$")
    question: str = Field(..., min_length=4, description="What the clause leaves open")
    quote: str = Field(..., min_length=2, description="The words in contention, verbatim (found in seeds/)")
    chosen: str = Field(..., min_length=4, description="The reading the rule implements")
    why: str = Field(..., min_length=4, description="Why this reading was chosen")
    effect: str | None = Field(None, description="What the chosen reading grants, when it is not an amount")
    alternatives: list[Alternative] = Field(..., min_length=1)
    example: dict[str, Any] = Field(
        default_factory=dict, description="Profile facts of a worked example (kind, city and as_of may be given)"
    )

    @field_validator("example")
    @classmethod
    def _exact_example(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, item in value.items():
            if isinstance(item, float):
                raise ValueError(f"example.{name}: write numbers as integers or decimals in quotes, not floats")
        return value


class Combination(Strict):
    """How this benefit combines with others, for one applicant on one date.

    `choose` says what is paid when this rule and one or more of `with` are eligible together: `both` (they may
    be combined: a decision recorded, nothing changes), `this` (this rule only: the others are not combined),
    `other` (the first of `with` that is eligible only: this rule is not combined), `higher` (就高: the one with
    the higher amount). Each combination rests on the documents' words (`quote`, verbatim, in the rule's own
    document or in `document`) or, where they are silent, on a recorded `reading`.
    """

    with_: list[str] = Field(..., alias="with", min_length=1, description="The other rules (ids)")
    choose: Literal["both", "this", "other", "higher"] = Field(
        ..., description="both: may be combined; this: this rule applies; other: the other applies; higher: 就高")
    quote: str | None = Field(None, min_length=4, description="The documents' words that say so, verbatim")
    document: str | None = Field(None, description="Seed file of the quote, when not the rule file's own")
    clause: str | None = Field(None, description="The clause the quote stands in")
    reading: Reading | None = Field(None, description="Where the documents are silent: the reading that decides")

    @field_validator("with_")
    @classmethod
    def _rule_ids(cls, value: list[str]) -> list[str]:
        import re

        for rule_id in value:
            if not re.match(RULE_ID, rule_id):
                raise ValueError(f"'{rule_id}' is not a rule id")
        if len(set(value)) != len(value):
            raise ValueError("a rule named twice in 'with'")
        return value

    @model_validator(mode="after")
    def _rests_on_words(self) -> "Combination":
        if (self.quote is None) == (self.reading is None):
            raise ValueError("a combination rests on the documents' 'quote' or, where they are silent, on a "
                             "'reading' (one of the two)")
        if self.document is not None and self.quote is None:
            raise ValueError("'document' names where the 'quote' stands")
        return self
