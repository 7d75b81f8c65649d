"""The guided questionnaire (向导): who the applicant is, then one question at a time, the one worth most first.

The questions are not a list written by hand. The first step offers what an applicant can be, read from the
pack: each kind of beneficiary the rules name, each derived fact a rule requires (入驻南宁创业孵化基地的企业) and
each yes/no condition that names a class of applicant (工业企业, 增值税小规模纳税人); choosing one sets its facts.

After that, every step evaluates the answers so far once and looks at the rules still open: a rule is open when
it fails only for want of facts (`facts_needed`, the might-apply list) or applies but its amount lacks a figure.
Each open rule has a stake, the money it could still pay: the least of its bounds (a `bounded` property, a cap,
a fixed amount) with the facts given, the figures not given read as none; without a bound, what it pays for one
unit of each count. The next question is the field whose open rules hold the most money; ties go to a yes/no
gate first (a "no" settles the rule), then to a figure a condition asks to be above a threshold, and last to an
"already received" figure. When no money with a stake is left, rules that pay money of no known bound are
asked about, the most rules first. A field no open rule needs is never asked, and a rule one of whose needed
facts the person does not know (不清楚) is not open any more: answering its other questions cannot make it pay.
Non-monetary and unquantified benefits are never asked about here; the result lists them with their facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.fields import fields
from guangxi_subsidy.engine.applicant.profile import KIND_LABELS, Profile
from guangxi_subsidy.engine.evaluation.award import compute
from guangxi_subsidy.engine.evaluation.evaluate import Evaluation, Outcome, profile_values
from guangxi_subsidy.engine.language import ValueType
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack

MONEY = ("cash_subsidy", "award", "interest_subsidy")  # benefits that pay money, asked about first
RELIEF = ("tax_relief", "fee_relief")  # money saved rather than paid: asked about after
# Chinese labels that name a class of applicant (a yes/no condition that says what the applicant is).
CLASS_NOUNS = ("企业", "纳税人", "机构", "众创空间", "基地", "农民工", "军人", "人才", "学生", "留学生", "外国人")
RECEIVED_MARKS = ("已获", "已享受", "已领取")  # labels of "already received / already used" fields


@dataclass(frozen=True)
class Identity:
    """One answer to "what are you": a kind of applicant, and the facts that answer establishes."""

    code: str  # kind:<kind> | derived:<id> | field:<name>
    kind: str
    label: str
    sets: tuple[str, ...] = ()  # yes/no fields this identity makes true
    label_en: str = ""


@dataclass(frozen=True)
class Stake:
    """A rule still open: what it could pay (None: no bound known) and the facts it waits for."""

    rule_id: str
    name: str
    clause: str
    amount: Decimal | None
    needs: tuple[str, ...]
    benefit: str
    bounded: bool = True  # the amount is a bound (at most); else what one of each count would pay


@dataclass(frozen=True)
class Step:
    """Where the questionnaire stands: the next field to ask (None: done), the rules it settles, all open."""

    field: str | None
    settles: tuple[Stake, ...]
    open: tuple[Stake, ...]
    stuck: tuple[Stake, ...]  # held back by a fact the person does not know


def is_received(name: str) -> bool:
    """An "already received / already used" figure: blank there is not "none", so 没有 is offered beside 不清楚."""
    info = fields().get(name)
    return info is not None and any(mark in info.label for mark in RECEIVED_MARKS)


_IDENTITIES: dict[int, tuple[Identity, ...]] = {}


def identities(pack: RulePack) -> tuple[Identity, ...]:
    """What an applicant can say it is, from the pack: the kinds its rules name, the derived facts rules
    require, and the yes/no conditions that name a class of applicant, each under its kind (once per pack)."""
    if id(pack) not in _IDENTITIES:
        _IDENTITIES[id(pack)] = _identities(pack)
    return _IDENTITIES[id(pack)]


def _identities(pack: RulePack) -> tuple[Identity, ...]:
    info = fields()
    kinds = [k for k in KIND_LABELS if any(k in r.kinds for r in pack.rules.values())]
    out: list[Identity] = []
    for kind in kinds:
        out.append(Identity(f"kind:{kind}", kind, KIND_LABELS[kind], (), kind.replace("_", " ")))
        for derived in pack.derived.values():
            gates = tuple(c.text for c in derived.conditions if c.text in info and info[c.text].type == ValueType.BOOL)
            if derived.kinds == (kind,) and gates:
                english = "; ".join(info[g].description for g in gates)
                out.append(Identity(f"derived:{derived.id}", kind, derived.name, gates, english))
        seen: set[str] = set()
        for rule in pack.rules.values():
            if rule.kinds != (kind,):
                continue
            for condition in rule.conditions:
                name = condition.text
                if name in seen or name not in info or info[name].type != ValueType.BOOL:
                    continue
                seen.add(name)
                if info[name].label.endswith(CLASS_NOUNS) and not is_received(name):
                    out.append(Identity(f"field:{name}", kind, info[name].label, (name,), info[name].description))
    return tuple(out)


def identity(pack: RulePack, code: str | None) -> Identity | None:
    return next((i for i in identities(pack) if i.code == code), None)


def _gate_order(pack: RulePack) -> dict[str, int]:
    """How a field is asked for by conditions: 0 a yes/no or choice gate, 1 a figure that must exceed a threshold
    (an answer of none settles it), 2 otherwise (an "already received" figure, an amount's input)."""
    order: dict[str, int] = {}

    def note(name: str, rank: int) -> None:
        order[name] = min(order.get(name, 2), rank)

    def walk(node: ex.Node, negated: bool = False) -> None:
        if isinstance(node, ex.BoolOp):
            for operand in node.operands:
                walk(operand, negated)
        elif isinstance(node, ex.Not):
            walk(node.operand, not negated)
        elif isinstance(node, ex.Compare) and isinstance(node.left, ex.Name):
            name = node.left.name
            if isinstance(node.right, ex.Literal) and isinstance(node.right.value, bool) and node.op == "==":
                note(name, 0 if node.right.value is not negated and not is_received(name) else 2)
            elif node.op in (">", ">=") and not is_received(name):
                note(name, 1)
        elif isinstance(node, ex.InList) and isinstance(node.operand, ex.Name):
            note(node.operand.name, 0)
        elif isinstance(node, ex.Name):
            note(node.name, 2 if negated else 0)

    for rule in [*pack.rules.values(), *pack.derived.values()]:
        for condition in rule.conditions:
            walk(condition.node)
    return order


_ORDER: dict[int, dict[str, int]] = {}


def gate_order(pack: RulePack) -> dict[str, int]:
    if id(pack) not in _ORDER:
        _ORDER[id(pack)] = _gate_order(pack)
    return _ORDER[id(pack)]


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    return Decimal(value)


def _filled(env: Mapping[str, Any], names: Iterable[str], count: int) -> dict[str, Any]:
    """The values with each missing figure read as none (0), or counts as `count`: the probes of a stake."""
    out = dict(env)
    info = fields()
    for name in names:
        if out.get(name) is None and name in info:
            kind = info[name].type
            if kind == ValueType.INTEGER:
                out[name] = count
            elif kind in (ValueType.MONEY, ValueType.DECIMAL):
                out[name] = Decimal(0)
    return out


@dataclass(frozen=True)
class Probes:
    """The values of one evaluation three ways: as given, every missing figure none, every missing count one."""

    given: Mapping[str, Any]
    zero: dict[str, Any]
    one: dict[str, Any]

    @classmethod
    def of(cls, env: Mapping[str, Any]) -> Probes:
        names = fields()
        return cls(env, _filled(env, names, 0), _filled(env, names, 1))


def stake(rule: CompiledRule, probes: Probes, pack: RulePack, day: dt.date) -> tuple[Decimal | None, bool]:
    """The money a still-open rule could pay, and whether it is a bound: its least bound with the facts given,
    else its amount for one of each count (not a bound), else None (nothing known)."""
    if rule.amount is None:
        return None, True
    zero, env = probes.zero, probes.given
    bounds: list[Decimal] = []
    nodes = [c.node for c in rule.amount.caps] + [p.node for p in rule.properties if p.kind == "bounded" and p.node]
    if rule.amount.maximum is not None and rule.amount.spec.kind == "up_to":
        nodes.append(rule.amount.maximum)
    for node in nodes:
        try:
            value = _number(ex.evaluate(node, zero))
        except (ArithmeticError, KeyError, TypeError, ValueError):
            value = None
        if value is not None and value > 0:
            bounds.append(value)
    if bounds:
        return min(bounds), True
    try:
        award = compute(rule.amount, dict(probes.one), pack, day)
    except (ArithmeticError, ValueError):
        return None, True
    value = award.value if award.value is not None else award.maximum
    if value is None or value <= 0:
        return None, True
    exact = not (set(ex.names_read(rule.amount.formula)) - {k for k, v in env.items() if v is not None}) \
        if rule.amount.formula is not None else False
    return value, exact


def _weight(pack: RulePack) -> Any:
    """Without a bound, a rule whose amount the documents compute (a formula) counts twice one they leave to
    another text (a range, a rate set elsewhere): its answers lead to a figure."""
    def weight(item: Stake) -> int:
        amount = pack.rules[item.rule_id].amount
        return 2 if amount is not None and amount.spec.kind in ("formula", "tiers") else 1
    return weight


def _needs(outcome: Outcome) -> tuple[str, ...]:
    if outcome.status == "eligible" and outcome.award is not None and outcome.award.kind == "incomplete":
        return tuple(outcome.award.missing)
    return outcome.facts_needed()


def step(evaluation: Evaluation, pack: RulePack, unknown: Iterable[str] = (), focus: str | None = None) -> Step:
    """The next question for these answers, and the open rules behind it; with `focus` (a rule id, as the
    政策清单 links ask), that rule's questions first while it is open, then the rest in the usual order."""
    unknown = set(unknown)
    if evaluation.facts is not None and evaluation.facts.pack is pack:
        env: dict[str, Any] = dict(evaluation.facts.env)
    else:
        env = {**profile_values(evaluation.profile), **pack.parameters_on(evaluation.as_of)}
    probes = Probes.of(env)
    open_: list[Stake] = []
    stuck: list[Stake] = []
    for outcome in evaluation.outcomes:
        rule = outcome.rule
        benefit = rule.rule.benefit.value
        needs = _needs(outcome)
        if not needs or benefit not in MONEY + RELIEF or outcome.draft and not evaluation.include_drafts:
            continue
        amount, bounded = stake(rule, probes, pack, evaluation.as_of)
        item = Stake(rule.id, rule.name, rule.rule.source.clause, amount, needs, benefit, bounded)
        (stuck if unknown & set(needs) else open_).append(item)
    order = gate_order(pack)
    position = {name: i for i, name in enumerate(Profile.model_fields)}

    def best(candidates: list[Stake], weight: Any) -> str | None:
        scores: dict[str, Any] = {}
        for item in candidates:
            for name in item.needs:
                scores[name] = scores.get(name, 0) + weight(item)
        if not scores:
            return None
        return max(scores, key=lambda n: (scores[n], -order.get(n, 2), -position.get(n, 10_000)))

    paying = [s for s in open_ if s.amount is not None]
    field = best([s for s in open_ if s.rule_id == focus], lambda s: 1) if focus else None
    if field is None:
        field = best(paying, lambda s: s.amount)
    if field is None:
        field = best([s for s in open_ if s.benefit in MONEY], _weight(pack))
    if field is None:
        field = best(open_, _weight(pack))
    settles = tuple(s for s in open_ if field in s.needs)
    ranked = sorted(open_, key=lambda s: (s.amount is None, -(s.amount or 0), s.rule_id))
    return Step(field, settles, tuple(ranked), tuple(stuck))
