"""Generated hostile profiles, YAML and JSON, through `subsidy evaluate`: exit 0 or 2, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hostile
from harness import clean, shown_bytes


def test_hostile_yaml_profiles_are_evaluated_or_refused_cleanly(run: Any, tmp_path: Path) -> None:
    tried = 0
    for rng in hostile.runs(seconds=4, most=150, seed_offset=1):
        data = hostile.profile_yaml(rng)
        path = tmp_path / "profile.yaml"
        path.write_bytes(data)
        clean(run("evaluate", str(path), "--as-of", "2017-06-30"), shown_bytes(data))
        tried += 1
    hostile.report(tried)
    assert tried >= 10


def test_hostile_json_profiles_are_evaluated_or_refused_cleanly(run: Any, tmp_path: Path) -> None:
    tried = 0
    for rng in hostile.runs(seconds=3, most=120, seed_offset=2):
        data = hostile.profile_json(rng)
        path = tmp_path / "profile.json"
        path.write_bytes(data)
        clean(run("evaluate", str(path), "--format", rng.choice(["json", "table"])), shown_bytes(data))
        tried += 1
    hostile.report(tried)
    assert tried >= 10


def test_hostile_rule_expressions_are_checked_or_refused_cleanly(run: Any, tmp_path: Path) -> None:
    template = (Path(__file__).parent / "corpus" / "rule_template.yaml").read_text(encoding="utf-8")
    tried = 0
    for rng in hostile.runs(seconds=3, most=80, seed_offset=3):
        condition, formula = hostile.expression(rng), hostile.expression(rng)
        text = template.replace("CONDITION", condition.replace('"', "'")).replace("FORMULA", formula.replace('"', "'"))
        path = tmp_path / "rule.yaml"
        path.write_text(text, encoding="utf-8")
        clean(run("rules", "check", str(path)), (condition, formula))
        tried += 1
    hostile.report(tried)
    assert tried >= 10
