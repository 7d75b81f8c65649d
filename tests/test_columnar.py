"""The columnar batch path against the reference (`Engine.evaluate` per row): every decision and every fen."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guangxi_subsidy.engine.applicant.spellings import SYNONYMS
from guangxi_subsidy.engine.batch.evaluator import Evaluator
from guangxi_subsidy.engine.intake.frames import BOOL_SPELLINGS
from guangxi_subsidy.engine.rules import combining
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack
from guangxi_subsidy.engine.scenarios.batchdiff import Alternative, unchanged_rules
from guangxi_subsidy.engine.scenarios.reform import Reform
from guangxi_subsidy.engine.verify import strategies, thresholds
from guangxi_subsidy.engine.verify.programmes import _draws
from guangxi_subsidy.engine.verify.scenarios import reforms

PACK = load_pack()
COLUMNAR = {drafts: Evaluator(PACK, include_drafts=drafts) for drafts in (False, True)}
REFERENCE = {drafts: Evaluator(PACK, include_drafts=drafts, engine="reference") for drafts in (False, True)}


# Built once: the fields written as money, and one strategy per list of spellings (a strategy made anew for each
# cell is validated anew, which cost more than the evaluation the examples are for).
MONEY = frozenset(name for name, spec in thresholds.schema_fields().items() if spec.type.value == "money")


@functools.cache
def _one_of(forms: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(forms)


def cell_text(draw: Any, name: str, value: Any) -> str:
    """A profile value written as a person might write it in a cell."""
    if isinstance(value, bool):
        return draw(_one_of(tuple(k for k, v in BOOL_SPELLINGS.items() if v is value)))
    if isinstance(value, dt.date):
        return draw(st.sampled_from([value.isoformat(), f"{value.year}/{value.month}/{value.day}"]))
    if name == "kind":
        return draw(_one_of((value, *SYNONYMS["kind"][value])))
    if name == "city":
        return draw(_one_of((value, *SYNONYMS["city"][value])))
    if isinstance(value, Decimal) and name in MONEY:
        fen = int(value * 100)
        yuan, cents = divmod(fen, 100)
        forms = [f"{yuan}.{cents:02d}", f"{yuan:,}.{cents:02d}", f"{Decimal(fen) / 1_000_000}万"]
        if cents == 0:
            forms.append(str(yuan))
        return draw(st.sampled_from(forms))
    if isinstance(value, Decimal):  # a share
        percent = value * 100
        forms = [str(value)] + ([f"{percent.normalize():f}%"] if percent == percent.quantize(Decimal("0.0001")) else [])
        return draw(st.sampled_from(forms))
    return str(value)


_PROFILES: dict[int, tuple[RulePack, st.SearchStrategy[dict[str, Any]]]] = {}


def _profiles(pack: RulePack) -> st.SearchStrategy[dict[str, Any]]:
    """The pack's profile strategy, built once per pack rather than once per example."""
    if id(pack) not in _PROFILES:
        _PROFILES[id(pack)] = (pack, strategies.any_profile_data(pack))
    return _PROFILES[id(pack)][1]


@st.composite
def rows(draw: Any, pack: RulePack) -> list[dict[str, str]]:
    profiles = draw(st.lists(_profiles(pack), min_size=1, max_size=12))
    out = []
    for number, data in enumerate(profiles):
        row = {name: cell_text(draw, name, value) for name, value in data.items() if value is not None}
        row["id"] = f"P{number}"
        out.append(row)
    return out


def frame(rows: list[dict[str, str]]) -> pl.DataFrame:
    names = sorted({n for row in rows for n in row} | {"id", "kind", "city"})
    return pl.DataFrame([{n: row.get(n) for n in names} for row in rows], schema={n: pl.String for n in names})


def agree(cells: pl.DataFrame, drafts: bool) -> None:
    ours, theirs = COLUMNAR[drafts].evaluate(cells), REFERENCE[drafts].evaluate(cells)
    assert ours.errors.equals(theirs.errors)
    assert ours.benefits.equals(theirs.benefits), _difference(ours.benefits, theirs.benefits)
    assert ours.results.equals(theirs.results)


