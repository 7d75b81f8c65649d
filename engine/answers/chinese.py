"""What a Chinese reader is shown of a rule's data: Chinese only, no field code, no English gloss.

The rule files write for two readers at once: the documents' words, then an English gloss in parentheses
("首台（套）重大技术装备 (a certified maker's award …)"), and formulas over field names
(`rent_and_broadband_paid * 70%`). A Chinese page, report or workbook shows the Chinese: glosses are dropped, a
formula is read out with the fields' and parameters' Chinese labels (实际缴纳房租和宽带接入费 × 70%), a period is
said from its dates, and a note written in English is replaced by the document's own words (the rule's quote).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable

from guangxi_subsidy.engine.applicant.fields import field_labels

_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_GLOSS = re.compile(r"\s*[(（]([^()（）]*)[)）]")
_TOKEN = re.compile(r"\b[a-z_][a-z0-9_]*\b|\s*[*/+]\s*|\s+-\s+")
FUNCTIONS = {"min": "取较小者", "max": "取较大者"}
OPERATORS = {"*": " × ", "/": " ÷ ", "+": " + ", "-": " − "}


@functools.cache
def _cjk() -> re.Pattern[str]:
    """A Chinese character (the unified ideographs and their compatibility block): compiled when first used, since
    its ranges take `re` a few milliseconds to compile, more than the rest of this module, and `subsidy evaluate`'s
    table never needs it."""
    return re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_latin(text: str) -> bool:
    """Whether a text holds a Latin word (two letters or more: a unit such as 元 or a lone `A` is not one)."""
    return bool(_LATIN_WORD.search(text))


def unglossed(text: str | None) -> str:
    """The text without its English glosses: parentheses holding Latin words and no Chinese are dropped."""
    if not text:
        return ""

    def keep(match: re.Match[str]) -> str:
        inner = match.group(1)  # a gloss: English, perhaps naming a character or two ("元 was lost")
        english = len(re.findall(r"[A-Za-z]", inner)) > 2 * len(_cjk().findall(inner))
        return "" if has_latin(inner) and english else match.group(0)

    return re.sub(r"\s{2,}", " ", _GLOSS.sub(keep, text)).strip()


def chinese_part(text: str | None) -> str | None:
    """The Chinese of a text written half in English: the glosses dropped, then only the clauses (split at
    semicolons, or a colon that opens an English explanation) with no Latin word; None when nothing Chinese is left."""
    parts = [p.strip(" ,，") for p in re.split(r"[;；]|:\s", unglossed(text))]
    kept = [p for p in parts if p and _cjk().search(p) and not has_latin(p)]
    return "；".join(kept) or None


def chinese_items(items: Iterable[str]) -> list[str]:
    return [c for c in (chinese_part(i) for i in items) if c]


@functools.cache
def _parameter_labels() -> dict[str, str]:
    from guangxi_subsidy.engine.rules.pack import DEFAULT_RULES
    from guangxi_subsidy.engine.yamlio import load_yaml

    data = load_yaml((DEFAULT_RULES / "parameters.yaml").read_text(encoding="utf-8")) or {}
    return {name: unglossed(str(spec.get("description") or name))
            for name, spec in (data.get("parameters") or {}).items()}


def label(name: str) -> str:
    """A field's or a dated parameter's Chinese label (the name itself when it has none)."""
    return field_labels().get(name) or _parameter_labels().get(name) or name


def formula_text(formula: str | None) -> str:
    """A formula read out in Chinese: names as labels, × and ÷ for * and /, min and max in words."""
    if not formula:
        return ""
    def token(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.strip() in OPERATORS:
            return OPERATORS[word.strip()]
        return FUNCTIONS.get(word) or label(word)

    text = _TOKEN.sub(token, formula)  # one pass: a label's own "/" is not read as an operator
    return re.sub(r"\s{2,}", " ", text).strip()


def day_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(start: dt.date, end: dt.date | None) -> str:
    """A rule's period from its dates, as a Chinese reader says it."""
    if end is None:
        return f"自{day_text(start)}起施行，文件未规定截止日期"
    return f"{day_text(start)}至{day_text(end)}"


def validity_text(horizon: dt.date) -> str:
    """The warning for a date past a rule's horizon (no end date stated, five years after the latest issue)."""
    return (f"效力未确定：文件未规定截止日期，评估日期已在最近一份文件印发五年之后（{day_text(horizon)}之后），"
            f"文件不能确认该政策仍然有效")


def cap_text(text: str, says: str | None, shown: str) -> str:
    """A cap in Chinese: the document's words when it gives them, else its figure."""
    words = chinese_part(says)
    return f"{shown} 元" + (f"（{words}）" if words else f"（{text}）" if not has_latin(text) else "")
