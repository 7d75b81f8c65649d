"""`subsidy rules guide`: the item list and application guide, a row for every item in force, in Chinese."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.rules import guide
from guangxi_subsidy.engine.rules.pack import RulePack

LATIN = re.compile(r"[A-Za-z]")


def _in_force(pack: RulePack, day: dt.date, city: str | None) -> set[str]:
    return {r.name for r in pack.rules.values() if r.status.value != "draft" and r.effective.contains(day)
            and (city is None or city in r.cities)}


def test_the_workbook_has_a_row_for_every_item_in_force_in_liuzhou(pack: RulePack, tmp_path: Path) -> None:
    out = tmp_path / "guide.xlsx"
    result = CliRunner().invoke(cli, ["rules", "guide", "--city", "柳州", "--as-of", "2018-06-01", "-o", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["事项清单", "申兑指南", "条款覆盖"]
    listed = [row[1] for row in book["事项清单"].iter_rows(min_row=3, values_only=True)]
    assert sorted(listed) == sorted(_in_force(pack, dt.date(2018, 6, 1), "liuzhou"))
    # the region's start-up loan, relayed by Nanning, is Liuzhou's too; Nanning's own rent subsidy is not
    assert "创业担保贷款" in listed and "创业孵化基地房租和宽带接入费补助" not in listed
    clauses = list(book["条款覆盖"].iter_rows(min_row=3, values_only=True))
    assert clauses and all(row[2] != "未处理" for row in clauses)


def test_no_english_word_or_field_code_reaches_a_row_but_the_verbatim_quotes(pack: RulePack) -> None:
    for item in guide.items(pack, dt.date(2018, 6, 1)) + guide.items(pack, dt.date(2017, 6, 1), "nanning"):
        shown = [item.name, item.beneficiaries, item.place, *item.conditions, item.standard, item.way, item.when,
                 item.evidence, item.departments, item.status, item.period]
        assert [t for t in shown if LATIN.search(t)] == [], item.rule_id


def test_the_rent_subsidy_s_standard_reads_the_rate_and_the_cap_in_words(pack: RulePack) -> None:
    rent = guide.item(pack.rules["nanning.incubation_base_rent_subsidy"], pack, dt.date(2017, 3, 1))
    assert "70%" in rent.standard and "55万元" in rent.standard
    assert rent.way == "资金补贴" and rent.status == "现行有效"
    assert rent.basis[0].clause == "三(四)18" and "70%" in rent.basis[0].quote


def test_html_and_pdf_are_written_and_a_bad_suffix_or_folder_exits_2(tmp_path: Path) -> None:
    runner = CliRunner()
    for name in ("guide.html", "guide.pdf"):
        result = runner.invoke(cli, ["rules", "guide", "--as-of", "2022-01-01", "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).stat().st_size > 1000
    assert "申兑指南" in (tmp_path / "guide.html").read_text(encoding="utf-8")
    assert runner.invoke(cli, ["rules", "guide", "-o", str(tmp_path / "guide.doc")]).exit_code == 2
    assert runner.invoke(cli, ["rules", "guide", "-o", str(tmp_path / "no" / "guide.xlsx")]).exit_code == 2
    assert runner.invoke(cli, ["rules", "guide", "--city", "火星", "-o", str(tmp_path / "g.xlsx")]).exit_code == 2
