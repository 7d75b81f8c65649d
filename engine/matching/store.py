"""Asking the decision store: which decisions used a pack, who became eligible since the last run, why a
decision was made (its explanation rebuilt from the facts it read), and an applicant's inbox."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.answers.document import outcome_json
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine as RulesEngine
from guangxi_subsidy.engine.matching.load import load_receipt
from guangxi_subsidy.engine.matching.tables import Decision, MatchRun, MatchSnapshot, Push
from guangxi_subsidy.engine.register.applicants import find
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.tables import Applicant


def decision_json(decision: Decision, ref: str) -> dict[str, Any]:
    return {"id": ref, "rule_id": decision.rule_id, "status": decision.status, "amount_kind": decision.amount_kind,
            "amount": None if decision.amount_fen is None else _yuan_text(decision.amount_fen),
            "as_of": decision.as_of.isoformat(), "rules_digest": decision.rules_digest,
            "engine_version": decision.engine_version, "run": decision.run_pk, "current": decision.current}


def _yuan_text(fen: int) -> str:
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def decisions(session: Session, digest: str | None = None, eligible_since_last: bool = False,
              ref: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Decisions filtered: made with a pack whose digest starts with `digest`; or the benefits opened by the
    latest run (who became eligible since the run before); or an applicant's current ones."""
    query = select(Decision, Applicant.ref).join(Applicant, Applicant.pk == Decision.applicant_pk)
    if digest:
        query = query.where(Decision.rules_digest.startswith(digest))
    if ref is not None:
        query = query.where(Decision.applicant_pk == find(session, ref).pk, Decision.current.is_(True))
    if eligible_since_last:
        last = session.scalar(select(MatchRun.pk).order_by(MatchRun.pk.desc()).limit(1))
        opened = select(Push.applicant_pk, Push.rule_id).where(Push.run_pk == last, Push.kind == "opened")
        pairs = {(pk, rule) for pk, rule in session.execute(opened)}
        query = query.where(Decision.run_pk == last, Decision.status == "eligible")
        return [decision_json(d, r) for d, r in session.execute(query.order_by(Decision.pk))
                if (d.applicant_pk, d.rule_id) in pairs][:limit]
    rows = session.execute(query.order_by(Decision.pk).limit(limit))
    return [decision_json(d, r) for d, r in rows]


@dataclass(frozen=True)
class Why:
    """A decision, and its outcome evaluated again from the facts its receipt names."""

    decision: dict[str, Any]
    facts: dict[str, Any]
    awards: list[int]
    outcome: dict[str, Any]


def why(session: Session, rules: RulesEngine, ref: str, rule_id: str) -> Why:
    """The current decision of `ref` on `rule_id`, explained from exactly the fact versions it read. A pack
    other than the decision's is said (the explanation is then the present pack's reading of those facts)."""
    applicant = find(session, ref)
    decision = session.scalars(select(Decision).where(Decision.applicant_pk == applicant.pk,
                                                      Decision.rule_id == rule_id, Decision.current.is_(True))
                               ).first()
    if decision is None:
        raise RegisterError(f"{ref}：没有关于 {rule_id} 的决定（先运行 subsidy match）")
    snapshot = session.scalars(select(MatchSnapshot).where(MatchSnapshot.run_pk == decision.run_pk,
                                                MatchSnapshot.applicant_pk == decision.applicant_pk)).first()
    assert snapshot is not None
    facts, awards = json.loads(snapshot.facts), json.loads(snapshot.awards)
    loaded = load_receipt(session, applicant, facts, awards, decision.as_of)
    evaluation = rules.evaluate(parse_profile(loaded.data, applicant.ref), as_of=decision.as_of)
    outcome = next(o for o in evaluation.outcomes if o.rule.id == rule_id)
    data = outcome_json(outcome, True, decision.as_of)
    data["same_pack"] = decision.rules_digest == rules.pack.digest
    data["same_status"] = str(outcome.status) == decision.status or not outcome.placed
    return Why(decision_json(decision, ref), {k: {"fact": v[0], "version": v[1], "source_kind": v[3]}
                                              for k, v in facts.items()}, awards, data)


def inbox(session: Session, ref: str | None = None, run: int | None = None) -> list[dict[str, Any]]:
    """Pushes, oldest first: an applicant's inbox, or a run's."""
    query = select(Push, Applicant.ref).join(Applicant, Applicant.pk == Push.applicant_pk).order_by(Push.pk)
    if ref is not None:
        query = query.where(Push.applicant_pk == find(session, ref).pk)
    if run is not None:
        query = query.where(Push.run_pk == run)
    return [{"id": r, "run": p.run_pk, "kind": p.kind, "rule_id": p.rule_id, "text": p.text,
             "created_at": p.created_at.isoformat(), **json.loads(p.payload)}
            for p, r in session.execute(query)]
