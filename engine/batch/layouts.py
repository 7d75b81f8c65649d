"""The shapes a batch's results are published in: wide for people, long for analysis, totals per applicant.

The columnar plan gives, per rule, the applicants it holds for (status, amount kind, figures in fen). A
`BatchResult` turns those into frames whose amounts are exact Decimal yuan: `benefits`, one row per applicant
and benefit shown, with the rule's benefit kind and departments; `results`, one row per applicant with a column
per benefit (the amount when it counts, else what stands instead) and `report.totals` as columns; `totals`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, cached_property

import polars as pl

from guangxi_subsidy.engine.batch import scaled as sc
from guangxi_subsidy.engine.batch.columnar import DAY, INDEX, OUTCOME, RULE, STATUS
from guangxi_subsidy.engine.evaluation.outcome import (
    COUNT_TOTALS,
    DRAFT,
    MONEY_TOTALS,
    STATUS_WORDS,
    AmountKind,
    Status,
    benefit_class,
    conditions,
)
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.rules.kinds import BenefitKind

MONEY = pl.Decimal(38, 2)
TOTALS, COUNTS = MONEY_TOTALS, COUNT_TOTALS
CELL = "cell"
# the long layout's columns (`BatchResult.benefits`), in order
LINE_COLUMNS = (ROW, "id", "rule_id", "status", "draft", "amount_kind", "value", "min", "max", "missing",
                "benefit_kind", "departments", "lead_department", "as_of")
# the totals' columns (`BatchResult.totals`): yuan, and counts
TOTALS_SCHEMA: dict[str, pl.DataType] = {**{n: MONEY for n in TOTALS}, **{n: pl.Int64() for n in COUNTS}}
WIDE_TEXT: dict[str, str] = {Status.EXPIRED: STATUS_WORDS[Status.EXPIRED],
                             Status.NOT_YET_IN_FORCE: STATUS_WORDS[Status.NOT_YET_IN_FORCE],
                             Status.NOT_COMBINED: STATUS_WORDS[Status.NOT_COMBINED],
                             AmountKind.UNQUANTIFIED: "unquantified", AmountKind.NON_MONETARY: "non-monetary"}


@dataclass(frozen=True)
class RuleInfo:
    """What the outputs say about a rule besides its outcome."""

    id: str
    name: str
    benefit: str
    draft: bool
    departments: tuple[str, ...]
    amount_kind: str  # the rule's kind of amount: formula, tiers, range, estimate, up_to, …

    @property
    def lead(self) -> str:
        """The department a benefit's money is attributed to: the first the document lists."""
        return self.departments[0] if self.departments else "(none listed)"



