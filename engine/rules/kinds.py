"""The plain values a built rule pack holds: a document's status and header, a period in force, a benefit's kind,
a dated parameter. Nothing here imports pydantic.

A pack read back from the program's cache (`packcache.py`) is unpickled by every `subsidy evaluate`: each class
its objects name is imported then, and importing the rule format's models (`format.py`) means importing pydantic,
about a third of the command's instructions. So what the engines read at each evaluation lives here, as records,
and the models that validate a rule file (`format.Document`, `format.Effective`, `parameters.ParameterFile`)
convert into them once, when the pack is built (`plain()`, `build_parameters`). The enums are the same objects
the format's models validate into (`format` imports them from here).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from guangxi_subsidy.engine.records import record


class Status(StrEnum):
    # (no docstring: pydantic would write it into the rule format's JSON Schema as the enum's description)
    IN_FORCE = "in_force"
    DRAFT = "draft"


class BenefitKind(StrEnum):
    # (no docstring, as above)
    CASH_SUBSIDY = "cash_subsidy"
    AWARD = "award"
    TAX_RELIEF = "tax_relief"
    FEE_RELIEF = "fee_relief"
    LOAN_QUOTA = "loan_quota"
    INTEREST_SUBSIDY = "interest_subsidy"
    NON_MONETARY = "non_monetary"


@record
class Effective:
    """The period a rule or a document is in force: from a day, to a day or with no end stated."""

    from_: dt.date
    to: dt.date | None = None
    note: str | None = None

    def contains(self, day: dt.date) -> bool:
        return self.from_ <= day and (self.to is None or day <= self.to)


@record
class Document:
    """A policy document's header, as its rule file states it (validated by `format.Document`)."""

    file: str  # the seed file's name in seeds/
    title: str
    short: str  # a short name for tables
    number: str | None
    issuer: str
    issued: dt.date | None
    issued_raw: str | None
    jurisdiction: str
    status: Status
    effective: Effective
    notes: str | None


@record
class Parameter:
    """A dated parameter: the value in force on a date is the latest one dated on or before it."""

    name: str
    description: str
    unit: str
    values: tuple[tuple[dt.date, Decimal, str], ...]  # sorted by date

    def at(self, on: dt.date) -> tuple[Decimal, str] | None:
        """The value in force on a date and its reference, or None before the first dated value."""
        found: tuple[Decimal, str] | None = None
        for start, value, reference in self.values:
            if start <= on:
                found = (value, reference)
        return found

    @property
    def first_date(self) -> dt.date:
        return self.values[0][0]
