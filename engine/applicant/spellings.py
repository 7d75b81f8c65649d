"""How people write a value, read into the profile's value: the one table of spellings, shared by every reader.

A profile (YAML or JSON), a CSV cell and a workbook cell are all read through these functions (the profile
model calls them before its own checks; the batch readers hand every cell they do not read at column speed to
that model), so a spelling is accepted in one place exactly when it is accepted in the others.

* Choices (applicant kind, city, kind of lender, kind of employer): the code, or any synonym in `SYNONYMS`;
  each choice's Chinese label comes first, and is what people are shown.
* Money: `550000`, `550,000.00`, `¥550,000`, `55万`, `55万元`, `12亿`, full-width digits and separators
  (`５５０，０００`). Chinese numerals written out (`五十五万`) are not read: an accountant types digits, and the
  library that reads them (cn2an) returns floats for decimals, which would give up exactness.
* Yes/no: 是/否, 有/无, √/×, ✓/✗, and the English words the profile model reads (true/false, yes/no, y/n, …).
* Dates: `2017-06-30`, `2017/6/30`, `2017.6.30`, `2017年6月30日`, `20170630`.
* A city with its district or county (`南宁市青秀区`): the city, and the district kept beside it.

Errors are raised as ValueError with the message in the chosen language (engine/i18n), naming the accepted
spellings and the nearest one ("did you mean").
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from guangxi_subsidy.engine.i18n import _

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

YES = ("是", "有", "√", "✓", "✔", "对")
NO = ("否", "无", "没有", "×", "✗", "✘", "不是")
_ENGLISH_YES = ("true", "yes", "y", "on", "t", "1")
_ENGLISH_NO = ("false", "no", "n", "off", "f", "0")

_UNITS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
_MONEY = re.compile(r"^([-+]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)(万|亿)?$")  # 1.2E+07: as a spreadsheet writes it
_SEPARATORS = str.maketrans("", "", ",_ '\u2009\u202f")
_MONEY_MARKS = str.maketrans("", "", ",_ '\u2009\u202f元")  # separators and 元, wherever they stand
_DATE = re.compile(r"^([0-9]{4})(?:[/.年-])([0-9]{1,2})(?:[/.月-])([0-9]{1,2})日?$")
_COMPACT_DATE = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")
_PROVINCE = ("广西壮族自治区", "广西自治区", "广西")
_DISTRICT = re.compile(r"^.{1,12}(区|县|市|镇|乡|开发区|园区)$")


def normal(text: str) -> str:
    """Full-width digits, letters and signs as their usual forms (NFKC), surrounding spaces gone."""
    return unicodedata.normalize("NFKC", text).strip()


def accepted(field: str) -> str:
    """The spellings of a choice people are shown: each label with its code."""
    return "、".join(f"{names[0]}（{code}）" for code, names in SYNONYMS[field].items())


def _near(text: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(text, candidates, n=1, cutoff=0.5)
    if not close:
        close = [c for c in candidates if c and (c in text or text in c)][:1]
    return _("; did you mean “{0}”?").format(close[0]) if close else ""


def read_choice(field: str, value: Any) -> Any:
    """A choice's code from any of its spellings; anything else is refused, naming the choices."""
    if not isinstance(value, str):
        return value
    text = normal(value)
    for code, names in SYNONYMS[field].items():
        if text.lower() == code or text in names:
            return code
    candidates = [n for code, names in SYNONYMS[field].items() for n in (*names, code)]
    raise ValueError(_("“{0}” is not one of the accepted values: {1}{2}").format(
        value.strip(), accepted(field), _near(text, candidates)))


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


def read_flag(value: Any) -> Any:
    """是/否, 有/无, √/× and the English words as True/False; any other text is refused with the spellings."""
    if not isinstance(value, str):
        return value
    text = normal(value)
    if text in YES or text.lower() in _ENGLISH_YES:
        return True
    if text in NO or text.lower() in _ENGLISH_NO:
        return False
    raise ValueError(_("“{0}” is not yes or no: write 是/否, 有/无, √/× (or true/false)").format(value.strip()))


def read_money(value: Any) -> Any:
    """Yuan as people write them, exactly: separators, ¥, 元, 万 and 亿; full-width digits."""
    if isinstance(value, float):
        raise ValueError(_("write money as a decimal string or integer (e.g. '1234.56'), not a float"))
    if not isinstance(value, str):
        return value
    text = normal(value).translate(_MONEY_MARKS).removeprefix("人民币").lstrip("¥")
    match = _MONEY.match(text)
    if match is None:
        raise ValueError(_("“{0}” is not an amount of money: write e.g. 550000, 550,000.00, ¥550000, 55万 or "
                           "12亿").format(value.strip()))
    amount = Decimal(match[1])
    if match[2]:
        amount *= _UNITS[match[2]]
    return amount


def read_ratio(value: Any) -> Any:
    """A share as 0.85 or 85% (full-width ％ too)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if not isinstance(value, str):
        return value
    text = normal(value)
    if text.endswith("%"):
        try:
            return Decimal(text[:-1].strip()) / 100
        except InvalidOperation:
            raise ValueError(_("“{0}” is not a percentage: write e.g. 0.85 or 85%").format(value.strip())) from None
    return text


def read_count(value: Any, units: tuple[str, ...] = ()) -> Any:
    """A whole number, with full-width digits and the field's unit after it (`12个月`, `3人`) allowed."""
    if not isinstance(value, str):
        return value
    text = normal(value).translate(_SEPARATORS)
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit) and text[: -len(unit)]:
            text = text[: -len(unit)]
            break
    return text


def read_date(value: Any) -> Any:
    """A date as 2017-06-30, 2017/6/30, 2017.6.30, 2017年6月30日 or 20170630 (also an 8-digit number, as YAML
    reads 20170630)."""
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return value
    text = normal(value)
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        if re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]00:00(:00)?$", text):  # a spreadsheet's date at midnight
            text = text[:10]
            match = _DATE.match(text)
    if match is None:
        raise ValueError(_("“{0}” is not a date: write e.g. 2017-06-30, 2017/6/30, 2017年6月30日 or "
                           "20170630").format(value.strip()))
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(_("“{0}” is not a date on the calendar").format(value.strip())) from None
