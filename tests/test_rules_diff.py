"""`subsidy rules diff OLD NEW`: what changed between two packs, and who gains or loses how much."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

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


def test_rules_diff_runs_between_two_folders_and_a_bad_side_exits_2(tmp_path: Path) -> None:
    runner = CliRunner()
    new = _changed_copy(tmp_path)
    result = runner.invoke(cli, ["rules", "diff", str(DEFAULT_RULES), str(new), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {r["rule_id"] for r in data["rules"]} == {"nanning.incubation_base_rent_subsidy",
                                                      "nanning.startup_guaranteed_loan"}
    assert runner.invoke(cli, ["rules", "diff", str(DEFAULT_RULES), "no-such-revision-xyz"]).exit_code == 2
