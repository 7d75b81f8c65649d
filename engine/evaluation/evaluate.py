"""Evaluating one profile: durable_rules decides, the explanation shows why, and the two must agree.

The order is fixed: (1) the evaluation date is settled (argument, else the profile's as_of, else today, and the
result says which); (2) the profile is asserted into the RETE network, which fires the derived facts and the
benefit rules whose conditions hold; (3) each rule's conditions are evaluated again in Python, condition by
condition, with the profile's values, to explain the decision; a disagreement between (2) and (3) is an internal
error, never a silent answer; (4) each eligible rule's period and status are checked against the date; (5) the
amount is computed exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from guangxi_subsidy import __version__
from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.evaluation.award import Award, compute
from guangxi_subsidy.engine.evaluation.outcome import Status
from guangxi_subsidy.engine.evaluation.rete import ReteNetwork
from guangxi_subsidy.engine.rules.compiled import CompiledCondition, CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack

ENGINE_VERSION = __version__  # the receipt's engine version: the package's own


class EngineDisagreement(RuntimeError):
    """durable_rules and the explanation reached different decisions: a bug, reported loudly."""


@dataclass(frozen=True)
class Check:
    id: str
    text: str
    held: bool
    values: dict[str, Any]
    says: str | None = None


@dataclass(frozen=True)
class Outcome:
    """One rule's result for one profile."""

    rule: CompiledRule
    status: Status
    checks: tuple[Check, ...]
    award: Award | None
    draft: bool

    @property
    def eligible(self) -> bool:
        return self.status == Status.ELIGIBLE

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.held)

    def facts_needed(self) -> tuple[str, ...]:
        """Profile fields whose absence alone keeps this rule from applying; empty when a given fact rules it out.

        A rule for this kind of applicant, in its place and period, that fails only on conditions reading facts
        the profile does not give, might apply: these are the facts to ask for.
        """
        if self.status != "not_eligible":
            return ()
        needed: set[str] = set()
        for check in self.failed:
            missing = [name for name, value in check.values.items() if value is None]
            if check.id in ("beneficiary", "jurisdiction", "in_force") or check.id.startswith("requires:"):
                return ()
            if not missing:
                return ()
            needed.update(missing)
        return tuple(sorted(needed))


@dataclass(frozen=True)
class Evaluation:
    profile: Profile
    as_of: dt.date
    as_of_source: str  # argument | profile | today
    include_drafts: bool
    outcomes: tuple[Outcome, ...]
    derived: dict[str, bool]
    pack_digest: str
    engine_version: str = ENGINE_VERSION
    notes: list[str] = field(default_factory=list)

    def by_status(self, *statuses: Status) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in statuses]


def profile_values(profile: Profile) -> dict[str, Any]:
    """The profile as plain Python values (enums as their text)."""
    values = {}
    for name in Profile.model_fields:
        value = getattr(profile, name)
        values[name] = value.value if isinstance(value, Enum) else value
    return values


class Engine:
    """A loaded pack compiled into durable_rules once; evaluate() is then called per profile."""

    def __init__(self, pack: RulePack | None = None):
        self.pack = pack if pack is not None else load_pack()
        self.network = ReteNetwork(self.pack)

    def evaluate(
        self, profile: Profile, as_of: dt.date | None = None, include_drafts: bool = False
    ) -> Evaluation:
        if as_of is not None:
            day, source = as_of, "argument"
        elif profile.as_of is not None:
            day, source = profile.as_of, "profile"
        else:
            day, source = dt.date.today(), "today"
        values = profile_values(profile)
        fired = self.network.fired(values)
        env = dict(values)
        env.update(self.pack.parameters_on(day))

        derived: dict[str, bool] = {}
        for rule in self.pack.derived_order():
            checks = self._checks(rule, env, derived)
            derived[rule.id] = all(c.held for c in checks)
            self._agree(rule, derived[rule.id], fired)

        outcomes = []
        for rule in self.pack.rules.values():
            draft = rule.status.value == "draft"
            if draft and not include_drafts:
                continue
            checks = self._checks(rule, env, derived)
            holds = all(c.held for c in checks)
            self._agree(rule, holds, fired)
            period = Check(
                "in_force",
                _period_text(rule),
                rule.effective.contains(day),
                {"as_of": day},
                rule.effective.note,
            )
            if not holds:
                status = Status.NOT_ELIGIBLE
            elif day < rule.effective.from_:
                status = Status.NOT_YET_IN_FORCE
            elif not period.held:
                status = Status.EXPIRED
            else:
                status = Status.ELIGIBLE
            award = None
            if holds and rule.amount is not None:
                award = compute(rule.amount, env, self.pack, day, rule.id)
            outcomes.append(Outcome(rule, status, (*checks, period), award, draft))
        return Evaluation(profile, day, source, include_drafts, tuple(outcomes), derived, self.pack.digest)

    def _checks(self, rule: CompiledRule, env: dict[str, Any], derived: dict[str, bool]) -> list[Check]:
        kind, city = env.get("kind"), env.get("city")
        checks = [
            Check("beneficiary", "kind in " + ", ".join(rule.kinds), kind in rule.kinds, {"kind": kind}),
            Check(
                "jurisdiction",
                "city in " + ("Guangxi" if rule.jurisdiction == "guangxi" else rule.jurisdiction),
                city in rule.cities,
                {"city": city},
            ),
        ]
        for need in rule.requires:
            checks.append(Check(f"requires:{need}", need, derived.get(need, False), {}, self.pack.derived[need].name))
        checks.extend(_condition_check(c, env) for c in rule.conditions)
        return checks

    @staticmethod
    def _agree(rule: CompiledRule, holds: bool, fired: set[str]) -> None:
        if holds != (rule.id in fired):
            raise EngineDisagreement(
                f"rule {rule.id}: durable_rules {'fired' if rule.id in fired else 'did not fire'} but the "
                f"explanation says its conditions {'hold' if holds else 'fail'}"
            )


def _condition_check(condition: CompiledCondition, env: dict[str, Any]) -> Check:
    held = ex.evaluate(condition.node, env) is True
    values = {name: env.get(name) for name in sorted(condition.fields)}
    return Check(condition.id, condition.text, held, values, condition.says)


def _period_text(rule: CompiledRule) -> str:
    end = rule.effective.to.isoformat() if rule.effective.to else "no end date"
    return f"in force {rule.effective.from_.isoformat()} … {end}"
