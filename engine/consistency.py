"""Consistency of a rule pack, as named checks that report what they covered.

`load_pack` refuses a pack that breaks any of these; here each is a check of its own, run on the files as written
(before the pack is compiled, so a pack it would refuse can still be checked), that says how much it looked at
when it passes and which rule broke it when it fails:

- unique rule ids: no two rules or derived facts share an id, across all files;
- fields in the schema: every name a rule reads (conditions, amounts, caps, declared properties) is a profile
  field, or, in amounts, a dated parameter;
- parameters in force: every parameter a rule's amount reads has a value on every day of the rule's effective
  period (values persist once set, so its first value must date from the period's first day or before).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from . import expression as ex
from .pack import DEFAULT_RULES, Problem, rule_files
from .parameters import Parameter, ParameterFile, build_parameters
from .profile import field_symbols
from .rule import Derived, Equals, IndependentOf, Monotone, Rule, RuleFile, ZeroWhenZero
from .yamlio import load_yaml


@dataclass(frozen=True)
class PackCheck:
    name: str
    covered: str  # what the check looked at, e.g. "51 ids"
    problems: tuple[Problem, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Item:
    file: str
    spec: Rule | Derived
    from_: dt.date  # the first day of the effective period


def _read(paths: Sequence[Path] | None) -> tuple[list[_Item], dict[str, Parameter]]:
    """Rules and parameters of the files that are readable and well-formed (load_pack reports the others)."""
    files = rule_files(list(paths) if paths else [DEFAULT_RULES])
    if not any(p.name == "parameters.yaml" for p in files):
        files.append(DEFAULT_RULES / "parameters.yaml")
    items: list[_Item] = []
    parameters: dict[str, Parameter] = {}
    for path in files:
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
            kind = data.get("schema") if isinstance(data, dict) else None
            if kind == "subsidy-parameters/1":
                parameters.update(build_parameters(ParameterFile.model_validate(data)))
            elif kind == "subsidy-rules/1":
                rule_file = RuleFile.model_validate(data)
                specs: list[Rule | Derived] = [*rule_file.derived, *rule_file.rules]
                for spec in specs:
                    own = spec.effective if isinstance(spec, Rule) and spec.effective else None
                    start = (own or rule_file.document.effective).from_
                    items.append(_Item(str(path), spec, start))
        except (OSError, yaml.YAMLError, ValidationError):
            continue  # load_pack reports these, with file, rule and position
    return items, parameters


def _expressions(spec: Rule | Derived) -> Iterator[tuple[str, str, bool]]:
    """(where, text, is an amount) for every expression the rule states."""
    for condition in spec.conditions:
        yield f"conditions.{condition.id}.when", condition.when, False
    if not isinstance(spec, Rule):
        return
    amount = spec.amount
    for key in ("formula", "min", "max"):
        text = getattr(amount, key)
        if text is not None:
            yield f"amount.{key}", text, True
    for i, tier in enumerate(amount.tiers or []):
        yield f"amount.tiers[{i}].when", tier.when, False
        yield f"amount.tiers[{i}].formula", tier.formula, True
    for i, cap in enumerate(amount.caps):
        yield f"amount.caps[{i}].value", str(cap.value), True
    for i, item in enumerate(spec.properties):
        if isinstance(item, Equals):
            yield f"properties[{i}].equals", str(item.equals), True
        elif not isinstance(item, Monotone | ZeroWhenZero | IndependentOf):
            yield f"properties[{i}].bounded", str(item.bounded), True


def _fields_named(spec: Rule | Derived) -> Iterator[tuple[str, str]]:
    """(where, field) for the fields declared properties name outside expressions."""
    if not isinstance(spec, Rule):
        return
    for i, item in enumerate(spec.properties):
        if isinstance(item, Monotone):
            yield f"properties[{i}].monotone", item.monotone
        elif isinstance(item, ZeroWhenZero):
            yield f"properties[{i}].zero_when_zero", item.zero_when_zero
        elif isinstance(item, IndependentOf):
            yield f"properties[{i}].independent_of", item.independent_of
        elif isinstance(item, Equals):
            for name in item.within:
                yield f"properties[{i}].within", name


def _reads(spec: Rule | Derived) -> Iterator[tuple[str, str, bool]]:
    """(where, name, is in an amount) for every name the rule reads."""
    for where, text, in_amount in _expressions(spec):
        try:
            node = ex.parse(text)
        except ex.ExpressionError:
            continue  # a syntax error is load_pack's to report, with its column
        for name in sorted(ex.names_read(node)):
            yield where, name, in_amount
    for where, name in _fields_named(spec):
        yield where, name, False


def _count(number: int, word: str) -> str:
    return f"{number} {word}" + ("" if number == 1 else "s")


def unique_ids(items: list[_Item]) -> PackCheck:
    first: dict[str, str] = {}
    problems = []
    for item in items:
        if item.spec.id in first:
            problems.append(Problem(item.file, item.spec.id, "id", f"rule id used twice in the pack (also in "
                                                                 f"{first[item.spec.id]})"))
        else:
            first[item.spec.id] = item.file
    return PackCheck("unique rule ids", _count(len(items), "id"), tuple(problems))


def fields_in_schema(items: list[_Item], parameters: dict[str, Parameter]) -> PackCheck:
    fields = field_symbols()
    reads: set[tuple[str, str]] = set()
    problems = []
    for item in items:
        for where, name, in_amount in _reads(item.spec):
            if name in fields:
                reads.add((item.spec.id, name))
            elif not (in_amount and name in parameters):
                kind = "profile field or a dated parameter" if in_amount else "profile field"
                problems.append(Problem(item.file, item.spec.id, where, f"reads '{name}', which is not a {kind}"))
    rules = len({rule for rule, _ in reads})
    covered = f"{_count(len(reads), 'field')} read by {_count(rules, 'rule')}"
    return PackCheck("fields in the schema", covered, tuple(problems))


def parameters_in_force(items: list[_Item], parameters: dict[str, Parameter]) -> PackCheck:
    reads = 0
    problems = []
    for item in items:
        names = sorted({
            n for where, n, in_amount in _reads(item.spec)
            if in_amount and n in parameters and not where.startswith("properties")
        })
        for name in names:
            reads += 1
            first = parameters[name].first_date
            if first > item.from_:
                problems.append(Problem(
                    item.file, item.spec.id, "amount",
                    f"parameter '{name}' has no value before {first}, but the rule is in force from {item.from_}",
                ))
    return PackCheck("parameters in force", _count(reads, "parameter read"), tuple(problems))


def pack_checks(paths: Sequence[Path] | None = None) -> list[PackCheck]:
    """The consistency checks of the pack in `paths` (default: the bundled rules)."""
    items, parameters = _read(paths)
    return [unique_ids(items), fields_in_schema(items, parameters), parameters_in_force(items, parameters)]
