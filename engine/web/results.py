"""An evaluation as the web's result pages show it: the reader's view (engine/answers/view.py), which the
applicant's report draws too, plus what the guided questionnaire holds at stake on each benefit."""

from __future__ import annotations

from typing import Any

from guangxi_subsidy.engine.answers.view import view as reader_view
from guangxi_subsidy.engine.evaluation.evaluate import Evaluation
from guangxi_subsidy.engine.rules.pack import RulePack


def view(evaluation: Evaluation, pack: RulePack) -> dict[str, Any]:
    """Everything a results page shows for one evaluation."""
    from guangxi_subsidy.engine.web.questionnaire import step

    held = step(evaluation, pack)
    return {**reader_view(evaluation, pack), "stakes": {s.rule_id: s for s in (*held.open, *held.stuck)}}
