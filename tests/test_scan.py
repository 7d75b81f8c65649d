"""The compiled reader of clean CSV blocks (engine/intake/scan.py) decides nothing the other readers would decide
differently: the same typed rows, the same rejections, the same output files, whatever the cells hold."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_batch_files import AS_OF, run, table
from test_frames import texts_for

from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.batch.evaluator import Evaluator
from guangxi_subsidy.engine.intake import csvsource
from guangxi_subsidy.engine.intake.cells import WHITESPACE
from guangxi_subsidy.engine.intake.csvsource import CsvSource
from guangxi_subsidy.engine.intake.frames import field_specs
from guangxi_subsidy.engine.intake.lines import line_count
from guangxi_subsidy.engine.intake.scan import Scanner, quotes_regular, text_clean
from guangxi_subsidy.engine.language import ValueType

FIELDS = list(field_labels())
SPECS = field_specs()
EVALUATOR = Evaluator()


def read(path: Path, compiled: bool) -> tuple[pl.DataFrame, pl.DataFrame, list[tuple[Any, ...]], int]:
    """Typed applicants, the problems of the rows refused, the lines refused unread, and rows accounted for,
    as `subsidy batch` admits them."""
    source = CsvSource(path, compiled=compiled)
    applicants, errors, refused, rows = [], [], [], 0
    for chunk in source.chunks():
        rows += chunk.rows
        refused += [(r.row, r.column, r.value, r.reason) for r in chunk.rejected]
        admitted = EVALUATOR.admit(chunk.take, source.columns, chunk.as_text, chunk.typed)
        applicants.append(admitted.applicants)
        errors.append(admitted.errors)
    source.close()
    return pl.concat(applicants), pl.concat(errors), sorted(refused), rows


def assert_read_alike(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, list[tuple[Any, ...]]]:
    compiled = read(path, True)
    usual = read(path, False)
    assert compiled[3] == usual[3]
    assert compiled[0].equals(usual[0]), (compiled[0], usual[0])
    assert compiled[1].equals(usual[1]), (compiled[1], usual[1])
    assert compiled[2] == usual[2]
    return compiled[0], compiled[1], compiled[2]


COLUMNS = ["id", "name", "kind", "city", "as_of", "rent_and_broadband_paid", "guangxi_new_product_share",
           "new_products_certified", "industrial_enterprise", "lender_type", "graduate_grassroots_employer",
           "utilities_months", "first_set_sale_price"]
CLEAN = {  # a canonical spelling of each column, so that most generated rows are clean
    "id": "GX1", "name": "南宁启航工作室", "kind": "enterprise", "city": "南宁", "as_of": "2017-06-30",
    "rent_and_broadband_paid": "1234.56", "guangxi_new_product_share": "0.85", "new_products_certified": "3",
    "industrial_enterprise": "是", "lender_type": "bank", "graduate_grassroots_employer": "other",
    "utilities_months": "12", "first_set_sale_price": "",
}
ODD_BYTES = [b"\xff", b"\xe4\xb8", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80"]  # not UTF-8


SEPARATORS = ["", ",", "，", "_", "元", " "]


@st.composite
def grouped(draw: Any) -> str:
    """Money as people format it: digits in groups, separators anywhere, a fraction, 万 or 元."""
    parts = draw(st.lists(st.text("0123456789", min_size=1, max_size=4), min_size=1, max_size=6))
    text = "".join(p + draw(st.sampled_from(SEPARATORS)) for p in parts)
    if draw(st.booleans()):
        text += "." + draw(st.text("0123456789", max_size=7))
    return text + draw(st.sampled_from(["", "万", "元", "万元", "元万", "万万"]))


@st.composite
def cell(draw: Any, name: str) -> bytes:
    """Any text near the column's spellings (grouped money too), or bytes that are not UTF-8; quoted as a CSV
    writer quotes, or with quotes in odd places, now and then."""
    if draw(st.integers(0, 9)) == 0:
        data = draw(st.sampled_from(ODD_BYTES))
    else:
        text = draw(grouped() if SPECS[name].vtype == ValueType.MONEY and draw(st.booleans()) else texts_for(name))
        data = text.encode("utf-8", errors="surrogatepass")
    quoting = draw(st.integers(0, 9))
    if quoting < 3:  # as a CSV writer quotes it
        return b'"' + data.replace(b'"', b'""') + b'"'
    if quoting == 3:  # a quote before, inside or after the text
        at = draw(st.integers(0, len(data)))
        return data[:at] + b'"' + data[at:]
    return data


@st.composite
def line(draw: Any) -> bytes:
    """A clean line with one or two of its cells replaced (so that the compiled reader's decision on the odd
    cell decides the line), now and then ragged or empty."""
    cells = [CLEAN[name].encode() for name in COLUMNS]
    for column in draw(st.lists(st.integers(0, len(COLUMNS) - 1), max_size=2)):
        cells[column] = draw(cell(COLUMNS[column]))
    if draw(st.integers(0, 19)) == 0:
        cells = draw(st.sampled_from([cells[:-1], [*cells, b""], [b""], [b"   "]]))
    return b",".join(cells)


def write(path: Path, lines: list[bytes], crlf: bool = False) -> Path:
    end = b"\r\n" if crlf else b"\n"
    path.write_bytes(end.join([",".join(COLUMNS).encode(), *lines]) + end)
    return path


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(line(), min_size=1, max_size=30), crlf=st.booleans())
def test_any_cells_are_typed_and_refused_alike_by_the_compiled_and_the_usual_readers(
        tmp_path: Path, lines: list[bytes], crlf: bool) -> None:
    assert_read_alike(write(tmp_path / "applicants.csv", lines, crlf))


def test_a_clean_block_is_typed_by_the_compiled_reader_and_its_odd_lines_by_the_others(tmp_path: Path) -> None:
    clean = b",".join(CLEAN[n].encode() for n in COLUMNS)
    lines = [clean.replace(b"GX1", f"GX{i}".encode()) for i in range(50)]
    lines[10] = lines[10].replace(b"0.85", b"85%")  # read by the compiled reader too (stage two's percent)
    lines[20] = lines[20].replace(b"1234.56", b"12.3\xe4\xb8\x87")  # 12.3万: and stage two's money
    lines[24] = lines[24].replace(b"1234.56", b'"1,234.56"')  # quoted, with a separator
    lines[26] = lines[26].replace(b"1234.56", b" 1234.56")  # a space: left to the usual readers
    lines[30] = lines[30].replace(b"\xe5\x8d\x97\xe5\xae\x81", b"\xff")  # not UTF-8: rejected with its reason
    lines[40] = b""
    path = write(tmp_path / "applicants.csv", lines)
    source = CsvSource(path, compiled=True)
    (chunk,) = list(source.chunks())
    assert chunk.typed is not None and chunk.typed.height == 47
    assert chunk.cells.height == 1 and chunk.cells["row"].to_list() == [28]
    assert [(r.row, r.reason.split(" (")[0]) for r in chunk.rejected] == [(32, "not valid utf-8 text"),
                                                                           (42, "empty row")]
    typed, _, refused = assert_read_alike(path)
    assert [r[0] for r in refused] == [32, 42]
    assert typed.filter(pl.col("row") == 12)["guangxi_new_product_share"].item() == 850_000
    assert typed.filter(pl.col("row") == 22)["rent_and_broadband_paid"].item() == 12_300_000  # fen
    assert typed.filter(pl.col("row").is_in([26, 28]))["rent_and_broadband_paid"].to_list() == [123_456, 123_456]
    assert typed["row"].to_list() == [r for r in range(2, 52) if r not in (32, 42)]


def test_a_block_whose_quotes_may_not_end_a_record_on_its_line_or_with_a_stray_carriage_return_is_left_whole(
) -> None:
    scanner = Scanner(tuple(COLUMNS), crlf=False)
    clean = b",".join(CLEAN[n].encode() for n in COLUMNS)
    for block in (clean, clean.replace(b"GX1", b'"GX1"'), clean.replace(b"GX1", b'"G""X1"')):
        assert scanner.read(block + b"\n", 2) is not None and quotes_regular(block + b"\n")
    for odd in (b'G"X1', b'"GX1"x', b'"GX1', b'"G\nX1"'):  # a quote inside, text after one, a line break in one
        block = clean.replace(b"GX1", odd) + b"\n" + clean + b"\n"
        assert scanner.read(block, 2) is None and not quotes_regular(block)
    assert scanner.read(clean + b"\r\n", 2) is None
    assert Scanner(tuple(COLUMNS), crlf=True).read(clean + b"\n", 2) is None


def test_white_space_at_either_end_of_text_is_what_the_profile_model_strips() -> None:
    spaces = {ord(c) for c in WHITESPACE}
    for point in [*range(0xD800), *range(0xE000, 0xE100), 0xFEFF, 0x1F600]:
        character = chr(point)
        for text in (character + "号", "号" + character):
            assert text_clean(text.encode("utf-8")) == (point not in spaces), hex(point)
    assert text_clean("号a".encode()) and not text_clean(b"\xff") and not text_clean(b"\xed\xa0\x80")  # surrogate
    assert text_clean(("号" * 200).encode(), 200) and not text_clean(("号" * 201).encode(), 200)
    for point in range(0x80):  # ASCII text, read eight bytes at a time: at either end of the steps and between
        for k in (0, 6, 7, 8, 15, 16):
            for text in (chr(point) + "a" * k, "a" * k + chr(point), "a" * k + chr(point) + "a"):
                assert text_clean(text.encode()) == (point not in spaces or text[0] == text[-1] == "a"), repr(text)
    assert text_clean(b"a" * 200, 200) and not text_clean(b"a" * 201, 200) and text_clean(b"a" * 201)


# Pieces of UTF-8 and of broken UTF-8: lead bytes of every length alone, continuations alone, the lowest and
# highest of each length, overlong and surrogate forms, white space of one, two and three bytes.
_PIECES = [b"a", b" ", "号".encode(), "\u3000".encode(), "\u2028".encode(), "\xa0".encode(), b"\xe4", b"\xe4\xb8",
           b"\xbf", b"\x80", b"\xed\xa0\x80", b"\xed\x9f\xbf", b"\xe1\x80\x80", b"\xe1\xc0\x80", b"\xe1\x80\x7f",
           b"\xef\xbf\xbf", b"\xe0\xa0\x80", b"\xe0\x80\x80", b"\xc0\x80", b"\xc2\x80", b"\xf0\x90\x80\x80",
           b"\xf4\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", "😀".encode()]


@given(st.lists(st.sampled_from(_PIECES), max_size=10), st.sampled_from([0, 1, 3, 200]))
@settings(max_examples=examples(150))
def test_text_is_kept_exactly_when_it_is_utf8_within_its_limit_with_no_white_space_at_either_end(
        pieces: list[bytes], limit: int) -> None:
    data = b"".join(pieces)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        expected = False
    else:
        expected = text == text.strip(WHITESPACE) and (limit == 0 or len(text) <= limit)
    assert text_clean(data, limit) == expected


def test_line_ends_are_counted_as_python_counts_them_at_any_length() -> None:
    # lengths around the sixteen-byte steps of the compiled count, and past the 255 steps a byte per lane holds
    draw = random.Random(5)
    for size in [*range(40), 16 * 255 - 1, 16 * 255, 16 * 255 + 17, 70_000]:
        block = bytes(draw.choices(b"\n\nab,\r\xe4", k=size))
        assert line_count(block) == block.count(b"\n"), size
    assert line_count(b"\n" * 9_000) == 9_000 and line_count(b"x" * 9_000) == 0


def test_ids_longer_than_the_profile_allows_are_left_to_the_model(tmp_path: Path) -> None:
    clean = b",".join(CLEAN[n].encode() for n in COLUMNS)
    lines = [clean.replace(b"GX1", ("号" * n).encode()) for n in (199, 200, 201)]
    _, errors, _ = assert_read_alike(write(tmp_path / "applicants.csv", lines))
    assert errors["row"].to_list() == [4]


@pytest.mark.parametrize(("bad_every", "encoding", "end"),
                         [(10, "utf-8", "\n"), (1000, "utf-8", "\n"), (10, "gb18030", "\r\n")])
def test_results_files_are_the_same_with_and_without_the_compiled_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_every: int, encoding: str, end: str) -> None:
    rows, _ = table(rows=600, bad_every=bad_every, seed=11)
    rng = random.Random(3)
    for row in rows:  # no quoted cells, so that blocks are the compiled reader's
        if "," in row.get("utilities_paid", ""):
            row["utilities_paid"] = rng.choice(["1234.56", "3.2万", "800"])
    for number in (17, 232, 233):  # repeats, across blocks and within one (of rows that are not bad)
        rows[number]["id"] = rows[number - 1]["id"]
    source = tmp_path / "applicants.csv"
    lines = [",".join(FIELDS), *[",".join(r.get(f, "") for f in FIELDS) for r in rows]]
    source.write_bytes((end.join(lines) + end).encode(encoding))
    monkeypatch.setattr(csvsource, "SCAN_BLOCK", 4096)  # many blocks, parsed two at a time
    outputs = {}
    for way, threshold in (("compiled", 0), ("usual", 1 << 60)):
        monkeypatch.setattr(csvsource, "COMPILED_FROM", threshold)
        out = tmp_path / f"{way}.csv"
        code, _, err = run("batch", str(source), "-o", str(out), "--as-of", AS_OF, "-q",
                           "--summary", str(tmp_path / f"{way}.json"))
        assert code == 0, err
        summary = json.loads((tmp_path / f"{way}.json").read_bytes())
        for described in summary["outputs"].values():  # (it names its files, which differ here)
            described.pop("path")
        outputs[way] = [out.read_bytes(), (tmp_path / f"{way}.errors.csv").read_bytes(), summary]
    assert outputs["compiled"] == outputs["usual"]
    errors = outputs["compiled"][1].decode()
    assert outputs["compiled"][0].count(b"\n") == 1 + 600 - 600 // bad_every - errors.count("the same applicant")
    assert errors.count("the same applicant") == 3


INTERESTING = [b",", b'"', b"\r", b"\n", b"\xe4\xb8\x87", b"\xef\xbc\x8c", b"\xe5\x85\x83", b"_", b".", b"%", b"1",
               b"0", b"9", b"-", b" ", b"\xe6\x98\xaf", b"GX", b"\xff", b"\xe4", b"2017-06-30"]


@settings(max_examples=examples(300), deadline=None)
@given(pieces=st.lists(st.sampled_from(INTERESTING), max_size=400), crlf=st.booleans())
def test_any_bytes_are_read_or_handed_back_whole_and_every_line_is_accounted_for(pieces: list[bytes],
                                                                                 crlf: bool) -> None:
    block = b"".join(pieces) + b"\n"
    found = Scanner(tuple(COLUMNS), crlf=crlf).read(block, 2)
    if found is None:
        return
    frame, others = found
    lines = block.count(b"\n")
    assert frame.height + len(others) == lines
    assert sorted([*frame["row"].to_list(), *(row for row, _ in others)]) == list(range(2, 2 + lines))
