"""A batch evaluated twice, baseline and alternative (a reform, or another date), with the difference per applicant.

The file is read and admitted once; each batch of admitted applicants is decided by the baseline's plan and by
the alternative's (a reformed pack is compiled by the same columnar plan, so both run at batch speed). The
alternative's results are written beside the baseline's, in the same shape; a third file gives, per applicant,
the totals on each side, their difference and the benefits whose outcome changed. The summary adds, per
benefit and per lead department, the money on each side, and counts the applicants who gain, lose or are
unchanged (by quantified grants and relief estimates together) and by how much.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from rich.table import Table

from guangxi_subsidy.engine.batch.columnar import INDEX, OUTCOME, RULE
from guangxi_subsidy.engine.batch.commit import Outputs
from guangxi_subsidy.engine.batch.evaluator import Admitted, Evaluator
from guangxi_subsidy.engine.batch.layouts import MONEY, TOTALS, BatchResult, _money
from guangxi_subsidy.engine.batch.sinks import AtomicOutput
from guangxi_subsidy.engine.batch.summary import Summary
from guangxi_subsidy.engine.evaluation.outcome import GRANT_KINDS, LOAN_KINDS, RELIEF_KINDS, Status
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.money import format_yuan
from guangxi_subsidy.engine.rules.pack import RulePack

SIDES = ("grants", "relief_estimate", "loan_quota")
_COMPARED = ("status", "kind", "value", "min", "max", "missing")


def _yuan(fen: int) -> str:
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def _fen(value: Any) -> int:
    return int(Decimal(value) * 100)


def _signed(fen: int) -> str:
    return ("+" if fen > 0 else "") + format_yuan(Decimal(fen) / 100)


@dataclass
class Movement:
    """Applicants who gain, lose or keep the same money (quantified grants and relief estimates together; loan
    quotas are not money given), and how much moves."""

    gain: int = 0
    lose: int = 0
    unchanged: int = 0
    changed_benefits: int = 0  # applicants with any benefit's outcome changed
    gained: int = 0  # fen
    lost: int = 0  # fen (positive)
    largest_gain: int = 0
    largest_loss: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"measured_by": "grants + relief_estimate", "gain": self.gain, "lose": self.lose,
                "unchanged": self.unchanged,
                "benefits_changed": self.changed_benefits, "gained": _yuan(self.gained), "lost": _yuan(self.lost),
                "largest_gain": _yuan(self.largest_gain), "largest_loss": _yuan(self.largest_loss),
                "net": _yuan(self.gained - self.lost)}


@dataclass
class Alternative:
    """The second side of a batch: its evaluator, its outputs, its summary and the movement between the two."""

    kind: str  # reform | as_of
    label: str  # the reform's name, or the date
    evaluator: Evaluator
    detail: dict[str, Any] = field(default_factory=dict)  # what the summary says of the scenario
    same: frozenset[str] = frozenset()  # rules known to decide alike on both sides
    summary: Summary = field(init=False)
    movement: Movement = field(default_factory=Movement)

    def __post_init__(self) -> None:
        self.summary = Summary(self.evaluator.rules)
        self._partial = self._partly(self.evaluator)
        self._results: AtomicOutput | None = None
        self._difference: AtomicOutput | None = None
        self._writer: Any = None
        self._header: pl.DataFrame | None = None
        self._errors: AtomicOutput | None = None
        self.refused = 0  # applicants the baseline evaluated and the alternative rejected (in its errors file)
        self._unpriced: Summary | None = None  # the baseline's outcomes of those: not compared with anything

    def _partly(self, evaluator: Evaluator) -> Evaluator | None:
        """An evaluator of the rules that may decide otherwise, when the others are known to decide alike: only
        those are decided again, the others' outcomes are the baseline's."""
        if not self.same or evaluator.engine != "columnar":
            return None
        changed = [r for r in evaluator.plan.rules if r.id not in self.same]
        plan = evaluator.plan
        return Evaluator(dataclasses.replace(evaluator.pack, rules={r.id: r for r in changed}), as_of=plan.as_of,
                         include_drafts=plan.include_drafts, today=plan.today, wide=evaluator.wide)

    def _rebuilt(self, wide: bool) -> None:
        """The evaluators again when the run computes wide cells otherwise than they were made to: the two
        sides' outcome frames must have the same columns."""
        if self.evaluator.wide == wide:
            return
        plan = self.evaluator.plan
        self.evaluator = Evaluator(self.evaluator.pack, as_of=plan.as_of, include_drafts=plan.include_drafts,
                                   engine=self.evaluator.engine, today=plan.today, wide=wide)
        self._partial = self._partly(self.evaluator)

    def open(self, outputs: Outputs, results: Path, difference: Path, fmt: str, layout: str, wide_lines: bool
             ) -> None:
        self.results_path, self.difference_path, self.layout = results, difference, layout
        self._rebuilt(layout == "wide" and not wide_lines)
        self._results = outputs.open(results, fmt, ("id", "name"))
        self._difference = outputs.open(difference, fmt, ("id", "name"))
        self.errors_path = errors_of(results)
        self._errors = outputs.open(self.errors_path, "csv", ("id", "column", "value"))
        if wide_lines:
            from guangxi_subsidy.engine.batch.widecsv import WideWriter

            self._writer = WideWriter(self.evaluator.rules)
            self._header = self.evaluator.empty().results

    def decide(self, admitted: list[Admitted], base: BatchResult | None = None) -> BatchResult:
        """The alternative's result for the applicants admitted; given the baseline's, only the rules that may
        decide otherwise are evaluated, and the rest taken from it."""
        if self._partial is None or base is None:
            return self.evaluator.decide(admitted)
        decided = self._partial.decide(admitted)
        if decided.evaluated != base.evaluated:  # rows the alternative rejected: the baseline's aligned to the rest
            base = _restricted(base, decided.applicants.get_column(ROW))
        fresh = {info.id: frame for info, frame in zip(decided.rules, decided.outcomes, strict=True)}
        kept = {info.id: frame for info, frame in zip(base.rules, base.outcomes, strict=True)}
        frames = []
        for number, info in enumerate(self.evaluator.rules):
            frame = fresh[info.id] if info.id in fresh else kept[info.id]
            if frame.height and frame.item(0, RULE) != number:  # numbered as the alternative's plan numbers rules
                frame = frame.with_columns(pl.lit(number, dtype=pl.UInt16).alias(RULE))
            frames.append(frame)
        return BatchResult(self.evaluator.rules, decided.applicants, frames, decided.errors)

    def publish(self, base: BatchResult, other: BatchResult, rows: int, structural: int) -> None:
        """Write one batch's alternative results and differences, and count them (on the writing thread)."""
        assert self._results is not None and self._difference is not None and self._errors is not None
        refused = other.errors.filter(~pl.col(ROW).is_in(base.errors.get_column(ROW).implode()))
        if refused.height:  # rejected on this side only: listed, and left out of the comparison
            self._errors.write(refused)
            self.refused += refused.get_column(ROW).n_unique()
            if self._unpriced is None:
                self._unpriced = Summary(base.rules)
            self._unpriced.add(_restricted(base, refused.get_column(ROW)), 0, 0)
            base = _restricted(base, other.applicants.get_column(ROW))
        lines = None if self._writer is None else self._writer.lines(other)
        if lines is not None:
            assert self._header is not None
            self._results.write_lines(lines, other.evaluated, self._header)
        else:
            pieces: Iterable[pl.DataFrame] = other.wide_slices(15_000) if self.layout == "wide" else [other.benefits]
            for piece in pieces:
                self._results.write(piece)
        difference = self.tally(base, other, rows, structural)
        if difference.height:
            self._difference.write(difference)

    def tally(self, base: BatchResult, other: BatchResult, rows: int, structural: int) -> pl.DataFrame:
        """Count one batch on this side (its summary and the movement) and give its differences, for a caller
        that writes them itself (the results workbook's 差异 sheet)."""
        self.summary.add(other, rows, structural)
        difference = differences(base, other, self.same)
        self._count(difference, base.evaluated)
        return difference

    def finish(self) -> None:
        """Name the columns of outputs that received no rows."""
        assert self._results is not None and self._difference is not None
        empty = self.evaluator.empty()
        if not self._results.rows:
            self._results.write_header(empty.results if self.layout == "wide" else empty.benefits)
        if not self._difference.rows:
            self._difference.write_header(_no_difference())
        if self._errors is not None and not self._errors.rows:
            self._errors.write_header(empty.errors)

    def _count(self, difference: pl.DataFrame, evaluated: int) -> None:
        d = difference.get_column("grants_difference") + difference.get_column("relief_estimate_difference")
        changed = difference.get_column("benefits_changed").str.len_bytes() > 0
        gains, losses = d.filter(d > 0), d.filter(d < 0)
        m = self.movement
        m.gain += gains.len()
        m.lose += losses.len()
        m.unchanged += evaluated - gains.len() - losses.len()
        m.changed_benefits += int(changed.sum())
        m.gained += _fen(gains.sum()) if gains.len() else 0
        m.lost -= _fen(losses.sum()) if losses.len() else 0
        if gains.len():
            m.largest_gain = max(m.largest_gain, _fen(gains.max()))
        if losses.len():
            m.largest_loss = max(m.largest_loss, -_fen(losses.min()))

    def as_json(self, baseline: Summary, source: str, engine: str, as_of: dt.date | None, include_drafts: bool,
                version: str) -> dict[str, Any]:
        """The scenario's part of the batch summary: both sides per benefit and department, and the movement."""
        day = self.evaluator.plan.as_of or as_of
        other = self.summary.as_json(source, engine, day, include_drafts, self.evaluator.pack.digest, version)
        base = {b["rule_id"]: b for b in baseline.as_json(source, engine, as_of, include_drafts, "", "")["benefits"]}
        mine = {b["rule_id"]: b for b in other["benefits"]}
        unpriced = self._unpriced_amounts()
        benefits = []
        for rule_id in [*base, *[k for k in mine if k not in base]]:
            a, b = base.get(rule_id), mine.get(rule_id)
            amount_a = Decimal(a["amount"]) if a else Decimal(0)
            amount_b = Decimal(b["amount"]) if b else Decimal(0)
            compared_a = amount_a - Decimal(unpriced.get(rule_id, 0)) / 100
            benefits.append({
                "rule_id": rule_id, "name": (b or a or {}).get("name"),
                "lead_department": (b or a or {}).get("lead_department"),
                "baseline": {Status.ELIGIBLE: a[Status.ELIGIBLE] if a else 0, "amount": str(amount_a)},
                "alternative": {Status.ELIGIBLE: b[Status.ELIGIBLE] if b else 0, "amount": str(amount_b)},
                "difference": str(amount_b - compared_a),
                "in_baseline": a is not None, "in_alternative": b is not None,
            })
        departments = _sides(baseline.departments(), self.summary.departments())
        left_out = self._unpriced.totals() if self._unpriced is not None else {}
        totals = {k: {"baseline": _yuan(v), "alternative": _yuan(self.summary.totals()[k]),
                      "difference": _yuan(self.summary.totals()[k] - (v - left_out.get(k, 0)))}
                  for k, v in baseline.totals().items()}
        return {"kind": self.kind, "label": self.label, **self.detail,
                "outputs": {"results": str(self.results_path), "differences": str(self.difference_path),
                            "errors": str(self.errors_path)},
                # differences compare the applicants decided on both sides: those the alternative rejected
                # are in its errors file, with what the baseline gave them, and count as neither gain nor loss
                "rejected_here": {"applicants": self.refused, "baseline": {k: _yuan(v) for k, v in left_out.items()}},
                "benefits": benefits, "departments": departments, "totals": totals,
                "applicants": self.movement.as_json(), "summary": other}

    def _unpriced_amounts(self) -> dict[str, int]:
        """Per rule, the baseline's money (fen) for the applicants this side rejected."""
        if self._unpriced is None:
            return {}
        return {info.id: counts["amount"] for info, counts in zip(self._unpriced.rules, self._unpriced.per_rule,
                                                                   strict=True)}

    def table(self, baseline: Summary) -> Table:
        table = Table(title=_("Baseline against {label}").format(label=self.label), title_justify="left")
        for name, justify in ((_("Benefit"), "left"), (_("Baseline (yuan)"), "right"),
                              (_("Alternative (yuan)"), "right"), (_("Difference"), "right")):
            table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
        base = {info.id: (info, c) for info, c in zip(baseline.rules, baseline.per_rule, strict=True)}
        unpriced = self._unpriced_amounts()
        mine = {info.id: (info, c) for info, c in zip(self.summary.rules, self.summary.per_rule, strict=True)}
        for rule_id in [*base, *[k for k in mine if k not in base]]:
            a, b = base.get(rule_id), mine.get(rule_id)
            fa, fb = (a[1]["amount"] if a else 0), (b[1]["amount"] if b else 0)
            if not (fa or fb or (a and a[1][Status.ELIGIBLE]) or (b and b[1][Status.ELIGIBLE])):
                continue
            info = (b or a)[0]  # type: ignore[index]
            table.add_row(f"{info.name}\n{info.id}", format_yuan(Decimal(fa) / 100), format_yuan(Decimal(fb) / 100),
                          _signed(fb - fa + unpriced.get(rule_id, 0)))
        table.add_section()
        for name, sides in _sides(baseline.departments(), self.summary.departments()).items():
            if sides["baseline"]["grants"] != "0.00" or sides["alternative"]["grants"] != "0.00":
                a_, b_ = Decimal(sides["baseline"]["grants"]), Decimal(sides["alternative"]["grants"])
                table.add_row(_("{name} (lead department)").format(name=name), format_yuan(a_), format_yuan(b_),
                              _signed(int((b_ - a_) * 100)))
        table.add_section()
        ta, tb = baseline.totals()["grants"], self.summary.totals()["grants"]
        left_out = self._unpriced.totals()["grants"] if self._unpriced is not None else 0
        table.add_row(_("Total grants"), format_yuan(Decimal(ta) / 100), format_yuan(Decimal(tb) / 100),
                      _signed(tb - ta + left_out))
        m = self.movement
        table.add_row(_("Applicants: {gain:,} gain (+{gained}), {lose:,} lose (−{lost}), {same:,} unchanged").format(
            gain=m.gain, gained=format_yuan(Decimal(m.gained) / 100), lose=m.lose,
            lost=format_yuan(Decimal(m.lost) / 100), same=m.unchanged), "", "", "")
        if self.refused:
            table.add_row(_("{count:,} applicants rejected by the alternative (in {path}): not compared").format(
                count=self.refused, path=self.errors_path.name), "", "", "")
        return table


