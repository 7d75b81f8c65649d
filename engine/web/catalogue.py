"""The 政策清单: every item of the pack, as the guide (`engine/rules/guide.py`) words it, searched and filtered.

One selection serves the page (`/catalogue`, a GET form that works without script) and the API
(`/api/v1/catalogue`): the filters are read here once, by the profile's own readers where a profile field is
meant (南宁 or nanning, 众创空间 or incubation_base, 2017年3月1日), and a value no reader accepts is refused with
the field, the value and what is accepted — in Chinese on the page, in English in the problem document. Each
item's row is the guide's `item()`, so the page, the workbook and the PDF say the same words; only the status
(in force, expired, not yet in force, draft) and the filters' codes are added, for programs.

Each item links to the guided questionnaire set up for it (`/guide?identity=…&focus=RULE`): the kind of
applicant (or the derived fact) the rule needs, a city where it applies, a date within its period, and the rule
whose questions come first (`questionnaire.step(focus=…)`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from guangxi_subsidy.engine.applicant.profile import GUANGXI_CITIES
from guangxi_subsidy.engine.applicant.spellings import CITY_LABELS, KIND_LABELS, SYNONYMS
from guangxi_subsidy.engine.applicant.values import normal
from guangxi_subsidy.engine.rules import guide
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.departments import canonical
from guangxi_subsidy.engine.rules.pack import RulePack

SCHEMA = "subsidy-catalogue/1"
IN_FORCE, EXPIRED, NOT_YET, DRAFT, ALL = "in_force", "expired", "not_yet", "draft", "all"
STATUS_WORDS = {IN_FORCE: "现行有效", EXPIRED: "已失效", NOT_YET: "尚未施行", DRAFT: "征求意见稿（未施行）",
                ALL: "全部（征求意见稿另选）"}
MAX_QUERY = 100  # characters of the search text
PARAMETERS = ("q", "kind", "city", "department", "status", "as_of", "include_drafts")


@dataclass(frozen=True)
class Refusal:
    """A filter value refused: the field, the value as sent, and what is accepted (Chinese, English)."""

    field: str
    value: str
    expected_zh: str
    expected_en: str


@dataclass(frozen=True)
class Filters:
    """The selection asked for; None or "" where a filter is not set."""

    as_of: dt.date
    q: str = ""
    kind: str | None = None
    city: str | None = None
    department: str | None = None
    status: str = IN_FORCE
    include_drafts: bool = False

    def query(self) -> dict[str, str]:
        """The filters as a query string's parameters (those set)."""
        out = {"q": self.q, "kind": self.kind or "", "city": self.city or "", "department": self.department or "",
               "status": self.status, "as_of": self.as_of.isoformat(), "include_drafts": "1" if self.include_drafts
               else ""}
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class Entry:
    """One item of the list: the guide's row, and the codes programs filter on."""

    item: guide.Item
    status: str
    kinds: tuple[str, ...]
    cities: tuple[str, ...]
    jurisdiction: str
    departments: tuple[str, ...]
    way: str
    effective_from: dt.date
    effective_to: dt.date | None
    questions: str
    text: str = field(repr=False, default="")


def departments_of(rule: CompiledRule) -> tuple[str, ...]:
    """The rule's departments, each under its one name (the first is the lead)."""
    return tuple(dict.fromkeys(canonical(d, rule.jurisdiction) for d in rule.rule.departments))


def all_departments(pack: RulePack) -> list[str]:
    """Every department any item names, in the order they first appear: the department filter's choices."""
    return list(dict.fromkeys(d for rule in pack.rules.values() for d in departments_of(rule)))


def status_of(rule: CompiledRule, day: dt.date) -> str:
    if rule.status.value == "draft":
        return DRAFT
    if day < rule.effective.from_:
        return NOT_YET
    if rule.effective.to is not None and day > rule.effective.to:
        return EXPIRED
    return IN_FORCE


def _choice(name: str, text: str) -> str | None:
    """A kind or a city from its code or any of its spellings (南宁, 南宁市, nanning); None when none."""
    typed = normal(text)
    for code, names in SYNONYMS[name].items():
        if typed.lower() == code or typed in names:
            return code
    return None


