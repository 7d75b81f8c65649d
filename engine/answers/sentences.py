"""A check of the explanation as a sentence a person reads: `在基地正常纳税经营 12 个月（需满 12 个月）`.

Built from the condition's parsed expression (a comparison of a field with a figure, a yes/no field, a choice
among codes, a field given or not), the profile's value, and the field's label and unit from the profile's
metadata; what is not one of these shapes is shown as the expression itself, with the values read. The
document's own words (`says`) stand beside it in the explanation. A near miss is told the same way: the change
it asks for, in the words of `evaluation/changeable.py`, and what the rule would then pay.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from guangxi_subsidy.engine.applicant.fields import field_labels, fields
from guangxi_subsidy.engine.applicant.spellings import CITY_LABELS, KIND_LABELS, SYNONYMS
from guangxi_subsidy.engine.evaluation.changeable import changeable
from guangxi_subsidy.engine.evaluation.evaluate import Check
from guangxi_subsidy.engine.evaluation.nearmiss import Change, NearMiss
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.language import (
    BoolOp,
    Compare,
    ExpressionError,
    InList,
    IsSet,
    Literal,
    Name,
    Node,
    Not,
    parse,
)
from guangxi_subsidy.engine.money import format_yuan

UNITS = {"months": "个月", "years": "年", "persons": "人", "products": "项", "person-months": "人月", "yuan": "元"}
# What the label says before a unit already says it: 在基地正常纳税经营月数 12 个月 reads 在基地正常纳税经营 12 个月.
_COUNTED = {"months": ("月数",), "years": ("年数", "年限"), "persons": ("人数",), "products": ("数",),
            "person-months": ("人月数",)}
NEED = {">=": "需满", ">": "需超过", "<=": "需不超过", "<": "需少于", "==": "需为", "!=": "需不为"}


def _unit(field: str) -> str | None:
    info = fields().get(field)
    return info.unit if info is not None else None


def _label(field: str, with_unit: bool) -> str:
    label = field_labels().get(field, field)
    unit = _unit(field)
    if with_unit and unit:
        for ending in _COUNTED.get(unit, ()):
            if label.endswith(ending):
                return label[: -len(ending)]
    return label


def choice_label(field: str, code: Any) -> str:
    """A choice's Chinese label (the first of its spellings)."""
    names = SYNONYMS.get(field, {}).get(str(code))
    return names[0] if names else str(code)


def value_text(field: str, value: Any) -> str:
    """A profile's value as a person reads it: 是/否, 900,000.00 元, 12 个月, 85%, 南宁."""
    if value is None:
        return "未填写"
    if isinstance(value, bool):
        return "是" if value else "否"
    unit = _unit(field)
    if field in SYNONYMS:
        return choice_label(field, value)
    if isinstance(value, Decimal) and unit == "yuan":
        return f"{format_yuan(value)} 元"
    if isinstance(value, Decimal) and unit == "ratio":
        return f"{(value * 100).normalize():f}%"
    if isinstance(value, dt.date):
        return value.isoformat()
    shown = UNITS.get(unit or "")
    return f"{value} {shown}" if shown else str(value)


def _figure(field: str, node: Node, values: dict[str, Any]) -> str:
    if isinstance(node, Literal):
        value = node.value
        if isinstance(value, str):
            return choice_label(field, value)
        unit = _unit(field)
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool) and unit == "yuan":
            whole = Decimal(value) == Decimal(value).to_integral_value()
            return f"{int(value):,} 元" if whole else f"{format_yuan(Decimal(value))} 元"
        if isinstance(value, Decimal) and unit == "ratio":
            return f"{(value * 100).normalize():f}%"
        return value_text(field, value)
    if isinstance(node, Name):
        return f"{_label(node.name, False)} {value_text(node.name, values.get(node.name))}"
    return str(node)


