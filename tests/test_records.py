"""`record` behaves as `dataclass` does: each class below is made both ways and every difference is a failure."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any

import pytest

from guangxi_subsidy.engine.language import syntax
from guangxi_subsidy.engine.records import record


def _both(frozen: bool = True, eq: bool = True, made_often: bool = False) -> tuple[type, type]:
    def body() -> dict[str, Any]:
        return {"__annotations__": {"op": "str", "items": "tuple[int, ...]", "position": "int", "hidden": "int"},
                "items": field(default_factory=tuple), "position": field(default=0, compare=False),
                "hidden": field(default=7, repr=False)}

    made = dataclass(frozen=frozen, eq=eq)(type("Node", (), body()))
    ours = record(frozen=frozen, eq=eq, made_often=made_often)(type("Node", (), body()))
    return made, ours


@pytest.mark.parametrize("made_often", [False, True])
@pytest.mark.parametrize(("frozen", "eq"), [(True, True), (False, True), (True, False)])
def test_a_record_has_the_dataclass_repr_equality_hash_and_fields(frozen: bool, eq: bool, made_often: bool) -> None:
    made, ours = _both(frozen, eq, made_often)
    for args, kwargs in [(("+",), {}), (("+", (1, 2)), {"position": 3}), ((), {"op": "-", "hidden": 9})]:
        a, b = made(*args, **kwargs), ours(*args, **kwargs)
        assert repr(a) == repr(b)
        assert vars(a) == vars(b) and list(vars(a)) == list(vars(b))
        same = ours(*args, **{**kwargs, "position": 99})  # position is not compared
        assert (b == same) == (a == made(*args, **{**kwargs, "position": 99}))
        if frozen and eq:
            assert hash(b) == hash(same) == hash(a)
    assert [f.name for f in dataclasses.fields(ours)] == [f.name for f in dataclasses.fields(made)]
    assert ours.__match_args__ == made.__match_args__
    assert (ours.__hash__ is None) == (made.__hash__ is None)


@pytest.mark.parametrize("made_often", [False, True])
def test_a_frozen_record_refuses_assignment_and_deletion_as_a_frozen_dataclass_does(made_often: bool) -> None:
    made, ours = _both(made_often=made_often)
    for kind in (made, ours):
        node = kind("+")
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'op'"):
            node.op = "-"
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'op'"):
            del node.op


def test_a_record_refuses_wrong_arguments_with_a_type_error() -> None:
    _, ours = _both()
    for args, kwargs in [((), {}), (("+", (), 0, 1, 2), {}), (("+",), {"op": "-"}), (("+",), {"nope": 1})]:
        with pytest.raises(TypeError):
            ours(*args, **kwargs)


def test_syntax_trees_keep_equality_without_positions_hashing_replace_and_pickling() -> None:
    left = syntax.Binary("+", syntax.Name("a", position=0), syntax.Literal(1, position=4), position=2)
    right = syntax.Binary("+", syntax.Name("a"), syntax.Literal(1))
    assert left == right and hash(left) == hash(right) and len({left, right}) == 1
    assert left != syntax.Binary("-", syntax.Name("a"), syntax.Literal(1))
    assert repr(right) == ("Binary(op='+', left=Name(name='a', position=0), right=Literal(value=1, position=0), "
                           "position=0)")
    assert pickle.loads(pickle.dumps(left)) == left and copy.deepcopy(left).position == 2
    assert dataclasses.replace(left, op="-").op == "-"
    with pytest.raises(dataclasses.FrozenInstanceError):
        left.op = "-"  # type: ignore[misc]
