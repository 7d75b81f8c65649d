"""Consistency of a rule pack, as named checks that say what they covered.

`load_pack` finds every problem and tags each with the check it breaks; here the problems are grouped by check,
and a pack that loads is measured so that a passing check says how much it looked at:

- unique rule ids: no two rules or derived facts share an id, across all files;
- fields in the schema: every name a rule reads (conditions, amounts, caps, declared properties) is a profile
  field, or, in amounts, a dated parameter;
- parameters in force: every parameter a rule's amount reads has a value on every day of the rule's effective
  period (values persist once set, so its first value must date from the period's first day or before).

Problems of any other kind (format, syntax, types) are reported under "rule format".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.fields import field_symbols
from guangxi_subsidy.engine.rules.compiled import (
    FIELDS_IN_SCHEMA,
    PARAMETERS_IN_FORCE,
    RULE_FORMAT,
    UNIQUE_IDS,
    Problem,
)
from guangxi_subsidy.engine.rules.pack import RulePack, RulePackError, load_pack

CHECKS = (UNIQUE_IDS, FIELDS_IN_SCHEMA, PARAMETERS_IN_FORCE)


@dataclass(frozen=True)
class PackCheck:
    name: str
    covered: str  # what the check looked at, e.g. "51 ids"
    problems: tuple[Problem, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


def _count(number: int, word: str) -> str:
    return f"{number} {word}" + ("" if number == 1 else "s")


def _covered(pack: RulePack) -> dict[str, str]:
    fields = field_symbols()
    every = [*pack.derived.values(), *pack.rules.values()]
    reads = {(rule.id, name) for rule in every for name in rule.fields_read() if name in fields}
    reads |= {(rule.id, p.field) for rule in every for p in rule.properties if p.field}
    reads |= {(rule.id, name) for rule in every for p in rule.properties for name, _, _ in p.within}
    reads |= {
        (rule.id, name) for rule in every for p in rule.properties if p.node is not None
        for name in ex.names_read(p.node) if name in fields
    }
    parameters = sum(len(rule.amount.parameters) for rule in every if rule.amount is not None)
    return {
        UNIQUE_IDS: _count(len(every), "id"),
        FIELDS_IN_SCHEMA: f"{_count(len(reads), 'field')} read by {_count(len({r for r, _ in reads}), 'rule')}",
        PARAMETERS_IN_FORCE: _count(parameters, "parameter read"),
    }


def pack_checks(paths: Sequence[Path] | None = None) -> list[PackCheck]:
    """The consistency checks of the pack in `paths` (default: the bundled rules), then any other problem."""
    return check_pack(paths)[0]


def check_pack(paths: Sequence[Path] | None = None) -> tuple[list[PackCheck], RulePack | None]:
    """The checks, and the pack itself when it loads (so that it need not be loaded again)."""
    pack: RulePack | None = None
    try:
        pack = load_pack(paths)
        covered, problems = _covered(pack), []
    except RulePackError as error:
        covered, problems = {}, error.problems
    checks = [
        PackCheck(name, covered.get(name, "not measured: the pack was refused"),
                  tuple(p for p in problems if p.check == name))
        for name in CHECKS
    ]
    others = tuple(p for p in problems if p.check not in CHECKS)
    if others:
        checks.append(PackCheck(RULE_FORMAT, _count(len(others), "problem"), others))
    return checks, pack
