"""Evaluating a batch of applicant rows: cells in, results out, every row accounted for.

`Evaluator.evaluate` takes a polars DataFrame of cells (one column per profile field, named by field name or
Chinese label, text or the enums of `frames.fast_schema`, and a `row` column with spreadsheet row numbers) and
returns a `layouts.BatchResult` of plain frames: `benefits` (long: one row per applicant and benefit shown),
`results` (wide: one row per applicant, a column per benefit and the totals), `errors` (one row per problem of a
rejected row). It keeps no state between calls, so the same function can be mapped over the partitions of a
dataset by Dask, Ray or Spark (README, "Evaluating on a cluster (Dask)": engine/batch/cluster.py does it on
Dask); the CLI reads a file block by block (`admit`) and evaluates many blocks at once (`decide`).

Rows the fast readers of `engine/intake/frames.py` cannot read completely are read by the profile model, exactly as
`subsidy evaluate` reads a profile; a row the model refuses is rejected with each field, value and reason.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from guangxi_subsidy.engine.applicant.reading import ProfileError
from guangxi_subsidy.engine.batch import rowwise
from guangxi_subsidy.engine.batch.columnar import DAY, INDEX, Plan
from guangxi_subsidy.engine.batch.layouts import BatchResult, RuleInfo, extra_columns, outcome_schema
from guangxi_subsidy.engine.evaluation.award import AmountError
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.intake.cells import Columns, read_profile, resolve_header
from guangxi_subsidy.engine.intake.frames import ROW, read_cells, typed_rows, typed_schema
from guangxi_subsidy.engine.rules.departments import canonical
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack

if TYPE_CHECKING:
    from guangxi_subsidy.engine.applicant.profile import Profile

ERRORS = {ROW: pl.Int64, "id": pl.String, "column": pl.String, "field": pl.String, "value": pl.String,
          "reason": pl.String}


class Evaluator:
    """A rule pack, compiled once, evaluating batches for one date rule and draft setting."""

    def __init__(self, pack: RulePack | None = None, as_of: dt.date | None = None, include_drafts: bool = False,
                 engine: str = "columnar", today: dt.date | None = None, wide: bool = True):
        if engine not in ("columnar", "reference"):
            raise ValueError(f"unknown engine '{engine}': columnar or reference")
        self.pack = pack if pack is not None else load_pack()
        self.plan = Plan(self.pack, as_of=as_of, include_drafts=include_drafts, today=today)
        self.engine = engine
        self.wide = wide
        self._reference = Engine(self.pack) if engine == "reference" else None
        self.rules = [
            # (what the rule as written says, from the compiled rule's plain copies: a pack read back from the
            # cache keeps the rules as written pickled, and a batch never reads them)
            RuleInfo(r.id, r.name, r.benefit or "", r.status.value == "draft",
                     # (a region rule a city's document relays names that city's departments: 市人社局 of Nanning)
                     tuple(canonical(d, r.document.jurisdiction) for d in r.departments),
                     r.amount.terms.kind if r.amount is not None else r.rule.amount.kind)
            for r in self.plan.rules
        ]
        self._extra = [extra_columns(info, wide) for info in self.rules]
        self._empty: BatchResult | None = None

    def only(self, kept: list[int]) -> Evaluator:
        """This evaluator deciding only its plan's rules numbered `kept` (`Plan.only`), with their extra columns."""
        chosen = copy.copy(self)
        chosen.plan = self.plan.only(kept)
        chosen._extra = [self._extra[n] for n in kept]
        return chosen

    def evaluate(self, cells: pl.DataFrame | Callable[[], pl.DataFrame], columns: Columns | None = None,
                 as_text: Callable[[], pl.DataFrame] | None = None) -> BatchResult:
        """Evaluate a frame of cells (or a function that hands it over, so that it is freed once read);
        `columns` maps its columns to fields (default: from its headers), and `as_text` gives the same rows as
        written, for when typed cells must be shown to the profile model."""
        return self.decide([self.admit(cells, columns, as_text)])

    def admit(self, cells: pl.DataFrame | Callable[[], pl.DataFrame], columns: Columns | None = None,
              as_text: Callable[[], pl.DataFrame] | None = None, typed: pl.DataFrame | None = None) -> Admitted:
        """The first half of `evaluate`: read the cells into typed profiles, refusing the rows the profile
        model refuses. Typed rows take a third of the memory of cells, so a reader admits block by block and
        `decide` takes many blocks at once. `typed` are rows of the same block a reader has already typed
        (engine/intake/scan.py): they join the rows read here, in row order."""
        if typed is None or not typed.height:
            return self._admit(cells, columns, as_text)
        if self._reference is not None:
            raise ValueError("the reference engine reads every row with the profile model: give cells only")
        frame = cells() if callable(cells) else cells
        if not frame.height:
            return Admitted(typed, _errors([]))
        admitted = self._admit(frame, columns, as_text)
        return Admitted(pl.concat([typed, admitted.applicants]).sort(ROW), admitted.errors)

    def _admit(self, cells: pl.DataFrame | Callable[[], pl.DataFrame], columns: Columns | None,
               as_text: Callable[[], pl.DataFrame] | None) -> Admitted:
        frame, columns = _named(cells() if callable(cells) else cells, columns)
        if self._reference is not None:
            profiles, errors = _read_slowly(as_text() if as_text is not None else frame, columns)
            return Admitted(typed_rows(profiles), _errors(errors), [p for _, p in profiles])
        reading = read_cells(frame)
        if reading.retyped and as_text is not None:
            frame = _named(as_text(), columns)[0]
            reading = read_cells(frame)
        if not reading.unread.any():  # the usual block: every row read by the fast readers
            return Admitted(reading.typed, _errors([]))
        slow = frame.lazy().filter(reading.unread).collect()
        del frame
        profiles, errors = _read_slowly(slow, columns)
        applicants = reading.typed.filter(~reading.unread)
        if profiles:
            applicants = pl.concat([applicants, typed_rows(profiles)]).sort(ROW)
        return Admitted(applicants, _errors(errors))

    def empty(self) -> BatchResult:
        """The result of no applicants: its frames name the columns of every output. Made once per evaluator
        from the columns' types alone: deciding no rows would plan every rule's query (a fifth of a second),
        for frames that hold nothing."""
        if self._empty is None:
            admitted = self.empty_admitted()
            none = pl.DataFrame(schema=outcome_schema(self.wide))
            outcomes = [none.clear() for _ in self.rules]
            base = admitted.applicants.select(ROW, "id", "name", "kind", "city", self.plan.day().alias(DAY),
                                              "district")
            self._empty = BatchResult(self.rules, base, outcomes, admitted.errors)
        return self._empty

    def empty_admitted(self) -> Admitted:
        return Admitted(pl.DataFrame(schema=typed_schema()), _errors([]))

    def decide(self, admitted: list[Admitted]) -> BatchResult:
        """The second half of `evaluate`: every rule, for every applicant admitted. An applicant whose amount
        cannot be computed (award.AmountError) is rejected with the rule named (the first rule, in the plan's
        order, whose arithmetic fails for it), and taken out of the rules' rows; the others stand as decided, in
        the same pass."""
        applicants = pl.concat([a.applicants for a in admitted]) if len(admitted) > 1 else admitted[0].applicants
        errors = pl.concat([a.errors for a in admitted]) if len(admitted) > 1 else admitted[0].errors
        profiles = [p for a in admitted for p in a.profiles or []]
        failures: list[AmountError] = []
        if self._reference is not None:
            found = rowwise.outcomes(self._reference, self.plan, profiles, failures)
            outcomes = [f.with_columns(extra) for f, extra in zip(found, self._extra, strict=True)]
        else:
            outcomes = self.plan.outcomes(applicants, self._extra, failures)
        if failures:
            applicants, outcomes, refused = _refuse(applicants, outcomes, failures)
            errors = pl.concat([errors, _errors(refused)]).sort(ROW, maintain_order=True)
        base = applicants.select(ROW, "id", "name", "kind", "city", self.plan.day().alias(DAY), "district")
        return BatchResult(self.rules, base, outcomes, errors)


