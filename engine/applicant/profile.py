"""The applicant profile: who applies, where, for which date, and the facts the rules read.

One flat model serves every applicant kind so that a CSV row, a YAML file and a JSON document all map onto it
field for field; a field that does not concern an applicant is simply left out (missing), and a rule that needs
it then fails with "not given" instead of guessing. Every field carries its Chinese label (for templates and
spreadsheet headers) and, where it is money, the unit: yuan, exact Decimal with at most two decimals (fen).

The annotations are objects, not strings (no `from __future__ import annotations`): pydantic then has no ~130
strings to evaluate when the model is built at import, a tenth of this module's import.
"""

import datetime as dt
import functools
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from guangxi_subsidy.engine.applicant import values
from guangxi_subsidy.engine.applicant.spellings import (
    CITY_LABELS,
    EMPLOYER_LABELS,
    LENDER_LABELS,
    read_choice,
    split_city,
)
from guangxi_subsidy.engine.applicant.spellings import KIND_LABELS as KIND_LABELS  # (re-exported)


class ApplicantKind(StrEnum):
    ENTERPRISE = "enterprise"
    INCUBATION_BASE = "incubation_base"
    FINANCIAL_INSTITUTION = "financial_institution"
    GUARANTEE_INSTITUTION = "guarantee_institution"
    INDIVIDUAL = "individual"
    PUBLIC_INSTITUTION = "public_institution"
    ENTREPRENEURSHIP_PARK = "entrepreneurship_park"


GUANGXI_CITIES = tuple(c for c in CITY_LABELS if c != "outside_guangxi")

LENDER_TYPES = tuple(LENDER_LABELS)
GRASSROOTS_EMPLOYERS = tuple(EMPLOYER_LABELS)


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


_COUNT_UNITS = ("个", "项", "人", "人次", "名", "个月", "月", "人月", "个人月")
Yuan = Annotated[Decimal, BeforeValidator(values.money), Field(ge=0, decimal_places=2, max_digits=18), _Once()]
Ratio = Annotated[Decimal, BeforeValidator(values.ratio), Field(ge=0, le=1, decimal_places=6), _Once()]
Count = Annotated[int, BeforeValidator(lambda v: values.count(v, _COUNT_UNITS)), Field(ge=0, le=10_000_000), _Once()]
Years = Annotated[int, BeforeValidator(lambda v: values.count(v, ("年", "学年"))), Field(ge=0, le=100), _Once()]
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


def money(label: str, description: str) -> Any:
    return Field(None, description=description, json_schema_extra={"label_zh": label, "unit": "yuan"})


def fact(label: str, description: str, unit: str | None = None) -> Any:
    extra: dict[str, Any] = {"label_zh": label}
    if unit:
        extra["unit"] = unit
    return Field(None, description=description, json_schema_extra=extra)


