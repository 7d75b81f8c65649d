"""The profile read without pydantic (`engine/applicant/plain.py`) accepts only what the profile model accepts, with
the same values; `subsidy evaluate` reads, checks and evaluates a valid profile without importing pydantic; and the
field table (`fieldtable.py`) is the model's: the same words, the same kinds of value, the same field tables."""

from __future__ import annotations

import ast
import datetime as dt
import subprocess
import sys
import textwrap
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from guangxi_subsidy.data import examples as bundled
from guangxi_subsidy.engine.applicant import fieldtable as table
from guangxi_subsidy.engine.applicant import profile as model
from guangxi_subsidy.engine.applicant.fields import fields
from guangxi_subsidy.engine.applicant.plain import PlainProfile, read_plain
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import load_applicant, load_profile, parse_applicant
from guangxi_subsidy.engine.applicant.spellings import SYNONYMS
from guangxi_subsidy.engine.language import ValueType

ROOT = Path(table.__file__).parents[2]


def _as_model_reads(data: Any) -> dict[str, tuple[type, str]] | None:
    """What the model makes of `data`: each field's type and text (so 1.50 and 1.5 differ), or None if refused."""
    try:
        read = Profile.model_validate(data)
    except ValidationError:
        return None
    return {name: (type(value), str(value)) for name, value in read.__dict__.items()}


def _as_plain_reads(read: PlainProfile) -> dict[str, tuple[type, str]]:
    return {name: (type(value), str(value)) for name, value in read.__dict__.items()}


# Values of every shape a person or a file gives: right and wrong for each kind of field.
_TEXTS = st.sampled_from([
    "是", "否", "有", "无", "√", "×", "yes", "No", "TRUE", "1", "0", "maybe", "", " ", "　是　",
    "550000", "550,000.00", "¥550,000", "55万", "55万元", "12亿", "５５０，０００", "1.005", "1.50", "-1", "1e3",
    "1E41", "nan", "Infinity", "0.85", "85%", "１２０%", "0.0000001", "1.000000", "12个月", "3人", "12.5", "3年",
    "2学年", "1,200", "2017-06-30", "2017/6/30", "2017年6月30日", "20170630", "2017-02-30", "2017-6-30 ",
    "enterprise", "企业", "孵化基地", "robot", "nanning", "南宁", "南宁市青秀区", "广西南宁市横县", "梧州市",
    "paris", "bank", "银行", "小贷公司", "国企", "other", " 其他 ", "\u3000南宁\u3000", "a\u2003", "\u00a0b",
    "x\x1c", "A-1", " A-1 ", "某某有限公司", "x" * 201, "9" * 19, "0." + "0" * 40 + "1",
])
_NUMBERS = st.one_of(
    st.integers(min_value=-5, max_value=200), st.integers(min_value=10_000_000, max_value=99_999_999),
    st.integers(), st.decimals(allow_nan=True, allow_infinity=True, places=None),
    st.decimals(min_value=0, max_value=2, places=7), st.floats(), st.booleans(),
)
_VALUES = st.one_of(_TEXTS, st.text(max_size=12), _NUMBERS, st.none(), st.dates(), st.datetimes(),
                    st.lists(st.integers(), max_size=2))


def _keys_of(name: str) -> list[str]:
    """A field's name and the other keys that name it: its label, with its unit, with spaces around."""
    fact = table.BY_NAME[name]
    keys = [name, fact.label, f" {name} "]
    unit = table.UNIT_ZH.get(fact.unit or "")
    if unit:
        keys += [f"{fact.label}（{unit}）", f"{fact.label}({unit})"]
    return keys


