"""One CSV block, one read: a CSV applicant file is opened once and each of its bytes read once; every reader of a
block (the line count, the compiled reader, polars, the csv module, the cells as written for the errors file)
reads the block in memory. So a file changed on disk while a batch reads it cannot make the errors file show
cells the rows were not read from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from guangxi_subsidy.engine import native
from guangxi_subsidy.engine.batch.evaluator import Evaluator
from guangxi_subsidy.engine.intake.csvsource import CsvSource

HEADER = b"id,kind,city,as_of,rent_subsidy_years_received\n"
# Row 3 says 101 years of rent subsidy received: the profile model allows at most 100, so the row is refused
# and the errors file shows the cell as written. Polars types the column as an integer (a count), so the text
# of the cell is taken from the block again when the row is refused.
ROWS = b"A1,incubation_base,nanning,2020-01-01,1\nA2,incubation_base,nanning,2020-01-01,101\n"
COMPILED = [False, pytest.param(True, marks=pytest.mark.skipif(not native.AVAILABLE, reason="no compiled kernels"))]


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return Evaluator()  # (made once: it plans every rule)


def _errors(source: CsvSource, evaluator: Evaluator, between: Any = None) -> pl.DataFrame:
    """The problems of the rows refused, as `subsidy batch` admits each block; `between` runs after a block is
    read and before it is admitted."""
    found = []
    for chunk in source.chunks():
        if between is not None:
            between()
        found.append(evaluator.admit(chunk.take, source.columns, chunk.as_text, chunk.typed).errors)
    return pl.concat(found)


@pytest.mark.parametrize("compiled", COMPILED)
def test_the_errors_file_shows_the_cell_as_read_though_the_file_changed_after(tmp_path: Path, compiled: bool,
                                                                             evaluator: Evaluator) -> None:
    path = tmp_path / "applicants.csv"
    path.write_bytes(HEADER + ROWS)
    source = CsvSource(path, compiled=compiled)
    try:
        # the same file overwritten in place, same length: 101 becomes 109 after the block is read
        errors = _errors(source, evaluator, lambda: path.write_bytes(HEADER + ROWS.replace(b",101\n", b",109\n")))
    finally:
        source.close()
    refused = errors.filter(pl.col("field") == "rent_subsidy_years_received")
    assert refused.select("row", "id", "value").rows() == [(3, "A2", "101")]


@pytest.mark.parametrize("line_end", [b"\n", b"\r"], ids=["LF", "CR alone"])
def test_a_csv_file_is_opened_once_for_its_header_its_blocks_and_its_cells_as_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line_end: bytes) -> None:
    path = tmp_path / "applicants.csv"
    path.write_bytes((HEADER + ROWS).replace(b"\n", line_end))
    opened: list[str] = []
    real_open = Path.open

    def counted(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            opened.append(str(args[0] if args else kwargs.get("mode", "r")))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counted)
    source = CsvSource(path, block=64)  # blocks of 64 bytes: the header, then a block for each row
    try:
        texts = [chunk.as_text() for chunk in source.chunks()]
    finally:
        source.close()
    assert opened == ["rb"]
    assert pl.concat(texts).get_column("rent_subsidy_years_received").to_list() == ["1", "101"]
