"""The language people read: message catalogues (gettext), chosen once per process.

Every message a person reads is written in English in the code, wrapped in `_()`, and translated by the
catalogue `locale/zh/LC_MESSAGES/subsidy.po` (compiled to `.mo` by `make catalog`, with Babel). English is the
message itself, so `--lang en` prints the code's own words and a missing translation falls back to them.
Codes and keys meant for programs (JSON, CSV headers, rule ids) are never passed through `_()`.

The language is Chinese when asked for (`--lang zh`, `SUBSIDY_LANG=zh`) or when the locale is Chinese
(`LC_ALL`, `LC_MESSAGES` or `LANG` starting with `zh`), else English. Only the standard library is imported
here, so choosing a language costs nothing at start-up.
"""

from __future__ import annotations

import functools
import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

LANGUAGES = ("zh", "en")
DOMAIN = "subsidy"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_current: gettext.NullTranslations | None = None
_language = "en"
# A language chosen for one request of a server (`speaking`): a context variable, so concurrent requests each
# read their own and the process's language is left alone.
_speaking: ContextVar[tuple[str, gettext.NullTranslations] | None] = ContextVar("subsidy_speaking", default=None)


def detect(explicit: str | None = None) -> str:
    """The language to use: the explicit choice, then SUBSIDY_LANG, then the locale's variables."""
    for value in (explicit, os.environ.get("SUBSIDY_LANG")):
        if value:
            code = value.strip().lower()[:2]
            if code in LANGUAGES:
                return code
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def translations(language: str) -> gettext.NullTranslations:
    """The catalogue for a language (English: the messages as written)."""
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def set_language(language: str | None = None) -> str:
    """Choose the language for this process (None: detect it); returns the code chosen."""
    global _current, _language
    _language = detect(language)
    _current = translations(_language)
    return _language


@functools.cache
def _cached(language: str) -> gettext.NullTranslations:
    return translations(language)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Messages in this language inside the block, for this thread or task only (a web page's language)."""
    code = language if language in LANGUAGES else "en"
    token = _speaking.set((code, _cached(code)))
    try:
        yield
    finally:
        _speaking.reset(token)


def language() -> str:
    """The language chosen (detected on first use)."""
    if (spoken := _speaking.get()) is not None:
        return spoken[0]
    if _current is None:
        set_language()
    return _language


def _(message: str) -> str:
    """The message in the chosen language."""
    if (spoken := _speaking.get()) is not None:
        return spoken[1].gettext(message)
    if _current is None:
        set_language()
    assert _current is not None
    return _current.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The message for a count, in the chosen language."""
    if (spoken := _speaking.get()) is not None:
        return spoken[1].ngettext(singular, plural, n)
    if _current is None:
        set_language()
    assert _current is not None
    return _current.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; translated later, where it is shown."""
    return message
