"""Declared properties: validated at load, checked by `subsidy rules verify`, failures shrunk to a profile that
`subsidy evaluate` runs as it stands; and the pack's consistency checks, each shown to fail on a pack breaking it."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.applicant.reading import load_profile
from guangxi_subsidy.engine.rules.consistency import pack_checks
from guangxi_subsidy.engine.rules.pack import DEFAULT_RULES, RulePack, RulePackError, load_pack
from guangxi_subsidy.engine.verify.properties import verify_pack
from guangxi_subsidy.engine.yamlio import load_yaml

HEADLINE = (
    "nanning.incubation_base_rent_subsidy",
    "nanning.incubated_firm_one_time_subsidy",
    "nanning.startup_guaranteed_loan",
    "guangxi.sme_loan_risk_compensation",
)
RENT_FILE = "002_nanning_mass_entrepreneurship_2016.yaml"


def examples() -> str:
    """Profiles per property for the command, scaled from the hypothesis profile's budget."""
    return str(max(5, settings().max_examples // 6))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "250"})
    return result.exit_code, result.stdout, result.stderr


RULE = """\
schema: subsidy-rules/1
document:
  file: 005_test.txt
  title: 测试文件
  short: 测试文件
  issuer: 测试
  jurisdiction: liuzhou
  status: in_force
  effective: {{from: 2019-01-01}}
rules:
  - id: liuzhou.test_rule
    name: 测试补贴
    beneficiary: [incubation_base]
    benefit: {benefit}
    source: {{clause: 一, quote: 测试条款内容}}
    conditions:
      - id: paid
        when: rent_and_broadband_paid > 0
    amount:
{amount}
    properties:
{properties}
"""
FORMULA = "      kind: formula\n      formula: rent_and_broadband_paid * 30%"


def rule_file(tmp_path: Path, properties: str, amount: str = FORMULA, benefit: str = "cash_subsidy") -> Path:
    path = tmp_path / "005_test.yaml"
    path.write_text(RULE.format(properties=properties, amount=amount, benefit=benefit), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the format


def test_the_headline_rules_declare_properties_of_every_kind_between_them(pack: RulePack) -> None:
    kinds = set()
    for rule_id in HEADLINE:
        assert pack.rules[rule_id].properties, rule_id
        kinds |= {p.kind for p in pack.rules[rule_id].properties}
    assert kinds == {"monotone", "bounded", "zero_when_zero", "independent_of", "equals"}


def test_every_quantified_rule_declares_a_property(pack: RulePack) -> None:
    quantified = [r for r in pack.rules.values()
                  if r.rule.amount.kind in ("formula", "tiers", "range", "estimate", "up_to")]
    assert [r.id for r in quantified if not r.properties] == []


@pytest.mark.parametrize(("properties", "where", "reason"), [
    ("      - monotne: rent_and_broadband_paid", "properties.0", "unknown property 'monotne' (did you mean "
                                                                 "'monotone'?)"),
    ("      - monotone: rent_paid", "properties[0].monotone", "unknown field 'rent_paid'"),
    ("      - monotone: recognised_incubation_base", "properties[0].monotone", "needs a numeric field"),
    ("      - monotone: rent_and_broadband_paid\n        direction: down", "properties.0.monotone.direction",
     "'increasing' or 'decreasing'"),
    ("      - bounded: 5万 +", "properties[0].bounded", "column"),
    ("      - equals: rent_and_broadband_paid\n        within: {rent_and_broadband_paid: [10, 1]}",
     "properties[0].within.rent_and_broadband_paid", "the range is empty"),
    ("      - zero_when_zero: rent_and_broadband_paid\n        within: {}", "properties.0.zero_when_zero.within",
     "unknown key 'within'"),
    ("      - bounded: 1\n        monotone: rent_and_broadband_paid", "properties.0", "one property per item"),
])
def test_a_mistaken_property_is_refused_with_file_rule_and_reason(tmp_path: Path, properties: str, where: str,
                                                                 reason: str) -> None:
    path = rule_file(tmp_path, properties)
    with pytest.raises(RulePackError) as caught:
        load_pack([path])
    problem = next(p for p in caught.value.problems if reason in p.reason)
    assert (problem.file, problem.rule, problem.where) == (str(path), "liuzhou.test_rule", where)


def test_a_non_monetary_rule_may_declare_only_independence(tmp_path: Path) -> None:
    amount = "      kind: non_monetary\n      says: 免费使用场地"
    with pytest.raises(RulePackError, match="'bounded' needs an amount, but the rule's amount is non_monetary"):
        load_pack([rule_file(tmp_path, "      - bounded: 1", amount, "non_monetary")])
    pack = load_pack([rule_file(tmp_path, "      - independent_of: veteran", amount, "non_monetary")])
    assert [p.kind for p in pack.rules["liuzhou.test_rule"].properties] == ["independent_of"]


# ---------------------------------------------------------------- the command


def test_verify_passes_on_the_shipped_pack_and_reports_examples_per_property(pack: RulePack,
                                                                             tmp_path: Path) -> None:
    code, out, _ = run("rules", "verify", "--examples", examples(), "--out", str(tmp_path))
    assert code == 0, out
    declared = sum(len(r.properties) for r in pack.rules.values())
    lines = [line for line in out.splitlines() if " applied)" in line]
    assert len(lines) == declared
    assert all(line.startswith("✓") for line in lines)
    counts = [int(m.group(1)) for line in lines if (m := re.search(r"\((\d+) examples?, (\d+) applied\)", line))]
    assert len(counts) == declared and all(n > 0 for n in counts)
    for check in ("unique rule ids", "fields in the schema", "parameters in force"):
        assert f"✓ {check}: " in out
    assert f"{declared} properties hold, 0 fail" in out
    assert not list(tmp_path.iterdir()), "no counterexample when every property holds"


def _break(rules: Path) -> None:
    """The rent subsidy loses its cap; the one-time subsidy's full year turns from >= 12 months into > 12."""
    path = rules / RENT_FILE
    text = path.read_text(encoding="utf-8")
    rule = text.index("  - id: nanning.incubation_base_rent_subsidy\n")
    start = text.index("      caps:\n        - value: 55万\n", rule)
    end = text.index("      period:", start)
    assert "\n  - id:" not in text[rule + 1: end], "the cap removed is the rent subsidy's"
    text = text[:start] + text[end:]
    assert text.count("months_operating_in_base >= 12") == 1
    path.write_text(text.replace("months_operating_in_base >= 12", "months_operating_in_base > 12"), encoding="utf-8")


def test_a_broken_rule_fails_verify_with_counterexamples_that_evaluate_reproduces(pack: RulePack,
                                                                                 tmp_path: Path) -> None:
    rules, out = tmp_path / "rules", tmp_path / "counterexamples"
    shutil.copytree(DEFAULT_RULES, rules)
    _break(rules)
    code, text, _ = run("rules", "verify", str(rules / RENT_FILE), "--examples", examples(), "--out", str(out))
    assert code == 1, text
    failed = {line.split()[1] + " " + line.split()[2] for line in text.splitlines() if line.startswith("✗")}
    assert {"nanning.incubation_base_rent_subsidy bounded", "nanning.incubated_firm_one_time_subsidy equals"} <= failed

    # The cap: the smallest rent past 785,714.29 pays more than 550,000, and `subsidy evaluate` shows it.
    bounded = out / "nanning.incubation_base_rent_subsidy.p2-bounded.yaml"
    profile = load_profile(bounded)
    assert profile.rent_and_broadband_paid == Decimal("785714.30")
    assert profile.as_of is not None
    assert pack.rules["nanning.incubation_base_rent_subsidy"].effective.contains(profile.as_of)
    assert "Reproduce: subsidy --rules" in bounded.read_text(encoding="utf-8")
    code, evaluated, _ = run("--rules", str(rules), "evaluate", str(bounded), "--format", "json")
    assert code == 0
    benefit = _benefit(evaluated, "nanning.incubation_base_rent_subsidy")
    assert benefit["status"] == "eligible" and Decimal(benefit["amount"]["value"]) > 550000

    # The full year: twelve months are refused, which `equals: 2000 within months [12, …]` does not allow.
    equals = out / "nanning.incubated_firm_one_time_subsidy.p2-equals.yaml"
    assert load_yaml(equals.read_text(encoding="utf-8"))["months_operating_in_base"] == 12
    code, evaluated, _ = run("--rules", str(rules), "evaluate", str(equals), "--format", "json", "--explain")
    assert code == 0
    benefit = _benefit(evaluated, "nanning.incubated_firm_one_time_subsidy")
    assert benefit["status"] == "not_eligible" and benefit["failed"] == ["full_year"]



def _benefit(output: str, rule_id: str) -> dict:  # type: ignore[type-arg]
    return next(b for b in json.loads(output)["benefits"] if b["rule_id"] == rule_id)


def test_a_failing_comparison_is_written_as_two_profiles_that_differ_in_the_field(tmp_path: Path) -> None:
    amount = "      kind: formula\n      formula: 10万 - rent_and_broadband_paid\n      caps:\n" \
             "        - value: 10万\n          per: year"
    path = rule_file(tmp_path, "      - monotone: rent_and_broadband_paid", amount)
    out = tmp_path / "out"
    code, text, _ = run("rules", "verify", str(path), "--examples", examples(), "--out", str(out))
    assert code == 1, text
    first, second = (load_yaml((out / f"liuzhou.test_rule.p1-monotone.{x}.yaml").read_text("utf-8")) for x in "ab")
    assert {k for k in first if first[k] != second.get(k)} == {"id", "rent_and_broadband_paid"}
    assert first["rent_and_broadband_paid"] < second["rent_and_broadband_paid"]
    paid = []
    for x in "ab":
        code, evaluated, _ = run("--rules", str(path), "evaluate", str(out / f"liuzhou.test_rule.p1-monotone.{x}.yaml"),
                                 "--format", "json")
        paid.append(Decimal(_benefit(evaluated, "liuzhou.test_rule")["amount"]["value"]))
    assert paid[0] > paid[1]


def test_a_seed_makes_a_run_repeat(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "      - bounded: 1万\n      - monotone: rent_and_broadband_paid")
    pack = load_pack([path])
    first = [(r.declared.text, r.examples, r.applied) for r in verify_pack(pack, 10, seed=7)]
    assert first == [(r.declared.text, r.examples, r.applied) for r in verify_pack(pack, 10, seed=7)]


# ---------------------------------------------------------------- consistency checks

PARAMETER_TOO_LATE = RULE.format(
    benefit="interest_subsidy",
    amount="      kind: formula\n      formula: rent_and_broadband_paid * pboc_one_year_lending_rate",
    properties="      - bounded: 1万",
).replace("{from: 2019-01-01}", "{from: 2010-01-01}")
UNKNOWN_FIELD = RULE.format(benefit="cash_subsidy", amount=FORMULA, properties="      - bounded: 1万").replace(
    "when: rent_and_broadband_paid > 0", "when: rent_paid > 0"
)


@pytest.mark.parametrize(("check", "text", "reason"), [
    ("unique rule ids", None, "rule id used twice"),
    ("fields in the schema", UNKNOWN_FIELD, "unknown field 'rent_paid'"),
    ("parameters in force", PARAMETER_TOO_LATE, "parameter 'pboc_one_year_lending_rate' has no value before "
                                                "2015-10-24, but the rule is in force from 2010-01-01"),
])
def test_each_consistency_check_fails_on_a_pack_that_breaks_it(tmp_path: Path, check: str, text: str | None,
                                                               reason: str) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    if text is None:  # the same file twice: every id in it is used twice
        shutil.copy(rules / RENT_FILE, rules / ("copy_" + RENT_FILE))
    else:
        (rules / "005_test.yaml").write_text(text, encoding="utf-8")
    results = {c.name: c for c in pack_checks([rules])}
    assert [name for name, c in results.items() if not c.passed] == [check]
    assert all(reason in p.reason for p in results[check].problems)
    code, out, _ = run("rules", "verify", str(rules), "--out", str(tmp_path / "out"))
    assert code == 2
    assert f"✗ {check}" in out and reason in out
    assert " applied)" not in out, "no property runs on an invalid pack"


def test_the_consistency_checks_pass_on_the_shipped_pack_and_say_what_they_covered(pack: RulePack) -> None:
    checks = pack_checks()
    assert [c.name for c in checks] == ["unique rule ids", "fields in the schema", "parameters in force"]
    assert all(c.passed for c in checks)
    assert checks[0].covered == f"{len(pack.rules) + len(pack.derived)} ids"
    assert all(re.match(r"\d+ ", c.covered) and not c.covered.startswith("0 ") for c in checks)


def test_verify_exits_2_when_the_pack_is_refused_at_load(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "      - monotne: rent_and_broadband_paid")
    code, _, err = run("rules", "verify", str(path), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "liuzhou.test_rule" in err and "monotne" in err
