"""Evaluation through durable_rules: isolation between profiles, determinism, forward chaining, agreement."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine, EngineDisagreement, Outcome, _outcome

DAY = dt.date(2017, 3, 1)


def base(rent: str | int, city: str = "nanning", years: int = 0, pid: str = "b") -> Profile:
    return parse_profile({
        "id": pid, "kind": "incubation_base", "city": city, "recognised_incubation_base": True,
        "rent_and_broadband_paid": rent, "rent_subsidy_years_received": years,
    })


def outcome(engine: Engine, profile: Profile, rule_id: str, day: dt.date = DAY):  # type: ignore[no-untyped-def]
    evaluation = engine.evaluate(profile, as_of=day)
    return next(o for o in evaluation.outcomes if o.rule.id == rule_id)


RENT = "nanning.incubation_base_rent_subsidy"


def test_the_cap_bites_at_550000_and_the_explanation_says_so(engine: Engine) -> None:
    result = outcome(engine, base(900000), RENT)
    assert result.eligible and result.award is not None
    assert result.award.value == Decimal("550000.00")
    assert result.award.uncapped == Decimal("630000.0")
    assert [c.bit for c in result.award.caps] == [True]


def test_below_the_cap_no_cap_bites(engine: Engine) -> None:
    result = outcome(engine, base(600000), RENT)
    assert result.award is not None and result.award.value == Decimal("420000.00")
    assert [c.bit for c in result.award.caps] == [False]


def test_outside_the_city_the_jurisdiction_check_fails(engine: Engine) -> None:
    result = outcome(engine, base(900000, city="liuzhou"), RENT)
    assert result.status == "not_eligible"
    assert [c.id for c in result.failed] == ["jurisdiction"]
    assert result.award is None


def test_profiles_evaluated_in_turn_do_not_see_each_others_facts(engine: Engine) -> None:
    eligible, ineligible = base(900000, pid="x"), base(900000, city="liuzhou", pid="x")
    first = outcome(engine, ineligible, RENT).status
    outcome(engine, eligible, RENT)
    assert outcome(engine, ineligible, RENT).status == first == "not_eligible"
    assert outcome(engine, eligible, RENT).status == "eligible"


def test_forward_chaining_derives_the_incubated_firm_fact(engine: Engine) -> None:
    firm = parse_profile({"id": "f", "kind": "enterprise", "city": "nanning", "in_incubation_base": True})
    evaluation = engine.evaluate(firm, as_of=DAY)
    assert evaluation.derived["nanning.incubated_firm"] is True
    assert "nanning.incubated_firm" in engine.network.fired({"kind": "enterprise", "city": "nanning",
                                                              "in_incubation_base": True})


def test_a_disagreement_between_durable_rules_and_the_explanation_is_an_error(engine: Engine) -> None:
    class Silent:
        def fired(self, values: dict) -> set[str]:  # type: ignore[type-arg]
            return set()

    broken = Engine.__new__(Engine)
    broken.pack, broken.network = engine.pack, Silent()  # type: ignore[assignment]
    with pytest.raises(EngineDisagreement, match=RENT):
        broken.evaluate(base(900000), as_of=DAY)


def test_a_profile_with_no_benefit_is_not_an_error(engine: Engine) -> None:
    nobody = parse_profile({"id": "n", "kind": "individual", "city": "outside_guangxi"})
    evaluation = engine.evaluate(nobody, as_of=DAY)
    assert not evaluation.by_status("eligible")


def test_without_a_date_the_profile_date_is_used_and_then_today(engine: Engine) -> None:
    dated = parse_profile({"id": "d", "kind": "individual", "city": "nanning", "as_of": "2017-05-01"})
    assert engine.evaluate(dated).as_of_source == "profile"
    undated = parse_profile({"id": "u", "kind": "individual", "city": "nanning"})
    assert engine.evaluate(undated).as_of_source == "today"
    assert engine.evaluate(dated, as_of=DAY).as_of == DAY


rents = st.one_of(
    st.sampled_from([0, 1, 785714, 785715, 785714.29, 550000, 900000]).map(lambda v: Decimal(str(v))),
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
)


@given(
    rent=rents,
    city=st.sampled_from(["nanning", "liuzhou", "wuzhou", "outside_guangxi"]),
    years=st.integers(0, 3),
)
def test_rent_subsidy_is_70_percent_capped_and_the_same_twice(engine: Engine, rent: Decimal, city: str,
                                                                years: int) -> None:
    profile = base(str(rent), city=city, years=years)
    first = outcome(engine, profile, RENT)
    again = outcome(engine, profile, RENT)
    assert (first.status, first.award) == (again.status, again.award)
    should = city == "nanning" and years < 2 and rent > 0
    assert first.eligible == should
    if should:
        assert first.award is not None and first.award.value is not None
        expected = min(rent * Decimal("0.7"), Decimal(550000)).quantize(Decimal("0.01"), "ROUND_HALF_UP")
        assert first.award.value == expected


def test_a_fresh_engine_gives_the_same_answer(engine: Engine) -> None:
    fresh = Engine(engine.pack)
    assert fresh.network.name != engine.network.name
    profile = base(777777)
    assert outcome(fresh, profile, RENT).award == outcome(engine, profile, RENT).award


def test_many_sessions_leave_no_state_behind(engine: Engine) -> None:
    for i in range(3000):
        engine.network.fired({"kind": "incubation_base", "city": "nanning", "recognised_incubation_base": True,
                              "rent_and_broadband_paid": Decimal(i), "rent_subsidy_years_received": 0})
    # The session ids are fresh each time and each state was deleted: a new assert still works as the first did.
    assert RENT in engine.network.fired({"kind": "incubation_base", "city": "nanning",
                                         "recognised_incubation_base": True,
                                         "rent_and_broadband_paid": Decimal(5), "rent_subsidy_years_received": 0})


def test_a_rule_failing_only_for_want_of_a_fact_names_the_fact(engine: Engine) -> None:
    firm = parse_profile({"id": "m", "kind": "enterprise", "city": "nanning"})
    waiver = outcome(engine, firm, "nanning.small_micro_admin_fee_waiver")
    assert waiver.facts_needed() == ("small_micro_enterprise",)


def test_a_fact_given_against_the_rule_is_not_a_fact_needed(engine: Engine) -> None:
    firm = parse_profile({"id": "m", "kind": "enterprise", "city": "nanning", "small_micro_enterprise": False})
    assert outcome(engine, firm, "nanning.small_micro_admin_fee_waiver").facts_needed() == ()


def test_a_rule_of_another_place_needs_no_facts(engine: Engine) -> None:
    far = parse_profile({"id": "b", "kind": "incubation_base", "city": "liuzhou"})
    assert outcome(engine, far, RENT).facts_needed() == ()


def test_a_cap_of_half_a_fen_pays_nothing_rather_than_a_fen_above_it(engine: Engine) -> None:
    incubator = parse_profile({"id": "w", "kind": "incubation_base", "city": "wuzhou",
                               "city_incubation_area_subsidy": "0.01"})
    evaluation = engine.evaluate(incubator, as_of=dt.date(2019, 6, 1), include_drafts=True)
    post = next(o for o in evaluation.outcomes if o.rule.id == "wuzhou.incubator_expansion_region_post_subsidy")
    # 0.01 × 50% = 0.005 yuan: a limit rounded down to the fen, 0.00, never half-up to 0.01 above it
    assert post.award is not None and post.award.maximum == Decimal("0.00")


def test_a_rule_ruled_out_by_whom_or_where_has_its_conditions_evaluated_only_when_asked(engine: Engine) -> None:
    """The decision reads the gates; an explanation gets every condition of every rule, with the profile's
    values, as if all had been evaluated at once."""
    profile = base(900000)
    evaluation = engine.evaluate(profile, as_of=DAY)
    gated = [o for o in evaluation.outcomes if o.gated]
    assert gated and all("conditions" not in o.__dict__ for o in gated)  # (not evaluated yet)
    firm_rule = next(o for o in gated if o.rule.id == "nanning.new_product_subsidy")  # (for enterprises)
    assert not firm_rule.placed and [c.id for c in firm_rule.checks[:2]] == ["beneficiary", "jurisdiction"]
    assert firm_rule.checks[0].held is False and firm_rule.checks[0].values == {"kind": "incubation_base"}
    assert firm_rule.checks[1].held is True  # (a Nanning rule, a Nanning base: only the kind rules it out)
    for outcome in gated:
        own = outcome.checks[len(outcome.gates):-1]
        assert [c.id for c in own] == [c.id for c in outcome.rule.conditions]
        for check in own:  # each with the values of the fields it reads, given or not
            assert set(check.values) == set(next(c for c in outcome.rule.conditions if c.id == check.id).fields)
        assert outcome.checks[-1].id == "in_force" and outcome.checks[-1].held == outcome.in_force


def test_an_outcome_made_without_init_is_the_dataclass_outcome_with_every_field_set() -> None:
    """The evaluator makes its outcomes by filling the object's fields itself (`_outcome`); a field added to
    `Outcome` and forgotten there would be missing from every outcome, so the two ways are held to one result."""
    values = [object() for _ in range(9)]  # rule, status, award, draft, placed, required, in_force, facts, known
    fast, made = _outcome(*values), Outcome(*values)  # type: ignore[arg-type]
    names = [f.name for f in dataclasses.fields(Outcome)]
    assert set(vars(fast)) == set(names)
    assert [getattr(fast, name) for name in names] == [getattr(made, name) for name in names]
    assert fast.instead is None



def test_one_engine_gives_each_day_its_own_status_whatever_day_it_met_first(engine: Engine) -> None:
    # The rent subsidy is in force from 2016-06-13 (its rules file), with no end: before that day a profile that
    # meets its conditions is not_yet_in_force, on DAY (2017-03-01) eligible, and the earlier day again after it.
    before = dt.date(2016, 6, 12)
    statuses = [outcome(engine, base(900000), RENT, day).status for day in (before, DAY, before, DAY)]
    assert statuses == ["not_yet_in_force", "eligible", "not_yet_in_force", "eligible"]


def test_a_fresh_network_whose_first_profile_matches_no_rule_evaluates_it(engine: Engine) -> None:
    # durable_rules aborts the process when a session's state is deleted on a ruleset none of whose rules has
    # fired; a network fires one rule as it is built, so a first profile outside Guangxi is simply not eligible.
    fresh = Engine(engine.pack)
    nobody = parse_profile({"id": "n", "kind": "individual", "city": "outside_guangxi"})
    assert fresh.network.fired({"kind": "individual", "city": "outside_guangxi"}) == set()
    assert not fresh.evaluate(nobody, as_of=DAY).by_status("eligible")