@dataclass
class BatchResult:
    """One batch's results: frames for people (wide), for analysis (long), and the rows refused."""

    rules: list[RuleInfo]
    applicants: pl.DataFrame  # row, id, name, kind, city, as_of_used, district: one per evaluated applicant
    outcomes: list[pl.DataFrame]  # per rule of the plan: the applicants (by position) it holds for
    errors: pl.DataFrame

    @property
    def evaluated(self) -> int:
        return self.applicants.height

    @property
    def rejected(self) -> int:
        return self.errors[ROW].n_unique()

    @cached_property
    def every(self) -> pl.DataFrame:
        """Every rule's outcomes in one frame, rule by rule: one step over it costs far less than one per rule."""
        return pl.concat(self.outcomes, rechunk=True)

    @cached_property
    def totals(self) -> pl.DataFrame:
        """report.totals for every applicant, from the same `outcome.contributions`: eligible benefits of
        in-force documents only, grants, relief and loan quotas apart."""
        benefit = pl.lit(pl.Series([benefit_class(r.benefit, r.draft) for r in self.rules])).gather(pl.col(RULE))
        counted = (pl.col("status") == pl.lit(Status.ELIGIBLE.value)) & (benefit != pl.lit(DRAFT))
        every_kind = frozenset(BenefitKind)
        parts: dict[str, list[pl.Expr]] = {}
        for (name, figure), groups in conditions().items():
            for benefits, kinds in groups:
                held = counted & pl.col("kind").is_in(sorted(kinds))
                if benefits != every_kind:
                    held = held & benefit.is_in(sorted(benefits))
                if figure is None:
                    parts.setdefault(name, []).append(held)
                else:
                    parts.setdefault(name, []).append(pl.when(held & pl.col(figure).is_not_null()).then(pl.col(figure)))
        shares = self.every.lazy().select(
            pl.col(INDEX),
            *[_first(parts[n]).alias(n) for n in MONEY_TOTALS],
            *[pl.any_horizontal(parts[n]).alias(n) for n in COUNT_TOTALS],
        ).group_by(INDEX).agg(pl.col(n).sum() for n in (*MONEY_TOTALS, *COUNT_TOTALS))
        every = pl.LazyFrame({INDEX: pl.int_range(0, self.applicants.height, dtype=pl.UInt32, eager=True)})
        return every.join(shares, on=INDEX, how="left", maintain_order="left").select(
            *[_money(pl.col(n).fill_null(0)).alias(n) for n in MONEY_TOTALS],
            *[pl.col(n).fill_null(0).cast(pl.Int64) for n in COUNT_TOTALS],
        ).collect()

    @cached_property
    def benefits(self) -> pl.DataFrame:
        """Long: one row per applicant and benefit shown (eligible, expired, not yet in force)."""
        return self.lines(LINE_COLUMNS)

    def lines(self, names: Sequence[str]) -> pl.DataFrame:
        """`benefits` with only the columns `names` (the same rows, in the same order), made without the others:
        a workbook's run keeps eight of its fourteen, and the texts it repeats on every line (departments,
        benefit kind) cost a batch of 15,000 applicants some 20 MB while it is decided."""
        long = self.every.sort(INDEX, RULE)
        rules = self.rules
        static = {
            "rule_id": lambda: pl.Series([r.id for r in rules]),
            "draft": lambda: pl.Series([r.draft for r in rules]),
            "benefit_kind": lambda: pl.Series([r.benefit for r in rules]),
            "departments": lambda: pl.Series(["、".join(r.departments) for r in rules]),
            "lead_department": lambda: pl.Series([r.lead for r in rules]),
        }
        taken = [c for c, n in ((ROW, ROW), ("id", "id"), (DAY, "as_of")) if n in names]
        who = self.applicants.select(taken)[long[INDEX]] if taken else None

        def column(name: str) -> pl.Series | pl.Expr:
            if name in static:
                return pl.lit(static[name]()).gather(pl.col(RULE)).alias(name)
            if name in (ROW, "id"):
                assert who is not None
                return who[name]
            if name == "as_of":
                assert who is not None
                return who[DAY].alias("as_of")
            if name in ("value", "min", "max"):
                return _money(pl.col(name)).alias(name)
            return pl.col("kind").alias(name) if name == "amount_kind" else pl.col(name)

        return long.select(*[column(name) for name in names])

    @cached_property
    def results(self) -> pl.DataFrame:
        """Wide: one row per applicant, a column per benefit (amount, or what stands instead), then totals."""
        return self.wide(0, self.applicants.height)

    @cached_property
    def _positions(self) -> pl.DataFrame:
        """Per rule, each applicant's row in the rule's outcome frame (null where the rule does not hold)."""
        height = self.applicants.height
        empty = pl.Series("", [], dtype=pl.UInt32).extend_constant(None, height)
        counting = pl.int_range(0, max([f.height for f in self.outcomes] + [1]), dtype=pl.UInt32, eager=True)
        columns = []
        for number, frame in enumerate(self.outcomes):
            column = empty.clone().rename(str(number))
            if frame.height:
                column.scatter(frame.get_column(INDEX), counting.slice(0, frame.height))
            columns.append(column)
        return pl.DataFrame(columns)

    def wide(self, start: int, stop: int) -> pl.DataFrame:
        """The wide rows of applicants start … stop-1 (a slice keeps memory small: cells are 16 bytes each)."""
        stop = min(stop, self.applicants.height)
        if not self.applicants.height:  # (the columns alone: a query planned for no row costs a run 0.2 s)
            return pl.concat([self.applicants.drop("district", strict=False).rename({DAY: "as_of"}),
                              pl.DataFrame(schema={wide_header(info): pl.String for info in self.rules}),
                              pl.DataFrame(schema=TOTALS_SCHEMA)], how="horizontal")
        cells = [
            pl.lit(_cells(frame, info)).gather(pl.col(str(number))).alias(wide_header(info))
            for number, (info, frame) in enumerate(zip(self.rules, self.outcomes, strict=True))
        ]
        # (the district is for the workbook: the wide CSV layout keeps its columns)
        base = self.applicants.slice(start, stop - start).drop("district", strict=False).rename({DAY: "as_of"})
        picked = self._positions.slice(start, stop - start).lazy().select(cells).collect()
        return pl.concat([base, picked, self.totals.slice(start, stop - start)], how="horizontal")

    def wide_slices(self, rows: int) -> Iterator[pl.DataFrame]:
        for start in range(0, max(self.applicants.height, 1), rows):
            yield self.wide(start, start + rows)


