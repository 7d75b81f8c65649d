"""Blanks in the "already received / already used" fields: what they hold back, and reading them as none.

Unknown is not zero: a firm that leaves 已享受贴息贷款额度 blank is not told it has used none of its quota, so the
rule that needs the quota unused does not hold for it. But the person must be told which blank holds back which
benefit, and what it is worth: the batch decides such rows a second time with those blanks read as none (0, or
否), and a benefit that then pays more is money at stake for the blank. `subsidy batch --assume-none-received`
takes that second reading as the result itself, and every result so computed is marked as assumed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterator
from typing import TYPE_CHECKING

import polars as pl

from guangxi_subsidy.engine.applicant.fieldtable import BY_NAME, FACTS, FLAG
from guangxi_subsidy.engine.batch.evaluator import ERRORS, Admitted, Evaluator
from guangxi_subsidy.engine.batch.layouts import BatchResult
from guangxi_subsidy.engine.batch.narrowed import narrowed
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.money import format_yuan

if TYPE_CHECKING:
    from guangxi_subsidy.engine.applicant.profile import Profile

ASSUMED = "assumed"  # the fields read as none, per row (joined by ",")
STAKES: dict[str, pl.DataType] = {ROW: pl.Int64(), "rule_id": pl.String(), ASSUMED: pl.String(),
                                  "value": pl.Decimal(38, 2)}


@functools.cache
def received_fields() -> tuple[str, ...]:
    """The fields that say what an applicant has already received or used (an award, years of a subsidy, a loan
    quota): the facts a person most often leaves blank because the answer is "none"."""
    return tuple(f.name for f in FACTS if "_received" in f.name or f.name.endswith("_quota_used"))


def assumed_rows(applicants: pl.DataFrame, columns: Collection[str]) -> pl.DataFrame:
    """Per row with a blank in a received field the file has a column for: the row and the fields left blank
    (ROW, ASSUMED)."""
    present = [f for f in received_fields() if f in applicants.columns and f in columns]
    if not present or not applicants.height:
        return pl.DataFrame(schema={ROW: pl.Int64, ASSUMED: pl.String})
    blanks = pl.concat_list([pl.when(pl.col(f).is_null()).then(pl.lit(f)) for f in present]).list.drop_nulls()
    return (applicants.select(pl.col(ROW), blanks.list.join(",").alias(ASSUMED))
            .filter(pl.col(ASSUMED) != ""))


def none_received(applicants: pl.DataFrame, columns: Collection[str]) -> pl.DataFrame:
    """The rows with every blank received field (of the file's columns) read as none: 否 for a yes/no, 0 for a
    number."""
    present = [f for f in received_fields() if f in applicants.columns and f in columns]
    return applicants.with_columns(
        pl.col(f).fill_null(False if applicants.schema[f] == pl.Boolean else 0) for f in present)


def profile_none_received(profile: Profile, columns: Collection[str]) -> Profile:
    """A profile (the reference engine's) with its blank received fields read as none."""
    blank = [f for f in received_fields() if f in columns and getattr(profile, f) is None]
    return profile.model_copy(update={f: _none(f) for f in blank}) if blank else profile


def _none(name: str) -> bool | int:
    return False if BY_NAME[name].kind == FLAG else 0


def stakes(plain: pl.DataFrame, assumed: pl.DataFrame, blanks: pl.DataFrame) -> pl.DataFrame:
    """The benefits (long frames: ROW, rule_id, status, value) that pay with the blanks read as none and not, or
    less, without: ROW, rule_id, the fields left blank, and the amount at stake."""
    if not blanks.height or not assumed.height:
        return pl.DataFrame(schema=STAKES)
    eligible = pl.col("status") == "eligible"
    before = plain.filter(eligible).select(ROW, "rule_id", pl.col("value").alias("before"),
                                           pl.lit(True).alias("held"))
    after = assumed.filter(eligible & pl.col(ROW).is_in(blanks[ROW].implode())).select(ROW, "rule_id", "value")
    joined = after.join(before, on=[ROW, "rule_id"], how="left").filter(
        pl.col("held").is_null() | (pl.col("value").fill_null(0) > pl.col("before").fill_null(0)))
    return joined.join(blanks, on=ROW, how="inner").select(ROW, "rule_id", ASSUMED, "value")


def decide(evaluator: Evaluator, admitted: list[Admitted], columns: Collection[str], assume: bool,
           at_stake: bool) -> tuple[BatchResult, pl.DataFrame | None, pl.DataFrame | None, list[Admitted]]:
    """A batch decided, with the blanks in received fields read as none when `assume` (and the rows so read),
    or, when `at_stake`, as given and then again read as none, for the money they hold back; and the rows as
    decided (a second side, a reform, decides the same)."""
    if not (assume or at_stake):
        return evaluator.decide(admitted), None, None, admitted
    blanks = assumed_rows(pl.concat([a.applicants for a in admitted]), columns)
    if assume:
        filled = [_filled(a, columns) for a in admitted] if blanks.height else admitted
        decided = evaluator.decide(filled)
        return decided, _bearing(blanks, decided.benefits, evaluator), None, filled
    decided = evaluator.decide(admitted)
    if not blanks.height:
        return decided, None, None, admitted
    # decided again a slice at a time, each slice's blank rows filled only then, so that the second reading adds
    # little to the batch's memory (their refusals are the first decision's: not counted again)
    # (each slice's lines kept only where they pay: all the comparison reads; the batch's every line twice would
    # otherwise be held at once)
    # (only the columns compared are made, not the whole long layout: fewer texts held while the batch is decided)
    # (only the rules that read a received field are decided again, narrowed.py, for the rows the first decision
    # admitted: a row it refused for another rule's amount is decided again whole, as that rule refuses it again)
    paying = pl.col("status") == "eligible"
    compared = (ROW, "rule_id", "status", "value")
    narrow = _narrowed(evaluator)
    refused = pl.concat([a.applicants.select(ROW) for a in admitted]).filter(
        ~pl.col(ROW).is_in(decided.applicants.get_column(ROW).implode())).get_column(ROW)
    whole = blanks.filter(pl.col(ROW).is_in(refused.implode())) if narrow is not None else blanks
    again = [evaluator.decide([piece]).lines(compared).filter(paying) for piece in _slices(admitted, whole, columns)]
    if narrow is not None:
        again += [narrow.decide([piece]).lines(compared).filter(paying)
                  for piece in _slices(admitted, blanks.filter(~pl.col(ROW).is_in(refused.implode())), columns)]
        if whole.height:  # (both kinds of row: back in the order of one decision, by row, then by rule)
            again = [pl.concat(again).sort(ROW, pl.col("rule_id").replace_strict(evaluator.plan.numbers,
                                                                                 return_dtype=pl.UInt32))]
    plain = decided.lines(compared)
    found = stakes(plain, pl.concat(again) if again else plain.clear(), blanks)
    reads = _reads(evaluator)
    read = [",".join(f for f in fields.split(",") if f in reads[rule]) or fields
            for rule, fields in zip(found["rule_id"], found[ASSUMED], strict=True)]
    return decided, None, found.with_columns(pl.Series(ASSUMED, read, dtype=pl.String)), admitted


_NO_PROBLEMS = pl.DataFrame(schema=ERRORS)
SLICE = 10_000  # rows decided at once for the money at stake


def _slices(admitted: list[Admitted], blanks: pl.DataFrame, columns: Collection[str]) -> Iterator[Admitted]:
    """The rows with blanks, SLICE rows of the batch at a time, their blanks read as none."""
    rows = blanks[ROW].implode()
    for block in admitted:
        for start in range(0, block.applicants.height, SLICE):
            part = block.applicants.slice(start, SLICE)
            keep = part[ROW].is_in(rows)
            if not keep.any():
                continue
            profiles = None if block.profiles is None else \
                [p for p, k in zip(block.profiles[start:start + SLICE], keep, strict=True) if k]
            yield _filled(Admitted(part.filter(keep), _NO_PROBLEMS, profiles), columns)


@functools.cache
def _narrowed(evaluator: Evaluator) -> Evaluator | None:
    return narrowed(evaluator, received_fields())


@functools.cache
def _reads_of(evaluator: Evaluator) -> dict[str, frozenset[str]]:
    return {rule.id: frozenset(rule.fields_read()) for rule in evaluator.pack.rules.values()}


def _reads(evaluator: Evaluator) -> dict[str, frozenset[str]]:
    """The fields each rule reads (computed once per evaluator: a rule's set is built from its trees)."""
    return _reads_of(evaluator)


def _bearing(blanks: pl.DataFrame, benefits: pl.DataFrame, evaluator: Evaluator) -> pl.DataFrame:
    """Of each row's blanks read as none, those a benefit shown for it reads: the results they went into."""
    if not blanks.height:
        return blanks
    reads = _reads(evaluator)
    shown = benefits.filter(pl.col(ROW).is_in(blanks[ROW].implode())).group_by(ROW).agg(pl.col("rule_id"))
    read = {row: set().union(*(reads[r] for r in ids)) for row, ids in shown.iter_rows()}
    kept = [(row, ",".join(f for f in fields.split(",") if f in read.get(row, ())))
            for row, fields in blanks.iter_rows()]
    return pl.DataFrame(kept, schema=blanks.schema, orient="row").filter(pl.col(ASSUMED) != "")


def _filled(admitted: Admitted, columns: Collection[str]) -> Admitted:
    profiles = None if admitted.profiles is None else [profile_none_received(p, columns) for p in admitted.profiles]
    return Admitted(none_received(admitted.applicants, columns), admitted.errors, profiles)


def notes(result: BatchResult, assumed: pl.DataFrame | None, at_stake: pl.DataFrame | None,
          header_of: Callable[[str], str]) -> pl.DataFrame:
    """Lines for the errors and notes file: each blank read as none, and each blank that holds money back, with
    the field, the benefit and the amount (in the errors file's shape: row, id, column, field, value, reason)."""
    named = [frame[ROW].cast(pl.Int64) for frame in (assumed, at_stake) if frame is not None and frame.height]
    if not named:  # the usual batch: no note, and no id looked up (a dict of every id costs a batch more than its
        return _NO_PROBLEMS  # compiled writing does)
    wanted = result.applicants.filter(pl.col(ROW).is_in(pl.concat(named).implode()))
    ids = dict(zip(wanted[ROW].to_list(), wanted["id"].to_list(), strict=True))
    names = {info.id: info.name for info in result.rules}
    lines: list[tuple[object, ...]] = []
    for row, fields in (assumed.iter_rows() if assumed is not None else []):
        for name in fields.split(","):
            lines.append((row, ids.get(row), header_of(name), name, "",
                          _("left blank: read as none received (assumed)")))
    for item in (at_stake.iter_rows(named=True) if at_stake is not None else []):
        worth = _("not quantified") if item["value"] is None else format_yuan(item["value"])
        for name in item[ASSUMED].split(","):
            lines.append((item[ROW], ids.get(item[ROW]), header_of(name), name, "",
                          _("left blank: {0} would pay {1} yuan if none was received").format(
                              names.get(item["rule_id"], item["rule_id"]), worth)))
    return pl.DataFrame(lines, schema=ERRORS, orient="row")
