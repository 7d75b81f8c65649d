"""The applicant profile: who applies, where, for which date, and the facts the rules read.

One flat model serves every applicant kind so that a CSV row, a YAML file and a JSON document all map onto it
field for field; a field that does not concern an applicant is simply left out (missing), and a rule that needs
it then fails with "not given" instead of guessing. Every field carries its Chinese label (for templates and
spreadsheet headers) and, where it is money, the unit: yuan, exact Decimal with at most two decimals (fen).

The annotations are objects, not strings (no `from __future__ import annotations`): pydantic then has no ~130
strings to evaluate when the model is built at import, a tenth of this module's import.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from guangxi_subsidy.engine.applicant import values
from guangxi_subsidy.engine.applicant.fieldtable import (  # (re-exported: the names the model's users import)
    BY_NAME,
    COUNT,
    COUNT_UNITS,
    GRASSROOTS_EMPLOYERS,
    GUANGXI_CITIES,
    ID,
    LENDER_TYPES,
    LIMITS,
    RATIO,
    UNIT_ZH,
    YEARS,
    YEARS_UNITS,
    YUAN,
    ApplicantKind,
    key_names,
    read_keys,
    words,
)
from guangxi_subsidy.engine.applicant.spellings import CITY_LABELS, read_choice
from guangxi_subsidy.engine.applicant.spellings import KIND_LABELS as KIND_LABELS  # (re-exported)

__all__ = ["GRASSROOTS_EMPLOYERS", "GUANGXI_CITIES", "LENDER_TYPES", "UNIT_ZH", "ApplicantKind", "CITY_LABELS",
           "KIND_LABELS", "Profile", "key_names", "read_keys"]


class _Once:
    """Marks a field type whose validation schema pydantic builds once, for all the fields of that type (76
    flags, 30 amounts...): rebuilding it for each of ~130 fields was most of the model's build at import. Last in
    `Annotated`, so it holds the validators and constraints before it; tests/test_profile_build.py holds the model
    to the one pydantic builds without it (core schema, JSON Schema, records and errors)."""

    __slots__ = ("schema",)

    def __init__(self) -> None:
        self.schema: Any = None

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        if self.schema is None:
            self.schema = handler(source)
        return self.schema


# Each kind of value of the field table (fieldtable.py), as pydantic reads and bounds it.
Yuan = Annotated[Decimal, BeforeValidator(values.money), Field(**LIMITS[YUAN]), _Once()]
Ratio = Annotated[Decimal, BeforeValidator(values.ratio), Field(**LIMITS[RATIO]), _Once()]
Count = Annotated[int, BeforeValidator(lambda v: values.count(v, COUNT_UNITS)), Field(**LIMITS[COUNT]), _Once()]
Years = Annotated[int, BeforeValidator(lambda v: values.count(v, YEARS_UNITS)), Field(**LIMITS[YEARS]), _Once()]
Flag = Annotated[bool, BeforeValidator(values.boolean), _Once()]
Day = Annotated[dt.date, BeforeValidator(values.date), _Once()]
# (the four types most fields have, each with None allowed: the optional's schema built once too)
FlagOrNone = Annotated[Flag | None, _Once()]
YuanOrNone = Annotated[Yuan | None, _Once()]
CountOrNone = Annotated[Count | None, _Once()]
YearsOrNone = Annotated[Years | None, _Once()]


def _choice(field: str) -> Any:
    return BeforeValidator(lambda value: read_choice(field, value))


City = Annotated[str, _choice("city")]
Lender = Annotated[str, _choice("lender_type")]
GrassrootsEmployer = Annotated[str, _choice("graduate_grassroots_employer")]


def of(name: str) -> Any:
    """The field `name` of the field table: its description, label and unit, and its default (None, or none for a
    field a profile must give); the identity's bounds."""
    fact = BY_NAME[name]
    bounds = LIMITS[ID] if fact.kind == ID else {}
    return Field(... if fact.required else None, **bounds, **words(name))