def errors_of(results: Path) -> Path:
    """The alternative's errors file, beside its results: R.reform.csv → R.reform.errors.csv."""
    return results.with_name(f"{results.stem}.errors.csv")


def _restricted(result: BatchResult, rows: pl.Series) -> BatchResult:
    """The result for the applicants of these row numbers only, numbered again from 0 in the same order (so
    that it lines up with the other side's result for the same applicants)."""
    keep = result.applicants.get_column(ROW).is_in(rows.implode())
    old = pl.Series(INDEX, range(result.applicants.height), dtype=pl.UInt32).filter(keep)
    renumber = pl.DataFrame({INDEX: old, "new": pl.Series(range(old.len()), dtype=pl.UInt32)})
    outcomes = [frame.join(renumber, on=INDEX, how="inner", maintain_order="left").drop(INDEX)
                .rename({"new": INDEX}).select(frame.columns) for frame in result.outcomes]
    return BatchResult(result.rules, result.applicants.filter(keep), outcomes, result.errors)


def _sides(a: dict[str, dict[str, int]], b: dict[str, dict[str, int]]) -> dict[str, Any]:
    names = sorted(set(a) | set(b))
    zero = dict.fromkeys((Status.ELIGIBLE.value, *TOTALS), 0)
    return {n: {"baseline": {k: (_yuan(v) if k != Status.ELIGIBLE else v) for k, v in a.get(n, zero).items()},
                "alternative": {k: (_yuan(v) if k != Status.ELIGIBLE else v) for k, v in b.get(n, zero).items()}}
            for n in names}


