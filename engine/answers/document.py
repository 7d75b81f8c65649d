"""The answer for programs: the `subsidy-evaluation/1` document, with its near misses.

`evaluation_document` is the one function that builds it: `subsidy evaluate --format json` prints it, the HTTP
API returns it, the Python API gives it, so the three stay byte-equal. The shape is documented in the README:
amounts are decimal strings in yuan with two decimals, dates ISO 8601, and keys are only ever added, never
renamed, within a schema version.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from guangxi_subsidy.engine.answers.combined import combinations_json, not_combined_json
from guangxi_subsidy.engine.answers.guidance import apply_json, readings_json, sources_json, warnings
from guangxi_subsidy.engine.answers.sentences import line_text
from guangxi_subsidy.engine.evaluation.award import Award
from guangxi_subsidy.engine.evaluation.evaluate import Check, Evaluation, Outcome
from guangxi_subsidy.engine.evaluation.nearmiss import NearMiss, near_misses
from guangxi_subsidy.engine.evaluation.outcome import SHOWN, Status, Totals
from guangxi_subsidy.engine.jsontext import plain
from guangxi_subsidy.engine.money import round_fen
from guangxi_subsidy.engine.rules.pack import RulePack


def money_text(value: Decimal | None) -> str | None:
    return None if value is None else str(round_fen(value))


def totals(evaluation: Evaluation, drafts: bool = False) -> dict[str, Any]:
    """What the applicant is eligible for on the date, added up by `outcome.contributions`: in-force documents'
    benefits, or with `drafts` the draft documents' benefits only (never the two together)."""
    return Totals.of(
        (str(o.rule.benefit), o.award.kind, o.award.figures())
        for o in evaluation.by_status(Status.ELIGIBLE)
        if o.award is not None and o.draft == drafts
    ).as_json(money_text)


def award_json(award: Award | None) -> dict[str, Any] | None:
    if award is None:
        return None
    return {
        "kind": award.kind,
        "value": money_text(award.value),
        "min": money_text(award.minimum),
        "max": money_text(award.maximum),
        "unit": "yuan",
        "period": award.period,
        "formula": award.formula,
        "tier": award.tier,
        "uncapped": None if award.uncapped is None else str(award.uncapped),
        "caps": [
            {"value": money_text(c.value), "per": c.per, "says": c.says, "bit": c.bit, "expression": c.text}
            for c in award.caps
        ],
        "inputs": plain(award.inputs),
        "assumes": {k: {"value": plain(v), "reference": r} for k, (v, r) in award.assumes.items()},
        "missing": list(award.missing),
        "says": award.says,
    }


def check_json(check: Check) -> dict[str, Any]:
    return {"id": check.id, "text": check.text, "held": check.held, "values": plain(check.values), "says": check.says}


def outcome_json(outcome: Outcome, explain: bool, as_of: dt.date | None = None) -> dict[str, Any]:
    rule = outcome.rule
    spec = rule.rule
    data: dict[str, Any] = {
        "rule_id": rule.id,
        "name": rule.name,
        "title": spec.title,
        "status": outcome.status,
        "draft": outcome.draft,
        "benefit_kind": spec.benefit.value,
        "jurisdiction": rule.jurisdiction,
        "document": {"file": rule.document.file, "title": rule.document.title, "number": rule.document.number},
        "clause": spec.source.clause,
        "quote": spec.source.quote,
        "effective": {"from": rule.effective.from_.isoformat(), "to": plain(rule.effective.to)},
        "departments": list(spec.departments),
        "amount": award_json(outcome.award),
        "failed": [c.id for c in outcome.failed],
        "facts_needed": list(outcome.facts_needed()),
        "sources": sources_json(rule),
        "readings": readings_json(rule),
        "apply": apply_json(rule),
        "warnings": [] if as_of is None else warnings(rule, as_of),
        "not_combined": not_combined_json(outcome, outcome.facts.pack),
        "combinations": combinations_json(rule),
    }
    if explain:
        data["checks"] = [check_json(c) for c in outcome.checks]
    return data


def evaluation_json(evaluation: Evaluation, explain: bool = False) -> dict[str, Any]:
    profile = evaluation.profile
    shown = [o for o in evaluation.outcomes if explain or o.status in SHOWN]
    return {
        "schema": "subsidy-evaluation/1",
        "applicant": {"id": profile.id, "name": profile.name, "kind": profile.kind.value, "city": profile.city,
                      "district": profile.district},
        "as_of": evaluation.as_of.isoformat(),
        "as_of_source": evaluation.as_of_source,
        "include_drafts": evaluation.include_drafts,
        "benefits": [outcome_json(o, explain, evaluation.as_of) for o in shown],
        "might_apply": [
            {"rule_id": o.rule.id, "name": o.rule.name, "facts_needed": list(needed)}
            for o in evaluation.outcomes
            # (asked once; a rule not for this kind of applicant, here, needs nothing: most of the pack, not asked)
            if o.placed and (needed := o.facts_needed())
        ],
        "totals": totals(evaluation),
        **({"draft_totals": totals(evaluation, drafts=True)} if evaluation.include_drafts else {}),
        "derived": evaluation.derived,
        "receipt": {
            "engine_version": evaluation.engine_version,
            "rules_digest": evaluation.pack_digest,
            "as_of": evaluation.as_of.isoformat(),
        },
    }


def near_misses_json(misses: list[NearMiss]) -> list[dict[str, Any]]:
    return [
        {"rule_id": m.rule.id, "name": m.rule.name,
         "changes": [{"field": c.field, "from": plain(c.before), "to": plain(c.after), "by": plain(c.by),
                      "condition": c.condition, "says": c.says} for c in m.changes],
         "amount": award_json(m.award), "text": line_text(m)}
        for m in misses
    ]


def evaluation_document(evaluation: Evaluation, pack: RulePack, explain: bool) -> dict[str, Any]:
    """The `subsidy-evaluation/1` document with its near misses: what `subsidy evaluate --format json` prints,
    the HTTP API returns and the Python API gives, built in this one place so the three stay byte-equal."""
    data = evaluation_json(evaluation, explain)
    data["near_misses"] = near_misses_json(near_misses(evaluation, pack))
    return data
