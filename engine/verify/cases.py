"""Worked example cases: a profile, a date, and the results a person worked out by hand from the documents.

A case file is YAML readable by a policy analyst (in the manner of OpenFisca's YAML tests):

    cases:
      - name: A Nanning base that paid 900,000 yuan gets the 550,000 cap
        as_of: 2017-03-01
        profile: {id: base-1, kind: incubation_base, city: nanning, ...}
        expect:
          nanning.incubation_base_rent_subsidy: {status: eligible, amount: "550000.00"}

`expect` maps rule ids to what must hold: status, amount (exact yuan), min/max (ranges), up_to, kind, failed
(checks that must fail), missing (fields the amount lacks). `expect_totals` checks the in-force totals,
`expect_draft_totals` the draft documents' own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from guangxi_subsidy.engine.answers.document import totals
from guangxi_subsidy.engine.applicant.reading import ProfileError, load_profile, parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine, Evaluation, Outcome
from guangxi_subsidy.engine.evaluation.outcome import Status
from guangxi_subsidy.engine.yamlio import TextDecodeError, decode_text, load_yaml


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status | Literal["absent"] | None = None
    amount: Decimal | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    up_to: Decimal | None = None
    kind: str | None = None
    tier: str | None = None
    failed: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    draft: bool | None = None
    instead: str | None = None  # not_combined: the rule paid instead


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    as_of: dt.date | None = None
    include_drafts: bool = False
    profile: dict[str, Any] | None = None
    profile_file: str | None = None
    expect: dict[str, Expectation]
    expect_totals: dict[str, Any] = Field(default_factory=dict)
    expect_draft_totals: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_profile(self) -> Case:
        if (self.profile is None) == (self.profile_file is None):
            raise ValueError("give exactly one of 'profile' or 'profile_file'")
        return self


class CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cases: list[Case] = Field(..., min_length=1)


@dataclass(frozen=True)
class CaseResult:
    file: Path
    case: Case
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


class CaseFileError(ValueError):
    pass


def load_cases(path: Path) -> list[tuple[Path, Case]]:
    files = sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
    out: list[tuple[Path, Case]] = []
    for file in files:
        if {"profiles", "reforms"} & set(file.relative_to(path if path.is_dir() else file.parent).parts):
            continue  # profiles referenced by cases, and reform files: not case files
        try:
            data = CaseFile.model_validate(load_yaml(decode_text(file.read_bytes())))
        except ValidationError as error:
            raise CaseFileError(f"{file}: {error}") from None
        except (OSError, TextDecodeError, yaml.YAMLError) as error:
            raise CaseFileError(f"{file}: not a readable case file ({error})") from None
        out.extend((file, case) for case in data.cases)
    return out


def run_case(engine: Engine, file: Path, case: Case) -> CaseResult:
    try:
        if case.profile_file is not None:
            profile = load_profile(file.parent / case.profile_file)
        else:
            profile = parse_profile(case.profile, f"{file} · {case.name}")
    except ProfileError as error:
        return CaseResult(file, case, (str(error),))
    evaluation = engine.evaluate(profile, as_of=case.as_of, include_drafts=case.include_drafts)
    failures = [*check_expectations(evaluation, case.expect), *_check_totals(evaluation, case.expect_totals),
                *_check_totals(evaluation, case.expect_draft_totals, drafts=True)]
    return CaseResult(file, case, tuple(failures))


def _outcome(evaluation: Evaluation, rule_id: str) -> Outcome | None:
    return next((o for o in evaluation.outcomes if o.rule.id == rule_id), None)


def check_expectations(evaluation: Evaluation, expect: dict[str, Expectation]) -> list[str]:
    failures = []
    for rule_id, want in expect.items():
        outcome = _outcome(evaluation, rule_id)
        if outcome is None:
            if want.status != "absent":
                failures.append(f"{rule_id}: not evaluated (unknown rule, or a draft without include_drafts)")
            continue
        got = outcome.award
        if want.status is not None and want.status != outcome.status:
            failed = ", ".join(c.id for c in outcome.failed) or "none"
            failures.append(f"{rule_id}: status {outcome.status}, expected {want.status} (failed: {failed})")
        pairs = [
            ("amount", want.amount, got.value if got else None),
            ("min", want.min, got.minimum if got else None),
            ("max", want.max, got.maximum if got else None),
            ("up_to", want.up_to, got.maximum if got else None),
        ]
        for label, expected, actual in pairs:
            if expected is not None and actual != expected:
                failures.append(f"{rule_id}: {label} {actual}, expected {expected}")
        if want.kind is not None and (got.kind if got else None) != want.kind:
            failures.append(f"{rule_id}: amount kind {got.kind if got else None}, expected {want.kind}")
        if want.tier is not None and (got.tier if got else None) != want.tier:
            failures.append(f"{rule_id}: tier {got.tier if got else None!r}, expected {want.tier!r}")
        failed_ids = {c.id for c in outcome.failed}
        for check_id in want.failed:
            if check_id not in failed_ids:
                failures.append(f"{rule_id}: check '{check_id}' should fail (failed: {sorted(failed_ids)})")
        for name in want.missing:
            if got is None or name not in got.missing:
                failures.append(f"{rule_id}: amount should report '{name}' missing")
        if want.instead is not None and outcome.instead != want.instead:
            failures.append(f"{rule_id}: paid instead {outcome.instead}, expected {want.instead}")
        if want.draft is not None and outcome.draft != want.draft:
            failures.append(f"{rule_id}: draft {outcome.draft}, expected {want.draft}")
    return failures


def _check_totals(evaluation: Evaluation, expected: dict[str, Any], drafts: bool = False) -> list[str]:
    got = totals(evaluation, drafts)
    failures = []
    what = "draft total" if drafts else "total"
    for key, value in expected.items():
        actual = got.get(key)
        if isinstance(actual, str) and Decimal(actual) != Decimal(str(value)):
            failures.append(f"{what} {key}: {actual}, expected {value}")
        elif not isinstance(actual, str) and actual != value:
            failures.append(f"{what} {key}: {actual}, expected {value}")
    return failures
