"""The vocabulary of a result, and the one rule for adding results up.

A rule's outcome for an applicant has a `Status`; its amount has an `AmountKind`; its benefit is a grant, a
relief, a loan quota or non-monetary (`rules.format.BenefitKind`). Every total in the project (the one-profile
report, the batch's wide layout and summary, the compiled wide writer) is the sum of `contributions`: which
totals one eligible benefit adds to, and with which of its figures. Grants, relief estimates and loan quotas are
kept apart (a loan is not a grant); an unquantified, non-monetary or incomplete benefit is counted, never added
as 0 yuan; and a draft document's benefit adds to the drafts' totals only, never to the in-force ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from guangxi_subsidy.engine.i18n import N_
from guangxi_subsidy.engine.records import record


class Status(StrEnum):
    """What a rule's outcome is for one applicant on one date."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    EXPIRED = "expired"  # its conditions hold, but its period ended before the date
    NOT_YET_IN_FORCE = "not_yet_in_force"  # its conditions hold, but its period starts after the date
    NOT_COMBINED = "not_combined"  # eligible, but not paid with another benefit that is (rules/combining.py)


# The words people read for each status (message ids of the catalogue; the codes stay in JSON and CSV).
STATUS_WORDS: dict[str, str] = {Status.ELIGIBLE: N_("eligible"), Status.NOT_ELIGIBLE: N_("not eligible"),
                                Status.EXPIRED: N_("expired"), Status.NOT_YET_IN_FORCE: N_("not yet in force"),
                                Status.NOT_COMBINED: N_("not combined")}


# The outcomes a result lists (the others only under --explain).
SHOWN = (Status.ELIGIBLE, Status.EXPIRED, Status.NOT_YET_IN_FORCE, Status.NOT_COMBINED)


class AmountKind(StrEnum):
    """What is known of an eligible benefit's amount."""

    EXACT = "exact"
    ESTIMATE = "estimate"  # tax or fee relief, with the rates it assumes
    RANGE = "range"  # the documents give a minimum and a maximum
    UP_TO = "up_to"  # the documents give only a ceiling
    UNQUANTIFIED = "unquantified"  # eligible; the documents state no amount
    NON_MONETARY = "non_monetary"
    INCOMPLETE = "incomplete"  # eligible, but the profile lacks a figure the amount needs


QUANTIFIED = (AmountKind.EXACT, AmountKind.ESTIMATE)
# Benefit kinds (rules.format.BenefitKind values) by the total they belong to.
GRANT_KINDS = ("cash_subsidy", "award", "interest_subsidy")
RELIEF_KINDS = ("tax_relief", "fee_relief")
LOAN_KINDS = ("loan_quota",)

MONEY_TOTALS = ("grants", "grants_min", "grants_max", "relief_estimate", "loan_quota")
COUNT_TOTALS = ("unquantified", "non_monetary", "incomplete")
Figure = Literal["value", "min", "max"]


def worth(kind: str, value: Decimal | None, maximum: Decimal | None) -> Decimal | None:
    """What an amount pays, for 就高 (rules/combining.winner): an exact or estimated value, a range's maximum;
    None when the amount is not known (unquantified, up to a ceiling, non-monetary, incomplete)."""
    if kind in QUANTIFIED:
        return value
    return maximum if kind == AmountKind.RANGE else None


def benefit_class(benefit: str, draft: bool) -> str:
    """The benefit kind a rule's outcomes are added up under: a draft's under none of the in-force totals."""
    return DRAFT if draft else benefit


DRAFT = "draft"  # (see benefit_class)


def conditions() -> dict[tuple[str, Figure | None], list[tuple[frozenset[str], frozenset[str]]]]:
    """`contributions` turned round, for columnar code: per total and figure, the (benefit kinds, amount kinds)
    that add to it, amount kinds with the same benefit kinds together."""
    from guangxi_subsidy.engine.rules.kinds import BenefitKind

    grouped: dict[tuple[str, Figure | None], dict[frozenset[str], set[str]]] = {}
    for kind in AmountKind:
        by_benefit: dict[tuple[str, Figure | None], set[str]] = {}
        for benefit in BenefitKind:
            for share in contributions(benefit.value, kind.value).items():
                by_benefit.setdefault(share, set()).add(benefit.value)
        for share, benefits in by_benefit.items():
            grouped.setdefault(share, {}).setdefault(frozenset(benefits), set()).add(kind.value)
    return {share: [(benefits, frozenset(kinds)) for benefits, kinds in groups.items()]
            for share, groups in grouped.items()}


def contributions(benefit: str, kind: str) -> dict[str, Figure | None]:
    """The totals one eligible benefit adds to: total name -> the figure it adds (None: it counts one)."""
    if benefit == DRAFT:
        return {}
    if kind in QUANTIFIED:
        if benefit in GRANT_KINDS:
            return {"grants": "value", "grants_min": "value", "grants_max": "value"}
        if benefit in RELIEF_KINDS:
            return {"relief_estimate": "value"}
        if benefit in LOAN_KINDS:
            return {"loan_quota": "value"}
        return {}
    if kind == AmountKind.RANGE:
        return {"grants_min": "min", "grants_max": "max"}
    if kind in (AmountKind.UNQUANTIFIED, AmountKind.UP_TO):
        return {"unquantified": None}
    if kind == AmountKind.NON_MONETARY:
        return {"non_monetary": None}
    if kind == AmountKind.INCOMPLETE:
        return {"incomplete": None}
    return {}


@record(frozen=False)
class Totals:
    """Money (exact yuan) and counts, added up from eligible benefits by `contributions`."""

    money: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(MONEY_TOTALS, Decimal(0)))
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_TOTALS, 0))

    def add(self, benefit: str, kind: str, figures: Mapping[str, Decimal | None]) -> None:
        """Add one eligible benefit; a figure that is not given adds nothing (nor counts)."""
        shares = contributions(benefit, kind)
        if any(figure is not None and figures.get(figure) is None for figure in shares.values()):
            return
        for name, figure in shares.items():
            if figure is None:
                self.counts[name] += 1
            else:
                amount = figures[figure]
                assert amount is not None
                self.money[name] += amount

    @classmethod
    def of(cls, benefits: Iterable[tuple[str, str, Mapping[str, Decimal | None]]]) -> Totals:
        totals = cls()
        for benefit in benefits:
            totals.add(*benefit)
        return totals

    def as_json(self, money_text: Any) -> dict[str, Any]:
        """The `totals` object of subsidy-evaluation/1."""
        money = self.money
        return {
            "grants": money_text(money["grants"]),
            "grants_range": {"min": money_text(money["grants_min"]), "max": money_text(money["grants_max"])},
            "relief_estimate": money_text(money["relief_estimate"]),
            "loan_quota": money_text(money["loan_quota"]),
            **self.counts,
        }
