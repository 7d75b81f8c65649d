"""Parquet and Arrow files the readers cannot take whole: read exactly (a 256-bit decimal column), or refused with
exit 2 naming the file and the column (a list column, a damaged page, a Rust panic in a reader), never exit 1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from guangxi_subsidy import evaluate_frame
from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.batch.cluster import Part, Settings, evaluate_part, partitions
from guangxi_subsidy.engine.intake.arrowsource import ArrowSource
from guangxi_subsidy.engine.intake.csvsource import FileError

RENT = "nanning.incubation_base_rent_subsidy"


def _bases(rent: pa.Array, **more: pa.Array) -> pa.Table:
    n = len(rent)
    return pa.table({"id": [f"B{i}" for i in range(n)], "kind": ["incubation_base"] * n, "city": ["南宁"] * n,
                     "as_of": [dt.date(2017, 3, 1)] * n, "recognised_incubation_base": [True] * n,
                     "rent_subsidy_years_received": [0] * n, "rent_and_broadband_paid": rent, **more})


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "300", "SUBSIDY_LANG": "en"})
    return result.exit_code, " ".join((result.output + (result.stderr or "")).split())


@pytest.mark.parametrize("kind", [pa.decimal256(40, 2), pa.decimal256(20, 2), pa.decimal256(76, 4)])
def test_a_decimal256_money_column_is_read_exactly(kind: pa.DataType, tmp_path: Path) -> None:
    # 900,000.00 × 70% = 630,000.00, over the cap: 550,000.00; 1,000.01 × 70% = 700.007 → 700.01 (half up).
    table = _bases(pa.array([Decimal("900000.00"), Decimal("1000.01")], kind))
    outcome = evaluate_frame(table)
    rent = outcome.benefits.filter(outcome.benefits["rule_id"] == RENT)["value"].to_list()
    assert rent == [Decimal("550000.00"), Decimal("700.01")]
    pq.write_table(table, tmp_path / "d.parquet")
    code, out = run("batch", str(tmp_path / "d.parquet"), "-o", str(tmp_path / "r.csv"), "-q")
    assert code == 0, out


def test_an_unused_list_column_is_refused_naming_it(tmp_path: Path) -> None:
    pq.write_table(_bases(pa.array([1, 2]), notes=pa.array([[1, 2], [3]])), tmp_path / "l.parquet")
    code, out = run("batch", str(tmp_path / "l.parquet"), "-o", str(tmp_path / "r.csv"))
    assert code == 2 and "column 'notes' holds list" in out and "l.parquet" in out


def _damaged(tmp_path: Path) -> Path:
    n = 20_000
    pq.write_table(_bases(pa.array(range(n)), note=pa.array([f"note {i}" for i in range(n)])),
                   tmp_path / "good.parquet", compression="none")
    data = bytearray((tmp_path / "good.parquet").read_bytes())
    for i in range(2000, len(data) // 2, 7):  # the pages' bytes, not the footer: the file opens, its pages do not
        data[i] ^= 0xFF
    (tmp_path / "damaged.parquet").write_bytes(bytes(data))
    return tmp_path / "damaged.parquet"


def test_a_damaged_page_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = _damaged(tmp_path)
    code, out = run("batch", str(path), "-o", str(tmp_path / "r.csv"))
    assert code == 2 and f"{path}: cannot be read after row" in out and "internal error" not in out
    assert not (tmp_path / "r.csv").exists()


def test_a_dask_part_that_cannot_be_read_names_its_file(tmp_path: Path) -> None:
    path = _damaged(tmp_path)
    with pytest.raises(FileError, match=str(path)):
        evaluate_part(Part(0, str(path), (0,), 1, 20_000), Settings())
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match="junk.parquet: not a readable Parquet file"):
        partitions(tmp_path / "junk.parquet")


class PanicException(BaseException):
    """What pyo3 raises for a Rust panic: a BaseException, which `except Exception` lets through."""


def test_a_panic_while_reading_is_a_file_error_naming_the_file() -> None:
    table = _bases(pa.array([1]))

    def batches() -> Iterator[pa.RecordBatch]:
        raise PanicException("operator does not support primitive `Int256`")
        yield  # (a generator)

    source = ArrowSource(table.schema, batches, 1, name="registry.parquet")
    with pytest.raises(FileError, match="registry.parquet: cannot be read.*PanicException"):
        list(source.chunks())


def test_an_interrupt_while_reading_is_not_taken_for_a_damaged_file() -> None:
    table = _bases(pa.array([1]))

    def batches() -> Iterator[pa.RecordBatch]:
        raise KeyboardInterrupt
        yield

    with pytest.raises(KeyboardInterrupt):
        list(ArrowSource(table.schema, batches, 1).chunks())


def test_ids_written_as_timestamps_repeated_across_row_groups_are_rejected_as_repeats(tmp_path: Path) -> None:
    """Found by the fuzz suite: the repeats' messages were formatted over a frame of several chunks (one a row
    group), on which polars panicked."""
    moments = [dt.datetime(2017, 3, 1), dt.datetime(2200, 1, 1), dt.datetime(2017, 3, 1, 10, 30),
               dt.datetime(2017, 3, 1, 10, 30), dt.datetime(2200, 1, 1), dt.datetime(1970, 1, 1)]
    table = pa.table({"id": pa.array(moments, pa.timestamp("us")), "kind": ["enterprise"] * 6, "city": ["南宁"] * 6,
                      "as_of": [dt.date(2017, 3, 1)] * 6})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=2)
    code, out = run("batch", str(tmp_path / "t.parquet"), "-o", str(tmp_path / "r.csv"), "-q")
    assert code == 0, out
    errors = (tmp_path / "r.errors.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    assert [line.split(",")[0] for line in errors] == ["4", "5"]  # rows 4 and 5 repeat rows 3 and 2
