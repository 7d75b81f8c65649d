"""The 事项清单 and 申兑指南 of the pack: each benefit in force for a place and a date, in Chinese, as a policy office
publishes it — 惠及对象, 申报条件, 兑现标准, 兑现方式, 申报时间, 申报材料, 受理部门, 政策依据 — and, per document,
what became of every clause (the proof that nothing was dropped).

Everything is read from the rules: the conditions' own words (`says`) where they are Chinese, else a sentence
made from the parsed condition with the fields' Chinese labels; the amount's formula with the fields' labels and
its caps in the document's words; the quotes verbatim. No field code or English word reaches a row: an English
note in parentheses is left out, and a text that would still carry one is replaced by its sentence or by
"文件未明确". The writers (`guide_files.py`) lay the rows out as a workbook, HTML or PDF.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.applicant.spellings import CITY_LABELS, KIND_LABELS
from guangxi_subsidy.engine.rules import clauses as cl
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.departments import canonical
from guangxi_subsidy.engine.rules.pack import RulePack

UNSTATED = "文件未明确"
WAYS = {"cash_subsidy": "资金补贴", "award": "资金奖励", "tax_relief": "税收减免", "fee_relief": "费用减免",
        "loan_quota": "贷款额度", "interest_subsidy": "贷款贴息", "non_monetary": "服务或政策支持（不涉及资金）"}
CLAUSE_WORDS = {cl.ENCODED: "已编码（有金额）", cl.UNQUANTIFIED: "已编码（文件未量化）",
                cl.NON_MONETARY: "已编码（非资金）", cl.NOT_A_BENEFIT: "不属于惠企事项", cl.UNACCOUNTED: "未处理"}
_NEED = {">=": "不少于", ">": "超过", "<=": "不超过", "<": "少于", "==": "为", "!=": "不为"}
_LATIN = re.compile(r"[A-Za-z]")
_ASIDE = re.compile(r"\s*[(（][^()（）]*[A-Za-z][^()（）]*[)）]")


@dataclass(frozen=True)
class Basis:
    document: str
    clause: str
    quote: str


@dataclass(frozen=True)
class Item:
    """One row of the guide: a benefit as an applicant reads it."""

    rule_id: str
    name: str
    beneficiaries: str
    place: str
    conditions: tuple[str, ...]
    standard: str
    way: str
    when: str
    evidence: str
    departments: str
    basis: tuple[Basis, ...]
    status: str
    period: str
    draft: bool


def chinese(text: str | None) -> str:
    """The text without its English asides; empty when English would remain."""
    if not text:
        return ""
    kept = _ASIDE.sub("", text).strip(" ;；,，")
    return "" if _LATIN.search(kept) else kept


def _label(name: str) -> str:
    return field_labels().get(name, name)


def words(node: ex.Node) -> str:
    """A condition or an amount in words: fields by their Chinese labels."""
    if isinstance(node, ex.Name):
        return _label(node.name)
    if isinstance(node, ex.Literal):
        value = node.value
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, Decimal) and 0 < value < 1:
            return f"{(value * 100).normalize():f}%"
        if isinstance(value, (int, Decimal)):
            return f"{value:,}"
        return str(value)
    if isinstance(node, ex.Compare):
        return f"{words(node.left)}{_NEED[node.op]}{words(node.right)}"
    if isinstance(node, ex.Not):
        return f"非“{words(node.operand)}”"
    if isinstance(node, ex.BoolOp):
        return ("且" if node.op == "and" else "或").join(words(o) for o in node.operands)
    if isinstance(node, ex.Binary):
        op = {"*": "×", "/": "÷"}.get(node.op, node.op)
        left, right = words(node.left), words(node.right)
        if op in ("×", "÷"):
            left = f"（{left}）" if isinstance(node.left, ex.Binary) and node.left.op in "+-" else left
            right = f"（{right}）" if isinstance(node.right, ex.Binary) else right
        return f"{left} {op} {right}"
    if isinstance(node, ex.Call):
        return ("较小者" if node.function == "min" else "较大者") + "（" + "，".join(words(a) for a in node.args) + "）"
    if isinstance(node, ex.IsSet):
        return f"{_label(node.operand.name)}{'未填写' if node.negated else '已填写'}"
    if isinstance(node, ex.InList):
        return f"{words(node.operand)}{'不' if node.negated else ''}属于{'、'.join(words(i) for i in node.items)}"
    if isinstance(node, ex.Unary):
        return f"-{words(node.operand)}"
    return ""


def _plain_words(node: ex.Node) -> str:
    text = words(node)
    return "" if _LATIN.search(text) else text


def standard(rule: CompiledRule) -> str:
    """兑现标准: the amount in words and figures, its caps in the document's words."""
    amount = rule.amount
    assert amount is not None
    spec = amount.spec
    parts: list[str] = []
    if spec.kind in ("formula", "estimate") and amount.formula is not None:
        parts.append(_plain_words(amount.formula))
    elif spec.kind == "tiers":
        parts.extend(f"{chinese(t.says) or _plain_words(t.when.node)}：{_plain_words(t.formula)}" for t in amount.tiers)
    elif spec.kind == "range" and amount.minimum is not None and amount.maximum is not None:
        parts.append(f"{_plain_words(amount.minimum)} 至 {_plain_words(amount.maximum)}")
    caps = [chinese(c.says) or f"最高 {_plain_words(c.node)}" for c in amount.caps]
    parts.extend(f"上限：{c}" for c in caps if c)
    if spec.kind in ("unquantified", "non_monetary") or not parts:
        parts.append(chinese(spec.says) or ("不涉及资金" if spec.kind == "non_monetary" else "文件未规定金额"))
    if spec.kind == "estimate":
        parts.append("（减免额为按现行费率的估算）")
    return "；".join(p for p in parts if p)


