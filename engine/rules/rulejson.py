"""A rule as programs read it: the one builder of the rule JSON that `subsidy rules list/show --format json` prints
and `/api/v1/rules` and `/api/v1/rules/{id}` answer, so the command and the API cannot drift apart (a test holds
their bytes equal). Keys are only added, never renamed.
"""

from __future__ import annotations

from typing import Any

from guangxi_subsidy.engine.jsontext import plain
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.format import Document
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.rules.periods import horizon


def amount_summary(rule: CompiledRule) -> str:
    """The amount in one line: the formula (or tiers, or range, or kind), then its caps."""
    amount = rule.rule.amount
    if amount.kind in ("formula", "estimate"):
        text = amount.formula or ""
    elif amount.kind == "tiers":
        text = " | ".join(t.formula for t in amount.tiers or [])
    elif amount.kind == "range":
        text = f"{amount.min} … {amount.max}"
    else:
        text = amount.kind.replace("_", "-")
    caps = "; ".join(f"≤ {c.value} per {c.per}" for c in amount.caps)
    return f"{text}  [{caps}]" if caps else text


def rule_summary(rule: CompiledRule) -> dict[str, Any]:
    """One rule of the list: place, status, period, clause, amount."""
    spec = rule.rule
    return {
        "id": rule.id,
        "name": rule.name,
        "title": spec.title,
        "status": rule.status.value,
        "jurisdiction": rule.jurisdiction,
        "beneficiary": list(rule.kinds),
        "benefit_kind": spec.benefit.value,
        "effective": {"from": rule.effective.from_.isoformat(), "to": plain(rule.effective.to)},
        "document": rule.document.file,
        "clause": spec.source.clause,
        "amount_kind": spec.amount.kind,
        "amount": amount_summary(rule),
        "sources": [f"{s.document or rule.document.file} · {s.clause}" for s in spec.sources],
        "readings": [r.id for r in spec.readings],
        "combinations": [{"with": list(c.with_), "choose": c.choose} for c in spec.combinations],
        "horizon": plain(horizon(rule.effective, list(rule.documents or (rule.document,)))),
        "departments": list(spec.departments),
    }


def rule_list(pack: RulePack) -> list[dict[str, Any]]:
    """Every rule of the pack, drafts included, in document order."""
    return [rule_summary(r) for r in pack.rules.values()]


def rule_detail(rule: CompiledRule) -> dict[str, Any]:
    """One rule whole (a rule or a derived fact): its file's fields, its document, period, status and place."""
    data = rule.spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["document"] = Document.of(rule.document).model_dump(mode="json", by_alias=True, exclude_none=True)
    data["effective"] = {"from": rule.effective.from_.isoformat(), "to": plain(rule.effective.to)}
    data["status"] = rule.status.value
    data["jurisdiction"] = rule.jurisdiction
    return data
