"""Workbooks in and out: the template people fill, the results workbook, byte order marks, extra columns, the
exit code for rejected rows."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.batch.sinks import BOM
from guangxi_subsidy.engine.intake.template import SHEET_NAMES, fields_by_kind


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def filled_template(tmp_path: Path) -> Path:
    """The template, with two incubation bases, an enterprise and a bad row typed in."""
    path = tmp_path / "book.xlsx"
    assert run("template", str(path))[0] == 0
    book = load_workbook(path)
    base = book[SHEET_NAMES["incubation_base"]]
    heads = [c.value for c in base[2]]  # row 2: the field names
    for values in ({"id": "JD-1", "city": "南宁市青秀区", "as_of": "2017-03-01", "recognised_incubation_base": "是",
                    "rent_and_broadband_paid": 900000, "rent_subsidy_years_received": 0},
                   {"id": "JD-2", "city": "南宁", "as_of": "2017-03-01", "recognised_incubation_base": "是",
                    "rent_and_broadband_paid": "20万", "rent_subsidy_years_received": 0}):
        base.append([values.get(h) for h in heads])
    firm = book[SHEET_NAMES["enterprise"]]
    heads = [c.value for c in firm[2]]
    for values in ({"id": "QY-1", "city": "南宁", "as_of": "2017-06-30", "in_incubation_base": "是",
                    "months_operating_in_base": 12, "social_insurance_paid_in_full": "是",
                    "one_time_subsidy_received": "否"},
                   {"id": "QY-2", "city": "深圳", "as_of": "2017-06-30"}):
        firm.append([values.get(h) for h in heads])
    book.save(path)
    return path


def test_the_template_has_a_sheet_per_kind_with_only_its_fields_units_and_dropdowns(tmp_path: Path, pack) -> None:
    path = tmp_path / "book.xlsx"
    code, _, err = run("template", str(path))
    assert code == 0, err
    book = load_workbook(path)
    assert book.sheetnames[0] == "填写说明"
    assert set(book.sheetnames[1:]) == set(SHEET_NAMES.values())
    kinds = fields_by_kind(pack)
    base = book[SHEET_NAMES["incubation_base"]]
    assert [c.value for c in base[2]] == kinds["incubation_base"]
    assert "rent_and_broadband_paid" in kinds["incubation_base"] and "monthly_sales" not in kinds["incubation_base"]
    labels = [c.value for c in base[1]]
    assert "实际缴纳房租和宽带接入费（元）" in labels and "已享受房租补助年数（年）" in labels
    lists = {str(v.sqref).split(":")[0][:1]: v.formula1 for v in base.data_validations.dataValidation}
    column = "ABCDEFGHIJ"[kinds["incubation_base"].index("recognised_incubation_base")]
    assert lists[column] == '"是,否"'
    assert base.column_dimensions["A"].width > 8


def test_a_filled_template_of_several_sheets_runs_into_a_results_workbook(tmp_path: Path) -> None:
    source = filled_template(tmp_path)
    out = tmp_path / "results.xlsx"
    code, _, err = run("batch", str(source), "-o", str(out), "-q")
    assert code == 0, err
    book = load_workbook(out)
    assert book.sheetnames == ["结果", "未通过的行", "合计", "说明"]
    results = book["结果"]
    head = [c.value for c in results[1]]
    # only benefits that apply to someone in the file, headed by their names
    assert "创业孵化基地房租和宽带接入费补助" in head and "入孵企业一次性补贴" in head
    assert not any(str(h).startswith(("nanning.", "guangxi.")) for h in head)
    rows = {r[1]: dict(zip(head, r, strict=False)) for r in results.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"JD-1", "JD-2", "QY-1"}
    # 002 三(四)18: 900,000 × 70% = 630,000, capped at 55万; 200,000 × 70% = 140,000 (below the cap)
    assert rows["JD-1"]["创业孵化基地房租和宽带接入费补助"] == 550000
    assert rows["JD-2"]["创业孵化基地房租和宽带接入费补助"] == 140000
    assert rows["QY-1"]["入孵企业一次性补贴"] == 2000  # 002 三(四)20: 2000元/户
    assert rows["JD-1"]["申请人类型"] == "众创空间/创业孵化基地" and rows["JD-1"]["所在城市"] == "南宁"
    assert rows["JD-1"]["所在区县"] == "青秀区"
    assert rows["JD-1"]["表·行号"] == "创业孵化基地 第 3 行"
    column = head.index("创业孵化基地房租和宽带接入费补助") + 1
    line = [r[1] for r in results.iter_rows(min_row=1, values_only=True)].index("JD-1") + 1
    assert results.cell(row=line, column=column).number_format == "#,##0.00"
    assert results.freeze_panes == "C2"
    rejected = [r for r in book["未通过的行"].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[1], r[3]) for r in rejected] == [("企业 第 4 行", "QY-2", "所在城市")]
    totals = [r for r in book["合计"].iter_rows(values_only=True) if r[0]]
    assert any(r[0] == "创业孵化基地房租和宽带接入费补助" and r[3] == 690000 for r in totals)
    assert any(r[0] == "南宁市人社局" for r in totals)  # a Nanning document's 市人社局, named with its city
    about = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True)}
    assert len(about["规则摘要"]) >= 16 and about["引擎版本"]


def test_csv_outputs_start_with_a_byte_order_mark_unless_asked_not_to(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("id,kind,city\nA,企业,南宁\nB,企业,深圳\n", encoding="utf-8")
    assert run("batch", str(source), "-o", str(tmp_path / "r.csv"), "-q")[0] == 0
    assert (tmp_path / "r.csv").read_bytes().startswith(BOM + b"row,id,")
    assert (tmp_path / "r.errors.csv").read_bytes().startswith(BOM + b"row,")
    assert run("batch", str(source), "-o", str(tmp_path / "p.csv"), "-q", "--no-bom")[0] == 0
    assert (tmp_path / "p.csv").read_bytes().startswith(b"row,id,")
    assert pl.read_csv(tmp_path / "r.csv")["id"].to_list() == ["A"]  # a reader of CSV files skips the mark


def test_columns_that_name_no_field_are_listed_once_and_not_read(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("序号,id,kind,city,备注\n1,A,企业,南宁,首批\n2,B,企业,南宁,\n", encoding="utf-8")
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "r.csv"), "-q")
    assert code == 0, err
    assert err.count("序号") == 1 and "备注" in err
    assert pl.read_csv(tmp_path / "r.csv")["id"].to_list() == ["A", "B"]
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "s.csv"), "-q", "--strict-columns")
    assert code == 2 and "序号" in err


EXTRA_COLUMNS = ("序号,id,kind,city,as_of,recognised_incubation_base,rent_and_broadband_paid,"
                 "rent_subsidy_years_received,备注\n"
                 "7,NN-A,创业孵化基地,南宁,2017-03-01,是,900000,0,首批\n"
                 "8,NN-B,企业,深圳,2017-03-01,,,,\n"  # rejected: not a Guangxi city
                 "9,NN-C,企业,南宁,2017-03-01,,,,=1+1\n")


def test_columns_not_read_are_carried_to_each_results_row_untouched(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text(EXTRA_COLUMNS, encoding="utf-8")
    for name, extra in (("r.csv", ()), ("p.parquet", ()), ("c.csv", ("--engine", "reference"))):
        code, _, err = run("batch", str(source), "-o", str(tmp_path / name), "-q", *extra)
        assert code == 0, err
        results = pl.read_parquet(tmp_path / name) if name.endswith(".parquet") else pl.read_csv(
            tmp_path / name, infer_schema=False)
        assert results.columns[-2:] == ["序号", "备注"], name  # after the results, as the file had them
        got = {r["id"]: (r["序号"], r["备注"]) for r in results.iter_rows(named=True)}
        # in CSV, a text cell that a spreadsheet would read as a formula gets a leading ' (as names do)
        formula = "'=1+1" if name.endswith(".csv") else "=1+1"
        assert got == {"NN-A": ("7", "首批"), "NN-C": ("9", formula)}, name
        # 002 三(四)18: 70% of 900,000 is 630,000, capped at 550,000 a year
        assert results.filter(pl.col("id") == "NN-A")["nanning.incubation_base_rent_subsidy"].to_list() in (
            ["550000.00"], [Decimal("550000.00")]), name


def test_the_compiled_reader_carries_the_columns_not_read_as_the_usual_readers_do(tmp_path: Path,
                                                                                 monkeypatch: Any) -> None:
    from guangxi_subsidy.engine import native
    from guangxi_subsidy.engine.intake import csvsource

    if not native.AVAILABLE:
        pytest.skip("the compiled passes are not built here")
    rows = [line for line in EXTRA_COLUMNS.splitlines()[1:]]
    many = [EXTRA_COLUMNS.splitlines()[0]] + [f"{n}," + r.split(",", 1)[1].replace("NN-", f"R{n}-") for n, r in
                                              enumerate(rows * 200, start=1)]
    source = tmp_path / "a.csv"
    source.write_text("\n".join(many) + "\n", encoding="utf-8")
    monkeypatch.setattr(csvsource, "SCAN_BLOCK", 4096)  # many blocks, parsed two at a time
    out = {}
    for way, threshold in (("compiled", 0), ("usual", 1 << 60)):
        monkeypatch.setattr(csvsource, "COMPILED_FROM", threshold)
        code, _, err = run("batch", str(source), "-o", str(tmp_path / f"{way}.csv"), "-q")
        assert code == 0, err
        out[way] = (tmp_path / f"{way}.csv").read_bytes()
    assert out["compiled"] == out["usual"]
    results = pl.read_csv(tmp_path / "compiled.csv", infer_schema=False)
    assert results.height == 400 and results["序号"].to_list()[:3] == ["1", "3", "4"]  # row 2's city is 深圳


def test_the_results_workbook_carries_the_columns_not_read(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text(EXTRA_COLUMNS, encoding="utf-8")
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "r.xlsx"), "-q")
    assert code == 0, err
    sheet = load_workbook(tmp_path / "r.xlsx")["结果"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    head = rows[0]
    assert head[-2:] == ["序号", "备注"]
    by_id = {r[1]: r for r in rows[1:]}
    assert (by_id["NN-A"][-2], by_id["NN-A"][-1]) == ("7", "首批")
    assert by_id["NN-C"][-1] == "=1+1"  # text, not a formula
    assert by_id["NN-A"][head.index("补助合计（元）")] == 550000


def test_rejected_rows_give_exit_code_3_when_asked_and_the_last_line_says_where(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("id,kind,city\nA,企业,南宁\nB,企业,深圳\nC,,南宁\n", encoding="utf-8")
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "r.csv"), "-q")
    assert code == 0
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "r.csv"), "-q", "--fail-on-rejected")
    assert code == 3
    last = err.strip().splitlines()[-1]
    assert "2 rows rejected" in last and "r.errors.csv" in last
    clean = tmp_path / "b.csv"
    clean.write_text("id,kind,city\nA,企业,南宁\n", encoding="utf-8")
    assert run("batch", str(clean), "-o", str(tmp_path / "c.csv"), "-q", "--fail-on-rejected")[0] == 0


def test_the_summary_names_one_department_once_across_documents(tmp_path: Path) -> None:
    import json

    source = tmp_path / "a.csv"
    source.write_text(
        "id,kind,city,as_of,lender_type,sme_loan_avg_balance_previous,sme_loan_avg_balance_current\n"
        "BK,金融机构,桂林,2019-01-15,银行,10亿,12亿\n", encoding="utf-8")
    summary = tmp_path / "s.json"
    assert run("batch", str(source), "-o", str(tmp_path / "r.csv"), "-q", "--summary", str(summary))[0] == 0
    data = json.loads(summary.read_text(encoding="utf-8"))
    names = [d["department"] for d in data["departments"]]
    assert "自治区工业和信息化厅" in names and "自治区工业和信息化委" not in names
    assert field_labels()["kind"] == "申请人类型"
