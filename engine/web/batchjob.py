"""What a web batch job does, in its own process: the batch engine's `run_batch` on the uploaded list.

The same call `subsidy batch` makes, with the same guarantees (each row in the results or the errors file, read
= evaluated + rejected, repeats refused, outputs published only when complete) and the same speed. One run: it
writes the results (CSV), the rejected rows and the summary, and the job's page shows them as soon as it ends;
it also gathers the rows of the results workbook for people, which is written next (`BatchRun.write_workbook`),
while the page already offers the CSV. A list longer than a sheet can hold gets no workbook, nor does a run
beside a reform, and the page says so. Progress (bytes read of the upload) goes to the job's status file.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from guangxi_subsidy.engine.web.jobs import finish, read_status, write_status

SHEET_ROWS = 1_048_575  # rows a worksheet holds below its header
EVERY = 0.5  # seconds between two writes of the status file


class _Progress:
    """Tells the job's status file how far the run has read, at most every EVERY seconds."""

    def __init__(self, folder: Path, phase: str, base: dict[str, Any]):
        self.folder, self.phase, self.base = folder, phase, base
        self.last = 0.0

    @contextmanager
    def __call__(self, size: int) -> Iterator[Any]:
        def advance(position: int, rows: int) -> None:
            now = time.monotonic()
            if now - self.last >= EVERY:
                self.last = now
                write_status(self.folder, **{**self.base, "state": self.phase, "done": min(position, size),
                                             "total": size, "rows": rows})

        yield advance


def work(where: str) -> None:
    """The job in `where`: run the batch, then the workbook; the status file says each step and the end."""
    folder = Path(where)
    try:
        _work(folder)
    except Exception as error:  # noqa: BLE001 - whatever happens, the job's page must say it ended
        finish(folder, "failed", status=500, error=f"评估未能完成：{type(error).__name__}")
        raise


def _work(folder: Path) -> None:
    from guangxi_subsidy.engine.batch.run import BatchInputError, BatchOptions, run_batch
    from guangxi_subsidy.engine.batch.sinks import OutputError
    from guangxi_subsidy.engine.rules.pack import RulePackError, load_pack

    params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
    base = {key: value for key, value in read_status(folder).items() if key != "state"}
    source = folder / params["input"]
    as_of = dt.date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    drafts = bool(params.get("include_drafts"))
    pack = load_pack([Path(p) for p in params.get("rules", [])] or None)
    try:
        second = _reform(folder / "reform.yaml", pack, as_of, drafts) if params.get("reform") else None
    except (RulePackError, ValueError, OSError) as error:
        finish(folder, "refused", status=422, field="reform", error=_relative(str(error), folder))
        return
    write_status(folder, **{**base, "state": "running", "done": 0, "total": source.stat().st_size})
    results, errors, summary = folder / "results.csv", folder / "errors.csv", folder / "summary.json"
    options = BatchOptions(results, None, None, as_of, drafts, errors, summary, second=second,
                           workbook=folder / "results.xlsx" if second is None else None)
    try:
        run = run_batch(pack, source, options, _Progress(folder, "running", base))
    except (BatchInputError, OutputError) as error:
        finish(folder, "refused", status=422, field="applicants", error=_relative(str(error), folder))
        return
    files = {"results.csv": "text/csv", "errors.csv": "text/csv", "summary.json": "application/json"}
    if second is not None:
        files.update({"results.reform.csv": "text/csv", "results.difference.csv": "text/csv"})
    evaluated = run.summary.evaluated
    base = {**base, "files": files, "rows": run.summary.rows_read, "seconds_results": _since(base)}
    if second is not None or evaluated > SHEET_ROWS:
        run.drop_workbook()
        finish(folder, "done", **{**base, "workbook": None, "seconds": base["seconds_results"]})
        return
    size = source.stat().st_size
    write_status(folder, **{**base, "state": "workbook", "done": size, "total": size})
    run.write_workbook()
    files["results.xlsx"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    finish(folder, "done", **{**base, "files": files, "workbook": "results.xlsx", "seconds": _since(base)})


def _since(status: dict[str, Any]) -> float:
    return round(time.time() - float(status.get("created", time.time())), 2)


def _relative(message: str, folder: Path) -> str:
    """An error message without the job folder's path (the client never chose it, and need not know it)."""
    return message.replace(str(folder) + "/", "").strip()[-600:]


def _reform(path: Path, pack: Any, as_of: dt.date | None, drafts: bool) -> Any:
    """The reform's side of the batch, as `subsidy batch --reform` builds it."""
    from guangxi_subsidy.engine.batch.evaluator import Evaluator
    from guangxi_subsidy.engine.scenarios.batchdiff import Alternative, unchanged_rules
    from guangxi_subsidy.engine.scenarios.reform import load_reform

    reform = load_reform(path, pack)
    evaluator = Evaluator(reform.pack, as_of=as_of, include_drafts=drafts, wide=True)
    described = {"name": reform.name, "file": path.name, "description": reform.description,
                 "changes": [{"kind": c.kind, "target": c.target, "reason": c.reason, "changed": list(c.what)}
                             for c in reform.changes], "rules_digest": reform.pack.digest}
    return Alternative("reform", reform.name, evaluator, {"reform": described}, unchanged_rules(pack, reform.pack))
