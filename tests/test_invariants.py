"""Invariants every rule of the pack keeps, on generated profiles; a rule added to the pack is covered as it is.

The profiles come from engine.strategies: derived from the profile schema, with values near the pack's own
thresholds and dates on both sides of every period's ends. Example counts follow the hypothesis profile
(HYPOTHESIS_PROFILE=ci by default, =thorough for a long run).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.answers.document import totals
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import ProfileError, parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine, Evaluation, Outcome, profile_values
from guangxi_subsidy.engine.money import round_fen
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.pack import DEFAULT_RULES, RulePack, load_pack
from guangxi_subsidy.engine.verify.properties import verify_pack
from guangxi_subsidy.engine.verify.strategies import (
    any_profile_data,
    evaluation_dates,
    invalid_profile_data,
    rule_profile_data,
)
from guangxi_subsidy.engine.verify.thresholds import pack_thresholds
from guangxi_subsidy.engine.yamlio import load_yaml

PACK = load_pack()


def per_rule_examples() -> int:
    """A share of the profile's examples for each rule, so that the whole pack costs a few profiles' worth."""
    return max(3, settings().max_examples // 6)


# ---------------------------------------------------------------- the invariants


def _numbers(outcome: Outcome) -> list[Decimal]:
    award = outcome.award
    if award is None:
        return []
    return [v for v in (award.value, award.minimum, award.maximum) if v is not None]


def _rule_violations(rule: CompiledRule, outcome: Outcome, profile: Profile, day: dt.date,
                     env: dict[str, Any]) -> list[str]:
    problems = []
    holds = all(c.held for c in outcome.checks if c.id != "in_force")
    expected = (
        "not_eligible" if not holds
        else "not_yet_in_force" if day < rule.effective.from_
        else "expired" if not rule.effective.contains(day)
        else "eligible"
    )
    if expected == "eligible" and outcome.status == "not_combined":
        expected = "not_combined"  # another benefit is paid instead: that one is eligible (invariant_violations)
    if outcome.status != expected:
        problems.append(f"status {outcome.status}, expected {expected}")
    if outcome.eligible:
        if profile.kind.value not in rule.kinds:
            problems.append(f"pays a {profile.kind.value}, not among {rule.kinds}")
        if profile.city not in rule.cities:
            problems.append(f"pays in {profile.city}, outside {rule.jurisdiction}")
        if not rule.effective.contains(day):
            problems.append(f"pays on {day}, outside its period")
    if outcome.draft != (rule.status.value == "draft"):
        problems.append("draft flag differs from the rule's status")

    award = outcome.award
    if rule.amount is None or not holds:
        if award is not None:
            problems.append("an amount for a rule whose conditions fail")
        return problems
    if award is None:
        return [*problems, "no amount for a rule whose conditions hold"]
    numbers = _numbers(outcome)
    spec = rule.amount.spec
    if spec.kind == "non_monetary" and award.kind != "non_monetary":
        problems.append(f"a non-monetary benefit reported as {award.kind}")
    if award.kind in ("unquantified", "non_monetary") and numbers:
        problems.append(f"an {award.kind} amount carries a number: {numbers}")
    if award.kind == "incomplete" and (award.value is not None or award.minimum is not None):
        problems.append("an incomplete amount states a value (it may state only the ceiling its caps give)")
    if award.kind == "up_to" and (award.value is not None or award.minimum is not None or award.maximum is None):
        problems.append("an up_to amount states other than a ceiling")
    for number in numbers:
        if number < 0:
            problems.append(f"negative amount {number}")
        if number != round_fen(number):
            problems.append(f"amount {number} not rounded to the fen")
    if award.kind == "range" and award.minimum is not None and award.maximum is not None:
        if award.maximum < award.minimum:
            problems.append(f"range max {award.maximum} below min {award.minimum}")
    limits = [c.node for c in rule.amount.caps]
    if spec.kind in ("up_to", "unquantified") and rule.amount.maximum is not None:
        limits.append(rule.amount.maximum)
    for node in limits:
        limit = ex.evaluate(node, env)
        if limit is None:
            continue
        bound = max(Decimal(limit), Decimal(0))  # type: ignore[arg-type]
        for number in numbers:
            if number > bound:
                problems.append(f"amount {number} above the cap {ex.render(node)} = {bound}")
    return problems


def invariant_violations(engine: Engine, profile: Profile, day: dt.date) -> list[str]:
    """Everything one profile can show wrong with any rule of the engine's pack, as readable lines."""
    problems: list[str] = []
    full = engine.evaluate(profile, as_of=day, include_drafts=True)  # raises EngineDisagreement on a mismatch
    plain = engine.evaluate(profile, as_of=day)
    env = dict(profile_values(profile))
    env.update(engine.pack.parameters_on(day))
    for outcome in full.outcomes:
        problems += [f"{outcome.rule.id}: {p}" for p in _rule_violations(outcome.rule, outcome, profile, day, env)]

    # A benefit not combined names one paid instead.
    paid = {o.rule.id for o in full.outcomes if o.eligible}
    problems += [f"{o.rule.id}: not combined, but {o.instead} is not paid" for o in full.outcomes
                 if o.status == "not_combined" and o.instead not in paid]

    # Drafts only when asked for; everything else the same either way.
    asked = {o.rule.id: o for o in full.outcomes}
    for outcome in plain.outcomes:
        if outcome.draft or outcome.rule.status.value == "draft":
            problems.append(f"{outcome.rule.id}: a draft listed without --include-drafts")
        elif (outcome.status, outcome.award) != (asked[outcome.rule.id].status, asked[outcome.rule.id].award):
            problems.append(f"{outcome.rule.id}: differs when drafts are included")
    missing = {r for r, o in asked.items() if not o.draft} - {o.rule.id for o in plain.outcomes}
    problems += [f"{rule_id}: missing without --include-drafts" for rule_id in sorted(missing)]

    # Totals count what is eligible on the day, nothing else.
    eligible_only = dataclasses.replace(full, outcomes=tuple(o for o in full.outcomes if o.eligible))
    if totals(full) != totals(eligible_only):
        problems.append("totals count a benefit that is not eligible on the day")

    # durable_rules fires exactly the rules and derived facts whose checks (the period aside) all hold.
    fired = engine.network.fired(profile_values(profile))
    holding = {o.rule.id for o in full.outcomes if all(c.held for c in o.checks if c.id != "in_force")}
    holding |= {d for d, held in full.derived.items() if held}
    if fired != holding:
        problems.append(f"durable_rules fired {sorted(fired ^ holding)} against the explanation")
    return problems


