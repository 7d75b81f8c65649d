"""The one place that talks to durable_rules: compile the pack into a ruleset, assert a profile, collect what fired.

durable_rules matches in its C RETE network; this module only translates. Keeping it alone here means the engine
can be patched or replaced without touching the rest (on Python 3.13 its extension needs `callshim` first).

Facts, not events: each profile is asserted as a fact in a session of its own (posted events are consumed by the
first rule that matches, which would hide benefits), and the session is deleted afterwards so memory stays flat
and no profile sees another's facts. Values travel as JSON: money as integer fen, ratios as integer micro-units,
dates as day ordinals (see compiler.encode_value).

No background threads: durable_rules' `Host` starts two timer threads that poll every ruleset for queued actions
and timers and run them on their own thread. This pack has neither, and an action picked up there runs outside
the lock, between the steps of another profile's evaluation, so the rules that fired are lost or misattributed
(seen under load as a rare disagreement with the explanation, and durable_rules' "error code: 307").
`SynchronousHost` runs every action inside `assert_fact`, on the caller's thread.

Per profile, the matching is durable_rules' own C network, driven through its extension's functions (assert, start
an action, complete it and start the next, delete the session) as its Python `Ruleset` drives them, without that
layer's closure objects and JSON round trips for each rule that fires: a rule's action here is only "note it,
and assert its derived fact", and that layer took half of the matching's time (`benchmarks/web_instructions.py`).
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from typing import Any

# isort: off
from guangxi_subsidy.engine.evaluation import callshim  # noqa: F401 - on Python 3.13+, before durable_rules loads
import durable_rules_engine as matcher
from durable.engine import Host, MessageObservedException
# (durable_rules' own layer signals an unmatched fact so; re-exported for the tests that drive that layer)
from durable.engine import MessageNotHandledException as MessageNotHandledException
# isort: on

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.evaluation.compiler import encode_value, to_durable
from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack

_ruleset_numbers = itertools.count(1)


class SynchronousHost(Host):
    """durable_rules' Host without its polling threads: actions run only inside the call that matched them."""

    def _run(self) -> None:
        """(Host.__init__ calls this to start the dispatch and timer threads; none are wanted.)"""


def profile_fact(values: dict[str, Any], symbols: dict[str, ex.Symbol]) -> dict[str, Any]:
    """Encode a profile's values for durable_rules; missing values are left out, as durable_rules expects."""
    fact: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:  # (most fields are absent: tested first)
            continue
        symbol = symbols.get(name)
        if symbol is None:
            continue
        fact[name] = encode_value(symbol.type, value)
    return fact


def rule_condition(rule: CompiledRule, symbols: dict[str, ex.Symbol]) -> dict[str, Any]:
    """The durable_rules condition on the profile fact: beneficiary kind, place, then the rule's own conditions."""
    parts: list[dict[str, Any]] = [{"t": "profile"}]
    parts.append(_one_of("kind", rule.kinds))
    parts.append(_one_of("city", rule.cities))
    parts.extend(to_durable(c.node, symbols) for c in rule.conditions)
    return {"$and": parts}


def _one_of(field: str, values: tuple[str, ...]) -> dict[str, Any]:
    if len(values) == 1:
        return {field: values[0]}
    return {"$or": [{field: v} for v in values]}


def _nothing(c: Any) -> None:
    return None


class ReteNetwork:
    """A compiled pack in durable_rules: built once, reused for every profile."""

    def __init__(self, pack: RulePack):
        self.pack = pack
        self.name = f"subsidy_{os.getpid()}_{next(_ruleset_numbers)}_{pack.digest[:12]}"
        self._host = SynchronousHost()
        self._sessions = itertools.count(1)
        self._lock = threading.Lock()  # durable_rules' bindings are not thread-safe
        definition: dict[str, Any] = {}
        self._rules: dict[str, CompiledRule] = {}  # by the name durable_rules knows it by
        for number, rule in enumerate([*pack.derived_order(), *pack.rules.values()]):
            patterns: list[dict[str, Any]] = [{"p": rule_condition(rule, pack.symbols)}]
            for i, need in enumerate(rule.requires):
                patterns.append({f"d{i}": {"$and": [{"t": "derived"}, {"name": need}]}})
            definition[f"r{number}"] = {"all": patterns, "run": _nothing}  # (`fired` acts for them)
            self._rules[f"r{number}"] = rule
        # durable_rules 2.0.28 aborts the process ("free(): invalid pointer") when delete_state is called on a
        # ruleset none of whose rules has ever fired. One rule fired once here, on a fact no profile is, is enough
        # for every session after it, those in which nothing matched included; a rule every profile matched did
        # the same at the cost of one more action, with its round trip through JSON, on every evaluation.
        definition["warm"] = {"all": [{"w": {"t": "warm"}}], "run": _nothing}
        self._host.register_rulesets({self.name: definition})
        self._host.assert_fact(self.name, {"sid": "warm", "id": "warm", "t": "warm"})
        self._host.delete_state(self.name, "warm")
        self._handle = self._host.get_ruleset(self.name)._handle

    def fired(self, values: dict[str, Any]) -> set[str]:
        """Ids of the rules and derived facts whose patterns durable_rules matched for one profile."""
        fact = profile_fact(values, self.pack.symbols)
        with self._lock:
            sid = str(next(self._sessions))
            fact.update({"sid": sid, "id": "profile", "t": "profile"})
            fired: set[str] = set()
            try:
                self._match(fact, sid, fired)
            finally:
                matcher.delete_state(self._handle, sid)
        return fired

    def _match(self, fact: dict[str, Any], sid: str, fired: set[str]) -> None:
        """What durable_rules' `Ruleset.assert_fact` and `do_actions` do, with this pack's one action inlined: each
        rule matched is noted, and a derived fact's rule asserts the fact (forward chaining: it may complete other
        rules' patterns, whose actions come next in the same loop)."""
        handle = self._handle
        code, state = matcher.assert_fact(handle, json.dumps(fact, ensure_ascii=False))
        if code == 1:
            return  # no rule matched: no benefit, not an error
        if code == 2:
            raise MessageObservedException(fact)
        if code == 3:
            state = 0
        started = matcher.start_action_for_state(handle, state)
        if not started:
            return
        session, message = started[0], started[1]
        while message:
            rule = self._rules.get(message[2:message.find('"', 2)]) if message.startswith('{"') else None
            if rule is None:  # (durable_rules names the action first: '{"r12": {...}}')
                rule = self._rules[next(iter(json.loads(message)))]
            fired.add(rule.id)
            if rule.is_derived:
                derived = {"t": "derived", "name": rule.id, "id": f"derived:{rule.id}", "sid": sid}
                matcher.assert_fact(handle, json.dumps(derived, ensure_ascii=False))
            matcher.update_state(handle, session)
            message = matcher.complete_and_start_action(handle, state)
