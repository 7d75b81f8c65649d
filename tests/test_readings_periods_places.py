"""One benefit with several sources, contested readings as data, periods as the sources state them, and the place
of relayed region policy: the behaviours a policy reader relies on, pinned on the bundled pack."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.answers.document import evaluation_json, totals
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.evaluation.contested import contested_readings
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.rules.format import rule_schema
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.rules.periods import HORIZON_YEARS, horizon

ROOT = Path(__file__).resolve().parent.parent
R_AND_D_CLAUSES = {("004_3cd3d33f8e3942b9.txt", "一(一) 三是"), ("001_ffecef573ef420cc.txt", "二(一)3")}


def _evaluate(engine: Engine, day: str, drafts: bool = False, **facts: object):  # type: ignore[no-untyped-def]
    profile = parse_profile({"id": "T-1", **facts})
    return engine.evaluate(profile, as_of=dt.date.fromisoformat(day), include_drafts=drafts)


def test_a_liuzhou_buyer_of_a_guangxi_made_first_set_gets_60_percent(engine: Engine) -> None:
    result = _evaluate(engine, "2017-12-31", kind="enterprise", city="liuzhou", first_set_maker_in_guangxi=True,
                       first_set_purchase_price=1200000, first_set_purchase_subsidy_received=False)
    outcome = next(o for o in result.outcomes if o.rule.id == "nanning.first_set_purchase_subsidy")
    # 1,200,000 × 60% = 720,000, below the 1,000,000 ceiling
    assert outcome.status == "eligible"
    assert outcome.award is not None and outcome.award.value == Decimal("720000.00")


def test_an_above_size_enterprise_sees_the_r_and_d_award_once_in_force_on_2021_10_01(engine: Engine) -> None:
    result = _evaluate(engine, "2021-10-01", kind="enterprise", city="nanning", above_designated_size=True,
                       rd_expenses=3000000)
    awards = [
        o for o in result.by_status("eligible", "expired", "not_yet_in_force")
        if o.rule.rule.benefit.value == "award"
        and any((s.document or o.rule.document.file, s.clause) in R_AND_D_CLAUSES for s in o.rule.rule.sources)
    ]
    assert [(o.rule.id, o.status) for o in awards] == [("guangxi.rd_investment_award", "eligible")]
    assert {(s.document or awards[0].rule.document.file) for s in awards[0].rule.rule.sources} == {
        f for f, _ in R_AND_D_CLAUSES
    }


def test_the_r_and_d_award_lists_the_figures_each_source_gives(pack: RulePack) -> None:
    sources = pack.rules["guangxi.rd_investment_award"].rule.sources
    assert len(sources) == 2
    assert all(s.figures for s in sources)
    assert "500万" in str(sources[0].figures)


def test_an_enterprise_with_no_r_and_d_spending_is_not_told_of_the_award(engine: Engine) -> None:
    result = _evaluate(engine, "2021-10-01", kind="enterprise", city="nanning", above_designated_size=True,
                       rd_expenses=0)
    outcome = next(o for o in result.outcomes if o.rule.id == "guangxi.rd_investment_award")
    assert outcome.status == "not_eligible"
    assert [c.id for c in outcome.failed] == ["rd_investment"]


def test_drafts_included_leave_the_in_force_totals_of_a_wuzhou_talent_unchanged(engine: Engine) -> None:
    facts = dict(kind="individual", city="wuzhou", high_level_talent=True, local_share_of_income_tax_paid=12000,
                 first_home_deed_tax_paid=9000)
    with_drafts = _evaluate(engine, "2019-06-01", drafts=True, **facts)
    without = _evaluate(engine, "2019-06-01", **facts)
    draft = next(o for o in with_drafts.outcomes if o.rule.id == "wuzhou.high_level_talent_tax_refund")
    assert draft.status == "eligible" and draft.draft
    assert draft.award is not None and draft.award.value == Decimal("21000.00")  # 12,000 + 9,000, marked draft
    assert totals(with_drafts) == totals(without)


def test_the_four_named_contested_readings_are_listed_with_their_effect(engine: Engine) -> None:
    found = {(c.rule.id, c.reading.id): c for c in contested_readings(engine)}
    for key in [
        ("nanning.incubation_base_rent_subsidy", "cap_on_subsidy_or_fees"),
        ("nanning.incubated_firm_utilities_subsidy", "two_items"),
        ("nanning.bond_issuance_award", "cap_life_or_year"),
        ("nanning.underwriter_award", "cap_life_or_year"),
        ("nanning.new_product_bid_bonus", "points_dash"),
    ]:
        assert key in found, key
    rent = found[("nanning.incubation_base_rent_subsidy", "cap_on_subsidy_or_fees")]
    # 900,000 × 70% = 630,000 capped at 550,000; capping the fees instead: min(900,000, 550,000) × 70% = 385,000
    assert rent.chosen.amount == Decimal("550000.00")
    assert [a.amount for a in rent.alternatives] == [Decimal("385000.00")]
    sites = found[("nanning.incubated_firm_utilities_subsidy", "two_items")]
    # site 3,000 + utilities 1,500 = 4,500 capped at 3 × 1,300 = 3,900; utilities alone: 1,500
    assert sites.chosen.amount == Decimal("3900.00")
    assert [a.amount for a in sites.alternatives] == [Decimal("1500.00")]


@pytest.mark.parametrize("contest", contested_readings(Engine()), ids=lambda c: f"{c.rule.id}:{c.reading.id}")
def test_every_worked_example_of_a_reading_meets_its_rule_and_shows_the_choice(contest) -> None:  # type: ignore[no-untyped-def]
    assert contest.status == "eligible", "a reading's example must be a case the rule applies to"
    for alternative in contest.alternatives:
        if alternative.amount is not None:
            assert alternative.amount != contest.chosen.amount, "the example must show what the choice changes"
        else:
            assert alternative.effect and alternative.effect != contest.chosen.effect


def test_rules_readings_lists_them_as_json() -> None:
    result = CliRunner().invoke(cli, ["rules", "readings", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len({(r["rule_id"], r["reading_id"]) for r in data}) >= 4
    bond = next(r for r in data if r["rule_id"] == "nanning.bond_issuance_award")
    # 50,000,000 × 1.5% = 750,000; 500,000 received before: 1,000,000 − 500,000 = 500,000 left over the policy's life
    assert bond["chosen"]["amount"] == "500000.00"
    assert bond["alternatives"][0]["amount"] == "750000.00"


def test_the_explanation_and_the_json_carry_the_reading_and_how_to_apply(engine: Engine) -> None:
    result = _evaluate(engine, "2017-03-01", kind="incubation_base", city="nanning", recognised_incubation_base=True,
                       rent_and_broadband_paid=900000, rent_subsidy_years_received=0)
    data = evaluation_json(result)
    benefit = next(b for b in data["benefits"] if b["rule_id"] == "nanning.incubation_base_rent_subsidy")
    assert benefit["readings"][0]["id"] == "cap_on_subsidy_or_fees"
    assert "自授牌之日起" in benefit["apply"]["when"]
    assert benefit["warnings"] == []
    runner = CliRunner()
    out = runner.invoke(cli, ["evaluate", str(ROOT / "cases/profiles/nanning_incubation_base.yaml"), "--explain"])
    assert out.exit_code == 0, out.output
    assert "reading:" in out.output and "to apply:" in out.output


def test_a_document_with_no_end_date_is_not_expired_but_warned_of_beyond_its_horizon(engine: Engine) -> None:
    facts = dict(kind="enterprise", city="guilin", in_high_tech_zone=True, won_national_major_project=True)
    for day, warned in (("2022-03-01", False), ("2026-09-23", False), ("2026-09-24", True), ("2031-01-01", True)):
        result = _evaluate(engine, day, **facts)
        outcome = next(o for o in result.outcomes if o.rule.id == "guangxi.high_tech_zone_national_project_matching")
        assert outcome.status == "eligible", day  # 004 states no end date: never expired
        benefit = next(b for b in evaluation_json(result)["benefits"] if b["rule_id"] == outcome.rule.id)
        assert bool(benefit["warnings"]) is warned, (day, benefit["warnings"])


def test_a_stated_end_date_has_no_horizon_and_no_end_stated_has_one(pack: RulePack) -> None:
    for rule in pack.rules.values():
        end = horizon(rule.effective, list(rule.documents))
        if rule.effective.to is not None:
            assert end is None, rule.id
        else:
            issued = max(d.issued for d in rule.documents if d.issued is not None) if any(
                d.issued for d in rule.documents) else rule.effective.from_
            assert end is not None and end.year - issued.year == HORIZON_YEARS, rule.id


def test_the_committed_rule_schema_is_what_the_models_export() -> None:
    committed = json.loads((ROOT / "schema" / "rules-1.json").read_text(encoding="utf-8"))
    assert committed == rule_schema()
    result = CliRunner().invoke(cli, ["rules", "schema"])
    assert result.exit_code == 0 and json.loads(result.output) == committed


def test_a_rule_file_naming_an_unknown_format_version_is_refused_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "future.yaml"
    bad.write_text((ROOT / "tests/invalid_rules/unknown_format_version.yaml").read_text(encoding="utf-8"))
    result = CliRunner().invoke(cli, ["rules", "check", str(bad)])
    assert result.exit_code == 2
    assert "future.yaml" in result.output and "version '2' is not known" in result.output