def sentence(check: Check) -> str:
    """The check as a sentence, in Chinese."""
    values = check.values
    if check.id == "beneficiary":
        kinds = check.text.removeprefix("kind in ").split(", ")
        return (f"申请人类型：{KIND_LABELS.get(str(values.get('kind')), str(values.get('kind')))}"
                f"（适用于：{'、'.join(KIND_LABELS.get(k, k) for k in kinds)}）")
    if check.id == "jurisdiction":
        place = check.text.removeprefix("city in ")
        where = "广西各市" if place == "Guangxi" else CITY_LABELS.get(place, place)
        return f"所在城市：{CITY_LABELS.get(str(values.get('city')), str(values.get('city')))}（适用于：{where}）"
    if check.id == "in_force":
        return f"施行期间：{check.text.removeprefix('in force ').replace('no end date', '无截止日期')}" \
               f"（评估日期 {value_text('as_of', values.get('as_of'))}）"
    if check.id.startswith("requires:"):
        return f"{check.says or check.text}：{'成立' if check.held else '不成立'}"
    try:
        node = parse(check.text)
    except ExpressionError:
        node = None
    shaped = _shaped(node, values) if node is not None else None
    if shaped is not None:
        return shaped
    shown = "，".join(f"{_label(k, False)} {value_text(k, v)}" for k, v in values.items())
    return f"{check.text}" + (f"（{shown}）" if shown else "")


def _shaped(node: Node, values: dict[str, Any]) -> str | None:
    if isinstance(node, Compare) and isinstance(node.left, Name):
        field = node.left.name
        value = values.get(field)
        if value is None:
            return f"{_label(field, False)}：{_('not given')}（{NEED[node.op]} {_figure(field, node.right, values)}）"
        return (f"{_label(field, True)} {value_text(field, value)}"
                f"（{NEED[node.op]} {_figure(field, node.right, values)}）")
    if isinstance(node, Name):
        return f"{_label(node.name, False)}：{value_text(node.name, values.get(node.name))}"
    if isinstance(node, Not) and isinstance(node.operand, Name):
        field = node.operand.name
        return f"{_label(field, False)}：{value_text(field, values.get(field))}（需为 否）"
    if isinstance(node, InList) and isinstance(node.operand, Name):
        field = node.operand.name
        items = "、".join(choice_label(field, i.value) for i in node.items)
        need = "需不为" if node.negated else "需为"
        return f"{_label(field, False)}：{value_text(field, values.get(field))}（{need} {items}）"
    if isinstance(node, BoolOp):  # each part as its own sentence: "A（需为 是），或 B（需为 是）"
        parts = [_shaped(part, values) for part in node.operands]
        if all(parts):
            return ("，或 " if node.op == "or" else "，且 ").join(p for p in parts if p)
        return None
    if isinstance(node, IsSet):
        field = node.operand.name
        given = values.get(field) is not None
        need = "需未填写" if node.negated else "需填写"
        return f"{_label(field, False)}：{'已填写' if given else '未填写'}（{need}）"
    return None


# ---------------------------------------------------------------- near misses


def _number(value: Any) -> str:
    if isinstance(value, Decimal) and value == value.quantize(Decimal("0.01")):
        return format_yuan(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def change_text(change: Change) -> str:
    rule = changeable(change.field)
    by = change.by
    n = _number(abs(by)) if not isinstance(by, int) else f"{abs(by):,}"
    if rule is None:
        label = field_labels().get(change.field, change.field)
        return f"{label}: {_number(change.before)} → {_number(change.after)}"
    to = f"{change.after * 100:f}".rstrip("0").rstrip(".") + "%" if change.field.endswith("_share") else \
        _number(change.after)
    return _(rule.phrase).format(n=n, to=to)


def gain_text(miss: NearMiss) -> str:
    award = miss.award
    if award.kind in ("exact", "estimate") and award.value is not None:
        return "+" + format_yuan(award.value)
    if award.kind == "range" and award.minimum is not None and award.maximum is not None:
        return f"+{format_yuan(award.minimum)} – {format_yuan(award.maximum)}"
    if award.kind == "up_to" and award.maximum is not None:
        return _("unquantified (up to {amount})").format(amount=format_yuan(award.maximum))
    return _(award.kind.replace("_", "-"))


def line_text(miss: NearMiss) -> str:
    """One suggestion as a sentence: '在基地正常纳税经营再满 2 个月: +2,000.00'."""
    return "; ".join(change_text(c) for c in miss.changes) + ": " + gain_text(miss)
