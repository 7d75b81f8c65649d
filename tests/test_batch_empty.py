"""The result of no applicants (`Evaluator.empty`, the outputs' headers) names the same columns, of the same
types, as the result of a batch with rows: it is made from the columns' types alone, not decided."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

from guangxi_subsidy.engine.batch.evaluator import Evaluator
from guangxi_subsidy.engine.rules.pack import RulePack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from applicants import applicants  # noqa: E402


@pytest.mark.parametrize("wide", [True, False])
def test_empty_result_has_the_columns_and_types_of_a_decided_batch(pack: RulePack, wide: bool) -> None:
    evaluator = Evaluator(pack, wide=wide)
    decided = evaluator.evaluate(applicants(200, seed=11, pack=pack))
    empty = evaluator.empty()
    assert decided.evaluated > 0 and empty.evaluated == 0
    assert [o.schema for o in empty.outcomes] == [o.schema for o in decided.outcomes]
    for part in ("applicants", "results", "benefits", "errors"):
        got, expected = getattr(empty, part), getattr(decided, part)
        assert isinstance(got, pl.DataFrame) and got.height == 0
        assert got.schema == expected.schema, part


def test_empty_result_is_the_same_as_deciding_no_rows(pack: RulePack) -> None:
    evaluator = Evaluator(pack)
    decided = evaluator.decide([evaluator.empty_admitted()])
    empty = evaluator.empty()
    assert [o.schema for o in empty.outcomes] == [o.schema for o in decided.outcomes]
    assert empty.applicants.schema == decided.applicants.schema
    assert empty.results.columns == decided.results.columns
