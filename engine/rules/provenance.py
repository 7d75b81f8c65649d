"""Finding a rule's quote in its source document, whitespace and full/half-width punctuation aside.

`quote_found` is the lenient search the coverage scan needs (a quote may span a line break of the seed). It
normalises: NFKC folds full-width forms and the no-break space (U+00A0) onto their plain forms, and every white
space is dropped. The test suite holds rule files to more: each quote stands in its seed byte for byte
(`quote_verbatim`), no-break spaces included.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from guangxi_subsidy.data import SEEDS

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC folds full-width punctuation and digits onto their half-width forms; all white space is dropped."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=16)
def document_text(file: str, seeds: Path = SEEDS) -> str:
    return normalise((seeds / file).read_text(encoding="utf-8"))


def quote_found(quote: str, file: str, seeds: Path = SEEDS) -> bool:
    return normalise(quote) in document_text(file, seeds)


def quote_verbatim(quote: str, file: str, seeds: Path = SEEDS) -> bool:
    """The quote as it stands in the seed, byte for byte (no normalisation)."""
    return quote in _raw_text(file, seeds)


@lru_cache(maxsize=16)
def _raw_text(file: str, seeds: Path) -> str:
    return (seeds / file).read_text(encoding="utf-8")
