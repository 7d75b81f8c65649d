"""Every total `subsidy batch` gives equals the sum of the totals `subsidy evaluate` gives for the same applicants.

The batch totals (the summary's, the wide layout's per applicant, in-force and drafts' own) and the one-profile
totals are computed by different code (polars, C, Python) from the one rule in `evaluation/outcome.py`; this
holds them to each other on generated applicants and the whole pack, with drafts and without.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from budget import examples
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.answers.document import evaluation_json
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.evaluation.outcome import COUNT_TOTALS
from guangxi_subsidy.engine.rules import pack as pack_module
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack
from guangxi_subsidy.engine.verify import strategies

PACK = load_pack()
ENGINE = Engine(PACK)


@pytest.fixture(scope="module", autouse=True)
def _bundled_pack_read_once() -> Iterator[None]:
    """`subsidy batch` here reads the bundled pack this module has read already (the same files, the same pack),
    not once more per example: the reading took a third of these examples' time and is not what they are about."""
    def load(paths: Sequence[Path] | None = None, parameters: Path | None = None) -> RulePack:
        return PACK if not paths and parameters is None else load_pack(paths, parameters)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pack_module, "load_pack", load)
        yield
MONEY = {"grants": ("grants",), "grants_min": ("grants_range", "min"), "grants_max": ("grants_range", "max"),
         "relief_estimate": ("relief_estimate",), "loan_quota": ("loan_quota",)}


def cell(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def evaluate_totals(data: dict[str, Any], day: dt.date, drafts: bool) -> dict[str, dict[str, Any]]:
    """`subsidy evaluate --format json`'s totals for one applicant (the JSON the CLI prints)."""
    shown = evaluation_json(ENGINE.evaluate(parse_profile(data), as_of=day, include_drafts=drafts))
    return {"totals": shown["totals"], "draft_totals": shown.get("draft_totals", {})}


def figure(totals: dict[str, Any], path: tuple[str, ...]) -> Decimal:
    value: Any = totals
    for key in path:
        value = value[key]
    return Decimal(value)


@settings(max_examples=examples(40), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(strategies.any_profile_data(PACK), min_size=1, max_size=10), strategies.evaluation_dates(PACK),
       st.booleans(), st.sampled_from(["columnar", "reference"]))
def test_batch_totals_equal_the_sum_of_evaluate_totals(tmp_path_factory: pytest.TempPathFactory,
                                                      applicants: list[dict[str, Any]], day: dt.date, drafts: bool,
                                                      engine: str) -> None:
    folder = tmp_path_factory.mktemp("totals")
    rows = []
    for number, data in enumerate(applicants):
        row = {name: cell(value) for name, value in data.items() if value is not None}
        row["id"] = f"T{number}"
        rows.append(row)
    names = sorted({n for row in rows for n in row})
    with (folder / "in.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
    more = ["--include-drafts"] if drafts else []
    result = CliRunner().invoke(cli, ["batch", str(folder / "in.csv"), "-o", str(folder / "out.csv"), "--as-of",
                                      day.isoformat(), "--summary", str(folder / "s.json"), "--engine", engine,
                                      "-q", *more], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads((folder / "s.json").read_text(encoding="utf-8"))
    with (folder / "out.csv").open(encoding="utf-8-sig", newline="") as handle:
        wide = {line["id"]: line for line in csv.DictReader(handle)}
    assert summary["rows"]["evaluated"] == len(wide), "every applicant generated is valid"

    expected = {key: dict.fromkeys(MONEY, Decimal(0)) for key in ("totals", "draft_totals")}
    for row in rows:
        mine = evaluate_totals({**applicants[int(row["id"][1:])], "id": row["id"]}, day, drafts)
        for key in expected:
            for name, path in MONEY.items():
                expected[key][name] += figure(mine[key], path) if mine[key] else Decimal(0)
        line = wide[row["id"]]  # the wide layout's totals are the in-force ones, applicant by applicant
        for name, path in MONEY.items():
            assert Decimal(line[name]) == figure(mine["totals"], path), (row["id"], name)
        for name in COUNT_TOTALS:
            assert int(line[name]) == mine["totals"][name], (row["id"], name)

    assert {n: Decimal(v) for n, v in summary["totals"].items()} == expected["totals"]
    if drafts:
        assert {n: Decimal(v) for n, v in summary["draft_totals"].items()} == expected["draft_totals"]
    else:
        assert "draft_totals" not in summary


@pytest.mark.parametrize("engine", ["columnar", "reference"])
def test_a_draft_benefit_is_totalled_apart_in_batch_and_evaluate_alike(tmp_path: Path, engine: str) -> None:
    """Worked by hand: the Nanning base gets 900,000 × 70% = 630,000, capped at 550,000 (002 三(四)18); the Wuzhou
    talent's draft refund is 12,000 + 9,000 = 21,000 (003 七(二十四), 全额补贴), in the drafts' totals only."""
    base = {"id": "B1", "kind": "incubation_base", "city": "nanning", "recognised_incubation_base": True,
            "rent_and_broadband_paid": 900000, "rent_subsidy_years_received": 0}
    talent = {"id": "W1", "kind": "individual", "city": "wuzhou", "high_level_talent": True,
              "local_share_of_income_tax_paid": 12000, "first_home_deed_tax_paid": 9000}
    day = dt.date(2019, 6, 1)
    names = sorted(set(base) | set(talent))
    with (tmp_path / "in.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows([{n: cell(v) for n, v in row.items()} for row in (base, talent)])
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--as-of",
                                      day.isoformat(), "--summary", str(tmp_path / "s.json"), "--engine", engine,
                                      "--include-drafts", "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert summary["totals"]["grants"] == "550000.00"
    assert summary["draft_totals"]["grants"] == "21000.00"
    one = [evaluate_totals(row, day, drafts=True) for row in (base, talent)]
    assert sum(Decimal(t["totals"]["grants"]) for t in one) == Decimal("550000.00")
    assert sum(Decimal(t["draft_totals"]["grants"]) for t in one) == Decimal("21000.00")
