"""Dated parameters: values that change over time, each with the reference that sets it.

Laid out like OpenFisca's parameter files: a parameter has dated values, and the value in force on a date is the
latest one dated on or before it. A rule reads a parameter by name in its amount formula; the date is the
evaluation date, never "today". The file's models validate here; what a built pack holds of them is
`kinds.Parameter`, re-exported from here.
"""


import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from guangxi_subsidy.engine.rules.kinds import Parameter  # (its home: a built pack holds it, read without pydantic)


def _exact(value: Any) -> Decimal:
    if isinstance(value, float):
        raise ValueError("write the value as a decimal or a percentage string, not a float")
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(f"expected a number or a percentage such as '60%', not {value!r:.40}")
    text = value.strip() if isinstance(value, str) else value
    try:  # (Decimal's own error is not a ValueError: the validator would let it through as a crash)
        found = Decimal(text[:-1]) / 100 if isinstance(text, str) and text.endswith("%") else Decimal(text)
    except ArithmeticError:
        raise ValueError(f"expected a number or a percentage such as '60%', not {value!r:.40}") from None
    if not found.is_finite() or abs(found.adjusted()) > 18:
        raise ValueError(f"expected a finite number of at most 18 digits, not {value!r:.40}")
    return found


class DatedValue(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # (built when a parameters file is validated)
    value: Decimal
    reference: str = Field(..., min_length=4, description="The document and clause that set this value")

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, value: Any) -> Decimal:
        return _exact(value)


class ParameterSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # (built when a parameters file is validated)
    description: str
    unit: str = Field(..., pattern="^(rate|yuan|count)$")
    values: dict[dt.date, DatedValue]

    @field_validator("values")
    @classmethod
    def _not_empty(cls, values: dict[dt.date, DatedValue]) -> dict[dt.date, DatedValue]:
        if not values:
            raise ValueError("a parameter needs at least one dated value")
        return values


class ParameterFile(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # (built when a parameters file is validated)
    schema_: str = Field(..., alias="schema", pattern="^subsidy-parameters/1$")
    parameters: dict[str, ParameterSpec]


def build_parameters(spec: ParameterFile) -> dict[str, Parameter]:
    out = {}
    for name, item in spec.parameters.items():
        values = tuple(sorted((d, v.value, v.reference) for d, v in item.values.items()))
        out[name] = Parameter(name=name, description=item.description, unit=item.unit, values=values)
    return out