def keeps_invariants(engine: Engine, rule: CompiledRule, examples: int) -> Counter[str]:
    """Run the invariants on profiles drawn for one rule (every rule is checked on each); count its statuses."""
    statuses: Counter[str] = Counter()
    dates = evaluation_dates(engine.pack)

    @settings(max_examples=examples)
    @given(rule_profile_data(rule, engine.pack, dates))
    def run(data: dict[str, Any]) -> None:
        profile = parse_profile(data)
        assert profile.as_of is not None
        problems = invariant_violations(engine, profile, profile.as_of)
        assert not problems, "\n".join(problems)
        evaluation = engine.evaluate(profile, include_drafts=True)
        statuses[next(o.status for o in evaluation.outcomes if o.rule.id == rule.id)] += 1

    run()
    return statuses


# ---------------------------------------------------------------- the suite


@pytest.mark.parametrize("rule_id", sorted(PACK.rules))
def test_every_rule_keeps_every_invariant_on_profiles_drawn_to_meet_it(engine: Engine, rule_id: str) -> None:
    statuses = keeps_invariants(engine, engine.pack.rules[rule_id], per_rule_examples())
    assert sum(statuses.values()) > 0


@given(data=any_profile_data(PACK))
def test_no_rule_pays_outside_its_place_period_or_kind_or_beyond_its_caps(engine: Engine,
                                                                           data: dict[str, Any]) -> None:
    profile = parse_profile(data)
    assert profile.as_of is not None
    problems = invariant_violations(engine, profile, profile.as_of)
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def fresh_engine() -> Engine:
    return Engine(load_pack())


def _results(evaluation: Evaluation) -> dict[str, Any]:
    outcomes = {
        o.rule.id: (o.status, o.award, o.draft, frozenset((c.id, c.held) for c in o.checks))
        for o in evaluation.outcomes
    }
    return {"outcomes": outcomes, "derived": evaluation.derived, "totals": totals(evaluation)}


@given(data=any_profile_data(PACK))
def test_the_same_profile_gives_the_same_result_twice_and_in_a_fresh_engine(
    engine: Engine, fresh_engine: Engine, data: dict[str, Any]
) -> None:
    profile = parse_profile(data)
    first = _results(engine.evaluate(profile, include_drafts=True))
    assert _results(engine.evaluate(profile, include_drafts=True)) == first
    assert _results(fresh_engine.evaluate(profile, include_drafts=True)) == first


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Decimal, lambda dumper, value: dumper.represent_str(str(value)))


def shuffled_copy(source: Path, target: Path, seed: int) -> None:
    """The pack with its files, rules, derived facts and conditions in another order (tiers and caps keep theirs:
    their order is part of their meaning)."""
    rng = random.Random(seed)
    files = sorted(p for p in source.glob("*.yaml") if p.name not in ("parameters.yaml", "departments.yaml",
                                                                        "ledger.yaml"))
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "parameters.yaml", target / "parameters.yaml")
    for number, path in enumerate(rng.sample(files, len(files))):
        data = load_yaml(path.read_text(encoding="utf-8"))
        for key in ("rules", "derived"):
            rng.shuffle(data.get(key, []))
            for item in data.get(key, []):
                rng.shuffle(item.get("conditions", []))
        text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
        (target / f"{number:03d}_{path.name}").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def shuffled_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    target = tmp_path_factory.mktemp("shuffled") / "rules"
    shuffled_copy(DEFAULT_RULES, target, seed=20160613)
    return Engine(load_pack([target]))


