"""Every money figure in the source documents is encoded by a rule or explained as granting nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.rules.coverage import (
    ENCODED,
    EXPLAINED,
    MONEY_FIGURE,
    UNEXPLAINED,
    document_clauses,
    passages,
    scan,
)
from guangxi_subsidy.engine.rules.pack import DEFAULT_RULES, RulePack, load_pack

NANNING = "002_b0a6d818020c8865.txt"


def test_every_money_figure_in_the_seeds_is_encoded_or_explained(pack: RulePack) -> None:
    coverage = scan(pack)
    unexplained = [
        f"{clause.document}: {figure.text} in “{clause.text}”"
        for clause in coverage.clauses
        for figure in clause.figures
        if figure.status == UNEXPLAINED
    ]
    assert not unexplained, "money figures neither encoded nor explained:\n" + "\n".join(unexplained)
    assert coverage.complete


def test_the_scan_finds_figures_in_every_document_and_counts_add_up(pack: RulePack) -> None:
    coverage = scan(pack)
    counts = coverage.counts()
    assert counts["documents"] == len(pack.documents)  # every document of the pack is scanned
    assert {c.document for c in coverage.clauses} == set(coverage.documents)
    assert counts["figures"] == counts[ENCODED] + counts[EXPLAINED] + counts[UNEXPLAINED]
    assert counts[ENCODED] > counts[EXPLAINED] > 0


def test_every_quote_the_coverage_relies_on_is_found_in_its_document(pack: RulePack) -> None:
    assert scan(pack).unfound == ()


def test_a_figure_is_credited_to_the_rule_that_quotes_it(pack: RulePack) -> None:
    figures = {
        (clause.document, figure.text): figure for clause in scan(pack).clauses for figure in clause.figures
    }
    assert figures[(NANNING, "1300//月")].rules == ("nanning.incubated_firm_utilities_subsidy",)
    assert figures[(NANNING, "2万元")].rules == ("nanning.new_product_subsidy",)
    assert figures[(NANNING, "500万元")].rules == ("guangxi.migrant_worker_park_award",)


def test_a_target_is_explained_with_its_reason(pack: RulePack) -> None:
    explained = [
        f
        for c in scan(pack).clauses
        if c.document.startswith("001")
        for f in c.figures
        if f.text == "300亿元"
    ]
    assert explained and explained[0].status == EXPLAINED
    assert explained[0].reason and "Target" in explained[0].reason


def test_a_quote_taken_away_leaves_its_figures_unexplained(pack: RulePack) -> None:
    kept = [p for p in passages(pack) if p.rule != "nanning.first_set_purchase_subsidy"]
    coverage = scan(pack, quoted=kept)
    unexplained = {f.text for f in coverage.figures(UNEXPLAINED)}
    assert unexplained == {"60%", "100万元"}
    assert not coverage.complete


def _pack_copy(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    return rules


_SHORT = "quote: 对广西境内购买区内企业生产的国内首台(套)重大技术装备的用户"
_FULL = _SHORT + ",按照购买价格60%予以补助,补助最高100万元"


def _shorten_quote(rules: Path) -> None:
    """Cut the first-set purchase subsidy's quote to its first words: still verbatim, without its figures."""
    path = rules / "002_nanning_mass_entrepreneurship_2016.yaml"
    text = path.read_text(encoding="utf-8")
    assert _FULL in text
    path.write_text(text.replace(_FULL, _SHORT), encoding="utf-8")


def test_a_quote_removed_from_a_rule_file_makes_the_report_incomplete(tmp_path: Path) -> None:
    rules = _pack_copy(tmp_path)
    _shorten_quote(rules)
    coverage = scan(load_pack([rules]))
    lost = [
        (c.document, f.text) for c in coverage.clauses for f in c.figures if f.status == UNEXPLAINED
    ]
    assert lost == [(NANNING, "60%"), (NANNING, "100万元")]


def test_cli_coverage_exits_0_when_complete_and_1_when_a_figure_is_unexplained(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["rules", "coverage", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["complete"] is True and data["counts"][UNEXPLAINED] == 0
    assert data["counts"]["figures"] == data["counts"][ENCODED] + data["counts"][EXPLAINED]

    rules = _pack_copy(tmp_path)
    _shorten_quote(rules)
    result = CliRunner().invoke(cli, ["--rules", str(rules), "rules", "coverage"])
    assert result.exit_code == 1
    assert "60%" in result.stdout and "unexplained" in result.stdout


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("按照2万元/个的标准进行补助", ["2万元"]),
        ("不超过500万的财政奖补", ["500万"]),
        ("按0.6%给予", ["0.6%"]),
        ("达到2.1％", ["2.1％"]),
        ("最高不超过1300//月", ["1300//月"]),
        ("给予2000/户的一次性补贴", ["2000/户"]),
        ("按1500/人标准", ["1500/人"]),
        ("最高限额8000/学年", ["8000/学年"]),
        ("由原来的750/.月提高至900/.月", ["750/.月", "900/.月"]),
        ("专项1.5亿元", ["1.5亿元"]),
        ("调用次数33万次,新增就业人口65万人,市场主体100万家", []),
        ("2016613", []),
    ],
)
def test_money_figure_patterns(text: str, found: list[str]) -> None:
    assert [m.group() for m in MONEY_FIGURE.finditer(text)] == found


def test_clauses_split_at_full_stops_and_semicolons_with_offsets_into_the_normalised_text() -> None:
    raw = "第一句,含1万元。第二句；第三句\n  第四句"
    clauses = list(document_clauses(raw))
    assert [text for _, text in clauses] == ["第一句,含1万元。", "第二句;", "第三句", "第四句"]
    joined = "".join(text for _, text in clauses)
    assert all(joined[offset : offset + len(text)] == text for offset, text in clauses)
