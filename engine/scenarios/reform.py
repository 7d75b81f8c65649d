"""Applying a reform file to a rule pack: a new pack, compiled exactly as the baseline was.

The reformed pack is an ordinary `RulePack`: the reference engine, the columnar plan and the reports take it as
they take the baseline, so a reform runs at batch speed and the two engines can be held to each other on it.
A changed rule is written back into the rule format and validated and compiled by the pack's own code; a
reform with any problem is refused whole, each problem with the reform file, its line and what is wrong.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.fields import field_symbols
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.rules import limits
from guangxi_subsidy.engine.rules.compiled import CompiledRule, Problem, compile_rule, parameter_type
from guangxi_subsidy.engine.rules.format import Derived, Rule
from guangxi_subsidy.engine.rules.kinds import Document
from guangxi_subsidy.engine.rules.pack import RulePack, RulePackError, cross_checks
from guangxi_subsidy.engine.rules.parameters import Parameter
from guangxi_subsidy.engine.scenarios.reformfile import (
    AddRule,
    ChangeParameter,
    ChangeRule,
    ReformFile,
    RepealRule,
    target_of,
)
from guangxi_subsidy.engine.yamlio import TextDecodeError, decode_text, load_yaml


class ReformError(RulePackError):
    """A reform file that cannot be applied: every problem, with the file and the line."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.args = ("reform refused:\n" + "\n".join(f"  {p}" for p in self.problems),)

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class AppliedChange:
    kind: str  # rule | parameter | add | repeal
    target: str
    reason: str
    what: tuple[str, ...]  # the keys changed, for reports


@dataclass(frozen=True)
class Reform:
    name: str
    description: str | None
    path: Path
    changes: tuple[AppliedChange, ...]
    pack: RulePack  # the reformed pack
    baseline: RulePack


def load_reform(path: Path, baseline: RulePack) -> Reform:
    """Read, validate and apply a reform file; ReformError (exit 2 in the CLI) lists every problem."""
    try:
        text = decode_text(path.read_bytes())  # (read as a rule or profile file is: UTF-8, UTF-16, GBK)
    except OSError as error:
        raise ReformError([Problem(str(path), None, "", f"cannot read: {error.strerror}")]) from None
    except TextDecodeError as error:
        raise ReformError([Problem(str(path), None, "", f"not a text file: {error}")]) from None
    try:
        data = load_yaml(text)
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        raise ReformError([Problem(str(path), None, "", f"not valid YAML: {error}")]) from None
    lines = _Lines(text)
    try:
        spec = ReformFile.model_validate(data)
    except ValidationError as error:
        raise ReformError([_problem(path, lines, data, item) for item in error.errors()]) from None
    return apply_reform(spec, baseline, path, text, lines)


