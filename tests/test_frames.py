"""The vectorised cell readers accept only what the profile model accepts, and read it to the same value."""

from __future__ import annotations

import io
from typing import Any

import polars as pl
import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guangxi_subsidy.engine.applicant.reading import ProfileError
from guangxi_subsidy.engine.intake.cells import WHITESPACE, cell_value, read_profile
from guangxi_subsidy.engine.intake.frames import ROW, fast_schema, field_specs, read_cells, typed_value
from guangxi_subsidy.engine.language import ValueType

SPECS = field_specs()
BASE = {"id": "x", "kind": "enterprise", "city": "nanning"}
SAMPLE = {  # one field of each way of reading
    "money": "rent_and_broadband_paid", "ratio": "guangxi_new_product_share", "count": "new_products_certified",
    "years": "rent_subsidy_years_received", "bool": "industrial_enterprise", "city": "city", "kind": "kind",
    "lender": "lender_type", "date": "as_of", "name": "name", "id": "id",
}

digits = st.text("0123456789", min_size=1, max_size=19)
noise = st.sampled_from(["", " ", "\u3000", "\t", "+", "-", ",", "，", "_", "元", "万", "%", ".", "e", "E", "٣", "x"])


@st.composite
def numberish(draw: Any) -> str:
    """Text near the spellings of numbers: digits, a point, separators, signs, units, stray characters."""
    parts = [draw(noise), draw(digits)]
    if draw(st.booleans()):
        parts += [".", draw(st.text("0123456789", max_size=8))]
    parts += [draw(noise), draw(noise)]
    return "".join(parts)


def texts_for(name: str) -> st.SearchStrategy[str]:
    spec = SPECS[name]
    spelled = list(spec.spellings or {})
    words = st.sampled_from(spelled) if spelled else st.nothing()
    padded = st.builds(lambda w, a, b: a + w + b, words, st.sampled_from(["", " ", "\u3000"]),
                       st.sampled_from(["", " ", "\x1c"])) if spelled else st.nothing()
    dates = st.dates().map(lambda d: d.isoformat()) | st.builds(
        lambda y, m, d, s: f"{y}{s}{m}{s}{d}", st.integers(0, 3000), st.integers(0, 13), st.integers(0, 32),
        st.sampled_from(["-", "/", ".", "年"]))
    return st.one_of(numberish(), words, padded, dates, st.text(max_size=6), st.text(WHITESPACE, max_size=2))


def model(name: str, text: str) -> tuple[bool, Any]:
    """(accepted, value in the column's units) as `subsidy evaluate` reads the cell."""
    data = dict(BASE)
    data[name] = text
    try:
        profile = read_profile(data)
    except ProfileError:
        return False, None
    value = getattr(profile, name)
    return True, typed_value(SPECS[name], value)


def fast(name: str, texts: list[str]) -> list[Any]:
    """What the vectorised readers make of each cell, None where they leave it to the model."""
    cells = pl.DataFrame({ROW: range(len(texts)), **{k: [v] * len(texts) for k, v in BASE.items() if k != name},
                          name: texts}, schema_overrides={name: pl.String})
    reading = read_cells(cells)
    values = reading.typed[name].to_list()
    return [None if unread else v for v, unread in zip(values, reading.unread.to_list(), strict=True)]


@pytest.mark.parametrize("way", sorted(SAMPLE))
@settings(max_examples=examples(60))
@given(data=st.data())
def test_a_cell_the_fast_readers_read_is_read_alike_by_the_model(way: str, data: st.DataObject) -> None:
    name = SAMPLE[way]
    texts = data.draw(st.lists(texts_for(name), min_size=1, max_size=20))
    for text, value in zip(texts, fast(name, texts), strict=True):
        if value is None:
            continue  # left to the model: slower, never different
        accepted, expected = model(name, text)
        assert accepted, (name, text, value)
        assert value == expected, (name, text, value, expected)


@pytest.mark.parametrize("name", [n for n, s in SPECS.items() if s.spellings])
def test_every_spelling_of_the_csv_fast_schema_is_a_spelling_the_model_reads_alike(name: str) -> None:
    spec = SPECS[name]
    assert spec.spellings is not None
    for text, value in spec.spellings.items():
        accepted, expected = model(name, text)
        assert accepted and expected == value, (name, text)
        assert cell_value(name, text) is not None


@settings(max_examples=examples(100))
@given(st.lists(numberish() | st.text(max_size=5), min_size=1, max_size=10))
def test_counts_the_csv_reader_types_are_counts_the_model_reads_alike(texts: list[str]) -> None:
    name = SAMPLE["count"]
    lines = "\n".join(f'"{t}"' if any(c in t for c in ',"\n\r') else t for t in [name, *texts])
    if "\r" in lines or any('"' in t for t in texts):
        return
    try:
        frame = pl.read_csv(io.BytesIO(lines.encode()), schema=fast_schema([name]))
    except pl.exceptions.PolarsError:
        return  # the block is then read as text
    if frame.height != len(texts):
        return
    for text, value in zip(texts, frame[name].to_list(), strict=True):
        if value is None or not 0 <= value <= SPECS[name].bound:
            continue
        accepted, expected = model(name, text)
        assert accepted and expected == value, (text, value, expected)


def test_money_spellings_read_to_fen() -> None:
    texts = ["550000", "550,000.00", "55万", "1.234567万", "0.5", " 12.30 ", "1_000元", "12.345", "-5", "1e3"]
    values = fast("rent_and_broadband_paid", texts)
    assert values[:7] == [55_000_000, 55_000_000, 55_000_000, 1_234_567, 50, 1230, 100_000]
    assert values[7:] == [None, None, None]  # refused, or left to the model (which reads 1e3 as 1000)
    assert model("rent_and_broadband_paid", "1e3") == (True, 100_000)


def test_ratio_and_boolean_and_city_spellings() -> None:
    assert fast("guangxi_new_product_share", ["85%", "0.85", "100%", "12.3456%", "1.5"]) == [
        850_000, 850_000, 1_000_000, 123_456, None]
    assert fast("industrial_enterprise", ["是", "否", "TRUE", "no", "1", "也许"]) == [True, False, True, False, True,
                                                                                   None]
    assert fast("city", ["南宁", "南宁市", "nanning", " 梧州 ", "深圳"]) == ["nanning"] * 3 + ["wuzhou", None]


def test_integer_bounds_follow_the_profile_model() -> None:
    assert SPECS["new_products_certified"].bound == 10_000_000
    assert SPECS["rent_subsidy_years_received"].bound == 100
    assert SPECS["rent_and_broadband_paid"].bound == 10**18 - 1
    assert SPECS["guangxi_new_product_share"].vtype == ValueType.DECIMAL


def test_a_percent_sign_after_text_that_is_no_number_is_a_refused_cell_not_a_crash() -> None:
    for text in ("0+%", "%", "abc%", " 1e%", "1,2%"):
        assert model("guangxi_new_product_share", text) == (False, None), text
