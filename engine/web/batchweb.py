"""Batch evaluation of an uploaded list: `subsidy batch` itself, run in a child process on a temporary folder.

The upload is copied into a fresh temporary directory under a fixed name (the client's file name is never used
as a path), `subsidy batch` runs on it there with its results, rejected rows and summary beside it, and the
folder is removed whatever happens, so nothing outlives the request. Running the command itself keeps every
guarantee of a batch run (each row in the results or the errors file, read = evaluated + rejected, repeats
refused) without a second implementation; the child process is also what makes the deadline enforceable: it is
killed when it overruns, and its memory is given back when it ends. The results come back in the response (as
downloads embedded in the summary page, or as a zip from the API): the server keeps no copy.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guangxi_subsidy.engine.jsontext import json_bytes

SUFFIXES = (".csv", ".xlsx")
BATCH_TIMEOUT = 240.0
RUNNER = "from guangxi_subsidy.cli.main import main; main()"


class BatchRefused(Exception):
    """The upload cannot be evaluated: the reason names what was wrong, for a 4xx answer."""

    def __init__(self, status: int, field: str, value: str, expected: str):
        super().__init__(f"{field}: got {value} — {expected}")
        self.status, self.field, self.value, self.expected = status, field, value, expected


@dataclass
class BatchOutput:
    summary: dict[str, Any]
    results_csv: bytes
    results_xlsx: bytes
    errors_csv: bytes
    rejected: list[dict[str, str]]


def suffix_of(filename: str | None, content: bytes) -> str:
    """.xlsx for a workbook (by its zip signature or its name), .csv otherwise when the name says so."""
    name = (filename or "").lower()
    if content[:2] == b"PK" and not name.endswith(".csv"):
        return ".xlsx"
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise BatchRefused(415, "applicants", repr((filename or "")[:80]), "a .csv or .xlsx file")


def run_batch(content: bytes, filename: str | None, as_of: str | None, include_drafts: bool,
              rules: tuple[Path, ...] = (), timeout: float = BATCH_TIMEOUT, reform: bytes | None = None) -> BatchOutput:
    """`subsidy batch` on an uploaded list; with `reform` (a reform file's YAML), as `--reform` does: the
    summary then holds the scenario (baseline against the reform) that the page charts."""
    if not content:
        raise BatchRefused(400, "applicants", "an empty file", "a CSV or .xlsx applicant list")
    suffix = suffix_of(filename, content)
    with tempfile.TemporaryDirectory(prefix="subsidy-batch-") as folder:
        work = Path(folder)
        source = work / ("applicants" + suffix)
        source.write_bytes(content)
        results, errors, summary = work / "results.csv", work / "errors.csv", work / "summary.json"
        command = [sys.executable, "-c", RUNNER]
        for path in rules:
            command += ["--rules", str(path)]
        command += ["batch", str(source), "-o", str(results), "--errors", str(errors), "--summary", str(summary),
                    "--quiet"]
        if as_of:
            command += ["--as-of", as_of]
        if include_drafts:
            command.append("--include-drafts")
        if reform:
            (work / "reform.yaml").write_bytes(reform)
            command += ["--reform", str(work / "reform.yaml")]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, cwd=work, check=False)
        except subprocess.TimeoutExpired:
            raise BatchRefused(413, "applicants", "a list too long to evaluate here",
                               f"a list evaluated within {timeout:g} s (use `subsidy batch`)") from None
        if done.returncode == 2:
            message = done.stderr.decode("utf-8", "replace").strip().replace(str(work) + "/", "")
            field = "reform" if reform and "reform.yaml" in message else "applicants"
            raise BatchRefused(422, field, "the file", _last_lines(message))
        if done.returncode != 0:
            raise RuntimeError("batch run failed: " + done.stderr.decode("utf-8", "replace")[-400:])
        results_csv, errors_csv = results.read_bytes(), errors.read_bytes()
        data = json.loads(summary.read_text(encoding="utf-8"))
    data["input"] = "applicants" + suffix
    rejected = list(csv.DictReader(io.StringIO(errors_csv.decode("utf-8-sig"))))
    return BatchOutput(data, results_csv, workbook(results_csv, errors_csv), errors_csv, rejected)


def _last_lines(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    return " ".join(lines[-6:])[:600] or "a readable applicant list"


def workbook(results_csv: bytes, errors_csv: bytes) -> bytes:
    """The results and the rejected rows as one workbook, every cell as text (exact, and never a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for title, data in (("results", results_csv), ("rejected", errors_csv)):
        sheet = book.create_sheet(title)
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
            cells = []
            for text in row:
                cell = WriteOnlyCell(sheet, value=text)
                cell.data_type = "s"  # a cell starting with '=' stays text
                cells.append(cell)
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def archive(output: BatchOutput) -> bytes:
    """Results, workbook, rejected rows and summary in one zip, for the API."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("results.csv", output.results_csv)
        zf.writestr("results.xlsx", output.results_xlsx)
        zf.writestr("errors.csv", output.errors_csv)
        zf.writestr("summary.json", json_bytes(output.summary))
    return out.getvalue()
