"""A partitioned Parquet dataset evaluated on a Dask cluster: the batch mapped over partitions, totals added up
exactly.

A registry of millions of market entities is kept as a folder of Parquet files. The dataset is cut into parts of
whole row groups (a file's row groups, about `rows_per_part` rows a part); each part's first row number is
known from the files' metadata, so every row keeps its record index in the whole dataset (1-based, files in
name order), as a single pass would number it. A worker evaluates a part with the sequential batch
(engine/batch/sequential.py: the same reading, rules and summary as `subsidy batch`), writes its results to
`OUTPUT/part-NNNNN.parquet` (when an output folder is given) and hands back its summary: counts and amounts
as Python integers of fen, so the client's sum is exact whatever the number of parts (no float anywhere).

Repeats (the same applicant id for the same date) are refused within each part as in a file. Between parts, each
part also hands back the 64-bit key and row of every applicant it evaluated (12 bytes a row); a key found in two
parts means the dataset lists an applicant twice where no part could see it, and the run is refused
(`RepeatsAcrossParts`, naming the rows) rather than count its money twice. `keep_repeats` evaluates every row.

dask.distributed is an optional dependency (`pip install 'guangxi-subsidy[dask]'`), imported only here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from guangxi_subsidy.engine.arguments import ArgumentError, day, flag, paths, whole
from guangxi_subsidy.engine.batch.evaluator import ERRORS, Evaluator
from guangxi_subsidy.engine.batch.layouts import BatchResult
from guangxi_subsidy.engine.batch.sequential import run
from guangxi_subsidy.engine.batch.sinks import AtomicOutput, failure
from guangxi_subsidy.engine.batch.summary import Summary
from guangxi_subsidy.engine.intake.arrowsource import ArrowSource
from guangxi_subsidy.engine.intake.csvsource import FileError
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.intake.repeats import FIRST, KEY, Repeats
from guangxi_subsidy.engine.rules.pack import load_pack

ROWS_PER_PART = 500_000


@dataclass(frozen=True)
class Part:
    """Row groups of one Parquet file, and the dataset's row number of their first record."""

    number: int
    path: str
    row_groups: tuple[int, ...]
    first_row: int
    rows: int


@dataclass(frozen=True)
class Settings:
    """What every part is evaluated with (hashable: a worker compiles the rules once per settings)."""

    rules: tuple[str, ...] | None = None  # rule files or folders; None: the bundled pack
    as_of: dt.date | None = None
    include_drafts: bool = False
    keep_repeats: bool = False
    output: str | None = None  # a folder for the parts' results, or None to write nothing
    layout: str = "wide"


@dataclass
class PartOutcome:
    part: Part
    summary: Summary
    errors: pl.DataFrame  # batch.ERRORS, with the dataset's row numbers
    keys: pl.DataFrame  # repeats.KEY and FIRST of every applicant evaluated (empty with keep_repeats)


@dataclass
class DatasetOutcome:
    """The whole dataset: its summary (exact totals in fen), every rejected row, the result files written."""

    summary: Summary
    rejections: pl.DataFrame
    outputs: list[Path]
    parts: int

    @property
    def totals(self) -> dict[str, int]:
        """Totals in fen (grants, grants_min, grants_max, relief_estimate, loan_quota)."""
        return self.summary.totals()


class RepeatsAcrossParts(ValueError):
    """The same applicant (id and date) in two parts of a dataset: evaluated in both, it would count twice."""


def partitions(dataset: str | Path | Sequence[str | Path], rows_per_part: int = ROWS_PER_PART) -> list[Part]:
    """The dataset (a Parquet file, a folder searched for *.parquet, or a list of files) cut into parts of
    whole row groups, in file-name order, each with its first record's row number."""
    import pyarrow.parquet as pq

    if isinstance(dataset, str | Path):
        root = Path(dataset)
        files = sorted(root.rglob("*.parquet")) if root.is_dir() else [root]
    else:
        files = [Path(f) for f in dataset]
    if not files:
        raise ArgumentError("dataset", dataset, "a Parquet file, a folder holding *.parquet files, or a list of them")
    parts: list[Part] = []
    row = 1
    for path in files:
        try:
            metadata = pq.ParquetFile(path).metadata
        except (OSError, ValueError) as error:  # (pyarrow's errors name a buffer, not the file)
            raise FileError(f"{path}: not a readable Parquet file ({error})") from None
        groups: list[int] = []
        rows = 0
        for group in range(metadata.num_row_groups):
            groups.append(group)
            rows += metadata.row_group(group).num_rows
            if rows >= rows_per_part or group == metadata.num_row_groups - 1:
                parts.append(Part(len(parts), str(path), tuple(groups), row, rows))
                row += rows
                groups, rows = [], 0
    return parts


@cache
def _evaluator(rules: tuple[str, ...] | None, as_of: dt.date | None, include_drafts: bool, wide: bool) -> Evaluator:
    pack = load_pack([Path(r) for r in rules] if rules else None)
    return Evaluator(pack, as_of=as_of, include_drafts=include_drafts, wide=wide)


