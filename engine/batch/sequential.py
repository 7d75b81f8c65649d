"""A batch evaluated in one thread, start to end: for a table in memory, or one partition of a dataset.

The `subsidy batch` command overlaps reading, deciding and writing on threads of their own; a library call on a
frame, or a task a cluster runs on one partition (engine/batch/cluster.py), has no terminal to keep busy and
often shares its process with other work, so it takes the same steps one after another: admit each chunk (typed
profiles, or rejections naming field, value and reason), refuse the rows that repeat an earlier applicant,
decide the rules for many chunks at once, and count every row in the summary. The results are the same frames
and the same counts as the command's, chunk for chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import polars as pl

from guangxi_subsidy.engine.batch.evaluator import ERRORS, Admitted, Evaluator
from guangxi_subsidy.engine.batch.layouts import BatchResult
from guangxi_subsidy.engine.batch.summary import Summary
from guangxi_subsidy.engine.intake.cells import Columns
from guangxi_subsidy.engine.intake.csvsource import Chunk
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.intake.repeats import Repeats

BATCH_ROWS = 60_000  # applicants decided per call (a call costs about 20 ms of planning, whatever its rows)


class Source(Protocol):
    columns: Columns

    def chunks(self) -> Iterator[Chunk]: ...


@dataclass
class Run:
    """What a run gives back: its summary, every rejected row (batch.ERRORS), and the keys of the applicants it
    evaluated when asked (to find repeats between runs over parts of one dataset)."""

    summary: Summary
    errors: pl.DataFrame
    keys: list[pl.DataFrame] = field(default_factory=list)


def run(source: Source, evaluator: Evaluator, repeats: Repeats | None,
        publish: Callable[[BatchResult], None] | None = None, keep_keys: bool = False,
        batch_rows: int = BATCH_ROWS) -> Run:
    """Evaluate every chunk of `source`; each batch's result goes to `publish` (in row order) and into the
    summary. `repeats` None evaluates every row, else a row repeating an earlier applicant is refused."""
    summary = Summary(evaluator.rules)
    errors: list[pl.DataFrame] = []
    keys: list[pl.DataFrame] = []
    pending: list[Admitted] = []
    pending_rows = structural = 0

    def decide() -> None:
        nonlocal pending, pending_rows, structural
        result = evaluator.decide(pending)
        summary.add(result, pending_rows, structural)
        if result.errors.height:
            errors.append(result.errors)
        if publish is not None:
            publish(result)
        pending, pending_rows, structural = [], 0, 0

    for chunk in source.chunks():
        rows = chunk.rows
        if chunk.rejected:  # rows a reader refused before any cell was read
            errors.append(pl.DataFrame([(r.row, None, r.column, "", r.value[:200], r.reason) for r in chunk.rejected],
                                       schema=ERRORS, orient="row"))
            structural += len({r.row for r in chunk.rejected})
        admitted = evaluator.admit(chunk.take, source.columns, chunk.as_text, chunk.typed)
        if repeats is not None:
            admitted = admitted.only(*repeats.sift(admitted.applicants))
            if keep_keys:
                keys.append(repeats.keys(admitted.applicants))
        pending.append(admitted)
        pending_rows += rows
        if pending_rows >= batch_rows:
            decide()
    if pending or summary.rows_read == 0:
        if not pending:
            pending = [evaluator.empty_admitted()]
        decide()
    summary.repeated = repeats.repeated if repeats is not None else 0
    every = pl.concat(errors) if errors else pl.DataFrame(schema=ERRORS)
    return Run(summary, every.sort(ROW, maintain_order=True), keys)
