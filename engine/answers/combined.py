"""A benefit not combined with another, told: the entry's keys in the JSON document, and its sentence.

A benefit that is eligible but not paid because another one is (rules/combining.py) is never left out of an
answer: it is listed with status `not_combined`, the rule paid instead, and the sentence a reader needs
("不与…同时享受，按…执行"); every rule also carries its recorded combinations, with the words they rest on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from guangxi_subsidy.engine.evaluation.evaluate import Outcome
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack

if TYPE_CHECKING:  # (the rule file's model: read only when a rule's combinations are shown)
    from guangxi_subsidy.engine.rules.decisions import Reading

CHOICE_ZH = {"both": "可同时享受", "this": "只享受本项", "other": "只享受另一项", "higher": "就高享受，不重复"}


def sentence_zh(name: str, instead: str) -> str:
    """The entry's sentence in Chinese (the JSON's `text`, the Chinese report's)."""
    return f"「{name}」不与「{instead}」同时享受，按「{instead}」执行"


def not_combined_json(outcome: Outcome, pack: RulePack) -> dict[str, Any] | None:
    """The rule paid instead of this one, and the sentence; None for any other status."""
    if outcome.instead is None:
        return None
    instead = pack.rules[outcome.instead]
    return {"instead": instead.id, "instead_name": instead.name,
            "text": sentence_zh(outcome.rule.name, instead.name)}


def not_combined_line(outcome: Outcome, pack: RulePack) -> str | None:
    """The terminal's line under the status, in the reader's language."""
    if outcome.instead is None:
        return None
    return _("not combined with {0}: {0} applies instead").format(pack.rules[outcome.instead].name)


def _reading_json(reading: Reading) -> dict[str, Any]:
    return {"id": reading.id, "question": reading.question, "quote": reading.quote, "chosen": reading.chosen,
            "why": reading.why, "alternatives": [a.reading for a in reading.alternatives]}


def combinations_json(rule: CompiledRule) -> list[dict[str, Any]]:
    """The rule's recorded combinations: with which rules, what is paid, and the quote or reading."""
    return [{"with": list(c.with_), "choose": c.choose, "words": CHOICE_ZH[c.choose], "quote": c.quote,
             "document": c.document or (rule.document.file if c.quote is not None else None), "clause": c.clause,
             "reading": None if c.reading is None else _reading_json(c.reading)}
            for c in rule.rule.combinations]