class Profile(BaseModel):
    """An applicant as the rules see it, for one evaluation date."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    # Identity, place and time
    id: str = Field(
        ..., min_length=1, max_length=200,
        description="Applicant reference, unique within a file", json_schema_extra={"label_zh": "申请人编号"},
    )
    name: str | None = fact("申请人名称", "Name of the applicant")
    kind: Annotated[ApplicantKind, _choice("kind")] = Field(
        ..., description="Applicant kind: " + ", ".join(k.value for k in ApplicantKind),
        json_schema_extra={"label_zh": "申请人类型"},
    )
    city: City = Field(
        ..., description="Prefecture-level city where the applicant is registered (or outside_guangxi)",
        json_schema_extra={"label_zh": "所在城市", "enum": list(CITY_LABELS)},
    )
    district: str | None = Field(
        None, description="District or county in the city (区/县), as written; may come with the city",
        json_schema_extra={"label_zh": "所在区县"},
    )
    as_of: Day | None = fact(
        "评估日期", "Date the evaluation is for; policies in force on this date apply (the CLI's --as-of wins)"
    )

    # Enterprises: industry, products and equipment — 002 (二)9
    industrial_enterprise: FlagOrNone = fact("工业企业", "An industrial enterprise")
    new_products_certified: CountOrNone = fact(
        "认定并发布的工业新产品数", "Industrial new products certified and published on the Guangxi platform this year",
        "products",
    )
    new_product_subsidy_received_this_year: YuanOrNone = money(
        "本年已获新产品补助", "New-product subsidy already received this year"
    )
    guangxi_new_product_share: Ratio | None = fact(
        "使用区内工业新产品比例", "Share of Guangxi industrial new products in what the enterprise uses (0–1)", "ratio"
    )
    first_set_certified: FlagOrNone = fact("首台(套)认定", "Holds a 国内首台(套)重大技术装备 certification")
    first_set_sale_price: YuanOrNone = money("首台(套)销售价格", "Sale price of the first set sold")
    first_set_product_awarded_before: FlagOrNone = fact(
        "该产品已获首台(套)奖励", "This product already received the first-set award"
    )
    first_set_award_received_total: YuanOrNone = money(
        "本企业已获首台(套)奖励总额", "First-set awards this enterprise already received"
    )
    first_set_purchase_price: YuanOrNone = money("购买首台(套)价格", "Price paid for a first set bought")
    first_set_maker_in_guangxi: FlagOrNone = fact(
        "首台(套)由区内企业生产", "The first set bought was made by an enterprise in Guangxi"
    )
    first_set_purchase_subsidy_received: FlagOrNone = fact(
        "该首台(套)已获购买补助", "A purchase subsidy was already granted for this first set"
    )

    # Taxes and fees — 002 (二)10–12
    vat_small_scale_taxpayer: FlagOrNone = fact("增值税小规模纳税人", "A VAT small-scale taxpayer")
    monthly_sales: YuanOrNone = money("月销售额", "Monthly sales or turnover (for monthly filers)")
    quarterly_sales: YuanOrNone = money("季度销售额", "Quarterly sales or turnover (for quarterly filers)")
    small_low_profit_enterprise: FlagOrNone = fact("小型微利企业", "Qualifies as a 小型微利企业")
    annual_taxable_income: YuanOrNone = money("年应纳税所得额", "Annual taxable income")
    tax_payment_difficulty: FlagOrNone = fact(
        "按期缴纳税款有困难", "Has genuine difficulty paying tax on time, within the tax rules"
    )
    small_micro_enterprise: FlagOrNone = fact("小微企业", "A small or micro enterprise")
    termite_control_fee_standard: YuanOrNone = money("白蚁防治费(标准)", "Termite control fee at the standard rate")
    quality_inspection_fee_standard: YuanOrNone = money(
        "产品质量监督检验费(标准)", "Product quality inspection fee at the standard rate"
    )
    unemployment_insurance_wage_base: YuanOrNone = money(
        "失业保险缴费工资基数", "Annual wage base on which unemployment insurance is paid"
    )
    meets_job_stabilization_conditions: FlagOrNone = fact(
        "符合桂人社发〔2015〕47号条件", "Meets the conditions of 桂人社发〔2015〕47号 (attested by the applicant)"
    )
    unemployment_insurance_paid_last_year: YuanOrNone = money(
        "上年度实际缴纳失业保险费", "Unemployment insurance actually paid in the previous year"
    )

    # Finance — 002 (三)13–14, 000 tasks (35) (36)
    meets_startup_loan_conditions: FlagOrNone = fact(
        "符合创业担保贷款条件", "An individual meeting the start-up guaranteed loan conditions (attested)"
    )
    loan_requested: YuanOrNone = money("申请贷款金额", "Loan amount applied for")
    neeq_listed: FlagOrNone = fact("新三板挂牌", "Successfully listed on the NEEQ (新三板)")
    neeq_region_grant_received: FlagOrNone = fact(
        "已获自治区新三板挂牌补助", "Already received the region's one-time NEEQ listing grant"
    )
    securities_issued_amount: YuanOrNone = money(
        "资产证券化/债券实际发行金额", "Amount actually issued by securitisation, corporate bonds or debt instruments"
    )
    bond_issuance_award_received: YuanOrNone = money(
        "已获发债奖励", "Bond-issuance awards this enterprise already received"
    )
    lead_underwritten_amount: YuanOrNone = money(
        "主承销南宁企业年度累计发行额", "Year's cumulative issuance lead-underwritten for Nanning enterprises"
    )
    lender_type: Lender | None = Field(
        None, description="Kind of lender: " + ", ".join(LENDER_TYPES),
        json_schema_extra={"label_zh": "放贷机构类型", "enum": list(LENDER_TYPES)},
    )
    sme_loan_avg_balance_previous: YuanOrNone = money(
        "上年度小微企业贷款平均余额", "Average small and micro enterprise loan balance, previous year"
    )
    sme_loan_avg_balance_current: YuanOrNone = money(
        "当年小微企业贷款平均余额", "Average small and micro enterprise loan balance, current year"
    )
    guarantees_sme_financing: FlagOrNone = fact(
        "为中小微企业融资提供担保", "Guarantees loans, acceptances, trade/project finance or L/Cs for SMEs"
    )
    largest_single_guarantee: YuanOrNone = money("单笔最大担保额", "Largest single guarantee in that business")
    guarantees_sme_collective_bonds: FlagOrNone = fact(
        "为中小企业集合债等提供担保", "Guarantees SME collective bonds, notes or short-term financing bills"
    )

    # Incubation bases (众创空间 recognised as 创业孵化基地) — 002 (四)18
    recognised_incubation_base: FlagOrNone = fact(
        "经认定为创业孵化基地", "A 众创空间 recognised (授牌) as a 创业孵化基地"
    )
    rent_and_broadband_paid: YuanOrNone = money(
        "实际缴纳房租和宽带接入费",
        "Rent and broadband fees actually paid in the year claimed; for a base in its own property, the rent is "
        "the reference rent set by the local human resources and finance departments",
    )
    rent_subsidy_years_received: YearsOrNone = fact(
        "已享受房租补助年数", "Years of the rent and broadband subsidy already received", "years"
    )

    # Firms incubated in a base — 002 (四)20
    in_incubation_base: FlagOrNone = fact("入驻创业孵化基地", "Located in a recognised incubation base")
    has_site_lease: FlagOrNone = fact("与基地签订场地租用合同", "Signed a site lease with the base")
    utilities_paid: YuanOrNone = money("场地水电费", "Water and electricity paid for the months claimed")
    utilities_months: CountOrNone = fact("水电补贴申报月数", "Months covered by the utilities claim", "months")
    months_operating_in_base: CountOrNone = fact(
        "在基地正常纳税经营月数", "Months of normal, tax-paying operation in the base", "months"
    )
    social_insurance_paid_in_full: FlagOrNone = fact("依法足额缴纳社会保险费", "Social insurance paid in full")
    one_time_subsidy_received: FlagOrNone = fact("已获一次性补贴", "Already received the 2,000 yuan one-time subsidy")
    registered_unemployed_hired: CountOrNone = fact(
        "吸纳登记失业人员数(满1年)",
        "Registered unemployed hired (excluding 就业援助对象) whose one-year contract has been served", "persons",
    )
    employment_aid_targets_hired: CountOrNone = fact(
        "吸纳就业援助对象数(满1年)", "就业援助对象 hired whose one-year contract has been served", "persons"
    )
    new_hires_over_last_year: CountOrNone = fact(
        "较上年新招用人数", "New hires over last year with contracts of a year or more", "persons"
    )
    new_hires_social_insurance_paid: YuanOrNone = money(
        "新增人员实际缴纳社会保险费",
        "One year of basic pension, medical and unemployment insurance actually paid for those new hires",
    )
    graduates_hired: CountOrNone = fact(
        "新吸纳毕业年度高校毕业生数", "Graduates of the graduation year newly hired", "persons"
    )
    graduate_loan_quota_used: YuanOrNone = money(
        "已享受贴息贷款额度", "Interest-subsidised loan quota this firm already used"
    )

    # People — 002 (五)23–25, 000 tasks (70) (79), 001 (二)8, 003 (二十四)
    graduate_grassroots_employer: GrassrootsEmployer | None = Field(
        None, description="Graduate's employer below county level: " + ", ".join(GRASSROOTS_EMPLOYERS),
        json_schema_extra={"label_zh": "基层就业单位类型", "enum": list(GRASSROOTS_EMPLOYERS)},
    )
    below_county_level: FlagOrNone = fact(
        "县级以下(不含县级和县政府驻地)", "Works below county level (not in a county seat)"
    )
    grassroots_service_years: YearsOrNone = fact("服务年限", "Years of service committed or served", "years")
    tuition_per_academic_year: YuanOrNone = money("每学年学费或助学贷款", "Tuition or student loan per academic year")
    academic_years: YearsOrNone = fact("学年数", "Academic years of study", "years")
    researcher_leaving_to_found_firm: FlagOrNone = fact(
        "科研人员离岗创业", "A researcher of a research institute leaving post, with approval, to found a firm"
    )
    transfers_job_related_results: FlagOrNone = fact(
        "职务科技成果转化", "Job-related results of a city public institution's researcher (or team) are transferred"
    )
    foreign_graduate_with_business_plan: FlagOrNone = fact(
        "持毕业证书和创业计划的外国留学生", "A foreign graduate of a Chinese university with a business plan"
    )
    returning_migrant_worker: FlagOrNone = fact("返乡农民工", "A migrant worker returning home to start a business")
    veteran: FlagOrNone = fact("退役军人", "A veteran starting a business")
    high_level_talent: FlagOrNone = fact("高层次人才", "Recognised as a high-level talent")
    local_share_of_income_tax_paid: YuanOrNone = money(
        "个人所得税地方留成部分", "Local share of the individual income tax paid"
    )
    first_home_deed_tax_paid: YuanOrNone = money("首套住房契税", "Deed tax paid on a first home")

    # Hosts of internships — 002 (五)24
    intern_person_months: CountOrNone = fact("见习人月数", "Intern-months hosted in the claim", "person-months")
    interns_completed: CountOrNone = fact("见习期满人数", "Interns who completed the internship", "persons")
    interns_retained: CountOrNone = fact("见习期满留用人数", "Interns retained at the end", "persons")

    # Parks — 002 (六)29
    accepted_as_region_demo_park: FlagOrNone = fact(
        "验收为自治区示范性农民工创业园", "Accepted as a region-level demonstration 农民工创业园"
    )
    demo_park_award_received: FlagOrNone = fact("已获示范园奖励", "Already received the demonstration-park award")

    # Technology and R&D — 000 tasks (8) (62) (65), 001 (二)3 (二)13, 004 一(一)三, 003 (十三)(十六)
    tech_transaction_paid: YuanOrNone = money(
        "技术合同实际发生技术交易额", "Technology transaction amount actually paid under a technology contract"
    )
    tech_for_target_industries: FlagOrNone = fact(
        "购买新兴产业/传统优势产业所需科技成果", "Bought results needed by emerging or traditional advantage industries"
    )
    tech_put_into_production: FlagOrNone = fact("科技成果实现转化", "The results bought were put into production")
    sme: FlagOrNone = fact("中小企业", "A small or medium-sized enterprise (中小企业, micro included)")
    bought_university_results: FlagOrNone = fact(
        "购买高校、科研院所科技成果或开展产学研合作",
        "Bought results of universities or research institutes in China, or joined them in research",
    )
    uses_existing_property_for_supported_industry: FlagOrNone = fact(
        "利用存量房产土地发展国家支持产业",
        "Uses existing buildings or land for nationally supported industries without changing user or plan",
    )
    above_designated_size: FlagOrNone = fact("规模以上企业", "An enterprise above designated size (规上)")
    rd_expenses: YuanOrNone = money("研发费用", "R&D expenses of the year")
    rd_intensity_grew: FlagOrNone = fact(
        "研发投入强度或增量增长", "R&D intensity or its increase qualifies under the graded award (attested)"
    )
    high_tech_enterprise: FlagOrNone = fact("高新技术企业", "A certified high-tech enterprise")
    gazelle_enterprise: FlagOrNone = fact("瞪羚企业", "A gazelle enterprise")
    in_high_tech_zone: FlagOrNone = fact("位于高新区", "Located in a high-tech zone")
    won_national_major_project: FlagOrNone = fact(
        "获得国家科技重大专项或重点研发计划项目", "Won a national major S&T project or key R&D programme project"
    )
    incubated_firm_certified_high_tech: FlagOrNone = fact(
        "孵化企业被认定为高新技术企业", "A firm this incubator incubated was certified high-tech"
    )
    high_tech_application_failed: FlagOrNone = fact(
        "申报高新技术企业未获认定", "Was recommended for high-tech certification and not certified"
    )
    new_rd_institution: FlagOrNone = fact("新组建研发机构", "Newly formed an enterprise R&D institution")
    city_incubation_area_subsidy: YuanOrNone = money(
        "新增孵化面积获市财政补助", "City subsidy received for new or expanded incubation area"
    )

    # Benefits with no amount and non-monetary ones (second reading of the five documents); mostly attested facts
    site_rent_paid: YuanOrNone = money("场地租金", "Site rent paid to the base for the months of the utilities claim")
    underwriter_award_received: YuanOrNone = money("已获主承销奖励", "Lead-underwriting awards already received")
    bought_catalogue_products: FlagOrNone = fact("采购目录内产品", "Bought products on Nanning's purchase catalogue")
    startup_training_trainee: FlagOrNone = fact(
        "符合条件的创业培训对象", "Rural migrant, unemployed, graduate or micro-business founder taking 创业培训"
    )
    registering_business: FlagOrNone = fact("办理市场主体注册登记", "Registering an enterprise or 个体工商户")
    dormant_firm_without_debts: FlagOrNone = fact("未开业、无债权债务企业", "Not yet open, with no debts")
    contest_winning_project: FlagOrNone = fact("知名创业大赛获奖项目", "A project that won a known start-up contest")
    bought_startup_community_housing: FlagOrNone = fact(
        "购买经认定的互联网+创业社区住房", "Bought certified 互联网+创业社区 housing in 五象新区 (as a legal person)"
    )
    approved_part_time_researcher: FlagOrNone = fact(
        "经审批兼职的科研院所科技人员", "Researcher of a publicly funded institute, part-time work approved"
    )
    tech_contract_registered: FlagOrNone = fact("技术合同已认定登记", "A technology contract certified and registered")
    region_filed_maker_space: FlagOrNone = fact("自治区级备案众创空间", "A 众创空间 filed (备案) at region level")
    park_selected_on_merit: FlagOrNone = fact("择优入选奖补的农民工创业园", "A migrant-worker park chosen on merit")
    foreign_masters_graduate: FlagOrNone = fact(
        "获硕士及以上学位的外国留学生", "A foreign graduate with a Chinese master's degree or higher"
    )
    foreign_founder: FlagOrNone = fact("依法注册企业的外国人", "A foreigner who registered an enterprise")
    foreign_high_level_talent: FlagOrNone = fact("外国高层次人才", "A foreign high-level talent")
    ip_pledge_financing: FlagOrNone = fact(
        "知识产权(专利权)质押融资或保证保险", "Patent-pledge or IP financing, or insurance of it, for a technology SME"
    )
    student_founder: FlagOrNone = fact("自主创业学生", "A student starting a business")
    university_researcher: FlagOrNone = fact("高校、科研院所科技人员", "A researcher of a university or institute")
    provincial_st_award_holder: FlagOrNone = fact("获省级及以上科技奖励人员", "Holds a provincial or higher S&T award")
    certified_or_filed_maker_space: FlagOrNone = fact("经认定或备案的众创空间", "A certified or filed 众创空间")
    selected_startup_project: FlagOrNone = fact("入选的优秀创业项目或人物", "A start-up project or founder selected")
    going_public_stage: FlagOrNone = fact(
        "股份制改造、券商签约辅导或挂牌上市", "In 股份制改造, broker coaching or listing"
    )
    tech_sme: FlagOrNone = fact("科技型中小企业", "A technology SME")
    early_stage_tech_sme: FlagOrNone = fact("初创期或成长期科技型中小企业", "Technology SME, start-up or growth stage")
    patent_applicant: FlagOrNone = fact("专利转化应用或国际专利申请", "Applies patents in production or files abroad")
    st_service_provider: FlagOrNone = fact(
        "科技服务机构、公共创新服务平台或科技服务性展会", "An S&T service institution, platform or fair"
    )
    digital_centre_applicant: FlagOrNone = fact(
        "申报数字创新中心资源和现金补贴", "Applied to a digital innovation centre's resource and cash subsidy call"
    )
    # Services without money (third reading): attested facts
    overseas_high_level_talent: FlagOrNone = fact("海外回国（赴桂）高层次人才", "A high-level talent from overseas")
    overseas_chinese: FlagOrNone = fact("华侨华人或港澳同胞", "An overseas Chinese, or from Hong Kong or Macao")
    overseas_chinese_funded_enterprise: FlagOrNone = fact("侨资企业", "An enterprise funded by overseas Chinese")
    holds_fiscally_funded_results: FlagOrNone = fact(
        "承担财政资金支持的科技项目并形成成果", "Undertook a publicly funded project that produced S&T results")
    city_innovative_enterprise: FlagOrNone = fact("市创新型企业", "Recognised as an innovative enterprise of the city")
    enterprise_rd_institution: FlagOrNone = fact("企业研发机构", "An enterprise with an R&D institution of its own")
    ip_litigation: FlagOrNone = fact("涉及知识产权诉讼或维权", "An enterprise in an IP lawsuit or defending its IP")
    university_or_institute: FlagOrNone = fact("高等学校或科研院所", "A university or research institute")

    @model_validator(mode="before")
    @classmethod
    def _read_keys(cls, data: Any) -> Any:
        """Chinese labels as keys, and a city given with its district, read before the fields are checked."""
        return read_keys(data)


def read_keys(data: Any) -> Any:
    """A profile's keys as field names (a key may be the field's Chinese label, with its unit or not); a city
    written with its district (`南宁市青秀区`) split into city and district."""
    if not isinstance(data, dict):
        return data
    names = key_names()
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = names.get(key.strip(), key) if isinstance(key, str) else key
        if name in out and name != key:
            name = key  # the label repeats a field already given: pydantic names the key as not a field
        out[name] = value
    city, district = split_city(out.get("city"))
    if district is not None:
        out["city"] = city
        out.setdefault("district", district)
    return out


UNIT_ZH = {"yuan": "元", "ratio": "%", "months": "月", "years": "年", "persons": "人", "products": "项",
           "person-months": "人月"}


@functools.cache
def key_names() -> dict[str, str]:
    """Every header or key that names a field: its name, its label, and its label with the unit (`月销售额（元）`)."""
    out: dict[str, str] = {}
    for name, info in Profile.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        label = str(extra.get("label_zh", name))
        out[name] = out[label] = name
        unit = UNIT_ZH.get(str(extra.get("unit", "")))
        if unit:
            out[f"{label}（{unit}）"] = out[f"{label}({unit})"] = name
    return out
