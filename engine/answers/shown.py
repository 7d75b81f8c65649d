"""Values as a person reads them on a page or in a report: money in yuan with separators, a kind of applicant and a
city by their Chinese names (the codes, spaced, in English), in the language asked for (Chinese unless English).

The web's pages and the applicant's report (its HTML and its PDF) show the same figures and names, so they take
them from here, below both.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from guangxi_subsidy.engine.applicant.spellings import CITY_LABELS, KIND_LABELS
from guangxi_subsidy.engine.i18n import LANGUAGES
from guangxi_subsidy.engine.money import format_yuan

DEFAULT_LANGUAGE = "zh"


def language_of(value: str | None) -> str:
    """The language asked for: `en` or `zh` (`?lang=en`, `--lang zh`, `en_US`); Chinese otherwise."""
    code = (value or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def yuan(value: Any) -> str:
    """550000.00 → 550,000.00; anything else as it stands."""
    if value is None:
        return "—"
    try:
        return format_yuan(Decimal(str(value)))
    except ArithmeticError:
        return str(value)


def kind_label(code: str, language: str) -> str:
    """众创空间 for `maker_space` in Chinese, `maker space` in English."""
    return KIND_LABELS.get(code, code) if language == "zh" else code.replace("_", " ")


def city_label(code: str, language: str) -> str:
    """南宁市 for `nanning` in Chinese, `Nanning` in English."""
    return CITY_LABELS.get(code, code) if language == "zh" else code.replace("_", " ").title()
