"""Profiles as columns: the typed columnar form, and reading cell text into it without a loop over rows.

Money is held as integer fen, ratios as integer millionths, choices (kind, city, …) as enums of their codes,
so the columnar evaluation compares and multiplies integers only. `read_cells` reads the spellings people use
for each type with polars string expressions, in two stages: the canonical spelling of every cell at once
(`1234.56`, `是`, `南宁`), then, for the few cells that are not canonical, the other accepted spellings (`1,234.56`,
`55万`, surrounding spaces). A row with any cell neither stage reads is flagged: the caller reads that row with
the profile model (`cells.read_profile`), which accepts or rejects it. Both stages accept only text the profile
model reads to the same value; tests/test_frames.py checks each spelling against the model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any

import polars as pl

from guangxi_subsidy.engine.applicant import values
from guangxi_subsidy.engine.applicant.fields import fields
from guangxi_subsidy.engine.applicant.fieldtable import FACTS
from guangxi_subsidy.engine.applicant.spellings import SYNONYMS
from guangxi_subsidy.engine.intake.cells import LOOSE_DATE, REQUIRED, WHITESPACE, Columns
from guangxi_subsidy.engine.language import ValueType
from guangxi_subsidy.engine.money import to_fen

if TYPE_CHECKING:
    from guangxi_subsidy.engine.applicant.profile import Profile

ROW = "row"  # the row number as a spreadsheet counts it (the header is row 1)
SCALE = {ValueType.MONEY: 2, ValueType.DECIMAL: 6}
# Spellings of yes and no that the profile model reads (applicant/values.py), in the usual letter cases.
BOOL_SPELLINGS: dict[str, bool] = {  # every yes before every no: an enum code below the first no means yes
    **{v: True for w in values.YES for v in (w, w.title(), w.upper())},
    **{v: False for w in values.NO for v in (w, w.title(), w.upper())},
}
_FIRST_NO = list(BOOL_SPELLINGS.values()).index(False)
_CANONICAL_MONEY = r"^[0-9]{1,16}(?:\.[0-9]{1,2})?$"
_CANONICAL_RATIO = r"^(?:0(?:\.[0-9]{1,6})?|1(?:\.0{1,6})?)$"
_MONEY = r"^([0-9]{1,16})(?:\.([0-9]{1,6}))?(万)?$"
_RATIO = r"^([0-9]{1,3})(?:\.([0-9]{1,6}))?(%)?$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def split_extras(frame: pl.DataFrame, columns: Columns) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """A chunk's cells without the columns not read (`序号`, `备注`), and those columns, by their headers and with
    the row number, to be carried to the results untouched; None when the file has none."""
    named = [n for n in columns.extras_named if n in frame.columns]
    if not named:
        return frame, None
    headers = dict(zip(columns.fields, columns.headers, strict=True))
    extras = frame.select(ROW, *[pl.col(n).cast(pl.String).alias(headers[n]) for n in named])
    return frame.drop(named), extras


@dataclass(frozen=True)
class ColumnSpec:
    """How one profile field is held in a column, and the largest integer it can hold there."""

    name: str
    vtype: ValueType | None  # None for id, name and as_of, which rules do not read
    dtype: Any
    scale: int = 0
    bound: int = 0
    spellings: dict[str, Any] | None = None  # accepted text -> stored value, for booleans and choices


@cache
def field_specs() -> dict[str, ColumnSpec]:
    """Each profile field's column, from the one description of the fields (applicant/fields.py)."""
    specs: dict[str, ColumnSpec] = {}
    for name, info in fields().items():
        vtype = info.type
        if not info.read_by_rules:
            specs[name] = ColumnSpec(name, None, pl.Date if vtype == ValueType.DATE else pl.String)
        elif vtype == ValueType.MONEY:
            assert info.digits is not None and info.places is not None, name
            specs[name] = ColumnSpec(name, vtype, pl.Int64, 2, 10 ** (info.digits - info.places + 2) - 1)
        elif vtype == ValueType.DECIMAL:
            assert info.high is not None, name
            specs[name] = ColumnSpec(name, vtype, pl.Int64, 6, int(info.high) * 10**6)
        elif vtype == ValueType.INTEGER:
            assert info.high is not None, name
            specs[name] = ColumnSpec(name, vtype, pl.Int64, 0, int(info.high))
        elif vtype == ValueType.BOOL:
            specs[name] = ColumnSpec(name, vtype, pl.Boolean, spellings=BOOL_SPELLINGS)
        else:
            choices = tuple(info.choices or ())
            spellings = {c: c for c in choices}  # and every synonym, exactly as the one table spells it
            spellings |= {text: code for code, texts in SYNONYMS.get(name, {}).items() for text in texts}
            specs[name] = ColumnSpec(name, vtype, pl.Enum(list(choices)), spellings=spellings)
    return {fact.name: specs[fact.name] for fact in FACTS}


