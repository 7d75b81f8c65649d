"""Two evaluations of one applicant side by side: baseline against reform, or one date against another.

Each rule is classed by what happened between the two: it started to pay, it ended, its amount changed, or it
stayed the same. An amount that is not a number (unquantified, non-monetary, incomplete) is compared by its
kind, never as zero; the difference is given only where both sides are numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rich.table import Table
from rich.text import Text

from guangxi_subsidy.engine.answers.document import award_json, money_text, totals
from guangxi_subsidy.engine.evaluation.evaluate import Evaluation, Outcome
from guangxi_subsidy.engine.evaluation.outcome import Status
from guangxi_subsidy.engine.i18n import N_, _
from guangxi_subsidy.engine.money import format_yuan

CHANGES = (N_("started"), N_("ended"), N_("changed"), N_("unchanged"))


@dataclass(frozen=True)
class Line:
    rule_id: str
    name: str
    before: Outcome | None  # None: the rule is not in that pack (added or repealed by a reform)
    after: Outcome | None
    change: str  # started | ended | changed | unchanged

    @property
    def difference(self) -> Decimal | None:
        a, b = figure(self.before), figure(self.after)
        if a is None and self.change == "started":
            a = Decimal(0)
        if b is None and self.change == "ended":
            b = Decimal(0)
        return None if a is None or b is None else b - a


def paying(outcome: Outcome | None) -> bool:
    return outcome is not None and outcome.eligible


def figure(outcome: Outcome | None) -> Decimal | None:
    """The amount an eligible outcome pays, when it is a number."""
    if not paying(outcome):
        return None
    assert outcome is not None
    award = outcome.award
    if award is not None and award.kind in ("exact", "estimate"):
        return award.value
    return None


def _signature(outcome: Outcome | None) -> Any:
    if not paying(outcome):
        return None
    assert outcome is not None
    award = outcome.award
    if award is None:
        return ("none",)
    return (award.kind, award.value, award.minimum, award.maximum, award.missing)


def compare(before: Evaluation, after: Evaluation) -> list[Line]:
    """Every rule of either evaluation that pays, or is shown, on at least one side; in the packs' order."""
    a = {o.rule.id: o for o in before.outcomes}
    b = {o.rule.id: o for o in after.outcomes}
    order = list(a) + [k for k in b if k not in a]
    lines = []
    for rule_id in order:
        x, y = a.get(rule_id), b.get(rule_id)
        shown = {Status.ELIGIBLE, Status.EXPIRED, Status.NOT_YET_IN_FORCE}
        if not any(o is not None and o.status in shown for o in (x, y)):
            continue
        if paying(x) and not paying(y):
            change = "ended"
        elif paying(y) and not paying(x):
            change = "started"
        elif _signature(x) != _signature(y):
            change = "changed"
        else:
            change = "unchanged" if (x and x.status) == (y and y.status) else "changed"
        name = (y or x).rule.name  # type: ignore[union-attr]
        lines.append(Line(rule_id, name, x, y, change))
    return lines


def _side_json(outcome: Outcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {"status": outcome.status, "amount": award_json(outcome.award)}


def comparison_json(before: Evaluation, after: Evaluation, labels: tuple[str, str]) -> dict[str, Any]:
    """The rules that differ and the totals on each side (keys: the two labels, e.g. baseline and reform)."""
    lines = compare(before, after)
    first, second = totals(before), totals(after)
    change = Decimal(second["grants"]) - Decimal(first["grants"])
    return {
        "sides": list(labels),
        "benefits": [
            {"rule_id": line.rule_id, "name": line.name, "change": line.change,
             labels[0]: _side_json(line.before), labels[1]: _side_json(line.after),
             "difference": money_text(line.difference)}
            for line in lines
        ],
        "totals": {labels[0]: first, labels[1]: second, "grants_difference": money_text(change)},
    }


def _cell(outcome: Outcome | None) -> Text:
    from guangxi_subsidy.engine.answers.table import amount_text

    if outcome is None:
        return Text(_("not in this pack"), style="dim")
    if outcome.status != Status.ELIGIBLE:
        return Text(_(outcome.status.replace("_", " ")), style="dim")
    return amount_text(outcome.award)


def signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + format_yuan(value)


def comparison_table(before: Evaluation, after: Evaluation, labels: tuple[str, str], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(_("Benefit"), overflow="fold", ratio=3)
    table.add_column(labels[0], justify="right", overflow="fold", ratio=2)
    table.add_column(labels[1], justify="right", overflow="fold", ratio=2)
    table.add_column(_("Difference"), justify="right", overflow="fold", ratio=2)
    table.add_column(_("Change"), overflow="fold", ratio=1)
    lines = compare(before, after)
    for line in lines:
        name = Text(line.name)
        name.append(f"\n{line.rule_id}", style="dim")
        diff = line.difference
        style = "green" if diff and diff > 0 else "red" if diff and diff < 0 else ""
        table.add_row(name, _cell(line.before), _cell(line.after),
                      Text(signed(diff) if diff is not None else "—", style=style),
                      Text(_(line.change), style="bold" if line.change != "unchanged" else "dim"))
    if not lines:
        table.add_row(Text(_("no benefit applies"), style="dim"), "", "", "", "")
    first, second = Decimal(totals(before)["grants"]), Decimal(totals(after)["grants"])
    table.add_section()
    table.add_row(Text(_("Total grants (quantified)"), style="bold"), format_yuan(first), format_yuan(second),
                  signed(second - first), "")
    return table
