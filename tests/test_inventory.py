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


def test_every_inventory_row_has_a_rule_with_its_id(pack: RulePack) -> None:
    assert sorted(set(INVENTORY_IDS) - set(pack.rules)) == []


def test_every_rule_names_its_document_and_clause(pack: RulePack) -> None:
    for rule in pack.rules.values():
        assert rule.rule.source.clause.strip(), rule.id
        assert rule.document.file in pack.documents, rule.id
