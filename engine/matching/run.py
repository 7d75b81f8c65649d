"""`subsidy match`: evaluate the register (all of it, or what changed), store every decision with its receipt,
and push to each applicant what changed for it.

One transaction per run: the run's row (its date, digest, fingerprints, the register's marks read before
anything is evaluated, so a fact recorded during the run is seen by the next one), then per block of applicants:
their snapshots (the fact and award keys read), their decisions (the rules placed for them, and any rule that was
current for them before), the earlier decisions of those rules no longer current, and the pushes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.answers.sentences import line_text
from guangxi_subsidy.engine.applicant.reading import ProfileError, parse_profile
from guangxi_subsidy.engine.evaluation.award import compute
from guangxi_subsidy.engine.evaluation.evaluate import ENGINE_VERSION, Evaluation, Outcome
from guangxi_subsidy.engine.evaluation.evaluate import Engine as RulesEngine
from guangxi_subsidy.engine.evaluation.nearmiss import near_misses
from guangxi_subsidy.engine.matching import pushes
from guangxi_subsidy.engine.matching.changes import prints, prints_json, prints_read
from guangxi_subsidy.engine.matching.load import Loaded, load_block
from guangxi_subsidy.engine.matching.select import choose, marks
from guangxi_subsidy.engine.matching.tables import Decision, MatchRun, MatchSnapshot, Push
from guangxi_subsidy.engine.matching.waivers import list_cases
from guangxi_subsidy.engine.money import FEN, to_fen
from guangxi_subsidy.engine.register.facts import now
from guangxi_subsidy.engine.register.tables import Applicant

BLOCK = 2_000
COLUMNAR_FROM = 200  # from this many applicants a run goes through the columnar engine (bulkrun): about 2,000 a
# second of CPU plus half a second a run, against about 160 rule by rule (benchmarks/match_incremental.py)


@dataclass
class RunReport:
    """What a run did: how many applicants it evaluated and why, what it pushed, what it could not read."""

    run_pk: int
    as_of: dt.date
    mode: str
    evaluated: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    rules_changed: list[str] = field(default_factory=list)
    rules_crossed: list[str] = field(default_factory=list)
    pushed: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[dict[str, str]] = field(default_factory=list)
    started: str = ""
    listed: int = 0  # cases put on 免申即享 lists

    def pushed_rows(self) -> list[dict[str, Any]]:
        """The pushes as the inbox and the export hold them (with the run)."""
        return [{"run": self.run_pk, "created_at": self.started, **p} for p in self.pushed]

    def as_json(self) -> dict[str, Any]:
        return {"schema": "subsidy-match/1", "run": self.run_pk, "as_of": self.as_of.isoformat(), "mode": self.mode,
                "evaluated": self.evaluated, "reasons": self.reasons, "rules_changed": self.rules_changed,
                "rules_crossed": self.rules_crossed, "pushes": self.pushed, "unreadable": self.unreadable,
                "waiver_cases_listed": self.listed}


def _fen(value: Decimal | None) -> int | None:
    return None if value is None else to_fen(value)


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else (Decimal(fen) / 100).quantize(FEN)


def _items(evaluation: Evaluation, rules: RulesEngine, before: dict[str, tuple[str, int | None, str | None]],
           decided: list[str], run_pk: int) -> list[pushes.Item]:
    """What changed for one applicant: transitions against its earlier decisions (the rest: `extras`)."""
    items: list[pushes.Item] = []
    outcomes = {o.rule.id: o for o in evaluation.outcomes}
    for rule_id in decided:
        outcome = outcomes.get(rule_id)
        old_status, old_fen, _missing = before.get(rule_id, ("", None, None))
        status = outcome.status if outcome is not None and outcome.placed else "not_eligible"
        amount = _fen(pushes.headline(outcome.award)) if outcome is not None and status == "eligible" else None
        if status == "eligible" and old_status != "eligible" and outcome is not None:
            items.append(pushes.opened(outcome, run_pk))
        elif old_status == "eligible" and status != "eligible":
            items.append(pushes.closed(rules.pack.rules[rule_id], status, _yuan(old_fen), run_pk))
        elif status == "eligible" and amount != old_fen and outcome is not None:
            items.append(pushes.amount_changed(outcome, _yuan(old_fen), run_pk))
    return items


def extras(evaluation: Evaluation, rules: RulesEngine, near: bool = True) -> list[pushes.Item]:
    """Near misses (with `near`) and facts missing with the money they put at stake, for an applicant whose
    decisions changed in this run (both paths call this, for the same applicants: see `changed`)."""
    items: list[pushes.Item] = []
    if near:
        for miss in near_misses(evaluation, rules.pack):
            items.append(pushes.near_miss(miss.rule, [c.field for c in miss.changes], line_text(miss),
                                          miss.gain))
    env = evaluation.facts.env if evaluation.facts is not None else {}
    for outcome in evaluation.outcomes:
        needed = list(outcome.facts_needed()) or list(outcome.award.missing if outcome.award is not None
                                                      and outcome.status == "eligible" else ())
        if needed and outcome.rule.amount is not None:
            at_stake = pushes.headline(compute(outcome.rule.amount, dict(env), rules.pack, evaluation.as_of))
            items.append(pushes.missing(outcome.rule, needed, at_stake))  # (金额待定 when it cannot be told)
    return items


def changed(rows: list[dict[str, Any]], before: dict[str, tuple[str, int | None, str | None]]) -> bool:
    """Whether a decision of the applicant is new or differs from its current one in status, amount or missing
    facts: only then are near misses and missing facts looked for (a first run: every applicant)."""
    return any(before.get(r["rule_id"]) != (r["status"], r["amount_fen"], r["missing"]) for r in rows)


def _current(session: Session, pks: Sequence[int]) -> dict[int, dict[str, tuple[str, int | None, str | None]]]:
    out: dict[int, dict[str, tuple[str, int | None, str | None]]] = {}
    query = select(Decision.applicant_pk, Decision.rule_id, Decision.status, Decision.amount_fen,
                   Decision.missing).where(Decision.applicant_pk.in_(pks), Decision.current.is_(True))
    for pk, rule_id, status, fen, missing in session.execute(query):
        out.setdefault(pk, {})[rule_id] = (status, fen, missing)
    return out


def _already(session: Session, pks: Sequence[int]) -> set[tuple[int, str]]:
    query = select(Push.applicant_pk, Push.key).where(Push.applicant_pk.in_(pks))
    return {(pk, key) for pk, key in session.execute(query)}


def _decision_row(run: MatchRun, outcome: Outcome, applicant_pk: int) -> dict[str, Any]:
    status = outcome.status if outcome.placed else "not_eligible"
    award = outcome.award if status == "eligible" else None
    return {"run_pk": run.pk, "applicant_pk": applicant_pk, "rule_id": outcome.rule.id, "status": str(status),
            "amount_kind": None if award is None else str(award.kind), "amount_fen": _fen(pushes.headline(award)),
            "missing": None if award is None or not award.missing else ",".join(award.missing),
            "as_of": run.as_of, "rules_digest": run.rules_digest, "engine_version": run.engine_version,
            "current": True}


def _evaluate_block(session: Session, rules: RulesEngine, run: MatchRun, block: list[Loaded],
                    report: RunReport, near: bool = True) -> None:
    """Evaluate a block and write its snapshots, decisions and pushes, one statement for each."""
    pks = [item.applicant.pk for item in block]
    before = _current(session, pks)
    pushed = _already(session, pks)
    session.execute(update(Decision).where(Decision.applicant_pk.in_(pks), Decision.current.is_(True))
                    .values(current=False))
    done: list[tuple[Loaded, Evaluation]] = []
    for item in block:
        try:
            profile = parse_profile(item.data, item.applicant.ref)
        except ProfileError as error:
            report.unreadable.append({"id": item.applicant.ref, "reason": str(error)})
            continue
        done.append((item, rules.evaluate(profile, as_of=run.as_of)))
    if done:
        session.execute(insert(MatchSnapshot), [
            {"run_pk": run.pk, "applicant_pk": item.applicant.pk, "awards": json.dumps(item.awards),
             "facts": json.dumps({k: list(v) for k, v in sorted(item.facts.items())})} for item, _e in done])
    rows: list[dict[str, Any]] = []
    decided: dict[int, list[str]] = {}
    moved: set[int] = set()
    for item, evaluation in done:
        mine = before.get(item.applicant.pk, {})
        own = [_decision_row(run, o, item.applicant.pk) for o in evaluation.outcomes if o.placed or o.rule.id in mine]
        rows.extend(own)
        decided[item.applicant.pk] = [r["rule_id"] for r in own]
        if changed(own, mine):
            moved.add(item.applicant.pk)
    if rows:
        session.execute(insert(Decision), rows)
    when, out = now(), []
    for item, evaluation in done:
        applicant = item.applicant
        found = _items(evaluation, rules, before.get(applicant.pk, {}), decided.get(applicant.pk, []), run.pk)
        for push in found + (extras(evaluation, rules, near) if applicant.pk in moved else []):
            if (applicant.pk, push.key) in pushed:
                continue
            pushed.add((applicant.pk, push.key))
            out.append({"run_pk": run.pk, "applicant_pk": applicant.pk, "rule_id": push.rule_id, "kind": push.kind,
                        "key": push.key, "text": push.text, "payload": push.payload_json(), "created_at": when})
            report.pushed.append({"id": applicant.ref, "kind": push.kind, "rule_id": push.rule_id,
                                  "text": push.text, **push.payload})
        report.evaluated += 1
    if out:
        session.execute(insert(Push), out)


def _blocks(session: Session, chosen: set[int] | None) -> Iterator[list[Applicant]]:
    base = select(Applicant).where(Applicant.forgotten_at.is_(None)).order_by(Applicant.pk)
    if chosen is None:
        last = 0
        while block := list(session.scalars(base.where(Applicant.pk > last).limit(BLOCK))):
            last = block[-1].pk
            yield block
        return
    ordered = sorted(chosen)
    for start in range(0, len(ordered), BLOCK):
        yield list(session.scalars(base.where(Applicant.pk.in_(ordered[start:start + BLOCK]))))


def match(engine: Engine, rules: RulesEngine, as_of: dt.date, full: bool = False,
          progress: Callable[[int, int | None], None] | None = None, columnar: bool | None = None,
          near: bool = True) -> RunReport:
    """One run of the matching: evaluate what must be, store the decisions and the pushes; the run's report.

    `columnar`: evaluate through the columnar engine (True), one applicant at a time (False), or the first when
    the run evaluates COLUMNAR_FROM applicants or more (None). The two store the same decisions and pushes.
    `near`: look for near misses (for the applicants whose decisions changed); without, a columnar run pushes
    only the facts an incomplete amount lacks (no rule-by-rule evaluation at all, see `bulkrun`)."""
    pack = rules.pack
    found = prints(pack)
    with Session(engine) as session, session.begin():
        last = session.scalars(select(MatchRun).order_by(MatchRun.pk.desc()).limit(1)).first()
        choice = choose(session, pack, found, as_of, last, prints_read(last.rule_prints) if last else {}, full)
        seen = marks(session)
        run = MatchRun(started_at=now(), as_of=as_of, rules_digest=pack.digest, rule_prints=prints_json(found),
                       engine_version=ENGINE_VERSION, mode="full" if choice.pks is None else "incremental",
                       last_fact=seen.fact, last_personal_fact=seen.personal_fact, last_award=seen.award,
                       last_applicant=seen.applicant, evaluated=0, pushed=0, reasons=json.dumps(choice.reasons))
        session.add(run)
        session.flush()
        report = RunReport(run.pk, as_of, run.mode, reasons=choice.reasons, rules_changed=choice.rules_changed,
                           rules_crossed=choice.rules_crossed, started=run.started_at.isoformat())
        total = None if choice.pks is None else len(choice.pks)
        if columnar is None:
            counted = total if total is not None else session.scalar(
                select(func.count()).select_from(Applicant).where(Applicant.forgotten_at.is_(None)))
            columnar = (counted or 0) >= COLUMNAR_FROM
        if columnar:
            from guangxi_subsidy.engine.matching.bulkrun import ColumnarMatch, chunks

            columns = ColumnarMatch(rules, run, near)
            for chunk in chunks(session, choice.pks):
                columns.run_chunk(session, chunk, report)
                if progress is not None:
                    progress(report.evaluated, total)
        else:
            for block in _blocks(session, choice.pks):
                _evaluate_block(session, rules, run, load_block(session, block, as_of), report, near)
                if progress is not None:
                    progress(report.evaluated, total)
        report.listed = list_cases(session, pack, run.pk, run.started_at)
        run.evaluated, run.pushed = report.evaluated, len(report.pushed)
    return report
