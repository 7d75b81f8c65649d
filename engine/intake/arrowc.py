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
    """A column's name and Arrow format, its blanks, its buffers' addresses (the validity bitmap, a bit a row,
    first), and what keeps those buffers alive (held until polars lets go of this column alone)."""

    name: str
    format: bytes
    nulls: int
    addresses: tuple[int, ...]
    owner: Any


def address(array: np.ndarray) -> int:
    """Where a numpy array's data starts."""
    return int(array.__array_interface__["data"][0])


def null_counts(bits: np.ndarray, rows: int) -> list[int]:
    """The blanks of each column of `bits` (a row of validity bits per column, a bit a row): one numpy pass."""
    whole, rest = divmod(rows, 8)
    valid = np.bitwise_count(bits[:, :whole]).sum(axis=1, dtype=np.int64)
    if rest:
        valid += np.bitwise_count(bits[:, whole] & np.uint8((1 << rest) - 1))
    return [rows - int(v) for v in valid]


def frame(columns: list[Column], rows: int) -> pl.DataFrame:
    """A polars frame over the columns' buffers (no copy), each column's rows valid where its bit is set. The
    columns that share an owner are handed over together (a table of them), and each such table's buffers are
    let go once polars drops the last of its columns: a column replaced by a cast, or not kept, frees its arrays
    while those of other owners live on."""
    groups: dict[int, list[Column]] = {}
    for column in columns:
        groups.setdefault(id(column.owner), []).append(column)
    parts = [_table(group, rows) for group in groups.values()]
    joined = parts[0] if len(parts) == 1 else pl.concat(parts, how="horizontal")
    return joined.select(c.name for c in columns) if len(parts) > 1 else joined


def _table(columns: list[Column], rows: int) -> pl.DataFrame:
    count = len(columns)
    schemas, arrays = (ArrowSchema * count)(), (ArrowArray * count)()
    names = [c.name.encode("utf-8") for c in columns]
    addresses = [(ctypes.c_void_p * len(c.addresses))(*c.addresses) for c in columns]
    for n, column in enumerate(columns):
        schema, array = schemas[n], arrays[n]
        schema.format, schema.name, schema.flags, schema.release = column.format, names[n], NULLABLE, _release_schema
        array.length, array.null_count, array.n_buffers = rows, column.nulls, len(column.addresses)
        array.buffers, array.release = addresses[n], _release_array
    # (a column's structs are released with the table's: their callbacks hold nothing)
    size_schema, size_array = ctypes.sizeof(ArrowSchema), ctypes.sizeof(ArrowArray)
    schema_at, array_at = ctypes.addressof(schemas), ctypes.addressof(arrays)
    children_schemas = (ctypes.c_void_p * count)(*range(schema_at, schema_at + count * size_schema, size_schema))
    children_arrays = (ctypes.c_void_p * count)(*range(array_at, array_at + count * size_array, size_array))
    number = next(_numbers)
    with _lock:
        _held[number] = ([c.owner for c in columns[:1]], names, addresses, schemas, arrays, children_schemas,
                         children_arrays)
        _held[-number] = None  # (the schema, released as soon as it has been read)
    root_schema = ArrowSchema(b"+s", b"", None, 0, count, ctypes.cast(children_schemas, _SchemaChildren), None,
                              _release_schema, -number)
    root_array = ArrowArray(rows, 0, 0, 1, count, (ctypes.c_void_p * 1)(None),
                            ctypes.cast(children_arrays, _ArrayChildren), None, _release_array, number)
    try:
        return pl.DataFrame(_Table(root_schema, root_array))
    finally:
        if root_schema.release:  # (not taken: nothing else will release it)
            _let_go(-number)
        if root_array.release:
            _let_go(number)


_SchemaChildren = ctypes.POINTER(ctypes.POINTER(ArrowSchema))
_ArrayChildren = ctypes.POINTER(ctypes.POINTER(ArrowArray))


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
