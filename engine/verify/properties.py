"""Declared properties of rules, checked on generated profiles.

A rule author states beside a rule what must hold whatever the applicant (`properties:` in the rule file: the
amount never exceeds 550,000; more rent never means a smaller subsidy; …). Each property is checked here on
profiles drawn to meet the rule's own conditions (strategies.rule_profile_data), for a date inside its period,
drafts included. A property that fails comes back with the smallest profile hypothesis can shrink the failure
to, written as a file that `subsidy evaluate` runs as it stands, so that anyone can see the failure themselves.

What each kind checks (a rule "pays" when it is eligible with an amount: a range counts by both ends, an
up-to amount by its ceiling; unquantified and incomplete amounts are not compared):

- monotone F: of two profiles differing only in F, both paid, the one with more F is not paid less (decreasing:
  not more).
- bounded V: a paid amount is never above V, evaluated for the same profile.
- zero_when_zero F: with F = 0 the rule is not eligible, or pays 0.
- independent_of F: two profiles differing only in F get the same status and amount.
- equals E within {F: [lo, hi]}: with every F in range, the conditions that read an F hold, so the rule is
  eligible whenever its other checks hold, and it pays E (rounded to the fen like every amount).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as seeded
from hypothesis import strategies as st

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.evaluation.award import Award
from guangxi_subsidy.engine.evaluation.evaluate import Engine, Outcome, profile_values
from guangxi_subsidy.engine.evaluation.outcome import AmountKind
from guangxi_subsidy.engine.money import round_fen
from guangxi_subsidy.engine.rules.compiled import CompiledProperty, CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.verify.strategies import (
    field_values,
    meeting,
    mostly,
    rule_field_values,
    rule_profile_data,
    within_range,
)
from guangxi_subsidy.engine.verify.thresholds import (
    Link,
    conditions_of,
    fields_of,
    rule_thresholds,
    schema_fields,
    solve,
)

Example = tuple[dict[str, Any], ...]  # one profile, or two for the properties that compare
DEFAULT_SEED = 0  # runs repeat unless a seed is asked for


@dataclass(frozen=True)
class Verdict:
    applied: bool  # the property's premise held, so the example tested it
    failure: str | None = None


@dataclass(frozen=True)
class PropertyResult:
    rule: CompiledRule
    index: int  # position in the rule's `properties:` list
    declared: CompiledProperty
    examples: int
    applied: int
    failure: str | None = None
    counterexample: Example = ()

    @property
    def holds(self) -> bool:
        return self.failure is None


def paid(award: Award | None) -> tuple[Decimal, ...] | None:
    """The numbers an amount states: its value, a range's two ends, an up-to ceiling; None when it states none."""
    if award is None:
        return None
    if award.quantified and award.value is not None:
        return (award.value,)
    if award.kind == AmountKind.RANGE and award.minimum is not None and award.maximum is not None:
        return (award.minimum, award.maximum)
    if award.kind == AmountKind.UP_TO and award.maximum is not None:
        return (award.maximum,)
    return None


def _text(numbers: tuple[Decimal, ...] | None) -> str:
    return "no amount" if numbers is None else " … ".join(str(n) for n in numbers)


# ---------------------------------------------------------------- examples


def property_examples(rule: CompiledRule, prop: CompiledProperty, pack: RulePack) -> st.SearchStrategy[Example]:
    """Profiles for one property of one rule, drawn to meet the rule's conditions, on a date in its period."""
    fields = schema_fields()
    if prop.kind in ("monotone", "independent_of"):
        assert prop.field is not None
        name, spec = prop.field, fields[prop.field]
        special = rule_thresholds(rule, pack).values(name) if spec.numeric else []
        base = rule_profile_data(rule, pack, fixed={name: st.none()})
        if prop.kind == "independent_of":
            either = st.one_of(st.none(), meeting(rule, pack, name), field_values(spec, special))
            return st.tuples(base, st.tuples(either, either)).map(lambda bp: _pair(bp[0], name, bp[1]))
        values = mostly(meeting(rule, pack, name), field_values(spec, special)).filter(lambda v: v is not None)
        links = [link for link in rule_thresholds(rule, pack).links if link.field == name]
        return _ordered_pair(base, values, links, name)
    if prop.kind == "zero_when_zero":
        assert prop.field is not None
        zero = fields[prop.field].coerce(0)
        return rule_profile_data(rule, pack, fixed={prop.field: st.just(zero)}).map(lambda d: (d,))
    if prop.kind == "equals":
        ranges = {name: within_range(fields[name], low, high) for name, low, high in prop.within}
        return rule_profile_data(rule, pack, fixed=ranges).map(lambda d: (d,))
    # bounded: half the time, a field of a one-field formula at the point where the formula meets the bound.
    usual = rule_field_values(rule, pack)
    points = bound_points(rule, prop, pack)
    focus = {name: st.one_of(st.sampled_from(sorted(found)), usual[name]) for name, found in points.items()}
    return rule_profile_data(rule, pack, fixed=focus).map(lambda d: (d,))


