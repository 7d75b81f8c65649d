"""Hostile Parquet and Arrow files, and hostile reform files, generated from a `random.Random`.

Arrow files: a column of every Arrow type (integers of each width and sign, half, single and double floats with
NaN and infinities, decimals of 128 and 256 bits up to 76 digits, booleans, dates, timestamps with and without a
zone, times, durations, intervals, text of each layout, bytes, nulls, dictionaries, lists, structs, maps), put
where a profile field is read (money, counts, dates, yes/no, the id, the city) or in a column no field names;
written as Parquet (one row group or several), Arrow IPC (file or stream), then perhaps cut short, bytes
flipped, or replaced by something that is not Parquet at all.

Reforms: the bundled reform's shape with hostile changes (divisions, huge and negative numbers, unknown keys and
rules, wrong types, bad dates, YAML damage), each run through `subsidy evaluate --reform`.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from hostile import BAD_NUMBERS, BAD_TEXT, mutate

ROWS = 6
FIELDS = ["rent_and_broadband_paid", "rent_subsidy_years_received", "as_of", "recognised_incubation_base", "id",
          "city", "months_operating_in_base", "guangxi_new_product_share", "a column no field names"]


def _numbers(rng: random.Random, low: int, high: int) -> list[Any]:
    return [rng.choice([None, low, high, 0, 1, rng.randint(low, high)]) for _ in range(ROWS)]


def _floats(rng: random.Random) -> list[Any]:
    return [rng.choice([None, float("nan"), float("inf"), -float("inf"), 0.1, 1e300, -0.0, 900000.0,
                        rng.uniform(-1e6, 1e6)]) for _ in range(ROWS)]


def _decimals(rng: random.Random, precision: int, scale: int) -> list[Any]:
    with localcontext() as context:
        context.prec = 100  # (76 digits are beyond the default context's 28)
        most = (Decimal(10) ** precision - 1).scaleb(-scale)
        out: list[Any] = []
        for _ in range(ROWS):
            pick = rng.choice(["none", "most", "least", "zero", "some"])
            value = {"none": None, "most": most, "least": -most, "zero": Decimal(0),
                     "some": Decimal(rng.randint(0, 10 ** min(6, precision - scale) - 1))}[pick]
            out.append(None if value is None else value.quantize(Decimal(1).scaleb(-scale)))
    return out


def _text(rng: random.Random) -> list[Any]:
    pool = [*BAD_NUMBERS, *[t for t in BAD_TEXT if "\udcff" not in t], "南宁", "incubation_base", "是", "2017-03-01"]
    return [rng.choice([None, *pool]) for _ in range(ROWS)]


def column(rng: random.Random) -> tuple[str, pa.Array]:
    """A column of one Arrow type, drawn at random, with its values (nulls among them)."""
    kind = rng.choice(["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
                       "float32", "float64", "decimal128", "decimal256", "bool", "date32", "date64", "timestamp",
                       "timestamp_tz", "time32", "time64", "duration", "interval", "string", "large_string",
                       "string_view", "binary", "large_binary", "fixed_binary", "null", "dictionary", "list",
                       "large_list", "fixed_list", "struct", "map"])
    if kind.startswith(("int", "uint")) and kind != "interval":
        bits = int(kind.lstrip("uint"))
        low, high = (0, 2**bits - 1) if kind.startswith("u") else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        return kind, pa.array(_numbers(rng, low, high), getattr(pa, kind)())
    if kind == "float16":
        import numpy as np

        values = [None if v is None else np.float16(min(max(v, -6e4), 6e4)) for v in _floats(rng)]
        return kind, pa.array(values, pa.float16())
    if kind in ("float32", "float64"):
        values = _floats(rng)
        if kind == "float32":
            values = [v if v is None or abs(v) < 3e38 or v != v or abs(v) == float("inf") else 1e38 for v in values]
        return kind, pa.array(values, getattr(pa, kind)())
    if kind in ("decimal128", "decimal256"):
        limit = 38 if kind == "decimal128" else 76
        precision = rng.choice([1, 9, 18, 19, 38, limit])
        scale = rng.randint(0, min(precision, 10))
        factory = pa.decimal128 if kind == "decimal128" else pa.decimal256
        return f"{kind}({precision}, {scale})", pa.array(_decimals(rng, precision, scale), factory(precision, scale))
    if kind == "bool":
        return kind, pa.array([rng.choice([None, True, False]) for _ in range(ROWS)], pa.bool_())
    if kind in ("date32", "date64"):
        days = [rng.choice([None, dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2017, 3, 1)]) for _ in range(ROWS)]
        return kind, pa.array(days, getattr(pa, kind)())
    if kind.startswith("timestamp"):
        moments = [rng.choice([None, dt.datetime(2017, 3, 1), dt.datetime(2017, 3, 1, 10, 30),
                               dt.datetime(1970, 1, 1), dt.datetime(2200, 1, 1)]) for _ in range(ROWS)]
        unit = rng.choice(["s", "ms", "us", "ns"])
        return kind, pa.array(moments, pa.timestamp(unit, tz="Asia/Shanghai" if kind.endswith("tz") else None))
    if kind in ("time32", "time64"):
        times = [rng.choice([None, dt.time(0, 0), dt.time(23, 59, 59)]) for _ in range(ROWS)]
        return kind, pa.array(times, pa.time32("s") if kind == "time32" else pa.time64("us"))
    if kind == "duration":
        return kind, pa.array(_numbers(rng, -10**9, 10**9), pa.duration("s"))
    if kind == "interval":
        return kind, pa.array([None if rng.random() < 0.3 else pa.MonthDayNano([1, 2, 3]) for _ in range(ROWS)],
                              pa.month_day_nano_interval())
    if kind in ("string", "large_string", "string_view"):
        return kind, pa.array(_text(rng), getattr(pa, kind)())
    if kind in ("binary", "large_binary"):
        return kind, pa.array([None if t is None else t.encode("utf-8", "replace") + b"\xff" for t in _text(rng)],
                              getattr(pa, kind)())
    if kind == "fixed_binary":
        return kind, pa.array([rng.choice([None, b"\x00\xff\x10"]) for _ in range(ROWS)], pa.binary(3))
    if kind == "null":
        return kind, pa.nulls(ROWS)
    if kind == "dictionary":
        inner = rng.choice(["text", "decimal", "int"])
        values: Any = {"text": _text(rng), "decimal": _decimals(rng, 20, 2), "int": _numbers(rng, -5, 10**6)}[inner]
        return f"dictionary of {inner}", pa.array(values).dictionary_encode()
    if kind in ("list", "large_list", "fixed_list"):
        items = [None if rng.random() < 0.3 else [rng.randint(0, 9), rng.randint(0, 9)] for _ in range(ROWS)]
        kind_type = {"list": pa.list_(pa.int64()), "large_list": pa.large_list(pa.int64()),
                     "fixed_list": pa.list_(pa.int64(), 2)}[kind]
        return kind, pa.array(items, kind_type)
    if kind == "struct":
        return kind, pa.array([None if rng.random() < 0.3 else {"a": rng.randint(0, 9), "b": "x"}
                               for _ in range(ROWS)])
    return kind, pa.array([None if rng.random() < 0.3 else [("k", rng.randint(0, 9))] for _ in range(ROWS)],
                          pa.map_(pa.string(), pa.int64()))


def table(rng: random.Random) -> tuple[pa.Table, list[str]]:
    """Applicants that would be eligible, with one to three columns replaced by (or added as) hostile ones."""
    columns: dict[str, pa.Array] = {
        "id": pa.array([f"B{i}" for i in range(ROWS)]), "kind": pa.array(["incubation_base"] * ROWS),
        "city": pa.array(["南宁"] * ROWS), "as_of": pa.array([dt.date(2017, 3, 1)] * ROWS),
        "recognised_incubation_base": pa.array([True] * ROWS), "rent_subsidy_years_received": pa.array([0] * ROWS),
        "rent_and_broadband_paid": pa.array([Decimal("900000.00")] * ROWS, pa.decimal128(12, 2)),
    }
    shown = []
    for _ in range(rng.randint(1, 3)):
        where = rng.choice(FIELDS)
        kind, values = column(rng)
        columns[where] = values
        shown.append(f"{where}: {kind}")
    return pa.table(columns), shown


def write(rng: random.Random, data: pa.Table, folder: Path) -> tuple[Path, str]:
    """The table as a file (Parquet, or Arrow IPC file or stream), perhaps damaged; the path and how."""
    how = rng.choice(["parquet", "parquet groups", "ipc file", "ipc stream"])
    path = folder / ("applicants.parquet" if how.startswith("parquet") else "applicants.arrow")
    sink = io.BytesIO()
    try:
        if how.startswith("parquet"):
            pq.write_table(data, sink, row_group_size=2 if how == "parquet groups" else None)
        else:
            opener = ipc.new_file if how == "ipc file" else ipc.new_stream
            with opener(sink, data.schema) as writer:
                writer.write_table(data)
    except (pa.ArrowException, ValueError, TypeError):  # a type the format cannot store: the other one
        how, path, sink = "ipc file", folder / "applicants.arrow", io.BytesIO()
        with ipc.new_file(sink, data.schema) as writer:
            writer.write_table(data)
    raw = sink.getvalue()
    damage = rng.choice(["none", "none", "none", "cut", "flipped", "not parquet", "empty"])
    if damage == "cut":
        raw = raw[: rng.randint(0, len(raw) - 1)]
    elif damage == "flipped":
        raw = mutate(rng, raw)
    elif damage == "not parquet":
        raw = rng.choice([b"id,kind\nA,enterprise\n", b"PAR1" + bytes(rng.randrange(256) for _ in range(64)),
                          b"\x00" * 100, "南宁".encode("gbk")])
    elif damage == "empty":
        raw = b""
    path.write_bytes(raw)
    return path, f"{how}, damage {damage}"


REFORM_HEAD = "schema: subsidy-reform/1\nname: 测试改革\nchanges:\n"
RULES = ["nanning.incubation_base_rent_subsidy", "nanning.incubated_firm_one_time_subsidy", "nanning.nothing"]


def reform(rng: random.Random) -> bytes:
    """A reform file with one to three hostile changes, perhaps damaged as a file."""
    changes = []
    for _ in range(rng.randint(1, 3)):
        rule = rng.choice(RULES)
        number = rng.choice(["-5", "0", "1e400", "9" * 60, ".nan", "60万", "-1万", "'abc'", "[]", "{}", "55万万"])
        divisor = rng.choice(["utilities_paid", "0", "(1 - 1)", "rent_subsidy_years_received",
                              "rent_subsidy_years_received + 1"])
        big = " * ".join(["100000000000000000"] * rng.randint(1, 4))
        day = rng.choice(["2016-02-30", "0001-01-01", "9999-12-31", "soon"])
        parameter = rng.choice(["nanning_graduate_allowance_rate", "new_rate"])
        kind = rng.choice(["incubation_base", "martian", ""])
        head = f"  - rule: {rule}\n"
        changes.append(rng.choice([
            head + f"    cap: {number}\n    reason: 上限\n",
            head + f"    formula: rent_and_broadband_paid / {divisor}\n    reason: 除法\n",
            head + f"    formula: rent_and_broadband_paid * {big}\n    caps: []\n    reason: 放大\n",
            head + "    formula: 0 - rent_and_broadband_paid\n    caps: []\n    reason: 负数\n",
            head + f"    conditions: {{paid_something: 'rent_and_broadband_paid > {number}'}}\n    reason: 门槛\n",
            head + f"    effective: {{from: {day}}}\n    reason: 期间\n",
            head + f"    min: '{number}'\n    max: '{number}'\n    reason: 区间\n",
            f"  - parameter: {parameter}\n    values: {{2016-01-01: {{value: '{number}', reference: 测试参数}}}}\n"
            "    reason: 参数\n",
            f"  - repeal: {rule}\n    reason: 废止\n",
            head + "    cpa: 1\n    reason: 拼错\n",
            head + f"    beneficiary: [{kind}]\n    reason: 对象\n",
        ]))
    raw = (REFORM_HEAD + "".join(changes)).encode("utf-8")
    return mutate(rng, raw) if rng.random() < 0.25 else raw
