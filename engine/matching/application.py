"""快申快享: an applicant eligible for an item that is not paid without application gets its application
prefilled: the facts the register already holds for what the rule decides on (value, source, version), the
amount, where and when to apply, and only the evidence still to be shown."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.matching.payments import yuan
from guangxi_subsidy.engine.matching.tables import Decision, MatchSnapshot
from guangxi_subsidy.engine.matching.waivers import deciding_fields, from_departments, payable
from guangxi_subsidy.engine.matching.windows import standing, windows
from guangxi_subsidy.engine.register.applicants import find
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.tables import Fact, PersonalFact
from guangxi_subsidy.engine.rules.pack import RulePack


def prefilled(session: Session, pack: RulePack, ref: str, rule_id: str,
              today: dt.date | None = None) -> dict[str, Any]:
    """The prefilled application of `ref` for `rule_id`, from its current decision's receipt, with where the
    item's application window stands on `today`."""
    applicant = find(session, ref)
    decision = session.scalars(select(Decision).where(
        Decision.applicant_pk == applicant.pk, Decision.rule_id == rule_id, Decision.current.is_(True))).first()
    if decision is None or decision.status != "eligible" or rule_id not in pack.rules:
        raise RegisterError(f"{ref}：最近一次匹配未认定其可享 {rule_id}（先运行 subsidy match）")
    snapshot = session.scalars(select(MatchSnapshot).where(MatchSnapshot.run_pk == decision.run_pk,
                                                MatchSnapshot.applicant_pk == decision.applicant_pk)).first()
    assert snapshot is not None
    facts = json.loads(snapshot.facts)
    labels = field_labels()
    known = []
    for name in sorted(deciding_fields(pack, rule_id) & set(facts)):
        key, version, personal, _kind = facts[name]
        row: Fact | PersonalFact | None = session.get(PersonalFact, key) if personal else session.get(Fact, key)
        if row is None:  # (erased since: an individual's data forgotten)
            continue
        known.append({"field": name, "label": labels.get(name, name), "value": row.value, "version": version,
                      "source": row.source, "source_kind": row.source_kind})
    rule = pack.rules[rule_id]
    apply = rule.rule.apply
    return {"schema": "subsidy-match-application/1", "id": applicant.ref, "rule_id": rule_id, "name": rule.name,
            "clause": rule.rule.source.clause, "document": rule.document.title,
            "amount": None if decision.amount_fen is None else yuan(decision.amount_fen),
            "departments": list(rule.rule.departments), "facts_known": known,
            "evidence_needed": [] if apply is None else list(apply.evidence),
            "when": None if apply is None else apply.when, "where": None if apply is None else apply.where,
            "without_application": rule_id in payable(session) and from_departments(pack, rule_id, facts),
            "window": standing(windows(session).get(rule_id), today or dt.date.today())}