def typed_schema() -> dict[str, Any]:
    return {ROW: pl.Int64, **{name: spec.dtype for name, spec in field_specs().items()}}


def fast_schema(names: list[str]) -> dict[str, Any]:
    """The dtypes a CSV reader can parse these columns into directly: enums of the accepted spellings for
    booleans and choices, and integers for counts; everything else stays text. A read fails on a cell outside
    these, and the caller then reads the block as plain text. Every spelling these accept, the profile model
    reads to the same value (tests/test_frames.py). Money stays text: a reader's Decimal rounds a third decimal
    where the profile model refuses it."""
    specs = field_specs()
    out: dict[str, Any] = {}
    for name in names:
        spec = specs.get(name, specs["name"])  # a column not read is text
        if spec.spellings:
            out[name] = pl.Enum(list(spec.spellings))
        elif spec.vtype == ValueType.INTEGER:
            out[name] = pl.Int64
        else:
            out[name] = pl.String
    return out


# ------------------------------------------------------------ stage 1: canonical spellings, whole columns


def _stage_one(spec: ColumnSpec, dtype: Any) -> pl.Expr:
    return _stage_one_cached(spec.name, repr(dtype), dtype)


@cache
def _stage_one_cached(name: str, _key: str, dtype: Any) -> pl.Expr:
    spec = field_specs()[name]
    text = pl.col(name)
    if spec.spellings is not None and dtype != pl.Boolean:  # (a boolean column is read as it is: _typed)
        return _spelled(spec, dtype, text)
    if spec.vtype == ValueType.INTEGER and dtype.is_integer():
        return pl.when((text >= 0) & (text <= spec.bound)).then(text.cast(pl.Int64))
    if dtype != pl.String:
        return _typed(spec, dtype, text)
    if name in ("id", "name", "district"):  # the model trims whitespace and reads an empty cell as not given
        limit = 200 if name == "id" else 10**9
        return pl.when(text.str.len_chars().is_between(1, limit) & ~text.str.contains(r"^\s|\s$")).then(text)
    if name == "as_of":
        return pl.when(text.str.contains(_ISO_DATE)).then(text).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if spec.vtype == ValueType.MONEY:  # digits and at most two decimals: a two-decimal Decimal is held in fen
        fen = text.cast(pl.Decimal(38, 2), strict=False).to_physical().cast(pl.Int64)
        return pl.when(text.str.contains(_CANONICAL_MONEY)).then(fen)
    if spec.vtype == ValueType.INTEGER:
        number = text.cast(pl.Int64, strict=False)
        return pl.when((number >= 0) & (number <= spec.bound)).then(number)
    if spec.vtype == ValueType.DECIMAL:  # a share with at most six decimals, from 0 to 1
        micro = text.cast(pl.Decimal(38, 6), strict=False).to_physical().cast(pl.Int64)
        return pl.when(text.str.contains(_CANONICAL_RATIO)).then(micro)
    return pl.lit(None, dtype=spec.dtype)


