"""What a batch adds up to: rows accounted for, and money per benefit and per responsible department.

Sums are kept as Python integers of fen across chunks, so a million applicants add up exactly. Per benefit: how
many applicants are eligible (and how many would be but for the date), the amount of the quantified ones, and
how many are unquantified, non-monetary or incomplete. Per department, a benefit's money is attributed to its
lead department, the first its rule lists (documents name the lead department first; the others co-operate),
and grants, relief estimates and loan quotas are kept apart as in a single evaluation's totals.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
from rich.table import Table
from rich.text import Text

from guangxi_subsidy.engine import native
from guangxi_subsidy.engine.batch.columnar import AMOUNT_KINDS, RULE, STATUSES
from guangxi_subsidy.engine.batch.layouts import BatchResult, RuleInfo
from guangxi_subsidy.engine.evaluation.outcome import (
    DRAFT,
    MONEY_TOTALS,
    QUANTIFIED,
    SHOWN,
    STATUS_WORDS,
    AmountKind,
    Status,
    contributions,
)
from guangxi_subsidy.engine.i18n import N_, _
from guangxi_subsidy.engine.money import format_yuan
from guangxi_subsidy.engine.plaintext import visible

SCHEMA = "subsidy-batch-summary/1"
_PER_RULE = (*(s.value for s in SHOWN), "quantified", "amount", "amount_min", "amount_max",
             "unquantified", "non_monetary", "incomplete")
_MONEY = ("amount", "amount_min", "amount_max")
TOTALS = MONEY_TOTALS
_KIND_OF = dict(enumerate(AMOUNT_KINDS))  # an amount's kind by its number in the outcomes' Enum
_NO_KIND = 15  # (the number of no kind: a status is counted whatever the amount)


def _yuan(fen: int) -> str:
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


@dataclass
class Summary:
    rules: list[RuleInfo]
    rows_read: int = 0
    evaluated: int = 0
    rejected: int = 0
    repeated: int = 0  # of the rejected: rows repeating an earlier applicant for the same date
    per_rule: list[dict[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.per_rule = [dict.fromkeys(_PER_RULE, 0) for _ in self.rules]

    def add(self, result: BatchResult, rows_read: int, structural_rejections: int) -> None:
        """Count one chunk: its rows, and its outcomes per rule."""
        self.rows_read += rows_read
        self.evaluated += result.evaluated
        self.rejected += result.rejected + structural_rejections
        if not result.every.height:
            return
        # Counts and sums per rule, status and kind of amount, keyed by one integer (a key of three columns would
        # be hashed row by row); the figures of each rule are added up from its groups.
        kind = pl.col("kind").to_physical().cast(pl.UInt32).fill_null(_NO_KIND)
        key = (pl.col(RULE).cast(pl.UInt32) * 256 + pl.col("status").to_physical().cast(pl.UInt32) * 16 + kind)
        groups = _tallied(result.every, key, 256 * len(self.rules))
        if groups is None:  # (no compiled pass, or an amount beyond 64 bits: polars' group-by)
            groups = list(result.every.lazy().group_by(key.alias("__key")).agg(
                pl.len().alias("rows"), pl.col("value").count().alias("given"),
                *[pl.col(n).sum().alias(n) for n in ("value", "min", "max")]).collect().iter_rows())
        for code, rows, given, value, low, high in groups:
            target = self.per_rule[code // 256]
            status, amount = STATUSES[code // 16 % 16], _KIND_OF.get(code % 16)
            target[status] += rows
            if status != Status.ELIGIBLE.value:
                continue
            if amount in QUANTIFIED:
                target["quantified"] += given
                for name in _MONEY:
                    target[name] += int(value or 0)
            elif amount == AmountKind.RANGE.value:
                target["amount_min"] += int(low or 0)
                target["amount_max"] += int(high or 0)
            elif amount in (AmountKind.UNQUANTIFIED.value, AmountKind.UP_TO.value):
                target["unquantified"] += rows
            elif amount == AmountKind.NON_MONETARY.value:
                target["non_monetary"] += rows
            elif amount == AmountKind.INCOMPLETE.value:
                target["incomplete"] += rows

    def merge(self, other: Summary) -> None:
        """Add another part's counts (of the same rules): partitions of a dataset add up exactly, in integers."""
        if [r.id for r in other.rules] != [r.id for r in self.rules]:
            raise ValueError("summaries of different rule packs or settings cannot be added")
        self.rows_read += other.rows_read
        self.evaluated += other.evaluated
        self.rejected += other.rejected
        self.repeated += other.repeated
        for mine, theirs in zip(self.per_rule, other.per_rule, strict=True):
            for name in _PER_RULE:
                mine[name] += theirs[name]

    def departments(self) -> dict[str, dict[str, int]]:
        """Money per lead department, grants, relief and loan quotas apart."""
        out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys((Status.ELIGIBLE, *TOTALS), 0))
        for info, counts in zip(self.rules, self.per_rule, strict=True):
            target = out[info.lead]
            target[Status.ELIGIBLE] += counts[Status.ELIGIBLE]
            for name, value in _shares(info, counts).items():
                target[name] += value
        return dict(sorted(out.items()))

    def totals(self, drafts: bool = False) -> dict[str, int]:
        """The in-force totals (with `drafts`: the draft documents' own)."""
        out = dict.fromkeys(TOTALS, 0)
        for info, counts in zip(self.rules, self.per_rule, strict=True):
            for name, value in _shares(info, counts, drafts).items():
                out[name] += value
        return out

    def as_json(self, source: str, engine: str, as_of: dt.date | None, include_drafts: bool,
                digest: str, version: str) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "input": source,
            "engine": engine,
            "as_of": None if as_of is None else as_of.isoformat(),
            "include_drafts": include_drafts,
            "rows": {"read": self.rows_read, "evaluated": self.evaluated, "rejected": self.rejected,
                     "repeated": self.repeated},
            "benefits": [
                {"rule_id": info.id, "name": info.name, "benefit_kind": info.benefit, "draft": info.draft,
                 "lead_department": info.lead, "departments": list(info.departments),
                 **{k: (_yuan(v) if k in _MONEY else v) for k, v in counts.items()}}
                for info, counts in zip(self.rules, self.per_rule, strict=True)
            ],
            "departments": [
                {"department": name, Status.ELIGIBLE.value: values[Status.ELIGIBLE],
                 **{k: _yuan(values[k]) for k in TOTALS}}
                for name, values in self.departments().items()
            ],
            "totals": {k: _yuan(v) for k, v in self.totals().items()},
            **({"draft_totals": {k: _yuan(v) for k, v in self.totals(drafts=True).items()}}
               if any(info.draft for info in self.rules) else {}),
            "receipt": {"engine_version": version, "rules_digest": digest},
        }

    def table(self) -> Table:
        title = _("{0:,} rows read · {1:,} evaluated · {2:,} rejected").format(
            self.rows_read, self.evaluated, self.rejected)
        if self.repeated:
            title += _(" ({0:,} repeating an earlier applicant)").format(self.repeated)
        table = Table(title=Text(title), title_justify="left")
        table.add_column(_("Benefit"), overflow="fold")
        table.add_column(_("Eligible"), justify="right")
        table.add_column(_("Amount (yuan)"), justify="right")
        table.add_column(_("Not counted"), justify="right", overflow="fold")
        for info, counts in zip(self.rules, self.per_rule, strict=True):
            if not any(counts[s] for s in SHOWN):
                continue
            amount = format_yuan(Decimal(counts["amount"]) / 100)
            if counts["amount_min"] != counts["amount"] or counts["amount_max"] != counts["amount"]:
                amount = (f"{format_yuan(Decimal(counts['amount_min']) / 100)} – "
                          f"{format_yuan(Decimal(counts['amount_max']) / 100)}")
            aside = [f"{counts[k]:,} {_(_ASIDE[k])}" for k in _ASIDE if counts[k]]
            label = Text(f"{visible(info.name)}\n{visible(info.id)}" + (_("  DRAFT") if info.draft else ""))
            table.add_row(label, f"{counts['eligible']:,}", Text(amount), Text(", ".join(aside)))
        table.add_section()
        for name, values in self.departments().items():
            if not any(values[k] for k in TOTALS):
                continue
            parts = [f"{_(_KINDS[k])} {format_yuan(Decimal(values[k]) / 100)}" for k in _KINDS if values[k]]
            label = Text(visible(name), style="bold") + Text(_(" (lead department)"))
            table.add_row(label, f"{values['eligible']:,}", "", Text("; ".join(parts)))
        totals = self.totals()
        table.add_section()
        table.add_row(Text(_("Total grants"), style="bold"), "", format_yuan(Decimal(totals["grants"]) / 100), "")
        if totals["grants_min"] != totals["grants"] or totals["grants_max"] != totals["grants"]:
            span = (f"{format_yuan(Decimal(totals['grants_min']) / 100)} – "
                    f"{format_yuan(Decimal(totals['grants_max']) / 100)}")
            table.add_row(_("Grants including ranges"), "", span, "")
        for name in ("relief_estimate", "loan_quota"):
            if totals[name]:
                table.add_row(_(_TOTAL_WORDS[name]), "", format_yuan(Decimal(totals[name]) / 100), "")
        return table


