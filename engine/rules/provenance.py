"""Finding a rule's quote in its source document, whitespace and full/half-width punctuation aside."""

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
