"""Generated hostile applicant files, CSV and workbooks, through `subsidy batch` in both engines: exit 0 or 2,
no traceback, every row read once and found in exactly one of the results and the errors, and both engines
agreeing on which rows those are and on the results file, byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hostile
from harness import batch, shown_bytes


def _both(run: Any, source: Path, shown: Any) -> bool:
    columnar = batch(run, source, "columnar", shown)
    reference = batch(run, source, "reference", shown)
    assert (columnar is None) == (reference is None), shown
    if columnar is None or reference is None:
        return False
    assert columnar[0] == reference[0] and columnar[1] == reference[1], shown
    assert columnar[2] == reference[2], shown
    return True


def test_hostile_csv_files_lose_no_row_in_either_engine(run: Any, tmp_path: Path) -> None:
    tried = ran = 0
    for rng in hostile.runs(seconds=8, most=25, seed_offset=4, least=3):
        data = hostile.csv_file(rng, rng.choice([1, 3, 8, 20]))
        source = tmp_path / "applicants.csv"
        source.write_bytes(data)
        ran += _both(run, source, shown_bytes(data))
        tried += 1
    hostile.report(tried, ran)
    assert tried >= 3 and ran >= 1


def test_hostile_workbooks_lose_no_row_in_either_engine(run: Any, tmp_path: Path) -> None:
    tried = ran = 0
    for rng in hostile.runs(seconds=7, most=20, seed_offset=5, least=3):
        source = hostile.workbook_file(rng, tmp_path / "applicants.xlsx", rng.choice([1, 3, 8, 15]))
        ran += _both(run, source, f"workbook seed {rng.random()}")
        tried += 1
    hostile.report(tried, ran)
    assert tried >= 3 and ran >= 1