@st.composite
def _ordered_pair(
    draw: Any, base: st.SearchStrategy[dict[str, Any]], values: st.SearchStrategy[Any], links: list[Link], name: str
) -> Example:
    """A profile twice, with less and more of one field."""
    spec = schema_fields()[name]
    data = draw(base)
    first = draw(values)
    if links and draw(st.booleans()):
        # Where the rule compares the field with others, start on the side its condition asks for.
        link = draw(st.sampled_from(links))
        target = ex.evaluate(link.node, data)
        if isinstance(target, int | Decimal) and not isinstance(target, bool):
            steps = draw(st.integers(0, 10**6)) * (link.direction or 1)
            moved = spec.coerce(Decimal(target) + steps * spec.unit)
            first = first if moved is None else moved
    step = spec.coerce(Decimal(first) + spec.unit)
    second = step if step is not None and draw(st.booleans()) else draw(values)
    return _pair(data, name, (first, second) if first <= second else (second, first))


def bound_points(rule: CompiledRule, prop: CompiledProperty, pack: RulePack) -> dict[str, set[Any]]:
    """Where each one-field formula of the rule reaches a constant bound, and the neighbours of that point: a
    missing or wrong cap shows first there."""
    fields = schema_fields()
    out: dict[str, set[Any]] = {}
    if prop.node is None or rule.amount is None or ex.names_read(prop.node):
        return out
    bound = Decimal(ex.evaluate(prop.node, {}))  # type: ignore[arg-type]
    parameters = pack.parameters_on(rule.effective.from_)
    amount = rule.amount
    formulas = [n for n in (amount.formula, amount.minimum, amount.maximum) if n is not None]
    for formula in formulas + [t.formula for t in amount.tiers]:
        names = [n for n in ex.names_read(formula) if n in fields]
        if len(names) == 1 and names[0] in fields_of(rule, pack):
            point = solve(formula, names[0], bound, parameters)
            if point is not None and (near := fields[names[0]].near(point)):
                out.setdefault(names[0], set()).update(near)
    return out


def _pair(base: dict[str, Any], name: str, values: tuple[Any, Any]) -> Example:
    out = []
    for value in values:
        data = {k: v for k, v in base.items() if k != name}
        if value is not None:
            data[name] = value
        out.append(data)
    return tuple(out)


# ---------------------------------------------------------------- checking one example


def outcome_for(engine: Engine, rule: CompiledRule, data: dict[str, Any]) -> tuple[Profile, Outcome]:
    profile = parse_profile(data, "generated profile")
    evaluation = engine.evaluate(profile, include_drafts=True)
    return profile, next(o for o in evaluation.outcomes if o.rule.id == rule.id)


def check_example(engine: Engine, rule: CompiledRule, prop: CompiledProperty, example: Example) -> Verdict:
    """Whether one example meets the property; an evaluation that raises is a failure too."""
    try:
        return _check(engine, rule, prop, example)
    except Exception as error:  # an engine error on a valid profile is what the property search is for
        return Verdict(True, f"evaluation raised {type(error).__name__}: {error}")


