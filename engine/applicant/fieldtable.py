"""Every profile field, one row each: its name, its kind of value, its Chinese label, its description, its unit and
whether a profile must give it. The one home of what a field is, and no pydantic in it.

`subsidy evaluate` reads, checks and evaluates a profile without importing pydantic (`plain.py` reads it by this
table, the profile model's own readers in `values.py` and `spellings.py` doing each value), and the field tables
every other reader uses (`fields.py`: the expression checker's symbols, headers, the batch's columns) are made
from it. The profile model (`profile.py`, pydantic: its JSON Schema, the web, the batch) declares each field's
type in its class body, where a type checker sees it, and takes the rest from here: the bounds of each kind of
value (`LIMITS`), the words (`words`); tests/test_profile_fast.py holds each field's kind to its type there.

A new field is a row here and a line in the model's class body.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from guangxi_subsidy.engine.applicant.spellings import (
    CITY_LABELS,
    EMPLOYER_LABELS,
    KIND_LABELS,
    LENDER_LABELS,
    split_city,
)


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

# The kinds of value a field holds.
ID = "id"  # the applicant's reference: text, 1 to 200 characters, required
TEXT = "text"  # text as written (spaces around it dropped)
CHOICE = "choice"  # one of the codes of spellings.SYNONYMS[field]
FLAG = "flag"  # yes or no (values.boolean)
YUAN = "yuan"  # money, exact (values.money)
RATIO = "ratio"  # a share, 0 to 1 (values.ratio)
COUNT = "count"  # a whole number of things, people or months (values.count with COUNT_UNITS)
YEARS = "years"  # a whole number of years (values.count with YEARS_UNITS)
DAY = "day"  # a calendar date (values.date)

# The bounds of each kind of value, as the model declares them (pydantic's `Field` keywords).
LIMITS: dict[str, dict[str, Any]] = {
    ID: {"min_length": 1, "max_length": 200},
    YUAN: {"ge": 0, "decimal_places": 2, "max_digits": 18},
    RATIO: {"ge": 0, "le": 1, "decimal_places": 6},
    COUNT: {"ge": 0, "le": 10_000_000},
    YEARS: {"ge": 0, "le": 100},
}
COUNT_UNITS = ("个", "项", "人", "人次", "名", "个月", "月", "人月", "个人月")  # what may follow a count
YEARS_UNITS = ("年", "学年")


class Fact:
    """One profile field. (A plain class: a dataclass would import `dataclasses` and `inspect`, some 40 million
    instructions, for a program that reads a profile and nothing else.)"""

    __slots__ = ("name", "kind", "label", "description", "unit", "required")

    def __init__(self, name: str, kind: str, label: str, description: str, unit: str | None = None,
                 required: bool = False) -> None:
        self.name = name
        self.kind = kind  # ID, TEXT, CHOICE, FLAG, YUAN, RATIO, COUNT, YEARS or DAY
        self.label = label  # Chinese, for templates, headers and messages
        self.description = description
        self.unit = "yuan" if kind == YUAN and unit is None else unit  # yuan, ratio, persons, months …
        self.required = required

    def __repr__(self) -> str:
        return f"Fact({self.name!r}, {self.kind!r}, {self.label!r})"


FACTS: tuple[Fact, ...] = (
    # Identity, place and time
    Fact("id", ID, "申请人编号", "Applicant reference, unique within a file", required=True),
    Fact("name", TEXT, "申请人名称", "Name of the applicant"),
    Fact("kind", CHOICE, "申请人类型", "Applicant kind: " + ", ".join(KIND_LABELS), required=True),
    Fact("city", CHOICE, "所在城市",
         "Prefecture-level city where the applicant is registered (or outside_guangxi)", required=True),
    Fact("district", TEXT, "所在区县", "District or county in the city (区/县), as written; may come with the city"),
    Fact("as_of", DAY, "评估日期",
         "Date the evaluation is for; policies in force on this date apply (the CLI's --as-of wins)"),
    # Enterprises: industry, products and equipment — 002 (二)9
    Fact("industrial_enterprise", FLAG, "工业企业", "An industrial enterprise"),
    Fact("new_products_certified", COUNT, "认定并发布的工业新产品数",
         "Industrial new products certified and published on the Guangxi platform this year", unit="products"),
    Fact("new_product_subsidy_received_this_year", YUAN, "本年已获新产品补助",
         "New-product subsidy already received this year"),
    Fact("guangxi_new_product_share", RATIO, "使用区内工业新产品比例",
         "Share of Guangxi industrial new products in what the enterprise uses (0–1)", unit="ratio"),
    Fact("first_set_certified", FLAG, "首台(套)认定", "Holds a 国内首台(套)重大技术装备 certification"),
    Fact("first_set_sale_price", YUAN, "首台(套)销售价格", "Sale price of the first set sold"),
    Fact("first_set_product_awarded_before", FLAG, "该产品已获首台(套)奖励",
         "This product already received the first-set award"),
    Fact("first_set_award_received_total", YUAN, "本企业已获首台(套)奖励总额",
         "First-set awards this enterprise already received"),
    Fact("first_set_purchase_price", YUAN, "购买首台(套)价格", "Price paid for a first set bought"),
    Fact("first_set_maker_in_guangxi", FLAG, "首台(套)由区内企业生产",
         "The first set bought was made by an enterprise in Guangxi"),
    Fact("first_set_purchase_subsidy_received", FLAG, "该首台(套)已获购买补助",
         "A purchase subsidy was already granted for this first set"),
    # Taxes and fees — 002 (二)10–12
    Fact("vat_small_scale_taxpayer", FLAG, "增值税小规模纳税人", "A VAT small-scale taxpayer"),
    Fact("monthly_sales", YUAN, "月销售额", "Monthly sales or turnover (for monthly filers)"),
    Fact("quarterly_sales", YUAN, "季度销售额", "Quarterly sales or turnover (for quarterly filers)"),
    Fact("small_low_profit_enterprise", FLAG, "小型微利企业", "Qualifies as a 小型微利企业"),
    Fact("annual_taxable_income", YUAN, "年应纳税所得额", "Annual taxable income"),
    Fact("tax_payment_difficulty", FLAG, "按期缴纳税款有困难",
         "Has genuine difficulty paying tax on time, within the tax rules"),
    Fact("small_micro_enterprise", FLAG, "小微企业", "A small or micro enterprise"),
    Fact("termite_control_fee_standard", YUAN, "白蚁防治费(标准)", "Termite control fee at the standard rate"),
    Fact("quality_inspection_fee_standard", YUAN, "产品质量监督检验费(标准)",
         "Product quality inspection fee at the standard rate"),
    Fact("unemployment_insurance_wage_base", YUAN, "失业保险缴费工资基数",
         "Annual wage base on which unemployment insurance is paid"),
    Fact("meets_job_stabilization_conditions", FLAG, "符合桂人社发〔2015〕47号条件",
         "Meets the conditions of 桂人社发〔2015〕47号 (attested by the applicant)"),
    Fact("unemployment_insurance_paid_last_year", YUAN, "上年度实际缴纳失业保险费",
         "Unemployment insurance actually paid in the previous year"),
    # Finance — 002 (三)13–14, 000 tasks (35) (36)
    Fact("meets_startup_loan_conditions", FLAG, "符合创业担保贷款条件",
         "An individual meeting the start-up guaranteed loan conditions (attested)"),
    Fact("loan_requested", YUAN, "申请贷款金额", "Loan amount applied for"),
    Fact("neeq_listed", FLAG, "新三板挂牌", "Successfully listed on the NEEQ (新三板)"),
    Fact("neeq_region_grant_received", FLAG, "已获自治区新三板挂牌补助",
         "Already received the region's one-time NEEQ listing grant"),
    Fact("securities_issued_amount", YUAN, "资产证券化/债券实际发行金额",
         "Amount actually issued by securitisation, corporate bonds or debt instruments"),
    Fact("bond_issuance_award_received", YUAN, "已获发债奖励", "Bond-issuance awards this enterprise already received"),
    Fact("lead_underwritten_amount", YUAN, "主承销南宁企业年度累计发行额",
         "Year's cumulative issuance lead-underwritten for Nanning enterprises"),
    Fact("lender_type", CHOICE, "放贷机构类型", "Kind of lender: " + ", ".join(LENDER_LABELS)),
    Fact("sme_loan_avg_balance_previous", YUAN, "上年度小微企业贷款平均余额",
         "Average small and micro enterprise loan balance, previous year"),
    Fact("sme_loan_avg_balance_current", YUAN, "当年小微企业贷款平均余额",
         "Average small and micro enterprise loan balance, current year"),
    Fact("guarantees_sme_financing", FLAG, "为中小微企业融资提供担保",
         "Guarantees loans, acceptances, trade/project finance or L/Cs for SMEs"),
    Fact("largest_single_guarantee", YUAN, "单笔最大担保额", "Largest single guarantee in that business"),
    Fact("guarantees_sme_collective_bonds", FLAG, "为中小企业集合债等提供担保",
         "Guarantees SME collective bonds, notes or short-term financing bills"),
    # Incubation bases (众创空间 recognised as 创业孵化基地) — 002 (四)18
    Fact("recognised_incubation_base", FLAG, "经认定为创业孵化基地", "A 众创空间 recognised (授牌) as a 创业孵化基地"),
    Fact("rent_and_broadband_paid", YUAN, "实际缴纳房租和宽带接入费",
         "Rent and broadband fees actually paid in the year claimed; for a base in its own property, the rent "
         "is the reference rent set by the local human resources and finance departments"),
    Fact("rent_subsidy_years_received", YEARS, "已享受房租补助年数",
         "Years of the rent and broadband subsidy already received", unit="years"),
    # Firms incubated in a base — 002 (四)20
    Fact("in_incubation_base", FLAG, "入驻创业孵化基地", "Located in a recognised incubation base"),
    Fact("has_site_lease", FLAG, "与基地签订场地租用合同", "Signed a site lease with the base"),
    Fact("utilities_paid", YUAN, "场地水电费", "Water and electricity paid for the months claimed"),
    Fact("utilities_months", COUNT, "水电补贴申报月数", "Months covered by the utilities claim", unit="months"),
    Fact("months_operating_in_base", COUNT, "在基地正常纳税经营月数",
         "Months of normal, tax-paying operation in the base", unit="months"),
    Fact("social_insurance_paid_in_full", FLAG, "依法足额缴纳社会保险费", "Social insurance paid in full"),
    Fact("one_time_subsidy_received", FLAG, "已获一次性补贴", "Already received the 2,000 yuan one-time subsidy"),
    Fact("registered_unemployed_hired", COUNT, "吸纳登记失业人员数(满1年)",
         "Registered unemployed hired (excluding 就业援助对象) whose one-year contract has been served",
         unit="persons"),
    Fact("employment_aid_targets_hired", COUNT, "吸纳就业援助对象数(满1年)",
         "就业援助对象 hired whose one-year contract has been served", unit="persons"),
    Fact("new_hires_over_last_year", COUNT, "较上年新招用人数",
         "New hires over last year with contracts of a year or more", unit="persons"),
    Fact("new_hires_social_insurance_paid", YUAN, "新增人员实际缴纳社会保险费",
         "One year of basic pension, medical and unemployment insurance actually paid for those new hires"),
    Fact("graduates_hired", COUNT, "新吸纳毕业年度高校毕业生数",
         "Graduates of the graduation year newly hired", unit="persons"),
    Fact("graduate_loan_quota_used", YUAN, "已享受贴息贷款额度",
         "Interest-subsidised loan quota this firm already used"),
    # People — 002 (五)23–25, 000 tasks (70) (79), 001 (二)8, 003 (二十四)
    Fact("graduate_grassroots_employer", CHOICE, "基层就业单位类型",
         "Graduate's employer below county level: " + ", ".join(EMPLOYER_LABELS)),
    Fact("below_county_level", FLAG, "县级以下(不含县级和县政府驻地)",
         "Works below county level (not in a county seat)"),
    Fact("grassroots_service_years", YEARS, "服务年限", "Years of service committed or served", unit="years"),
    Fact("tuition_per_academic_year", YUAN, "每学年学费或助学贷款", "Tuition or student loan per academic year"),
    Fact("academic_years", YEARS, "学年数", "Academic years of study", unit="years"),
    Fact("researcher_leaving_to_found_firm", FLAG, "科研人员离岗创业",
         "A researcher of a research institute leaving post, with approval, to found a firm"),
    Fact("transfers_job_related_results", FLAG, "职务科技成果转化",
         "Job-related results of a city public institution's researcher (or team) are transferred"),
    Fact("foreign_graduate_with_business_plan", FLAG, "持毕业证书和创业计划的外国留学生",
         "A foreign graduate of a Chinese university with a business plan"),
    Fact("returning_migrant_worker", FLAG, "返乡农民工", "A migrant worker returning home to start a business"),
    Fact("veteran", FLAG, "退役军人", "A veteran starting a business"),
    Fact("high_level_talent", FLAG, "高层次人才", "Recognised as a high-level talent"),
    Fact("local_share_of_income_tax_paid", YUAN, "个人所得税地方留成部分",
         "Local share of the individual income tax paid"),
    Fact("first_home_deed_tax_paid", YUAN, "首套住房契税", "Deed tax paid on a first home"),
    # Hosts of internships — 002 (五)24
    Fact("intern_person_months", COUNT, "见习人月数", "Intern-months hosted in the claim", unit="person-months"),
    Fact("interns_completed", COUNT, "见习期满人数", "Interns who completed the internship", unit="persons"),
    Fact("interns_retained", COUNT, "见习期满留用人数", "Interns retained at the end", unit="persons"),
    # Parks — 002 (六)29
    Fact("accepted_as_region_demo_park", FLAG, "验收为自治区示范性农民工创业园",
         "Accepted as a region-level demonstration 农民工创业园"),
    Fact("demo_park_award_received", FLAG, "已获示范园奖励", "Already received the demonstration-park award"),
    # Technology and R&D — 000 tasks (8) (62) (65), 001 (二)3 (二)13, 004 一(一)三, 003 (十三)(十六)
    Fact("tech_transaction_paid", YUAN, "技术合同实际发生技术交易额",
         "Technology transaction amount actually paid under a technology contract"),
    Fact("tech_for_target_industries", FLAG, "购买新兴产业/传统优势产业所需科技成果",
         "Bought results needed by emerging or traditional advantage industries"),
    Fact("tech_put_into_production", FLAG, "科技成果实现转化", "The results bought were put into production"),
    Fact("sme", FLAG, "中小企业", "A small or medium-sized enterprise (中小企业, micro included)"),
    Fact("bought_university_results", FLAG, "购买高校、科研院所科技成果或开展产学研合作",
         "Bought results of universities or research institutes in China, or joined them in research"),
    Fact("uses_existing_property_for_supported_industry", FLAG, "利用存量房产土地发展国家支持产业",
         "Uses existing buildings or land for nationally supported industries without changing user or plan"),
    Fact("above_designated_size", FLAG, "规模以上企业", "An enterprise above designated size (规上)"),
    Fact("rd_expenses", YUAN, "研发费用", "R&D expenses of the year"),
    Fact("rd_intensity_grew", FLAG, "研发投入强度或增量增长",
         "R&D intensity or its increase qualifies under the graded award (attested)"),
    Fact("high_tech_enterprise", FLAG, "高新技术企业", "A certified high-tech enterprise"),
    Fact("gazelle_enterprise", FLAG, "瞪羚企业", "A gazelle enterprise"),
    Fact("in_high_tech_zone", FLAG, "位于高新区", "Located in a high-tech zone"),
    Fact("won_national_major_project", FLAG, "获得国家科技重大专项或重点研发计划项目",
         "Won a national major S&T project or key R&D programme project"),
    Fact("incubated_firm_certified_high_tech", FLAG, "孵化企业被认定为高新技术企业",
         "A firm this incubator incubated was certified high-tech"),
    Fact("high_tech_application_failed", FLAG, "申报高新技术企业未获认定",
         "Was recommended for high-tech certification and not certified"),
    Fact("new_rd_institution", FLAG, "新组建研发机构", "Newly formed an enterprise R&D institution"),
    Fact("city_incubation_area_subsidy", YUAN, "新增孵化面积获市财政补助",
         "City subsidy received for new or expanded incubation area"),
    # Benefits with no amount and non-monetary ones (second reading of the five documents); mostly attested facts
    Fact("site_rent_paid", YUAN, "场地租金", "Site rent paid to the base for the months of the utilities claim"),
    Fact("underwriter_award_received", YUAN, "已获主承销奖励", "Lead-underwriting awards already received"),
    Fact("bought_catalogue_products", FLAG, "采购目录内产品", "Bought products on Nanning's purchase catalogue"),
    Fact("startup_training_trainee", FLAG, "符合条件的创业培训对象",
         "Rural migrant, unemployed, graduate or micro-business founder taking 创业培训"),
    Fact("registering_business", FLAG, "办理市场主体注册登记", "Registering an enterprise or 个体工商户"),
    Fact("dormant_firm_without_debts", FLAG, "未开业、无债权债务企业", "Not yet open, with no debts"),
    Fact("contest_winning_project", FLAG, "知名创业大赛获奖项目", "A project that won a known start-up contest"),
    Fact("bought_startup_community_housing", FLAG, "购买经认定的互联网+创业社区住房",
         "Bought certified 互联网+创业社区 housing in 五象新区 (as a legal person)"),
    Fact("approved_part_time_researcher", FLAG, "经审批兼职的科研院所科技人员",
         "Researcher of a publicly funded institute, part-time work approved"),
    Fact("tech_contract_registered", FLAG, "技术合同已认定登记", "A technology contract certified and registered"),
    Fact("region_filed_maker_space", FLAG, "自治区级备案众创空间", "A 众创空间 filed (备案) at region level"),
    Fact("park_selected_on_merit", FLAG, "择优入选奖补的农民工创业园", "A migrant-worker park chosen on merit"),
    Fact("foreign_masters_graduate", FLAG, "获硕士及以上学位的外国留学生",
         "A foreign graduate with a Chinese master's degree or higher"),
    Fact("foreign_founder", FLAG, "依法注册企业的外国人", "A foreigner who registered an enterprise"),
    Fact("foreign_high_level_talent", FLAG, "外国高层次人才", "A foreign high-level talent"),
    Fact("ip_pledge_financing", FLAG, "知识产权(专利权)质押融资或保证保险",
         "Patent-pledge or IP financing, or insurance of it, for a technology SME"),
    Fact("student_founder", FLAG, "自主创业学生", "A student starting a business"),
    Fact("university_researcher", FLAG, "高校、科研院所科技人员", "A researcher of a university or institute"),
    Fact("provincial_st_award_holder", FLAG, "获省级及以上科技奖励人员", "Holds a provincial or higher S&T award"),
    Fact("certified_or_filed_maker_space", FLAG, "经认定或备案的众创空间", "A certified or filed 众创空间"),
    Fact("selected_startup_project", FLAG, "入选的优秀创业项目或人物", "A start-up project or founder selected"),
    Fact("going_public_stage", FLAG, "股份制改造、券商签约辅导或挂牌上市", "In 股份制改造, broker coaching or listing"),
    Fact("tech_sme", FLAG, "科技型中小企业", "A technology SME"),
    Fact("early_stage_tech_sme", FLAG, "初创期或成长期科技型中小企业", "Technology SME, start-up or growth stage"),
    Fact("patent_applicant", FLAG, "专利转化应用或国际专利申请", "Applies patents in production or files abroad"),
    Fact("st_service_provider", FLAG, "科技服务机构、公共创新服务平台或科技服务性展会",
         "An S&T service institution, platform or fair"),
    Fact("digital_centre_applicant", FLAG, "申报数字创新中心资源和现金补贴",
         "Applied to a digital innovation centre's resource and cash subsidy call"),
    # Services without money (third reading): attested facts
    Fact("overseas_high_level_talent", FLAG, "海外回国（赴桂）高层次人才", "A high-level talent from overseas"),
    Fact("overseas_chinese", FLAG, "华侨华人或港澳同胞", "An overseas Chinese, or from Hong Kong or Macao"),
    Fact("overseas_chinese_funded_enterprise", FLAG, "侨资企业", "An enterprise funded by overseas Chinese"),
    Fact("holds_fiscally_funded_results", FLAG, "承担财政资金支持的科技项目并形成成果",
         "Undertook a publicly funded project that produced S&T results"),
    Fact("city_innovative_enterprise", FLAG, "市创新型企业", "Recognised as an innovative enterprise of the city"),
    Fact("enterprise_rd_institution", FLAG, "企业研发机构", "An enterprise with an R&D institution of its own"),
    Fact("ip_litigation", FLAG, "涉及知识产权诉讼或维权", "An enterprise in an IP lawsuit or defending its IP"),
    Fact("university_or_institute", FLAG, "高等学校或科研院所", "A university or research institute"),
)

BY_NAME: MappingProxyType[str, Fact] = MappingProxyType({fact.name: fact for fact in FACTS})


def words(name: str) -> dict[str, Any]:
    """A field's description and the extra keys of its JSON Schema (its label, its unit, its choices), as the
    profile model declares them."""
    fact = BY_NAME[name]
    extra: dict[str, Any] = {"label_zh": fact.label}
    if fact.unit:
        extra["unit"] = fact.unit
    if fact.kind == CHOICE and name != "kind":
        extra["enum"] = list(CHOICES[name])
    return {"description": fact.description, "json_schema_extra": extra}


CHOICES: dict[str, tuple[str, ...]] = {
    "kind": tuple(k.value for k in ApplicantKind),
    "city": tuple(CITY_LABELS),
    "lender_type": LENDER_TYPES,
    "graduate_grassroots_employer": GRASSROOTS_EMPLOYERS,
}

UNIT_ZH = {"yuan": "元", "ratio": "%", "months": "月", "years": "年", "persons": "人", "products": "项",
           "person-months": "人月"}


@functools.cache
def key_names() -> dict[str, str]:
    """Every header or key that names a field: its name, its label, and its label with the unit (`月销售额（元）`)."""
    out: dict[str, str] = {}
    for fact in FACTS:
        name, label = fact.name, fact.label
        out[name] = out[label] = name
        unit = UNIT_ZH.get(fact.unit or "")
        if unit:
            out[f"{label}（{unit}）"] = out[f"{label}({unit})"] = name
    return out


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