def apply_reform(spec: ReformFile, baseline: RulePack, path: Path, text: str = "", lines: _Lines | None = None
                 ) -> Reform:
    lines = lines or _Lines(text)
    problems: list[Problem] = []
    parameters = dict(baseline.parameters)
    for i, change in enumerate(spec.changes):
        if isinstance(change, ChangeParameter):
            found = _parameter(change, parameters.get(change.parameter))
            if isinstance(found, str):
                problems.append(Problem(str(path), None, lines.where(["changes", i, "parameter"]), found))
            else:
                parameters[change.parameter] = found
    symbols = dict(field_symbols())
    symbols.update({n: ex.Symbol(n, parameter_type(p), is_parameter=True) for n, p in parameters.items()})

    every: dict[str, CompiledRule] = {**baseline.derived, **baseline.rules}
    order = list(every)
    applied: list[AppliedChange] = []
    for i, change in enumerate(spec.changes):
        at = ["changes", i]
        target = target_of(change)
        if isinstance(change, ChangeParameter):
            applied.append(AppliedChange("parameter", target, change.reason, ("values",)))
            continue
        if isinstance(change, RepealRule):
            if target not in baseline.rules:
                problems.append(_unknown(path, lines.where([*at, "repeal"]), target, baseline))
            else:
                every.pop(target, None)
                applied.append(AppliedChange("repeal", target, change.reason, ()))
            continue
        if isinstance(change, AddRule):
            document = baseline.documents.get(change.document)
            if target in every:
                problems.append(Problem(str(path), target, lines.where([*at, "add", "id"]),
                                        "rule id used twice in the pack: change it with 'rule:' instead"))
                continue
            if document is None:
                problems.append(Problem(str(path), target, lines.where([*at, "document"]),
                                        f"'{change.document}' is not a document of the pack: expected one of "
                                        + ", ".join(sorted(baseline.documents))))
                continue
            compiled = _recompiled(path, document, change.add, symbols, problems, lines.where(at))
            if compiled is not None:
                every[target] = compiled
                order.append(target)
                applied.append(AppliedChange("add", target, change.reason, ()))
            continue
        assert isinstance(change, ChangeRule)
        if target not in every:
            problems.append(_unknown(path, lines.where([*at, "rule"]), target, baseline))
            continue
        old = every[target]
        edited = _edited(old.spec, change)
        if isinstance(edited, str):
            problems.append(Problem(str(path), target, lines.where(at), edited))
            continue
        compiled = _recompiled(path, old.document, edited, symbols, problems, lines.where(at))
        if compiled is not None:
            every[target] = compiled
            keys = tuple(k for k in ChangeRule.model_fields if k not in ("rule", "reason")
                         and getattr(change, k) is not None)
            applied.append(AppliedChange("rule", target, change.reason, keys))
    # Rules reading a parameter the reform changed are compiled again, so their types are checked once more.
    changed = {c.target for c in applied if c.kind == "parameter"}
    for rule_id in order:
        rule = every.get(rule_id)
        if rule is not None and rule.amount is not None and rule.amount.parameters & changed:
            again = compile_rule(Path(rule.file), rule.document, rule.spec, symbols, problems)
            if again is not None:
                every[rule_id] = dataclasses.replace(again, file=rule.file)

    digest = hashlib.sha256((baseline.digest + "\0reform\0" + text).encode()).hexdigest()
    pack = RulePack(
        rules={k: every[k] for k in order if k in every and not every[k].is_derived},
        derived={k: every[k] for k in order if k in every and every[k].is_derived},
        parameters=parameters, documents=dict(baseline.documents), not_encoded=list(baseline.not_encoded),
        files=[*baseline.files, path], digest=digest, symbols=symbols,
    )
    problems.extend(cross_checks(pack))
    if not problems:  # the limits `rules check` holds a pack to, on the reformed pack: named by the change
        problems.extend(_beyond_limits(pack, spec, path, lines))
    if problems:
        raise ReformError(problems)
    return Reform(spec.name, spec.description, path, tuple(applied), pack, baseline)


def _beyond_limits(pack: RulePack, spec: ReformFile, path: Path, lines: _Lines) -> list[Problem]:
    """The pack's limits (a divisor that can be 0, an amount beyond exact arithmetic, a negative cap, a chain
    too long) on the reformed pack, each placed at the change that brought it: the change to the rule itself, or
    else a change to a parameter or derived fact the rule reads (the baseline met every limit)."""
    found = []
    for _file, rule_id, where, reason in limits.refused(pack):
        rule = pack.rules.get(rule_id) or pack.derived.get(rule_id)
        read = set(rule.amount.parameters) if rule is not None and rule.amount is not None else set()
        read |= set(rule.requires) if rule is not None else set()
        at = next((i for i, c in enumerate(spec.changes) if target_of(c) == rule_id), None)
        if at is None:
            at = next((i for i, c in enumerate(spec.changes) if target_of(c) in read), None)
        place = lines.where(["changes", at]) if at is not None else "changes"
        found.append(Problem(str(path), rule_id, f"{place} → {where}", reason))
    return found


def _recompiled(path: Path, document: Document, spec: Rule | Derived, symbols: dict[str, ex.Symbol],
                problems: list[Problem], where: str) -> CompiledRule | None:
    """The pack's own compiler, its problems placed at the change that caused them."""
    found: list[Problem] = []
    compiled = compile_rule(path, document, spec, symbols, found)
    problems.extend(dataclasses.replace(p, where=f"{where} → {p.where}") for p in found)
    return compiled


