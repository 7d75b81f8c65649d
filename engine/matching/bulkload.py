"""The profiles of a chunk of applicants on a date, read in bulk (a few queries per chunk, into polars frames),
with the receipt of each: the key, version, table and source kind of each fact taken, and the awards counted.

The same choice of facts as one applicant's profile (`profiles.applying`, which `register.bulk.applying` mirrors
in columns) and the same ledger fields (`register.bulk` computes their values in columns; the keys of the awards
they counted come from `ledger.derive` itself, for the few applicants holding awards). What `load.build` gives
one applicant at a time, this gives for tens of thousands at once, for the columnar match (`bulkrun`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.matching.load import _award
from guangxi_subsidy.engine.register.bulk import AWARDS, _with_ledger
from guangxi_subsidy.engine.register.ledger import GRANTED, AwardView, derive
from guangxi_subsidy.engine.register.tables import Applicant, Award, Fact, PersonalFact

FACT_ROWS = {"key": pl.Int64, "pk": pl.Int64, "field": pl.String, "value": pl.String, "start": pl.Date,
             "end": pl.Date, "version": pl.Int64, "source_kind": pl.String, "personal": pl.Boolean}


@dataclass(frozen=True)
class Chunk:
    """Applicants of one chunk: a range of keys (a full run), or a list of keys (an incremental one)."""

    low: int
    high: int
    keys: tuple[int, ...] | None = None

    def where(self, column: Any) -> ColumnElement[bool]:
        return column.in_(self.keys) if self.keys is not None else column.between(self.low, self.high)


@dataclass(frozen=True)
class Profiles:
    """A chunk's profiles as text cells (a row per applicant, in key order) and each one's receipt."""

    pks: list[int]
    refs: list[str]
    cells: pl.DataFrame  # Profile's fields, as a profile file holds them
    facts: list[str]  # the snapshot's JSON of the facts read, per applicant
    awards: list[str]  # the snapshot's JSON of the awards counted, per applicant


def applying(facts: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """The fact of each applicant's field that applies on `day`, with its key, version, table and source kind
    (`profiles.applying`: the latest version per period; covering the day, then standing, then the latest past;
    the latest start, then the narrowest)."""
    latest = facts.sort("version").group_by(["pk", "field", "start", "end"], maintain_order=True).last()
    live = latest.filter(pl.col("start").is_null() | (pl.col("start") <= day))
    rank = pl.when(pl.col("start").is_null()).then(1).when(pl.col("end") >= day).then(2).otherwise(0)
    return live.with_columns(rank=rank, since=pl.col("start").fill_null(dt.date.min),
                             until=pl.col("end").fill_null(dt.date.min)).sort(
        ["rank", "since", "until"], descending=[False, False, True], maintain_order=True).group_by(
        ["pk", "field"], maintain_order=True).last()


def _fact_rows(session: Session, chunk: Chunk) -> pl.DataFrame:
    rows: list[Any] = []
    for table, personal in ((Fact, False), (PersonalFact, True)):
        query = select(table.pk, table.applicant_pk, table.field, table.value, table.period_start,
                       table.period_end, table.version, table.source_kind).where(chunk.where(table.applicant_pk))
        rows.extend((*row, personal) for row in session.execute(query))
    return pl.DataFrame(rows, schema=FACT_ROWS, orient="row")


def _award_rows(session: Session, chunk: Chunk, day: dt.date) -> tuple[pl.DataFrame, dict[int, list[AwardView]]]:
    """The awards granted by `day` in columns (for the ledger's values), and every award by applicant (for
    `ledger.derive`, which names the ones counted)."""
    views: dict[int, list[AwardView]] = defaultdict(list)
    granted: list[tuple[Any, ...]] = []
    for award in session.scalars(select(Award).where(chunk.where(Award.applicant_pk))):
        views[award.applicant_pk].append(_award(award))
        if award.status in GRANTED and award.decision_date <= day:
            granted.append((award.applicant_pk, award.rule_id, award.period_start, award.period_end,
                            award.amount_fen, award.quota_fen))
    return pl.DataFrame(granted, schema=AWARDS, orient="row"), views


def load_chunk(session: Session, chunk: Chunk, day: dt.date) -> Profiles:
    """The profiles of the chunk's applicants (those not forgotten) on `day`, with their receipts."""
    people = session.execute(select(Applicant.pk, Applicant.ref, Applicant.kind, Applicant.city).where(
        chunk.where(Applicant.pk), Applicant.forgotten_at.is_(None)).order_by(Applicant.pk)).all()
    frame = pl.DataFrame(people, schema={"pk": pl.Int64, "id": pl.String, "kind": pl.String, "city": pl.String},
                         orient="row")
    chosen = applying(_fact_rows(session, chunk), day)
    names = [n for n in Profile.model_fields if n not in ("id", "kind")]
    shown = chosen.filter(~pl.col("field").is_in(["id", "kind", "as_of"]))
    if shown.height:
        wide = shown.pivot(on="field", index="pk", values="value")
        frame = frame.join(wide.rename({c: f"{c}·fact" for c in wide.columns if c != "pk"}), on="pk", how="left")
    columns: list[pl.Expr] = [pl.col("pk"), pl.col("id"), pl.col("kind")]
    for name in names:
        fact = pl.col(f"{name}·fact") if f"{name}·fact" in frame.columns else pl.lit(None, pl.String)
        if name == "city":
            columns.append(pl.coalesce(fact, pl.col("city")).alias("city"))
        elif name == "as_of":
            columns.append(pl.lit(day.isoformat()).alias("as_of"))
        else:
            columns.append(fact.alias(name))
    granted, views = _award_rows(session, chunk, day)
    cells = _with_ledger(frame.select(columns), granted, day)
    pks = cells.get_column("pk").to_list()
    kinds = dict(zip(pks, cells.get_column("kind").to_list(), strict=True))
    return Profiles(pks, cells.get_column("id").to_list(), cells.select(list(Profile.model_fields)),
                    _facts_json(chosen, pks), [_awards_json(views.get(pk, []), day, kinds[pk]) for pk in pks])


def _facts_json(chosen: pl.DataFrame, pks: list[int]) -> list[str]:
    """Per applicant, `{field: [fact key, version, personal, source kind]}` in field order (as `run` writes it)."""
    read: dict[int, list[tuple[str, list[Any]]]] = defaultdict(list)
    for pk, name, key, version, personal, source_kind in chosen.sort(["pk", "field"]).select(
            "pk", "field", "key", "version", "personal", "source_kind").iter_rows():
        read[pk].append((name, [key, version, personal, source_kind]))
    return [json.dumps(dict(read.get(pk, []))) for pk in pks]


def _awards_json(awards: list[AwardView], day: dt.date, kind: str) -> str:
    """The keys of the awards the ledger's fields counted (`load.build`)."""
    if not awards:
        return "[]"
    counted = {a.pk for item in derive(awards, day, {}, kind) for a in item.awards}
    return json.dumps(sorted(counted))
