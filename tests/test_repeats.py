"""An applicant listed twice for the same date counts once: the later rows are rejected, naming the first."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from test_batch_files import run, write_csv

from guangxi_subsidy.engine.intake.repeats import Repeats
from guangxi_subsidy.engine.intake.seen import SeenTable

# A recognised Nanning incubation base: 70% of rent and broadband, at most 550,000 yuan a year (seeds/001).
BASE = {"kind": "incubation_base", "city": "南宁", "recognised_incubation_base": "是",
        "rent_subsidy_years_received": "0"}


def _batch(tmp_path: Path, rows: list[dict[str, str]], *more: str) -> tuple[dict, pl.DataFrame, pl.DataFrame]:
    source, out = tmp_path / "list.csv", tmp_path / "results.csv"
    write_csv(source, rows)
    code, _, err = run("batch", str(source), "-o", str(out), "--summary", str(tmp_path / "s.json"), "-q", *more)
    assert code == 0, err
    results = pl.read_csv(out, infer_schema=False)
    errors = pl.read_csv(tmp_path / "results.errors.csv", infer_schema=False)
    return json.loads((tmp_path / "s.json").read_text(encoding="utf-8")), results, errors


def test_a_repeated_applicant_is_rejected_naming_the_row_it_repeats_and_counted_once(tmp_path: Path) -> None:
    rows = [
        {"id": "NN-BASE-001", **BASE, "rent_and_broadband_paid": "900000"},  # row 2: 630,000 capped to 550,000
        {"id": "NN-BASE-002", **BASE, "rent_and_broadband_paid": "600000"},  # row 3: 70% = 420,000
        {"id": "NN-BASE-001", **BASE, "rent_and_broadband_paid": "900000"},  # row 4: the same base again
    ]
    summary, results, errors = _batch(tmp_path, rows, "--as-of", "2017-06-30")
    assert summary["rows"] == {"read": 3, "evaluated": 2, "rejected": 1, "repeated": 1}
    assert summary["totals"]["grants"] == "970000.00"  # 550,000 + 420,000
    assert results["row"].to_list() == ["2", "3"]
    assert errors.select("row", "column", "value").rows() == [("4", "id", "NN-BASE-001")]
    assert "row 2" in errors["reason"][0] and "2017-06-30" in errors["reason"][0]


def test_keep_repeats_evaluates_every_row(tmp_path: Path) -> None:
    rows = [{"id": "NN-BASE-001", **BASE, "rent_and_broadband_paid": "900000"}] * 2
    summary, results, _ = _batch(tmp_path, rows, "--as-of", "2017-06-30", "--keep-repeats")
    assert summary["rows"] == {"read": 2, "evaluated": 2, "rejected": 0, "repeated": 0}
    assert summary["totals"]["grants"] == "1100000.00"  # 550,000 twice
    assert results.height == 2


def test_the_same_applicant_for_two_dates_is_not_a_repeat(tmp_path: Path) -> None:
    rows = [
        {"id": "NN-BASE-001", **BASE, "rent_and_broadband_paid": "900000", "as_of": "2017-06-30"},
        {"id": "NN-BASE-001", **BASE, "rent_and_broadband_paid": "900000", "as_of": "2018-06-30"},
    ]
    summary, results, errors = _batch(tmp_path, rows)
    assert summary["rows"] == {"read": 2, "evaluated": 2, "rejected": 0, "repeated": 0}
    assert errors.height == 0 and results.height == 2


def test_a_chinese_header_names_the_id_column_in_the_reason_row(tmp_path: Path) -> None:
    source, out = tmp_path / "list.csv", tmp_path / "results.csv"
    source.write_text("申请人编号,申请人类型,所在城市\nA-1,企业,南宁\nA-1,企业,南宁\n", encoding="utf-8")
    code, _, err = run("batch", str(source), "-o", str(out), "-q")
    assert code == 0, err
    errors = pl.read_csv(tmp_path / "results.errors.csv", infer_schema=False)
    assert errors.select("row", "column", "field").rows() == [("3", "申请人编号", "id")]


@pytest.mark.parametrize("compiled", [False, True])
def test_repeats_are_found_across_blocks_and_within_one(compiled: bool) -> None:
    day = dt.date(2017, 6, 30)
    repeats = Repeats(pl.lit(day, dtype=pl.Date), compiled=compiled)
    first = pl.DataFrame({"row": [2, 3], "id": ["A", "B"]})
    keep, problems = repeats.sift(first)
    assert keep.to_list() == [True, True] and problems.height == 0
    second = pl.DataFrame({"row": [4, 5, 6, 7], "id": ["B", "C", "C", "D"]})
    keep, problems = repeats.sift(second)
    assert keep.to_list() == [False, True, False, True]
    assert problems["row"].to_list() == [4, 6]
    assert ["row 3" in r for r in problems["reason"]] == [True, False]
    assert ["row 5" in r for r in problems["reason"]] == [False, True]
    keep, _ = repeats.sift(pl.DataFrame({"row": [8], "id": ["C"]}))  # C was kept from row 5
    assert keep.to_list() == [False]


def test_both_engines_reject_the_same_repeats_and_write_the_same_files(tmp_path: Path) -> None:
    rows = [{"id": f"NN-BASE-{i % 3}", **BASE, "rent_and_broadband_paid": f"{100000 * (i + 1)}"} for i in range(7)]
    source = tmp_path / "list.csv"
    write_csv(source, rows)
    outputs = {}
    for engine in ("columnar", "reference"):
        out = tmp_path / f"{engine}.csv"
        code, _, err = run("batch", str(source), "-o", str(out), "--as-of", "2017-06-30", "-q", "--engine", engine)
        assert code == 0, err
        outputs[engine] = (out.read_bytes(), (tmp_path / f"{engine}.errors.csv").read_bytes())
    assert outputs["columnar"] == outputs["reference"]
    errors = pl.read_csv(tmp_path / "columnar.errors.csv", infer_schema=False)
    assert errors["row"].to_list() == ["5", "6", "7", "8"]  # rows 2–4 are the first of NN-BASE-0, 1 and 2


def test_the_compiled_table_finds_the_repeats_the_frame_probe_finds() -> None:
    rng = random.Random(4)
    day = pl.col("as_of").fill_null(pl.lit(dt.date(2020, 1, 1)))
    usual, compiled = Repeats(day), Repeats(day, compiled=True)
    row = 2
    for _ in range(30):
        size = rng.randint(0, 400)
        block = pl.DataFrame({
            "row": list(range(row, row + size)),
            "id": [f"ID{rng.randint(0, 3000)}" for _ in range(size)],
            "as_of": [rng.choice([None, dt.date(2017, 6, 30), dt.date(2018, 1, 1)]) for _ in range(size)],
        }, schema={"row": pl.Int64, "id": pl.String, "as_of": pl.Date})
        row += size
        keep, problems = usual.sift(block)
        keep_compiled, problems_compiled = compiled.sift(block)
        assert keep.to_list() == keep_compiled.to_list()
        assert problems.equals(problems_compiled)
    assert usual.repeated == compiled.repeated > 1000


def test_the_seen_table_keeps_first_rows_as_it_grows() -> None:
    table = SeenTable(expected=4)
    keys = np.array([5, 9, 5, 2**64 - 1, 13, 9, 0, 0, 21, 2**63, *range(100, 120)], dtype=np.uint64)
    rows = np.arange(2, 32, dtype=np.uint32)
    assert table.first(keys[:3], rows[:3]).tolist() == [2, 3, 2]
    assert table.first(keys[3:10], rows[3:10]).tolist() == [5, 6, 3, 8, 8, 10, 11]
    assert table.first(keys[10:], rows[10:]).tolist() == list(range(12, 32))  # past its first size
    assert table.first(keys[:10], rows[:10] + 100).tolist() == [2, 3, 2, 5, 6, 3, 8, 8, 10, 11]
    assert len(table.keys) > 16 and table.size == 27
