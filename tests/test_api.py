"""The library API: the same answers as the command line, for one profile and for a frame of them."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from click.testing import CliRunner

import guangxi_subsidy
from guangxi_subsidy import evaluate, evaluate_frame, load_pack, summarise
from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.intake.cells import read_profile
from guangxi_subsidy.engine.yamlio import load_yaml

ROOT = Path(__file__).resolve().parent.parent
PROFILES = sorted((ROOT / "cases" / "profiles").glob("*.yaml"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from applicants import applicants  # noqa: E402

BASE = {"id": "NN-BASE-001", "kind": "incubation_base", "city": "南宁", "as_of": "2017-03-01",
        "recognised_incubation_base": True, "rent_and_broadband_paid": "900000", "rent_subsidy_years_received": 0}


def _cli_json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["evaluate", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("options", [(), ("--explain",), ("--as-of", "2019-01-01", "--include-drafts")])
def test_evaluate_gives_the_dict_the_cli_prints(path: Path, options: tuple[str, ...]) -> None:
    settings: dict[str, Any] = {"explain": "--explain" in options, "include_drafts": "--include-drafts" in options}
    if "--as-of" in options:
        settings["as_of"] = options[options.index("--as-of") + 1]
    assert evaluate(load_yaml(path.read_text(encoding="utf-8")), **settings) == _cli_json(str(path), *options)


def test_the_readme_example_gets_its_capped_rent_subsidy() -> None:
    # 002 三(四)18: 70% of 900,000 is 630,000, above the cap of 550,000 a base a year.
    result = evaluate(BASE)
    assert result["totals"]["grants"] == "550000.00"
    assert [b["rule_id"] for b in result["benefits"]] == ["nanning.incubation_base_rent_subsidy"]


def test_importing_the_package_loads_no_polars_and_evaluating_one_profile_neither() -> None:
    code = ("import sys, guangxi_subsidy; before = 'polars' in sys.modules; from guangxi_subsidy import evaluate; "
            f"evaluate({BASE!r}); print(before, 'polars' in sys.modules, 'pydantic' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.split() == ["False", "False", "True"]
    assert all(callable(getattr(guangxi_subsidy, name)) for name in guangxi_subsidy.__all__)


def _sum_of_single_totals(profiles: list[Any], as_of: dt.date | None = None) -> dict[str, Decimal]:
    out = dict.fromkeys(("grants", "grants_min", "grants_max", "relief_estimate", "loan_quota"), Decimal(0))
    for profile in profiles:
        totals = evaluate(profile, as_of=as_of)["totals"]
        out["grants"] += Decimal(totals["grants"])
        out["grants_min"] += Decimal(totals["grants_range"]["min"])
        out["grants_max"] += Decimal(totals["grants_range"]["max"])
        out["relief_estimate"] += Decimal(totals["relief_estimate"])
        out["loan_quota"] += Decimal(totals["loan_quota"])
    return out


def _outcome_kinds(results: pl.DataFrame) -> list[set[tuple[str, str]]]:
    """Per row, each benefit's kind of outcome: an amount, or its word ('unquantified', 'up to N', 'expired' …)."""
    rules = [c for c in results.columns if "." in c]
    return [{(rule, "amount" if re.fullmatch(r"[0-9.]+", value) else re.sub(r"[0-9.]+", "N", value))
             for rule, value in zip(rules, row, strict=True) if value is not None}
            for row in results.select(rules).iter_rows()]


def test_a_frame_totals_the_sum_of_its_applicants_evaluated_one_by_one() -> None:
    # Of 1,500 generated applicants, the few rows that between them show every benefit's every kind of outcome
    # seen in all 1,500 (chosen greedily), and every tenth row besides: each one is evaluated one by one at
    # ~7 ms of CPU, the frame at a fraction of that.
    generated = applicants(1500, seed=11)
    kinds = _outcome_kinds(evaluate_frame(generated).results)
    wanted, chosen = set().union(*kinds), set(range(0, 1500, 10))
    for row in chosen:
        wanted -= kinds[row]
    while wanted:
        best = max(range(1500), key=lambda row: len(kinds[row] & wanted))
        chosen.add(best)
        wanted -= kinds[best]
    cells = generated[sorted(chosen)]
    count = cells.height
    profiles = [read_profile(row, f"row {n}") for n, row in enumerate(cells.iter_rows(named=True), start=1)]
    outcome = evaluate_frame(cells)
    assert set().union(*_outcome_kinds(outcome.results)) == set().union(*kinds)
    assert outcome.rows == {"read": count, "evaluated": count, "rejected": 0, "repeated": 0}
    assert outcome.totals == _sum_of_single_totals(profiles)
    assert outcome.totals["grants"] > 0 and outcome.totals["relief_estimate"] > 0
    assert outcome.results.height == count and outcome.results["row"].to_list() == list(range(1, count + 1))


