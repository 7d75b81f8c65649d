"""What people type is read by one reader: a profile and a batch cell accept and refuse the same spellings."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.applicant.reading import ProfileError, load_profile, parse_profile
from guangxi_subsidy.engine.applicant.spellings import SYNONYMS
from guangxi_subsidy.engine.applicant.values import money as read_money
from guangxi_subsidy.engine.i18n import set_language
from guangxi_subsidy.engine.intake.frames import read_cells

BASE = {"id": "X-1", "kind": "enterprise", "city": "南宁"}

# (field, cell, accepted): spellings from every table, and near misses that must be refused.
CELLS = [
    ("kind", "创业孵化基地", True), ("kind", "孵化基地", True), ("kind", "公司", True), ("kind", "众创空间", True),
    ("kind", "合伙人", False), ("kind", "企 业", False),
    ("lender_type", "银行", True), ("lender_type", "小贷公司", True), ("lender_type", "典当行", False),
    ("city", "南宁市青秀区", True), ("city", "广西南宁市横县", True), ("city", "梧州市岑溪市", True),
    ("city", "深圳", False), ("city", "南宁市abc", False),
    ("rent_and_broadband_paid", "12亿", True), ("rent_and_broadband_paid", "¥900,000", True),
    ("rent_and_broadband_paid", "￥９００，０００．５０", True), ("rent_and_broadband_paid", "90万元", True),
    ("rent_and_broadband_paid", "1.2E+07", True), ("rent_and_broadband_paid", "九十万", False),
    ("rent_and_broadband_paid", "12.345", False), ("rent_and_broadband_paid", "-5", False),
    ("in_incubation_base", "√", True), ("in_incubation_base", "有", True), ("in_incubation_base", "×", True),
    ("in_incubation_base", "无", True), ("in_incubation_base", "也许", False),
    ("as_of", "20170301", True), ("as_of", "2017/6/30", True), ("as_of", "2017年6月30日", True),
    ("as_of", "20170231", False), ("as_of", "2017-13-01", False),
    ("months_operating_in_base", "12个月", True), ("months_operating_in_base", "１２", True),
    ("months_operating_in_base", "12年", False),
    ("guangxi_new_product_share", "85％", True), ("guangxi_new_product_share", "150%", False),
]


def profile_accepts(field: str, text: str) -> bool:
    try:
        parse_profile({**BASE, field: text})
    except ProfileError:
        return False
    return True


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("field", "text", "accepted"), CELLS)
def test_a_profile_accepts_exactly_the_documented_spellings(field: str, text: str, accepted: bool) -> None:
    assert profile_accepts(field, text) is accepted


def test_a_batch_file_and_a_profile_accept_and_refuse_the_same_cells(tmp_path: Path) -> None:
    fields = sorted({f for f, _, _ in CELLS})
    header = ["id", "kind", "city", *[f for f in fields if f not in ("kind", "city")]]
    lines = [",".join(header)]
    for number, (field, text, _) in enumerate(CELLS):
        row = {**BASE, "id": f"R{number}", field: text}
        lines.append(",".join(f'"{row.get(name, "")}"' for name in header))
    source = tmp_path / "cells.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "r.csv"), "-q", "--as-of", "2017-06-30")
    assert code == 0, err
    results = pl.read_csv(tmp_path / "r.csv", infer_schema=False)
    accepted_in_batch = {int(i[1:]) for i in results["id"].to_list()}
    for number, (field, text, _) in enumerate(CELLS):
        assert (number in accepted_in_batch) is profile_accepts(field, text), (field, text)


def test_the_column_readers_hand_back_what_they_do_not_read_and_the_model_reads_it(tmp_path: Path) -> None:
    """The fast path reads the common spellings; a new one (亿, ¥, √, 20170301, a district) is left to the model."""
    cells = pl.DataFrame({
        "row": [2, 3, 4, 5, 6],
        "id": ["a", "b", "c", "d", "e"],
        "kind": ["企业", "创业孵化基地", "企业", "企业", "企业"],
        "city": ["南宁", "南宁", "南宁", "南宁", "南宁市青秀区"],
        "rent_and_broadband_paid": ["900000", "900000", "12亿", "¥900000", "900000"],
        "in_incubation_base": ["是", "是", "是", "√", "是"],
        "as_of": ["2017-03-01", "2017-03-01", "2017-03-01", "20170301", "2017-03-01"],
    })
    reading = read_cells(cells)
    unread = reading.typed.filter(reading.unread)["row"].to_list()
    assert unread == [4, 5, 6]  # 创业孵化基地 is in the one table, read at column speed; the others are handed back
    source = tmp_path / "cells.csv"
    cells.drop("row").write_csv(source)
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "r.csv"), "-q")
    assert code == 0, err
    assert pl.read_csv(tmp_path / "r.csv", infer_schema=False)["id"].to_list() == ["a", "b", "c", "d", "e"]


def test_the_synonyms_of_a_choice_begin_with_its_chinese_label() -> None:
    from guangxi_subsidy.engine.applicant.spellings import CITY_LABELS, KIND_LABELS, LENDER_LABELS

    for field, labels in (("kind", KIND_LABELS), ("city", CITY_LABELS), ("lender_type", LENDER_LABELS)):
        for code, label in labels.items():
            assert SYNONYMS[field][code][0] == label


def test_money_in_yi_and_wan_is_exact() -> None:
    assert read_money("12亿") == Decimal("1200000000")
    assert read_money("1.23456789亿") == Decimal("123456789")
    assert read_money("￥1，234．56") == Decimal("1234.56")


def test_a_profile_with_chinese_keys_and_spellings_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "firm.yaml"
    path.write_text(
        "申请人编号: NN-FIRM-7\n申请人类型: 公司\n所在城市: 南宁市青秀区\n评估日期: 2017/6/30\n"
        "入驻创业孵化基地: 是\n与基地签订场地租用合同: 有\n在基地正常纳税经营月数: 12\n依法足额缴纳社会保险费: √\n"
        "已获一次性补贴: 否\n实际缴纳房租和宽带接入费: 90万\n",
        encoding="utf-8",
    )
    profile = load_profile(path)
    assert (profile.kind, profile.city, profile.district) == ("enterprise", "nanning", "青秀区")
    assert profile.as_of == dt.date(2017, 6, 30)
    assert profile.rent_and_broadband_paid == Decimal("900000")
    assert profile.in_incubation_base is True and profile.one_time_subsidy_received is False
    code, out, err = run("evaluate", str(path), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["applicant"]["district"] == "青秀区"
    # 002 三(四)20: 入孵企业 … 正常纳税经营满1年并依法足额缴纳社会保险费的, 给予2000/户的一次性补贴
    one_time = [b for b in data["benefits"] if b["rule_id"] == "nanning.incubated_firm_one_time_subsidy"]
    assert one_time and one_time[0]["amount"]["value"] == "2000.00"


def test_a_yaml_date_written_as_eight_digits_is_a_date_not_a_timestamp() -> None:
    profile = parse_profile({**BASE, "as_of": 20170301})
    assert profile.as_of == dt.date(2017, 3, 1)


def test_errors_are_in_chinese_with_the_label_the_value_the_choices_and_a_near_miss() -> None:
    try:
        set_language("zh")
        with pytest.raises(ProfileError) as caught:
            parse_profile({**BASE, "kind": "孵化基", "industrial_enterprise": "也许", "monthly_sales": "abc"})
        text = str(caught.value)
        assert "申请人类型 (kind)" in text and "“孵化基”" in text and "众创空间/创业孵化基地（incubation_base）" in text
        assert "您是不是要填" in text
        assert "工业企业 (industrial_enterprise)" in text and "是/否" in text
        assert "月销售额 (monthly_sales)" in text and "金额" in text
        with pytest.raises(ProfileError) as caught:
            parse_profile({**BASE, "months_operating_in_base": "-1"})
        assert "不能小于 0" in str(caught.value)
    finally:
        set_language(None)


def test_the_accountants_five_rows_typed_in_a_template_are_all_evaluated(tmp_path: Path) -> None:
    """Five rows as an accountant types them into a workbook (labels as headers); every one is evaluated.

    Worked from the documents:
      row 2, 3: 002 三(四)18, 70% of 900,000 = 630,000, capped at 55万 → 550,000.00 each
      row 4: 000 (36), 0.6% of the growth 12亿 − 10亿 = 200,000,000 × 0.006 → 1,200,000.00
      row 5: 002 三(四)20, one-time subsidy for a firm in a base for a full year → 2,000.00
      row 6: 002 三(四)20 again, with √ and 有 for yes → 2,000.00
    """
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["序号", "申请人编号", "申请人类型", "所在城市", "评估日期", "经认定为创业孵化基地",
                  "实际缴纳房租和宽带接入费（元）", "已享受房租补助年数", "放贷机构类型", "上年度小微企业贷款平均余额",
                  "当年小微企业贷款平均余额", "入驻创业孵化基地", "在基地正常纳税经营月数", "依法足额缴纳社会保险费",
                  "已获一次性补贴", "备注"])
    sheet.append([1, "JD-1", "创业孵化基地", "南宁市青秀区", "20170301", "是", "¥900,000", 0, None, None, None,
                  None, None, None, None, "首年"])
    sheet.append([2, "JD-2", "孵化基地", "南宁", "2017/3/1", "√", "90万", 0, None, None, None, None, None, None,
                  None, None])
    sheet.append([3, "BK-1", "金融机构", "桂林市", "2019-01-15", None, None, None, "银行", "10亿", "12亿", None,
                  None, None, None, None])
    sheet.append([4, "QY-1", "公司", "南宁", "2017年6月30日", None, None, None, None, None, None, "是", "12个月",
                  "是", "否", None])
    sheet.append([5, "QY-2", "企业", "南宁市", "2017-06-30", None, None, None, None, None, None, "有", 12, "√",
                  "×", None])
    source = tmp_path / "book.xlsx"
    book.save(source)
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "results.csv"), "-q")
    assert code == 0, err
    assert "序号" in err and "备注" in err  # listed once as not read
    results = pl.read_csv(tmp_path / "results.csv", infer_schema=False)
    assert results["id"].to_list() == ["JD-1", "JD-2", "BK-1", "QY-1", "QY-2"]
    amounts = dict(zip(results["id"], results["grants"], strict=True))
    assert amounts == {"JD-1": "550000.00", "JD-2": "550000.00", "BK-1": "1200000.00", "QY-1": "2000.00",
                       "QY-2": "2000.00"}
