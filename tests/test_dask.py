"""A partitioned Parquet dataset on a local Dask cluster of two worker processes gives what one pass gives."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from guangxi_subsidy import evaluate_dataset, evaluate_frame, summarise
from guangxi_subsidy.engine.batch.cluster import RepeatsAcrossParts, partitions

distributed = pytest.importorskip("dask.distributed")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from applicants import applicants  # noqa: E402

FILES, ROWS = 4, 1500


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """Two worker processes on localhost, started for these tests and stopped after them."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def _dataset(folder: Path) -> pl.DataFrame:
    """Four files of generated applicants (three row groups each), with a bad money cell, an empty row and an
    applicant listed twice within one file; the whole as one frame, in file order."""
    cells = applicants(FILES * ROWS, seed=13)
    cells = cells.with_columns(pl.when(pl.int_range(pl.len()) == 2000).then(pl.lit("-3"))
                               .otherwise(pl.col("rd_expenses")).alias("rd_expenses"))
    empty = pl.DataFrame({n: [None] for n in cells.columns}, schema=cells.schema)
    whole = pl.concat([cells.slice(0, 3100), empty, cells.slice(3099, 1), cells.slice(3100)])
    folder.mkdir()
    size = -(-whole.height // FILES)
    for number in range(FILES):
        whole.slice(number * size, size).write_parquet(folder / f"part-{number}.parquet", row_group_size=size // 3)
    return whole


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(c).cast(pl.String) for c in frame.columns)


def test_the_cluster_gives_the_rows_decisions_and_totals_of_one_pass(client: object, tmp_path: Path) -> None:
    whole = _dataset(tmp_path / "applicants")
    parts = partitions(tmp_path / "applicants", rows_per_part=600)
    assert len(parts) == 8 and sum(p.rows for p in parts) == whole.height  # two parts a file
    assert [p.first_row for p in parts] == [1 + sum(q.rows for q in parts[:n]) for n in range(len(parts))]
    one = evaluate_frame(whole)
    found = evaluate_dataset(client, tmp_path / "applicants", output=tmp_path / "results", rows_per_part=600)
    assert found.parts == 8 and len(found.outputs) == 8
    assert summarise(found.summary) == summarise(one)  # rows, per benefit, per department, totals: all of it
    assert found.summary.totals() == one.summary.totals()
    assert {int(r) for r in found.rejections["row"]} == {2001, 3101, 3102}  # bad value, empty row, repeat of 3100
    assert found.rejections.equals(one.rejections)
    results = pl.read_parquet(tmp_path / "results").sort("row")
    assert _as_text(results).equals(_as_text(one.results))
    assert results.height + found.rejections["row"].n_unique() == whole.height


def test_an_applicant_in_two_parts_is_refused_not_counted_twice(client: object, tmp_path: Path) -> None:
    folder = tmp_path / "applicants"
    folder.mkdir()
    cells = applicants(400, seed=2)
    cells.slice(0, 200).write_parquet(folder / "a.parquet")
    pl.concat([cells.slice(200), cells.slice(7, 1)]).write_parquet(folder / "b.parquet")
    with pytest.raises(RepeatsAcrossParts, match="rows 8 and 401"):
        evaluate_dataset(client, folder, output=tmp_path / "results")
    assert not list((tmp_path / "results").glob("*.parquet"))
    kept = evaluate_dataset(client, folder, keep_repeats=True)
    assert kept.summary.evaluated == 401
