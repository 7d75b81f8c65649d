"""The columnar match: a large run (the whole register, or a large share of it) evaluated chunk by chunk with the
same columnar engine `subsidy batch` uses, its decisions, snapshots and pushes written many rows per statement.

Per chunk (a range of applicant keys, or a list of them): the profiles and their receipts read in bulk
(`bulkload`), typed and evaluated in columns (`batch.evaluator`: statuses, amounts in fen, the facts an amount
lacks), then the same rows `run` writes one applicant at a time: a snapshot per applicant, a decision per rule
placed for it (and per rule current for it before), the transitions pushed (opened, closed, amount changed).
A test holds the two paths to the same decisions, snapshots and pushes.

Near misses and missing facts: for the applicants whose decisions changed in the chunk, as the rule-by-rule
path looks for them (`bulkextras`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.batch.columnar import INDEX, RULE
from guangxi_subsidy.engine.batch.evaluator import Evaluator
from guangxi_subsidy.engine.evaluation.award import AmountError
from guangxi_subsidy.engine.evaluation.evaluate import Engine as RulesEngine
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.matching import bulkextras, pushes
from guangxi_subsidy.engine.matching.bulkload import Chunk, Profiles, load_chunk
from guangxi_subsidy.engine.matching.tables import Decision, MatchRun, MatchSnapshot, Push
from guangxi_subsidy.engine.money import FEN
from guangxi_subsidy.engine.register.facts import now
from guangxi_subsidy.engine.register.tables import Applicant
from guangxi_subsidy.engine.rules.pack import RulePack

RANGE = 20_000  # applicants per chunk of a full run (a range of keys)
LISTED = 5_000  # applicants per chunk of a chosen set (a list of keys, within any database's parameter limit)
PUSHED = ("run_pk", "applicant_pk", "rule_id", "kind", "key", "text", "payload", "created_at")
HEADLINE = {"exact": "value", "estimate": "value", "range": "max", "up_to": "max"}  # pushes.headline, in fen


def chunks(session: Session, chosen: set[int] | None) -> Iterator[Chunk]:
    """The chunks of a run: ranges of the keys of every applicant not forgotten, or lists of the chosen."""
    if chosen is not None:
        ordered = sorted(chosen)
        for start in range(0, len(ordered), LISTED):
            part = tuple(ordered[start:start + LISTED])
            yield Chunk(part[0], part[-1], part)
        return
    keys = list(session.scalars(select(Applicant.pk).where(Applicant.forgotten_at.is_(None)).order_by(Applicant.pk)))
    for start in range(0, len(keys), RANGE):
        yield Chunk(keys[start], keys[min(start + RANGE, len(keys)) - 1])


_PLANS: dict[tuple[int, dt.date], tuple[RulePack, Evaluator]] = {}


def evaluator(pack: RulePack, day: dt.date) -> Evaluator:
    """The pack compiled for a date, kept for the next run of the same pack and date (compiling takes seconds;
    an evaluator keeps no state between calls)."""
    held = _PLANS.get((id(pack), day))
    if held is None or held[0] is not pack:
        if len(_PLANS) >= 4:
            _PLANS.clear()
        held = _PLANS[(id(pack), day)] = (pack, Evaluator(pack, as_of=day))
    return held[1]


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else (Decimal(fen) / 100).quantize(FEN)


class ColumnarMatch:
    """The pack compiled once for the run's date; `run_chunk` evaluates and writes one chunk."""

    def __init__(self, rules: RulesEngine, run: MatchRun, near: bool = True):
        self.run, self.engine, self.near = run, rules, near
        self.evaluator = evaluator(rules.pack, run.as_of)
        self.rules = self.evaluator.plan.rules  # (the order of Engine.evaluate's outcomes)
        self._placed: dict[tuple[str, str], list[int]] = {}
        self._items: dict[tuple[Any, ...], tuple[pushes.Item, str]] = {}

    def placed(self, kind: str, city: str) -> list[int]:
        """The rules (their positions) for this kind of applicant in this place."""
        found = self._placed.get((kind, city))
        if found is None:
            found = [n for n, r in enumerate(self.rules) if kind in r.kinds and city in r.cities]
            self._placed[(kind, city)] = found
        return found

    def _item(self, kind: str, number: int, *figures: Any) -> tuple[pushes.Item, str]:
        """A transition's push and its payload's JSON, made once per rule and amounts in a run."""
        key = (kind, number, *figures)
        if key not in self._items:
            rule, run_pk = self.rules[number], self.run.pk
            if kind == "opened":
                item = pushes.opened_rule(rule, _yuan(figures[0]), run_pk)
            elif kind == "closed":
                item = pushes.closed(rule, figures[0], _yuan(figures[1]), run_pk)
            else:
                item = pushes.amount_changed_rule(rule, _yuan(figures[0]), _yuan(figures[1]), run_pk)
            self._items[key] = (item, item.payload_json())
        return self._items[key]

    def run_chunk(self, session: Session, chunk: Chunk, report: Any) -> None:
        """Evaluate a chunk and write its snapshots, decisions and pushes (one statement for each)."""
        found = load_chunk(session, chunk, self.run.as_of)
        if not found.pks:
            return
        connection = session.connection()
        before = _current(connection, chunk)
        forgotten = select(Applicant.pk).where(Applicant.forgotten_at.is_not(None))  # (not evaluated: kept as is)
        connection.execute(update(Decision).where(chunk.where(Decision.applicant_pk), Decision.current.is_(True),
                                                  Decision.applicant_pk.not_in(forgotten)).values(current=False))
        admitted = self.evaluator.admit(found.cells.with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW)))
        refused: dict[int, list[str]] = {}
        for row, reason in admitted.errors.select(ROW, "reason").iter_rows():
            refused.setdefault(row, []).append(reason)
        failures: list[AmountError] = []
        typed = admitted.applicants
        outcomes = self.evaluator.plan.outcomes(typed, None, failures)
        positions = typed.get_column(ROW)
        for error in failures:
            assert error.index is not None
            refused.setdefault(int(positions[error.index]), []).append(str(error))
        for position, reasons in sorted(refused.items()):
            report.unreadable.append({"id": found.refs[position], "reason": "；".join(reasons)})
        people = typed.select(pl.col(ROW).alias("position"), pl.col("kind", "city").cast(pl.String)).filter(
            ~pl.col("position").is_in(list(refused)))
        people = people.with_columns(pk=pl.lit(pl.Series(found.pks, dtype=pl.Int64)).gather(pl.col("position")))
        decided = self._decided(people, before, _holds(outcomes, positions))
        self._write(connection, found, people, decided, report)
        moved = decided.filter(pl.col("moved")).with_columns(
            rule_id=pl.lit(pl.Series([r.id for r in self.rules], dtype=pl.String)).gather(pl.col("rule")))
        if moved.height:
            created = bound(connection, Push.__table__, "created_at", now())
            more = bulkextras.evaluated if self.near else bulkextras.columns
            insert_rows(connection, Push.__table__, PUSHED,
                        more(self.engine, self.run, connection, chunk, found, moved, created, report))
        report.evaluated += people.height

    def _decided(self, people: pl.DataFrame, before: pl.DataFrame, holds: pl.DataFrame) -> pl.DataFrame:
        """Per applicant, the rules placed for it and those current for it before (as `run._evaluate_block`),
        each with its status, amount and the transition it makes (opened, closed, amount changed, or none)."""
        placed = pl.DataFrame([(k, c, n) for k, c in people.select("kind", "city").unique().iter_rows()
                               for n in self.placed(k, c)],
                              schema={"kind": pl.String, "city": pl.String, "rule": pl.Int64}, orient="row")
        pairs = people.join(placed, on=["kind", "city"]).select("position", "pk", "rule")
        numbers = pl.DataFrame({"rule_id": [r.id for r in self.rules], "rule": range(len(self.rules))},
                               schema={"rule_id": pl.String, "rule": pl.Int64})
        before = before.join(numbers, on="rule_id")  # (a rule no longer in the pack is not decided again)
        # (a decision new, or other in status, amount or missing facts: `run.changed`)
        if before.height:
            earlier = before.join(people.select("pk", "position"), on="pk").select("position", "pk", "rule")
            pairs = pl.concat([pairs, earlier]).unique(["position", "rule"])
        eligible = pl.col("status") == "eligible"
        frame = pairs.sort("position", "rule").join(holds, on=["position", "rule"], how="left").join(
            before.select("pk", "rule", "old_status", "old_fen", "old_missing"), on=["pk", "rule"], how="left")
        frame = frame.with_columns(
            status=pl.col("status").fill_null("not_eligible"),
            amount_kind=pl.when(eligible).then(pl.col("amount_kind")),
            fen=pl.when(eligible).then(pl.col("fen")),
            missing=pl.when(eligible).then(pl.col("missing").str.replace_all(", ", ",", literal=True)))
        was = pl.col("old_status").fill_null("") == "eligible"
        moved = (pl.col("old_status").is_null() | (pl.col("status") != pl.col("old_status"))
                 | pl.col("fen").ne_missing(pl.col("old_fen")) | pl.col("missing").ne_missing(pl.col("old_missing")))
        return frame.with_columns(moved=moved, change=pl.when(eligible & ~was).then(pl.lit("opened"))
                                  .when(was & ~eligible).then(pl.lit("closed"))
                                  .when(eligible & pl.col("fen").ne_missing(pl.col("old_fen")))
                                  .then(pl.lit("amount_changed")))

    def _write(self, connection: Connection, found: Profiles, people: pl.DataFrame, decided: pl.DataFrame,
               report: Any) -> None:
        run, when = self.run, now()
        rule_ids = pl.Series([r.id for r in self.rules], dtype=pl.String)
        snapshots = [(run.pk, found.pks[p], found.awards[p], found.facts[p])
                     for p in people.get_column("position").to_list()]
        insert_rows(connection, MatchSnapshot.__table__, ("run_pk", "applicant_pk", "awards", "facts"), snapshots)
        constants = {name: bound(connection, Decision.__table__, name, value) for name, value in (
            ("run_pk", run.pk), ("as_of", run.as_of), ("rules_digest", run.rules_digest),
            ("engine_version", run.engine_version), ("current", True))}
        names = ("run_pk", "applicant_pk", "rule_id", "status", "amount_kind", "amount_fen", "missing", "as_of",
                 "rules_digest", "engine_version", "current")
        rows = decided.select(pl.lit(constants["run_pk"]).alias("run_pk"), pl.col("pk"),
                              pl.lit(rule_ids).gather(pl.col("rule")).alias("rule_id"), "status", "amount_kind", "fen",
                              "missing", pl.lit(constants["as_of"]).alias("as_of"),
                              pl.lit(constants["rules_digest"]).alias("rules_digest"),
                              pl.lit(constants["engine_version"]).alias("engine_version"),
                              pl.lit(constants["current"]).alias("current"))
        insert_rows(connection, Decision.__table__, names, rows.iter_rows())
        out = []
        created = bound(connection, Push.__table__, "created_at", when)
        for position, pk, number, change, fen, old_fen, status in decided.filter(
                pl.col("change").is_not_null()).select("position", "pk", "rule", "change", "fen", "old_fen",
                                                        "status").iter_rows():
            figures = (fen,) if change == "opened" else (status, old_fen) if change == "closed" else (old_fen, fen)
            push, payload = self._item(change, number, *figures)
            out.append((run.pk, pk, push.rule_id, push.kind, push.key, push.text, payload, created))
            report.pushed.append({"id": found.refs[position], "kind": push.kind, "rule_id": push.rule_id,
                                  "text": push.text, **push.payload})
        insert_rows(connection, Push.__table__, PUSHED, out)