def _difference(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    return a.join(b, on=["row", "rule_id"], how="full", suffix="_reference", nulls_equal=True).filter(
        pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_reference")) for c in ("status", "amount_kind", "value",
                                                                                   "min", "max", "missing"))
    )


@given(rows(PACK), st.booleans())
def test_columnar_agrees_with_the_reference_on_every_decision_and_fen(data: list[dict[str, str]],
                                                                      drafts: bool) -> None:
    agree(frame(data), drafts)


@st.composite
def combined_rows(draw: Any, pack: RulePack) -> list[dict[str, str]]:
    """Applicants drawn to meet the rules of a combination group, alone and together (as `rules verify` does)."""
    groups = [_draws([pack.rules[r] for r in g.order], pack) for g in combining.groups(pack.rules)]
    profiles = draw(st.lists(st.one_of(*groups), min_size=2, max_size=8))
    return [{**{name: cell_text(draw, name, value) for name, value in data.items() if value is not None},
             "id": f"C{number}"} for number, data in enumerate(profiles)]


@settings(max_examples=examples(5))
@given(combined_rows(PACK))
def test_columnar_settles_combinations_as_the_reference_does(data: list[dict[str, str]]) -> None:
    """Where two rules of a group are eligible together: the same rule paid, the same not combined, the same totals."""
    agree(frame(data), False)


@settings(max_examples=examples(15))
@given(rows(PACK), st.dates(dt.date(2014, 1, 1), dt.date(2025, 12, 31)))
def test_columnar_agrees_for_a_batch_date(data: list[dict[str, str]], day: dt.date) -> None:
    cells = frame(data)
    ours = Evaluator(PACK, as_of=day).evaluate(cells)
    theirs = Evaluator(PACK, as_of=day, engine="reference").evaluate(cells)
    assert ours.benefits.equals(theirs.benefits)


@settings(max_examples=examples(12))
@given(reforms(PACK), rows(PACK), st.booleans())
def test_columnar_agrees_with_the_reference_on_a_reformed_pack(reform: Reform, data: list[dict[str, str]],
                                                               drafts: bool) -> None:
    """A reform is a pack like any other: the compiled plan and the reference engine decide it alike."""
    cells = frame(data)
    ours = Evaluator(reform.pack, include_drafts=drafts).evaluate(cells)
    theirs = Evaluator(reform.pack, include_drafts=drafts, engine="reference").evaluate(cells)
    assert ours.errors.equals(theirs.errors)
    assert ours.benefits.equals(theirs.benefits), _difference(ours.benefits, theirs.benefits)
    assert ours.results.equals(theirs.results)
    # A batch run decides again only the rules the reform touched and takes the others from the baseline.
    baseline = COLUMNAR[drafts].evaluate(cells)
    side = Alternative("reform", "drawn", Evaluator(reform.pack, include_drafts=drafts),
                       same=unchanged_rules(PACK, reform.pack))
    admitted = [side.evaluator.admit(cells)]
    partial = side.decide(admitted, baseline)
    assert partial.benefits.equals(ours.benefits)
    assert partial.results.equals(ours.results)