def differences(base: BatchResult, other: BatchResult, same: frozenset[str] = frozenset()) -> pl.DataFrame:
    """One row per applicant whose outcomes differ: each side's totals (as `report.totals` divides them), the
    difference, and the benefits whose outcome changed. Applicants not listed are the same on both sides.
    Rules are matched by id (a reform may add or repeal some); those in `same` are known to decide alike (a
    reform left them and what they require untouched) and are not compared."""
    found = []
    mine = {info.id: frame for info, frame in zip(other.rules, other.outcomes, strict=True)}
    theirs = {info.id: frame for info, frame in zip(base.rules, base.outcomes, strict=True)}
    for rule_id in [*theirs, *[k for k in mine if k not in theirs]]:
        if rule_id in same:
            continue
        a, b = (side.get(rule_id) for side in (theirs, mine))
        a = _EMPTY if a is None else a.select(INDEX, *_COMPARED)
        b = _EMPTY if b is None else b.select(INDEX, *_COMPARED)
        joined = a.join(b, on=INDEX, how="full", coalesce=True, suffix="_b")
        differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_b")) for c in _COMPARED)
        changed = joined.filter(differs).select(INDEX, pl.lit(rule_id).alias("rule_id"))
        if changed.height:
            found.append(changed)
    if not found:
        return _no_difference()
    changed = pl.concat(found)
    lists = changed.group_by(INDEX).agg(pl.col("rule_id").sort().str.join(" ").alias("list"))
    who = lists.get_column(INDEX).implode()
    sums = [_shares(result).filter(pl.col(INDEX).is_in(who)).group_by(INDEX).agg(
        *[pl.col(n).sum().alias(f"{n}_{label}") for n in SIDES]) for result, label in
        ((base, "baseline"), (other, "alternative"))]
    rows = lists.lazy().join(sums[0], on=INDEX, how="left").join(sums[1], on=INDEX, how="left") \
        .sort(INDEX).collect()
    money = []
    for name in SIDES:
        a_, b_ = (pl.col(f"{name}_{label}").fill_null(0) for label in ("baseline", "alternative"))
        money += [_money(a_).alias(f"{name}_baseline"), _money(b_).alias(f"{name}_alternative"),
                  _money(b_ - a_).alias(f"{name}_difference")]
    people = base.applicants.select(ROW, "id", "name")[rows.get_column(INDEX)]
    return pl.concat([people, rows.select(*money, pl.col("list").alias("benefits_changed"))], how="horizontal")


