"""A profile field as a question put to a person: its Chinese and English label, its unit, the kind of input.

The calculator's form asks these questions and the applicant's report names the facts that might settle a
benefit by the same labels, so both read them here, from the profile model (its `label_zh`, its description, its
unit) and the field's type in the rules' language, never from a page of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guangxi_subsidy.engine.applicant.fields import field_symbols
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.language.syntax import ValueType

IDENTITY = ("id", "name", "kind", "city", "as_of")  # who is asked and for when: never a question of a benefit


@dataclass(frozen=True)
class Question:
    """One profile field as a form input."""

    name: str
    label_zh: str
    label_en: str
    unit: str | None
    input: str  # bool | choice | number | money | ratio | date | text
    choices: tuple[str, ...] = ()
    help: tuple[str, ...] = ()  # the rules' `says` for conditions reading this field


def _meta() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, info in Profile.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        out[name] = {"label_zh": str(extra.get("label_zh", name)), "label_en": info.description or name,
                     "unit": extra.get("unit")}
    return out


META = _meta()  # each profile field's labels and unit, by name


def _input_kind(name: str) -> tuple[str, tuple[str, ...]]:
    symbol = field_symbols().get(name)
    if symbol is None:  # id and name: text
        return "text", ()
    if symbol.choices:
        return "choice", symbol.choices
    unit = META[name]["unit"]
    if symbol.type == ValueType.BOOL:
        return "bool", ()
    if unit == "yuan" or symbol.type == ValueType.MONEY:
        return "money", ()
    if unit == "ratio":
        return "ratio", ()
    if symbol.type == ValueType.DATE:
        return "date", ()
    if symbol.type in (ValueType.INTEGER, ValueType.DECIMAL):
        return "number", ()
    return "text", ()


def question(name: str, help_texts: tuple[str, ...] = ()) -> Question:
    """The question for one profile field, with the rules' words on it as help."""
    meta = META[name]
    kind, choices = _input_kind(name)
    return Question(name, meta["label_zh"], meta["label_en"], meta["unit"], kind, choices, help_texts)
