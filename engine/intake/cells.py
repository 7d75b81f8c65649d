"""Spreadsheet cells as people type them, read into profile values: the one definition both batch paths share.

A batch row is a mapping from column to cell text. Before the profile model sees it, every cell is trimmed of
surrounding whitespace (the Unicode White_Space characters, the same set polars' `strip_chars` removes, so the
columnar reader and this one trim alike), an empty cell means "not given", 是/否 are read as true/false in
yes/no columns, and dates written 2017/3/1 or 2017年3月1日 are read as 2017-03-01. Everything else (money with
separators or 万, cities as 南宁 or 南宁市, every range and type check) is the profile model's own reading, so a
row is accepted in a batch exactly when `subsidy evaluate` accepts it as a profile.

Headers name profile fields either by field name or by Chinese label (`field_labels`). A template carries both:
field names in row 1 and the labels in row 2; a second row that repeats the columns' labels or names is a header
row, not an applicant.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.applicant.profile import Profile, parse_profile

# Unicode White_Space, the characters Rust's `char::is_whitespace` (and so polars) treats as whitespace.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
# Date cells the profile model would refuse but spreadsheets commonly hold: 2017/3/1, 2017.3.1, 2017年3月1日.
LOOSE_DATE = r"^([0-9]{4})(?:[/.年-])([0-9]{1,2})(?:[/.月-])([0-9]{1,2})日?$"
_LOOSE_DATE = re.compile(LOOSE_DATE)
REQUIRED = ("id", "kind", "city")


def clean(text: str | None) -> str | None:
    """A cell's text without surrounding whitespace; None when nothing is left."""
    if text is None:
        return None
    text = text.strip(WHITESPACE)
    return text or None


def cell_value(field: str, text: str | None) -> str | None:
    """What the profile model receives for one cell."""
    value = clean(text)
    if value is None:
        return None
    if field == "as_of" and (m := _LOOSE_DATE.match(value)):
        return f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}"
    return value


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
    fields: tuple[str, ...]

    def header_of(self, field: str) -> str:
        return self.headers[self.fields.index(field)] if field in self.fields else field


class HeaderError(ValueError):
    """A header that cannot be used: the whole file is refused, since every row would be misread."""


def resolve_header(headers: Sequence[str | None]) -> Columns:
    """Map header cells (field names or Chinese labels) to profile fields; every problem is listed at once."""
    labels = field_labels()
    by_label = {label: name for name, label in labels.items()}
    fields, problems = [], []
    for position, raw in enumerate(headers, start=1):
        text = clean(raw) or ""
        field = text if text in labels else by_label.get(text) or (text.lower() if text.lower() in labels else None)
        if field is None:
            problems.append(f"column {position} '{text}' is not a profile field or its label{_suggest(text)}")
            fields.append("")
        elif field in fields:
            problems.append(f"column {position} '{text}' repeats field '{field}' (column {fields.index(field) + 1})")
            fields.append("")
        else:
            fields.append(field)
    for need in REQUIRED:
        if need not in fields:
            problems.append(f"no column for '{need}' ({labels[need]}): every applicant needs it")
    if problems:
        raise HeaderError("header row: " + "; ".join(problems))
    return Columns(tuple(clean(h) or "" for h in headers), tuple(fields))


def is_label_row(columns: Columns, cells: Sequence[str | None]) -> bool:
    """Whether a row just repeats the columns' labels (or names): the template's second header row."""
    labels = field_labels()
    seen = 0
    for field, raw in zip(columns.fields, cells, strict=False):
        text = clean(raw)
        if text is None:
            continue
        if text not in (labels[field], field):
            return False
        seen += 1
    return seen > 0


def _suggest(text: str) -> str:
    labels = field_labels()
    candidates = [*labels, *labels.values()]
    close = difflib.get_close_matches(text, candidates, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else " (see `subsidy template`)"

