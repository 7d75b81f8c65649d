"""Every benefit of the clause-by-clause inventory of the seeds has its rule, under the inventory's id."""

from __future__ import annotations

from guangxi_subsidy.engine.rules.pack import RulePack

# The quantified benefits listed, row by row, in the benefit inventory of the five documents.
INVENTORY_IDS = [
    "guangxi.grassroots_graduate_tuition_compensation",
    "guangxi.guarantee_risk_compensation",
    "guangxi.migrant_worker_park_award",
    "guangxi.neeq_listing_region_grant",
    "guangxi.rd_investment_award",
    "guangxi.sme_loan_risk_compensation",
    "guangxi.tech_purchase_post_subsidy",
    "nanning.bond_issuance_award",
    "nanning.first_set_purchase_subsidy",
    "nanning.first_set_sale_award",
    "nanning.graduate_hiring_loan_interest_subsidy",
    "nanning.hiring_registered_unemployed_subsidy",
    "nanning.incubated_firm_one_time_subsidy",
    "nanning.incubated_firm_utilities_subsidy",
    "nanning.incubation_base_rent_subsidy",
    "nanning.internship_subsidy",
    "nanning.job_stabilization_subsidy",
    "nanning.neeq_listing_city_grant",
    "nanning.new_hire_social_insurance_subsidy",
    "nanning.new_product_subsidy",
    "nanning.quality_inspection_fee_reduction",
    "nanning.small_low_profit_cit",
    "nanning.startup_guaranteed_loan",
    "nanning.termite_fee_reduction",
    "nanning.underwriter_award",
    "nanning.unemployment_insurance_rate_cut",
    "nanning.vat_exemption_small_scale",
    "wuzhou.high_level_talent_tax_refund",
    "wuzhou.incubator_expansion_region_post_subsidy",
]


# The benefits with no amount and the non-monetary ones of the inventory's list, and the rows added on a second
# reading (A1 … E1), each with the rule that encodes it.
NO_AMOUNT_AND_SECOND_READING = {
    "002 (二)9 bid bonus": "nanning.new_product_bid_bonus",
    "002 (二)10 deferral": "nanning.tax_payment_deferral",
    "002 (二)11 42 fees": "nanning.small_micro_admin_fee_waiver",
    "002 (五)23 leave": "nanning.researcher_leave_to_found_firm",
    "002 (五)25 income share": "nanning.job_related_results_income_share",
    "000 (62) transition": "guangxi.existing_property_transition",
    "001 (二)13 purchase post-subsidy": "guangxi.sme_tech_purchase_post_subsidy",
    "000 (70) residence": "guangxi.foreign_graduate_startup_residence",
    "001 (二)8 veteran loan": "guangxi.veteran_startup_loan_interest_subsidy",
    "001 (二)3 super-deduction": "guangxi.rd_expense_super_deduction",
    "003 (十三) incubator award": "wuzhou.high_tech_incubator_award",
    "003 (十三) coaching": "wuzhou.high_tech_certification_coaching",
    "003 (十六) R&D institution": "wuzhou.rd_institution_construction_subsidy",
    "004 一(一)三 gazelle": "guangxi.high_tech_gazelle_rd_award",
    "004 一(一)一 zone matching": "guangxi.high_tech_zone_national_project_matching",
    "A1": "guangxi.tech_contract_registration_post_subsidy",
    "A2": "guangxi.region_filed_maker_space_support",
    "A3": "guangxi.migrant_worker_park_support",
    "A4": "guangxi.foreign_masters_graduate_work_permit",
    "A5": "guangxi.foreign_founder_work_permit",
    "A6": "guangxi.foreign_talent_work_permit_green_channel",
    "A7": "guangxi.returning_migrant_social_insurance",
    "A8": "guangxi.ip_financing_risk_compensation",
    "B1": "guangxi.student_founder_study_flexibility",
    "B2": "guangxi.high_level_talent_senior_title",
    "B3": "guangxi.home_premises_one_address_many_licences",
    "B4": "guangxi.researcher_tech_and_cash_equity",
    "B5": "guangxi.ip_financing_city_risk_compensation",
    "C1": "nanning.startup_training_subsidy",
    "C2": "nanning.hiring_unemployed_social_insurance_subsidy",
    "C3": "nanning.purchase_catalogue_support",
    "C4": "nanning.registration_fee_suspension",
    "C5": "nanning.contest_winner_project_priority",
    "C6": "nanning.startup_community_housing_hukou",
    "C7": "nanning.one_address_many_licences",
    "C7 simplified deregistration": "nanning.simplified_deregistration",
    "C8": "nanning.researcher_part_time_work",
    "D1": "wuzhou.st_award_matching_tax_relief",
    "D2": "wuzhou.maker_space_rd_tax_relief",
    "D3": "wuzhou.selected_startup_support",
    "D4": "wuzhou.listing_stage_subsidy",
    "D5": "wuzhou.tech_credit_interest_and_risk_support",
    "D6": "wuzhou.tech_sme_innovation_fund",
    "D7": "wuzhou.patent_funding",
    "D8": "wuzhou.st_service_subsidy",
    "E1": "guangxi.digital_centre_resource_cash_subsidy",
    "borderline 000 (49)": "guangxi.high_tech_enterprise_tax_benefit",
}

