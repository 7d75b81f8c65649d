"""Combinations as data: which benefits one applicant is paid together, and which one when only one may be.

A rule's `combinations` (rules/format.py, `decisions.Combination`; read here as `compiled.Pairing`) say what is
paid when it and others are eligible together. A combination that pays one benefit only (`this`, `other`,
`higher`) makes a `Group`: its rules in the order that decides between them. Both engines (evaluation/evaluate.py,
rule by rule, and batch/combined.py, in columns) settle a group the same way, by `winner`: of the group's rules
eligible on the date, one is paid and every other is reported `not_combined`, naming the one paid instead;
nothing is dropped and no total counts the group twice. A combination that allows both (`both`) changes nothing:
it records the decision, with its words, for the reader.

A rule is in one paying group at most (a chain, A instead of B instead of C, would leave a benefit named as paid
that is not), and a group does not mix a draft document's rules with rules in force, nor, for 就高, amounts of
different kinds of money (a loan quota is not higher than a grant): `problems` refuses such a pack. A rule a
combination names that the pack does not hold (a pack loaded from some of the files) takes no part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from guangxi_subsidy.engine.records import record

if TYPE_CHECKING:
    from guangxi_subsidy.engine.rules.compiled import CompiledRule

PAYS_ONE = ("this", "other", "higher")
MONEY_CLASS = {"cash_subsidy": "grant", "award": "grant", "interest_subsidy": "grant", "tax_relief": "relief",
               "fee_relief": "relief", "loan_quota": "loan", "non_monetary": "none"}


@record
class Group:
    """Rules of which one only is paid: `order` decides (the first eligible), or for `higher` the amount, ties
    going to the first in `order`. `owner` is the rule that states the combination."""

    owner: str
    order: tuple[str, ...]
    choose: str


def groups(rules: Mapping[str, CompiledRule]) -> list[Group]:
    """The pack's paying groups, in pack order of the rules that state them; partners the pack lacks left out."""
    found = []
    for rule in rules.values():
        for combination in rule.pairings:  # (the rule's `combinations`, as the engines read them)
            if combination.choose not in PAYS_ONE:
                continue
            others = tuple(r for r in combination.with_ if r in rules)
            order = (*others, rule.id) if combination.choose == "other" else (rule.id, *others)
            if others:
                found.append(Group(rule.id, order, combination.choose))
    return found


def problems(rules: Mapping[str, CompiledRule]) -> list[tuple[str, str, str]]:
    """(rule id, where, reason) for each combination the engines could not settle one way."""
    out = []
    member: dict[str, str] = {}
    for rule in rules.values():
        for number, combination in enumerate(rule.pairings):
            where = f"combinations.{number}"
            if rule.id in combination.with_:
                out.append((rule.id, where, "a rule does not combine with itself"))
                continue
            if combination.choose not in PAYS_ONE:
                continue
            present = [rules[r] for r in combination.with_ if r in rules]
            for other in (rule, *present):
                if member.get(other.id, rule.id) != rule.id:
                    out.append((rule.id, where, f"'{other.id}' is already in the combination stated by "
                                                f"'{member[other.id]}': a rule is in one such group at most"))
                member[other.id] = rule.id
            if len({str(r.status) for r in (rule, *present)}) > 1:
                out.append((rule.id, where, "a draft's rule and a rule in force are not combined"))
            if combination.choose == "higher" and len({MONEY_CLASS[str(r.benefit)]
                                                       for r in (rule, *present)}) > 1:
                out.append((rule.id, where, "就高 compares amounts of one kind of money (grants, reliefs or loans)"))
    return out


def winner(group: Group, eligible: Sequence[str], worth: Mapping[str, Decimal | None]) -> str:
    """The rule paid among the group's `eligible` ones (two or more). For `higher`, the higher `worth` (what the
    amount pays: an exact or estimated value, a range's maximum); an amount not known ranks below any known one,
    and equal amounts go to the first in the group's order."""
    ranked = [r for r in group.order if r in eligible]
    if group.choose != "higher":
        return ranked[0]
    return max(ranked, key=lambda r: (worth.get(r) is not None, worth.get(r) or Decimal(0), -ranked.index(r)))

