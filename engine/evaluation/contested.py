"""The price of each contested reading: the amount on a worked example under every reading a rule records.

`subsidy rules readings` lists, for a legal office to settle, every clause that admits more than one reading.
For each, the reading's worked example (its own profile facts) is evaluated by the engine as the rule stands,
which gives the chosen reading's amount; each alternative's recorded formula is then evaluated on the same
facts, rounded by the one rounding rule, so the difference the choice makes is shown in yuan. An alternative
that is not an amount shows its effect in words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.evaluation.award import Award
from guangxi_subsidy.engine.evaluation.evaluate import Engine, profile_values
from guangxi_subsidy.engine.money import round_fen
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.decisions import Reading


@dataclass(frozen=True)
class Effect:
    reading: str
    amount: Decimal | None  # None: not an amount (see effect), or the example lacks a figure
    effect: str | None
    why: str
    ceiling: bool = False  # the amount is a ceiling only (the documents state no more)


@dataclass(frozen=True)
class ContestedReading:
    rule: CompiledRule
    reading: Reading
    example: dict[str, object]
    as_of: dt.date
    status: str  # the rule's status on the example, as the engine decides it
    chosen: Effect
    alternatives: tuple[Effect, ...]


def _award_amount(award: Award | None) -> Decimal | None:
    if award is None:
        return None
    if award.quantified:
        return award.value
    return award.maximum if award.kind == "up_to" else None


def contested_readings(engine: Engine) -> list[ContestedReading]:
    """Every recorded reading of the pack, in pack order, with its effect on its worked example."""
    out = []
    for rule in engine.pack.rules.values():
        for compiled in rule.readings:
            reading = compiled.spec
            facts = dict(reading.example)
            as_of = facts.pop("as_of", None)
            day = as_of if isinstance(as_of, dt.date) else rule.effective.from_
            data = {
                "id": f"READING-{reading.id}", "kind": facts.pop("kind", rule.kinds[0]),
                "city": facts.pop("city", rule.cities[0]), **facts,
            }
            profile = parse_profile(data, f"{rule.id} readings.{reading.id}.example")
            evaluation = engine.evaluate(profile, as_of=day, include_drafts=True)
            outcome = next(o for o in evaluation.outcomes if o.rule.id == rule.id)
            env = dict(profile_values(profile))
            env.update(engine.pack.parameters_on(day))
            ceiling = outcome.award is not None and outcome.award.kind == "up_to"
            chosen = Effect(reading.chosen, _award_amount(outcome.award), reading.effect, reading.why, ceiling)
            effects = []
            for alternative in compiled.alternatives:
                amount = None
                if alternative.formula is not None:
                    value = ex.evaluate(alternative.formula, env)
                    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                        amount = round_fen(max(Decimal(value), Decimal(0)))
                spec = alternative.spec
                effects.append(Effect(spec.reading, amount, spec.effect, spec.why))
            out.append(ContestedReading(rule, reading, data, day, outcome.status, chosen, tuple(effects)))
    return out
