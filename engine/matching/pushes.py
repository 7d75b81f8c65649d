"""What changed for an applicant, as items to push, each in Chinese with a stable key.

A transition of a decision (opened, closed, changed in amount) is pushed when it happens, so it is pushed once by
construction. A near miss and a missing fact carry a key made of the rule and the fields concerned: the inbox
holds one row per applicant and key, so a near miss already pushed is not pushed again on the next run.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.evaluation.award import Award
from guangxi_subsidy.engine.evaluation.evaluate import Outcome
from guangxi_subsidy.engine.money import format_yuan
from guangxi_subsidy.engine.rules.compiled import CompiledRule

_labels = functools.cache(field_labels)
KINDS = ("opened", "closed", "amount_changed", "near_miss", "missing")
KIND_WORDS = {"opened": "新可享", "closed": "不再可享", "amount_changed": "金额变化", "near_miss": "差一点可享",
              "missing": "缺少资料"}


@dataclass(frozen=True)
class Item:
    """One push: its kind, rule, key (unique per applicant), Chinese text and payload."""

    kind: str
    rule_id: str
    key: str
    text: str
    payload: dict[str, Any] = field(default_factory=dict)

    def payload_json(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False, sort_keys=True)


def headline(award: Award | None) -> Decimal | None:
    """The figure a decision is stored with: the amount, or the top of a range or a ceiling."""
    if award is None:
        return None
    if award.kind in ("exact", "estimate"):
        return award.value
    if award.kind in ("range", "up_to"):
        return award.maximum
    return None


def yuan(value: Decimal | None) -> str:
    return "金额待定" if value is None else format_yuan(value) + " 元"


def _where(rule: CompiledRule) -> dict[str, Any]:
    spec = rule.rule
    apply = spec.apply
    return {"rule_id": rule.id, "name": rule.name, "document": rule.document.title, "number": rule.document.number,
            "clause": spec.source.clause, "departments": list(spec.departments),
            "apply": None if apply is None else {"where": apply.where, "when": apply.when,
                                                 "evidence": list(apply.evidence)}}


def _clause(rule: CompiledRule) -> str:
    return f"《{rule.document.title}》{rule.rule.source.clause}"


def _how(rule: CompiledRule) -> str:
    apply = rule.rule.apply
    parts = []
    if rule.rule.departments:
        parts.append("受理部门：" + "、".join(rule.rule.departments))
    if apply is not None and apply.when:
        parts.append("申报时间：" + apply.when)
    if apply is not None and apply.where:
        parts.append("申报地点：" + apply.where)
    if apply is not None and apply.evidence:
        parts.append("需提交：" + "、".join(apply.evidence))
    return "；".join(parts)


def opened(outcome: Outcome, run_pk: int) -> Item:
    return opened_rule(outcome.rule, headline(outcome.award), run_pk)


def opened_rule(rule: CompiledRule, amount: Decimal | None, run_pk: int) -> Item:
    """A benefit opened, from its rule and headline amount (what the columnar run knows of it)."""
    how = _how(rule)
    text = f"新可享：{rule.name}，{yuan(amount)}（{_clause(rule)}）" + (f"。{how}" if how else "")
    return Item("opened", rule.id, f"opened:{rule.id}:{run_pk}", text,
                {**_where(rule), "amount": None if amount is None else str(amount)})


def closed(rule: CompiledRule, status: str, before: Decimal | None, run_pk: int) -> Item:
    why = {"expired": "政策已过期", "not_yet_in_force": "政策尚未生效",
           "not_combined": "不与已可享的另一项同时享受"}.get(status, "条件已不满足（资料有变）")
    text = f"不再可享：{rule.name}（原 {yuan(before)}），{why}（{_clause(rule)}）"
    return Item("closed", rule.id, f"closed:{rule.id}:{run_pk}", text,
                {**_where(rule), "status": status, "amount_before": None if before is None else str(before)})


def amount_changed(outcome: Outcome, before: Decimal | None, run_pk: int) -> Item:
    return amount_changed_rule(outcome.rule, before, headline(outcome.award), run_pk)


def amount_changed_rule(rule: CompiledRule, before: Decimal | None, after: Decimal | None, run_pk: int) -> Item:
    """A benefit's amount changed, from its rule and the headline amounts before and after."""
    text = f"金额变化：{rule.name}，由 {yuan(before)} 变为 {yuan(after)}（{_clause(rule)}）"
    return Item("amount_changed", rule.id, f"amount:{rule.id}:{run_pk}", text,
                {**_where(rule), "amount_before": None if before is None else str(before),
                 "amount": None if after is None else str(after)})


def near_miss(rule: CompiledRule, fields: list[str], line: str, gain: Decimal | None) -> Item:
    text = f"差一点可享：{rule.name}：{line}（{_clause(rule)}）"
    return Item("near_miss", rule.id, f"near_miss:{rule.id}:{','.join(sorted(fields))}", text,
                {**_where(rule), "fields": sorted(fields), "gain": None if gain is None else str(gain)})


def missing(rule: CompiledRule, fields: list[str], at_stake: Decimal | None) -> Item:
    labels = _labels()
    names = "、".join(labels.get(f, f) for f in sorted(fields))
    text = f"缺少资料：{rule.name}需要「{names}」，涉及 {yuan(at_stake)}（{_clause(rule)}）"
    return Item("missing", rule.id, f"missing:{rule.id}:{','.join(sorted(fields))}", text,
                {**_where(rule), "fields": sorted(fields), "at_stake": None if at_stake is None else str(at_stake)})
