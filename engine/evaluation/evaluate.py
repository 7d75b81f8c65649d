"""Evaluating one profile: durable_rules decides, the explanation shows why, and the two must agree.

The order is fixed: (1) the evaluation date is settled (argument, else the profile's as_of, else today, and the
result says which); (2) the profile is asserted into the RETE network, which fires the derived facts and the
benefit rules whose conditions hold; (3) each rule is decided again in Python, with the profile's values, to
explain the decision: whom it is for, where, the derived facts it requires, then its own conditions (those of a
rule the first three rule out are evaluated only when an explanation asks for them); a disagreement between (2)
and (3) is an internal error, never a silent answer; (4) each eligible rule's period and status are checked
against the date; (5) the amount is computed exactly.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import field, replace
from enum import Enum
from typing import Any

from guangxi_subsidy import __version__
from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.plain import Applicant
from guangxi_subsidy.engine.evaluation.award import Award, compute
from guangxi_subsidy.engine.evaluation.outcome import Status, worth
from guangxi_subsidy.engine.evaluation.rete import ReteNetwork
from guangxi_subsidy.engine.records import record
from guangxi_subsidy.engine.rules import combining
from guangxi_subsidy.engine.rules.compiled import CompiledCondition, CompiledRule
from guangxi_subsidy.engine.rules.kinds import Status as RuleStatus
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack

ENGINE_VERSION = __version__  # the receipt's engine version: the package's own


class EngineDisagreement(RuntimeError):
    """durable_rules and the explanation reached different decisions: a bug, reported loudly."""


@record(made_often=True)
class Check:
    id: str
    text: str
    held: bool
    values: dict[str, Any]
    says: str | None = None


@record
class Facts:
    """What an evaluation's checks read, shared by its outcomes: the values (the profile's and the parameters' on
    the day), the derived facts, the day."""

    env: Mapping[str, Any]
    derived: Mapping[str, bool]
    day: dt.date
    pack: RulePack = field(repr=False)


@record(eq=False, made_often=True)
class Outcome:
    """One rule's result for one profile.

    Its checks are its gates (whom the rule is for, where, the derived facts it requires), its own conditions,
    then its period. A rule whose gates fail cannot apply whatever its conditions say; of the 67 rules a profile
    meets, a few are for its kind of applicant and its place. So the decision reads only the gates' truth
    (`placed`, `required`) and the conditions of the rules they let through; the checks themselves, with their
    texts and values, are made when asked for (`checks`: an explanation, `--explain`), the same either way.
    """

    rule: CompiledRule
    status: Status
    award: Award | None
    draft: bool
    placed: bool  # the applicant is of a kind the rule is for, in a place it covers
    required: bool  # the derived facts it requires hold
    in_force: bool  # on the day
    facts: Facts = field(repr=False)
    known: tuple[Check, ...] | None = field(default=None, repr=False)  # its conditions, when evaluated already
    instead: str | None = None  # not_combined: the rule paid instead (rules/combining.py)

    @functools.cached_property
    def gates(self) -> tuple[Check, ...]:
        rule, env, derived = self.rule, self.facts.env, self.facts.derived
        kind, city = env.get("kind"), env.get("city")
        where = "Guangxi" if rule.jurisdiction == "guangxi" else rule.jurisdiction
        return (Check("beneficiary", "kind in " + ", ".join(rule.kinds), kind in rule.kinds, {"kind": kind}),
                Check("jurisdiction", "city in " + where, city in rule.cities, {"city": city}),
                *(Check(f"requires:{need}", need, derived.get(need, False), {}, self.facts.pack.derived[need].name)
                  for need in rule.requires))

    @functools.cached_property
    def conditions(self) -> tuple[Check, ...]:
        if self.known is not None:
            return self.known
        return tuple(_condition_check(c, self.facts.env) for c in self.rule.conditions)

    @functools.cached_property
    def period(self) -> Check:
        effective = self.rule.effective
        end = effective.to.isoformat() if effective.to else "no end date"
        return Check("in_force", f"in force {effective.from_.isoformat()} … {end}", self.in_force,
                     {"as_of": self.facts.day}, effective.note)

    @property
    def checks(self) -> tuple[Check, ...]:
        return (*self.gates, *self.conditions, self.period)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return (self.rule.id, self.status, self.checks, self.award, self.draft) == (
            other.rule.id, other.status, other.checks, other.award, other.draft)

    __hash__ = None  # type: ignore[assignment]  # (equal by their checks; not a key)

    @property
    def eligible(self) -> bool:
        return self.status == Status.ELIGIBLE

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.held)

    @property
    def gated(self) -> bool:
        """Whom, where or a required derived fact rules it out: the profile's other values cannot change that."""
        return not (self.placed and self.required)

    def facts_needed(self) -> tuple[str, ...]:
        """Profile fields whose absence alone keeps this rule from applying; empty when a given fact rules it out.

        A rule for this kind of applicant, in its place and period, that fails only on conditions reading facts
        the profile does not give, might apply: these are the facts to ask for.
        """
        if self.status != "not_eligible" or self.gated or not self.in_force:
            return ()
        needed: set[str] = set()
        for check in self.conditions:
            if check.held:
                continue
            missing = [name for name, value in check.values.items() if value is None]
            if not missing:
                return ()
            needed.update(missing)
        return tuple(sorted(needed))


