"""Generated hostile Parquet and Arrow files through `subsidy batch`, and hostile reform files through
`subsidy evaluate --reform` and `subsidy batch --reform`: exit 0 or 2, never a traceback or exit 1; for a batch
that ran, every record in exactly one of the results and the errors (records numbered from 1)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import arrowfiles
import hostile
from harness import clean, shown_bytes

BASE = Path(__file__).resolve().parents[2] / "cases" / "profiles" / "nanning_incubation_base.yaml"


def _rows(path: Path) -> list[int]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [int(row["row"]) for row in csv.DictReader(handle)]


def test_hostile_parquet_and_arrow_files_are_read_or_refused_cleanly(run: Any, tmp_path: Path) -> None:
    tried = ran = 0
    for rng in hostile.runs(seconds=4, most=60, seed_offset=11, least=8):
        data, columns = arrowfiles.table(rng)
        source, how = arrowfiles.write(rng, data, tmp_path)
        shown = f"{columns}, {how}"
        out, summary = tmp_path / "r.csv", tmp_path / "s.json"
        for stale in (out, summary, tmp_path / "r.errors.csv"):
            stale.unlink(missing_ok=True)
        result = run("batch", str(source), "-o", str(out), "--summary", str(summary), "-q")
        clean(result, shown)
        tried += 1
        if result.exit_code == 2:
            assert not out.exists(), shown
            continue
        ran += 1
        counts = json.loads(summary.read_text(encoding="utf-8"))["rows"]
        evaluated, rejected = _rows(out), set(_rows(tmp_path / "r.errors.csv"))
        assert counts["read"] == counts["evaluated"] + counts["rejected"] == data.num_rows, shown
        assert sorted(set(evaluated) | rejected) == list(range(1, data.num_rows + 1)), shown
        assert not set(evaluated) & rejected, shown
        source.unlink()
    hostile.report(tried, ran)
    assert tried >= 8


def test_hostile_reform_files_are_applied_or_refused_cleanly(run: Any, tmp_path: Path) -> None:
    applicants = tmp_path / "a.csv"
    applicants.write_text("id,kind,city,as_of,recognised_incubation_base,rent_and_broadband_paid,utilities_paid\n"
                          "A,incubation_base,南宁,2017-03-01,是,900000,0\nB,incubation_base,南宁,2017-03-01,是,5,7\n",
                          encoding="utf-8")
    tried = 0
    for rng in hostile.runs(seconds=3, most=60, seed_offset=12, least=8):
        data = arrowfiles.reform(rng)
        path = tmp_path / "reform.yaml"
        path.write_bytes(data)
        clean(run("evaluate", str(BASE), "--reform", str(path)), shown_bytes(data))
        result = run("batch", str(applicants), "-o", str(tmp_path / "r.csv"), "--reform", str(path), "-q")
        clean(result, shown_bytes(data))
        if result.exit_code == 0:  # applied: both sides account for both applicants
            reformed = _rows(tmp_path / "r.reform.csv") + _rows(tmp_path / "r.reform.errors.csv")
            assert sorted(set(reformed)) == [2, 3], shown_bytes(data)
        tried += 1
    hostile.report(tried)
    assert tried >= 8
