"""What a result says beside its amount: the sources, the readings chosen, how to apply, and warnings.

A policy officer reading a result must see which of two defensible readings produced the amount, what the
sources say about where, when and with what to apply, and whether the sources establish that the policy is in
force on the date at all. This module turns that rule data into JSON (keys only ever added) and into the lines
`--explain` prints.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.text import Text

from guangxi_subsidy.engine.answers import chinese
from guangxi_subsidy.engine.i18n import language
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.kinds import Status as DocumentStatus
from guangxi_subsidy.engine.rules.periods import horizon


def warnings(rule: CompiledRule, day: dt.date) -> list[str]:
    """Warnings a result for `day` carries: validity not established by the sources; a draft's money."""
    out = []
    validity = rule.validity_warning(day)
    if validity:
        out.append(validity)
    if rule.status == DocumentStatus.DRAFT:
        out.append("DRAFT: a draft for comment (征求意见稿), not in force; totalled apart, never in in-force totals")
    return out


def sources_json(rule: CompiledRule) -> list[dict[str, Any]]:
    spec = rule.rule
    out = []
    for source, document in zip(spec.sources, rule.documents or (rule.document,), strict=False):
        effective = getattr(source, "effective", None) or (rule.effective if source is spec.source else None)
        out.append({
            "document": {"file": document.file, "title": document.title, "number": document.number},
            "clause": source.clause,
            "quote": source.quote,
            "figures": source.figures,
            "effective": None if effective is None else {
                "from": effective.from_.isoformat(), "to": effective.to.isoformat() if effective.to else None,
            },
        })
    return out


def readings_json(rule: CompiledRule) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id, "question": r.question, "quote": r.quote, "chosen": r.chosen, "why": r.why,
            "alternatives": [
                {"reading": a.reading, "why": a.why, "formula": a.formula, "effect": a.effect}
                for a in r.alternatives
            ],
        }
        for r in rule.rule.readings
    ]


def apply_json(rule: CompiledRule) -> dict[str, Any] | None:
    apply = rule.rule.apply
    if apply is None:
        return None
    return {
        "where": apply.where, "when": apply.when, "evidence": list(apply.evidence), "quote": apply.quote,
        "departments": list(rule.rule.departments),
    }


def guidance_lines(rule: CompiledRule, day: dt.date) -> list[Text]:
    """The lines `--explain` adds under a rule: other sources, readings, how to apply, warnings."""
    if language() == "zh":
        return _chinese_lines(rule, day)
    lines = []
    for source in rule.rule.more_sources:
        text = f"also stated by {source.document} · {source.clause}: “{source.quote}”"
        if source.figures:
            text += f" — figures: {source.figures}"
        lines.append(Text(text, style="dim"))
    for reading in rule.rule.readings:
        line = Text("reading: ", style="bold cyan")
        line.append(f"{reading.question} → {reading.chosen}")
        others = "; ".join(a.reading for a in reading.alternatives)
        line.append(f"  (not: {others})", style="dim")
        lines.append(line)
    apply = rule.rule.apply
    if apply is not None:
        parts = [p for p in (apply.where and f"where: {apply.where}", apply.when and f"when: {apply.when}") if p]
        if apply.evidence:
            parts.append("show: " + "; ".join(apply.evidence))
        lines.append(Text("to apply: " + " · ".join(parts) + f"  “{apply.quote}”", style="green"))
    for warning in warnings(rule, day):
        lines.append(Text(f"⚠ {warning}", style="bold yellow"))
    return lines


def _chinese_lines(rule: CompiledRule, day: dt.date) -> list[Text]:
    """The same lines in Chinese: the documents' words, glosses dropped (answers/chinese.py)."""
    lines = []
    for source in rule.rule.more_sources:
        named = next((d.short for d in rule.documents if d.file == source.document), "另一份文件")
        lines.append(Text(f"另见 {named} · {source.clause}：“{source.quote}”", style="dim"))
    for reading in rule.rule.readings:
        quote = f"“{reading.quote}”" if reading.quote else ""
        lines.append(Text(f"存在不同解读：{quote}本测算采用其中一种（`subsidy rules readings` 列出各解读及理由）",
                          style="cyan"))
    apply = rule.rule.apply
    if apply is not None:
        parts = [f"{label}：{text}" for label, text in (("地点", chinese.chinese_part(apply.where)),
                                                       ("时间", chinese.chinese_part(apply.when))) if text]
        evidence = chinese.chinese_items(apply.evidence)
        if evidence:
            parts.append("材料：" + "；".join(evidence))
        lines.append(Text("申报：" + " · ".join(parts) + f"  原文：“{apply.quote}”", style="green"))
    if rule.validity_warning(day):
        end = horizon(rule.effective, list(rule.documents or (rule.document,)))
        if end is not None:
            lines.append(Text(f"⚠ {chinese.validity_text(end)}", style="bold yellow"))
    if rule.status == DocumentStatus.DRAFT:
        lines.append(Text("⚠ 征求意见稿：尚未施行，金额单独合计，不计入施行中政策的合计", style="bold yellow"))
    return lines