@dataclass
class Admitted:
    """Rows read and accepted (typed, as frames.typed_schema) and the problems of the rows refused."""

    applicants: pl.DataFrame
    errors: pl.DataFrame
    profiles: list[Profile] | None = None  # the reference engine evaluates the profiles themselves

    def only(self, keep: pl.Series, problems: pl.DataFrame) -> Admitted:
        """The rows where `keep` holds; the others refused for the `problems` given."""
        if keep.all():
            return self
        profiles = None if self.profiles is None else [p for p, k in zip(self.profiles, keep, strict=True) if k]
        refused = problems.select(ERRORS.keys()).cast(pl.Schema(ERRORS))
        errors = pl.concat([self.errors, refused]).sort(ROW, maintain_order=True)
        return Admitted(self.applicants.filter(keep), errors, profiles)


def _refuse(applicants: pl.DataFrame, outcomes: list[pl.DataFrame],
            failures: list[AmountError]) -> tuple[pl.DataFrame, list[pl.DataFrame], list[tuple[Any, ...]]]:
    """The applicants whose amount failed taken out: of the applicants, and of every rule's rows (whose INDEX,
    the applicant's position, is renumbered for the applicants kept); a problem row for each, its first error."""
    first: dict[int, AmountError] = {}
    for error in failures:
        assert error.index is not None
        first.setdefault(error.index, error)
    keep = pl.Series([i not in first for i in range(applicants.height)])
    renumbered = (keep.cast(pl.Int64).cum_sum() - 1).alias(INDEX)
    refused = []
    for index, error in sorted(first.items()):
        record = applicants.row(index, named=True)
        refused.append((record[ROW], record["id"], "", "", "", str(error)))
    kept = [frame.filter(~pl.col(INDEX).is_in(list(first))).with_columns(
        pl.lit(renumbered).gather(pl.col(INDEX)).cast(frame.schema[INDEX]).alias(INDEX)) for frame in outcomes]
    return applicants.filter(keep), kept, refused