def _check(engine: Engine, rule: CompiledRule, prop: CompiledProperty, example: Example) -> Verdict:
    results = [outcome_for(engine, rule, data) for data in example]
    profile, outcome = results[0]
    numbers = paid(outcome.award) if outcome.eligible else None

    if prop.kind == "monotone":
        assert prop.field is not None
        (_, less), (_, more) = results
        paid_less = paid(less.award) if less.eligible else None
        paid_more = paid(more.award) if more.eligible else None
        if paid_less is None or paid_more is None or len(paid_less) != len(paid_more):
            return Verdict(False)
        pairs = list(zip(paid_less, paid_more, strict=True))
        wrong = any(b > a for a, b in pairs) if prop.decreasing else any(a > b for a, b in pairs)
        if wrong:
            a, b = example[0].get(prop.field), example[1].get(prop.field)
            return Verdict(True, f"{prop.field} = {a} pays {_text(paid_less)}, but {prop.field} = {b} pays "
                                 f"{_text(paid_more)}")
        return Verdict(True)

    if prop.kind == "independent_of":
        assert prop.field is not None
        (_, first), (_, second) = results
        one = (first.status, paid(first.award), first.award.kind if first.award else None)
        two = (second.status, paid(second.award), second.award.kind if second.award else None)
        if one != two:
            a, b = example[0].get(prop.field), example[1].get(prop.field)
            return Verdict(True, f"{prop.field} = {a} gives {first.status} with {_text(one[1])}, but "
                                 f"{prop.field} = {b} gives {second.status} with {_text(two[1])}")
        return Verdict(True)

    if prop.kind == "zero_when_zero":
        if numbers is None:
            return Verdict(not outcome.eligible)
        if any(n != 0 for n in numbers):
            return Verdict(True, f"{prop.field} = 0, yet the rule pays {_text(numbers)}")
        return Verdict(True)

    assert prop.node is not None
    env = dict(profile_values(profile))
    env.update(engine.pack.parameters_on(_day(profile)))
    expected = ex.evaluate(prop.node, env)
    if expected is None:
        return Verdict(False)
    value = Decimal(expected)  # type: ignore[arg-type]

    if prop.kind == "bounded":
        if numbers is None:
            return Verdict(False)
        if max(numbers) > round_fen(value):  # amounts are rounded to the fen, so is the bound
            return Verdict(True, f"the rule pays {_text(numbers)}, above {round_fen(value)}")
        return Verdict(True)

    assert prop.kind == "equals"
    if not _others_hold(rule, prop, outcome, engine.pack):
        return Verdict(False)
    if not outcome.eligible:
        failed = ", ".join(f"{c.id} ({c.text})" for c in outcome.failed)
        ranges = ", ".join(f"{n} = {example[0].get(n)}" for n, _, _ in prop.within)
        return Verdict(True, f"{'with ' + ranges + ' ' if ranges else ''}the rule is {outcome.status}: failed {failed}")
    if numbers is None:
        return Verdict(False)
    if numbers[-1] != round_fen(value):
        return Verdict(True, f"the rule pays {_text(numbers)}, not {round_fen(value)}")
    return Verdict(True)


def _day(profile: Profile) -> dt.date:
    assert profile.as_of is not None, "generated profiles carry their date"
    return profile.as_of


def _others_hold(rule: CompiledRule, prop: CompiledProperty, outcome: Outcome, pack: RulePack) -> bool:
    """The checks that read none of an `equals` property's range fields all hold."""
    ranged = {name for name, _, _ in prop.within}
    reading: set[str] = set()
    for condition in rule.conditions:
        if condition.fields & ranged:
            reading.add(condition.id)
    for need in rule.requires:
        derived = pack.derived[need]
        if any(ex.names_read(node) & ranged for node in conditions_of(derived, pack)):
            reading.add(f"requires:{need}")
    return all(check.held for check in outcome.checks if check.id not in reading)


# ---------------------------------------------------------------- running


class _Violation(Exception):
    pass


def verify_property(
    engine: Engine, rule: CompiledRule, index: int, examples: int = 100, seed: int | None = None
) -> PropertyResult:
    """Run one property on `examples` generated profiles; on failure, shrink to the smallest counterexample."""
    prop = rule.properties[index]
    counts = {"ran": 0, "applied": 0}
    failed: list[tuple[Example, str]] = []

    def body(example: Example) -> None:
        verdict = check_example(engine, rule, prop, example)
        if not failed:
            counts["ran"] += 1
            counts["applied"] += verdict.applied
        if verdict.failure is not None:
            failed.append((example, verdict.failure))
            raise _Violation(verdict.failure)

    test = settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
    )(given(property_examples(rule, prop, engine.pack))(body))
    test = seeded(DEFAULT_SEED if seed is None else seed)(test)
    try:
        test()
    except _Violation:
        example, failure = failed[-1]  # the last failure hypothesis replays is the shrunk one
        example, failure = lower_numbers(engine, rule, prop, example, failure)
        return PropertyResult(rule, index, prop, counts["ran"], counts["applied"], failure, example)
    return PropertyResult(rule, index, prop, counts["ran"], counts["applied"])