def test_the_shuffled_copy_really_changes_the_order(shuffled_engine: Engine) -> None:
    assert list(shuffled_engine.pack.rules) != list(PACK.rules)
    assert sorted(shuffled_engine.pack.rules) == sorted(PACK.rules)
    moved = [r for r in PACK.rules.values()
             if [c.id for c in r.conditions] != [c.id for c in shuffled_engine.pack.rules[r.id].conditions]]
    assert moved


@given(data=any_profile_data(PACK))
def test_the_order_of_rule_files_rules_and_conditions_changes_no_result(
    engine: Engine, shuffled_engine: Engine, data: dict[str, Any]
) -> None:
    profile = parse_profile(data)
    assert _results(shuffled_engine.evaluate(profile, include_drafts=True)) == _results(
        engine.evaluate(profile, include_drafts=True)
    )


# ---------------------------------------------------------------- a new rule is covered with no new test code

NEW_RULE_FILE = """\
schema: subsidy-rules/1
document:
  file: 005_liuzhou_test.txt
  title: 柳州市测试文件
  short: 柳州测试文件
  issuer: 柳州市人民政府
  jurisdiction: liuzhou
  status: in_force
  effective:
    from: 2019-01-01
    to: 2019-12-31
rules:
  - id: liuzhou.broadband_subsidy
    name: 宽带补贴
    beneficiary: [incubation_base]
    benefit: cash_subsidy
    source:
      clause: 一(一)
      quote: 按实际缴纳宽带费用的30%给予补贴,每年最高5万元
    conditions:
      - id: paid_enough
        when: rent_and_broadband_paid >= 1000
    amount:
      kind: formula
      formula: rent_and_broadband_paid * 30%
      caps:
        - value: 5万
          per: year
    properties:
      - bounded: 50000
      - monotone: rent_and_broadband_paid
"""


@pytest.fixture(scope="module")
def grown_pack(tmp_path_factory: pytest.TempPathFactory) -> RulePack:
    rules = tmp_path_factory.mktemp("grown") / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    (rules / "005_liuzhou_test.yaml").write_text(NEW_RULE_FILE, encoding="utf-8")
    return load_pack([rules])


def test_a_new_rule_file_is_covered_by_the_generic_suite_with_no_new_test_code(grown_pack: RulePack) -> None:
    engine = Engine(grown_pack)
    rule = grown_pack.rules["liuzhou.broadband_subsidy"]
    # Its threshold, the input where its cap starts to bite and its period's ends are drawn from the pack itself.
    values = pack_thresholds(grown_pack).by_field["rent_and_broadband_paid"]
    assert {Decimal("999.99"), Decimal("1000.00"), Decimal("166666.67")} <= values
    assert {dt.date(2019, 1, 1), dt.date(2018, 12, 31), dt.date(2019, 12, 31), dt.date(2020, 1, 1)} <= (
        pack_thresholds(grown_pack).dates
    )
    # The same invariant run every rule gets covers it, and reaches both sides of its decision and its period.
    statuses = keeps_invariants(engine, rule, max(20, per_rule_examples()))
    assert statuses["eligible"] > 0
    assert statuses["not_eligible"] + statuses["expired"] + statuses["not_yet_in_force"] > 0
    # Its declared properties are verified as the others are.
    alone = load_pack([Path(rule.file)])
    results = list(verify_pack(alone, examples=per_rule_examples()))
    assert [r.declared.kind for r in results] == ["bounded", "monotone"]
    assert all(r.holds and r.examples > 0 for r in results)


# ---------------------------------------------------------------- invalid profiles


@given(invalid_profile_data(PACK))
def test_an_invalid_profile_is_refused_naming_the_field(case: tuple[dict[str, Any], str]) -> None:
    data, field = case
    with pytest.raises(ProfileError) as caught:
        parse_profile(data)
    assert field in [name for name, _value, _expected in caught.value.problems], caught.value


@given(any_profile_data(PACK))
def test_generated_profiles_are_valid_and_read_back_as_written(data: dict[str, Any]) -> None:
    profile = parse_profile(data)
    values = profile_values(profile)
    assert {k: values[k] for k in data} == data


def test_generated_values_gather_at_the_pack_thresholds_and_period_ends() -> None:
    thresholds = pack_thresholds(PACK)
    for name, point in [("monthly_sales", "30000"), ("quarterly_sales", "90000"), ("annual_taxable_income", "300000"),
                        ("largest_single_guarantee", "15000000"), ("rent_and_broadband_paid", "785714.29")]:
        value = Decimal(point)
        assert {value - Decimal("0.01"), value, value + Decimal("0.01")} <= thresholds.by_field[name], name
    assert {11, 12, 13} <= thresholds.by_field["months_operating_in_base"]
    share = thresholds.by_field["guangxi_new_product_share"]
    assert {Decimal("0.799999"), Decimal("0.8"), Decimal("0.800001")} <= share
    for rule in PACK.rules.values():
        ends = {rule.effective.from_, rule.effective.from_ - dt.timedelta(days=1)}
        if rule.effective.to is not None:
            ends |= {rule.effective.to, rule.effective.to + dt.timedelta(days=1)}
        assert ends <= thresholds.dates, rule.id
