"""Loading a rule pack: every file validated, every expression parsed and type-checked, or nothing at all.

A pack with one bad rule is refused whole, with every problem listed (file, rule, where, reason): running with a
rule silently dropped would under-pay an applicant without anyone noticing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guangxi_subsidy import data
from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.records import record
from guangxi_subsidy.engine.rules import combining
from guangxi_subsidy.engine.rules.compiled import (
    PARAMETERS_IN_FORCE,
    UNIQUE_IDS,
    CompiledRule,
    Problem,
    compile_rule,
    parameter_type,
)
from guangxi_subsidy.engine.rules.kinds import Document, Parameter
from guangxi_subsidy.engine.rules.lazyspec import LazySpec
from guangxi_subsidy.engine.textfiles import TextDecodeError, decode_text

# The rule files' models are pydantic: imported where files are read and validated (`load_pack`), never by a pack
# read back from the program's cache (packcache.py), whose classes this module and those it imports define.
if TYPE_CHECKING:
    from pydantic import ValidationError

    from guangxi_subsidy.engine.rules.format import Derived, Rule, RuleFile, Untranslatable
    from guangxi_subsidy.engine.rules.parameters import ParameterFile

DEFAULT_RULES = data.RULES  # the bundled pack, from a wheel or a checkout alike
NOT_RULES = ("departments.yaml", "ledger.yaml")


class RulePackError(ValueError):
    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("rule pack refused:\n" + "\n".join(f"  {p}" for p in self.problems))


@record(frozen=False)
class RulePack(LazySpec):
    lazy = ("not_encoded",)  # (the passages not encoded, as their files write them: lazyspec.py)

    rules: dict[str, CompiledRule]
    derived: dict[str, CompiledRule]
    parameters: dict[str, Parameter]
    documents: dict[str, Document]
    not_encoded: list[tuple[str, Untranslatable]]
    files: list[Path]
    digest: str
    symbols: dict[str, ex.Symbol] = field(default_factory=dict)
    not_benefits: list[tuple[str, str, str]] = field(default_factory=list)  # (document, clause label, reason)

    def derived_order(self) -> list[CompiledRule]:
        """Derived facts in an order where each comes after what it requires."""
        done: list[CompiledRule] = []
        seen: set[str] = set()

        def visit(rule: CompiledRule) -> None:
            if rule.id in seen:
                return
            seen.add(rule.id)
            for need in rule.requires:
                visit(self.derived[need])
            done.append(rule)

        for rule in self.derived.values():
            visit(rule)
        return done

    def parameters_on(self, day: dt.date) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, parameter in self.parameters.items():
            found = parameter.at(day)
            out[name] = None if found is None else found[0]
        return out


def _pydantic_problems(file: str, data: Any, error: ValidationError) -> list[Problem]:
    out = []
    for item in error.errors():
        loc = list(item["loc"])
        rule_id = None
        if len(loc) >= 2 and loc[0] in ("rules", "derived") and isinstance(loc[1], int):
            try:
                rule_id = str(data[loc[0]][loc[1]].get("id", f"{loc[0]}[{loc[1]}]"))
            except (KeyError, IndexError, TypeError, AttributeError):
                rule_id = f"{loc[0]}[{loc[1]}]"
            loc = loc[2:]
        where = ".".join(str(p) for p in loc)
        reason = item["msg"]
        if item["type"] == "extra_forbidden":
            reason = f"unknown key '{loc[-1]}'" if loc else "unknown key"
        out.append(Problem(file, rule_id, where, reason))
    return out


def rule_files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            # departments.yaml is the table of department names (engine/rules/departments.py), ledger.yaml the
            # fields counted from the awards ledger (engine/register/ledger.py): not rules
            files.extend(sorted(p for p in path.rglob("*.yaml") if p.is_file() and p.name not in NOT_RULES))
        else:
            files.append(path)
    return files


def pack_files(paths: Sequence[Path] | None = None, parameters: Path | None = None) -> list[Path]:
    """The files a pack is loaded from: the rule files (directories searched for *.yaml), then the dated
    parameters (the bundled ones unless the paths hold a parameters.yaml)."""
    files = rule_files(list(paths) if paths else [DEFAULT_RULES])
    if not any(p.name == "parameters.yaml" for p in files):
        files.append(parameters or DEFAULT_RULES / "parameters.yaml")
    return files


def load_pack(paths: Sequence[Path] | None = None, parameters: Path | None = None) -> RulePack:
    """Load rule files (directories are searched for *.yaml) and the dated parameters they read."""
    import yaml  # (here: a pack read back from the program's cache is never parsed, and PyYAML not imported)
    from pydantic import ValidationError

    from guangxi_subsidy.engine.applicant.fields import field_symbols
    from guangxi_subsidy.engine.rules import limits
    from guangxi_subsidy.engine.rules.format import RuleFile
    from guangxi_subsidy.engine.rules.parameters import ParameterFile, build_parameters
    from guangxi_subsidy.engine.yamlio import load_yaml

    files = pack_files(paths, parameters)
    problems: list[Problem] = []
    parsed_files: list[tuple[Path, RuleFile]] = []
    parameter_specs: list[tuple[Path, ParameterFile]] = []
    digest = hashlib.sha256()

    for path in files:
        try:
            text = decode_text(path.read_bytes())
        except OSError as error:
            problems.append(Problem(str(path), None, "", f"cannot read: {error.strerror}"))
            continue
        except TextDecodeError as error:
            problems.append(Problem(str(path), None, "", str(error)))
            continue
        digest.update(path.name.encode() + b"\0" + text.encode())
        try:
            data = load_yaml(text)
        except yaml.YAMLError as error:
            problems.append(Problem(str(path), None, "", f"not valid YAML: {error}"))
            continue
        kind = data.get("schema") if isinstance(data, dict) else None
        try:
            if kind == "subsidy-parameters/1":
                parameter_specs.append((path, ParameterFile.model_validate(data)))
            elif kind == "subsidy-rules/1":
                parsed_files.append((path, RuleFile.model_validate(data)))
            elif isinstance(kind, str) and kind.startswith("subsidy-rules/"):
                problems.append(Problem(
                    str(path), None, "schema",
                    f"rule format version '{kind.partition('/')[2]}' is not known: this engine reads "
                    "'schema: subsidy-rules/1' (schema/rules-1.json)",
                ))
            else:
                problems.append(Problem(
                    str(path), None, "schema",
                    f"expected 'schema: subsidy-rules/1' or 'schema: subsidy-parameters/1', got {kind!r}",
                ))
        except ValidationError as error:
            problems.extend(_pydantic_problems(str(path), data, error))

    parameters_by_name: dict[str, Parameter] = {}
    for path, parameter_file in parameter_specs:
        for name, parameter in build_parameters(parameter_file).items():
            if name in parameters_by_name:
                problems.append(Problem(str(path), None, f"parameters.{name}", "parameter defined twice"))
            parameters_by_name[name] = parameter

    symbols = field_symbols()
    for name in parameters_by_name:
        if name in symbols:
            problems.append(Problem("parameters", None, name, "a parameter may not share a profile field's name"))
    all_symbols = dict(symbols)
    all_symbols.update(
        {n: ex.Symbol(name=n, type=parameter_type(p), is_parameter=True) for n, p in parameters_by_name.items()}
    )

    pack = RulePack({}, {}, parameters_by_name, {}, [], files, digest.hexdigest(), all_symbols)
    for path, rule_file in parsed_files:
        document = pack.documents[rule_file.document.file] = rule_file.document.plain()
        for item in rule_file.not_encoded:
            pack.not_encoded.append((rule_file.document.file, item))
        for group in rule_file.not_benefits:
            pack.not_benefits.extend((rule_file.document.file, clause, group.reason) for clause in group.clauses)
        specs: list[Rule | Derived] = [*rule_file.derived, *rule_file.rules]
        for item_spec in specs:
            compiled = compile_rule(path, document, item_spec, all_symbols, problems)
            if compiled is None:
                continue
            target = pack.derived if compiled.is_derived else pack.rules
            if compiled.id in pack.rules or compiled.id in pack.derived:
                problems.append(Problem(str(path), compiled.id, "id", "rule id used twice in the pack", UNIQUE_IDS))
                continue
            target[compiled.id] = compiled

    problems.extend(cross_checks(pack))
    for rule_id, rule in pack.rules.items():
        others = [pack.documents.get(str(s.document)) or _sibling_document(Path(rule.file), str(s.document))
                  for s in rule.rule.more_sources]
        for source, other in zip(rule.rule.more_sources, others, strict=True):
            if other is None:
                problems.append(Problem(rule.file, rule_id, "more_sources", f"no rule file for '{source.document}'"))
        found = tuple(d for d in others if d is not None)
        pack.rules[rule_id] = replace(rule, documents=(rule.document, *found))
    if not problems:  # (on a pack whose references resolve)
        unsafe = limits.refused(pack)
        problems.extend(Problem(file, where_rule, where, reason) for file, where_rule, where, reason in unsafe)
    if problems:
        raise RulePackError(problems)
    return pack


def _sibling_document(path: Path, seed: str) -> Document | None:
    """The header of another document's rule file beside `path`, when only some files of a pack are loaded
    (`subsidy rules verify rules/002….yaml`): a rule's further source names that document."""
    import yaml
    from pydantic import ValidationError

    from guangxi_subsidy.engine.rules import format as rule_format
    from guangxi_subsidy.engine.yamlio import load_yaml

    for other in sorted(path.parent.glob("*.yaml")):
        try:
            data = load_yaml(decode_text(other.read_bytes()))
            header = data.get("document") if isinstance(data, dict) else None
            if isinstance(header, dict) and header.get("file") == seed:
                return rule_format.Document.model_validate(header).plain()
        except (OSError, TextDecodeError, yaml.YAMLError, ValidationError):
            continue
    return None


