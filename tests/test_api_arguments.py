"""The library's documented functions, called wrongly: each raises the package's own exception (a ValueError,
named for the argument or the file), never a raw TypeError, AttributeError, polars or pyo3 error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

import guangxi_subsidy as gs
from guangxi_subsidy import evaluate, evaluate_dataset, evaluate_frame, load_pack, summarise

BASE = {"id": "NN-BASE-001", "kind": "incubation_base", "city": "南宁", "as_of": "2017-03-01",
        "recognised_incubation_base": True, "rent_and_broadband_paid": "900000", "rent_subsidy_years_received": 0}
FRAME = pl.DataFrame({"id": ["A"], "kind": ["incubation_base"], "city": ["南宁"], "rent_and_broadband_paid": ["1"]})


class Client:
    """Stands in for a dask Client: a bad argument must be refused before the cluster is asked anything."""

    def map(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the cluster was asked to work on a bad argument")


def _summary() -> Any:
    return evaluate_frame(FRAME).summary


BAD_CALLS: list[tuple[str, Callable[[], Any], str]] = [
    ("load_pack(5)", lambda: load_pack(5), "rules"),  # type: ignore[arg-type]
    ("load_pack([None])", lambda: load_pack([None]), "rules"),  # type: ignore[list-item]
    ("load_pack(bytes)", lambda: load_pack(b"rules"), "rules"),  # type: ignore[arg-type]
    ("load_pack(missing)", lambda: load_pack("/nonexistent/rules"), "/nonexistent/rules"),
    ("evaluate(None)", lambda: evaluate(None), "profile"),  # type: ignore[arg-type]
    ("evaluate(5)", lambda: evaluate(5), "profile"),  # type: ignore[arg-type]
    ("evaluate(a file name)", lambda: evaluate("profile.yaml"), "profile"),  # type: ignore[arg-type]
    ("evaluate({})", lambda: evaluate({}), "id"),
    ("evaluate({1: 2})", lambda: evaluate({1: 2}), "id"),
    ("evaluate(kind=object())", lambda: evaluate({**BASE, "kind": object()}), "kind"),
    ("evaluate(money NaN)", lambda: evaluate({**BASE, "rent_and_broadband_paid": float("nan")}),
     "rent_and_broadband_paid"),
    ("evaluate(money a list)", lambda: evaluate({**BASE, "rent_and_broadband_paid": [1]}), "rent_and_broadband_paid"),
    ("evaluate({'profile': 5})", lambda: evaluate({"profile": 5}), "id"),
    ("evaluate(as_of=5)", lambda: evaluate(BASE, as_of=5), "as_of"),  # type: ignore[arg-type]
    ("evaluate(as_of=Feb 30)", lambda: evaluate(BASE, as_of="2017-02-30"), "as_of"),
    ("evaluate(as_of=bytes)", lambda: evaluate(BASE, as_of=b"2017-03-01"), "as_of"),  # type: ignore[arg-type]
    ("evaluate(pack=str)", lambda: evaluate(BASE, pack="bundled"), "pack"),  # type: ignore[arg-type]
    ("evaluate(include_drafts='yes')", lambda: evaluate(BASE, include_drafts="yes"),  # type: ignore[arg-type]
     "include_drafts"),
    ("evaluate(explain=None)", lambda: evaluate(BASE, explain=None), "explain"),  # type: ignore[arg-type]
    ("evaluate_frame(None)", lambda: evaluate_frame(None), "applicants"),  # type: ignore[arg-type]
    ("evaluate_frame(dict)", lambda: evaluate_frame({"id": ["A"]}), "applicants"),  # type: ignore[arg-type]
    ("evaluate_frame(LazyFrame)", lambda: evaluate_frame(FRAME.lazy()), "LazyFrame"),  # type: ignore[arg-type]
    ("evaluate_frame(as_of=tomorrow)", lambda: evaluate_frame(FRAME, as_of="tomorrow"), "as_of"),
    ("evaluate_frame(first_row='1')", lambda: evaluate_frame(FRAME, first_row="1"),  # type: ignore[arg-type]
     "first_row"),
    ("evaluate_frame(first_row=-5)", lambda: evaluate_frame(FRAME, first_row=-5), "first_row"),
    ("evaluate_frame(pack=5)", lambda: evaluate_frame(FRAME, pack=5), "pack"),  # type: ignore[arg-type]
    ("evaluate_frame(keep_repeats='no')", lambda: evaluate_frame(FRAME, keep_repeats="no"),  # type: ignore[arg-type]
     "keep_repeats"),
    ("evaluate_frame(a list column)",
     lambda: evaluate_frame(FRAME.with_columns(pl.lit([1, 2]).alias("rent_subsidy_years_received"))),
     "rent_subsidy_years_received"),
    ("evaluate_frame(no columns)", lambda: evaluate_frame(pl.DataFrame()), "id"),
    ("evaluate_frame(a decimal256 beyond any field)",
     lambda: evaluate_frame(pa.table({**{k: [v] for k, v in FRAME.row(0, named=True).items()
                                         if k != "rent_and_broadband_paid"},
                                      "months_operating_in_base": pa.array([10**70], pa.decimal256(76, 0))})),
     None),  # read as text: the row is rejected, naming the field (the outcome, not an exception)
    ("summarise(None)", lambda: summarise(None), "outcome"),  # type: ignore[arg-type]
    ("summarise(dict)", lambda: summarise({"a": 1}), "outcome"),  # type: ignore[arg-type]
    ("summarise(as_of='x')", lambda: summarise(_summary(), as_of="x"), "as_of"),
    ("summarise(pack='x')", lambda: summarise(_summary(), pack="x"), "pack"),  # type: ignore[arg-type]
    ("evaluate_dataset(client=None)", lambda: evaluate_dataset(None, "registry/"), "client"),
    ("evaluate_dataset(layout='tall')", lambda: evaluate_dataset(Client(), "registry/", layout="tall"), "layout"),
    ("evaluate_dataset(rows_per_part=0)", lambda: evaluate_dataset(Client(), "registry/", rows_per_part=0),
     "rows_per_part"),
    ("evaluate_dataset(dataset=5)", lambda: evaluate_dataset(Client(), 5), "dataset"),
]


@pytest.mark.parametrize(("call", "expected"), [(c, e) for _, c, e in BAD_CALLS], ids=[n for n, _, _ in BAD_CALLS])
def test_a_bad_call_raises_the_packages_own_value_error_naming_the_argument(call: Callable[[], Any],
                                                                            expected: str | None) -> None:
    if expected is None:
        outcome = call()
        assert outcome.rows["rejected"] == 1 and "months_operating_in_base" in outcome.rejections["field"].to_list()
        return
    with pytest.raises(ValueError) as raised:
        call()
    error = raised.value
    assert type(error).__module__.startswith("guangxi_subsidy."), repr(error)
    assert expected in str(error), str(error)


def test_the_argument_error_is_exported_and_is_a_value_error() -> None:
    assert issubclass(gs.ArgumentError, ValueError)
    with pytest.raises(gs.ArgumentError, match="as_of: got 'soon'"):
        evaluate(BASE, as_of="soon")
    assert evaluate(BASE, as_of=dt.datetime(2017, 3, 1, 9))["totals"]["grants"] == "550000.00"  # its date


def test_a_missing_dataset_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dataset"):
        evaluate_dataset(Client(), tmp_path)  # an empty folder: no Parquet files
