"""The columnar match: a large run (the whole register, or a large share of it) evaluated chunk by chunk with the
same columnar engine `subsidy batch` uses, its decisions, snapshots and pushes written many rows per statement.

Per chunk (a range of applicant keys, or a list of them): the profiles and their receipts read in bulk
(`bulkload`), typed and evaluated in columns (`batch.evaluator`: statuses, amounts in fen, the facts an amount
lacks), then the same rows `run` writes one applicant at a time: a snapshot per applicant, a decision per rule
placed for it (and per rule current for it before), the transitions pushed (opened, closed, amount changed).
A test holds the two paths to the same decisions, snapshots and transitions.

Near misses and missing facts are not pushed by this path: they need each applicant's rule-by-rule evaluation
(the solver reads each failing condition), which is what made a full run take hours. They stay available for any
decision, computed when asked, from the facts its receipt names (`subsidy match why`); runs small enough for the
rule-by-rule path (`run.COLUMNAR_FROM`) push them as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.batch.columnar import INDEX, RULE
from guangxi_subsidy.engine.batch.evaluator import Evaluator
from guangxi_subsidy.engine.evaluation.award import AmountError
from guangxi_subsidy.engine.evaluation.evaluate import Engine as RulesEngine
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.matching import pushes
from guangxi_subsidy.engine.matching.bulkload import Chunk, Profiles, load_chunk
from guangxi_subsidy.engine.matching.tables import Decision, MatchRun, MatchSnapshot, Push
from guangxi_subsidy.engine.money import FEN
from guangxi_subsidy.engine.register.facts import now
from guangxi_subsidy.engine.register.tables import Applicant

RANGE = 20_000  # applicants per chunk of a full run (a range of keys)
LISTED = 5_000  # applicants per chunk of a chosen set (a list of keys, within any database's parameter limit)
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
        part = keys[start:start + RANGE]
        yield Chunk(part[0], part[-1])


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else (Decimal(fen) / 100).quantize(FEN)


class ColumnarMatch:
    """The pack compiled once for the run's date; `run_chunk` evaluates and writes one chunk."""

    def __init__(self, rules: RulesEngine, run: MatchRun):
        self.run = run
        self.evaluator = Evaluator(rules.pack, as_of=run.as_of)
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
        connection.execute(update(Decision.__table__).where(
            chunk.where(Decision.__table__.c.applicant_pk), Decision.__table__.c.current.is_(True)).values(
            current=False))
        admitted = self.evaluator.admit(found.cells.with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW)))
        refused: dict[int, list[str]] = {}
        for row, reason in admitted.errors.select(ROW, "reason").iter_rows():
            refused.setdefault(row, []).append(reason)
        failures: list[AmountError] = []
        typed = admitted.applicants
        outcomes = self.evaluator.plan.outcomes(typed, None, failures)
        positions = typed.get_column(ROW).to_list()
        for error in failures:
            assert error.index is not None
            refused.setdefault(positions[error.index], []).append(str(error))
        for position, reasons in sorted(refused.items()):
            report.unreadable.append({"id": found.refs[position], "reason": "；".join(reasons)})
        holds = _holds(outcomes, positions)
        places = zip(positions, typed.get_column("kind").cast(pl.String).to_list(),
                     typed.get_column("city").cast(pl.String).to_list(), strict=True)
        snapshots, decisions, out = [], [], []
        when = now()
        for position, kind, city in places:
            if position in refused:
                continue
            pk = found.pks[position]
            snapshots.append({"run_pk": self.run.pk, "applicant_pk": pk, "awards": found.awards[position],
                              "facts": found.facts[position]})
            mine = before.get(pk, {})
            numbers = self.placed(kind, city)
            if mine:
                placed = set(numbers)
                numbers = [n for n, r in enumerate(self.rules) if n in placed or r.id in mine]
            for number in numbers:
                decisions.append(self._decide(number, pk, holds.get((position, number)), mine, found, position,
                                              out, when, report))
            report.evaluated += 1
        _write(connection, snapshots, decisions, out)

    def _decide(self, number: int, pk: int, held: tuple[Any, ...] | None, mine: dict[str, tuple[str, int | None]],
                found: Profiles, position: int, out: list[dict[str, Any]], when: dt.datetime,
                report: Any) -> dict[str, Any]:
        """One decision row (as `run._decision_row`), and its transition's push added to `out`."""
        rule, run = self.rules[number], self.run
        status, amount_kind, fen, missing = "not_eligible", None, None, None
        if held is not None:
            status = held[0]
            if status == "eligible":
                amount_kind, fen = held[1], held[2]
                missing = held[3].replace(", ", ",") if held[3] else None
        old_status, old_fen = mine.get(rule.id, ("", None))
        item = None
        if status == "eligible" and old_status != "eligible":
            item = self._item("opened", number, fen)
        elif old_status == "eligible" and status != "eligible":
            item = self._item("closed", number, status, old_fen)
        elif status == "eligible" and fen != old_fen:
            item = self._item("amount_changed", number, old_fen, fen)
        if item is not None:
            push, payload = item
            out.append({"run_pk": run.pk, "applicant_pk": pk, "rule_id": push.rule_id, "kind": push.kind,
                        "key": push.key, "text": push.text, "payload": payload, "created_at": when})
            report.pushed.append({"id": found.refs[position], "kind": push.kind, "rule_id": push.rule_id,
                                  "text": push.text, **push.payload})
        return {"run_pk": run.pk, "applicant_pk": pk, "rule_id": rule.id, "status": status,
                "amount_kind": amount_kind, "amount_fen": fen, "missing": missing, "as_of": run.as_of,
                "rules_digest": run.rules_digest, "engine_version": run.engine_version, "current": True}


def _holds(outcomes: list[pl.DataFrame], positions: list[int]) -> dict[tuple[int, int], tuple[Any, ...]]:
    """(applicant's position, rule's position): (status, amount kind, headline in fen, missing), for each rule
    that holds."""
    frames = [f.select(INDEX, RULE, "status", "kind", "value", "max", "missing") for f in outcomes if f.height]
    if not frames:
        return {}
    rows = pl.concat(frames).with_columns(pl.col("status", "kind").cast(pl.String))
    out: dict[tuple[int, int], tuple[Any, ...]] = {}
    for index, rule, status, kind, value, maximum, missing in rows.iter_rows():
        part = HEADLINE.get(kind)
        fen = value if part == "value" else maximum if part == "max" else None
        out[(positions[index], rule)] = (status, kind, None if fen is None else int(fen), missing)
    return out


def _current(connection: Connection, chunk: Chunk) -> dict[int, dict[str, tuple[str, int | None]]]:
    table = Decision.__table__
    query = select(table.c.applicant_pk, table.c.rule_id, table.c.status, table.c.amount_fen).where(
        chunk.where(table.c.applicant_pk), table.c.current.is_(True))
    out: dict[int, dict[str, tuple[str, int | None]]] = {}
    for pk, rule_id, status, fen in connection.execute(query):
        out.setdefault(pk, {})[rule_id] = (status, fen)
    return out


def _write(connection: Connection, snapshots: list[dict[str, Any]], decisions: list[dict[str, Any]],
           out: list[dict[str, Any]]) -> None:
    for table, rows in ((MatchSnapshot.__table__, snapshots), (Decision.__table__, decisions),
                        (Push.__table__, out)):
        if rows:
            connection.execute(insert(table), rows)
