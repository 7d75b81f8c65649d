"""The results workbook as people use it: the template's own several-sheet shape carries its notes, rows are named
as the sheet shows them, a blank "already received" field is named with the money it holds back (or read as none
when asked), the sheets print on A4 landscape one page wide, and totals cite documents, not rule ids."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.intake.template import SHEET_NAMES

FIRM = {"id": "QY-9", "city": "南宁", "as_of": "2018-12-31", "in_incubation_base": "是", "months_operating_in_base": 10,
        "social_insurance_paid_in_full": "是", "registered_unemployed_hired": 3, "employment_aid_targets_hired": 0,
        "graduates_hired": 25}  # graduate_loan_quota_used (已享受贴息贷款额度) left blank
BASE = {"id": "JD-1", "city": "南宁", "as_of": "2017-03-01", "recognised_incubation_base": "是",
        "rent_and_broadband_paid": 900000}  # rent_subsidy_years_received (已享受房租补助年数) left blank



@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """These tests run the command in Chinese; the tests that follow expect the process's language back."""
    yield
    from guangxi_subsidy.engine.i18n import set_language

    set_language("en")

def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--lang", "zh", *args], env={"COLUMNS": "200"}, catch_exceptions=False)
    return result.exit_code, result.stderr


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template with a 备注 column on two sheets, the firm and the base above, and a repeat of the firm."""
    path = tmp_path_factory.mktemp("book") / "book.xlsx"
    assert run("template", str(path))[0] == 0
    workbook = load_workbook(path)
    for kind, rows in (("enterprise", [(FIRM, "会计送来"), (None, None), (FIRM, "重复")]),
                       ("incubation_base", [(BASE, "首批")])):
        sheet = workbook[SHEET_NAMES[kind]]
        heads = [c.value for c in sheet[2]]
        sheet.cell(row=1, column=len(heads) + 1, value="备注")
        for values, note in rows:
            sheet.append([(values or {}).get(h) for h in heads] + [note])
    workbook.save(path)
    return path


def results(path: Path) -> dict[str, dict[str, Any]]:
    sheet = load_workbook(path)["结果"]
    rows = list(sheet.iter_rows(values_only=True))
    return {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}


@pytest.fixture(scope="module")
def plain(book: Path) -> Path:
    out = book.with_name("r.xlsx")
    code, err = run("batch", str(book), "-o", str(out), "-q")
    assert code == 0, err
    return out


def test_the_notes_column_of_a_several_sheet_book_comes_back_beside_each_result(plain: Path) -> None:
    rows = results(plain)
    assert rows["QY-9"]["备注"] == "会计送来" and rows["JD-1"]["备注"] == "首批"


def test_a_blank_quota_used_is_named_with_the_subsidy_it_holds_back(plain: Path) -> None:
    rows = results(plain)
    # 002 三(四)20: interest on min(25 × 10万, 200万) = 2,000,000 at 4.35% = 87,000.00, if none of the quota is used
    assert "已享受贴息贷款额度" in rows["QY-9"]["缺少资料"] and "87,000.00 元" in rows["QY-9"]["缺少资料"]
    # 002 三(四)18: 900,000 × 70% = 630,000, capped at 55万 = 550,000.00, if no year was received yet
    assert "已享受房租补助年数" in rows["JD-1"]["缺少资料"] and "550,000.00 元" in rows["JD-1"]["缺少资料"]
    assert rows["QY-9"]["补助合计（元）"] == 4500  # 3 × 1,500: what the firm gets as its answers stand
    notes = plain.with_name("r.errors.csv").read_text(encoding="utf-8-sig")
    assert "graduate_loan_quota_used" in notes and "87,000.00" in notes


def test_assume_none_received_reads_the_blanks_as_none_and_says_so(book: Path) -> None:
    out = book.with_name("assumed.xlsx")
    code, err = run("batch", str(book), "-o", str(out), "-q", "--assume-none-received")
    assert code == 0, err
    rows = results(out)
    # 3 × 1,500 + 87,000 = 91,500.00; the base: 550,000.00
    assert rows["QY-9"]["补助合计（元）"] == 91500 and rows["JD-1"]["补助合计（元）"] == 550000
    assert "已按未享受计算：已享受贴息贷款额度" in rows["QY-9"]["状态"]
    assert "已按未享受计算：已享受房租补助年数" in rows["JD-1"]["状态"]
    notes = out.with_name("assumed.errors.csv").read_text(encoding="utf-8-sig")
    assert "已按未享受（0）计算" in notes


def test_rows_are_named_by_sheet_in_the_rejected_rows_and_their_reasons(plain: Path) -> None:
    rejected = list(load_workbook(plain)["未通过的行"].iter_rows(min_row=2, values_only=True))
    repeat = next(r for r in rejected if r[1] == "QY-9")
    assert repeat[0] == "企业 第 5 行" and "企业 第 3 行" in repeat[5] and "10000003" not in repeat[5]
    notes = plain.with_name("r.errors.csv").read_text(encoding="utf-8-sig")
    assert "同一申请人在企业 第 3 行" in notes


def test_every_sheet_prints_landscape_one_page_wide_with_its_heading_repeated(plain: Path) -> None:
    workbook = load_workbook(plain)
    for name in ("结果", "未通过的行", "合计"):
        sheet = workbook[name]
        assert sheet.page_setup.orientation == "landscape", name
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth in (1, None), name
        assert sheet.page_setup.fitToHeight == 0, name
        assert sheet.print_title_rows == "$1:$1", name
    head = [c for c in next(workbook["结果"].iter_rows(max_row=1))]
    state = next(c for c in head if c.value == "状态")
    assert workbook["结果"].cell(row=2, column=state.column).alignment.wrap_text


def test_totals_cite_documents_and_list_only_departments_someone_is_eligible_from(plain: Path) -> None:
    rows = [r for r in load_workbook(plain)["合计"].iter_rows(values_only=True) if r[0]]
    benefit = next(r for r in rows if r[0] == "入孵企业吸纳登记失业人员一次性补助")
    assert "南府办〔2016〕34号" in benefit[1] and "三(四)20" in benefit[1]
    start = next(i for i, r in enumerate(rows) if r[0] == "牵头部门")
    assert [r[0] for r in rows[start + 1:]] == ["南宁市人社局"]


def test_two_benefits_of_one_name_get_headers_of_their_own(pack) -> None:
    from guangxi_subsidy.engine.batch.layouts import RuleInfo
    from guangxi_subsidy.engine.batch.workbook import Workbook

    first, second = list(pack.rules)[:2]
    rules = [RuleInfo(first, "同名补贴", "cash_subsidy", False, (), "formula"),
             RuleInfo(second, "同名补贴", "cash_subsidy", True, (), "formula")]
    heads = Workbook(rules, pack=pack).headers([first, second])
    assert len(set(heads)) == 2 and heads[1].endswith("（征求意见稿）")
    assert pack.rules[first].rule.source.clause in heads[0]


def test_a_reform_is_written_as_baseline_reform_and_difference_sheets(book: Path) -> None:
    out = book.with_name("reform.xlsx")
    reform = Path(__file__).resolve().parent.parent / "cases/reforms/rent_cap_60wan.yaml"
    code, err = run("batch", str(book), "-o", str(out), "-q", "--reform", str(reform), "--assume-none-received")
    assert code == 0, err
    workbook = load_workbook(out)
    assert workbook.sheetnames[:3] == ["基准结果", "改革方案结果", "差异"]
    rows = list(workbook["差异"].iter_rows(values_only=True))
    head, changed = rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert not any(str(h).isascii() for h in head)  # every head in Chinese
    # 002 三(四)18: 900,000 × 70% = 630,000, capped at 55万 (baseline) or 60万 (the reform): +50,000.00
    assert [(r["申请人编号"], r["补助（基准，元）"], r["补助（改革方案，元）"], r["补助差额（元）"]) for r in changed] \
        == [("JD-1", 550000, 600000, 50000)]
    assert changed[0]["结果有变化的补贴"] == "创业孵化基地房租和宽带接入费补助"
    assert not out.with_name("reform.reform.xlsx").exists()  # one workbook holds both sides


def test_a_second_date_is_written_into_the_workbook_too(book: Path) -> None:
    out = book.with_name("dates.xlsx")
    code, err = run("batch", str(book), "-o", str(out), "-q", "--compare-as-of", "2019-06-30")
    assert code == 0, err
    assert load_workbook(out).sheetnames[:3] == ["基准结果", "2019-06-30 结果", "差异"]


def test_a_region_rule_a_city_document_relays_names_that_citys_departments() -> None:
    from guangxi_subsidy.engine.batch.evaluator import Evaluator

    rules = {info.id: info for info in Evaluator().rules}
    # 002 (Nanning's document) relays the region's 新三板 grant to 市金融办: Nanning's, one name with the city's own
    assert rules["guangxi.neeq_listing_region_grant"].lead == "南宁市金融办"
    assert rules["nanning.bond_issuance_award"].lead == "南宁市金融办"
