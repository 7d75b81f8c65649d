"""Columns handed to polars over the Arrow C data interface, from numpy buffers, without copying and without pyarrow.

Why: the compiled CSV reader fills numpy arrays (values, validity bits, text offsets and bytes); polars takes
Arrow arrays over such buffers as they are. pyarrow could wrap them, but importing it for that alone cost a
batch run some 45 MB of its peak (its libraries mapped and its memory pool), for nothing else on that path.
The interface is a pair of C structs per column (the schema: a format string and a name; the array: its length,
null count and buffer addresses) and a release callback, which polars calls when it lets go of the buffers,
from whichever thread drops the last of them; the numpy arrays are kept alive until then.

Formats (the Arrow C data interface's): "l" int64, "tdD" date32 (days), "b" booleans (bits), "I" uint32,
"U" large UTF-8 (int64 offsets), "+s" a struct, here the table whose fields are the columns.
"""

from __future__ import annotations

import ctypes
import itertools
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

NULLABLE = 2  # ARROW_FLAG_NULLABLE


class ArrowSchema(ctypes.Structure):
    pass


class ArrowArray(ctypes.Structure):
    pass


SchemaRelease = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowSchema))
ArrayRelease = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArray))
ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p), ("name", ctypes.c_char_p), ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64), ("n_children", ctypes.c_int64),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowSchema))), ("dictionary", ctypes.POINTER(ArrowSchema)),
    ("release", SchemaRelease), ("private_data", ctypes.c_void_p)]
ArrowArray._fields_ = [
    ("length", ctypes.c_int64), ("null_count", ctypes.c_int64), ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64), ("n_children", ctypes.c_int64), ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowArray))), ("dictionary", ctypes.POINTER(ArrowArray)),
    ("release", ArrayRelease), ("private_data", ctypes.c_void_p)]

# What each handed-over table keeps alive (its structs and numpy arrays), by the number in its private_data,
# until polars releases it.
_held: dict[int, Any] = {}
_numbers = itertools.count(1)
_lock = threading.Lock()


def _let_go(private_data: int | None) -> None:
    with _lock:
        _held.pop(private_data or 0, None)


@SchemaRelease
def _release_schema(schema: Any) -> None:
    _let_go(schema.contents.private_data)
    schema.contents.release = SchemaRelease()


@ArrayRelease
def _release_array(array: Any) -> None:
    _let_go(array.contents.private_data)
    array.contents.release = ArrayRelease()


@dataclass
class Column:
    """A column's Arrow format, length and buffers (None: absent; `bits` the validity bitmap, a bit a row)."""

    name: str
    format: bytes
    bits: np.ndarray
    buffers: tuple[np.ndarray, ...]


def frame(columns: list[Column], rows: int) -> pl.DataFrame:
    """A polars frame over the columns' buffers (no copy), each column's rows valid where its bit is set."""
    keep: list[Any] = []  # (a column's structs are released with the table's: their callbacks hold nothing)
    schemas = (ctypes.POINTER(ArrowSchema) * len(columns))()
    arrays = (ctypes.POINTER(ArrowArray) * len(columns))()
    for n, column in enumerate(columns):
        name = column.name.encode("utf-8")
        schema = ArrowSchema(column.format, name, None, NULLABLE, 0, None, None, _release_schema, None)
        valid = int(np.bitwise_count(column.bits[:rows // 8]).sum())
        if rows % 8:
            valid += int(column.bits[rows // 8] & ((1 << (rows % 8)) - 1)).bit_count()
        addresses = (ctypes.c_void_p * (1 + len(column.buffers)))(
            column.bits.ctypes.data, *(b.ctypes.data for b in column.buffers))
        array = ArrowArray(rows, rows - valid, 0, len(addresses), 0, addresses, None, None, _release_array, None)
        schemas[n], arrays[n] = ctypes.pointer(schema), ctypes.pointer(array)
        keep += [name, schema, array, addresses, column.bits, *column.buffers]
    number = next(_numbers)
    with _lock:
        _held[number] = keep  # (one entry for the table: polars releases the top array, which owns the rest)
        _held[-number] = None  # (and the schema, released as soon as it has been read)
    root_schema = ArrowSchema(b"+s", b"", None, 0, len(columns), schemas, None, _release_schema, -number)
    root_array = ArrowArray(rows, 0, 0, 1, len(columns), (ctypes.c_void_p * 1)(None), arrays, None,
                            _release_array, number)
    keep += [schemas, arrays, root_array.buffers]
    out = pl.DataFrame(_Table(root_schema, root_array))
    if root_schema.release:  # (not taken: nothing will release it)
        _let_go(-number)
    if root_array.release:
        _let_go(number)
    return out


class _Table:
    """The PyCapsule interface polars reads a table from (`__arrow_c_array__`): the two structs, each in a
    capsule named as the interface says; polars moves their contents out (the originals left released)."""

    def __init__(self, schema: ArrowSchema, array: ArrowArray):
        self._schema, self._array = schema, array

    def __arrow_c_array__(self, requested_schema: object | None = None) -> tuple[object, object]:
        new = ctypes.pythonapi.PyCapsule_New
        new.restype, new.argtypes = ctypes.py_object, (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
        return (new(ctypes.addressof(self._schema), b"arrow_schema", None),
                new(ctypes.addressof(self._array), b"arrow_array", None))
