"""An evaluation as a reader sees it: the `subsidy-evaluation/1` data plus what only a reader needs.

The web's result pages and the applicant's report (its page and its PDF) are drawn from
`evaluation_json(..., explain=True)`, the same data the API and the CLI give, so neither can say something the JSON
does not. Added here: the damaged text of a clause and how it is read (a contested reading), the period's note,
the near misses in words, the report's lines under each benefit, and, for "might also apply", the questions to
ask next (labelled as the calculator asks them, engine/applicant/questions.py). The web adds what its
questionnaire holds at stake (engine/web/results.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from guangxi_subsidy.engine.answers.document import evaluation_json
from guangxi_subsidy.engine.answers.reportview import benefit_lines
from guangxi_subsidy.engine.applicant.questions import IDENTITY, Question, question
from guangxi_subsidy.engine.evaluation.evaluate import Evaluation
from guangxi_subsidy.engine.evaluation.outcome import SHOWN, Status
from guangxi_subsidy.engine.i18n import translations
from guangxi_subsidy.engine.rules.pack import RulePack

# Checks every rule has that a reader does not need spelled out on a benefit that holds.
ROUTINE = ("beneficiary", "jurisdiction")


@dataclass(frozen=True)
class Next:
    """A rule that fails only for want of facts, and the questions that would settle it."""

    rule_id: str
    name: str
    clause: str
    questions: tuple[Question, ...]


def _benefit(item: dict[str, Any], pack: RulePack, day: dt.date | None = None) -> dict[str, Any]:
    rule = pack.rules[item["rule_id"]]
    source = rule.rule.source
    item = dict(item)
    item["raw"], item["reading"] = source.raw, source.reading
    item["period_note"] = rule.effective.note
    item["notes"] = rule.rule.notes
    item["document_short"] = rule.document.short
    checks = item.get("checks", [])
    item["reasons"] = [c for c in checks if c["id"] not in ROUTINE]
    item["unsettled"] = bool(rule.validity_warning(day)) if day is not None else False
    # what to show the department: the evidence of each condition that held, in the document's words
    item["evidence"] = [c["says"] for c in checks if c["held"] and c.get("says") and c["id"] not in ROUTINE]
    return item


def view(evaluation: Evaluation, pack: RulePack) -> dict[str, Any]:
    """Everything the applicant's report shows for one evaluation, and a results page but what is at stake."""
    data = evaluation_json(evaluation, explain=True)
    kind = data["applicant"]["kind"]
    day = evaluation.as_of
    benefits = [_benefit(b, pack, day) for b in data["benefits"] if b["status"] in SHOWN]
    unmet = [
        _benefit(b, pack)
        for b in data["benefits"]
        if b["status"] == "not_eligible" and kind in pack.rules[b["rule_id"]].kinds
        and data["applicant"]["city"] in pack.rules[b["rule_id"]].cities
    ]
    says: dict[str, tuple[str, ...]] = {}
    for rule in pack.rules.values():
        for condition in rule.conditions:
            for name in condition.fields:
                if condition.says:
                    says[name] = (*says.get(name, ()), condition.says)
    nexts = [
        Next(m["rule_id"], m["name"], pack.rules[m["rule_id"]].rule.source.clause,
             tuple(question(f, tuple(dict.fromkeys(says.get(f, ())))) for f in m["facts_needed"]
                   if f not in IDENTITY))
        for m in data["might_apply"]
    ]
    asked = sorted({q.name for n in nexts for q in n.questions})
    eligible = [b for b in benefits if b["status"] == Status.ELIGIBLE]
    departments = sorted({d for b in eligible for d in b["departments"]})
    warnings = [b for b in benefits if b["status"] != Status.ELIGIBLE or b["draft"] or b["period_note"] or b["raw"]]
    from guangxi_subsidy.engine.answers.sentences import gain_text, line_text
    from guangxi_subsidy.engine.evaluation.nearmiss import near_misses

    near = [{"rule_id": m.rule.id, "name": m.rule.name, "text": line_text(m), "gain": gain_text(m),
             "changes": [c.field for c in m.changes]} for m in near_misses(evaluation, pack)]
    for b in benefits:  # the report's lines under each benefit, in each language (answers/reportview.py)
        b["report_lines"] = {lang: benefit_lines(b, pack, evaluation.as_of, translations(lang).gettext, lang)
                             for lang in ("zh", "en")}
    return {
        "data": data,
        "near": near,
        "benefits": benefits,
        "paying": eligible,  # the benefits that apply on the date
        "unmet": unmet,
        "next": nexts,
        "asked": asked,
        "departments": departments,
        "warnings": warnings,
        "totals": data["totals"],
        "receipt": data["receipt"],
    }
