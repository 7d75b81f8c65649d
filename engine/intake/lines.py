"""Counting the line ends of a block of bytes, once per block; telling a file's encoding from its first bytes.

`bytes.count(b"\\n")` walks a block at about five instructions a byte; comparing the block as an array of bytes
and counting the matches takes about two; the compiled pass (`line_feeds` in engine/kernels/lines.c, sixteen bytes
at a time) a fraction of one, and numpy's way is kept for where the compiled passes are not built. The CSV
reader counts each block's lines once, here, and hands the count on to the compiled reader, which sizes its
columns by it; the reader's set-up counts the lines of the file's first megabyte here too, to size its tables.
"""

from __future__ import annotations

import codecs


def line_count(block: bytes) -> int:
    """The number of line feeds in `block` (numpy and the compiled passes imported here, when first needed)."""
    import numpy as np

    from guangxi_subsidy.engine import native

    if not block:
        return 0
    data = np.frombuffer(block, dtype=np.uint8)
    if native.AVAILABLE:  # (a fifth of numpy's instructions: sixteen bytes compared and added up at once)
        return int(native.call("line_feeds", data, len(block)))
    return int(np.count_nonzero(data == 10))


def detect_encoding(sample: bytes) -> str:
    """utf-8-sig, utf-8 or gb18030, from the first bytes of a file: UTF-8 when most lines that are not plain
    ASCII are valid UTF-8 (text in GBK almost never is), so a few lines pasted in another encoding are reported
    as bad rows instead of turning the whole file into mojibake."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    end = sample.rfind(b"\n")
    try:  # (the usual file: its whole lines are UTF-8 at once, so every one of them is; a line feed is never
        (sample[:end] if end >= 0 else sample).decode("utf-8")  # part of a longer character)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    valid = invalid = 0
    for line in sample.split(b"\n")[:-1] or [sample]:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            valid += 1
        except UnicodeDecodeError:
            invalid += 1
    return "utf-8" if valid >= invalid else "gb18030"