def status_on(rule: CompiledRule, day: dt.date) -> str:
    if rule.status.value == "draft":
        return "征求意见稿（未施行）"
    if day < rule.effective.from_:
        return "尚未施行"
    if rule.effective.to is not None and day > rule.effective.to:
        return "已失效"
    return "现行有效"


def item(rule: CompiledRule, pack: RulePack, day: dt.date) -> Item:
    spec = rule.rule
    conditions = tuple(chinese(c.says) or _plain_words(c.node) or UNSTATED for c in rule.conditions)
    requires = tuple(pack.derived[r].name for r in rule.requires if r in pack.derived)
    apply = spec.apply
    where = chinese(apply.where) if apply else ""
    departments = "、".join(dict.fromkeys(canonical(d, rule.jurisdiction) for d in spec.departments))
    basis = tuple(
        Basis(_document_name(pack, s.document or rule.document.file), s.clause, s.quote) for s in spec.sources
    )
    period = f"{rule.effective.from_.isoformat()} 起" + (f"至 {rule.effective.to.isoformat()}" if rule.effective.to
                                                         else "（文件未规定截止日期）")
    return Item(
        rule_id=rule.id, name=rule.name,
        beneficiaries="、".join(KIND_LABELS.get(k, k) for k in rule.kinds),
        place="广西各市" if rule.jurisdiction == "guangxi" else CITY_LABELS.get(rule.jurisdiction, rule.jurisdiction),
        conditions=requires + conditions,
        standard=standard(rule), way=WAYS[spec.benefit.value],
        when=(chinese(apply.when) if apply else "") or UNSTATED,
        evidence="、".join(e for e in (chinese(x) for x in (apply.evidence if apply else [])) if e) or UNSTATED,
        departments=(where + "；" if where else "") + (departments or UNSTATED),
        basis=basis, status=status_on(rule, day), period=period, draft=rule.status.value == "draft",
    )


def _document_name(pack: RulePack, file: str) -> str:
    document = pack.documents.get(file)
    if document is None:
        return file
    return f"{document.title}（{document.number}）" if document.number else document.title


def items(pack: RulePack, day: dt.date, city: str | None = None, include_drafts: bool = False) -> list[Item]:
    """The benefits in force on `day` (and drafts, when asked for) in `city` (every place, when None)."""
    out = []
    for rule in pack.rules.values():
        if city is not None and city not in rule.cities:
            continue
        draft = rule.status.value == "draft"
        if draft and not include_drafts:
            continue
        if not draft and not rule.effective.contains(day):
            continue
        out.append(item(rule, pack, day))
    return out


@dataclass(frozen=True)
class ClauseRow:
    document: str
    clause: str
    outcome: str
    items: str
    text: str


def clause_rows(pack: RulePack) -> list[ClauseRow]:
    """Every clause of every document and what became of it, in Chinese."""
    rows = []
    for status in cl.classify(pack):
        names = "、".join(pack.rules[r].name for r in status.rules if r in pack.rules)
        rows.append(ClauseRow(_document_name(pack, status.unit.document), status.unit.label,
                              CLAUSE_WORDS[status.status], names, status.unit.text))
    return rows
