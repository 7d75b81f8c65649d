"""The results workbook's rows set aside on disk during the run (engine/batch/writers/spill.py): read back in the
order a stable sort of the whole gives, in the same blocks as slicing the whole, and the private folder removed
when the workbook is written, when writing it fails, and when its owner is dropped without writing."""

from __future__ import annotations

import gc
import sys
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from guangxi_subsidy.engine.batch import workbook
from guangxi_subsidy.engine.batch.run import BatchOptions, run_batch
from guangxi_subsidy.engine.batch.writers.spill import InStep, Spill

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import applicants as generated  # noqa: E402  (benchmarks/applicants.py: a list shaped like a real one)


def frame(rows: list[int], tags: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"row": rows, "tag": tags}, schema={"row": pl.Int64, "tag": pl.String})


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_batches_in_file_order_come_back_in_blocks_as_the_whole_sliced(private_tmp: Path) -> None:
    spill = Spill()
    pieces = [frame([3, 1, 2], ["c", "a", "b"]), frame([4, 4, 6], ["d1", "d2", "f"]), frame([7], ["g"])]
    for piece in pieces:
        spill.add("x", piece)
    whole = pl.concat(pieces).sort("row", maintain_order=True)
    blocks = list(spill.blocks("x", 4))
    assert [b.height for b in blocks] == [4, 3]  # 7 rows in blocks of 4: 4, then the 3 left
    assert pl.concat(blocks).equals(whole)
    assert spill.rows("x") == 7 and "x" in spill and "y" not in spill
    assert list(spill.blocks("y", 4)) == []


def test_a_batch_that_starts_before_the_last_ended_is_sorted_with_the_whole(private_tmp: Path) -> None:
    spill = Spill()
    pieces = [frame([5, 9], ["e", "i"]), frame([2, 9], ["b", "i2"])]  # (9 twice: the first one stays first)
    for piece in pieces:
        spill.add("x", piece)
    back = pl.concat(list(spill.frames("x")))
    assert back.get_column("row").to_list() == [2, 5, 9, 9]
    assert back.get_column("tag").to_list() == ["b", "e", "i", "i2"]


def test_lines_are_taken_in_step_with_the_blocks_each_once() -> None:
    step = InStep(iter([frame([1, 1, 3], list("abc")), frame([4, 8], list("de"))]))
    first = step.upto(1)
    assert first is not None and first.get_column("tag").to_list() == ["a", "b"]
    second = step.upto(5)  # across the two frames
    assert second is not None and second.get_column("tag").to_list() == ["c", "d"]
    third = step.upto(20)
    assert third is not None and third.get_column("tag").to_list() == ["e"]
    assert step.upto(30) is None
    assert InStep(iter([])).upto(1) is None


def test_the_folder_goes_when_its_owner_does(private_tmp: Path) -> None:
    spill = Spill()
    spill.add("x", frame([1], ["a"]))
    folder = spill.folder
    assert folder.parent == private_tmp and any(folder.iterdir())
    del spill
    gc.collect()
    assert not folder.exists()


@pytest.fixture(scope="module")
def applicants_csv(tmp_path_factory: pytest.TempPathFactory, pack: Any) -> Path:
    path = tmp_path_factory.mktemp("spill") / "applicants.csv"
    generated.applicants(60, seed=5, pack=pack).write_csv(path)
    return path


def test_a_written_workbook_leaves_no_folder_behind(private_tmp: Path, applicants_csv: Path, pack: Any) -> None:
    out = private_tmp.parent / "r.xlsx"
    run_batch(pack, applicants_csv, BatchOptions(out))
    assert out.stat().st_size > 0
    assert list(private_tmp.iterdir()) == []


def test_a_workbook_that_fails_to_write_leaves_no_folder_behind(private_tmp: Path, applicants_csv: Path, pack: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(workbook, "splice", broken)
    out = private_tmp.parent / "r.xlsx"
    with pytest.raises(Exception, match="disk full"):
        run_batch(pack, applicants_csv, BatchOptions(out))
    assert not out.exists()
    assert list(private_tmp.iterdir()) == []
