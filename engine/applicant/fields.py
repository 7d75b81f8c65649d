"""What each profile field is, derived once from the Profile model: the one source of field metadata.

The expression checker's symbol table (`field_symbols`), the headers and templates (`field_labels`), the
typed columns of a batch (`intake/frames.py`, `ColumnSpec`), the generated profiles of the property tests
(`verify/strategies.py`, `FieldDomain`) and `subsidy rules fields` all read `fields()`: a field's type,
label, unit, bounds, digits and choices are declared once, on the model, and read from there by everyone.
"""

from __future__ import annotations

import datetime as dt
import functools
import typing
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Any

from guangxi_subsidy.engine.applicant.profile import ApplicantKind, Profile
from guangxi_subsidy.engine.language import Symbol, ValueType
from guangxi_subsidy.engine.records import record

NOT_READ_BY_RULES = ("id", "name", "as_of", "district")  # who, where exactly and when: not facts a rule tests

_PY_TYPES: dict[Any, ValueType] = {
    Decimal: ValueType.MONEY,
    int: ValueType.INTEGER,
    bool: ValueType.BOOL,
    str: ValueType.TEXT,
    dt.date: ValueType.DATE,
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
    # (choices are declared in each field's json_schema_extra, so the model's JSON Schema, 15 ms to build, is
    # not needed here: `subsidy evaluate` starts without building it)
    out: dict[str, FieldInfo] = {}
    for name, info in Profile.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        constraints = _constraints(info.annotation) | {k: getattr(m, k) for m in info.metadata for k in _KEYS
                                                       if getattr(m, k, None) is not None}
        choices: tuple[str, ...] | None = None
        if name == "kind":
            vtype, choices = ValueType.TEXT, tuple(k.value for k in ApplicantKind)
        else:
            base = _base_type(info.annotation)
            vtype = _PY_TYPES[base]
            if base is Decimal and extra.get("unit") == "ratio":
                vtype = ValueType.DECIMAL
            enum = extra.get("enum")
            if isinstance(enum, list):
                choices = tuple(str(v) for v in enum)
        low, high = constraints.get("ge"), constraints.get("le")
        unit = extra.get("unit")
        out[name] = FieldInfo(
            name=name,
            type=vtype,
            label=str(extra.get("label_zh", name)),
            description=info.description or "",
            unit=str(unit) if unit else None,
            low=None if low is None else Decimal(str(low)),
            high=None if high is None else Decimal(str(high)),
            digits=constraints.get("max_digits"),
            places=constraints.get("decimal_places"),
            choices=choices,
            max_length=constraints.get("max_length"),
            read_by_rules=name not in NOT_READ_BY_RULES,
        )
    return MappingProxyType(out)


_KEYS = ("ge", "le", "max_digits", "decimal_places", "max_length")


def _constraints(annotation: Any) -> dict[str, Any]:
    """The constraints (ge, le, max_digits …) declared in a field's annotation, however nested."""
    found: dict[str, Any] = {}
    stack = [annotation]
    while stack:
        current = stack.pop()
        for item in getattr(current, "__metadata__", ()):
            for key in _KEYS:
                if getattr(item, key, None) is not None:
                    found.setdefault(key, getattr(item, key))
            for inner in getattr(item, "metadata", None) or []:
                for key in _KEYS:
                    if getattr(inner, key, None) is not None:
                        found.setdefault(key, getattr(inner, key))
        stack.extend(typing.get_args(current))
    return found


def _base_type(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if not args:
        return annotation
    inner = args[0]
    if typing.get_origin(inner) is Annotated:
        return typing.get_args(inner)[0]
    if typing.get_origin(annotation) is Annotated:
        return args[0] if not typing.get_args(args[0]) else _base_type(args[0])
    return _base_type(inner) if typing.get_args(inner) else inner


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
