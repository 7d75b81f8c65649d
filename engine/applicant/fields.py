"""What each profile field is, as the checker, the readers and the tables use it: made once from the field table.

The expression checker's symbol table (`field_symbols`), the headers and templates (`field_labels`), the
typed columns of a batch (`intake/frames.py`, `ColumnSpec`), the generated profiles of the property tests
(`verify/strategies.py`, `FieldDomain`) and `subsidy rules fields` all read `fields()`: a field's type,
label, unit, bounds, digits and choices are declared once, in `fieldtable.py` (which the profile model reads
too), and read from there by everyone; this module imports no pydantic, so `subsidy evaluate` does not.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from guangxi_subsidy.engine.applicant import fieldtable as table
from guangxi_subsidy.engine.language import Symbol, ValueType
from guangxi_subsidy.engine.records import record

NOT_READ_BY_RULES = ("id", "name", "as_of", "district")  # who, where exactly and when: not facts a rule tests

_TYPES: dict[str, ValueType] = {
    table.ID: ValueType.TEXT,
    table.TEXT: ValueType.TEXT,
    table.CHOICE: ValueType.TEXT,
    table.FLAG: ValueType.BOOL,
    table.YUAN: ValueType.MONEY,
    table.RATIO: ValueType.DECIMAL,
    table.COUNT: ValueType.INTEGER,
    table.YEARS: ValueType.INTEGER,
    table.DAY: ValueType.DATE,
}


@record
class FieldInfo:
    """One profile field as the model declares it."""

    name: str
    type: ValueType
    label: str  # the Chinese label of templates and headers
    description: str
    unit: str | None = None  # yuan, ratio, persons, months …
    low: Decimal | None = None  # inclusive bounds, where the model sets them
    high: Decimal | None = None
    digits: int | None = None  # at most this many digits in all (money) …
    places: int | None = None  # … of which this many after the point
    choices: tuple[str, ...] | None = None
    max_length: int | None = None  # text
    read_by_rules: bool = True

    @property
    def largest(self) -> Decimal | None:
        """The largest value the field holds: its bound, or the largest its digits can write."""
        if self.high is not None:
            return self.high
        if self.digits is not None and self.places is not None:
            return Decimal(10) ** (self.digits - self.places) - Decimal(10) ** -self.places
        return None


def fields() -> Mapping[str, FieldInfo]:
    """Every profile field, in the model's order (built once, shared read-only)."""
    return _fields()


@functools.cache
def _fields() -> Mapping[str, FieldInfo]:
    out: dict[str, FieldInfo] = {}
    for fact in table.FACTS:
        limits: dict[str, Any] = table.LIMITS.get(fact.kind, {})
        low, high = limits.get("ge"), limits.get("le")
        out[fact.name] = FieldInfo(
            name=fact.name,
            type=_TYPES[fact.kind],
            label=fact.label,
            description=fact.description,
            unit=fact.unit,
            low=None if low is None else Decimal(str(low)),
            high=None if high is None else Decimal(str(high)),
            digits=limits.get("max_digits"),
            places=limits.get("decimal_places"),
            choices=table.CHOICES.get(fact.name),
            max_length=limits.get("max_length"),
            read_by_rules=fact.name not in NOT_READ_BY_RULES,
        )
    return MappingProxyType(out)


def field_symbols() -> Mapping[str, Symbol]:
    """The fields rules may read, with their types: the expression checker's symbol table."""
    return _field_symbols()


@functools.cache
def _field_symbols() -> Mapping[str, Symbol]:
    return MappingProxyType({
        name: Symbol(name=name, type=info.type, choices=info.choices)
        for name, info in fields().items() if info.read_by_rules
    })


def field_labels() -> dict[str, str]:
    """Field name → Chinese label, for every field (id, name and as_of included)."""
    return {name: info.label for name, info in fields().items()}
