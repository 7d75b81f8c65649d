"""The batch path's compiled passes (engine/_kernels.c and the files by job in engine/kernels/), loaded with ctypes.

The C functions take numpy arrays by address. `call` checks each array's type and layout before its address
is handed over, so that a mistake here is an error, not a write to the wrong memory. ctypes lets other
threads run while a pass runs, which the reader's workers rely on. The extension is built when the package is
installed; where it is missing (`AVAILABLE` is False), the batch path reads and writes with polars alone, as it
does for short files.
"""

from __future__ import annotations

import ctypes
import importlib.util
from typing import Any

import numpy as np

# The numbers the C file names (kernels_layout), in its order.
LAYOUT = ("TEXT_ID", "TEXT_NAME", "MONEY", "RATIO", "INTEGER", "SPELLED", "DATE", "INTS", "DAYS", "BITS", "CODES",
          "TEXTS", "FIGURE", "RANGE", "UP_TO", "NON_MONETARY", "ID_LIMIT", "CELL_ROOM", "LINE_ROOM")
_P, _I = ctypes.c_void_p, ctypes.c_int64


class Array:
    """An argument that must be a C-ordered numpy array of this dtype."""

    def __init__(self, dtype: Any):
        self.dtype = np.dtype(dtype)


U8, I32, I64, U32, U64, BOOL = Array(np.uint8), Array(np.int32), Array(np.int64), Array(np.uint32), \
    Array(np.uint64), Array(np.bool_)
INT = int  # an int64 argument

# name: (result, arguments)
SIGNATURES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "kernels_layout": (None, (I64,)),
    "scan_block": (_I, (U8, INT, INT, I64, I64, I64, I64, BOOL, U8, I64, I64, I64, U64, I64, I64, I64, INT, INT,
                        INT, I64, I32, U8, U32, I64, I64, U8, U8, I64)),
    "text_clean": (_I, (U8, INT, INT)),
    "quotes_regular": (_I, (U8, INT)),
    "line_feeds": (_I, (U8, INT)),
    "gather_offsets": (_I, (I64, I64, U8, INT, I64)),
    "gather_data": (None, (U8, I64, I64, U8, INT, U8)),
    "write_lines": (_I, (INT, INT, I64, I64, U8, U64, BOOL, U8, U64, BOOL, I64, I64, INT, U8, I64, I32, INT, I64,
                         I64, I64, BOOL, I64, BOOL, I64, BOOL, U8, U64, BOOL, I64, BOOL, BOOL, BOOL, BOOL, I64, U8,
                         INT, I64)),
    "seen_first": (_I, (U64, U32, INT, U64, U32, INT, U32)),
    "tally": (_I, (INT, U32, INT, I64, BOOL, I64, I64, I64, I64, U64)),
}


def _load() -> ctypes.CDLL | None:
    try:
        spec = importlib.util.find_spec("guangxi_subsidy.engine._kernels")
    except ImportError:
        return None
    if spec is None or spec.origin is None:
        return None
    library = ctypes.CDLL(spec.origin)
    for name, (result, arguments) in SIGNATURES.items():
        function = getattr(library, name)
        function.restype = result
        function.argtypes = [_I if kind is INT else _P for kind in arguments]
    return library


_LIBRARY = _load()
AVAILABLE = _LIBRARY is not None


def call(name: str, *arguments: Any) -> Any:
    """The C function `name` on these arguments, each checked against its signature."""
    if _LIBRARY is None:
        raise RuntimeError("the compiled passes (engine/kernels/) are not built: reinstall the package")
    _, kinds = SIGNATURES[name]
    if len(arguments) != len(kinds):
        raise TypeError(f"{name}: {len(arguments)} arguments for {len(kinds)}")
    passed: list[Any] = []
    for number, (kind, value) in enumerate(zip(kinds, arguments, strict=True)):
        if kind is INT:
            passed.append(int(value))
            continue
        if not isinstance(value, np.ndarray) or value.dtype != kind.dtype or not value.flags.c_contiguous:
            got = getattr(value, "dtype", type(value).__name__)
            raise TypeError(f"{name}: argument {number} must be a C-ordered {kind.dtype} array, not {got}")
        passed.append(value.ctypes.data)
    return getattr(_LIBRARY, name)(*passed)


def layout() -> dict[str, int]:
    """The numbers the C file uses for kinds of cells, stores and amounts, by name."""
    values = np.zeros(len(LAYOUT), dtype=np.int64)
    call("kernels_layout", values)
    return dict(zip(LAYOUT, (int(v) for v in values), strict=True))


def require(numbers: dict[str, int]) -> None:
    """Refuse to go on if the C file numbers any of these otherwise than the calling module does."""
    found = layout()
    differ = {name: (value, found[name]) for name, value in numbers.items() if found[name] != value}
    if differ:
        raise RuntimeError(f"engine/kernels/kernels.h numbers these otherwise (ours, its): {differ}")