# The borderline items decided as not benefits, each recorded in the coverage report with its reason:
# (document, clause of the not_encoded entry).
BORDERLINE_NOT_ENCODED = [
    ("000_1631372986c058e4.txt", "任务分工表 (61)"),
    ("000_1631372986c058e4.txt", "任务分工表 (82)"),
    ("001_ffecef573ef420cc.txt", "二(二)7"),
    ("002_b0a6d818020c8865.txt", "三(五)25"),
    ("003_d8a5c90ac700d38f.txt", "八(二十六)"),
]


def test_every_inventory_row_has_a_rule_with_its_id(pack: RulePack) -> None:
    assert sorted(set(INVENTORY_IDS) - set(pack.rules)) == []


def test_every_row_of_the_second_reading_has_its_rule(pack: RulePack) -> None:
    missing = {row: rule for row, rule in NO_AMOUNT_AND_SECOND_READING.items() if rule not in pack.rules}
    assert missing == {}


def test_unquantified_and_non_monetary_rows_are_never_given_a_number(pack: RulePack) -> None:
    for rule_id in NO_AMOUNT_AND_SECOND_READING.values():
        amount = pack.rules[rule_id].rule.amount
        assert amount.kind in ("unquantified", "non_monetary", "up_to"), rule_id


def test_every_borderline_item_not_encoded_is_recorded_with_its_reason(pack: RulePack) -> None:
    recorded = {(document, item.clause): item.reason for document, item in pack.not_encoded}
    for key in BORDERLINE_NOT_ENCODED:
        assert key in recorded and "second reading" in recorded[key], key


def test_the_r_and_d_award_is_one_benefit_not_listed_twice(pack: RulePack) -> None:
    assert "guangxi.rd_investment_graded_award" not in pack.rules
    cited = [r.id for r in pack.rules.values() if any(s.clause == "二(一)3" and r.rule.benefit.value == "award"
                                                       for s in r.rule.sources)]
    assert sorted(cited) == ["guangxi.rd_investment_award", "guangxi.rd_investment_award_below_size"]


def test_every_rule_names_its_document_and_clause(pack: RulePack) -> None:
    for rule in pack.rules.values():
        assert rule.rule.source.clause.strip(), rule.id
        assert rule.document.file in pack.documents, rule.id


def _citing(pack: RulePack, document: str, clause: str) -> list[str]:
    return sorted(r.id for r in pack.rules.values()
                  if any((s.document or r.document.file) == document and s.clause == clause for s in r.rule.sources))


def test_the_first_set_programme_is_one_benefit_for_a_maker_and_one_for_a_buyer(pack: RulePack) -> None:
    # 000 任务分工表 (65) names the region's first-set programme without rates; 002 三(二)9 states it with them
    assert "guangxi.first_set_equipment_award" not in pack.rules
    assert _citing(pack, "000_1631372986c058e4.txt", "任务分工表 (65)") == [
        "nanning.first_set_purchase_subsidy", "nanning.first_set_sale_award"]


def test_the_migrant_workers_start_up_loan_is_the_region_s_loan_listed_once(pack: RulePack) -> None:
    assert "guangxi.migrant_worker_startup_loan" not in pack.rules
    assert _citing(pack, "000_1631372986c058e4.txt", "任务分工表 (79)") == [
        "guangxi.migrant_worker_park_support", "nanning.startup_guaranteed_loan"]