@record
class Evaluation:
    profile: Applicant  # a `Profile`, or the same values read without pydantic (`applicant/plain.py`)
    as_of: dt.date
    as_of_source: str  # argument | profile | today
    include_drafts: bool
    outcomes: tuple[Outcome, ...]
    derived: dict[str, bool]
    pack_digest: str
    engine_version: str = ENGINE_VERSION
    notes: list[str] = field(default_factory=list)
    facts: Facts | None = field(default=None, repr=False)  # what its checks read (the values, on the day)

    def by_status(self, *statuses: Status) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in statuses]


def profile_values(profile: Applicant) -> dict[str, Any]:
    """The profile as plain Python values (enums as their text)."""
    values = dict(profile.__dict__)  # (a model keeps its fields' values there, in its order; a PlainProfile too)
    for name, value in values.items():
        if value is not None and isinstance(value, Enum):  # (most fields are absent: None, tested first)
            values[name] = value.value
    return values


class Engine:
    """A loaded pack compiled into durable_rules once; evaluate() is then called per profile."""

    def __init__(self, pack: RulePack | None = None):
        self.pack = pack if pack is not None else load_pack()
        self.network = ReteNetwork(self.pack)
        self.groups = combining.groups(self.pack.rules)

    @functools.cached_property
    def table(self) -> RuleTable:
        return RuleTable(self.pack)

    def evaluate(
        self, profile: Applicant, as_of: dt.date | None = None, include_drafts: bool = False
    ) -> Evaluation:
        if as_of is not None:
            day, source = as_of, "argument"
        elif profile.as_of is not None:
            day, source = profile.as_of, "profile"
        else:
            day, source = dt.date.today(), "today"
        table = self.table
        values = profile_values(profile)
        fired = self.network.fired(values)
        env = dict(values)
        env.update(table.parameters_on(day))

        kind, city = env.get("kind"), env.get("city")
        derived: dict[str, bool] = {}
        for rule in table.derived:
            derived[rule.id] = (kind in rule.kinds and city in rule.cities
                                and all(derived.get(need, False) for need in rule.requires)
                                and all(_condition_check(c, env).held for c in rule.conditions))
            self._agree(rule, derived[rule.id], fired)

        facts = Facts(env, derived, day, self.pack)
        outcomes = []
        for rule, draft, placed, in_force, when_held, blank in table.plan(kind, city, day):
            if draft and not include_drafts:
                continue
            required = not rule.requires or all(derived.get(need, False) for need in rule.requires)
            if not (placed and required):  # ruled out by its gates (most rules): the outcome made from its blank
                if rule.id in fired:
                    self._agree(rule, False, fired)
                made = blank.copy()
                made["facts"] = facts
                if not required:
                    made["required"] = False
                outcome = _new(Outcome)
                _set_attribute(outcome, "__dict__", made)  # (its fields at once; the object stays frozen)
                outcomes.append(outcome)
                continue
            known = tuple(_condition_check(c, env) for c in rule.conditions)
            holds = all(c.held for c in known)
            if holds != (rule.id in fired):
                self._agree(rule, holds, fired)
            award = None
            if holds and rule.amount is not None:
                award = compute(rule.amount, env, self.pack, day, rule.id)
            outcomes.append(_outcome(rule, when_held if holds else Status.NOT_ELIGIBLE, award, draft, placed, required,
                                     in_force, facts, known))
        if self.groups:
            outcomes = settle(outcomes, self.groups)
        return Evaluation(profile, day, source, include_drafts, tuple(outcomes), derived, self.pack.digest,
                          facts=facts)

    @staticmethod
    def _agree(rule: CompiledRule, holds: bool, fired: set[str]) -> None:
        if holds != (rule.id in fired):
            raise EngineDisagreement(
                f"rule {rule.id}: durable_rules {'fired' if rule.id in fired else 'did not fire'} but the "
                f"explanation says its conditions {'hold' if holds else 'fail'}"
            )


Planned = tuple[CompiledRule, bool, bool, bool, Status, dict[str, Any]]  # (RuleTable.plan)