def test_the_bundled_profiles_as_a_frame_total_what_each_totals_alone() -> None:
    data = [load_yaml(p.read_text(encoding="utf-8")) for p in PROFILES]
    names = sorted({k for d in data for k in d})
    frame = pl.DataFrame({n: [None if d.get(n) is None else str(d[n]).lower() if isinstance(d[n], bool)
                              else str(d[n]) for d in data] for n in names})
    outcome = evaluate_frame(frame, as_of="2018-01-01")
    assert outcome.totals == _sum_of_single_totals(data, dt.date(2018, 1, 1))
    assert summarise(outcome)["totals"]["grants"] == str(outcome.totals["grants"])


def test_bad_rows_come_back_as_rejections_with_their_row_numbers() -> None:
    frame = pl.DataFrame({
        "id": ["A", "B", None, "D", "A"],
        "kind": ["incubation_base", "spaceship", None, "enterprise", "incubation_base"],
        "city": ["南宁", "nanning", None, "南宁", "南宁"],
        "rent_and_broadband_paid": ["900000", "1", None, "12.345", "900000"],
        "as_of": ["2017-03-01", "2017-03-01", None, "2017-03-01", "2017-03-01"],
    })
    outcome = evaluate_frame(frame, first_row=10)
    got = {(r["row"], r["field"]) for r in outcome.rejections.iter_rows(named=True)}
    assert got == {(11, "kind"), (12, ""), (13, "rent_and_broadband_paid"), (14, "id")}
    assert outcome.rows == {"read": 5, "evaluated": 1, "rejected": 4, "repeated": 1}
    assert outcome.results["row"].to_list() == [10]
    assert evaluate_frame(frame, keep_repeats=True).rows["evaluated"] == 2


def test_typed_arrow_columns_read_as_the_same_values_written_as_text() -> None:
    as_text = pl.DataFrame({
        "id": ["T1", "T2", "T3"], "kind": ["incubation_base"] * 3, "city": ["南宁"] * 3,
        "as_of": ["2017-03-01", "2017-03-01", "2017-03-01"], "recognised_incubation_base": ["true", "false", "true"],
        "rent_and_broadband_paid": ["900000.00", "300000.10", "500000.00"], "rent_subsidy_years_received": ["0"] * 3,
    })
    typed = pa.table({
        "id": ["T1", "T2", "T3"], "kind": ["incubation_base"] * 3, "city": ["南宁"] * 3,
        "as_of": pa.array([dt.date(2017, 3, 1)] * 3, pa.date32()),
        "recognised_incubation_base": [True, False, True],
        "rent_and_broadband_paid": pa.array([Decimal("900000.000"), Decimal("300000.100"), Decimal("500000")],
                                            pa.decimal128(20, 3)),
        "rent_subsidy_years_received": pa.array([0, 0, 0], pa.int32()),
    })
    text_result, typed_result = evaluate_frame(as_text), evaluate_frame(typed)
    assert typed_result.results.equals(text_result.results)
    # 002 三(四)18: 70% of 500,000 = 350,000 (below the cap); 900,000 is capped at 550,000.
    assert typed_result.totals["grants"] == Decimal("900000.00")


def test_a_typed_value_out_of_range_is_rejected_naming_field_and_value() -> None:
    typed = pa.table({"id": ["X", "Y"], "kind": ["enterprise", "enterprise"], "city": ["南宁", "南宁"],
                      "rent_and_broadband_paid": pa.array([-5, 10], pa.int64()),
                      "rd_expenses": pa.array([Decimal("1.234"), Decimal("2.000")], pa.decimal128(10, 3))})
    outcome = evaluate_frame(typed)
    problems = {(r["row"], r["field"], r["value"]) for r in outcome.rejections.iter_rows(named=True)}
    assert problems == {(1, "rent_and_broadband_paid", "-5"), (1, "rd_expenses", "1.234")}
    assert outcome.rows["evaluated"] == 1


def test_a_pack_from_a_folder_is_the_bundled_one_when_it_is_the_same_folder() -> None:
    assert load_pack(ROOT / "rules").digest == load_pack().digest


def test_the_readme_python_example_runs_and_gives_what_it_says() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## From Python"):]
    code = section[section.index("```python") + len("```python"):section.index("```\n", section.index("```python"))]
    space: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), space)  # noqa: S102 - the README's own example
    assert space["result"]["totals"]["grants"] == "550000.00"
    outcome = space["outcome"]
    assert outcome.results["id"].to_list() == ["A"] and outcome.results["row"].to_list() == [1]
    assert outcome.rejections.select("row", "field", "value").rows() == [(2, "rent_and_broadband_paid", "abc")]
    assert outcome.totals["grants"] == Decimal("550000.00")