DIVIDING_RULE = """
schema: subsidy-rules/1
document:
  file: 002_b0a6d818020c8865.txt
  title: test document
  short: test
  issuer: test
  jurisdiction: nanning
  status: in_force
  effective: {from: 2016-06-13}
rules:
  - id: test.shared_rent
    name: 测试分摊
    beneficiary: [incubation_base]
    benefit: cash_subsidy
    source: {clause: "1", quote: 补贴标准按照每个基地每年实际缴纳的房租和宽带接入费的70%给予补助}
    conditions:
      - {id: paid, when: rent_and_broadband_paid > 0}
    amount:
      kind: formula
      formula: rent_and_broadband_paid * 2
      caps: [{value: "rent_and_broadband_paid / 7", per: year}]
  - id: test.huge
    name: 测试大数
    beneficiary: [incubation_base]
    benefit: cash_subsidy
    source: {clause: "3", quote: 补贴标准按照每个基地每年实际缴纳的房租和宽带接入费的70%给予补助}
    conditions:
      - {id: paid, when: rent_and_broadband_paid > 0}
    amount:
      kind: formula
      formula: rent_and_broadband_paid * rent_subsidy_years_received * rent_subsidy_years_received * 10000000000000000
  - id: test.thirds
    name: 测试三分之一
    beneficiary: [incubation_base]
    benefit: cash_subsidy
    source: {clause: "2", quote: 补贴标准按照每个基地每年实际缴纳的房租和宽带接入费的70%给予补助}
    conditions:
      - {id: paid, when: rent_and_broadband_paid >= 0}
    amount: {kind: formula, formula: "rent_and_broadband_paid / 3"}
"""


def test_amounts_columns_cannot_hold_exactly_are_computed_by_award_compute(tmp_path: Path) -> None:
    rules = tmp_path / "dividing.yaml"
    rules.write_text(DIVIDING_RULE, encoding="utf-8")
    pack = load_pack([rules])
    ours = Evaluator(pack, as_of=dt.date(2017, 1, 1))
    assert {r.id for r in ours.plan.rules} == {r.id for r in ours.plan.rules if ours.plan.amounts[r.id] is None}
    cells = pl.DataFrame({
        "id": ["a", "b", "c", "d"], "kind": ["incubation_base"] * 4, "city": ["南宁"] * 4,
        "rent_and_broadband_paid": ["0.05", "1", "9999999999999999.99", None],
        "rent_subsidy_years_received": ["1", None, "2", "2"],
    })
    result = ours.evaluate(cells)
    theirs = Evaluator(pack, as_of=dt.date(2017, 1, 1), engine="reference").evaluate(cells)
    assert result.benefits.equals(theirs.benefits)
    thirds = result.benefits.filter(pl.col("rule_id") == "test.thirds")["value"].to_list()
    assert thirds == [Decimal("0.02"), Decimal("0.33"), Decimal("3333333333333333.33")]


@settings(max_examples=examples(8))
@given(rows(PACK), st.integers(1, 6))
def test_partitions_evaluated_apart_add_up_to_one_pass(data: list[dict[str, str]], parts: int) -> None:
    """What a distributed engine does: map the batch function over partitions, then add up."""
    cells = frame(data * 3).with_columns(pl.int_range(2, len(data) * 3 + 2).alias("row"))
    evaluator = COLUMNAR[False]
    whole = evaluator.evaluate(cells)
    pieces = [evaluator.evaluate(piece) for piece in cells.iter_slices(max(1, -(-cells.height // parts)))]
    assert pl.concat([p.benefits for p in pieces]).equals(whole.benefits)
    assert pl.concat([p.results for p in pieces]).equals(whole.results)
    for name in ("grants", "grants_min", "grants_max", "relief_estimate", "loan_quota"):
        assert sum(p.results[name].sum() for p in pieces) == whole.results[name].sum()


@pytest.mark.parametrize("engine", ["columnar", "reference"])
def test_the_worked_example_batch_gives_the_documented_550000(engine: str) -> None:
    cells = pl.DataFrame({"id": ["NN-BASE-001"], "kind": ["incubation_base"], "city": ["南宁"],
                          "recognised_incubation_base": ["是"], "rent_and_broadband_paid": ["90万"],
                          "rent_subsidy_years_received": ["0"]})
    result = Evaluator(PACK, as_of=dt.date(2017, 3, 1), engine=engine).evaluate(cells)
    rent = result.benefits.filter(pl.col("rule_id") == "nanning.incubation_base_rent_subsidy").row(0, named=True)
    assert rent["value"] == Decimal("550000.00") and rent["status"] == "eligible"
    assert result.results["grants"].to_list() == [Decimal("550000.00")]
