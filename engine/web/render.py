"""Jinja2 pages in the reader's language: one environment per language, autoescaping everything.

Page text is written as English messages in `_()` / `{% trans %}` and translated by the project's gettext
catalogue (`engine/i18n`), so the web pages and the CLI share one catalogue. Each language has its own
environment because `install_gettext_translations` binds the catalogue to the environment; both are built once.
Autoescaping is on for every template: an applicant's name or a spreadsheet cell is text, never markup.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from guangxi_subsidy.engine import i18n
from guangxi_subsidy.engine.applicant.profile import CITY_LABELS, KIND_LABELS, Profile
from guangxi_subsidy.engine.evaluation.outcome import STATUS_WORDS, Status
from guangxi_subsidy.engine.i18n import N_
from guangxi_subsidy.engine.money import format_yuan

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def language_of(value: str | None) -> str:
    """The page language: `?lang=en` or `?lang=zh`; Chinese otherwise."""
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
    env.globals.update(
        lang=language,
        other_lang="en" if language == "zh" else "zh",
        kind_label=lambda code: kind_label(code, language),
        city_label=lambda code: city_label(code, language),
        kinds=list(KIND_LABELS),
        cities=list(CITY_LABELS),
        label=lambda name: field_label(name, language),
        unit_label=lambda unit: _gettext(language, UNITS.get(unit) or unit),
        placeholder=lambda kind: PLACEHOLDERS.get(kind, ""),
        Status=Status,  # (templates compare with the codes' one home, evaluation/outcome.py)
        status_word=lambda status: _gettext(language, STATUS_WORDS.get(status, "not met")),
    )
    return env


# Units as the profile model names them, and how a reader says them (translated by the catalogue).
UNITS = {"yuan": N_("yuan"), "years": N_("years"), "months": N_("months"), "persons": N_("persons"),
         "products": N_("products"), "ratio": N_("share, 0–1 or a percentage"), "person-months": N_("person-months")}
PLACEHOLDERS = {"money": "550000 / 55万", "ratio": "0.85 / 85%", "number": "0", "date": "2017-03-01"}


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


def kind_label(code: str, language: str) -> str:
    return KIND_LABELS.get(code, code) if language == "zh" else code.replace("_", " ")


def city_label(code: str, language: str) -> str:
    return CITY_LABELS.get(code, code) if language == "zh" else code.replace("_", " ").title()


def render(template: str, language: str, **context: Any) -> str:
    return environment(language).get_template(template).render(**context)