def evaluate_part(part: Part, settings: Settings) -> PartOutcome:
    """One part, on a worker: read its row groups, evaluate them, write its results, return its counts."""
    wide = settings.layout == "wide"
    evaluator = _evaluator(settings.rules, settings.as_of, settings.include_drafts, wide)
    source = ArrowSource.open(Path(part.path), part.first_row, list(part.row_groups))
    repeats = None if settings.keep_repeats else Repeats(evaluator.plan.day(), source.columns.header_of("id"),
                                                         source.compiled, part.rows)
    output = None
    if settings.output is not None:
        folder = Path(settings.output)
        try:
            folder.mkdir(parents=True, exist_ok=True)  # (on each worker: its file system may be its own)
        except OSError as error:
            raise failure(folder, error) from None
        output = AtomicOutput(folder / f"part-{part.number:05d}.parquet", "parquet")

    def publish(result: BatchResult) -> None:
        assert output is not None
        output.write(result.results if wide else result.benefits)

    try:
        done = run(source, evaluator, repeats, publish if output is not None else None, keep_keys=repeats is not None)
        if output is not None:
            empty = evaluator.empty()
            output.write_header(empty.results if wide else empty.benefits)
            output.commit()
    except BaseException:
        if output is not None:
            output.discard()
        raise
    finally:
        source.close()
    keys = pl.concat(done.keys) if done.keys else pl.DataFrame(schema={KEY: pl.UInt64, FIRST: pl.UInt32})
    return PartOutcome(part, done.summary, done.errors, keys)


def evaluate_dataset(client: Any, dataset: str | Path | Sequence[str | Path], *, output: str | Path | None = None,
                     as_of: dt.date | str | None = None, include_drafts: bool = False,
                     rules: Sequence[str | Path] | None = None, keep_repeats: bool = False, layout: str = "wide",
                     rows_per_part: int = ROWS_PER_PART) -> DatasetOutcome:
    """Evaluate a partitioned Parquet dataset on the cluster `client` (a dask.distributed Client): one task a
    part, results written to `output` (a folder, one Parquet file a part; None writes none), totals added up
    exactly. Rows are numbered by record index in the whole dataset, from 1. Raises RepeatsAcrossParts when an
    applicant is in two parts (unless `keep_repeats`)."""
    from dask.distributed import as_completed

    if layout not in ("wide", "long"):
        raise ArgumentError("layout", layout, "wide or long")
    as_of = day(as_of)
    flag("include_drafts", include_drafts)
    flag("keep_repeats", keep_repeats)
    whole("rows_per_part", rows_per_part, 1)
    if not callable(getattr(client, "map", None)):
        raise ArgumentError("client", client, "a dask.distributed Client")
    if rules is not None:
        paths("rules", rules)
    if not isinstance(dataset, str | Path) and not (isinstance(dataset, list | tuple)
                                                    and all(isinstance(d, str | Path) for d in dataset)):
        raise ArgumentError("dataset", dataset, "a Parquet file, a folder holding *.parquet files, or a list of them")
    parts = partitions(dataset, rows_per_part)
    settings = Settings(tuple(str(r) for r in rules) if rules else None, as_of, include_drafts, keep_repeats,
                        None if output is None else str(output), layout)
    futures = client.map(evaluate_part, parts, settings=settings, pure=False)
    outcomes: list[PartOutcome] = []
    for _, outcome in as_completed(futures, with_results=True):
        outcomes.append(outcome)
    outcomes.sort(key=lambda o: o.part.number)
    summary = Summary(outcomes[0].summary.rules)
    for outcome in outcomes:
        summary.merge(outcome.summary)
    written = [Path(settings.output) / f"part-{o.part.number:05d}.parquet" for o in outcomes] if settings.output else []
    if not keep_repeats:
        _refuse_repeats_across(outcomes, written)
    rejections = pl.concat([o.errors for o in outcomes]) if outcomes else pl.DataFrame(schema=ERRORS)
    return DatasetOutcome(summary, rejections.sort(ROW, maintain_order=True), written, len(parts))


def _refuse_repeats_across(outcomes: list[PartOutcome], written: list[Path]) -> None:
    """Raise RepeatsAcrossParts when an applicant evaluated in one part is evaluated in another too (the
    results written are then removed, since their totals would count it twice)."""
    keyed = pl.concat([o.keys.with_columns(pl.lit(o.part.number).alias("part")) for o in outcomes])
    twice = keyed.filter(pl.col("part").n_unique().over(KEY) > 1).sort(FIRST)
    if not twice.height:
        return
    for path in written:
        path.unlink(missing_ok=True)
    pairs = twice.group_by(KEY, maintain_order=True).agg(pl.col(FIRST)).head(10).get_column(FIRST).to_list()
    shown = "; ".join("rows " + " and ".join(str(r) for r in rows) for rows in pairs)
    raise RepeatsAcrossParts(f"the same applicant (id and date) is in two parts of the dataset: {shown}. Put each "
                             "applicant's rows in one part (partition by id), or pass keep_repeats=True")