class RuleTable:
    """What an evaluation reads of the pack's rules, worked out once rather than for every profile: the rules in
    order, which are drafts, which are for a kind of applicant in a place, and on a day which are in force and
    what a rule whose conditions hold is then (eligible, expired, not yet in force), with the parameters' values
    on that day. A profile meets every rule, and these were most of an evaluation's own time. The kinds and places
    are the profile model's few values, the days a handful at a time; each memo is bounded all the same."""

    KEPT = 512  # (kind, place) pairs and days remembered; past that the memo starts again

    def __init__(self, pack: RulePack):
        self.pack = pack
        self.rules = tuple(pack.rules.values())
        self.derived = tuple(pack.derived_order())
        self.drafts = tuple(rule.status is RuleStatus.DRAFT for rule in self.rules)
        self._placed: dict[tuple[Any, Any], tuple[bool, ...]] = {}
        self._days: dict[dt.date, tuple[tuple[tuple[bool, Status], ...], dict[str, Any]]] = {}
        self._plans: dict[tuple[Any, Any, dt.date], tuple[Planned, ...]] = {}

    def plan(self, kind: Any, city: Any, day: dt.date) -> tuple[Planned, ...]:
        """For each rule: the rule, whether a draft, whether for this kind in this place, in force on the day,
        its status on the day when its conditions hold, and the fields of its outcome when its gates rule it
        out (all but the evaluation's facts, and `required` when a derived fact it requires does not hold)."""
        found = self._plans.get((kind, city, day))
        if found is None:
            if len(self._plans) >= self.KEPT:
                self._plans.clear()
            found = self._plans[(kind, city, day)] = tuple(
                (rule, draft, placed, in_force, when_held,
                 {"rule": rule, "status": Status.NOT_ELIGIBLE, "award": None, "draft": draft, "placed": placed,
                  "required": True, "in_force": in_force, "facts": None, "known": None, "instead": None})
                for rule, draft, placed, (in_force, when_held)
                in zip(self.rules, self.drafts, self.placed(kind, city), self.on(day), strict=True))
        return found

    def placed(self, kind: Any, city: Any) -> tuple[bool, ...]:
        """For each rule: is it for this kind of applicant, in this place."""
        found = self._placed.get((kind, city))
        if found is None:
            if len(self._placed) >= self.KEPT:
                self._placed.clear()
            found = self._placed[(kind, city)] = tuple(kind in r.kinds and city in r.cities for r in self.rules)
        return found

    def on(self, day: dt.date) -> tuple[tuple[bool, Status], ...]:
        """For each rule: in force on the day, and its status on the day when its conditions hold."""
        return self._day(day)[0]

    def parameters_on(self, day: dt.date) -> dict[str, Any]:
        """The parameters' values on the day (the pack's `parameters_on`; read only, never changed)."""
        return self._day(day)[1]

    def _day(self, day: dt.date) -> tuple[tuple[tuple[bool, Status], ...], dict[str, Any]]:
        found = self._days.get(day)
        if found is None:
            if len(self._days) >= self.KEPT:
                self._days.clear()
            found = self._days[day] = (tuple((r.effective.contains(day), _held_status(r, day)) for r in self.rules),
                                       self.pack.parameters_on(day))
        return found


def _held_status(rule: CompiledRule, day: dt.date) -> Status:
    """What a rule whose conditions hold is on the day."""
    if day < rule.effective.from_:
        return Status.NOT_YET_IN_FORCE
    if not rule.effective.contains(day):
        return Status.EXPIRED
    return Status.ELIGIBLE


def _outcome(rule: CompiledRule, status: Status, award: Award | None, draft: bool, placed: bool, required: bool,
             in_force: bool, facts: Facts, known: tuple[Check, ...] | None) -> Outcome:
    """`Outcome(...)` made without the frozen dataclass's `__init__`, which sets each of its ten fields through
    `object.__setattr__`: a profile meets every rule of the pack, and that call was a fifth of an evaluation's own
    time. The object is the same (its fields in its `__dict__`, `instead` at its default); it stays frozen."""
    outcome = _new(Outcome)
    outcome.__dict__.update(rule=rule, status=status, award=award, draft=draft, placed=placed, required=required,
                            in_force=in_force, facts=facts, known=known, instead=None)
    return outcome


_new = object.__new__
_set_attribute = object.__setattr__


def settle(outcomes: list[Outcome], groups: list[combining.Group]) -> list[Outcome]:
    """The combinations applied: in each group, of the rules eligible together one is paid (combining.winner) and
    the others are `not_combined`, naming it; their amounts stay, shown but never added up."""
    at = {o.rule.id: n for n, o in enumerate(outcomes)}
    for group in groups:
        eligible = [r for r in group.order if r in at and outcomes[at[r]].status == Status.ELIGIBLE]
        if len(eligible) < 2:
            continue
        values = {}
        for rule_id in eligible:
            award = outcomes[at[rule_id]].award
            values[rule_id] = None if award is None else worth(award.kind, award.value, award.maximum)
        paid = combining.winner(group, eligible, values)
        for rule_id in eligible:
            if rule_id != paid:
                outcomes[at[rule_id]] = replace(outcomes[at[rule_id]], status=Status.NOT_COMBINED, instead=paid)
    return outcomes


def _condition_check(condition: CompiledCondition, env: Mapping[str, Any]) -> Check:
    held = ex.evaluate(condition.node, env) is True
    values = {name: env.get(name) for name in sorted(condition.fields)}
    return Check(condition.id, condition.text, held, values, condition.says)
