"""The shapes a batch's results are published in: wide for people, long for analysis, totals per applicant.

The columnar plan gives, per rule, the applicants it holds for (status, amount kind, figures in fen). A
`BatchResult` turns those into frames whose amounts are exact Decimal yuan: `benefits`, one row per applicant
and benefit shown, with the rule's benefit kind and departments; `results`, one row per applicant with a column
per benefit (the amount when it counts, else what stands instead) and `report.totals` as columns; `totals`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

import polars as pl

from .columnar import DAY, FEN, INDEX, OUTCOME, RULE, STATUS
from .frames import ROW
from .report import GRANT_KINDS, RELIEF_KINDS

MONEY = pl.Decimal(38, 2)
TOTALS = ("grants", "grants_min", "grants_max", "relief_estimate", "loan_quota")
COUNTS = ("unquantified", "non_monetary", "incomplete")
COUNT_CODE, COUNT_BASE = "counts", 1 << 16  # a rule's count as a digit of this base: 65,535 rules before a carry
CELL = "cell"
WIDE_TEXT = {"expired": "expired", "not_yet_in_force": "not yet in force", "unquantified": "unquantified",
             "non_monetary": "non-monetary"}


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
    applicants: pl.DataFrame  # row, id, name, kind, city, as_of_used: one per evaluated applicant
    outcomes: list[pl.DataFrame]  # per rule of the plan: the applicants (by position) it holds for
    errors: pl.DataFrame

    @property
    def evaluated(self) -> int:
        return self.applicants.height

    @property
    def rejected(self) -> int:
        return self.errors[ROW].n_unique()

    @cached_property
    def _all(self) -> pl.DataFrame:
        frames = [f.select(OUTCOME.keys()) for f in self.outcomes if f.height]  # without the wide layout's extras
        return pl.concat(frames) if frames else self.outcomes[0].select(OUTCOME.keys()).clear()

    @cached_property
    def totals(self) -> pl.DataFrame:
        """report.totals for every applicant: grants, relief and loan quotas apart; eligible benefits only."""
        return self._positions.lazy().select(self._total_columns).collect()

    @cached_property
    def _total_columns(self) -> list[pl.Expr]:
        """The totals, over `_positions`: each rule's shares (computed on the rows where it holds) gathered by
        position and added up, exact in fen. A rule adds to at most one count, so its counts travel as one
        code (a bit field) and are taken apart after adding."""
        money: dict[str, list[pl.Expr]] = {name: [] for name in TOTALS}
        codes: list[pl.Expr] = []
        for number, (info, frame) in enumerate(zip(self.rules, self.outcomes, strict=True)):
            if not frame.height:
                continue
            position = pl.col(str(number))
            for name in _share_names(info):
                column = frame.get_column(name) if name in frame.columns else _shares(frame, info, name)
                if name == COUNT_CODE:
                    codes.append(pl.lit(column).gather(position))
                else:
                    money[name].append(pl.lit(column).gather(position))
        code = _added(codes, pl.Int64)
        return [
            *[_money(_added(money[n], FEN)).alias(n) for n in TOTALS],
            *[((code // COUNT_BASE**i) % COUNT_BASE).alias(n) for i, n in enumerate(COUNTS)],
        ]

    @cached_property
    def benefits(self) -> pl.DataFrame:
        """Long: one row per applicant and benefit shown (eligible, expired, not yet in force)."""
        long = self._all.sort(INDEX, RULE)
        rules = self.rules
        static = {
            "rule_id": pl.Series([r.id for r in rules]),
            "draft": pl.Series([r.draft for r in rules]),
            "benefit_kind": pl.Series([r.benefit for r in rules]),
            "departments": pl.Series(["、".join(r.departments) for r in rules]),
            "lead_department": pl.Series([r.lead for r in rules]),
        }
        who = self.applicants.select(ROW, "id", DAY)[long[INDEX]]
        return long.select(
            who[ROW], who["id"],
            pl.lit(static["rule_id"]).gather(pl.col(RULE)).alias("rule_id"),
            pl.col("status"), pl.lit(static["draft"]).gather(pl.col(RULE)).alias("draft"),
            pl.col("kind").alias("amount_kind"),
            *[_money(pl.col(n)).alias(n) for n in ("value", "min", "max")],
            pl.col("missing"),
            *[pl.lit(static[n]).gather(pl.col(RULE)).alias(n) for n in ("benefit_kind", "departments",
                                                                         "lead_department")],
            who[DAY].alias("as_of"),
        )

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

    def wide(self, start: int = 0, stop: int | None = None) -> pl.DataFrame:
        """The wide rows of applicants start … stop-1."""
        return self.wide_query(start, stop).collect()

    def wide_query(self, start: int = 0, stop: int | None = None) -> pl.LazyFrame:
        """The wide rows of applicants start … stop-1 as a query, for a writer to stream out (cells take 16
        bytes each: a large batch of them at once would take more memory than the rest of the run)."""
        stop = self.applicants.height if stop is None else min(stop, self.applicants.height)
        start = min(start, stop)
        base = self.applicants.slice(start, stop - start).lazy().rename({DAY: "as_of"})
        positions = self._positions.slice(start, stop - start).lazy()
        return pl.concat([base, positions.select(*self._cell_columns, *self._total_columns)], how="horizontal")

    @cached_property
    def _cell_columns(self) -> list[pl.Expr]:
        """Each rule's cell (computed on the rows where it holds), gathered by position."""
        return [
            pl.lit(frame.get_column(CELL)).gather(pl.col(str(number))).alias(wide_header(info))
            for number, (info, frame) in enumerate(zip(self.rules, self.outcomes, strict=True))
        ]

    def wide_slices(self, rows: int) -> Iterator[tuple[pl.LazyFrame, int]]:
        """The wide layout `rows` applicants at a time: each slice's query and its number of rows."""
        for start in range(0, self.applicants.height, rows):
            yield self.wide_query(start, start + rows), min(rows, self.applicants.height - start)