def read_filters(query: Mapping[str, str], pack: RulePack, today: dt.date | None = None
                 ) -> tuple[Filters, list[Refusal]]:
    """The filters of a query; each value refused is named, and the filter left unset."""
    from guangxi_subsidy.engine.applicant.values import date as read_date

    refused: list[Refusal] = []
    got = {k: (query.get(k) or "").strip() for k in PARAMETERS}
    q = got["q"]
    if len(q) > MAX_QUERY:
        refused.append(Refusal("q", q[:40] + "…", f"不超过 {MAX_QUERY} 个字的检索词",
                               f"at most {MAX_QUERY} characters"))
        q = ""
    kind = city = department = None
    if got["kind"]:
        kind = _choice("kind", got["kind"])
        if kind is None or kind not in KIND_LABELS:
            kind = None
            refused.append(Refusal("kind", got["kind"][:40], "惠及对象之一：" + "、".join(KIND_LABELS.values()),
                                   "one of: " + ", ".join(KIND_LABELS)))
    if got["city"]:
        city = _choice("city", got["city"])
        if city is None or city not in GUANGXI_CITIES:
            city = None
            refused.append(Refusal("city", got["city"][:40], "广西的设区市之一：" + "、".join(
                CITY_LABELS[c] for c in GUANGXI_CITIES), "one of: " + ", ".join(GUANGXI_CITIES)))
    if got["department"]:
        known = all_departments(pack)
        if got["department"] in known:
            department = got["department"]
        else:
            refused.append(Refusal("department", got["department"][:40], "清单所列受理部门之一",
                                   "one of the departments the items name (GET /api/v1/catalogue lists them)"))
    status = got["status"] or IN_FORCE
    if status not in STATUS_WORDS:
        refused.append(Refusal("status", status[:40], "状态之一：" + "、".join(STATUS_WORDS.values()),
                               "one of: " + ", ".join(STATUS_WORDS)))
        status = IN_FORCE
    day = today or dt.date.today()
    if got["as_of"]:
        try:
            day = read_date(got["as_of"][:40])
        except ValueError:
            refused.append(Refusal("as_of", got["as_of"][:40], "日期，如 2018-06-01 或 2018年6月1日",
                                   "a date: YYYY-MM-DD"))
    drafts = got["include_drafts"]
    if drafts not in ("", "0", "1", "true", "false"):
        refused.append(Refusal("include_drafts", drafts[:40], "1（含征求意见稿）或 0", "1 or 0"))
    include = drafts in ("1", "true") or status == DRAFT
    return Filters(day, q, kind, city, department, status, include), refused


def identity_for(rule: CompiledRule, pack: RulePack) -> str:
    """What the questionnaire's first step would be answered with for this item: the derived fact the rule
    requires (入驻南宁创业孵化基地的企业), else its first kind of applicant."""
    from guangxi_subsidy.engine.web.questionnaire import identities

    codes = {i.code for i in identities(pack)}
    for derived in rule.requires:
        if f"derived:{derived}" in codes:
            return f"derived:{derived}"
    return f"kind:{rule.kinds[0]}"


def questions_link(rule: CompiledRule, pack: RulePack, city: str | None, day: dt.date) -> str:
    """The guided questionnaire set for this item: its applicant, a city where it applies (the one chosen, if it
    does), a date within its period, and its questions first."""
    place = city if city in rule.cities else rule.cities[0]
    on = max(day, rule.effective.from_)
    if rule.effective.to is not None:
        on = min(on, rule.effective.to)
    query = {"identity": identity_for(rule, pack), "city": place, "as_of": on.isoformat(), "focus": rule.id}
    if rule.status.value == "draft":
        query["include_drafts"] = "1"
    return "/guide?" + urlencode(query)


def entries(pack: RulePack, filters: Filters) -> list[Entry]:
    """The items the filters select, in the pack's order (the documents' order)."""
    out = []
    needle = normal(filters.q).casefold() if filters.q else ""
    for rule in pack.rules.values():
        status = status_of(rule, filters.as_of)
        if status == DRAFT:  # drafts only when asked for, beside the status chosen (or alone: status=draft)
            if not filters.include_drafts:
                continue
        elif filters.status not in (ALL, status):
            continue
        if filters.kind is not None and filters.kind not in rule.kinds:
            continue
        if filters.city is not None and filters.city not in rule.cities:
            continue
        departments = departments_of(rule)
        if filters.department is not None and filters.department not in departments:
            continue
        item = guide.item(rule, pack, filters.as_of)
        text = "\n".join([item.name, *item.conditions, *(b.quote for b in item.basis)])
        if needle and needle not in text.casefold():
            continue
        out.append(Entry(item, status, rule.kinds, rule.cities, rule.jurisdiction, departments,
                         rule.rule.benefit.value, rule.effective.from_, rule.effective.to,
                         questions_link(rule, pack, filters.city, filters.as_of), text))
    return out


def document(filters: Filters, found: list[Entry]) -> dict[str, Any]:
    """`subsidy-catalogue/1`: the filters as read and every item selected; keys are only ever added."""
    return {
        "schema": SCHEMA,
        "as_of": filters.as_of.isoformat(),
        "filters": {"q": filters.q, "kind": filters.kind, "city": filters.city, "department": filters.department,
                    "status": filters.status, "include_drafts": filters.include_drafts},
        "count": len(found),
        "items": [_entry_json(e) for e in found],
    }


def _entry_json(entry: Entry) -> dict[str, Any]:
    item = entry.item
    return {
        "rule_id": item.rule_id, "name": item.name, "status": entry.status, "status_words": item.status,
        "draft": item.draft, "kinds": list(entry.kinds), "beneficiaries": item.beneficiaries,
        "jurisdiction": entry.jurisdiction, "cities": list(entry.cities), "place": item.place,
        "conditions": list(item.conditions), "standard": item.standard, "benefit_kind": entry.way,
        "way": item.way, "when": item.when, "evidence": item.evidence, "departments": list(entry.departments),
        "departments_words": item.departments,
        "basis": [{"document": b.document, "clause": b.clause, "quote": b.quote} for b in item.basis],
        "effective": {"from": entry.effective_from.isoformat(),
                      "to": entry.effective_to.isoformat() if entry.effective_to else None},
        "period": item.period, "questions": entry.questions,
    }
