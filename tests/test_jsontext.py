"""The JSON documents' bytes: orjson's, the same as the standard library's indenting encoder would write."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guangxi_subsidy.data import examples as bundled
from guangxi_subsidy.engine.answers.document import evaluation_document
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import load_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.jsontext import json_bytes, json_line, json_text
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.verify.strategies import profiles


def standard(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


def floats_in(data: Any) -> list[float]:
    if isinstance(data, float):
        return [data]
    if isinstance(data, dict):
        return [f for v in data.values() for f in floats_in(v)]
    if isinstance(data, (list, tuple)):
        return [f for v in data for f in floats_in(v)]
    return []


def test_every_character_is_written_as_the_standard_library_writes_it() -> None:
    text = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x110000)))
    document = {"text": text, "key \u2028\x00\x1f\x7f\"\\": [text[:300], {"": ""}]}
    assert json_bytes(document) == standard(document)


def test_empty_and_nested_values_and_integers_to_64_bits_are_written_alike() -> None:
    document = {"a": [], "b": {}, "c": [[], [{}], {"d": [None, True, False]}], "e": (1, 2), "f": -(2**63),
                "g": 2**64 - 1, "h": ""}
    assert json_bytes(document) == standard(document)
    assert json_text(document) + "\n" == standard(document).decode()


def test_what_orjson_refuses_is_written_by_the_standard_library() -> None:
    for document in ({"big": 2**70}, {1: "a key that is a number"}, [2**64]):
        assert json_bytes(document) == standard(document)
        assert json_line(document) == compact(document)


def compact(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def test_a_json_line_is_the_standard_librarys_compact_form_on_one_line() -> None:
    text = "".join(map(chr, range(0xD800)))
    document = {"text": text, "line\u2028break\n": [text[:300], {"": None}, 2**63 - 1, -(2**63), True]}
    line = json_line(document)
    assert line == compact(document)
    assert line.count(b"\n") == 1 and line.endswith(b"\n")  # (a line break in a value is written escaped)


def test_the_bundled_examples_documents_are_the_same_bytes_on_every_date_with_and_without_explanations(
        engine: Engine) -> None:
    for path in bundled().values():
        profile = load_profile(path)
        for day in (dt.date(2016, 1, 1), dt.date(2017, 3, 1), dt.date(2019, 6, 30), dt.date(2031, 1, 1)):
            for explain in (False, True):
                document = evaluation_document(engine.evaluate(profile, as_of=day, include_drafts=True),
                                               engine.pack, explain)
                assert not floats_in(document)  # (the one kind of value the two would write differently)
                assert json_bytes(document) == standard(document)


_PROFILES: dict[int, tuple[RulePack, st.SearchStrategy[Profile]]] = {}


def _profiles(pack: RulePack) -> st.SearchStrategy[Profile]:
    """The pack's profile strategy, built once rather than once per example (building it, and validating it
    anew, cost about as much as the documents it is drawn for)."""
    if id(pack) not in _PROFILES:
        _PROFILES[id(pack)] = (pack, profiles(pack))
    return _PROFILES[id(pack)][1]


@settings(max_examples=examples(60), deadline=None)  # (each character, value kind and bundled example: above)
@given(data=st.data())
def test_the_documents_of_generated_profiles_are_the_same_bytes(engine: Engine, data: st.DataObject) -> None:
    profile: Profile = data.draw(_profiles(engine.pack))
    document = evaluation_document(engine.evaluate(profile, include_drafts=True), engine.pack, explain=True)
    assert not floats_in(document)
    assert json_bytes(document) == standard(document)
