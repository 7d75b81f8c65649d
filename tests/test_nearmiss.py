"""Near misses: each suggestion is the smallest change that makes its rule pay, and only changeable fields move."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from budget import examples
from hypothesis import given, settings

from guangxi_subsidy.engine import i18n
from guangxi_subsidy.engine.answers.sentences import line_text
from guangxi_subsidy.engine.applicant.fields import field_symbols
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.evaluation.changeable import CHANGEABLE, FIXED
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.evaluation.nearmiss import UNITS, NearMiss, near_misses
from guangxi_subsidy.engine.rules.pack import load_pack
from guangxi_subsidy.engine.verify.scenarios import near_thresholds

PACK = load_pack()
ENGINE = Engine(PACK)

FIRM = {"id": "NN-FIRM-10", "kind": "enterprise", "city": "南宁", "as_of": "2017-03-01", "in_incubation_base": True,
        "has_site_lease": True, "months_operating_in_base": 10, "social_insurance_paid_in_full": True,
        "one_time_subsidy_received": False}


def _changed(profile: Profile, values: dict[str, Any]) -> Profile:
    return parse_profile({**profile.model_dump(exclude_none=True), **values})


def _status(profile: Profile, rule_id: str, as_of: Any) -> Any:
    evaluation = ENGINE.evaluate(profile, as_of=as_of)
    return next(o for o in evaluation.outcomes if o.rule.id == rule_id)


def test_an_incubated_firm_ten_months_in_its_base_is_told_two_more_months_bring_2000_yuan() -> None:
    # 002 三(四)20: 正常纳税经营满1年 … 给予2000元/户的一次性补贴; 12 − 10 = 2 months, 2,000.00 yuan.
    evaluation = ENGINE.evaluate(parse_profile(FIRM))
    misses = near_misses(evaluation, PACK)
    miss = next(m for m in misses if m.rule.id == "nanning.incubated_firm_one_time_subsidy")
    assert [(c.field, c.before, c.after) for c in miss.changes] == [("months_operating_in_base", 10, 12)]
    assert miss.award.value == Decimal("2000.00")
    try:
        i18n.set_language("zh")
        assert line_text(miss) == "在基地正常纳税经营再满 2 个月: +2,000.00"
        i18n.set_language("en")
        assert line_text(miss) == "2 more months of normal, tax-paying operation in the base: +2,000.00"
    finally:
        i18n.set_language(None)


def test_no_change_is_suggested_to_a_field_the_applicant_cannot_change() -> None:
    # Already received the rent subsidy twice: 享受期限最长两年; years received cannot be undone.
    base = parse_profile({"id": "B", "kind": "incubation_base", "city": "南宁", "as_of": "2017-03-01",
                          "recognised_incubation_base": True, "rent_and_broadband_paid": 900000,
                          "rent_subsidy_years_received": 2})
    misses = near_misses(ENGINE.evaluate(base), PACK)
    assert all(m.rule.id != "nanning.incubation_base_rent_subsidy" for m in misses)
    # The same base in Liuzhou: the city is not the applicant's to change, so nothing is suggested for Nanning.
    elsewhere = _changed(base, {"city": "liuzhou", "rent_subsidy_years_received": 0})
    assert all(m.rule.jurisdiction != "nanning" for m in near_misses(ENGINE.evaluate(elsewhere), PACK))


def test_sales_above_the_vat_threshold_are_told_the_ceiling_to_the_fen() -> None:
    # 002 (二)10: 月销售额不超过3万元 … 免征增值税; 30,000.01 a month is one fen over.
    profile = parse_profile({"id": "V", "kind": "enterprise", "city": "南宁", "as_of": "2017-03-01",
                             "vat_small_scale_taxpayer": True, "monthly_sales": "30000.01"})
    miss = next(m for m in near_misses(ENGINE.evaluate(profile), PACK)
                if m.rule.id == "nanning.vat_exemption_small_scale")
    assert [(c.field, c.after) for c in miss.changes] == [("monthly_sales", Decimal("30000.00"))]
    assert miss.award.value == Decimal("900.00")  # 30,000 × 3% levy rate


def test_every_numeric_field_a_condition_reads_is_judged_changeable_or_fixed() -> None:
    numeric = {name for rule in [*PACK.rules.values(), *PACK.derived.values()] for c in rule.conditions
               for name in c.fields if name in field_symbols() and field_symbols()[name].type in UNITS}
    assert numeric - set(CHANGEABLE) - set(FIXED) == set()
    assert set(CHANGEABLE) & set(FIXED) == set()


def _one_unit_back(miss: NearMiss, field: str) -> Any:
    change = next(c for c in miss.changes if c.field == field)
    unit = UNITS[field_symbols()[field].type]
    step = unit if change.after < change.before else -unit
    value = Decimal(change.after) + step
    return int(value) if isinstance(change.after, int) else value


@settings(max_examples=examples(40))
@given(near_thresholds(PACK))
def test_each_suggestion_makes_its_rule_pay_and_one_unit_less_does_not(data: dict[str, Any]) -> None:
    profile = parse_profile(data)
    evaluation = ENGINE.evaluate(profile)
    for miss in near_misses(evaluation, PACK):
        assert all(c.field in CHANGEABLE for c in miss.changes)
        changed = _changed(profile, {c.field: c.after for c in miss.changes})
        outcome = _status(changed, miss.rule.id, evaluation.as_of)
        assert outcome.status == "eligible", (miss, outcome.failed)
        assert outcome.award == miss.award
        for change in miss.changes:
            less = _changed(profile, {**{c.field: c.after for c in miss.changes},
                                      change.field: _one_unit_back(miss, change.field)})
            assert _status(less, miss.rule.id, evaluation.as_of).status == "not_eligible", (miss, change)
