"""Text files in the encodings people save them in: UTF-8, UTF-16/32 with a byte order mark, else GB18030.

Apart from `yamlio.py` (which re-exports it) so that reading a file's text does not import PyYAML: a profile
whose parsed form the program kept (`engine/keptdocs.py`) is decoded and never parsed again.
"""

from __future__ import annotations

import codecs

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class TextDecodeError(ValueError):
    """A file that is not text in any encoding we read."""


def decode_text(data: bytes, encoding: str | None = None) -> str:
    """A text file's contents: UTF-8 (with or without a byte order mark), UTF-16/32 with a byte order mark,
    else GB18030 (GBK, what Excel and Notepad save in China); binary data (NUL bytes) is refused. CR-only
    and CRLF line ends read as LF."""
    if encoding is None:
        encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if encoding is None:
        if b"\0" in data[: 1 << 16]:
            raise TextDecodeError("not a text file (it holds NUL bytes): save it as UTF-8 text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "gb18030"
        else:
            return text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise TextDecodeError(
            f"not valid UTF-8 or {encoding} text (byte {error.start + 1}): save it as UTF-8"
        ) from None
    if "\0" in text:
        raise TextDecodeError("not a text file (it holds NUL characters): save it as UTF-8 text")
    return text.replace("\r\n", "\n").replace("\r", "\n")