def _cells(frame: pl.DataFrame, info: RuleInfo) -> pl.Series:
    """A rule's wide cells: computed beside its outcomes (`extra_columns`), or now."""
    if CELL in frame.columns:
        return frame.get_column(CELL)
    return frame.select(wide_cell(info.amount_kind).alias(CELL)).to_series()


def wide_header(info: RuleInfo) -> str:
    return f"{info.id} (DRAFT)" if info.draft else info.id


def extra_columns(info: RuleInfo, wide: bool) -> list[pl.Expr]:
    """Computed beside each rule's outcome, on the rows where it holds: for the wide layout, its cell."""
    return [wide_cell(info.amount_kind).alias(CELL)] if wide else []


def outcome_schema(wide: bool) -> dict[str, pl.DataType]:
    """The columns of a rule's outcome frame: columnar.OUTCOME, then those of `extra_columns`."""
    return {**OUTCOME, **({CELL: pl.String()} if wide else {})}


@cache
def wide_cell(amount_kind: str) -> pl.Expr:
    """A benefit's cell in the wide layout: the amount in yuan when it counts, else what stands instead.
    Built for the rule's kind of amount, so that only the figures it can have are formatted; once per kind (an
    expression is immutable: every rule of that kind shares it)."""
    status = pl.col("status")
    status_text = pl.lit(pl.Series([WIDE_TEXT.get(s, s) for s in STATUS.categories])).gather(status.to_physical())
    if amount_kind in ("non_monetary",):
        shown: pl.Expr = pl.lit("non-monetary")
    elif amount_kind in ("unquantified", "up_to"):
        limit = _money(pl.col("max")).cast(pl.String)
        shown = pl.when(pl.col("max").is_null()).then(pl.lit("unquantified")).otherwise(pl.lit("up to ") + limit)
    else:
        if amount_kind == "range":
            figure = pl.concat_str([_money(pl.col(n)).cast(pl.String) for n in ("min", "max")], separator=" – ")
        else:
            figure = _money(pl.col("value")).cast(pl.String)
        incomplete = pl.col("kind") == pl.lit(AmountKind.INCOMPLETE.value)
        shown = pl.when(incomplete).then(pl.lit("needs ") + pl.col("missing")).otherwise(figure)
    return pl.when(status == pl.lit(Status.ELIGIBLE.value)).then(shown).otherwise(status_text)


def _money(fen: pl.Expr) -> pl.Expr:
    """Integer fen as exact Decimal yuan."""
    return fen.cast(MONEY) * sc.lit(Decimal("0.01"))


def _first(whens: list[pl.Expr]) -> pl.Expr:
    """The figure of the first condition that holds (they exclude each other), else null."""
    if len(whens) == 1:
        return whens[0]
    return pl.coalesce(whens)
