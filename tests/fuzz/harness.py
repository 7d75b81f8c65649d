"""Running the CLI in this process on one input, and the promises every run must keep, whatever the input:
exit 0 or 2 (never 1, the internal error), no traceback, and for a batch every row accounted for exactly once.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from click.testing import Result


def clean(result: Result, shown: Any) -> None:
    """Exit 0 or 2, and neither a traceback nor an internal error printed."""
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    detail = f"input: {shown!r:.600}\noutput: {text[-1500:]}\nexception: {result.exception!r}"
    assert result.exit_code in (0, 2), detail
    assert "Traceback" not in text and "internal error" not in text, detail
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), detail


def accounted(result: Result, output: Path, summary: Path, shown: Any) -> tuple[list[int], set[int]]:
    """For a batch that ran: rows read = evaluated + rejected, and every row number from 2 on in exactly one of
    the results file and the errors file. Returns the rows evaluated and the rows rejected."""
    data = json.loads(summary.read_text(encoding="utf-8"))["rows"]
    with output.open(encoding="utf-8-sig", newline="") as handle:
        evaluated = [int(row["row"]) for row in csv.DictReader(handle)]
    errors_path = output.with_name(output.stem + ".errors.csv")
    with errors_path.open(encoding="utf-8-sig", newline="") as handle:
        rejected = {int(row["row"]) for row in csv.DictReader(handle)}
    detail = f"input: {shown!r:.600}\nsummary: {data}\nrejected: {sorted(rejected)}\nevaluated: {evaluated}"
    assert data["read"] == data["evaluated"] + data["rejected"], detail
    assert len(evaluated) == len(set(evaluated)) == data["evaluated"], detail
    assert len(rejected) == data["rejected"], detail
    assert not set(evaluated) & rejected, detail
    first = 2
    assert set(evaluated) | rejected == set(range(first, first + data["read"])), detail
    return evaluated, rejected


def batch(run: Any, source: Path, engine: str, shown: Any) -> tuple[list[int], set[int], bytes] | None:
    """One batch run with every check; None when the file was refused as a whole (exit 2, no outputs)."""
    output = source.with_name(f"{source.stem}.{engine}.csv")
    summary = source.with_name(f"{source.stem}.{engine}.json")
    for stale in (output, summary, output.with_name(output.stem + ".errors.csv")):
        stale.unlink(missing_ok=True)
    result = run("batch", str(source), "-o", str(output), "--summary", str(summary), "--quiet", "--engine", engine,
                 "--as-of", "2017-06-30")
    clean(result, shown)
    if result.exit_code == 2:
        assert not output.exists() and not summary.exists(), f"outputs left by a refused run: {shown!r:.300}"
        return None
    evaluated, rejected = accounted(result, output, summary, shown)
    return evaluated, rejected, output.read_bytes()


def shown_bytes(data: bytes) -> str:
    text = data.decode("utf-8", errors="backslashreplace")
    return text if len(text) < 600 else text[:600] + "…"


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))