_ASIDE = {"unquantified": N_("unquantified"), "non_monetary": N_("non monetary"), "incomplete": N_("incomplete"),
          Status.EXPIRED: STATUS_WORDS[Status.EXPIRED], Status.NOT_YET_IN_FORCE: STATUS_WORDS[Status.NOT_YET_IN_FORCE]}
_KINDS = {"grants": N_("grants"), "relief_estimate": N_("relief estimate"), "loan_quota": N_("loan quota")}
_TOTAL_WORDS = {"relief_estimate": N_("Relief estimate"), "loan_quota": N_("Loan quota")}


def _tallied(every: pl.DataFrame, key: pl.Expr, groups: int) -> list[tuple[int, ...]] | None:
    """(group, outcomes, values given, sum of value, of min, of max) for each group of outcomes, added up in one
    compiled step over them (`tally` in engine/kernels/tally.c: the group numbers index the sums, no hash table
    is built); None where it cannot (no compiled passes, an amount beyond 64 bits, a group number too large)."""
    if not native.AVAILABLE:
        return None
    figures = ("value", "min", "max")
    bounds = every.select(*[pl.col(n).min().alias(f"{n}_low") for n in figures],
                          *[pl.col(n).max().alias(f"{n}_high") for n in figures]).row(0)
    if any(bound is not None and not -(1 << 63) <= bound < (1 << 63) for bound in bounds):
        return None
    columns = every.select(key.alias("key"), pl.col("value").is_not_null().alias("given"),
                           *[pl.col(n).cast(pl.Int64, wrap_numerical=True).fill_null(0) for n in figures])
    keys, given, value, low, high = (columns.to_series(i).to_numpy() for i in range(5))
    rows, given_counts = np.zeros(groups, dtype=np.int64), np.zeros(groups, dtype=np.int64)
    sums = np.zeros(6 * groups, dtype=np.uint64)
    if native.call("tally", columns.height, keys, groups, value, given, low, high, rows, given_counts, sums) < 0:
        return None
    held = np.flatnonzero(rows)
    out = []
    for group, count, values, words in zip(held.tolist(), rows[held].tolist(), given_counts[held].tolist(),
                                           sums.reshape(groups, 6)[held].tolist(), strict=True):
        sums_of = [words[2 * k] | (words[2 * k + 1] << 64) for k in range(3)]  # (two's complement, 128 bits)
        out.append((group, count, values, *(s - (1 << 128) if s >> 127 else s for s in sums_of)))
    return out


def _shares(info: RuleInfo, counts: dict[str, int], drafts: bool = False) -> dict[str, int]:
    """One benefit's part of the totals, by `outcome.contributions` (as report.totals adds them): an in-force
    document's benefit to the in-force totals, or with `drafts` a draft's to the drafts' totals."""
    out = dict.fromkeys(TOTALS, 0)
    benefit = info.benefit if drafts == info.draft else DRAFT
    figures = {"value": counts["amount"], "min": counts["amount_min"] - counts["amount"],
               "max": counts["amount_max"] - counts["amount"]}
    for kind, figure_of in ((AmountKind.EXACT, "value"), (AmountKind.RANGE, None)):
        for name, figure in contributions(benefit, kind).items():
            if figure is not None:
                out[name] += figures[figure if figure_of is None else figure_of]
    return out
