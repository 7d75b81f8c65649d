"""Applicants listed twice: the same id, evaluated for the same date, as an earlier row of the file.

A list that names an enterprise twice would count its money twice in every total a budget is planned from. The
first row is evaluated; each later one is refused, naming the row it repeats, so that it is in the errors file
and not lost. The same id for different dates is not a repeat: a file may evaluate one enterprise for two years.

Rows arrive block by block and the file can hold millions, so what is kept of the rows seen is small: a 64-bit
hash of id and date, and the row number (12 bytes a row). Two different applicants share a hash with a chance of
about n²/2⁶⁵ in a file of n rows (below one in a million at five million rows); the reason names both rows, so
a person can always check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.intake.frames import ROW

if TYPE_CHECKING:
    from guangxi_subsidy.engine.intake.seen import SeenTable

KEY, FIRST = "key", "first_row"
_SEED = 0x5EED


class Repeats:
    """The applicants of one file seen so far, by id and evaluation date."""

    def __init__(self, day: pl.Expr, header: str = "id", compiled: bool = False, expected: int = 1 << 16):
        self.day = day  # the evaluation date of each row (the run's rule: --as-of, the row's as_of, or today)
        self.header = header  # the id column as the file names it
        self._seen = pl.DataFrame(schema={KEY: pl.UInt64, FIRST: pl.UInt32})
        self._compiled, self._expected = compiled, expected  # long files (about `expected` rows): seen.py
        self._table: SeenTable | None = None  # made at the first block, on the thread that reads
        self.repeated = 0  # rows refused so far

    def sift(self, applicants: pl.DataFrame) -> tuple[pl.Series, pl.DataFrame]:
        """For rows in file order (ROW, id, as_of, …): which are new (a boolean mask), and a problem row
        (batch.ERRORS) for each repeat. Rows kept are remembered."""
        keyed = applicants.select(pl.col(ROW), pl.col("id"), pl.struct(pl.col("id"), self.day).hash(_SEED).alias(KEY),
                                  self.day.alias("day"))
        if self._compiled:
            if self._table is None:
                self._table = _table(self._expected)
            rows = keyed.get_column(ROW).cast(pl.UInt32)
            first = pl.Series(FIRST, self._table.first(keyed.get_column(KEY).to_numpy(), rows.to_numpy()))
            repeated = first != rows
            self.repeated += int(repeated.sum())
            return ~repeated, self._problems(keyed.with_columns(first).filter(repeated))
        # The rows seen that this block repeats: few, found by probing all rows seen against this block's keys
        # (a hash table of the block, not of the millions of rows seen).
        hits = self._seen.filter(pl.col(KEY).is_in(keyed.get_column(KEY).implode()))
        earlier = keyed.join(hits, on=KEY, how="left", maintain_order="left").get_column(FIRST)
        within = keyed.select(pl.col(ROW).first().over(KEY).cast(pl.UInt32)).to_series()
        first = earlier.fill_null(within)
        repeated = first != keyed.get_column(ROW).cast(pl.UInt32)
        if not repeated.any():  # the usual block
            self._remember(keyed)
            return ~repeated, self._problems(keyed.clear().with_columns(pl.lit(0, dtype=pl.UInt32).alias(FIRST)))
        self._remember(keyed.filter(~repeated))
        self.repeated += int(repeated.sum())
        return ~repeated, self._problems(keyed.with_columns(first.alias(FIRST)).filter(repeated))

    def keys(self, applicants: pl.DataFrame) -> pl.DataFrame:
        """The key (hash of id and date) and row of each applicant, as `sift` compares them: for telling apart
        repeats between parts of a dataset that were checked apart."""
        return applicants.select(pl.struct(pl.col("id"), self.day).hash(_SEED).alias(KEY),
                                 pl.col(ROW).cast(pl.UInt32).alias(FIRST))

    def _problems(self, repeats: pl.DataFrame) -> pl.DataFrame:
        """batch.ERRORS rows for repeated rows (ROW, id, day, FIRST)."""
        reason = pl.format(_("the same applicant is on row {} for {}: only that row is evaluated"), pl.col(FIRST),
                           pl.col("day"))
        # (one chunk: polars 2.1 panics formatting a filtered frame of several chunks, as a file's row groups give)
        return repeats.rechunk().select(pl.col(ROW), pl.col("id"), pl.lit(self.header).alias("column"),
                              pl.lit("id").alias("field"), pl.col("id").alias("value"), reason.alias("reason"))

    def _remember(self, new: pl.DataFrame) -> None:
        rows = new.select(KEY, pl.col(ROW).cast(pl.UInt32).alias(FIRST))
        self._seen = pl.concat([self._seen, rows], rechunk=False)


def _table(expected: int) -> SeenTable:
    from guangxi_subsidy.engine.intake.seen import SeenTable  # (numpy: imported only for the files that need it)

    return SeenTable(expected)
