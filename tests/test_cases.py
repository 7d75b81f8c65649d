"""The worked cases in cases/, each worked by hand from the documents, pass against the rule pack."""

from __future__ import annotations

from pathlib import Path

import pytest

from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.verify.cases import load_cases, run_case

CASES = Path(__file__).resolve().parent.parent / "cases"
ALL = load_cases(CASES)


@pytest.mark.parametrize(("file", "case"), ALL, ids=[f"{f.stem}: {c.name}" for f, c in ALL])
def test_worked_case(engine: Engine, file: Path, case) -> None:  # type: ignore[no-untyped-def]
    result = run_case(engine, file, case)
    assert result.passed, "\n".join(result.failures)


def test_every_rule_has_an_eligible_and_a_not_eligible_case(engine: Engine) -> None:
    seen: dict[str, set[str]] = {rule_id: set() for rule_id in engine.pack.rules}
    for _, case in ALL:
        for rule_id, want in case.expect.items():
            if rule_id in seen and want.status:
                seen[rule_id].add("eligible" if want.status == "eligible" else "not")
    lacking = {rule_id: sorted(kinds) for rule_id, kinds in seen.items() if kinds != {"eligible", "not"}}
    assert not lacking, f"rules without both an eligible and a not-eligible case: {lacking}"


def test_a_wrong_expectation_is_reported_as_a_failure(engine: Engine) -> None:
    file, case = next((f, c) for f, c in ALL if "nanning.incubation_base_rent_subsidy" in c.expect)
    wrong = case.model_copy(deep=True)
    for want in wrong.expect.values():
        if want.amount is not None:
            want.amount += 1
    result = run_case(engine, file, wrong)
    assert not result.passed
