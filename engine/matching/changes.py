"""What must be evaluated again: the rules a new pack changed, the rules a new date crossed, and the applicants
those concern.

Each rule has a fingerprint: its text as the pack states it (conditions, amount, period, whom and where), the
derived facts it requires, and the dated values of the parameters it reads. Two packs differ, for matching, in the
rules whose fingerprints differ (added and removed ones included); those concern only the applicants of the kinds
and places the rules are for (before or after the change). A date moves a rule's outcome only where one of its
horizons lies between the old date and the new: its period's start or the day after its end, or a date from
which a parameter it reads takes a new value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.format import Effective
from guangxi_subsidy.engine.rules.pack import RulePack


@dataclass(frozen=True)
class Print:
    """A rule's fingerprint and whom it concerns (kept in each run, so a removed rule's reach is known)."""

    digest: str
    kinds: tuple[str, ...]
    cities: tuple[str, ...]

    def as_json(self) -> list[object]:
        return [self.digest, list(self.kinds), list(self.cities)]

    @staticmethod
    def read(value: list[object]) -> Print:
        digest, kinds, cities = value
        assert isinstance(digest, str) and isinstance(kinds, list) and isinstance(cities, list)
        return Print(digest, tuple(str(k) for k in kinds), tuple(str(c) for c in cities))


def _parameters(rule: CompiledRule, pack: RulePack) -> list[object]:
    return [[name, [[d.isoformat(), str(v)] for d, v, _r in pack.parameters[name].values]]
            for name in sorted(rule.fields_read() & set(pack.parameters))]


def _text(rule: CompiledRule, pack: RulePack) -> str:
    required = [_text(pack.derived[n], pack) for n in rule.requires if n in pack.derived]
    return json.dumps([rule.spec.model_dump_json(), Effective.of(rule.effective).model_dump_json(), list(rule.kinds),
                       list(rule.cities), _parameters(rule, pack), required], ensure_ascii=False)


def prints(pack: RulePack) -> dict[str, Print]:
    """Every rule's fingerprint."""
    return {rule_id: Print(hashlib.sha256(_text(rule, pack).encode()).hexdigest()[:16], rule.kinds, rule.cities)
            for rule_id, rule in pack.rules.items()}


def prints_json(found: dict[str, Print]) -> str:
    return json.dumps({k: v.as_json() for k, v in sorted(found.items())}, ensure_ascii=False)


def prints_read(text: str) -> dict[str, Print]:
    return {k: Print.read(v) for k, v in json.loads(text).items()}


def changed_rules(before: dict[str, Print], after: dict[str, Print]) -> set[str]:
    """The rules added, removed or changed between two packs."""
    return {r for r in set(before) | set(after) if (before.get(r) or Print("", (), ())).digest
            != (after.get(r) or Print("", (), ())).digest}


def reach(rule_ids: Iterable[str], *packs: dict[str, Print]) -> set[tuple[str, str]]:
    """The (kind, city) pairs the rules concern, in either pack."""
    out: set[tuple[str, str]] = set()
    for rule_id in rule_ids:
        for found in packs:
            if rule_id in found:
                out.update((k, c) for k in found[rule_id].kinds for c in found[rule_id].cities)
    return out


def horizons(rule: CompiledRule, pack: RulePack) -> set[dt.date]:
    """The days on which the rule's outcome can change with nothing else changing."""
    days = {rule.effective.from_}
    if rule.effective.to is not None:
        days.add(rule.effective.to + dt.timedelta(days=1))
    for name in rule.fields_read() & set(pack.parameters):
        days.update(d for d, _v, _r in pack.parameters[name].values)
    for need in rule.requires:
        if need in pack.derived:
            days |= horizons(pack.derived[need], pack)
    return days


def crossed(pack: RulePack, before: dt.date, after: dt.date) -> set[str]:
    """The rules one of whose horizons lies after the earlier date and on or before the later one."""
    low, high = min(before, after), max(before, after)
    return {rule_id for rule_id, rule in pack.rules.items() if any(low < d <= high for d in horizons(rule, pack))}
