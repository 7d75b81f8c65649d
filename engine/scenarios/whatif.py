"""What-if: one field of a profile varied along a range, and each benefit's amount along it.

The values are exact: N evenly spaced points from X to Y, both included, each in the field's unit (fen, whole
units, millionths) and repeated points dropped; every point is a profile read by the profile model (so a value
the field cannot hold is refused with the field named) and evaluated by the engine as `subsidy evaluate` would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.answers.document import award_json, totals
from guangxi_subsidy.engine.applicant.fields import field_symbols
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import ProfileError, parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine, Evaluation
from guangxi_subsidy.engine.evaluation.nearmiss import UNITS
from guangxi_subsidy.engine.evaluation.outcome import Status
from guangxi_subsidy.engine.jsontext import plain

MAX_STEPS = 1000


@dataclass(frozen=True)
class Curve:
    field: str
    values: tuple[Any, ...]
    evaluations: tuple[Evaluation, ...]

    def benefits(self) -> list[tuple[str, str]]:
        """(rule id, name) of every benefit eligible at some point, in the pack's order."""
        seen: dict[str, str] = {}
        for evaluation in self.evaluations:
            for outcome in evaluation.by_status(Status.ELIGIBLE):
                seen.setdefault(outcome.rule.id, outcome.rule.name)
        order = [o.rule.id for o in self.evaluations[0].outcomes] if self.evaluations else []
        return sorted(seen.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))

    def amount(self, point: int, rule_id: str) -> Decimal | None:
        """The amount at a point: a number when eligible and quantified (a range's top), else None."""
        for outcome in self.evaluations[point].outcomes:
            if outcome.rule.id == rule_id and outcome.eligible and outcome.award is not None:
                award = outcome.award
                return award.value if award.kind in ("exact", "estimate") else \
                    award.maximum if award.kind == "range" else None
        return None

    def series(self) -> dict[str, list[Decimal | None]]:
        return {rule_id: [self.amount(i, rule_id) for i in range(len(self.values))] for rule_id, _ in self.benefits()}

    def chart(self) -> tuple[str, str, list[Decimal | int], list[tuple[str, list[Decimal | None]]]]:
        """What the curve's chart shows: title, axis, the values and each benefit's amounts along them."""
        from guangxi_subsidy.engine.applicant.fields import field_labels
        from guangxi_subsidy.engine.i18n import _

        label = field_labels().get(self.field, self.field)
        names = dict(self.benefits())
        series = [(names[rule_id], values) for rule_id, values in self.series().items()]
        return _("Amount as {label} varies").format(label=label), label, list(self.values), series

    def svg(self) -> str:
        """The curve as an SVG chart (for `subsidy whatif --chart` and the web calculator)."""
        from guangxi_subsidy.engine.scenarios.charts import curve_svg

        return curve_svg(*self.chart())

    def png(self, path: Path) -> str | None:
        """The curve as a PNG picture (matplotlib); a note when Chinese labels had no font."""
        from guangxi_subsidy.engine.scenarios.plots import curve_png

        return curve_png(path, *self.chart())

    def as_json(self) -> dict[str, Any]:
        names = dict(self.benefits())
        points = []
        for i, (value, evaluation) in enumerate(zip(self.values, self.evaluations, strict=True)):
            shown = {o.rule.id: o for o in evaluation.outcomes if o.rule.id in names}
            points.append({
                "value": plain(value),
                "benefits": [{"rule_id": rid, "status": shown[rid].status if rid in shown else None,
                              "amount": award_json(shown[rid].award) if rid in shown and shown[rid].eligible
                              else None}
                             for rid in names],
                "totals": totals(evaluation),
            })
            del i
        return {"schema": "subsidy-whatif/1", "applicant": self.evaluations[0].profile.id if self.evaluations else None,
                "field": self.field, "benefits": [{"rule_id": k, "name": v} for k, v in names.items()],
                "points": points}


def points(field: str, start: Decimal, stop: Decimal, steps: int) -> list[Any]:
    """`steps` evenly spaced values from start to stop, each rounded half up to the field's unit."""
    symbol = field_symbols().get(field)
    if symbol is None or symbol.type not in UNITS:
        numeric = sorted(n for n, s in field_symbols().items() if s.type in UNITS)
        raise ProfileError("--vary", [(field, field, "a numeric profile field: one of " + ", ".join(numeric))])
    if not 2 <= steps <= MAX_STEPS:
        raise ProfileError("--steps", [("steps", str(steps), f"a number of points from 2 to {MAX_STEPS}")])
    unit = UNITS[symbol.type]
    out: list[Any] = []
    for i in range(steps):
        value = (start + (stop - start) * Decimal(i) / Decimal(steps - 1)).quantize(unit, rounding=ROUND_HALF_UP)
        number: Any = int(value) if symbol.type == ex.ValueType.INTEGER else value
        if number not in out:
            out.append(number)
    return out


def vary(engine: Engine, profile: Profile, field: str, start: Decimal, stop: Decimal, steps: int,
         as_of: dt.date | None = None, include_drafts: bool = False) -> Curve:
    values = points(field, start, stop, steps)
    base = profile.model_dump(exclude_none=True)
    evaluations = []
    for value in values:
        changed = parse_profile({**base, field: value}, f"{field} = {value}")
        evaluations.append(engine.evaluate(changed, as_of=as_of, include_drafts=include_drafts))
    return Curve(field, tuple(values), tuple(evaluations))
