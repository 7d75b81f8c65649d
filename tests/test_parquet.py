"""`subsidy batch` on Parquet and Arrow files: every row kept, typed columns read as they are, exact amounts out."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.intake.arrowsource import ArrowSource

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from applicants import applicants  # noqa: E402

ROWS = 3000


def _cells() -> pl.DataFrame:
    """Generated applicants as text, with a bad money cell on row 5, an empty row 9 and row 12 repeating row 1."""
    cells = applicants(ROWS, seed=5)
    cells = cells.with_columns(pl.when(pl.int_range(pl.len()) == 4).then(pl.lit("lots"))
                               .otherwise(pl.col("rent_and_broadband_paid")).alias("rent_and_broadband_paid"))
    empty = pl.DataFrame({n: [None] for n in cells.columns}, schema=cells.schema)
    repeat = cells.slice(0, 1)
    return pl.concat([cells.slice(0, 8), empty, cells.slice(8, 2), repeat, cells.slice(10)])


def _batch(*args: str) -> None:
    result = CliRunner().invoke(cli, ["batch", *args, "-q"])
    assert result.exit_code == 0, result.output


def test_a_parquet_file_keeps_every_row_and_matches_the_csv_run(tmp_path: Path) -> None:
    cells = _cells()
    cells.write_parquet(tmp_path / "in.parquet", row_group_size=700)
    cells.write_csv(tmp_path / "in.csv")
    _batch(str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out.parquet"))
    _batch(str(tmp_path / "in.csv"), "-o", str(tmp_path / "csv_out.csv"))
    table = pq.read_table(tmp_path / "out.parquet")
    errors = pl.read_csv(tmp_path / "out.errors.csv", infer_schema=False)
    rows = set(table.column("row").to_pylist()) | {int(r) for r in errors["row"]}
    assert rows == set(range(1, cells.height + 1))  # the record index, from 1
    assert table.num_rows + errors["row"].n_unique() == cells.height
    assert {int(r) for r in errors["row"]} == {5, 9, 12}
    assert not any(pa.types.is_floating(t) for t in table.schema.types)
    assert table.schema.field("grants").type == pa.decimal128(38, 2)
    # The same cells as the CSV run, whose rows are numbered from 2 (its header is row 1).
    ours = pl.from_arrow(table)
    assert isinstance(ours, pl.DataFrame)
    ours = ours.select(pl.col(c).cast(pl.String) for c in ours.columns)
    theirs = pl.read_csv(tmp_path / "csv_out.csv", infer_schema=False)
    theirs = theirs.with_columns((pl.col("row").cast(pl.Int64) - 1).cast(pl.String))
    assert ours.equals(theirs)


def test_typed_parquet_columns_give_the_results_of_the_same_values_as_text(tmp_path: Path) -> None:
    cells = applicants(ROWS, seed=9)
    money = [n for n in ("rent_and_broadband_paid", "rd_expenses", "annual_revenue") if n in cells.columns]
    # plain money text (no 万 or separators) read into decimal128(18, 2): the same values, typed
    plain = pl.all_horizontal(pl.col(n).is_null() | pl.col(n).str.contains(r"^[0-9]+(\.[0-9]{1,2})?$") for n in money)
    cells = cells.filter(plain)
    typed = cells.with_columns([pl.col(n).cast(pl.Decimal(18, 2)) for n in money]
                               + [pl.col("as_of").str.to_date()])
    cells.write_parquet(tmp_path / "text.parquet")
    typed.write_parquet(tmp_path / "typed.parquet")
    _batch(str(tmp_path / "text.parquet"), "-o", str(tmp_path / "text.out.parquet"))
    _batch(str(tmp_path / "typed.parquet"), "-o", str(tmp_path / "typed.out.parquet"))
    assert pq.read_table(tmp_path / "typed.out.parquet").equals(pq.read_table(tmp_path / "text.out.parquet"))


def test_an_arrow_file_in_and_out_in_the_long_layout(tmp_path: Path) -> None:
    table = pa.table({"id": ["A", "B"], "kind": ["incubation_base", "enterprise"], "city": ["南宁", "柳州"],
                      "as_of": ["2017-03-01", "2017-03-01"], "recognised_incubation_base": [True, None],
                      "rent_and_broadband_paid": pa.array([900000, None], pa.int64()),
                      "rent_subsidy_years_received": [0, None]})
    with ipc.new_file(tmp_path / "in.arrow", table.schema) as writer:
        writer.write_table(table)
    _batch(str(tmp_path / "in.arrow"), "-o", str(tmp_path / "out.arrow"), "--layout", "long")
    out = ipc.open_file(tmp_path / "out.arrow").read_all().to_pylist()
    # 002 三(四)18: 70% of 900,000 is 630,000, capped at 550,000.
    assert [(r["row"], r["rule_id"], r["value"]) for r in out] == [
        (1, "nanning.incubation_base_rent_subsidy", Decimal("550000.00"))]


def test_a_parquet_file_is_read_a_row_group_batch_at_a_time(tmp_path: Path) -> None:
    applicants(2000, seed=3).write_parquet(tmp_path / "in.parquet", row_group_size=300)
    source = ArrowSource.open(tmp_path / "in.parquet", rows_per_chunk=256)
    sizes = [chunk.rows for chunk in source.chunks()]
    assert sum(sizes) == 2000 and max(sizes) <= 256


def test_a_parquet_column_of_lists_refuses_the_file_naming_it(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": ["A"], "kind": ["enterprise"], "city": ["南宁"], "name": [["x", "y"]]}),
                   tmp_path / "in.parquet")
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "o.parquet")])
    assert result.exit_code == 2
    assert "column 'name' holds list" in result.output


@pytest.mark.parametrize("name", ["broken.parquet", "broken.arrow"])
def test_a_file_that_is_not_parquet_or_arrow_is_bad_input(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"id,kind,city\n")
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / name), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 2, result.output


def test_a_parquet_column_that_names_no_field_is_carried_to_the_results(tmp_path: Path) -> None:
    pl.DataFrame({"序号": ["7", "8"], "id": ["A", "B"], "kind": ["incubation_base", "enterprise"],
                  "city": ["南宁", "南宁"], "as_of": ["2017-03-01"] * 2, "recognised_incubation_base": ["是", None],
                  "rent_and_broadband_paid": ["900000", None], "rent_subsidy_years_received": ["0", None],
                  "备注": ["首批", None]}).write_parquet(tmp_path / "in.parquet")
    _batch(str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out.csv"))
    out = pl.read_csv(tmp_path / "out.csv", infer_schema=False)
    assert out.columns[-2:] == ["序号", "备注"]
    assert out.select("id", "序号", "备注").rows() == [("A", "7", "首批"), ("B", "8", None)]
    # 002 三(四)18: 70% of 900,000 is 630,000, capped at 550,000 a year
    assert out["nanning.incubation_base_rent_subsidy"].to_list()[0] == "550000.00"
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "s.csv"), "-q",
                                      "--strict-columns"])
    assert result.exit_code == 2 and "序号" in result.output