_EMPTY = pl.DataFrame(schema={k: v for k, v in OUTCOME.items() if k != RULE})


def _no_difference() -> pl.DataFrame:
    columns: dict[str, Any] = {ROW: pl.Int64, "id": pl.String, "name": pl.String}
    for name in SIDES:
        columns.update({f"{name}_{s}": MONEY for s in ("baseline", "alternative", "difference")})
    columns["benefits_changed"] = pl.String
    return pl.DataFrame(schema=columns)


def unchanged_rules(baseline: RulePack, reformed: RulePack) -> frozenset[str]:
    """Rules a reform left as they were, with every derived fact they require: they decide alike."""
    def same(rule_id: str, seen: frozenset[str] = frozenset()) -> bool:
        old = baseline.rules.get(rule_id) or baseline.derived.get(rule_id)
        new = reformed.rules.get(rule_id) or reformed.derived.get(rule_id)
        return old is not None and old is new and all(same(r, seen | {rule_id}) for r in new.requires
                                                      if r not in seen)
    return frozenset(rule_id for rule_id in baseline.rules if same(rule_id))


def _shares(result: BatchResult) -> pl.LazyFrame:
    """A side's long frame with, per outcome, what it adds to each of the applicant's in-force totals, in fen
    (a draft's benefit adds to none of them, as `outcome.contributions` has it)."""
    benefit = pl.lit(pl.Series([r.benefit for r in result.rules], dtype=pl.String)).gather(pl.col(RULE))
    draft = pl.lit(pl.Series([r.draft for r in result.rules], dtype=pl.Boolean)).gather(pl.col(RULE))
    quantified = (pl.col("status") == pl.lit(Status.ELIGIBLE.value)) & pl.col("kind").is_in(["exact", "estimate"]) \
        & pl.col("value").is_not_null() & ~draft
    return result.every.lazy().select(
        pl.col(INDEX),
        *[pl.when(quantified & benefit.is_in(list(kinds))).then(pl.col("value")).otherwise(0).alias(name)
          for name, kinds in (("grants", GRANT_KINDS), ("relief_estimate", RELIEF_KINDS),
                              ("loan_quota", LOAN_KINDS))],
    )
