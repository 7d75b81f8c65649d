"""The compiled wide-CSV writer (engine/batch/widecsv.py) writes, byte for byte, what the frame path writes: the same
cells, totals, quoting and formula guard, for any applicants the pack can be asked about."""

from __future__ import annotations

import io
from typing import Any

import polars as pl
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from test_columnar import COLUMNAR, PACK, combined_rows, frame, rows

from guangxi_subsidy.engine.batch.layouts import BatchResult
from guangxi_subsidy.engine.batch.sinks import defuse
from guangxi_subsidy.engine.batch.widecsv import LIMIT, WideWriter

WRITERS = {drafts: WideWriter(evaluator.rules) for drafts, evaluator in COLUMNAR.items()}


def frame_path(result: BatchResult) -> bytes:
    """The wide rows as `subsidy batch` writes them without the compiled writer (no header)."""
    out = io.BytesIO()
    for piece in result.wide_slices(7):
        defuse(piece, ("id", "name")).write_csv(out, include_header=False)
    return out.getvalue()


def compiled_path(result: BatchResult, drafts: bool) -> bytes | None:
    lines = WRITERS[drafts].lines(result)
    return None if lines is None else b"".join(bytes(piece) for piece in lines)


def largest_figure(result: BatchResult) -> int:
    return max((int(f[c].abs().max() or 0) for f in result.outcomes for c in ("value", "min", "max") if f.height),
               default=0)


TEXTS = st.sampled_from(["=1+1", "+86 771", "-5", "@sum", "\tx", "\rx", 'say "hi"', "a,b", "a\nb", "南宁，启航",
                         "'quoted", "plain", " spaced ",
                         # longer than sixteen bytes: the bytes to quote for found in a whole sixteen or after it
                         "南宁市青秀区创新创业服务中心", 'say "hi" to every applicant', "0123456789abcdef,tail",
                         "0123456789abcdefghij\nk", '0123456789abcdef"', "0123456789abcdefgh\rx",
                         "a,b and a long tail of words"])


@settings(max_examples=examples(80), deadline=None)
@given(data=rows(PACK), drafts=st.booleans(), names=st.lists(TEXTS, min_size=12, max_size=12))
def test_the_compiled_writer_writes_the_bytes_the_frame_path_writes(data: list[dict[str, str]], drafts: bool,
                                                                    names: list[str]) -> None:
    for row, name in zip(data, names, strict=False):
        row["name"] = name
    result = COLUMNAR[drafts].evaluate(frame(data))
    written = compiled_path(result, drafts)
    if written is None:  # declined: only for figures beyond 64-bit sums, which the frame path then writes
        assert largest_figure(result) > LIMIT
    else:
        assert written == frame_path(result)


@settings(max_examples=examples(5), deadline=None)
@given(data=combined_rows(PACK))
def test_the_compiled_writer_writes_a_benefit_not_combined_as_the_frame_path_does(data: list[dict[str, str]]) -> None:
    result = COLUMNAR[False].evaluate(frame(data))
    written = compiled_path(result, False)
    if written is None:  # declined only for figures beyond 64-bit sums
        assert largest_figure(result) > LIMIT
    else:
        assert written == frame_path(result)


def test_text_that_could_be_a_formula_is_guarded_and_quoted_as_a_csv_writer_would(tmp_path: Any) -> None:
    cells = pl.DataFrame({"id": ["=A1", "B,2", 'C"3', "+4"], "name": ["@x", None, "-", "ok"],
                          "kind": ["enterprise"] * 4, "city": ["南宁"] * 4})
    result = COLUMNAR[False].evaluate(cells)
    written = compiled_path(result, False)
    assert written == frame_path(result)
    lines = written.decode().splitlines()
    assert [line.split(",enterprise,")[0] for line in lines] == ["2,'=A1,'@x", '3,"B,2",', '4,"C""3",\'-',
                                                                 "5,'+4,ok"]


def test_many_applicants_are_written_in_pieces_through_a_small_buffer() -> None:
    cells = pl.DataFrame({"id": [f"ID{i}" for i in range(300)], "kind": ["incubation_base"] * 300,
                          "city": ["南宁"] * 300, "recognised_incubation_base": ["是"] * 300,
                          "rent_and_broadband_paid": [str(1000 * i) for i in range(300)]})
    result = COLUMNAR[False].evaluate(cells)
    writer = WideWriter(COLUMNAR[False].rules, room=4096)
    lines = writer.lines(result)
    assert lines is not None
    pieces = [bytes(piece) for piece in lines]
    assert len(pieces) > 5
    assert b"".join(pieces) == frame_path(result)


def test_figures_beyond_64_bits_are_left_to_the_frame_path() -> None:
    cells = pl.DataFrame({"id": ["X"], "kind": ["incubation_base"], "city": ["南宁"],
                          "recognised_incubation_base": ["是"], "rent_and_broadband_paid": ["1000"],
                          "rent_subsidy_years_received": ["0"]})
    result = COLUMNAR[False].evaluate(cells)
    assert WRITERS[False].lines(result) is not None  # 700.00 yuan: 70% of the rent
    grown = [f.with_columns(pl.col("value") * (LIMIT // 1000)) for f in result.outcomes]
    assert max(f["value"].max() or 0 for f in grown) > LIMIT  # type: ignore[operator]
    big = BatchResult(result.rules, result.applicants, grown, result.errors)
    assert WRITERS[False].lines(big) is None
