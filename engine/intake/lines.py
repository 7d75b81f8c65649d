"""Counting the line ends of a block of bytes, once per block, at numpy's speed.

`bytes.count(b"\\n")` walks a block at about five instructions a byte; comparing the block as an array of bytes
and counting the matches takes about two. The CSV reader counts each block's lines once, here, and hands the
count on to the compiled reader, which sizes its columns by it.
"""

from __future__ import annotations


def line_count(block: bytes) -> int:
    """The number of line feeds in `block` (numpy imported here: only the compiled path, on long files, counts)."""
    import numpy as np

    if not block:
        return 0
    return int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == 10))
