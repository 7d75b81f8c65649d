"""The message catalogues: compiled catalogues up to date, the language chosen as documented."""

from __future__ import annotations

import io

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from guangxi_subsidy.engine import i18n


@pytest.mark.parametrize("po", sorted(i18n.LOCALE_DIR.glob("*/LC_MESSAGES/*.po")), ids=lambda p: p.parent.parent.name)
def test_compiled_catalogue_matches_its_source(po):
    with po.open("rb") as handle:
        catalog = read_po(handle)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=True)
    assert po.with_suffix(".mo").read_bytes() == compiled.getvalue(), f"run `make catalog`: {po.name} changed"


def test_every_message_in_the_chinese_catalogue_is_translated():
    with (i18n.LOCALE_DIR / "zh/LC_MESSAGES/subsidy.po").open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []


@pytest.mark.parametrize(("explicit", "env", "expected"), [
    (None, {"LANG": "zh_CN.UTF-8"}, "zh"),
    (None, {"LANG": "en_US.UTF-8"}, "en"),
    (None, {"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    (None, {"SUBSIDY_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ("zh", {"LANG": "C"}, "zh"),
    ("en", {"SUBSIDY_LANG": "zh"}, "en"),
    (None, {}, "en"),
])
def test_language_is_chosen_by_flag_then_variable_then_locale(monkeypatch, explicit, env, expected):
    for name in ("SUBSIDY_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert i18n.detect(explicit) == expected


def test_chinese_translates_and_english_is_the_message_itself():
    try:
        i18n.set_language("zh")
        assert i18n._("expired") == "已失效"
        i18n.set_language("en")
        assert i18n._("expired") == "expired"
    finally:
        i18n.set_language(None)


def _catalogue() -> set[str]:
    with (i18n.LOCALE_DIR / "zh/LC_MESSAGES/subsidy.po").open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id and m.string}


def test_every_message_the_code_marks_is_translated() -> None:
    """What `make messages` extracts (_(), N_(), ngettext() in the engine and the CLI) is in the catalogue."""
    from babel.messages.extract import extract_from_dir

    root = i18n.LOCALE_DIR.parents[2]
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    found = set()
    for folder in ("engine", "cli"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                root / folder, method_map=[("**.py", "python")], keywords=keywords):
            found.add(message if isinstance(message, str) else message[0])
    assert found, "nothing extracted: the extraction itself is broken"
    assert sorted(found - _catalogue()) == []


def test_every_help_text_of_the_command_line_is_translated() -> None:
    import click

    from guangxi_subsidy.cli.language import help_texts
    from guangxi_subsidy.cli.main import cli

    context = click.Context(cli)
    for name in cli.list_commands(context):  # every command imported, as running each would
        cli.get_command(context, name)
    texts = {text for _item, _attribute, text in help_texts(cli)}
    assert len(texts) > 30
    assert sorted(texts - _catalogue()) == []