def lower_numbers(
    engine: Engine, rule: CompiledRule, prop: CompiledProperty, example: Example, failure: str
) -> tuple[Example, str]:
    """Lower each number of a shrunk counterexample as far as the failure persists (bisecting down to the
    field's least value, or its range's low end).

    Hypothesis shrinks the choices it made; a value drawn from the pack's special points (the largest amount the
    schema allows, say) stays one of them, where a reader would rather see the first amount that fails."""
    fields = schema_fields()
    lows = {name: low for name, low, _ in prop.within}
    names = [n for n in example[0] if n in fields and fields[n].numeric and n != prop.field]
    for name in names:
        spec = fields[name]
        current = example[0][name]
        floor = spec.coerce(lows.get(name, spec.low))
        if any(data.get(name) != current for data in example) or floor is None or floor >= current:
            continue
        low, high = Decimal(floor), Decimal(current)  # the failure holds at high
        value: Any = floor
        while value is not None:
            trial = tuple({**data, name: value} for data in example)
            found = check_example(engine, rule, prop, trial).failure
            if found is not None:
                example, failure, high = trial, found, Decimal(value)
            else:
                low = Decimal(value)
            middle = spec.coerce((low + high) / 2)
            value = middle if middle is not None and low < Decimal(middle) < high else None
    return example, failure


def rule_engine(pack: RulePack, rule: CompiledRule) -> Engine:
    """An engine for one rule and the derived facts it requires: rules do not read each other's results, so the
    rule decides as in the whole pack, at a fraction of the cost of evaluating every rule for every example."""
    needed: dict[str, CompiledRule] = {}
    stack = list(rule.requires)
    while stack:
        need = stack.pop()
        if need not in needed:
            needed[need] = pack.derived[need]
            stack.extend(pack.derived[need].requires)
    return Engine(dataclasses.replace(pack, rules={rule.id: rule}, derived=needed))


def verify_pack(pack: RulePack, examples: int = 100, seed: int | None = None) -> Iterator[PropertyResult]:
    """Every declared property of every rule in the pack, drafts included, in pack order."""
    for rule in pack.rules.values():
        if rule.properties:
            engine = rule_engine(pack, rule)
            for index in range(len(rule.properties)):
                yield verify_property(engine, rule, index, examples, seed)


# ---------------------------------------------------------------- counterexample files


class _ProfileDumper(yaml.SafeDumper):
    """Writes Decimals as plain numbers, which the profile loader reads back exactly."""


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value, "f")
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return dumper.represent_scalar(tag, text)


_ProfileDumper.add_representer(Decimal, _decimal)


def counterexample_names(result: PropertyResult) -> list[str]:
    stem = f"{result.rule.id}.p{result.index + 1}-{result.declared.kind}"
    if len(result.counterexample) == 1:
        return [f"{stem}.yaml"]
    return [f"{stem}.{letter}.yaml" for letter in "ab"[: len(result.counterexample)]]


def write_counterexample(result: PropertyResult, out: Path, rules: Sequence[Path] = ()) -> list[Path]:
    """Write the shrunk counterexample as profile files (two for a property comparing two profiles)."""
    assert result.failure is not None and result.counterexample
    out.mkdir(parents=True, exist_ok=True)
    names = counterexample_names(result)
    order = ["id", "kind", "city", "as_of", *Profile.model_fields]
    written = []
    for number, (name, data) in enumerate(zip(names, result.counterexample, strict=True)):
        profile = {k: data[k] for k in dict.fromkeys(order) if k in data}
        profile["id"] = f"counterexample-{result.rule.id}-p{result.index + 1}" + (
            f"-{'ab'[number]}" if len(names) > 1 else ""
        )
        options = "".join(f" --rules {p}" for p in rules)
        drafts = " --include-drafts" if result.rule.status.value == "draft" else ""
        header = [
            f"Counterexample to a property of {result.rule.id}: {result.declared.text}",
            f"Failure: {result.failure}",
            f"Reproduce: subsidy{options} evaluate {out / name}{drafts} --explain",
        ]
        if len(names) > 1:
            header.append(f"Compare with: {names[1 - number]}")
        text = "".join(f"# {line}\n" for line in header)
        text += yaml.dump(profile, Dumper=_ProfileDumper, allow_unicode=True, sort_keys=False)
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
