"""`subsidy rules diff OLD NEW`: what changed between two packs, and who gains or loses how much."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.rules.pack import DEFAULT_RULES, load_pack
from guangxi_subsidy.engine.scenarios.packdiff import impact, rule_changes

NANNING_FILE = "002_nanning_mass_entrepreneurship_2016.yaml"


def _changed_copy(tmp_path: Path) -> Path:
    """The pack with the rent subsidy's rate lowered to 60% and the loan made Nanning's again."""
    new = tmp_path / "new"
    shutil.copytree(DEFAULT_RULES, new)
    path = new / NANNING_FILE
    text = path.read_text(encoding="utf-8")
    text = text.replace("formula: rent_and_broadband_paid * 70%", "formula: rent_and_broadband_paid * 60%", 1)
    text = text.replace("    jurisdiction: guangxi\n    jurisdiction_quote: 按照自治区相关政策\n", "", 1)
    path.write_text(text, encoding="utf-8")
    return new


def test_the_changed_amount_and_place_are_named_in_chinese(tmp_path: Path) -> None:
    old, new = load_pack([DEFAULT_RULES]), load_pack([_changed_copy(tmp_path)])
    changes = {c.rule_id: c for c in rule_changes(old, new)}
    assert set(changes) == {"nanning.incubation_base_rent_subsidy", "nanning.startup_guaranteed_loan"}
    rent = changes["nanning.incubation_base_rent_subsidy"]
    assert rent.change == "变更" and any("70%" in d and "60%" in d for d in rent.details)
    assert "适用地区：广西各市 → 南宁" in changes["nanning.startup_guaranteed_loan"].details


def test_applicants_gain_or_lose_the_money_worked_by_hand(tmp_path: Path) -> None:
    old, new = load_pack([DEFAULT_RULES]), load_pack([_changed_copy(tmp_path)])
    base = Profile(id="NN-B", kind="incubation_base", city="nanning", as_of="2017-03-01",
                   recognised_incubation_base=True, rent_and_broadband_paid=500000, rent_subsidy_years_received=0)
    founder = Profile(id="LZ-F", kind="individual", city="liuzhou", as_of="2017-05-01",
                      meets_startup_loan_conditions=True, loan_requested=80000)
    result = impact(old, new, [base, founder])
    # rent: 500,000 × 70% = 350,000 before, 500,000 × 60% = 300,000 after: −50,000
    rent = result.by_benefit["创业孵化基地房租和宽带接入费补助"]
    assert (rent.before, rent.after) == (Decimal("350000.00"), Decimal("300000.00"))
    assert rent.difference == Decimal("-50000.00")
    # the Liuzhou founder's 80,000 quota is lost when the loan is Nanning's only
    assert result.by_benefit["创业担保贷款"].difference == Decimal("-80000.00")
    assert sorted(w for w, _ in result.losers) == ["LZ-F", "NN-B"] and result.gainers == []


APPLICANT_ROWS = [  # the rent subsidy's base and the Liuzhou founder above, as an applicant file holds them
    {"id": "NN-B", "kind": "创业孵化基地", "city": "南宁", "as_of": "2017-03-01", "recognised_incubation_base": "是",
     "rent_and_broadband_paid": "500000", "rent_subsidy_years_received": "0"},
    {"id": "LZ-F", "kind": "individual", "city": "柳州", "as_of": "2017-05-01", "meets_startup_loan_conditions": "是",
     "loan_requested": "8万"},
]


def _applicant_file(folder: Path, suffix: str) -> Path:
    """The two applicants in the format the suffix names, every cell as text (as a person types it)."""
    import polars as pl

    columns = list(dict.fromkeys(k for row in APPLICANT_ROWS for k in row))
    frame = pl.DataFrame({c: [row.get(c) for row in APPLICANT_ROWS] for c in columns})
    path = folder / f"applicants{suffix}"
    if suffix == ".csv":
        frame.write_csv(path)
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(columns)
        for row in APPLICANT_ROWS:
            sheet.append([row.get(c) for c in columns])
        book.save(path)
    elif suffix == ".parquet":
        frame.write_parquet(path)
    elif suffix == ".arrow":
        import pyarrow as pa

        table = pa.table({c: [row.get(c) for row in APPLICANT_ROWS] for c in columns})
        with pa.ipc.new_file(path, table.schema) as writer:
            writer.write_table(table)
    else:
        path.write_text("\n".join(json.dumps({k: v for k, v in row.items()}, ensure_ascii=False)
                                  for row in APPLICANT_ROWS) + "\n", encoding="utf-8")
    return path


def test_every_format_subsidy_batch_reads_gives_the_diff_the_same_applicants(tmp_path: Path) -> None:
    from guangxi_subsidy.engine.scenarios.packdiff_files import applicant_profiles

    read = {s: [p.model_dump() for p in applicant_profiles(_applicant_file(tmp_path, s))]
            for s in (".csv", ".xlsx", ".parquet", ".arrow", ".jsonl")}
    assert [p["id"] for p in read[".csv"]] == ["NN-B", "LZ-F"]
    assert read[".csv"][0]["rent_and_broadband_paid"] == Decimal("500000")
    assert read[".csv"][1]["loan_requested"] == Decimal("80000")  # 8万, read as a batch cell is
    for suffix, profiles in read.items():
        assert profiles == read[".csv"], suffix


def test_rules_diff_runs_between_two_folders_and_writes_a_chinese_workbook_with_the_money(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    new = _changed_copy(tmp_path)
    out = tmp_path / "diff.xlsx"
    result = CliRunner().invoke(cli, ["rules", "diff", str(DEFAULT_RULES), str(new), "--applicants",
                                      str(_applicant_file(tmp_path, ".xlsx")), "-o", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {r["rule_id"] for r in data["rules"]} == {"nanning.incubation_base_rent_subsidy",
                                                      "nanning.startup_guaranteed_loan"}
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["规则变化", "申请人增减", "按事项", "按牵头部门", "说明"]
    money = {row[0]: row[1:] for row in book["按事项"].iter_rows(min_row=3, values_only=True)}
    # rent 500,000 × 70% = 350,000 before, × 60% = 300,000 after; the founder's 80,000 quota lost
    assert money["创业孵化基地房租和宽带接入费补助"] == ("350,000.00", "300,000.00", "-50,000.00")
    assert money["创业担保贷款"] == ("80,000.00", "0.00", "-80,000.00")
    for name in ("规则变化", "申请人增减", "按事项", "按牵头部门"):
        cells = [str(v) for row in book[name].iter_rows(values_only=True) for v in row if v is not None]
        assert [c for c in cells if re.search(r"[A-Za-z]{2,}", c) and c not in ("NN-B", "LZ-F")] == [], name


def test_a_bad_applicant_row_a_bad_output_or_a_bad_side_is_refused_naming_it(tmp_path: Path) -> None:
    from guangxi_subsidy.engine.applicant.reading import ProfileError
    from guangxi_subsidy.engine.scenarios.packdiff_files import applicant_profiles

    lines = tmp_path / "bad.jsonl"
    lines.write_text('{"id": "A", "kind": "enterprise", "city": "南宁"}\n'
                     '{"id": "B", "kind": "外星人", "city": "南宁"}\n', encoding="utf-8")
    with pytest.raises(ProfileError) as refused:
        list(applicant_profiles(lines))
    assert refused.value.source.startswith("bad.jsonl") and "外星人" in str(refused.value)
    runner = CliRunner()
    assert runner.invoke(cli, ["rules", "diff", str(DEFAULT_RULES), "no-such-revision-xyz"]).exit_code == 2
    result = runner.invoke(cli, ["rules", "diff", str(DEFAULT_RULES), str(DEFAULT_RULES), "-o",
                                 str(tmp_path / "d.csv")])
    assert result.exit_code == 2
