"""Combinations as data: the benefit not paid is listed as not combined, naming the one paid, in both engines."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from guangxi_subsidy.engine.answers.document import evaluation_json
from guangxi_subsidy.engine.answers.table import render_table
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.batch.evaluator import Evaluator
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.rules import combining
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.decisions import Combination
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.verify.programmes import check_programme

SALE, PURCHASE = "nanning.first_set_sale_award", "nanning.first_set_purchase_subsidy"
TECH, SME_TECH = "guangxi.tech_purchase_post_subsidy", "guangxi.sme_tech_purchase_post_subsidy"
SME_BUYER = {"kind": "enterprise", "city": "nanning", "as_of": "2021-06-01", "sme": True,
             "bought_university_results": True, "tech_for_target_industries": True, "tech_put_into_production": True,
             "tech_transaction_paid": 1000000}


def _with(pack: RulePack, rule_id: str, *combinations: Combination) -> RulePack:
    rule = pack.rules[rule_id]
    spec = rule.rule.model_copy(update={"combinations": list(combinations)})
    return dataclasses.replace(pack, rules={**pack.rules, rule_id: dataclasses.replace(rule, spec=spec)})


def _higher(pack: RulePack) -> RulePack:
    """The first-set award and subsidy made 就高 (the pack pays both): a pack to test the comparison on."""
    combination = Combination.model_validate({"with": [PURCHASE], "choose": "higher", "quote": "对同一产品只奖励一次"})
    return _with(pack, SALE, combination)


def _maker_buyer(sale: int, purchase: int) -> dict[str, Any]:
    return {"id": f"S{sale}-{purchase}", "kind": "enterprise", "city": "liuzhou", "as_of": "2018-06-01",
            "industrial_enterprise": True, "first_set_certified": True, "first_set_sale_price": sale,
            "first_set_product_awarded_before": False, "first_set_award_received_total": 0,
            "first_set_maker_in_guangxi": True, "first_set_purchase_price": purchase,
            "first_set_purchase_subsidy_received": False}


def test_every_rule_a_combination_names_is_in_the_bundled_pack(pack: RulePack) -> None:
    named = {(rule.id, other) for rule in pack.rules.values() for c in rule.rule.combinations for other in c.with_}
    assert named and all(other in pack.rules for _, other in named), named
    assert not combining.problems(pack.rules)


def test_a_combination_rests_on_a_quote_or_a_reading_never_neither_nor_both() -> None:
    with pytest.raises(ValueError, match="quote"):
        Combination.model_validate({"with": [PURCHASE], "choose": "this"})
    with pytest.raises(ValueError, match="one of the two"):
        Combination.model_validate({"with": [PURCHASE], "choose": "this", "quote": "对同一产品只奖励一次",
                                    "reading": {"id": "x", "question": "qqqq", "quote": "对同一产品只奖励一次",
                                                "chosen": "cccc", "why": "wwww",
                                                "alternatives": [{"reading": "rrrr", "why": "wwww",
                                                                  "effect": "eeee"}]}})


def test_a_rule_in_two_paying_groups_or_higher_across_money_kinds_is_refused(pack: RulePack) -> None:
    twice = _with(_higher(pack), "nanning.startup_guaranteed_loan",
                  Combination.model_validate({"with": [PURCHASE], "choose": "higher", "quote": "对同一产品只奖励一次"}))
    reasons = [reason for _, _, reason in combining.problems(twice.rules)]
    assert any("one such group at most" in r for r in reasons), reasons
    assert any("one kind of money" in r for r in reasons), reasons  # a loan quota against a grant


def test_the_sme_is_paid_under_000_8_and_sees_the_001_post_subsidy_not_combined(engine: Engine) -> None:
    evaluation = engine.evaluate(parse_profile({"id": "T1", **SME_BUYER}, "test"))
    outcome = {o.rule.id: o for o in evaluation.outcomes}
    assert outcome[TECH].status == "eligible"
    assert (outcome[SME_TECH].status, outcome[SME_TECH].instead) == ("not_combined", TECH)
    document = evaluation_json(evaluation)
    entry = next(b for b in document["benefits"] if b["rule_id"] == SME_TECH)
    assert entry["status"] == "not_combined"
    assert entry["not_combined"]["instead"] == TECH
    paid = "企业购买科技成果转化后补助"
    assert entry["not_combined"]["text"] == f"「中小企业购买科技成果后补助」不与「{paid}」同时享受，按「{paid}」执行"
    assert entry["combinations"][0]["reading"]["id"] == "one_purchase_one_post_subsidy"
    # 1,000,000 × 20% … × 50%: the range once; the post-subsidy not combined is not counted as unquantified
    assert document["totals"]["grants_range"] == {"min": "200000.00", "max": "500000.00"}
    assert document["totals"]["unquantified"] == 0
    assert all(b["not_combined"] is None for b in document["benefits"] if b["rule_id"] != SME_TECH)


def test_the_terminal_table_shows_the_benefit_not_combined_and_the_one_paid(engine: Engine) -> None:
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(render_table(engine.evaluate(parse_profile({"id": "T2", **SME_BUYER}, "test"))))
    text = console.export_text()
    assert "not combined with 企业购买科技成果转化后补助" in text


@pytest.fixture(scope="module")
def higher(pack: RulePack) -> tuple[Engine, Evaluator, Evaluator]:
    """The pack with 就高 between the first-set award and subsidy: its engine and both batch engines."""
    changed = _higher(pack)
    return Engine(changed), Evaluator(changed), Evaluator(changed, engine="reference")


@pytest.mark.parametrize(("sale", "purchase", "paid"), [
    (1000000, 500000, SALE),  # 1,000,000 × 50% = 500,000 against 500,000 × 60% = 300,000: the award
    (200000, 300000, PURCHASE),  # 200,000 × 50% = 100,000 against 300,000 × 60% = 180,000: the subsidy
    (600000, 500000, SALE),  # 600,000 × 50% = 300,000 against 500,000 × 60% = 300,000: equal, the first (award)
])
def test_the_higher_amount_is_paid_and_counted_once_in_both_engines(higher: tuple[Engine, Evaluator, Evaluator],
                                                                    sale: int, purchase: int, paid: str) -> None:
    engine, columnar, reference = higher
    evaluation = engine.evaluate(parse_profile(_maker_buyer(sale, purchase), "test"))
    outcome = {o.rule.id: o for o in evaluation.outcomes}
    other = PURCHASE if paid == SALE else SALE
    assert (outcome[paid].status, outcome[other].status, outcome[other].instead) == ("eligible", "not_combined", paid)
    award = outcome[paid].award
    assert award is not None and award.value is not None
    assert Decimal(evaluation_json(evaluation)["totals"]["grants"]) == award.value
    cells = pl.DataFrame([{k: str(v) for k, v in _maker_buyer(sale, purchase).items()}])
    ours, theirs = columnar.evaluate(cells), reference.evaluate(cells)
    assert ours.benefits.equals(theirs.benefits) and ours.results.equals(theirs.results)
    statuses = dict(ours.benefits.select("rule_id", "status").iter_rows())
    assert (statuses[paid], statuses[other]) == ("eligible", "not_combined")
    assert ours.totals["grants"][0] == award.value


def test_rules_verify_finds_a_group_paid_twice_when_the_engine_does_not_settle_it(pack: RulePack) -> None:
    group = next(g for g in combining.groups(pack.rules) if g.owner == SME_TECH)
    rules: list[CompiledRule] = [pack.rules[r] for r in group.order]
    assert check_programme(Engine(pack), group.owner, rules, examples=15, group=True).holds
    unsettled = Engine(pack)
    unsettled.groups = []
    result = check_programme(unsettled, group.owner, rules, examples=30, group=True)
    assert not result.holds and set(result.both) == {TECH, SME_TECH}


def test_the_chinese_report_prints_the_sentence_under_the_benefit_not_combined(engine: Engine, pack: RulePack) -> None:
    from guangxi_subsidy.engine.answers.reportview import benefit_lines
    from guangxi_subsidy.engine.i18n import translations

    evaluation = engine.evaluate(parse_profile({"id": "T3", **SME_BUYER}, "test"))
    entry = next(b for b in evaluation_json(evaluation)["benefits"] if b["rule_id"] == SME_TECH)
    lines = benefit_lines(entry, pack, evaluation.as_of, translations("zh").gettext, "zh")
    paid = "企业购买科技成果转化后补助"
    assert any(f"不与「{paid}」同时享受，按「{paid}」执行" in line.text for line in lines)
