"""One programme pays once: the rules that name one `programme` are never eligible together for one applicant,
and of a group of rules combined to pay one (rules/combining.py) one at most is paid.

A programme stated in parts (the R&D award above and below designated size; the small-scale VAT exemption for
monthly and for quarterly filers) is encoded as several rules, each with its own ceiling or threshold; totals
add every eligible rule, so the parts must exclude each other by their conditions, or a total would count one
programme twice. The check draws profiles meant to meet each rule of a programme, and profiles meant to meet
two of them at once (the fields of both drawn together), evaluates them with the whole pack, and reports the
first profile under which two rules of one programme are eligible on the same day. A combination group is drawn
the same way; it holds when one of its rules at most is eligible (paid) and each of its rules not combined names
the rule of the group that is paid instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as seeded
from hypothesis import strategies as st

from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine, Evaluation
from guangxi_subsidy.engine.rules import combining
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.verify.strategies import rule_field_values, rule_profile_data

DEFAULT_SEED = 0


@dataclass(frozen=True)
class ProgrammeResult:
    programme: str
    rules: tuple[str, ...]
    examples: int
    both: tuple[str, ...] = ()  # the rules found eligible together, on failure
    counterexample: dict[str, Any] | None = None
    combined: int | None = None  # a combination group: the profiles under which one of its rules was not combined

    @property
    def holds(self) -> bool:
        return self.counterexample is None


def programmes(pack: RulePack) -> dict[str, list[CompiledRule]]:
    """Programme → its rules, in pack order (a programme of one rule is left out: it cannot pay twice)."""
    found: dict[str, list[CompiledRule]] = {}
    for rule in pack.rules.values():
        if rule.rule.programme:
            found.setdefault(rule.rule.programme, []).append(rule)
    return {name: rules for name, rules in found.items() if len(rules) > 1}


def _draws(rules: list[CompiledRule], pack: RulePack) -> st.SearchStrategy[dict[str, Any]]:
    """Profiles for one rule of the programme, or with the fields of every rule drawn to meet each."""
    one = [rule_profile_data(rule, pack) for rule in rules]
    values: dict[str, st.SearchStrategy[Any]] = {}
    for rule in rules:
        values.update(rule_field_values(rule, pack))
    together = [rule_profile_data(rule, pack, fixed=values) for rule in rules]
    return st.one_of(*one, *together)


def paid_twice(evaluation: Evaluation, ids: set[str]) -> tuple[str, ...]:
    """The rules of `ids` eligible (paid) together; empty when one at most is."""
    both = tuple(o.rule.id for o in evaluation.outcomes if o.rule.id in ids and o.status == "eligible")
    return both if len(both) > 1 else ()


def named_wrongly(evaluation: Evaluation, ids: set[str]) -> tuple[str, ...]:
    """Rules of `ids` not combined that name no rule of the group paid instead."""
    paid = {o.rule.id for o in evaluation.outcomes if o.status == "eligible"}
    return tuple(o.rule.id for o in evaluation.outcomes if o.rule.id in ids and o.status == "not_combined"
                 and (o.instead not in paid or o.instead not in ids))


def check_programme(engine: Engine, name: str, rules: list[CompiledRule], examples: int = 100,
                    seed: int | None = None, group: bool = False) -> ProgrammeResult:
    ids = {rule.id for rule in rules}
    counts = {"ran": 0, "combined": 0}
    found: list[tuple[dict[str, Any], tuple[str, ...]]] = []

    def body(data: dict[str, Any]) -> None:
        counts["ran"] += 1
        profile = parse_profile(data, "generated profile")
        evaluation = engine.evaluate(profile)
        counts["combined"] += any(o.rule.id in ids and o.status == "not_combined" for o in evaluation.outcomes)
        both = paid_twice(evaluation, ids) or named_wrongly(evaluation, ids)
        if both:
            found.append((data, both))
            raise AssertionError(f"{', '.join(both)} paid together, or not combined naming no rule paid")

    test = settings(max_examples=examples, database=None, deadline=None, derandomize=False,
                    suppress_health_check=list(HealthCheck), report_multiple_bugs=False, verbosity=Verbosity.quiet,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink))(given(_draws(rules, engine.pack))(body))
    try:
        seeded(DEFAULT_SEED if seed is None else seed)(test)()
    except AssertionError:
        data, both = found[-1]
        return ProgrammeResult(name, tuple(sorted(ids)), counts["ran"], both, data,
                               counts["combined"] if group else None)
    return ProgrammeResult(name, tuple(sorted(ids)), counts["ran"], combined=counts["combined"] if group else None)


def verify_programmes(pack: RulePack, examples: int = 100, seed: int | None = None) -> Iterator[ProgrammeResult]:
    """Each programme, then each combination group (named by the rule that states it)."""
    engine = Engine(pack)
    for name, rules in programmes(pack).items():
        yield check_programme(engine, name, rules, examples, seed)
    for group in combining.groups(pack.rules):
        yield check_programme(engine, group.owner, [pack.rules[r] for r in group.order], examples, seed, group=True)