def _holds(outcomes: list[pl.DataFrame], positions: pl.Series) -> pl.DataFrame:
    """(applicant's position, rule's position, status, amount kind, headline in fen, missing) for each rule that
    holds; the headline as `pushes.headline` takes it."""
    schema = {"position": pl.Int64, "rule": pl.Int64, "status": pl.String, "amount_kind": pl.String,
              "fen": pl.Int64, "missing": pl.String}
    frames = [f.select(INDEX, RULE, "status", "kind", "value", "max", "missing") for f in outcomes if f.height]
    if not frames:
        return pl.DataFrame(schema=schema)
    kind = pl.col("kind").cast(pl.String)
    part = kind.replace_strict(HEADLINE, default=None)
    return pl.concat(frames).select(
        pl.lit(positions.cast(pl.Int64)).gather(pl.col(INDEX)).alias("position"),
        pl.col(RULE).cast(pl.Int64).alias("rule"),
        pl.col("status").cast(pl.String), kind.alias("amount_kind"),
        pl.when(part == "value").then(pl.col("value")).when(part == "max").then(pl.col("max"))
        .cast(pl.Int64).alias("fen"), pl.col("missing"))


def _current(connection: Connection, chunk: Chunk) -> pl.DataFrame:
    """The decisions current for the chunk's applicants: pk, rule id, status and amount before this run."""
    table = Decision.__table__
    query = select(table.c.applicant_pk, table.c.rule_id, table.c.status, table.c.amount_fen,
                   table.c.missing).where(chunk.where(table.c.applicant_pk), table.c.current.is_(True))
    return pl.DataFrame(connection.execute(query).all(), orient="row", schema={
        "pk": pl.Int64, "rule_id": pl.String, "old_status": pl.String, "old_fen": pl.Int64,
        "old_missing": pl.String})


def bound(connection: Connection, table: Any, name: str, value: Any) -> Any:
    """A value as the column's type hands it to the database driver (a date as SQLite's text, …)."""
    process = table.c[name].type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    return value if process is None else process(value)


def insert_rows(connection: Connection, table: Any, names: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    """Rows inserted by the driver's executemany, values already as the driver takes them (a statement for all,
    without a per-row pass through SQLAlchemy's parameters)."""
    rows = list(rows)
    if not rows:
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    quote = connection.dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
           f"VALUES ({', '.join(mark for _ in names)})")
    connection.exec_driver_sql(sql, rows)
