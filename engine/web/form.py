"""The calculator's questions: only the fields a kind of applicant's rules read, grouped by the benefit that asks.

An enterprise should not be asked about a bank's loans. For a kind and a city, the questions are the profile
fields read by the rules (and the derived facts they require) that could apply there; each field is asked once,
under the first benefit in the documents' order that reads it, which groups the form by topic as the documents
do. Label, unit and help come from the profile model (its Chinese label; engine/applicant/questions.py) and from
the rules' own `says`, so the form speaks the documents' words. Answers are read exactly as a spreadsheet cell is
(`intake.cells.cell_value`, then `parse_profile`): 是/否, 55万, 2017年3月1日 mean what they mean in a batch file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from guangxi_subsidy.engine.applicant.profile import CITY_LABELS, Profile
from guangxi_subsidy.engine.applicant.questions import IDENTITY, META, Question, question
from guangxi_subsidy.engine.applicant.reading import ProfileError, parse_profile
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.intake.cells import cell_value, clean
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack

DEFAULT_ID = "WEB-1"
MAX_FIELD_TEXT = 200  # characters of one answer; longer is refused as a bad value, never stored
NONE_SUFFIX = "__none"  # `<field>__none=1`: the box 没有 (0) ticked beside an "already received" figure


@dataclass(frozen=True)
class Topic:
    """The questions one benefit asks first, under its name and clause."""

    rule_id: str
    title: str
    clause: str
    document: str
    questions: tuple[Question, ...]


@dataclass
class Answers:
    """What the form sent, as typed, and the profile read from it (or the problems, per field)."""

    values: dict[str, str]
    profile: Profile | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _applies(rule: CompiledRule, kind: str, city: str, include_drafts: bool) -> bool:
    draft = rule.status.value == "draft"
    return kind in rule.kinds and city in rule.cities and (include_drafts or not draft)


def topics(pack: RulePack, kind: str, city: str, include_drafts: bool = False) -> list[Topic]:
    """The questions for this kind in this city, grouped under the first benefit that reads each."""
    says: dict[str, list[str]] = {}

    def note_says(rule: CompiledRule) -> None:
        for condition in rule.conditions:
            for name in condition.fields:
                if condition.says and condition.says not in says.setdefault(name, []):
                    says[name].append(condition.says)

    def reads(rule: CompiledRule, seen: set[str]) -> list[str]:
        names: list[str] = []
        for need in rule.requires:
            if need not in seen:
                seen.add(need)
                names += reads(pack.derived[need], seen)
        note_says(rule)
        names += sorted(rule.fields_read())
        return names

    asked: set[str] = set(IDENTITY)
    out: list[Topic] = []
    for rule in pack.rules.values():
        if not _applies(rule, kind, city, include_drafts):
            continue
        fresh = [n for n in dict.fromkeys(reads(rule, set())) if n not in asked and n in META]
        asked.update(fresh)
        if fresh:
            qs = tuple(question(n, tuple(says.get(n, ()))) for n in fresh)
            out.append(Topic(rule.id, rule.name, rule.rule.source.clause, rule.document.short, qs))
    return out


def read_answers(form: Mapping[str, str], kind: str, city: str, as_of: str | None) -> Answers:
    """The profile the answers give, or every problem beside its field. Unknown form keys are ignored."""
    values: dict[str, str] = {}
    data: dict[str, Any] = {"kind": kind, "city": city}
    errors: dict[str, str] = {}
    for name in META:
        if name in ("kind", "city"):
            continue
        text = form.get(name)
        if text is None:
            continue
        text = str(text)
        if not text.strip() and form.get(name + NONE_SUFFIX) == "1":  # 没有 beside an "already received" figure
            text = "0"
        values[name] = text
        if len(text) > MAX_FIELD_TEXT:
            errors[name] = _("at most {0} characters").format(MAX_FIELD_TEXT)
            continue
        cell = cell_value(name, text)
        if cell is not None:
            data[name] = cell
    if as_of:
        values["as_of"] = as_of
        data["as_of"] = cell_value("as_of", as_of)
    data.setdefault("id", DEFAULT_ID)
    answers = Answers(values)
    if errors:
        answers.errors = errors
        return answers
    try:
        answers.profile = parse_profile(data, "form")
    except ProfileError as error:
        answers.errors = {name: f"{value} — {expected}" for name, value, expected in error.problems}
    return answers


def choose(kind: str | None, city: str | None, as_of: str | None) -> tuple[str, str, str, dict[str, str]]:
    """Kind, city and date from the query, each read by the profile's own readers (every spelling a profile or a
    cell accepts: 众创空间, 南宁市, 2017年3月1日, 2017/3/1); an unreadable one keeps what was typed (the date) or
    falls back (kind, city), with the error in the current language. Never today in place of a date typed."""
    from guangxi_subsidy.engine.applicant import values
    from guangxi_subsidy.engine.applicant.spellings import read_choice

    errors: dict[str, str] = {}
    picked: dict[str, str] = {}
    for name, text, fallback in (("kind", kind, "enterprise"), ("city", city, "nanning")):
        typed = clean(text)
        try:
            picked[name] = read_choice(name, typed) if typed else fallback
        except ValueError as error:
            errors[name] = str(error)
            picked[name] = fallback
    typed = clean(as_of)
    day = dt.date.today().isoformat()
    if typed is not None:
        try:
            day = values.date(typed).isoformat()
        except ValueError as error:
            errors["as_of"] = str(error)
            day = typed[:MAX_FIELD_TEXT]
    if picked["city"] not in CITY_LABELS:  # (a district spelling reads as its city's code)
        picked["city"] = "nanning"
    return picked["kind"], picked["city"], day, errors
