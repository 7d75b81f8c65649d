"""Rendered explanations, snapshotted as golden files and reviewed by diff.

Re-record after an intended change with `UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py`, then
read the diff: it is what a person will see.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.console import Console

from guangxi_subsidy.engine.answers.table import print_evaluation
from guangxi_subsidy.engine.applicant.reading import load_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
PROFILES = sorted((ROOT / "cases" / "profiles").glob("*.yaml"))


def render(engine: Engine, path: Path) -> str:
    console = Console(width=110, record=True, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115
    print_evaluation(engine.evaluate(load_profile(path)), console, explain=True)
    return console.export_text()


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_rendered_explanation_matches_its_golden_file(engine: Engine, path: Path) -> None:
    golden = GOLDEN / f"{path.stem}.txt"
    text = render(engine, path)
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file; record it with UPDATE_GOLDEN=1 ({golden.name})"
    assert text == golden.read_text(encoding="utf-8")