def _errors(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=ERRORS, orient="row")


def _named(cells: pl.DataFrame, columns: Columns | None) -> tuple[pl.DataFrame, Columns]:
    if columns is None:
        headers = [c for c in cells.columns if c != ROW]
        columns = resolve_header(headers)
        cells = cells.rename(dict(zip(headers, columns.fields, strict=True)))
    if ROW not in cells.columns:
        cells = cells.with_columns(pl.int_range(2, cells.height + 2, dtype=pl.Int64).alias(ROW))
    return cells, columns


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _read_slowly(rows: pl.DataFrame, columns: Columns) -> tuple[list[tuple[int, Profile]], list[tuple[Any, ...]]]:
    """Rows read by the profile model: the accepted profiles, and a problem row for each refusal."""
    profiles: list[tuple[int, Profile]] = []
    errors: list[tuple[Any, ...]] = []
    for record in rows.iter_rows(named=True):
        row = record.pop(ROW)
        cells = {name: _text(value) for name, value in record.items()}
        if all(value is None or not value.strip() for value in cells.values()):
            errors.append((row, None, "", "", "", _("empty row")))
            continue
        try:
            profiles.append((row, read_profile(cells, _("row {0}").format(row))))
        except ProfileError as error:
            ident = (cells.get("id") or "").strip() or None
            for name, _given, reason in error.problems:
                value = cells.get(name) or ""
                errors.append((row, ident, columns.header_of(name), name, value, reason))
    return profiles, errors
