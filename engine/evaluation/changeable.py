"""Which profile fields an applicant can change, in which direction, and how the change is said.

A near miss is advice: "two more months in the base bring 2,000 yuan". Advice to move to another city, to be
another kind of applicant, to un-receive an award already received or to relive a past year is no advice, so
only the fields judged here changeable are ever suggested, each in the one direction it can move (time in a
base only grows; the people hired can only be added to; a period's sales can come in lower). Every numeric
field a condition of the pack reads is judged here, changeable or fixed, with the reason; a field not judged
is treated as fixed (tests/test_scenarios.py holds that every such field is judged).
"""

from __future__ import annotations

from guangxi_subsidy.engine.i18n import N_
from guangxi_subsidy.engine.records import record


@record
class Changeable:
    direction: str  # up | down | both
    why: str
    phrase: str  # how the change is said: {n} the change, {to} the new value (msgid, translated where shown)


CHANGEABLE: dict[str, Changeable] = {
    "months_operating_in_base": Changeable(
        "up", "time in the base only adds up", N_("{n} more months of normal, tax-paying operation in the base")),
    "grassroots_service_years": Changeable(
        "up", "years of service only add up", N_("{n} more years of grassroots service")),
    "utilities_months": Changeable(
        "up", "a claim can cover more months", N_("claim {n} more months of utilities")),
    "intern_person_months": Changeable(
        "up", "more interns or longer internships can be hosted", N_("host {n} more intern-months")),
    "graduates_hired": Changeable(
        "up", "more graduates can be hired", N_("hire {n} more graduates of the graduation year")),
    "new_hires_over_last_year": Changeable(
        "up", "more people can be hired", N_("{n} more new hires on contracts of a year or more")),
    "registered_unemployed_hired": Changeable(
        "up", "more people can be hired", N_("hire {n} more registered unemployed people (one-year contracts)")),
    "employment_aid_targets_hired": Changeable(
        "up", "more people can be hired", N_("hire {n} more employment-aid targets (one-year contracts)")),
    "new_products_certified": Changeable(
        "up", "more products can be certified", N_("have {n} more industrial new products certified")),
    "guangxi_new_product_share": Changeable(
        "both", "what the enterprise buys is its choice", N_("raise the share of Guangxi new products used to {to}")),
    "monthly_sales": Changeable(
        "down", "a month's sales are a figure of that month, which another month may bring lower",
        N_("monthly sales of at most {to} yuan")),
    "quarterly_sales": Changeable(
        "down", "a quarter's sales are a figure of that quarter", N_("quarterly sales of at most {to} yuan")),
    "annual_taxable_income": Changeable(
        "down", "a year's taxable income is a figure of that year", N_("annual taxable income of at most {to} yuan")),
    "largest_single_guarantee": Changeable(
        "down", "a guarantor chooses the guarantees it gives", N_("a largest single guarantee of at most {to} yuan")),
    "sme_loan_avg_balance_current": Changeable(
        "up", "a lender can lend more this year",
        N_("an average small and micro enterprise loan balance this year of {to} yuan")),
}

# Numeric fields conditions read that are not the applicant's to change: facts of the past, or granted by others.
FIXED: dict[str, str] = {
    "as_of": "the evaluation date: a past date does not change, and waiting is not a change to the profile",
    "rent_subsidy_years_received": "years of subsidy already received cannot be undone",
    "bond_issuance_award_received": "awards already received cannot be undone",
    "underwriter_award_received": "awards already received cannot be undone",
    "first_set_award_received_total": "awards already received cannot be undone",
    "graduate_loan_quota_used": "loan quota already used cannot be undone",
    "new_product_subsidy_received_this_year": "subsidy already received cannot be undone",
    "academic_years": "years of study are past",
    "tuition_per_academic_year": "tuition already paid is past",
    "unemployment_insurance_paid_last_year": "last year is past",
    "sme_loan_avg_balance_previous": "last year is past",
    "city_incubation_area_subsidy": "granted by the city, not the applicant's doing",
    # The figure the rule pays on: the condition "more than 0" says the activity happened; suggesting one fen of
    # it would be no advice.
    "rent_and_broadband_paid": "the figure the subsidy is paid on, not a threshold to reach",
    "utilities_paid": "the figure the subsidy is paid on, not a threshold to reach",
    "site_rent_paid": "the figure the subsidy is paid on, not a threshold to reach",
    "first_set_sale_price": "the price of a sale made",
    "first_set_purchase_price": "the price of a purchase made",
    "lead_underwritten_amount": "the figure the award is paid on, not a threshold to reach",
    "securities_issued_amount": "the figure the award is paid on, not a threshold to reach",
    "new_hires_social_insurance_paid": "the figure the subsidy is paid on, not a threshold to reach",
    "quality_inspection_fee_standard": "a fee charged, not a threshold to reach",
    "termite_control_fee_standard": "a fee charged, not a threshold to reach",
    "rd_expenses": "the figure the deduction is computed on, not a threshold to reach",
    "tech_transaction_paid": "the figure the subsidy is paid on, not a threshold to reach",
    "unemployment_insurance_wage_base": "the figure the relief is computed on, not a threshold to reach",
    "local_share_of_income_tax_paid": "tax already paid is past",
    "first_home_deed_tax_paid": "tax already paid is past",
}


def changeable(name: str) -> Changeable | None:
    return CHANGEABLE.get(name)
