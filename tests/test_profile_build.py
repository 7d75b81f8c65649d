"""The profile model built with its field types' schemas shared (`_Once` in engine/applicant/profile.py) is the
model pydantic builds from the same annotations without sharing: the same core schema, the same JSON Schema,
and the same records and errors for the same input."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import ValidationError

from guangxi_subsidy.engine.applicant import profile as shared

SOURCE = Path(shared.__file__).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def unshared() -> Any:
    """The module built again from its source with every `_Once()` marker taken out of the annotations."""
    source = re.sub(r"Annotated\[(\w+ \| None), _Once\(\)\]", r"\1", SOURCE).replace(", _Once()]", "]")
    assert source.count("_Once()") == 0 and SOURCE.count("_Once()") >= 8  # (all taken out; there were some)
    module = ModuleType(shared.__name__)  # (the same name, so the schemas' references read the same)
    exec(compile(source, shared.__file__, "exec"), module.__dict__)  # noqa: S102 - the package's own source
    return module.Profile


def _plain(text: str) -> str:
    """A schema's repr without what differs between two builds: addresses and the ids in references."""
    return re.sub(r" at 0x[0-9a-f]+|:\d{6,}'", "", text)


def test_shared_field_schemas_give_the_same_core_schema_as_pydantic_builds_unshared(unshared: Any) -> None:
    assert unshared.__pydantic_core_schema__ is not shared.Profile.__pydantic_core_schema__
    assert _plain(repr(shared.Profile.__pydantic_core_schema__)) == _plain(repr(unshared.__pydantic_core_schema__))


def test_shared_field_schemas_give_the_same_json_schema(unshared: Any) -> None:
    assert shared.Profile.model_json_schema() == unshared.model_json_schema()


HOSTILE: list[dict[str, Any]] = [
    {"id": "a", "kind": "enterprise", "city": "nanning", "industrial_enterprise": "是", "monthly_sales": "1,000.5"},
    {"id": "a", "kind": "企业", "city": "南宁市青秀区", "所在区县": "x", "utilities_months": "12个月",
     "rent_subsidy_years_received": "3年"},
    {"id": "a", "kind": "enterprise", "city": "nanning", "monthly_sales": "-1"},
    {"id": "a", "kind": "enterprise", "city": "nanning", "monthly_sales": "1.005", "industrial_enterprise": "maybe"},
    {"id": "a", "kind": "enterprise", "city": "nanning", "guangxi_new_product_share": "1.5", "as_of": "2017-02-30"},
    {"id": "", "kind": "robot", "city": "paris", "new_products_certified": -3, "unknown_key": 1},
    {"id": "a", "kind": "enterprise", "city": "nanning", "new_products_certified": "3.5", "monthly_sales": None},
    {"id": "a", "kind": "enterprise", "city": "nanning", "monthly_sales": 10**30, "industrial_enterprise": 2},
    {"id": "a", "kind": "enterprise", "city": "nanning", "lender_type": "bank?", "as_of": "2017-03-01"},
]


@pytest.mark.parametrize("data", HOSTILE)
def test_shared_field_schemas_read_and_refuse_alike(unshared: Any, data: dict[str, Any]) -> None:
    def outcome(model: Any) -> Any:
        try:
            return model.model_validate(data).model_dump()
        except ValidationError as error:
            return error.json(include_url=False)  # (each error's type, place, message, input and context)

    assert outcome(shared.Profile) == outcome(unshared)
