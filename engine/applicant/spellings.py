"""How people name a choice: the one table of synonyms for every choice field, and a city with its district.

A profile (YAML or JSON), a CSV cell and a workbook cell are all read through the profile model, whose choice
fields call `read_choice` (numbers, yes/no and dates are read by `values.py`), and the batch readers read the
same `SYNONYMS` at column speed, so a spelling is accepted in one place exactly when it is in the others.

* Choices (applicant kind, city, kind of lender, kind of employer): the code, or any synonym in `SYNONYMS`;
  each choice's Chinese label comes first, and is what people are shown.
* A city with its district or county (`南宁市青秀区`): the city, and the district kept beside it.

Errors are raised as ValueError with the message in the chosen language (engine/i18n), naming the accepted
spellings and the nearest one ("did you mean").
"""

from __future__ import annotations

import functools
import re
from typing import Any

from guangxi_subsidy.engine.applicant.values import MAX_TEXT, normal, shown
from guangxi_subsidy.engine.i18n import _, language

KIND_LABELS: dict[str, str] = {
    "enterprise": "企业",
    "incubation_base": "众创空间/创业孵化基地",
    "financial_institution": "金融机构",
    "guarantee_institution": "担保机构",
    "individual": "个人",
    "public_institution": "事业单位",
    "entrepreneurship_park": "农民工创业园",
}

# The 14 prefecture-level cities of Guangxi, plus a value for applicants located elsewhere.
CITY_LABELS: dict[str, str] = {
    "nanning": "南宁",
    "liuzhou": "柳州",
    "guilin": "桂林",
    "wuzhou": "梧州",
    "beihai": "北海",
    "fangchenggang": "防城港",
    "qinzhou": "钦州",
    "guigang": "贵港",
    "yulin": "玉林",
    "baise": "百色",
    "hezhou": "贺州",
    "hechi": "河池",
    "laibin": "来宾",
    "chongzuo": "崇左",
    "outside_guangxi": "广西区外",
}

LENDER_LABELS: dict[str, str] = {
    "bank": "银行业金融机构",
    "loan_company": "贷款公司",
    "rural_mutual_fund": "农村资金互助社",
    "microlender": "小额贷款公司",
}
EMPLOYER_LABELS: dict[str, str] = {
    "research_or_extension_institution": "科研或技术推广事业单位",
    "state_owned_sme": "国有或国有控股中小企业",
    "other": "其他单位",
}

# Every choice field: code -> its spellings, the Chinese label first. Matching ignores letter case of codes.
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "kind": {
        "enterprise": ("企业", "公司", "有限公司", "有限责任公司", "股份有限公司", "企业法人"),
        "incubation_base": ("众创空间/创业孵化基地", "创业孵化基地", "孵化基地", "众创空间", "孵化器",
                            "科技企业孵化器", "众创空间（创业孵化基地）", "众创空间(创业孵化基地)"),
        "financial_institution": ("金融机构", "银行业金融机构", "证券公司", "证券机构"),
        "guarantee_institution": ("担保机构", "担保公司", "融资担保公司", "融资担保机构"),
        "individual": ("个人", "自然人"),
        "public_institution": ("事业单位", "科研院所", "高校", "高等学校"),
        "entrepreneurship_park": ("农民工创业园", "创业园", "返乡创业园"),
    },
    "city": {code: (label, label + "市") for code, label in CITY_LABELS.items()}
    | {"outside_guangxi": ("广西区外", "区外", "外省")},
    "lender_type": {
        "bank": ("银行业金融机构", "银行", "商业银行", "村镇银行"),
        "loan_company": ("贷款公司",),
        "rural_mutual_fund": ("农村资金互助社", "资金互助社"),
        "microlender": ("小额贷款公司", "小贷公司", "小额贷款机构"),
    },
    "graduate_grassroots_employer": {
        "research_or_extension_institution": ("科研或技术推广事业单位", "科研事业单位", "技术推广事业单位",
                                              "科研单位", "农技推广机构"),
        "state_owned_sme": ("国有或国有控股中小企业", "国有中小企业", "国有控股中小企业", "国企"),
        "other": ("其他单位", "其他"),
    },
}

_PROVINCE = ("广西壮族自治区", "广西自治区", "广西")
_DISTRICT = re.compile(r"^.{1,12}(区|县|市|镇|乡|开发区|园区)$")


@functools.cache
def accepted(field: str) -> str:
    """The spellings of a choice people are shown: each label with its code."""
    return "、".join(f"{names[0]}（{code}）" for code, names in SYNONYMS[field].items())


def _near(text: str, candidates: list[str]) -> str:
    import difflib  # (only for a misspelling: not loaded by a run without one)

    close = difflib.get_close_matches(text, candidates, n=1, cutoff=0.5)
    if not close:
        close = [c for c in candidates if c and (c in text or text in c)][:1]
    return _("; did you mean “{0}”?").format(close[0]) if close else ""


def read_choice(field: str, value: Any) -> Any:
    """A choice's code from any of its spellings; anything else is refused, naming the choices."""
    if not isinstance(value, str):
        return value
    if len(value) > MAX_TEXT:
        raise ValueError(_("“{0}” is not one of the accepted values: {1}{2}").format(shown(value), accepted(field), ""))
    text = normal(value)
    for code, names in SYNONYMS[field].items():
        if text.lower() == code or text in names:
            return code
    raise ValueError(_("“{0}” is not one of the accepted values: {1}{2}").format(
        value.strip(), accepted(field), _suggestion(field, text, language())))


@functools.lru_cache(maxsize=4096)
def _suggestion(field: str, text: str, shown_in: str) -> str:
    """The "did you mean" of a misspelt choice, worked out once per spelling: a list with a bad city on every
    tenth row repeats the same few misspellings, and the search through the synonyms is the costly part of
    refusing a row. (`shown_in`: the language, part of the key since the words are translated.)"""
    candidates = [n for code, names in SYNONYMS[field].items() for n in (*names, code)]
    return _near(text, candidates)


def split_city(value: Any) -> tuple[Any, str | None]:
    """A city written with its district or county (`南宁市青秀区`, `广西南宁市横县`): the city's spelling and
    the district; a city alone gives no district."""
    if not isinstance(value, str):
        return value, None
    text = normal(value)
    for province in _PROVINCE:
        if text.startswith(province) and len(text) > len(province):
            text = text[len(province):]
            break
    for label in sorted(CITY_LABELS.values(), key=len, reverse=True):
        for city in (label + "市", label):
            rest = text[len(city):]
            if text.startswith(city) and rest and _DISTRICT.match(rest):
                return city, rest
    return text, None
