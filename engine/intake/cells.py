"""Spreadsheet cells as people type them, read into profile values: the one definition both batch paths share.

A batch row is a mapping from column to cell text. Before the profile model sees it, every cell is trimmed of
surrounding whitespace (the Unicode White_Space characters, the same set polars' `strip_chars` removes, so the
columnar reader and this one trim alike) and an empty cell means "not given". Everything else (yes/no as 是/否,
dates, money with separators, 万 or 亿, synonyms of every choice, every range and type check) is the profile
model's own reading (engine/applicant/spellings.py), so a row is accepted in a batch exactly when `subsidy
evaluate` accepts it as a profile.

Headers name profile fields by field name or by Chinese label, with its unit or not (`key_names`); a column
that names no field (`序号`, `备注`) is not read, and listed once, unless the caller is strict. A template carries both:
field names in row 1 and the labels in row 2; a second row that repeats the columns' labels or names is a header
row, not an applicant.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.applicant.fieldtable import key_names
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.i18n import _

if TYPE_CHECKING:
    from guangxi_subsidy.engine.applicant.profile import Profile

# Unicode White_Space, the characters Rust's `char::is_whitespace` (and so polars) treats as whitespace.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
# Date cells the fast path reads besides ISO dates: 2017/3/1, 2017.3.1, 2017年3月1日.
LOOSE_DATE = r"^([0-9]{4})(?:[/.年-])([0-9]{1,2})(?:[/.月-])([0-9]{1,2})日?$"
REQUIRED = ("id", "kind", "city")


def clean(text: str | None) -> str | None:
    """A cell's text without surrounding whitespace; None when nothing is left."""
    if text is None:
        return None
    text = text.strip(WHITESPACE)
    return text or None


def cell_value(field: str, text: str | None) -> str | None:
    """What the profile model receives for one cell: its text, trimmed (the model reads every spelling)."""
    return clean(text)


def row_data(cells: Mapping[str, str | None]) -> dict[str, str]:
    """A row's cells (by field name) as the profile model's input; cells not given are left out."""
    data = {}
    for field, text in cells.items():
        value = cell_value(field, text)
        if value is not None:
            data[field] = value
    return data


def read_profile(cells: Mapping[str, str | None], source: str = "row") -> Profile:
    """One row as a profile; raises ProfileError naming each field, value and expectation."""
    return parse_profile(row_data(cells), source)


@dataclass(frozen=True)
class Columns:
    """How a file's header maps onto profile fields: `fields[i]` is the field of column i."""

    headers: tuple[str, ...]
    fields: tuple[str, ...]  # a column that names no field has a name of its own, `extra_name(position)`

    @property
    def extras(self) -> tuple[str, ...]:
        """The headers of the columns not read (no field of that name)."""
        return tuple(h for h, f in zip(self.headers, self.fields, strict=True) if is_extra(f))

    @property
    def extras_named(self) -> tuple[str, ...]:
        """The frame names of the columns not read."""
        return tuple(f for f in self.fields if is_extra(f))

    @property
    def read(self) -> tuple[str, ...]:
        """The fields read, in column order."""
        return tuple(f for f in self.fields if not is_extra(f))

    def header_of(self, field: str) -> str:
        return self.headers[self.fields.index(field)] if field in self.fields else field


class HeaderError(ValueError):
    """A header that cannot be used: the whole file is refused, since every row would be misread."""


EXTRA = "·extra:"  # (no NUL: Arrow names are C strings to polars) never a field name, which is snake_case


def extra_name(position: int) -> str:
    """The frame name of a column that names no field (never a field's name)."""
    return f"{EXTRA}{position}"


def is_extra(name: str) -> bool:
    return name.startswith(EXTRA)


def resolve_header(headers: Sequence[str | None], strict: bool = False, kind_known: bool = False) -> Columns:
    """Map header cells (field names or Chinese labels) to profile fields; every problem is listed at once. A
    column that names no field is kept aside, not read (`strict`: refused). `kind_known`: the rows' kind is
    known without a column (a workbook's sheet named for it)."""
    labels = field_labels()
    names = key_names()
    fields: list[str] = []
    problems = []
    for position, raw in enumerate(headers, start=1):
        text = clean(raw) or ""
        field = names.get(text) or names.get(text.lower())
        if field is None and not strict and text and text not in [clean(h) for h in headers[: position - 1]]:
            fields.append(extra_name(position))
        elif field is None:
            problems.append(_("column {0} '{1}' is not a profile field or its label{2}").format(
                position, text, _suggest(text)))
            fields.append("")
        elif field in fields:
            problems.append(_("column {0} '{1}' repeats field '{2}' (column {3})").format(
                position, text, field, fields.index(field) + 1))
            fields.append("")
        else:
            fields.append(field)
    for need in REQUIRED:
        if need not in fields and not (need == "kind" and kind_known):
            problems.append(_("no column for '{0}' ({1}): every applicant needs it").format(need, labels[need]))
    if problems:
        raise HeaderError(_("header row: ") + "; ".join(problems))
    return Columns(tuple(clean(h) or "" for h in headers), tuple(fields))


def is_label_row(columns: Columns, cells: Sequence[str | None]) -> bool:
    """Whether a row just repeats the columns' labels (or names): the template's second header row."""
    labels = field_labels()
    seen = 0
    for field, raw in zip(columns.fields, cells, strict=False):
        text = clean(raw)
        if text is None or is_extra(field):
            continue
        if text not in (labels[field], field):
            return False
        seen += 1
    return seen > 0


def _suggest(text: str) -> str:
    labels = field_labels()
    candidates = [*labels, *labels.values()]
    close = difflib.get_close_matches(text, candidates, n=1, cutoff=0.6)
    return _(" (did you mean '{0}'?)").format(close[0]) if close else _(" (see `subsidy template`)")

