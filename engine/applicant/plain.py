"""A profile read and checked without pydantic: the quick way in of `subsidy evaluate`, for a profile that is valid.

Importing pydantic and building the profile model is a third of the program's start (about 390 million of the
909 million instructions of `subsidy evaluate --example …`). A valid profile does not need it: each field's value
is read by the function the model's validator calls (`values.money`, `values.boolean`, `spellings.read_choice`
…) and held to the same bounds (`fieldtable.LIMITS`), the keys read by the model's own `read_keys`. What this
reader is not sure of, it leaves to the model: an unknown or missing key, a value of an unexpected type, a bound
broken, a number whose digits pydantic might count otherwise, text whose spaces pydantic might strip otherwise, any
exception. It answers None and the caller validates with `Profile` (the same values, or today's messages naming
each problem). So it never accepts what the model refuses, and gives the same values where both accept:
tests/test_profile_fast.py holds it to the model on generated documents, valid and not, and on every bundled
example.

`PlainProfile` is what the engine reads of a profile (`Applicant`): each field an attribute, every field in its
`__dict__` in the model's order, as a `Profile` keeps them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Context, Decimal
from typing import Any, Protocol

from guangxi_subsidy.engine.applicant import values
from guangxi_subsidy.engine.applicant.fieldtable import (
    BY_NAME,
    CHOICE,
    CHOICES,
    COUNT,
    COUNT_UNITS,
    DAY,
    FACTS,
    FLAG,
    ID,
    LIMITS,
    RATIO,
    TEXT,
    YEARS,
    YEARS_UNITS,
    YUAN,
    ApplicantKind,
    Fact,
    read_keys,
)
from guangxi_subsidy.engine.applicant.spellings import read_choice


class Applicant(Protocol):
    """What an evaluation reads of a profile besides its values (`__dict__`): a `Profile` or a `PlainProfile`."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def kind(self) -> ApplicantKind: ...
    @property
    def city(self) -> str: ...
    @property
    def district(self) -> str | None: ...
    @property
    def as_of(self) -> dt.date | None: ...


class PlainProfile:
    """A valid profile's values: every field an attribute (None when not given), in the model's order."""

    id: str
    name: str | None
    kind: ApplicantKind
    city: str
    district: str | None
    as_of: dt.date | None

    def __init__(self, fields: dict[str, Any]) -> None:
        self.__dict__.update(fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a profile is not changed ({name})")  # (as the frozen model)

    def __repr__(self) -> str:
        given = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items() if value is not None)
        return f"PlainProfile({given})"

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__ and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        return hash(tuple(self.__dict__.values()))


class _Doubt(Exception):
    """The value may not be what the model makes of it: the model decides."""


def read_plain(data: Any) -> PlainProfile | None:
    """The profile `data` (a mapping of field names or labels to values) read as the model reads it, or None
    whenever this reader is not sure the model would accept it with the same values."""
    if type(data) is not dict:
        return None
    try:
        keyed = read_keys(data)
        if any(type(key) is not str or key not in BY_NAME for key in keyed):
            return None  # (not a field: the model's message names it)
        out: dict[str, Any] = {}
        for fact in FACTS:
            value = keyed.get(fact.name)
            if value is None:
                if fact.required:
                    return None
                out[fact.name] = None
            else:
                out[fact.name] = _READERS[fact.kind](fact, value)
        return PlainProfile(out)
    except Exception:  # noqa: BLE001 - any doubt at all: the model reads it and says what is wrong
        return None


# What pydantic strips from text (Rust's `char::is_whitespace`, the Unicode White_Space property) and what
# Python's `str.strip` does, where they differ: text ending in one of these goes to the model.
_ASCII_SPACE = " \t\n\r\x0b\x0c"
_OTHER_SPACE = frozenset("\x1c\x1d\x1e\x1f\x85\xa0\u1680\u180e\u2028\u2029\u202f\u205f\u3000"
                         + "".join(chr(c) for c in range(0x2000, 0x200B)))


def _text(fact: Fact, value: Any) -> str:
    if type(value) is not str:
        raise _Doubt
    value.encode("utf-8")  # (a lone surrogate: pydantic refuses it)
    text = value.strip(_ASCII_SPACE)
    if text and (text[0] in _OTHER_SPACE or text[-1] in _OTHER_SPACE or text[0].isspace() or text[-1].isspace()):
        raise _Doubt
    if fact.kind == ID and not (LIMITS[ID]["min_length"] <= len(text) <= LIMITS[ID]["max_length"]):
        raise _Doubt
    return text


def _choice(fact: Fact, value: Any) -> str:
    if type(value) is not str:
        raise _Doubt
    code = read_choice(fact.name, value)
    if type(code) is not str or code not in CHOICES[fact.name]:
        raise _Doubt
    return ApplicantKind(code) if fact.name == "kind" else code


def _flag(fact: Fact, value: Any) -> bool:
    read = values.boolean(value)
    if type(read) is not bool:
        raise _Doubt
    return read


def _decimal(fact: Fact, value: Any) -> Decimal:
    read = values.money(value) if fact.kind == YUAN else values.ratio(value)
    if type(read) is not Decimal or not read.is_finite():
        raise _Doubt
    limits = LIMITS[fact.kind]
    if read < limits["ge"] or ("le" in limits and read > limits["le"]):
        raise _Doubt
    # The digits, counted as written and as normalised (trailing zeros dropped): both within the bounds, or doubt.
    for form in (read, read.normalize(_WIDE)):
        _sign, digits, exponent = form.as_tuple()
        assert isinstance(exponent, int)
        places = max(0, -exponent)
        written = max(len(digits), places) if exponent < 0 else len(digits) + exponent
        if places > limits["decimal_places"]:
            raise _Doubt
        if "max_digits" in limits and (written > limits["max_digits"]
                                       or written - places > limits["max_digits"] - limits["decimal_places"]):
            raise _Doubt
    return read


def _whole(fact: Fact, value: Any) -> int:
    read = values.count(value, COUNT_UNITS if fact.kind == COUNT else YEARS_UNITS)
    limits = LIMITS[fact.kind]
    if type(read) is not int or not limits["ge"] <= read <= limits["le"]:
        raise _Doubt
    return read


def _day(fact: Fact, value: Any) -> dt.date:
    read = values.date(value)
    if type(read) is not dt.date:
        raise _Doubt
    return read


_READERS: dict[str, Callable[[Fact, Any], Any]] = {
    ID: _text, TEXT: _text, CHOICE: _choice, FLAG: _flag, YUAN: _decimal, RATIO: _decimal, COUNT: _whole,
    YEARS: _whole, DAY: _day,
}

_WIDE = Context(prec=100)  # (normalising never rounds: no bounded figure has that many digits)
