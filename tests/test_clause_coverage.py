"""Every clause of every source document is accounted for: a rule encodes it, or a recorded reason says why it
grants nothing."""

from __future__ import annotations

import json
from dataclasses import replace

from click.testing import CliRunner

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.rules import clauses as cl
from guangxi_subsidy.engine.rules.pack import RulePack

NANNING = "002_b0a6d818020c8865.txt"
REGION_2018 = "000_1631372986c058e4.txt"


def _by_label(statuses: list[cl.ClauseStatus]) -> dict[tuple[str, str], cl.ClauseStatus]:
    return {(s.unit.document, s.unit.label): s for s in statuses}


def test_no_clause_of_any_document_is_unaccounted(pack: RulePack) -> None:
    statuses = cl.classify(pack)
    left = [f"{s.unit.document} {s.unit.label}: {s.unit.text[:60]}" for s in statuses if s.status == cl.UNACCOUNTED]
    assert left == []
    assert set(cl.counts(statuses)) == {p.document for p in (s.unit for s in statuses)}
    assert len(cl.counts(statuses)) == 5


def test_the_clauses_are_cut_as_the_pack_names_them(pack: RulePack) -> None:
    found = _by_label(cl.classify(pack))
    # a numbered item of a section, a task of the 2018 table, a main task beside it, a draft's section
    for key in [(NANNING, "三(三)13"), (REGION_2018, "任务分工表 (65)"), (REGION_2018, "任务分工表 43"),
                ("003_d8a5c90ac700d38f.txt", "七(二十四)"), ("004_3cd3d33f8e3942b9.txt", "一(一) 三是"),
                ("001_ffecef573ef420cc.txt", "二(二)8")]:
        assert key in found, key


def test_each_clause_takes_the_status_of_the_rules_that_quote_it(pack: RulePack) -> None:
    found = _by_label(cl.classify(pack))
    loan = found[(NANNING, "三(三)13")]
    assert loan.status == cl.ENCODED and "nanning.startup_guaranteed_loan" in loan.rules
    first_set = found[(REGION_2018, "任务分工表 (65)")]  # a further source of the two 三(二)9 rules, which pay
    assert first_set.status == cl.ENCODED
    assert set(first_set.rules) == {"nanning.first_set_sale_award", "nanning.first_set_purchase_subsidy"}
    overseas = found[(REGION_2018, "任务分工表 (72)")]
    assert overseas.status == cl.NON_MONETARY and overseas.rules == ("guangxi.overseas_talent_practical_difficulties",)
    tax_credit = found[(REGION_2018, "任务分工表 (101)")]
    assert tax_credit.status == cl.NOT_A_BENEFIT and tax_credit.reason and "borderline" in tax_credit.reason


def test_a_clause_whose_rule_and_reason_are_taken_away_is_reported_unaccounted(pack: RulePack) -> None:
    left = {k: v for k, v in pack.rules.items() if k != "guangxi.overseas_chinese_founder_services"}
    bare = replace(pack, rules=left)
    found = _by_label(cl.classify(bare))
    assert found[(REGION_2018, "任务分工表 43")].status == cl.UNACCOUNTED
    assert found[(REGION_2018, "任务分工表 44")].status == cl.UNACCOUNTED


def test_every_label_recorded_as_not_a_benefit_names_a_clause_of_its_document(pack: RulePack) -> None:
    labels = {(u.document, u.label) for document in pack.documents for u in cl.units(document)}
    assert [(d, c) for d, c, _ in pack.not_benefits if (d, c) not in labels] == []


def test_the_borderline_passages_are_each_decided(pack: RulePack) -> None:
    found = _by_label(cl.classify(pack))
    decided = [(REGION_2018, f"任务分工表 ({n})") for n in (98, 101, 86, 87, 88, 89, 90, 17)] + [
        ("001_ffecef573ef420cc.txt", "二(五)17"), (NANNING, "三(六)30"), (NANNING, "三(四)19"),
        ("003_d8a5c90ac700d38f.txt", "七(二十一)"), ("003_d8a5c90ac700d38f.txt", "八(二十五)"),
        ("003_d8a5c90ac700d38f.txt", "七(二十二)"), ("004_3cd3d33f8e3942b9.txt", "二 四是")]
    for key in decided:
        item = found[key]
        assert item.status != cl.UNACCOUNTED, key
        assert item.rules or (item.reason and len(item.reason) > 20), key


def test_rules_coverage_json_lists_every_clause_with_its_status() -> None:
    result = CliRunner().invoke(cli, ["rules", "coverage", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)["clause_coverage"]
    assert data["complete"] is True
    assert {c["status"] for c in data["clauses"]} <= set(cl.STATUSES) - {cl.UNACCOUNTED}
    assert sum(sum(row.values()) for row in data["counts"].values()) == len(data["clauses"])
