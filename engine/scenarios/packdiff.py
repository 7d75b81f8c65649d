"""Two rule packs compared: which rules, clauses, amounts, conditions, periods and places changed, in Chinese; and,
for a list of applicants, who gains or loses and how much, per benefit and per lead department.

A pack is a folder of rule files, or a revision of this repository (its `rules/` read with `git show`). The
money side evaluates every applicant under both packs with the engine a reform is evaluated with
(`scenarios.compare` pairs each rule's outcome on the two sides), so a rule added, repealed or changed counts
exactly as it would in `subsidy evaluate --reform`.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.spellings import CITY_LABELS, KIND_LABELS
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.departments import canonical
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack


class PackNotFound(ValueError):
    """Neither a folder of rule files nor a revision of the repository."""


def load_side(where: str, repository: Path) -> RulePack:
    """A folder's pack, or the pack of a git revision of `repository` (its rules/ folder)."""
    folder = Path(where)
    if folder.is_dir():
        return load_pack([folder])
    try:
        names = subprocess.run(["git", "-C", str(repository), "ls-tree", "--name-only", f"{where}:rules"],
                               capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        raise PackNotFound(f"“{where}” 既不是规则文件夹，也不是本仓库的版本（git revision）") from None
    with tempfile.TemporaryDirectory() as temp:
        for name in names:
            if name.endswith(".yaml"):
                text = subprocess.run(["git", "-C", str(repository), "show", f"{where}:rules/{name}"],
                                      capture_output=True, check=True).stdout
                (Path(temp) / name).write_bytes(text)
        return load_pack([Path(temp)])


@dataclass(frozen=True)
class RuleChange:
    rule_id: str
    name: str
    change: str  # 新增 | 删除 | 变更
    details: tuple[str, ...] = ()


def _amount(rule: CompiledRule) -> str:
    from guangxi_subsidy.engine.rules.guide import standard

    return standard(rule)


def _kinds(rule: CompiledRule) -> str:
    return "、".join(KIND_LABELS.get(k, k) for k in rule.kinds)


def _caps(rule: CompiledRule) -> str:
    from guangxi_subsidy.engine.rules.guide import words

    amount = rule.amount
    return "、".join(words(c.node) for c in amount.caps) if amount is not None else ""


_STATUS = {"in_force": "现行", "draft": "征求意见稿"}


def _clauses(rule: CompiledRule) -> str:
    return "、".join(f"{_short(rule, s.document)} {s.clause}" for s in rule.rule.sources)


def _short(rule: CompiledRule, file: str | None) -> str:
    found = [d for d in (rule.documents or (rule.document,)) if d.file == (file or rule.document.file)]
    return found[0].short if found else str(file)


def _condition(condition: Any) -> str:
    from guangxi_subsidy.engine.rules.guide import chinese, words

    return chinese(condition.says) or words(condition.node)


def _period(rule: CompiledRule) -> str:
    return f"{rule.effective.from_} 至 {rule.effective.to or '（未规定）'}"


def _place(rule: CompiledRule) -> str:
    return "广西各市" if rule.jurisdiction == "guangxi" else CITY_LABELS.get(rule.jurisdiction, rule.jurisdiction)


def _details(old: CompiledRule, new: CompiledRule) -> list[str]:
    out: list[str] = []
    pairs = [
        ("名称", old.name, new.name),
        ("条款", _clauses(old), _clauses(new)),
        ("金额", _amount(old), _amount(new)),
        ("上限", _caps(old), _caps(new)),
        ("有效期", _period(old), _period(new)),
        ("适用地区", _place(old), _place(new)),
        ("惠及对象", _kinds(old), _kinds(new)),
        ("状态", _STATUS[old.status.value], _STATUS[new.status.value]),
    ]
    out.extend(f"{what}：{a} → {b}" for what, a, b in pairs if a != b)
    before = {c.id: c for c in old.conditions}
    after = {c.id: c for c in new.conditions}
    for cid in sorted(before.keys() | after.keys()):
        a, b = before.get(cid), after.get(cid)
        if (a.text if a else None) != (b.text if b else None):
            out.append(f"条件：{_condition(a) if a else '（无）'} → {_condition(b) if b else '（删除）'}")
    if old.rule.source.quote != new.rule.source.quote:
        out.append("原文引用已改")
    return out


def rule_changes(old: RulePack, new: RulePack) -> list[RuleChange]:
    """Rules added, removed and changed, in the new pack's order then the removed ones."""
    out = []
    for rule_id, rule in new.rules.items():
        if rule_id not in old.rules:
            out.append(RuleChange(rule_id, rule.name, "新增", (f"{_place(rule)}；{_period(rule)}；{_amount(rule)}",)))
        else:
            details = _details(old.rules[rule_id], rule)
            if details:
                out.append(RuleChange(rule_id, rule.name, "变更", tuple(details)))
    out.extend(RuleChange(rule_id, rule.name, "删除") for rule_id, rule in old.rules.items()
               if rule_id not in new.rules)
    return out


@dataclass
class Money:
    """Per benefit or per department: the money on each side (quantified grants, relief and loans)."""

    before: Decimal = Decimal(0)
    after: Decimal = Decimal(0)

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


@dataclass
class Impact:
    gainers: list[tuple[str, Decimal]] = field(default_factory=list)
    losers: list[tuple[str, Decimal]] = field(default_factory=list)
    unchanged: int = 0
    by_benefit: dict[str, Money] = field(default_factory=dict)
    by_department: dict[str, Money] = field(default_factory=dict)


def impact(old: RulePack, new: RulePack, profiles: Iterable[Profile], as_of: dt.date | None = None) -> Impact:
    """Each applicant evaluated under both packs; the money per benefit and department, who gains and loses."""
    from guangxi_subsidy.engine.evaluation.evaluate import Engine
    from guangxi_subsidy.engine.scenarios.compare import compare, figure

    before_engine, after_engine = Engine(old), Engine(new)
    result = Impact()
    for profile in profiles:
        lines = compare(before_engine.evaluate(profile, as_of), after_engine.evaluate(profile, as_of))
        total = Decimal(0)
        for line in lines:
            a, b = figure(line.before) or Decimal(0), figure(line.after) or Decimal(0)
            if a == b:
                continue
            total += b - a
            rule = (line.after or line.before)
            assert rule is not None
            _add(result.by_benefit, line.name, a, b)
            departments = rule.rule.rule.departments
            lead = canonical(departments[0], rule.rule.jurisdiction) if departments else "（未列明）"
            _add(result.by_department, lead, a, b)
        who = profile.name or profile.id
        if total > 0:
            result.gainers.append((who, total))
        elif total < 0:
            result.losers.append((who, total))
        else:
            result.unchanged += 1
    return result


def _add(table: dict[str, Money], key: str, before: Decimal, after: Decimal) -> None:
    money = table.setdefault(key, Money())
    money.before += before
    money.after += after


def changes_json(changes: list[RuleChange], result: Impact | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema": "subsidy-pack-diff/1",
        "rules": [{"rule_id": c.rule_id, "name": c.name, "change": c.change, "details": list(c.details)}
                  for c in changes],
    }
    if result is not None:
        data["applicants"] = {
            "gain": [{"applicant": w, "difference": str(d)} for w, d in result.gainers],
            "lose": [{"applicant": w, "difference": str(d)} for w, d in result.losers],
            "unchanged": result.unchanged,
            "by_benefit": {k: {"before": str(m.before), "after": str(m.after), "difference": str(m.difference)}
                           for k, m in result.by_benefit.items()},
            "by_department": {k: {"before": str(m.before), "after": str(m.after), "difference": str(m.difference)}
                              for k, m in result.by_department.items()},
        }
    return data
