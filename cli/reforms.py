"""The reform and second-date parts of `subsidy evaluate` and `subsidy batch`: a reform file read against the
pack, the baseline and the reform side by side for one applicant, and the alternative side of a batch.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.text import Text

from guangxi_subsidy.engine.answers.document import evaluation_document
from guangxi_subsidy.engine.answers.table import print_near_misses
from guangxi_subsidy.engine.evaluation.evaluate import Engine, Evaluation
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.jsontext import json_text
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.scenarios.compare import comparison_json, comparison_table

from .common import BadInput, State

if TYPE_CHECKING:  # (reform files are read only when one is given: `subsidy evaluate` starts without them)
    from guangxi_subsidy.engine.scenarios.reform import Reform


def reform_of(state: State, path: Path) -> Reform:
    from guangxi_subsidy.engine.scenarios.reform import load_reform

    return load_reform(path, state.pack)


def reform_json(reform: Reform) -> dict[str, Any]:
    return {"name": reform.name, "file": str(reform.path), "description": reform.description,
            "changes": [{"kind": c.kind, "target": c.target, "reason": c.reason, "changed": list(c.what)}
                        for c in reform.changes],
            "rules_digest": reform.pack.digest}


def show_reform(state: State, reform_path: Path, baseline: Evaluation, fmt: str, explain: bool) -> None:
    """`subsidy evaluate PROFILE --reform R.yaml`: the baseline and the reform side by side."""
    reform = reform_of(state, reform_path)
    engine = Engine(reform.pack)
    reformed = engine.evaluate(baseline.profile, as_of=baseline.as_of, include_drafts=baseline.include_drafts)
    labels = ("baseline", "reform")
    if fmt == "json":
        data = {"schema": "subsidy-reform-evaluation/1", "reform": reform_json(reform),
                "baseline": evaluation_document(baseline, state.pack, explain),
                "reform_evaluation": evaluation_document(reformed, reform.pack, explain),
                "comparison": comparison_json(baseline, reformed, labels)}
        click.echo(json_text(data))
        return
    console = Console()
    profile = baseline.profile
    title = _("{who} · as of {day} · baseline against the reform “{name}”").format(
        who=profile.name or profile.id, day=baseline.as_of, name=reform.name)
    console.print(comparison_table(baseline, reformed, (_("Baseline (yuan)"), _("Reform (yuan)")), title))
    console.print(Text(_("The reform's changes:"), style="bold"))
    for change in reform.changes:
        what = ", ".join(change.what)
        console.print(Text(f"  {change.kind} {change.target}" + (f" ({what})" if what else "") + f": {change.reason}"))
    print_near_misses(reformed, reform.pack, console)


# ---------------------------------------------------------------- batch: the second side


def alternative(pack: RulePack, reform_path: Path | None, compare_day: dt.date | None, day: dt.date | None,
                include_drafts: bool, engine: str, wide: bool) -> Any:
    """The batch's alternative side, or None: a reform (its pack) or another evaluation date. (Its modules are
    imported only when there is one: a reform file's models are pydantic, which a plain batch does not import.)"""
    if reform_path is not None and compare_day is not None:
        raise BadInput("give --reform or --compare-as-of, not both")
    if reform_path is None and compare_day is None:
        return None
    from guangxi_subsidy.engine.batch.evaluator import Evaluator
    from guangxi_subsidy.engine.scenarios.batchdiff import Alternative, unchanged_rules

    if reform_path is not None:
        from guangxi_subsidy.engine.scenarios.reform import load_reform

        reform = load_reform(reform_path, pack)
        evaluator = Evaluator(reform.pack, as_of=day, include_drafts=include_drafts, engine=engine, wide=wide)
        return Alternative("reform", reform.name, evaluator, {"reform": reform_json(reform)},
                           unchanged_rules(pack, reform.pack))
    assert compare_day is not None
    evaluator = Evaluator(pack, as_of=compare_day, include_drafts=include_drafts, engine=engine, wide=wide)
    return Alternative("as_of", compare_day.isoformat(), evaluator, {"as_of": compare_day.isoformat()})