def wide_header(info: RuleInfo) -> str:
    return f"{info.id} (DRAFT)" if info.draft else info.id


def extra_columns(info: RuleInfo, wide: bool) -> list[pl.Expr]:
    """Computed beside each rule's outcome, on the rows where it holds: for the wide layout, its cell and its
    shares of the applicant's totals."""
    if not wide:
        return []
    return [wide_cell(info.amount_kind).alias(CELL), *[share(info, n).alias(n) for n in _share_names(info)]]


def _share_names(info: RuleInfo) -> tuple[str, ...]:
    """The totals a rule can add to, from its kind of benefit and of amount (report.totals); the counts it can
    add to travel as one code."""
    names: tuple[str, ...] = (COUNT_CODE,)
    if info.amount_kind in ("non_monetary", "unquantified", "up_to"):
        return names
    if info.benefit in GRANT_KINDS:
        names += ("grants", "grants_min", "grants_max")
    elif info.amount_kind == "range":
        names += ("grants_min", "grants_max")
    if info.benefit in RELIEF_KINDS:
        names += ("relief_estimate",)
    if info.benefit == "loan_quota":
        names += ("loan_quota",)
    return names


def share(info: RuleInfo, name: str) -> pl.Expr:
    """A rule's share of one of an applicant's totals, over its outcome columns (report.totals): fen for the
    money totals, 0 or 1 for the counts; null where it adds nothing."""
    status, kind, value = pl.col("status"), pl.col("kind"), pl.col("value")
    eligible = status == pl.lit("eligible")
    quantified = eligible & kind.is_in(["exact", "estimate"]) & value.is_not_null()
    ranged = eligible & (kind == pl.lit("range"))
    grant = quantified if info.benefit in GRANT_KINDS else pl.lit(False)
    if name == COUNT_CODE:  # the count it adds to, as a digit in base COUNT_BASE (see COUNTS)
        counted = [["unquantified", "up_to"], ["non_monetary"], ["incomplete"]]
        code: pl.Expr = pl.lit(0, dtype=pl.Int64)
        for digit, kinds in enumerate(counted):
            code = pl.when(eligible & kind.is_in(kinds)).then(pl.lit(COUNT_BASE**digit, dtype=pl.Int64)) \
                .otherwise(code)
        return code
    if name == "grants":
        return pl.when(grant).then(value).cast(FEN)
    if name in ("grants_min", "grants_max"):
        bound = pl.col(name.removeprefix("grants_"))  # the range's min or max
        return pl.when(grant).then(value).when(ranged).then(bound).cast(FEN)
    wanted = RELIEF_KINDS if name == "relief_estimate" else ("loan_quota",)
    return pl.when(quantified & pl.lit(info.benefit in wanted)).then(value).cast(FEN)


def _shares(frame: pl.DataFrame, info: RuleInfo, name: str) -> pl.Series:
    """A share computed afterwards, for outcome frames evaluated without it (the long layout's)."""
    return frame.select(share(info, name).alias(name)).to_series()


def _added(parts: list[pl.Expr], dtype: type[pl.DataType]) -> pl.Expr:
    """Shares added up, a missing share counting as nothing."""
    if not parts:
        return pl.repeat(0, pl.len(), dtype=dtype)
    return pl.sum_horizontal(parts).fill_null(0).cast(dtype)


def wide_cell(amount_kind: str) -> pl.Expr:
    """A benefit's cell in the wide layout: the amount in yuan when it counts, else what stands instead.
    Built for the rule's kind of amount, so that only the figures it can have are formatted."""
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
        shown = pl.when(pl.col("kind") == pl.lit("incomplete")).then(pl.lit("needs ") + pl.col("missing")) \
            .otherwise(figure)
    return pl.when(status == pl.lit("eligible")).then(shown).otherwise(status_text)


def _money(fen: pl.Expr) -> pl.Expr:
    """Integer fen as exact Decimal yuan."""
    return fen.cast(MONEY) * pl.lit(Decimal("0.01"))