def _typed(spec: ColumnSpec, dtype: Any, value: pl.Expr) -> pl.Expr:
    """A column that arrives typed (Parquet, Arrow: integers, decimals, dates, booleans), read as it is, with no
    trip through text: money and shares from integers or decimals scaled exactly to fen or millionths (a
    decimal with more places is read when the extra places are zeros, as the profile model reads 1.230 as
    1.23), dates and booleans as they are. A value outside the field's range is left unread, so the row goes to
    the profile model, which names it; any other type (floats among them) must come as text."""
    if (spec.vtype == ValueType.BOOL and dtype == pl.Boolean) or (spec.name == "as_of" and dtype == pl.Date):
        return value
    if spec.vtype not in (ValueType.MONEY, ValueType.DECIMAL):
        return pl.lit(None, dtype=spec.dtype)
    if dtype.is_integer():
        top = spec.bound // 10**spec.scale
        return pl.when((value >= 0) & (value <= top)).then(value.cast(pl.Int64) * 10**spec.scale)
    if isinstance(dtype, pl.Decimal):
        units = value.to_physical()
        given = dtype.scale or 0
        if given > spec.scale:  # extra places: read only when they are zeros
            step = 10 ** (given - spec.scale)
            units = pl.when(units % step == 0).then(units // step)
        elif given < spec.scale:  # (the bound is checked first: a scaled 38-digit decimal would not fit)
            step = 10 ** (spec.scale - given)
            units = pl.when(units <= spec.bound // step).then(units * step)
        return pl.when((units >= 0) & (units <= spec.bound)).then(units).cast(pl.Int64)
    return pl.lit(None, dtype=spec.dtype)


def _spelled(spec: ColumnSpec, dtype: Any, text: pl.Expr) -> pl.Expr:
    assert spec.spellings is not None
    if isinstance(dtype, pl.Enum):
        categories = dtype.categories.to_list()
        if spec.vtype == ValueType.BOOL and categories == list(BOOL_SPELLINGS):
            return text.to_physical() < _FIRST_NO
        values = [spec.spellings.get(c) for c in categories]
        lookup = pl.Series(values, dtype=spec.dtype)
        return pl.lit(lookup).gather(text.to_physical())
    if dtype != pl.String:
        return pl.lit(None, dtype=spec.dtype)
    return text.replace_strict(spec.spellings, default=None, return_dtype=spec.dtype)


# ------------------------------------------------------------ stage 2: other spellings, only the cells left


def _stage_two(spec: ColumnSpec, texts: pl.Series) -> pl.Series:
    frame = pl.DataFrame({"t": texts.cast(pl.String).str.strip_chars(WHITESPACE)})
    text = pl.col("t")
    if spec.spellings is not None:
        expr = text.replace_strict(spec.spellings, default=None, return_dtype=spec.dtype)
    elif spec.name == "id":
        expr = pl.when(text.str.len_chars().is_between(1, 200)).then(text)
    elif spec.name in ("name", "district"):
        expr = pl.when(text.str.len_chars() > 0).then(text)
    elif spec.name == "as_of":
        frame = frame.select(text.str.extract_groups(LOOSE_DATE).struct.rename_fields(["a", "b", "c"]).struct.unnest())
        iso = pl.concat_str([pl.col("a"), pl.col("b").str.zfill(2), pl.col("c").str.zfill(2)], separator="-")
        expr = pl.when(pl.col("a").cast(pl.Int32) >= 1).then(iso.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
    elif spec.vtype == ValueType.MONEY:
        # values.money drops these characters anywhere, then reads digits and an optional trailing 万.
        frame = _parts(frame, text.str.replace_all("[,，_元]", ""), _MONEY)
        places = pl.col("b").str.len_chars().fill_null(0)
        whole = pl.col("a").cast(pl.Int64)
        fen = (
            pl.when(pl.col("c").is_null() & (places <= 2)).then(whole * 100 + _digits(pl.col("b"), 2))
            .when(pl.col("c").is_not_null() & (pl.col("a").str.len_chars() <= 12))
            .then(whole * 1_000_000 + _digits(pl.col("b"), 6))
        )
        expr = pl.when(fen <= spec.bound).then(fen)
    elif spec.vtype == ValueType.DECIMAL:
        # profile._ratio: a share written 0.85 or 85%, at most six decimals of the share.
        frame = _parts(frame, text, _RATIO)
        places = pl.col("b").str.len_chars().fill_null(0)
        whole = pl.col("a").cast(pl.Int64)
        micro = (
            pl.when(pl.col("c").is_not_null() & (places <= 4)).then(whole * 10_000 + _digits(pl.col("b"), 4))
            .when(pl.col("c").is_null()).then(whole * 1_000_000 + _digits(pl.col("b"), 6))
        )
        expr = pl.when(micro <= spec.bound).then(micro)
    else:
        number = pl.when(text.str.contains("^[0-9]{1,9}$")).then(text).cast(pl.Int64)
        expr = pl.when(number <= spec.bound).then(number)
    return frame.select(expr.cast(spec.dtype).alias(spec.name)).to_series()


def _parts(frame: pl.DataFrame, text: pl.Expr, pattern: str) -> pl.DataFrame:
    """The pattern's three groups as columns a, b, c (computed once)."""
    return frame.select(text.str.extract_groups(pattern).struct.rename_fields(["a", "b", "c"]).struct.unnest())


def _digits(text: pl.Expr, width: int) -> pl.Expr:
    """Fraction digits (or none) as a count of 10**-width."""
    return text.fill_null("").str.pad_end(width, "0").cast(pl.Int64)


@dataclass(frozen=True)
class Reading:
    """Typed columns (typed_schema), the rows the profile model must read, and whether some of those rows
    hold a cell that came already typed (its text as written is then no longer known)."""

    typed: pl.DataFrame
    unread: pl.Series
    retyped: bool


def read_cells(cells: pl.DataFrame) -> Reading:
    """Read a frame of cells named by field (text, or the dtypes of `fast_schema`) plus ROW."""
    specs, schema = field_specs(), cells.schema
    present = [n for n in specs if n in schema]
    stage_one = [_stage_one(specs[n], schema[n]).alias(n) for n in present]
    missing = [pl.lit(None, dtype=spec.dtype).alias(n) for n, spec in specs.items() if n not in schema]
    first = cells.lazy().select(pl.col(ROW).cast(pl.Int64), *stage_one, *missing).collect()
    given_nulls = cells.lazy().select(pl.col(present).null_count()).collect().row(0)
    read_nulls = first.lazy().select(pl.col(present).null_count()).collect().row(0)
    retyped = False
    unread: list[pl.Expr] = [pl.col(n).is_null() for n in REQUIRED]
    seconds: list[pl.Series] = []
    for name in [n for n, a, b in zip(present, given_nulls, read_nulls, strict=True) if a != b]:
        given, typed = cells.get_column(name), first.get_column(name)
        where = (given.is_not_null() & typed.is_null()).arg_true()
        typed = typed.clone().scatter(where, _stage_two(specs[name], given.gather(where)))
        seconds.append(typed)
        if typed.null_count() != given.null_count():
            unread.append(pl.lit(given).is_not_null() & pl.col(name).is_null())
            retyped |= schema[name] != pl.String and not isinstance(schema[name], pl.Enum)
    query = first.lazy().with_columns(seconds).select(typed_schema().keys())
    frame, mask = pl.collect_all([query, query.select(pl.any_horizontal(unread).alias("unread"))])
    return Reading(frame, mask.to_series(), retyped)


# ------------------------------------------------------------ profiles read by the model, as typed rows


def typed_value(spec: ColumnSpec, value: Any) -> Any:
    """A profile value in its column's units (fen, millionths, codes)."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return value.value
    if spec.vtype == ValueType.MONEY:
        return to_fen(value)
    if spec.vtype == ValueType.DECIMAL:
        scaled = Decimal(value).scaleb(spec.scale)
        assert scaled == scaled.to_integral_value(), value
        return int(scaled)
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def typed_rows(profiles: list[tuple[int, Profile]]) -> pl.DataFrame:
    """Profiles (with their row numbers) as typed columns."""
    specs = field_specs()
    columns: dict[str, list[Any]] = {ROW: [row for row, _ in profiles]}
    for name, spec in specs.items():
        columns[name] = [typed_value(spec, getattr(p, name)) for _, p in profiles]
    return pl.DataFrame(columns, schema=typed_schema())
