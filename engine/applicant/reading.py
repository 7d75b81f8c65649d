"""Reading a profile: from a file (YAML or JSON, decoded as batch files are) or a mapping, into the model, and
every problem found named by field, value and what was expected, in the chosen language.

The model itself (`profile.py`) says what a field is and how its values are read; this module is about the
document around them: its size, its encoding, its syntax, and the messages that tell a person what to fix.
`load_applicant` and `parse_applicant` first try the reader without pydantic (`plain.py`) and leave to the model
only what it is not sure of: a valid profile is read without importing pydantic, an invalid one gets the model's
messages, as from `load_profile`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guangxi_subsidy.engine import keptdocs
from guangxi_subsidy.engine.applicant import values
from guangxi_subsidy.engine.applicant.fieldtable import key_names
from guangxi_subsidy.engine.applicant.plain import Applicant, read_plain
from guangxi_subsidy.engine.i18n import N_, _
from guangxi_subsidy.engine.textfiles import TextDecodeError, decode_text

if TYPE_CHECKING:  # (pydantic and the model are imported when a profile needs them: see parse_profile)
    from pydantic import ValidationError

    from guangxi_subsidy.engine.applicant.profile import Profile

SHOWN_PROBLEMS = 20  # a message lists this many problems, then says how many more there are


class ProfileError(ValueError):
    """A profile that cannot be read; each problem names the field, the value and what was expected."""

    def __init__(self, source: str, problems: list[tuple[str, str, str]]):
        self.source = source
        self.problems = problems  # (field, value as given, what was expected)
        from guangxi_subsidy.engine.applicant.fields import field_labels  # (fields.py reads this model)

        labels = field_labels()
        lines = [_("{0}: {1} problem(s)").format(source, len(problems))]
        for field, value, expected in problems[:SHOWN_PROBLEMS]:
            named = f"{labels[field]} ({field})" if field in labels else field
            lines.append("  " + _("{0}: got {1} — {2}").format(named, value, expected))
        if len(problems) > SHOWN_PROBLEMS:
            lines.append("  " + _("… and {0} more").format(len(problems) - SHOWN_PROBLEMS))
        super().__init__("\n".join(lines))


# pydantic's messages, by error type, as people read them (the English is pydantic's own where it is clear).
_MESSAGES = {
    "bool_parsing": N_("not yes or no: write 是/否, 有/无, √/× (or true/false)"),
    "bool_type": N_("not yes or no: write 是/否, 有/无, √/× (or true/false)"),
    "int_parsing": N_("not a whole number"),
    "int_type": N_("not a whole number"),
    "int_from_float": N_("not a whole number"),
    "decimal_parsing": N_("not a number"),
    "decimal_type": N_("not a number"),
    "date_parsing": N_("not a date: write e.g. 2017-06-30, 2017/6/30, 2017年6月30日 or 20170630"),
    "date_type": N_("not a date: write e.g. 2017-06-30, 2017/6/30, 2017年6月30日 or 20170630"),
    "date_from_datetime_parsing": N_("not a date: write e.g. 2017-06-30, 2017/6/30, 2017年6月30日 or 20170630"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "decimal_max_places": N_("Decimal input should have no more than {decimal_places} decimal places"),
    "decimal_max_digits": N_("Decimal input should have no more than {max_digits} digits in total"),
    "decimal_whole_digits": N_("Decimal input should have no more than {whole_digits} digits before the point"),
    "string_too_short": N_("must not be empty"),
    "string_too_long": N_("String should have at most {max_length} characters"),
    "string_type": N_("should be text"),
    "missing": N_("Field required"),
}


def problems_from(error: ValidationError) -> list[tuple[str, str, str]]:
    """Each problem as (field, value, what was expected), the expectation in the chosen language."""
    out = []
    for number, item in enumerate(error.errors()):
        field = values.shown(".".join(str(p) for p in item["loc"]) or "(profile)").strip("'")
        value = _("(missing)") if item["type"] == "missing" else values.shown(item.get("input"))
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = _("not a profile field") + (_suggest(field) if number < SHOWN_PROBLEMS else "")
        elif item["type"] == "value_error":  # our own readers' messages, already in the chosen language
            message = str(item.get("ctx", {}).get("error", message.removeprefix("Value error, ")))
        elif item["type"] in _MESSAGES:
            message = _(_MESSAGES[item["type"]]).format(**{k: str(v) for k, v in (item.get("ctx") or {}).items()})
        out.append((field, value, message))
    return out


def _suggest(field: str) -> str:
    import difflib

    names = key_names()
    close = difflib.get_close_matches(field[:100], list(names), n=1)
    return _(" (did you mean '{0}'?)").format(close[0]) if close else _(" (see `subsidy schema`)")


def parse_profile(data: Any, source: str = "profile") -> Profile:
    from pydantic import ValidationError

    from guangxi_subsidy.engine.applicant.profile import Profile

    if not isinstance(data, dict):
        raise ProfileError(source, [("(profile)", values.shown(data), "a mapping of field names to values")])
    try:
        return Profile.model_validate(data)
    except ValidationError as error:
        raise ProfileError(source, problems_from(error)) from None


def parse_applicant(data: Any, source: str = "profile") -> Applicant:
    """`data` read as `parse_profile` reads it, without pydantic when the profile is valid (`plain.py`): the same
    values, or the same messages."""
    return read_plain(data) or parse_profile(data, source)


def load_profile(path: Path) -> Profile:
    """Read a profile from YAML or JSON; decimals are read as Decimal, never float, so amounts stay exact. The
    file is decoded as batch files are (UTF-8, UTF-16 with its byte order mark, GBK), and refused, with the
    reason, when it is too large, too deep or not text."""
    return parse_profile(*_document(_file_bytes(path), path))


def load_applicant(path: Path) -> Applicant:
    """A profile file read as `load_profile` reads it, without pydantic when the profile is valid: what
    `subsidy evaluate` evaluates."""
    return parse_applicant(*_document(_file_bytes(path), path))


def _file_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_PROFILE_BYTES + 1)
    except OSError as error:
        raise ProfileError(str(path), [("(file)", path.name, f"a readable file ({error.strerror})")]) from None


def profile_from_bytes(raw: bytes, path: Path) -> Profile:
    """A profile file's contents read as `load_profile` reads them (`path` names it and, by its suffix, says
    whether it is JSON)."""
    return parse_profile(*_document(raw, path))


def _document(raw: bytes, path: Path) -> tuple[Any, str]:
    """A profile file's document (its `profile:` mapping, when it has one) and the name its messages give it."""
    def refuse(reason: str) -> ProfileError:
        return ProfileError(str(path), [("(file)", path.name, reason)])

    if len(raw) > MAX_PROFILE_BYTES:
        raise refuse(f"a profile of at most {MAX_PROFILE_BYTES >> 20} MB")
    try:
        text = decode_text(raw)
        if path.suffix.lower() == ".json":
            from guangxi_subsidy.engine.jsontext import unique_keys
            from guangxi_subsidy.engine.yamlio import measure

            data = json.loads(text, parse_float=Decimal, parse_int=_json_int, parse_constant=Decimal,
                              object_pairs_hook=unique_keys)
            measure(data, path.name)
        else:  # (a bundled example read back as parsed by an earlier run of the program: PyYAML not imported)
            data = keptdocs.yaml_document(raw, lambda: _yaml_data(text, path.name), path)
    except TextDecodeError as error:
        raise refuse(str(error)) from None
    except RecursionError:
        raise refuse("valid JSON (values nest too deep)") from None
    except (_yaml_error(), json.JSONDecodeError, ValueError) as error:
        from guangxi_subsidy.engine.yamlio import YamlLimitError

        shown = str(error) if not isinstance(error, YamlLimitError) else f"refused: {error}"
        raise refuse(f"valid YAML or JSON ({values.shown(shown)[1:-1] if len(shown) > 300 else shown})") from None
    if isinstance(data, dict) and "profile" in data and isinstance(data["profile"], dict):
        data = data["profile"]
    return data, str(path)


MAX_PROFILE_BYTES = 16 << 20


def _yaml_data(text: str, name: str) -> Any:
    """A YAML profile's text read with exact numbers and measured (`yamlio`)."""
    from guangxi_subsidy.engine.yamlio import load_yaml, measure

    data = load_yaml(text)
    measure(data, name)
    return data


def _yaml_error() -> type[Exception]:
    """What a YAML document that cannot be read raises (PyYAML imported only when an error is being handled)."""
    import yaml

    return yaml.YAMLError


def _json_int(text: str) -> int | str:
    """An integer too long for Python to convert is kept as text: the field's reader refuses it by name."""
    return int(text) if len(text) <= 4000 else text