# Values near what each kind of field takes, right and (at its edges) wrong.
_SPACES = st.sampled_from(["", " ", "\t", "\u3000", "\u00a0", "\x1f", "\u2003"])
_BY_KIND = {
    table.FLAG: st.sampled_from([True, False, "是", "否", "有", "无", "√", "×", "yes", "No", 1, 0, 2, "TRUE", " 是 "]),
    table.YUAN: st.one_of(st.integers(-1, 10**17), st.decimals(0, 10**9, places=2), st.decimals(0, 1, places=3),
                          st.sampled_from(["550000", "550,000.00", "¥550,000", "55万", "55万元", "12亿", "1.50",
                                           "1.005", "1e3", "9" * 17, "9" * 16 + ".99", "0.10", "100.000"])),
    table.RATIO: st.one_of(st.decimals(0, 1, places=6), st.decimals(-1, 2, places=7),
                           st.sampled_from(["85%", "0.85", "100%", "1.0000000", "0.1234567", "101%", 1, 0])),
    table.COUNT: st.one_of(st.integers(-2, 10_000_002),
                           st.sampled_from(["12个月", "3人", "1,200", "12.5", "12.0", "１２", "5项", "个"])),
    table.YEARS: st.one_of(st.integers(-1, 101), st.sampled_from(["3年", "2学年", "101", "3.0"])),
    table.DAY: st.one_of(st.dates(), st.sampled_from(["2017-06-30", "2017/6/30", "2017年6月30日", 20170630,
                                                       "2017-02-30", "20171301", 2017])),
    table.TEXT: st.builds(lambda a, t, b: a + t + b, _SPACES, st.text(max_size=6), _SPACES),
}
_CHOICES = {field: st.sampled_from([*codes, *(n for names in codes.values() for n in names), " X ", "南宁市青秀区"])
            for field, codes in SYNONYMS.items()}


@st.composite
def documents(draw: st.DrawFn) -> dict[Any, Any]:
    """A profile document: usually its required fields given well, then fields of every kind under any of their
    keys, most values near what the field takes, some of any shape, now and then a key that is no field."""
    data: dict[Any, Any] = {}
    if draw(st.integers(0, 9)) > 0:
        data["id"] = draw(st.sampled_from(["A-1", " x ", "企业-01"]) if draw(st.integers(0, 9)) else _VALUES)
        data[draw(st.sampled_from(["kind", "申请人类型"]))] = draw(st.sampled_from([*SYNONYMS["kind"], "孵化基地"]))
        data[draw(st.sampled_from(["city", "所在城市"]))] = draw(st.sampled_from(["nanning", "南宁市青秀区", "梧州"]))
    names = draw(st.lists(st.sampled_from(list(table.BY_NAME)), max_size=6, unique=True))
    for name in names:
        key = draw(st.sampled_from(_keys_of(name)))
        kind = table.BY_NAME[name].kind
        near = _CHOICES[name] if kind == table.CHOICE else _BY_KIND[table.TEXT if kind == table.ID else kind]
        data[key] = draw(near if draw(st.integers(0, 9)) else _VALUES)
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.sampled_from(["unknown_key", "月销售", 3, "所在区县", "district"]))] = draw(_VALUES)
    return data


@settings(max_examples=examples(250))
@given(documents())
def test_the_quick_reader_accepts_only_what_the_model_accepts_and_reads_the_same_values(data: dict[Any, Any]) -> None:
    quick = read_plain(data)
    if quick is not None:
        assert _as_plain_reads(quick) == _as_model_reads(data)


def _example_documents() -> list[Any]:
    from guangxi_subsidy.engine.yamlio import load_yaml

    out = []
    for path in bundled().values():
        data = load_yaml(Path(path).read_text(encoding="utf-8"))
        out.append(data.get("profile", data))
    return out


def test_every_bundled_example_goes_the_quick_way_with_the_models_values() -> None:
    documents = _example_documents()
    assert len(documents) >= 4
    for data in documents:
        quick = read_plain(data)
        assert quick is not None
        assert _as_plain_reads(quick) == _as_model_reads(data)
        assert list(quick.__dict__) == list(Profile.model_fields)


