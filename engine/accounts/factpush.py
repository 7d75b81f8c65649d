"""Facts pushed in by a system (a provincial platform or a department's nightly export) through the office API.

A call carries many applicants' facts at once: `{"facts": [{"id", "field", "value", "period"?}, …]}`. Every
item is read first (as a profile file's cell is, so the error names the field, the value and what was
expected, in Chinese) and the call is refused whole if one is wrong, or names an applicant outside the token's
jurisdiction (403, the same for an applicant the register does not hold, so ids cannot be probed); then all are
recorded in one transaction by the register's `record`, sourced to the token's system as department data.
Pushing the same (applicant, field, period, value) again changes nothing: the register keeps a value equal to
the latest version as it is, so a night's push can be repeated after a failure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts.policy import REGION, Principal, in_jurisdiction
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import ProfileError, parse_profile
from guangxi_subsidy.engine.i18n import speaking
from guangxi_subsidy.engine.register.facts import NOT_FACTS, Change, Counts, Source, canonical, kept, record
from guangxi_subsidy.engine.register.identity import holder
from guangxi_subsidy.engine.register.periods import Period, PeriodError, parse_period
from guangxi_subsidy.engine.register.tables import Applicant

MAX_ITEMS = 10_000  # facts in one call; a night's push is split into calls of this many


class PushRefused(Exception):
    """The call refused whole: the HTTP status, a sentence, and each item's problem."""

    def __init__(self, status: int, detail: str, errors: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, list(errors)


@dataclass(frozen=True)
class Item:
    index: int
    ref: str
    field: str
    value: str
    period: Period


def _error(index: int, field: str, value: object, expected: str) -> dict[str, Any]:
    return {"index": index, "field": field, "value": str(value)[:200], "expected": expected}


def read_items(body: object, labels: dict[str, str]) -> list[Item]:
    """The items of a call's body, each checked for its shape; PushRefused (422) lists every problem."""
    if not isinstance(body, dict) or not isinstance(body.get("facts"), list):
        raise PushRefused(422, "请求体应为 JSON 对象 {\"facts\": [{\"id\", \"field\", \"value\", \"period\"}, …]}")
    raw = body["facts"]
    if not raw or len(raw) > MAX_ITEMS:
        raise PushRefused(422, f"facts：应有 1 至 {MAX_ITEMS} 项，收到 {len(raw)} 项")
    items, errors = [], []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            errors.append(_error(index, "", entry, "一个对象：{\"id\", \"field\", \"value\", \"period\"}"))
            continue
        ref, field, value = entry.get("id"), entry.get("field"), entry.get("value")
        if not isinstance(ref, str) or not ref.strip():
            errors.append(_error(index, "id", ref, "申请人的统一社会信用代码或编号（文字）"))
            continue
        if not isinstance(field, str) or field not in Profile.model_fields or field in NOT_FACTS:
            errors.append(_error(index, "field", field, "档案可保存的字段代码（见 subsidy rules fields）"))
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or not str(value).strip():
            errors.append(_error(index, field, value, f"{labels.get(field, field)}的取值（文字或数字，不可为空）"))
            continue
        try:
            period = parse_period(entry.get("period") if isinstance(entry.get("period"), str) else None)
        except PeriodError as error:
            errors.append(_error(index, "period", entry.get("period"), str(error)))
            continue
        items.append(Item(index, ref.strip(), field, str(value).strip(), period))
    if errors:
        raise PushRefused(422, f"有 {len(errors)} 项无法读取，整批未保存", errors)
    return items


def push(session: Session, who: Principal, items: Sequence[Item], labels: dict[str, str],
         when: dt.datetime) -> tuple[Counts, dict[str, list[str]]]:
    """Record the items for `who` (a token of a jurisdiction); the counts and, per applicant, the fields given."""
    refs = sorted({item.ref for item in items})
    held = {a.ref: a for a in session.scalars(select(Applicant).where(Applicant.ref.in_(refs),
                                                                      Applicant.forgotten_at.is_(None)))}
    hidden = [i.index for i in items if i.ref not in held or not in_jurisdiction(who.scope, held[i.ref].city)]
    if hidden and who.scope != REGION:
        raise PushRefused(403, f"第 {'、'.join(map(str, hidden[:20]))} 项的申请人不在本令牌的辖区内，整批未保存")
    if hidden:
        raise PushRefused(422, "登记册中没有这些申请人，整批未保存（请先导入）",
                          [_error(i, "id", items[n].ref, "登记册中已有的申请人") for n, i in enumerate(hidden)])
    errors, changes = [], []
    source = Source("department", who.name.removeprefix("token:"), who.name)
    for item in items:
        applicant = held[item.ref]
        personal = holder(applicant.kind) == "individual"
        if not kept(item.field, personal):
            errors.append(_error(item.index, item.field, item.value, "个人的档案只保存规则读取的事项"))
            continue
        try:
            with speaking("zh"):
                profile = parse_profile({"id": applicant.ref, "kind": applicant.kind, "city": applicant.city,
                                         item.field: item.value}, applicant.ref)
        except ProfileError as error:
            errors += [_error(item.index, item.field, given, f"{labels.get(item.field, item.field)}：{expected}")
                       for _f, given, expected in error.problems]
            continue
        value = canonical(getattr(profile, item.field))
        if item.field == "city" and not in_jurisdiction(who.scope, value):
            errors.append(_error(item.index, "city", item.value, "本令牌辖区内的城市"))
            continue
        changes.append((applicant, Change(applicant.pk, personal, item.field, value, item.period, source)))
    if errors:
        raise PushRefused(422, f"有 {len(errors)} 项的取值无法采用，整批未保存", errors)
    counts, _touched = record(session, [c for _a, c in changes], when)
    given: dict[str, list[str]] = {}
    for applicant, change in changes:
        given.setdefault(applicant.ref, []).append(change.field)
        if change.field == "city":
            applicant.city = change.value
    return counts, given
