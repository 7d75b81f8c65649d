"""Jinja2 pages in the reader's language: one environment per language, autoescaping everything.

Page text is written as English messages in `_()` / `{% trans %}` and translated by the project's gettext
catalogue (`engine/i18n`), so the web pages and the CLI share one catalogue. Each language has its own
environment because `install_gettext_translations` binds the catalogue to the environment; both are built once.
Autoescaping is on for every template: an applicant's name or a spreadsheet cell is text, never markup.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from guangxi_subsidy.engine import i18n
from guangxi_subsidy.engine.answers.shown import city_label, kind_label, yuan
from guangxi_subsidy.engine.answers.shown import language_of as language_of  # (the web's modules take it from here)
from guangxi_subsidy.engine.applicant.profile import CITY_LABELS, KIND_LABELS, Profile
from guangxi_subsidy.engine.evaluation.outcome import STATUS_WORDS, Status
from guangxi_subsidy.engine.i18n import N_

TEMPLATES = Path(__file__).resolve().parent / "templates"
@functools.cache
def environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["yuan"] = yuan
    env.filters["plain"] = lambda text: plain(text, language)
    env.filters["formula"] = lambda text: formula_words(text, language)
    env.globals.update(
        lang=language,
        other_lang="en" if language == "zh" else "zh",
        kind_label=lambda code: kind_label(code, language),
        city_label=lambda code: city_label(code, language),
        kinds=list(KIND_LABELS),
        cities=list(CITY_LABELS),
        label=lambda name: field_label(name, language),
        unit_label=lambda unit: _gettext(language, UNITS.get(unit) or unit),
        example=lambda kind: _gettext(language, EXAMPLES[kind]) if kind in EXAMPLES else "",
        received=_received,
        choice=lambda name, code: _choice(name, code, language),
        check_words=lambda check: check_words(check, language),
        shown_value=lambda name, value: shown_value(name, value, language),
        Status=Status,  # (templates compare with the codes' one home, evaluation/outcome.py)
        status_word=lambda status: _gettext(language, STATUS_WORDS.get(status, "not met")),
    )
    return env


# Units as the profile model names them, and how a reader says them (translated by the catalogue).
UNITS = {"yuan": N_("yuan"), "years": N_("years"), "months": N_("months"), "persons": N_("persons"),
         "products": N_("products"), "ratio": N_("share, 0–1 or a percentage"), "person-months": N_("person-months")}
# How to write a figure, shown as a help line under the input (never as a grey placeholder that looks filled in).
EXAMPLES = {"money": N_("e.g. 550000 or 55万"), "ratio": N_("e.g. 0.85 or 85%"),
            "date": N_("e.g. 2017-03-01, 2017/3/1 or 2017年3月1日")}
_LATIN_ASIDE = re.compile(r"\s*[(（][^()（）]*[A-Za-z]{2,}[^()（）]*[)）]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_NAME = re.compile(r"\b[a-z][a-z0-9_]*\b")


def _choice(name: str, code: str, language: str) -> str:
    """A choice as people read it: its Chinese label (the first of its spellings); the code in English."""
    from guangxi_subsidy.engine.applicant.spellings import SYNONYMS

    names = SYNONYMS.get(name, {}).get(code)
    return names[0] if names and language == "zh" else code.replace("_", " ")


CHECK_WORDS = {"in_force": N_("in force on this date"), "beneficiary": N_("the kind of applicant"),
               "jurisdiction": N_("the place")}


def check_words(check: Mapping[str, Any], language: str) -> str:
    """A check as a page says it: the document's words (English asides left out on a Chinese page); for a check
    the documents do not word, or word only in English, what it checks."""
    said = plain(check.get("says"), language)
    if said:
        return said
    if language == "en":
        return str(check.get("text") or "")
    ident = str(check.get("id") or "")
    if ident.startswith("requires:"):
        return ""
    return _gettext(language, CHECK_WORDS.get(ident, N_("a condition of the document")))


def shown_value(name: str, value: Any, language: str) -> str:
    """A value in a check as people read it: 是/否, a choice's label, 未填写 (the codes on the English page)."""
    if language == "en":
        return "not given" if value is None else "yes" if value is True else "no" if value is False else str(value)
    if value is None:
        return _gettext(language, "not given")
    if isinstance(value, bool):
        return _gettext(language, "yes" if value else "no")
    from guangxi_subsidy.engine.applicant.spellings import SYNONYMS

    return _choice(name, str(value), language) if name in SYNONYMS else str(value)


def _received(name: str) -> bool:
    from guangxi_subsidy.engine.web.questionnaire import is_received

    return is_received(name)


def plain(text: Any, language: str) -> str:
    """A rule's note as a Chinese page shows it: the English asides in brackets left out, and nothing at all when
    what remains is still English (the English page shows it whole)."""
    if text is None:
        return ""
    text = str(text)
    if language == "en":
        return text
    text = _LATIN_ASIDE.sub("", text).strip()
    return "" if _LATIN_WORD.search(text) else text


def formula_words(text: Any, language: str) -> str:
    """A formula with each field named as people read it: 实际缴纳房租和宽带接入费 × 70%."""
    if text is None:
        return ""
    text = str(text)
    if language == "en":
        return text
    from guangxi_subsidy.engine.applicant.fields import fields

    labels = {name: info.label for name, info in fields().items()}
    text = _NAME.sub(lambda m: labels.get(m[0], m[0]), text.replace(" * ", " × "))
    text = text.replace("min(", "取小(").replace("max(", "取大(")
    return "" if _LATIN_WORD.search(text) else text


def _gettext(language: str, message: str) -> str:
    return i18n.translations(language).gettext(message)


def field_label(name: str, language: str) -> str:
    info = Profile.model_fields.get(name)
    if info is None:
        return name
    if language == "en":
        return info.description or name
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return str(extra.get("label_zh", name))


def render(template: str, language: str, **context: Any) -> str:
    return environment(language).get_template(template).render(**context)