def _edited(spec: Rule | Derived, change: ChangeRule) -> Rule | Derived | str:
    """The rule with the change written into it, validated by the rule format; or what is wrong."""
    data: dict[str, Any] = spec.model_dump(by_alias=True, exclude_none=True)
    for key in ("name", "beneficiary", "status", "departments"):
        value = getattr(change, key)
        if value is not None:
            data[key] = value.value if key == "status" else value
    if change.effective is not None:
        data["effective"] = change.effective.model_dump(by_alias=True, exclude_none=True)
    if change.conditions is not None:
        conditions = {c["id"]: c for c in data.get("conditions", [])}
        for cid, when in change.conditions.items():
            if when is None:
                if cid not in conditions:
                    return f"no condition '{cid}' to remove: the rule's are {', '.join(conditions) or 'none'}"
                del conditions[cid]
            else:
                conditions[cid] = {**conditions.get(cid, {"id": cid}), "when": when}
        data["conditions"] = list(conditions.values())
    amount_keys = ("formula", "cap", "caps", "tiers", "min", "max", "amount")
    if any(getattr(change, k) is not None for k in amount_keys):
        if not isinstance(spec, Rule):
            return "a derived fact has no amount to change"
        amount = change.amount.model_dump(exclude_none=True) if change.amount is not None else dict(data["amount"])
        if change.cap is not None:
            caps = amount.get("caps", [])
            if len(caps) != 1:
                return f"'cap' changes a rule's only cap, but this rule has {len(caps)}: give 'caps' instead"
            amount["caps"] = [{**caps[0], "value": change.cap}]
        if change.caps is not None:
            amount["caps"] = [c.model_dump(exclude_none=True) for c in change.caps]
        if change.tiers is not None:
            amount["tiers"] = [t.model_dump(exclude_none=True) for t in change.tiers]
        for key in ("formula", "min", "max"):
            if getattr(change, key) is not None:
                amount[key] = getattr(change, key)
        data["amount"] = amount
    model = Rule if isinstance(spec, Rule) else Derived
    try:
        return model.model_validate(data)
    except ValidationError as error:
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())


def _parameter(change: ChangeParameter, old: Parameter | None) -> Parameter | str:
    if old is None and (change.unit is None or change.description is None):
        return (f"'{change.parameter}' is not a parameter of the pack: a new parameter needs 'unit' and "
                "'description'")
    if old is not None and change.unit is not None and change.unit != old.unit:
        return f"'{change.parameter}' is measured in {old.unit}; a reform cannot change its unit"
    values = {d: (v, r) for d, v, r in (old.values if old else ())}
    values.update({d: (v.value, v.reference) for d, v in change.values.items()})
    return Parameter(
        name=change.parameter,
        description=change.description or (old.description if old else ""),
        unit=change.unit or (old.unit if old else "count"),
        values=tuple(sorted((d, v, r) for d, (v, r) in values.items())),
    )


def _unknown(path: Path, where: str, target: str, pack: RulePack) -> Problem:
    import difflib

    close = difflib.get_close_matches(target, [*pack.rules, *pack.derived], n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else " (see `subsidy rules list`)"
    return Problem(str(path), target, where, f"no rule '{target}' in the pack{hint}")


class _Lines:
    """Line numbers of a YAML document's nodes, for messages that point into the reform file."""

    def __init__(self, text: str):
        try:
            self.root = yaml.compose(text, Loader=yaml.SafeLoader) if text else None
        except yaml.YAMLError:
            self.root = None

    def where(self, loc: list[Any]) -> str:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        node, line = self.root, None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                found = next((v for k, v in node.value if k.value == str(part)), None)
                line = next((k.start_mark.line for k, _v in node.value if k.value == str(part)), line)
                node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line
            else:
                break
        return path if line is None else _("line {line}, {path}").format(line=line + 1, path=path)


def _problem(path: Path, lines: _Lines, data: Any, item: Any) -> Problem:
    loc = list(item["loc"])
    # Pydantic names the union's tag in the location (changes.0.rule.cap): the tag is not in the file.
    if len(loc) >= 3 and loc[0] == "changes" and loc[2] in ("rule", "parameter", "add", "repeal"):
        loc = loc[:2] + loc[3:] if len(loc) > 3 or item["type"] != "missing" else loc
    rule = None
    if len(loc) >= 2 and loc[0] == "changes" and isinstance(loc[1], int):
        try:
            entry = data["changes"][loc[1]]
            rule = str(entry.get("rule") or entry.get("repeal") or entry.get("parameter") or "") or None
        except (KeyError, IndexError, TypeError, AttributeError):
            rule = None
    reason = item["msg"]
    if item["type"] == "extra_forbidden":
        reason = f"unknown key '{loc[-1]}'" if loc else "unknown key"
    return Problem(str(path), rule, lines.where(loc), reason)