WRITTEN_AS_PEOPLE_WRITE = {
    "申请人编号": " QY-2017-01 ", "申请人类型": "企业", "所在城市": "南宁市青秀区", "工业企业": "是",
    "月销售额（元）": "¥55,000", "季度销售额": "15万", "使用区内工业新产品比例": "85%",
    "认定并发布的工业新产品数": "12项", "已享受房租补助年数": "2年", "评估日期": "2017年6月30日",
    "lender_type": "小贷公司", "new_products_certified": None,
}


def test_a_profile_with_labels_units_and_chinese_spellings_goes_the_quick_way() -> None:
    data = dict(WRITTEN_AS_PEOPLE_WRITE)
    del data["new_products_certified"]  # (the label gave it already: both keys would be refused)
    quick = read_plain(data)
    assert quick is not None and _as_plain_reads(quick) == _as_model_reads(data)
    assert (quick.id, quick.kind, quick.city, quick.district) == ("QY-2017-01", "enterprise", "nanning", "青秀区")
    # 55,000 yuan; 15万 is 15 × 10,000 = 150,000 yuan; 85% is 0.85; 12项 is 12 products
    assert (quick.monthly_sales, quick.quarterly_sales) == (Decimal("55000"), Decimal("150000"))
    assert (quick.guangxi_new_product_share, quick.new_products_certified) == (Decimal("0.85"), 12)
    assert quick.as_of == dt.date(2017, 6, 30) and quick.lender_type == "microlender"


@pytest.mark.parametrize("change", [
    {"月销售额（元）": "1.005"},  # three decimal places of a yuan
    {"使用区内工业新产品比例": "120%"},  # a share above 1
    {"工业企业": "maybe"},
    {"unknown_key": 1},
    {"月销售额": "3"},  # the label with its unit gave it already
    {"申请人类型": "robot"},
    {"评估日期": "2017-02-30"},
    {"申请人编号": "   "},
])
def test_a_profile_the_model_refuses_is_left_to_the_model_and_its_messages(change: dict[str, Any]) -> None:
    data = {k: v for k, v in WRITTEN_AS_PEOPLE_WRITE.items() if k != "new_products_certified"} | change
    assert read_plain(data) is None
    with pytest.raises(Exception) as refused:
        parse_applicant(data, "firm.yaml")
    assert "firm.yaml: " in str(refused.value)  # (the message of today: tests/test_cli.py holds its words)


def test_a_bundled_example_file_read_the_quick_way_is_the_models_profile() -> None:
    path = Path(bundled()["nanning_incubation_base"])
    quick, slow = load_applicant(path), load_profile(path)
    assert isinstance(quick, PlainProfile) and quick.__dict__ == slow.__dict__
    assert quick == load_applicant(path) and hash(quick) == hash(load_applicant(path))  # (an evaluation compares)
    with pytest.raises(AttributeError):
        quick.city = "wuzhou"  # (frozen, as the model)


# --- the field table is the model's -------------------------------------------------------------------------------

KIND_TYPES = {table.FLAG: model.FlagOrNone, table.YUAN: model.YuanOrNone, table.COUNT: model.CountOrNone,
              table.YEARS: model.YearsOrNone, table.RATIO: model.Ratio | None, table.DAY: model.Day | None,
              table.TEXT: str | None, table.ID: str}
CHOICE_TYPES = {"city": model.City,
                "lender_type": model.Lender | None, "graduate_grassroots_employer": model.GrassrootsEmployer | None}


def test_each_field_of_the_table_has_the_type_its_kind_says_in_the_model() -> None:
    declared = Profile.__annotations__
    assert list(declared) == [fact.name for fact in table.FACTS]
    for fact in table.FACTS:
        if fact.name == "kind":
            assert typing.get_args(declared["kind"])[0] is model.ApplicantKind
        elif fact.kind == table.CHOICE:
            assert declared[fact.name] == CHOICE_TYPES[fact.name], fact.name
        else:
            assert declared[fact.name] == KIND_TYPES[fact.kind], fact.name


