"""A bad rule file is refused with file, rule and reason (and position, for expressions); nothing is dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from guangxi_subsidy.engine.rules.pack import DEFAULT_RULES, RulePackError, load_pack

INVALID = Path(__file__).resolve().parent / "invalid_rules"

# file -> (rule id named in the problem, fragment of the reason, whether a column is named)
EXPECTED = {
    "typo_in_key.yaml": ("test.typo_in_key", "unknown key 'whn'", False),
    "unknown_field.yaml": ("test.unknown_field", "unknown field 'rent_paid'", True),
    "code_injection.yaml": ("test.code_injection", "__import__", True),
    "attribute_access.yaml": ("test.attribute_access", "", True),
    "type_mismatch.yaml": ("test.type_mismatch", "", True),
    "syntax_error.yaml": ("test.syntax_error", "", True),
    "bad_enum_value.yaml": ("test.bad_enum_value", "bnak", True),
    "duplicate_rule_id.yaml": ("test.twice", "used twice", False),
    "unknown_name_in_formula.yaml": ("test.unknown_name_in_formula", "benchmark_rate", True),
    "requires_unknown.yaml": ("test.requires_unknown", "nanning.no_such_fact", False),
    "bad_jurisdiction.yaml": ("test.bad_place", "shenzhen", False),
    "duplicate_yaml_key.yaml": (None, "duplicate key 'benefit'", False),
    "parameter_in_condition.yaml": ("test.parameter_in_condition", "", True),
    "unknown_format_version.yaml": (None, "rule format version '2' is not known", False),
    "relayed_place_unsaid.yaml": ("test.relayed_unsaid", "quote the words that decide it", False),
    "relayed_place_unquoted.yaml": ("test.relayed_unquoted", "must stand in one of the rule's quotes", False),
    "reading_unknown_field.yaml": ("test.reading_bad_formula", "rent_paid", True),
}


def test_every_invalid_rule_file_has_an_expectation() -> None:
    assert sorted(p.name for p in INVALID.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_rule_file_is_refused_with_file_rule_and_reason(name: str) -> None:
    rule_id, fragment, positioned = EXPECTED[name]
    with pytest.raises(RulePackError) as caught:
        load_pack([INVALID / name])
    problems = caught.value.problems
    assert problems, "a refused pack lists its problems"
    problem = next((p for p in problems if p.file.endswith(name) and fragment in str(p)), None)
    assert problem is not None, [str(p) for p in problems]
    if rule_id is not None:
        assert problem.rule == rule_id, str(problem)
    assert fragment in str(problem), str(problem)
    if positioned:
        assert "column" in problem.reason, str(problem)


def test_one_bad_file_refuses_the_whole_pack() -> None:
    with pytest.raises(RulePackError) as caught:
        load_pack([DEFAULT_RULES, INVALID / "code_injection.yaml"])
    assert all(p.file.endswith("code_injection.yaml") for p in caught.value.problems)


def test_the_bundled_pack_loads(pack) -> None:  # type: ignore[no-untyped-def]
    assert "nanning.incubation_base_rent_subsidy" in pack.rules
    assert "guangxi.sme_loan_risk_compensation" in pack.rules


def test_a_rule_file_without_schema_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_text("rules: []\n", encoding="utf-8")
    with pytest.raises(RulePackError, match="schema"):
        load_pack([bad])
