"""The one reader of values: any text or number a person or a file gives, read into money, counts, ratios,
yes/no, dates and choices, with bounds, so that no input reaches Decimal or int unchecked.

Profiles (YAML, JSON), batch cells (CSV) and workbook cells all reach the profile model, whose fields read
their input here: a batch row is accepted exactly when the same values in a profile file are. The fast column
readers of `engine/intake/frames.py` read a subset of these spellings (plain digits, `是`, `南宁`) without a
loop over rows, and take their tables of spellings from this module, so the two cannot drift apart.

The spellings are tables, not code: `SEPARATORS` (dropped anywhere in an amount), `MONEY_UNITS` (a trailing
unit and its multiplier), `MONEY_SIGNS` (a leading currency sign), `PERCENT_SIGNS`, `YES` / `NO` (Chinese first:
是/否, 有/无, √/×), `DATE_PATTERNS` (2017-06-30, 2017/6/30, 2017年6月30日, 20170630). Text is read after NFKC
normalisation, so full-width digits, signs and separators (`￥９００，０００`) read as their usual forms. The
choices (kind of applicant, city, lender …) and their synonyms are in `spellings.py`. Chinese numerals written
out (`五十五万`) are not read: an accountant types digits, and the library that reads them (cn2an) returns
floats for decimals, which would give up exactness. A new spelling is a new table entry; every entry is read
under the same bounds:

* a number has at most `MAX_DIGITS` digits and an exponent of at most `MAX_EXPONENT` in size, so that neither
  a 5,000-digit integer (Python refuses to convert it) nor `1e1000000` (Decimal overflows when it is scaled)
  ever reaches arithmetic;
* NaN and infinities are refused, however written (YAML `.nan`, JSON `Infinity`, a float);
* `true`/`false` are not numbers, a date is a calendar date (not a datetime, not a timestamp: an integer is a
  date only when it is eight digits of one, as YAML reads `20170301`).

Each reader raises ValueError with what was expected; the profile model names the field.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, localcontext
from typing import Any

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.money import ARITHMETIC

MAX_DIGITS = 40  # digits of a number as written (no profile figure needs more than 18)
MAX_EXPONENT = 40  # |exponent| of a number written in scientific notation
MAX_TEXT = 200  # characters of a number, a date or a choice as written: anything longer is not one

# Dropped wherever they appear in an amount: thousands separators as people type them, and the unit 元.
SEPARATORS: tuple[str, ...] = (",", "，", "_", " ", "'", "\u2009", "\u202f", "元")
# A unit after an amount of money, and what it multiplies the number by.
MONEY_UNITS: dict[str, Decimal] = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
# Before an amount of money (full-width ￥ reads as ¥).
MONEY_SIGNS: tuple[str, ...] = ("人民币", "¥")
# A share written as a percentage (full-width ％ reads as %).
PERCENT_SIGNS: tuple[str, ...] = ("%",)
# Yes and no, compared without letter case; the first of each is what people are shown (templates, dropdowns).
YES: tuple[str, ...] = ("是", "有", "√", "✓", "✔", "对", "true", "yes", "y", "on", "t", "1")
NO: tuple[str, ...] = ("否", "无", "没有", "×", "✗", "✘", "不是", "false", "no", "n", "off", "f", "0")
# Dates as written: (pattern with year, month and day groups). ISO first.
DATE_PATTERNS: tuple[str, ...] = (
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$",
    r"^([0-9]{4})(?:[/.年-])([0-9]{1,2})(?:[/.月-])([0-9]{1,2})日?$",
    r"^([0-9]{4})([0-9]{2})([0-9]{2})$",
)

_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity", ".nan", ".inf"})
_DATES = tuple(re.compile(p) for p in DATE_PATTERNS)


class BadValue(ValueError):
    """A value outside what its field accepts; the message says what was expected."""


def normal(text: str) -> str:
    """Full-width digits, letters and signs as their usual forms (NFKC), surrounding spaces gone."""
    return unicodedata.normalize("NFKC", text).strip()


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def decimal(value: Any, what: str = "a number") -> Decimal:
    """A finite, bounded Decimal from an int, a Decimal or text digits (with an optional exponent)."""
    if isinstance(value, bool):
        raise BadValue(_("expected {what}, not true/false").format(what=what))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise BadValue(_("expected {what}, not NaN or infinity").format(what=what))
        value = Decimal(repr(value))
    if isinstance(value, int):
        if value.bit_length() > MAX_DIGITS * 4:
            raise BadValue(_("expected {what} of at most {n} digits").format(what=what, n=MAX_DIGITS))
        return Decimal(value)
    if isinstance(value, Decimal):
        return _bounded(value, what)
    if not isinstance(value, str):
        raise BadValue(_("not {what}").format(what=what))
    text = normal(value) if len(value) <= MAX_TEXT else value
    if text.lower().lstrip("+-") in _NOT_FINITE:
        raise BadValue(_("expected {what}, not NaN or infinity").format(what=what))
    if len(text) > MAX_TEXT or not _NUMBER.match(text):
        raise BadValue(_("'{text}' is not {what}").format(text=_cut(text), what=what))
    mantissa = text.split("e")[0].split("E")[0]
    if sum(c.isdigit() for c in mantissa) > MAX_DIGITS:
        raise BadValue(_("expected {what} of at most {n} digits").format(what=what, n=MAX_DIGITS))
    if mantissa != text and abs(int(text[len(mantissa) + 1 :] or "0")) > MAX_EXPONENT:
        raise BadValue(_("expected {what}, not an exponent that large").format(what=what))
    with localcontext(ARITHMETIC):
        return _bounded(Decimal(text), what)


def _bounded(value: Decimal, what: str) -> Decimal:
    if not value.is_finite():
        raise BadValue(_("expected {what}, not NaN or infinity").format(what=what))
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if len(digits) > MAX_DIGITS or abs(exponent) > MAX_EXPONENT + MAX_DIGITS:
        raise BadValue(_("expected {what} of at most {n} digits").format(what=what, n=MAX_DIGITS))
    return value


def _cut(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "…"


def _without_separators(text: str) -> str:
    for separator in SEPARATORS:
        text = text.replace(separator, "")
    return text


def money(value: Any) -> Decimal:
    """Yuan: `550000`, `550,000.00`, `¥550,000`, `55万`, `55万元`, `12亿`, `５５０，０００`; never a float (it
    is not exact)."""
    if isinstance(value, float):
        raise BadValue(_("write money as a decimal string or integer (e.g. '1234.56'), not a float"))
    if not isinstance(value, str):
        return decimal(value, _("an amount of money"))
    if len(value) > MAX_TEXT:
        raise BadValue(_("'{text}' is not {what}").format(text=_cut(value), what=_("an amount of money")))
    text = _without_separators(normal(value))
    for sign in MONEY_SIGNS:
        text = text.removeprefix(sign)
    multiplier = Decimal(1)
    for unit, factor in MONEY_UNITS.items():
        if text.endswith(unit):
            text, multiplier = text[: -len(unit)].strip(), multiplier * factor
            break
    if not _NUMBER.match(text) and text.lower().lstrip("+-") not in _NOT_FINITE:
        raise BadValue(_("“{0}” is not an amount of money: write e.g. 550000, 550,000.00, ¥550000, 55万 or "
                         "12亿").format(_cut(value.strip())))
    number = decimal(text, _("an amount of money"))  # (bounds: digits, exponent, NaN)
    with localcontext(ARITHMETIC):
        return number * multiplier


def ratio(value: Any) -> Decimal:
    """A share: `0.85` or `85%` (the model bounds it to 0–1)."""
    what = _("a share (0.85 or 85%)")
    if isinstance(value, str):
        text = normal(value) if len(value) <= MAX_TEXT else value
        for sign in PERCENT_SIGNS:
            if text.endswith(sign):
                number = decimal(text[: -len(sign)], what)
                with localcontext(ARITHMETIC):
                    return number / 100
        return decimal(text, what)
    return decimal(value, what)


def count(value: Any, units: tuple[str, ...] = ()) -> int:
    """A whole number: `12`, `１２`, `1,200`, or with the field's unit after it (`12个月`, `3人`); `12.5` and
    true/false are refused."""
    what = _("a whole number")
    if isinstance(value, bool):
        raise BadValue(_("expected {what}, not true/false").format(what=what))
    if isinstance(value, int):
        decimal(value, what)
        return value
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        text = _without_separators(normal(value))
        for unit in sorted(units, key=len, reverse=True):
            if text.endswith(unit) and text[: -len(unit)]:
                text = text[: -len(unit)]
                break
        value = text
    number = decimal(value, what)
    if number != number.to_integral_value():
        raise BadValue(_("'{text}' is not {what}").format(text=_cut(str(value)), what=what))
    return int(number)


def boolean(value: Any) -> bool:
    """Yes or no: true/false, and the spellings of YES and NO in any letter case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        text = normal(value).lower()
        if text in YES:
            return True
        if text in NO:
            return False
    shown = _cut(str(value).strip())
    raise BadValue(_("“{0}” is not yes or no: write 是/否, 有/无, √/× (or true/false)").format(shown))


def date(value: Any) -> dt.date:
    """A calendar date: a date, or text in DATE_PATTERNS, or eight digits of one as YAML reads `20170301`; a
    datetime or another number (a timestamp) is not a date."""
    if isinstance(value, int) and not isinstance(value, bool) and 10_000_000 <= value <= 99_999_999:
        value = str(value)
    if isinstance(value, dt.datetime) or isinstance(value, bool | int | float | Decimal):
        raise BadValue(_("expected a date (2017-06-30), not a time or a number"))
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        text = normal(value)
        for pattern in _DATES:
            if m := pattern.match(text):
                try:
                    return dt.date(int(m[1]), int(m[2]), int(m[3]))
                except ValueError:
                    raise BadValue(_("“{0}” is not a date on the calendar").format(text)) from None
    raise BadValue(_("“{0}” is not a date: write e.g. 2017-06-30, 2017/6/30, 2017年6月30日 or "
                     "20170630").format(_cut(str(value).strip())))


def shown(value: Any) -> str:
    """A value as an error message shows it: cut short, so a 10 MB cell is not printed back whole."""
    return _shown(value)