def test_the_models_fields_carry_the_tables_words_and_defaults() -> None:
    for name, info in Profile.model_fields.items():
        fact = table.BY_NAME[name]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        assert (extra["label_zh"], extra.get("unit"), info.description) == (fact.label, fact.unit, fact.description)
        assert info.is_required() == fact.required


def test_the_field_tables_made_from_the_table_are_those_the_model_declares() -> None:
    for name, info in Profile.model_fields.items():
        made = fields()[name]
        bounds = {k: getattr(m, k) for m in info.metadata for k in ("min_length", "max_length")
                  if getattr(m, k, None) is not None}
        if made.type == ValueType.TEXT and made.choices is None:
            assert made.max_length == bounds.get("max_length")
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if "enum" in extra:
            assert list(made.choices or ()) == extra["enum"]
    schema = Profile.model_json_schema()["properties"]
    for name, made in fields().items():
        own = schema[name].get("anyOf", [schema[name]])[0]
        assert made.low == (None if "ge" not in own else Decimal(str(own["ge"]))), name
        assert made.high == (None if "le" not in own else Decimal(str(own["le"]))), name
        assert (made.digits, made.places) == (own.get("max_digits"), own.get("decimal_places")), name


# --- no pydantic on the way --------------------------------------------------------------------------------------

NO_PYDANTIC = textwrap.dedent("""
    import sys

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name == "pydantic" or name.startswith(("pydantic.", "pydantic_core")):
                raise ImportError("pydantic imported by the quick way: " + name)
            return None

    sys.meta_path.insert(0, Refuse())
    from pathlib import Path
    from guangxi_subsidy.data import examples
    import guangxi_subsidy.engine.applicant.fields
    import guangxi_subsidy.engine.applicant.fieldtable
    import guangxi_subsidy.engine.applicant.plain
    from guangxi_subsidy.engine.applicant.reading import load_applicant
    profile = load_applicant(Path(examples()["nanning_incubation_base"]))
    assert type(profile).__name__ == "PlainProfile", profile
    assert not any(m.startswith("pydantic") for m in sys.modules), sorted(sys.modules)
    print("no pydantic")
""")


def test_reading_and_checking_a_valid_profile_imports_no_pydantic() -> None:
    done = subprocess.run([sys.executable, "-c", NO_PYDANTIC], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "no pydantic"


# The modules `subsidy evaluate` runs through to read, evaluate and tell a profile (the rule pack's own apart).
EVALUATE_PATH = ("engine/applicant/fieldtable.py", "engine/applicant/fields.py", "engine/applicant/plain.py",
                 "engine/applicant/reading.py", "engine/applicant/values.py", "engine/applicant/spellings.py",
                 "engine/evaluation/evaluate.py", "engine/evaluation/nearmiss.py", "engine/answers/sentences.py",
                 "engine/answers/table.py", "engine/answers/document.py", "engine/answers/chinese.py",
                 "engine/answers/shown.py", "cli/evaluate.py")


def _imported_at_import(path: Path) -> set[str]:
    """The modules a module's own top level imports (not inside a function, not for the type checker alone)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for inner in ast.walk(node) if not isinstance(node, ast.FunctionDef | ast.ClassDef) else ():
            if isinstance(inner, ast.Import):
                found.update(alias.name for alias in inner.names)
            elif isinstance(inner, ast.ImportFrom) and inner.module:
                found.add(inner.module)
    return found


@pytest.mark.parametrize("module", EVALUATE_PATH)
def test_the_evaluate_paths_modules_import_neither_pydantic_nor_the_profile_model_at_import(module: str) -> None:
    imported = _imported_at_import(ROOT / module)
    assert imported  # (it was read)
    assert not {name for name in imported if name.split(".")[0] in ("pydantic", "pydantic_core")}
    assert "guangxi_subsidy.engine.applicant.profile" not in imported