def cross_checks(pack: RulePack) -> list[Problem]:
    """What no rule shows alone: a requirement no derived fact meets, a parameter with no value when its rule
    starts, derived facts requiring each other in a cycle (a reform's pack is checked again by these)."""
    problems = []
    every = {**pack.derived, **pack.rules}
    for rule in every.values():
        for need in rule.requires:
            if need not in pack.derived:
                problems.append(Problem(rule.file, rule.id, "requires", f"'{need}' is not a derived fact in the pack"))
        if rule.amount is not None:
            for name in sorted(rule.amount.parameters):
                first = pack.parameters[name].first_date
                if first > rule.effective.from_:
                    problems.append(Problem(
                        rule.file, rule.id, "amount",
                        f"parameter '{name}' has no value before {first}, but the rule is in force from "
                        f"{rule.effective.from_}",
                        PARAMETERS_IN_FORCE,
                    ))
    problems.extend(Problem(pack.rules[rule_id].file, rule_id, where, reason)
                    for rule_id, where, reason in combining.problems(pack.rules))
    # A derived fact must not require itself, directly or through others.
    for rule in pack.derived.values():
        stack, seen = list(rule.requires), set()
        while stack:
            need = stack.pop()
            if need == rule.id:
                problems.append(Problem(rule.file, rule.id, "requires", "derived facts require each other in a cycle"))
                break
            if need in seen or need not in pack.derived:
                continue
            seen.add(need)
            stack.extend(pack.derived[need].requires)
    return problems
