"""A built rule pack read back from the program's cache imports no pydantic, and reads the same as the one built
(engine/rules/kinds.py, engine/rules/lazyspec.py): the rule as written is unpickled only when a command reads it,
never by an evaluation and its table."""

from __future__ import annotations

import dataclasses
import io
import pickle
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from guangxi_subsidy.data import examples
from guangxi_subsidy.engine import keptdocs
from guangxi_subsidy.engine.answers.table import print_evaluation, print_near_misses
from guangxi_subsidy.engine.applicant.reading import load_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.rules.lazyspec import PICKLED
from guangxi_subsidy.engine.rules.pack import RulePack

RENT = "nanning.incubation_base_rent_subsidy"

READ_BACK = """
import sys
from pathlib import Path
from guangxi_subsidy.engine import keptdocs
from guangxi_subsidy.engine.rules.pack import RulePack
pack = keptdocs.read_kept(Path(sys.argv[1]), RulePack)
assert pack is not keptdocs.MISSING
rule = pack.rules[sys.argv[2]]
print("read back", "pydantic" in sys.modules, rule.clause, rule.benefit, rule.amount.terms.kind,
      rule.document.short, rule.effective.from_, rule.status.value)
spec = rule.spec
print("spec read", "pydantic" in sys.modules, spec.source.clause, spec.benefit.value, spec.amount.kind)
"""


def _read_back(pack: RulePack) -> RulePack:
    back = pickle.loads(pickle.dumps(pack, protocol=pickle.HIGHEST_PROTOCOL))
    assert isinstance(back, RulePack)
    return back


def test_a_pack_read_back_from_the_cache_imports_no_pydantic_until_a_rule_is_read_as_written(
    pack: RulePack, tmp_path: Path
) -> None:
    kept = tmp_path / "pack-test.pickle"
    keptdocs.keep(tmp_path, kept, pack, "pack-*.pickle")  # (written as the program's cache writes it)
    ran = subprocess.run([sys.executable, "-c", READ_BACK, str(kept), RENT], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    first, second = ran.stdout.splitlines()
    rule = pack.rules[RENT]  # (the built pack's own values: the one read back must give the same)
    clause, short, start = rule.rule.source.clause, rule.document.short, rule.effective.from_
    assert first == f"read back False {clause} cash_subsidy formula {short} {start} in_force"
    assert second == f"spec read True {clause} cash_subsidy formula"


def test_a_pack_read_back_equals_the_pack_built_rule_for_rule(pack: RulePack) -> None:
    back = _read_back(pack)
    assert back.rules == pack.rules and back.derived == pack.derived  # (each spec unpickled to compare)
    assert back.documents == pack.documents and back.parameters == pack.parameters
    assert back.not_encoded == pack.not_encoded and back.not_benefits == pack.not_benefits
    assert back.symbols == pack.symbols and back.digest == pack.digest
    rule, again = pack.rules[RENT], back.rules[RENT]
    assert again.spec.model_dump() == rule.spec.model_dump()
    assert (again.clause, again.benefit, again.pairings) == (rule.clause, rule.benefit, rule.pairings)


def test_evaluating_and_printing_the_table_reads_no_rule_as_written(pack: RulePack) -> None:
    back = _read_back(pack)
    engine = Engine(back)
    out = io.StringIO()
    console = Console(file=out, width=160, emoji=False)
    for _name, path in sorted(examples().items()):
        evaluation = engine.evaluate(load_profile(path), include_drafts=True)
        print_evaluation(evaluation, console, explain=False)
        print_near_misses(evaluation, back, console)
    assert "550,000.00" in out.getvalue()  # 900,000 × 70% = 630,000, capped at 550,000 (document 002, 三(四)18)
    every = [*back.rules.values(), *back.derived.values()]
    assert [r.id for r in every if PICKLED + "spec" not in r.__dict__] == []
    assert [r.id for r in every if r.amount is not None and PICKLED + "spec" not in r.amount.__dict__] == []


def test_the_plain_copies_follow_a_rule_whose_spec_is_replaced(pack: RulePack) -> None:
    rule = _read_back(pack).rules["nanning.first_set_sale_award"]
    spec = rule.rule.model_copy(update={"combinations": []})
    changed = dataclasses.replace(rule, spec=spec)
    assert rule.pairings and changed.pairings == ()
    assert changed.clause == rule.clause and changed.benefit == rule.benefit == "award"