class Profile(BaseModel):
    """An applicant as the rules see it, for one evaluation date."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    # Identity, place and time
    id: str = of("id")
    name: str | None = of("name")
    kind: Annotated[ApplicantKind, _choice("kind")] = of("kind")
    city: City = of("city")
    district: str | None = of("district")
    as_of: Day | None = of("as_of")

    # Enterprises: industry, products and equipment — 002 (二)9
    industrial_enterprise: FlagOrNone = of("industrial_enterprise")
    new_products_certified: CountOrNone = of("new_products_certified")
    new_product_subsidy_received_this_year: YuanOrNone = of("new_product_subsidy_received_this_year")
    guangxi_new_product_share: Ratio | None = of("guangxi_new_product_share")
    first_set_certified: FlagOrNone = of("first_set_certified")
    first_set_sale_price: YuanOrNone = of("first_set_sale_price")
    first_set_product_awarded_before: FlagOrNone = of("first_set_product_awarded_before")
    first_set_award_received_total: YuanOrNone = of("first_set_award_received_total")
    first_set_purchase_price: YuanOrNone = of("first_set_purchase_price")
    first_set_maker_in_guangxi: FlagOrNone = of("first_set_maker_in_guangxi")
    first_set_purchase_subsidy_received: FlagOrNone = of("first_set_purchase_subsidy_received")

    # Taxes and fees — 002 (二)10–12
    vat_small_scale_taxpayer: FlagOrNone = of("vat_small_scale_taxpayer")
    monthly_sales: YuanOrNone = of("monthly_sales")
    quarterly_sales: YuanOrNone = of("quarterly_sales")
    small_low_profit_enterprise: FlagOrNone = of("small_low_profit_enterprise")
    annual_taxable_income: YuanOrNone = of("annual_taxable_income")
    tax_payment_difficulty: FlagOrNone = of("tax_payment_difficulty")
    small_micro_enterprise: FlagOrNone = of("small_micro_enterprise")
    termite_control_fee_standard: YuanOrNone = of("termite_control_fee_standard")
    quality_inspection_fee_standard: YuanOrNone = of("quality_inspection_fee_standard")
    unemployment_insurance_wage_base: YuanOrNone = of("unemployment_insurance_wage_base")
    meets_job_stabilization_conditions: FlagOrNone = of("meets_job_stabilization_conditions")
    unemployment_insurance_paid_last_year: YuanOrNone = of("unemployment_insurance_paid_last_year")

    # Finance — 002 (三)13–14, 000 tasks (35) (36)
    meets_startup_loan_conditions: FlagOrNone = of("meets_startup_loan_conditions")
    loan_requested: YuanOrNone = of("loan_requested")
    neeq_listed: FlagOrNone = of("neeq_listed")
    neeq_region_grant_received: FlagOrNone = of("neeq_region_grant_received")
    securities_issued_amount: YuanOrNone = of("securities_issued_amount")
    bond_issuance_award_received: YuanOrNone = of("bond_issuance_award_received")
    lead_underwritten_amount: YuanOrNone = of("lead_underwritten_amount")
    lender_type: Lender | None = of("lender_type")
    sme_loan_avg_balance_previous: YuanOrNone = of("sme_loan_avg_balance_previous")
    sme_loan_avg_balance_current: YuanOrNone = of("sme_loan_avg_balance_current")
    guarantees_sme_financing: FlagOrNone = of("guarantees_sme_financing")
    largest_single_guarantee: YuanOrNone = of("largest_single_guarantee")
    guarantees_sme_collective_bonds: FlagOrNone = of("guarantees_sme_collective_bonds")

    # Incubation bases (众创空间 recognised as 创业孵化基地) — 002 (四)18
    recognised_incubation_base: FlagOrNone = of("recognised_incubation_base")
    rent_and_broadband_paid: YuanOrNone = of("rent_and_broadband_paid")
    rent_subsidy_years_received: YearsOrNone = of("rent_subsidy_years_received")

    # Firms incubated in a base — 002 (四)20
    in_incubation_base: FlagOrNone = of("in_incubation_base")
    has_site_lease: FlagOrNone = of("has_site_lease")
    utilities_paid: YuanOrNone = of("utilities_paid")
    utilities_months: CountOrNone = of("utilities_months")
    months_operating_in_base: CountOrNone = of("months_operating_in_base")
    social_insurance_paid_in_full: FlagOrNone = of("social_insurance_paid_in_full")
    one_time_subsidy_received: FlagOrNone = of("one_time_subsidy_received")
    registered_unemployed_hired: CountOrNone = of("registered_unemployed_hired")
    employment_aid_targets_hired: CountOrNone = of("employment_aid_targets_hired")
    new_hires_over_last_year: CountOrNone = of("new_hires_over_last_year")
    new_hires_social_insurance_paid: YuanOrNone = of("new_hires_social_insurance_paid")
    graduates_hired: CountOrNone = of("graduates_hired")
    graduate_loan_quota_used: YuanOrNone = of("graduate_loan_quota_used")

    # People — 002 (五)23–25, 000 tasks (70) (79), 001 (二)8, 003 (二十四)
    graduate_grassroots_employer: GrassrootsEmployer | None = of("graduate_grassroots_employer")
    below_county_level: FlagOrNone = of("below_county_level")
    grassroots_service_years: YearsOrNone = of("grassroots_service_years")
    tuition_per_academic_year: YuanOrNone = of("tuition_per_academic_year")
    academic_years: YearsOrNone = of("academic_years")
    researcher_leaving_to_found_firm: FlagOrNone = of("researcher_leaving_to_found_firm")
    transfers_job_related_results: FlagOrNone = of("transfers_job_related_results")
    foreign_graduate_with_business_plan: FlagOrNone = of("foreign_graduate_with_business_plan")
    returning_migrant_worker: FlagOrNone = of("returning_migrant_worker")
    veteran: FlagOrNone = of("veteran")
    high_level_talent: FlagOrNone = of("high_level_talent")
    local_share_of_income_tax_paid: YuanOrNone = of("local_share_of_income_tax_paid")
    first_home_deed_tax_paid: YuanOrNone = of("first_home_deed_tax_paid")

    # Hosts of internships — 002 (五)24
    intern_person_months: CountOrNone = of("intern_person_months")
    interns_completed: CountOrNone = of("interns_completed")
    interns_retained: CountOrNone = of("interns_retained")

    # Parks — 002 (六)29
    accepted_as_region_demo_park: FlagOrNone = of("accepted_as_region_demo_park")
    demo_park_award_received: FlagOrNone = of("demo_park_award_received")

    # Technology and R&D — 000 tasks (8) (62) (65), 001 (二)3 (二)13, 004 一(一)三, 003 (十三)(十六)
    tech_transaction_paid: YuanOrNone = of("tech_transaction_paid")
    tech_for_target_industries: FlagOrNone = of("tech_for_target_industries")
    tech_put_into_production: FlagOrNone = of("tech_put_into_production")
    sme: FlagOrNone = of("sme")
    bought_university_results: FlagOrNone = of("bought_university_results")
    uses_existing_property_for_supported_industry: FlagOrNone = of("uses_existing_property_for_supported_industry")
    above_designated_size: FlagOrNone = of("above_designated_size")
    rd_expenses: YuanOrNone = of("rd_expenses")
    rd_intensity_grew: FlagOrNone = of("rd_intensity_grew")
    high_tech_enterprise: FlagOrNone = of("high_tech_enterprise")
    gazelle_enterprise: FlagOrNone = of("gazelle_enterprise")
    in_high_tech_zone: FlagOrNone = of("in_high_tech_zone")
    won_national_major_project: FlagOrNone = of("won_national_major_project")
    incubated_firm_certified_high_tech: FlagOrNone = of("incubated_firm_certified_high_tech")
    high_tech_application_failed: FlagOrNone = of("high_tech_application_failed")
    new_rd_institution: FlagOrNone = of("new_rd_institution")
    city_incubation_area_subsidy: YuanOrNone = of("city_incubation_area_subsidy")

    # Benefits with no amount and non-monetary ones (second reading of the five documents); mostly attested facts
    site_rent_paid: YuanOrNone = of("site_rent_paid")
    underwriter_award_received: YuanOrNone = of("underwriter_award_received")
    bought_catalogue_products: FlagOrNone = of("bought_catalogue_products")
    startup_training_trainee: FlagOrNone = of("startup_training_trainee")
    registering_business: FlagOrNone = of("registering_business")
    dormant_firm_without_debts: FlagOrNone = of("dormant_firm_without_debts")
    contest_winning_project: FlagOrNone = of("contest_winning_project")
    bought_startup_community_housing: FlagOrNone = of("bought_startup_community_housing")
    approved_part_time_researcher: FlagOrNone = of("approved_part_time_researcher")
    tech_contract_registered: FlagOrNone = of("tech_contract_registered")
    region_filed_maker_space: FlagOrNone = of("region_filed_maker_space")
    park_selected_on_merit: FlagOrNone = of("park_selected_on_merit")
    foreign_masters_graduate: FlagOrNone = of("foreign_masters_graduate")
    foreign_founder: FlagOrNone = of("foreign_founder")
    foreign_high_level_talent: FlagOrNone = of("foreign_high_level_talent")
    ip_pledge_financing: FlagOrNone = of("ip_pledge_financing")
    student_founder: FlagOrNone = of("student_founder")
    university_researcher: FlagOrNone = of("university_researcher")
    provincial_st_award_holder: FlagOrNone = of("provincial_st_award_holder")
    certified_or_filed_maker_space: FlagOrNone = of("certified_or_filed_maker_space")
    selected_startup_project: FlagOrNone = of("selected_startup_project")
    going_public_stage: FlagOrNone = of("going_public_stage")
    tech_sme: FlagOrNone = of("tech_sme")
    early_stage_tech_sme: FlagOrNone = of("early_stage_tech_sme")
    patent_applicant: FlagOrNone = of("patent_applicant")
    st_service_provider: FlagOrNone = of("st_service_provider")
    digital_centre_applicant: FlagOrNone = of("digital_centre_applicant")
    # Services without money (third reading): attested facts
    overseas_high_level_talent: FlagOrNone = of("overseas_high_level_talent")
    overseas_chinese: FlagOrNone = of("overseas_chinese")
    overseas_chinese_funded_enterprise: FlagOrNone = of("overseas_chinese_funded_enterprise")
    holds_fiscally_funded_results: FlagOrNone = of("holds_fiscally_funded_results")
    city_innovative_enterprise: FlagOrNone = of("city_innovative_enterprise")
    enterprise_rd_institution: FlagOrNone = of("enterprise_rd_institution")
    ip_litigation: FlagOrNone = of("ip_litigation")
    university_or_institute: FlagOrNone = of("university_or_institute")

    @model_validator(mode="before")
    @classmethod
    def _read_keys(cls, data: Any) -> Any:
        """Chinese labels as keys, and a city given with its district, read before the fields are checked."""
        return read_keys(data)

