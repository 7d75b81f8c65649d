"""What the applicant's report (测算报告) says of each benefit, line by line, for the page and the PDF alike.

A manager hands the report in with an application: for each benefit it says how much and how it is computed,
the document and clause, the period, and what applying takes — 受理部门 (the departments), 申报时间 (when),
申报材料 (what to submit, as the rule records it from the document, not the conditions restated) and the
document's own words on applying. In Chinese, every line is Chinese: formulas read out with the fields' labels,
periods said from their dates, English glosses dropped (engine/answers/chinese.py); in English, the rule's own
English notes. Both the printable page and the PDF draw these lines, so they cannot say different things.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from guangxi_subsidy.engine.answers import chinese
from guangxi_subsidy.engine.answers.shown import yuan
from guangxi_subsidy.engine.rules.departments import canonical
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.rules.periods import horizon


@dataclass(frozen=True)
class Line:
    """One line of a benefit in the report: a label, then a text or a list; `style` for the page's look."""

    label: str
    text: str = ""
    items: tuple[str, ...] = ()
    style: str = ""  # "quote", "warn" or ""


def amount_text(amount: dict[str, Any] | None, gettext: Callable[[str], str], language: str) -> str:
    """A benefit's amount as a reader says it (the missing facts by their labels in Chinese)."""
    if amount is None:
        return "—"
    kind, unit = amount["kind"], gettext("yuan")
    if kind == "exact":
        return f"{yuan(amount['value'])} {unit}"
    if kind == "estimate":
        return f"{yuan(amount['value'])} {unit}（{gettext('estimate')}）"
    if kind == "range":
        return f"{yuan(amount['min'])} – {yuan(amount['max'])} {unit}"
    if kind == "up_to":
        return f"{gettext('up to')} {yuan(amount['max'])} {unit}"
    if kind == "unquantified":
        return gettext("not quantified by the documents")
    if kind == "non_monetary":
        says = chinese.chinese_part(amount.get("says")) if language == "zh" else amount.get("says")
        return gettext("non-monetary") + (f"：{says}" if says else "")
    names = [chinese.label(m) for m in amount["missing"]] if language == "zh" else amount["missing"]
    return gettext("needs") + " " + "、".join(names)


def benefit_lines(benefit: dict[str, Any], pack: RulePack, as_of: dt.date, gettext: Callable[[str], str],
                  language: str) -> list[Line]:
    """Every line the report prints under one benefit, in its language."""
    rule = pack.rules[benefit["rule_id"]]
    zh = language == "zh"
    amount = benefit.get("amount")
    lines = [Line(gettext("Amount"), amount_text(amount, gettext, language))]
    combined = benefit.get("not_combined")
    if combined:  # another benefit is paid instead: the sentence in Chinese, or the rule paid named in English
        text = gettext("not combined with {0}: {0} applies instead").format(combined["instead_name"])
        lines.append(Line("⚠", combined["text"] if zh else text, style="warn"))
    if amount and amount.get("formula"):
        lines.append(Line(gettext("How it is computed"),
                          chinese.formula_text(amount["formula"]) if zh else amount["formula"]))
        for cap in amount.get("caps") or []:
            shown = yuan(cap["value"]) if cap.get("value") is not None else cap["expression"]
            text = chinese.cap_text(cap["expression"], cap.get("says"), shown) if zh \
                else f"{cap['expression']} ({cap['per']})"
            lines.append(Line(gettext("Cap"), text + (f" ← {gettext('applied')}" if cap.get("bit") else "")))
    document = benefit["document"]
    number = f"（{document['number']}）" if document.get("number") else ""
    lines.append(Line(gettext("Document"), f"{document['title']}{number} {gettext('clause')} {benefit['clause']}"))
    lines.append(Line("", f"“{benefit['quote']}”", style="quote"))
    if benefit.get("raw"):
        reading = chinese.chinese_part(benefit["reading"]) if zh else benefit["reading"]
        lines.append(Line(gettext("The document's text is damaged here:"),
                          f"“{benefit['raw']}” {gettext('is read as')} “{reading}”", style="warn"))
    period = chinese.period_text(rule.effective.from_, rule.effective.to) if zh else (rule.effective.note or "")
    if period:
        lines.append(Line(gettext("Period:").rstrip(":："), period))
    if rule.validity_warning(as_of):
        end = horizon(rule.effective, list(rule.documents or (rule.document,)))
        text = chinese.validity_text(end) if zh and end else (rule.validity_warning(as_of) or "")
        lines.append(Line("⚠", text, style="warn"))
    departments = dict.fromkeys(canonical(d, rule.document.jurisdiction) for d in benefit["departments"])
    lines.append(Line(gettext("Apply to"), "、".join(departments) or gettext("not listed by the document")))
    apply = rule.rule.apply
    when = where = None
    evidence: list[str] = []
    if apply is not None:
        when = chinese.chinese_part(apply.when) if zh else apply.when
        where = chinese.chinese_part(apply.where) if zh else apply.where
        evidence = chinese.chinese_items(apply.evidence) if zh else list(apply.evidence)
    lines.append(Line(gettext("When to apply"), when or gettext("as the department announces (the document sets no "
                                                                 "time)")))
    if where:
        lines.append(Line(gettext("Where to apply"), where))
    lines.append(Line(gettext("Documents to submit"), "" if evidence else gettext(
        "not listed by the document: ask the department"), items=tuple(evidence)))
    if apply is not None:
        lines.append(Line(gettext("The document on applying"), f"“{apply.quote}”", style="quote"))
    met = [chinese.chinese_part(c["says"]) if zh else c["says"] for c in benefit.get("reasons", [])
           if c["held"] and c.get("says") and c["says"] != rule.effective.note]
    if any(met):
        lines.append(Line(gettext("Conditions met, in the document's words"), items=tuple(m for m in met if m)))
    return lines
