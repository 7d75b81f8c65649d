"""Hostile inputs, generated: profiles (YAML, JSON), applicant CSV files and workbooks, rule expressions.

Each generator takes a `random.Random`, so a run repeats from its seed, and draws from classes of bad input a
hostile user (or a careless generator of files) would give: values past every bound (5,000-digit integers,
`1e1000000`, `1e999999999万`), NaN and infinities however spelled, impossible dates, datetimes and timestamps,
booleans where counts go, control characters, text in the wrong encoding, nesting and alias bombs, duplicate
and unhashable keys, and damage to the structure itself (ragged rows, stray quotes, empty lines, CR-only line
ends, bytes cut off). `budget()` says how long each fuzz test runs: a few seconds in `make test`, longer with
SUBSIDY_FUZZ_SECONDS.
"""

from __future__ import annotations

import codecs
import json
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbooks import Cell, write_workbook

DEFAULT_SECONDS = float(os.environ.get("SUBSIDY_FUZZ_SECONDS", "0") or 0)
SEED = int(os.environ.get("SUBSIDY_FUZZ_SEED", "13"))

FIELDS = {  # a field of each type the profile has, and a good value for it
    "rent_and_broadband_paid": "900000", "guangxi_new_product_share": "0.5", "utilities_months": "6",
    "rent_subsidy_years_received": "0", "recognised_incubation_base": "true", "as_of": "2017-03-01",
    "lender_type": "bank", "name": "公司",
}
BAD_NUMBERS = [
    "9" * 5000, "-" + "9" * 4301, "1e1000000", "1e-1000000", "1e999999999万", "1E+999999999", ".nan", ".inf",
    "-.inf", "NaN", "nan", "Infinity", "-Infinity", "sNaN", "inf", "1e49", "0.0000000000000000000001",
    "12.345", "-5", "-0", "0x10", "1_000", "1,,000", "55万万", "万", "元", "%", "85%%", "1e3", "+7", " 7 ",
    "1" * 41, "0." + "0" * 60 + "1", "99999999999999999.99", "10000000", "10000001", "true", "false", "是", "√",
]
BAD_DATES = ["2017-02-30", "2017-13-01", "0000-01-01", "9999-12-31", "2017-03-01 00:00:00",
             "2017-03-01T10:00:00", "1490000000", "20170301", "2017/2/29", "2017年13月1日", "-2017-01-01"]
BAD_TEXT = ["", " ", "\x00", "\x1b[31m", "=cmd|' /C calc'!A0", "\ufeff", "\u202e", "𝟘", "x" * 10_000,
            "南宁市市", "nanning\n", "\r", '"', "'", "深圳", "企业 ", "ENTERPRISE", "\udcff"]
KINDS = ["enterprise", "incubation_base", "企业", "individual", "bogus", "", "1"]
CITIES = ["nanning", "南宁", "南宁市", "Nanning", "wuzhou", "深圳", "", "NANNING "]


# The second run of the suite, on another Python (HYPOTHESIS_PROFILE=quick, `make unit313`): a quarter of each
# share, as the property tests run a quarter of their examples there.
QUICK = os.environ.get("HYPOTHESIS_PROFILE") == "quick"


def budget(seconds: float) -> float:
    """Seconds a fuzz test runs: its own bounded share (a quarter on the quick run), or SUBSIDY_FUZZ_SECONDS when
    set (a long run). The inputs come from fixed seeds, so a shorter share tries the first of the same inputs."""
    return DEFAULT_SECONDS or (seconds / 4 if QUICK else seconds)


def report(tried: int, ran: int | None = None) -> None:
    """The count of inputs a fuzz test tried (shown with `pytest -s`, for the README's figures)."""
    import inspect

    caller = inspect.stack()[1].function
    more = "" if ran is None else f", {ran} run to the end (the others refused whole, exit 2)"
    print(f"\n{caller}: {tried} inputs{more}")


def runs(seconds: float, most: int, seed_offset: int = 0, least: int = 10) -> Iterator[random.Random]:
    """Generators, one per input, until the budget or `most` inputs (in a long run, only the budget); at least
    `least` inputs however slow the machine, so that a run always tries something."""
    start = time.monotonic()
    limit = 10**9 if DEFAULT_SECONDS else most
    for number in range(limit):
        if number >= least and time.monotonic() - start > budget(seconds):
            return
        yield random.Random(SEED * 1_000_003 + seed_offset * 7919 + number)


def value(rng: random.Random, good: str = "1") -> Any:
    roll = rng.random()
    if roll < 0.3:
        return good
    if roll < 0.6:
        return rng.choice(BAD_NUMBERS)
    if roll < 0.75:
        return rng.choice(BAD_DATES)
    if roll < 0.9:
        return rng.choice(BAD_TEXT)
    return rng.choice([None, True, False, 0, -1, 10**30, [], {}, [1, [2]], {"a": 1}])


# ------------------------------------------------------------ profiles


def profile_data(rng: random.Random) -> dict[str, Any]:
    data: dict[str, Any] = {"id": rng.choice(["P1", value(rng, "P1")]), "kind": rng.choice(KINDS),
                            "city": rng.choice(CITIES)}
    for name, good in rng.sample(sorted(FIELDS.items()), rng.randint(0, len(FIELDS))):
        data[name] = value(rng, good)
    if rng.random() < 0.1:
        data |= {f"unknown_{i}": 1 for i in range(rng.choice([1, 50, 5000]))}
    return data


def _yaml_scalar(item: Any) -> str:
    if isinstance(item, str):
        plain = item and item.isprintable() and item[0] not in "!&*-?[]{}|>%@`'\"#,:" and ": " not in item
        return item if plain and rng_safe(item) else json.dumps(item, ensure_ascii=False)
    return json.dumps(item, ensure_ascii=False)


def rng_safe(text: str) -> bool:
    return "#" not in text and not text.endswith(":")


def profile_yaml(rng: random.Random) -> bytes:
    data = profile_data(rng)
    lines = [f"{k}: {_yaml_scalar(v)}" for k, v in data.items()]
    shape = rng.random()
    if shape < 0.06:  # an alias bomb
        lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
        lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]" for i in range(9)]
    elif shape < 0.1:  # nesting
        depth = rng.choice([60, 150, 2000])
        lines.append("deep: " + "[" * depth + "]" * depth)
    elif shape < 0.14:  # an unhashable key, a duplicate key, a tag
        lines.append(rng.choice(["? [1, 2]\n: 3", "id: again", "x: !!python/object:os.system ls",
                                 "y: !!binary AAAA", "z: &r [*r]"]))
    text = "\n".join(lines) + "\n"
    return _encoded(rng, text)


def profile_json(rng: random.Random) -> bytes:
    data = profile_data(rng)
    text = json.dumps(data, ensure_ascii=rng.random() < 0.5)
    shape = rng.random()
    if shape < 0.1:
        depth = rng.choice([99, 1000, 100_000])
        text = text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    elif shape < 0.2:
        text = text.replace('"900000"', rng.choice(["NaN", "Infinity", "-Infinity", "1e1000000", "9" * 5000]))
    return _encoded(rng, text)


def _encoded(rng: random.Random, text: str) -> bytes:
    roll = rng.random()
    if roll < 0.1:
        return text.encode("gb18030", errors="replace")
    if roll < 0.15:
        return text.encode("utf-16", errors="surrogatepass")
    if roll < 0.18:
        return text.replace("\n", "\r").encode("utf-8", errors="replace")
    data = text.encode("utf-8", errors="replace")
    return mutate(rng, data) if roll < 0.35 else data


def mutate(rng: random.Random, data: bytes) -> bytes:
    """Bytes flipped, cut, repeated or inserted: the damage a disk, a mail system or an editor does."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not out:
            break
        at = rng.randrange(len(out))
        kind = rng.random()
        if kind < 0.3:
            out[at] = rng.randrange(256)
        elif kind < 0.5:
            del out[at:]
        elif kind < 0.7:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:
            out[at:at] = out[at : at + rng.randint(1, 40)]
    return bytes(out)


# ------------------------------------------------------------ batches

HEADER = ["id", "name", "kind", "city", "as_of", "recognised_incubation_base", "rent_and_broadband_paid",
          "rent_subsidy_years_received", "guangxi_new_product_share", "utilities_months"]
GOOD_ROW = ["G", "公司", "incubation_base", "南宁", "2017-03-01", "是", "900000.00", "0", "0.5", "6"]


def cells(rng: random.Random, number: int) -> list[Cell]:
    row: list[Cell] = [f"{GOOD_ROW[0]}{number}", *GOOD_ROW[1:]]
    for _ in range(rng.choice([0, 0, 1, 1, 2, 4])):
        at = rng.randrange(len(row))
        bad = value(rng, str(row[at]))
        row[at] = bad if isinstance(bad, str) or bad is None else json.dumps(bad)
    return row


def _csv_cell(text: Cell) -> str:
    if text is None:
        return ""
    text = str(text)
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_file(rng: random.Random, rows: int) -> bytes:
    """An applicant CSV: a valid header, rows with hostile cells, some lines damaged."""
    lines = [",".join(HEADER)]
    for number in range(rows):
        line = ",".join(_csv_cell(c) for c in cells(rng, number))
        damage = rng.random()
        if damage < 0.05:
            line = line.rsplit(",", rng.randint(1, 5))[0]  # ragged
        elif damage < 0.08:
            line = line + ',"stray'
        elif damage < 0.1:
            line = ""
        elif damage < 0.12:
            line = line + ",extra"
        elif damage < 0.14:
            line = line.replace("公司", "公司".encode("gbk").decode("latin-1"))
        lines.append(line)
    end = rng.choice(["\n", "\n", "\r\n", "\r"])
    text = end.join(lines) + (end if rng.random() < 0.8 else "")
    encoding = rng.choice(["utf-8", "utf-8", "utf-8-sig", "gb18030"])
    data = codecs.encode(text, encoding, errors="replace") if encoding != "utf-8" else text.encode("utf-8", "replace")
    return mutate(rng, data) if rng.random() < 0.1 else data


def workbook_file(rng: random.Random, path: Path, rows: int) -> Path:
    """A workbook written from its XML: hostile cells, and the dimension tag and row numbers generators get
    wrong (understated, `A1`, missing; rows skipped, a row number twice, formulas without values)."""
    sheet: list[tuple[int, list[Cell]]] = [(1, list(HEADER))]
    number = 2
    for index in range(rows):
        row = cells(rng, index)
        roll = rng.random()
        if roll < 0.1:
            row[6] = rng.choice([("1+1", None), ("A1*2", "4"), ("B2", None)])
        elif roll < 0.2:
            row[6] = rng.choice([float("nan"), float("inf"), 1e308, 12.345, 5e-324, 2**70])
        if rng.random() < 0.05:
            number += rng.randint(1, 3)  # rows the sheet leaves out
        sheet.append((number, row))
        number += 1
    if rng.random() < 0.05 and len(sheet) > 2:
        sheet.insert(2, sheet[1])  # a row number twice
    dimension = rng.choice([None, "A1", "A1:C2", f"A1:J{number}", "A1:XFD1048576"])
    write_workbook(path, sheet, dimension)
    if rng.random() < 0.1:
        data = path.read_bytes()
        path.write_bytes(mutate(rng, data) if rng.random() < 0.5 else data[: rng.randrange(len(data))])
    return path


# ------------------------------------------------------------ rule expressions

ATOMS = ["rent_and_broadband_paid", "utilities_months", "guangxi_new_product_share", "recognised_incubation_base",
         "city", "kind", "0", "1", "70%", "55万", "2017-03-01", '"nanning"', "9" * 5000, "1" * 19, "0.5"]


def expression(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 6 or roll < 0.3:
        return rng.choice(ATOMS)
    if roll < 0.5:
        op = rng.choice(["+", "-", "*", "/", ">", ">=", "==", "!=", "and", "or"])
        return f"{expression(rng, depth + 1)} {op} {expression(rng, depth + 1)}"
    if roll < 0.6:
        return f"not {expression(rng, depth + 1)}"
    if roll < 0.7:
        return f"({expression(rng, depth + 1)})"
    if roll < 0.8:
        return f"{rng.choice(['min', 'max'])}({expression(rng, depth + 1)}, {expression(rng, depth + 1)})"
    if roll < 0.9:
        items = ", ".join(rng.choice(ATOMS[6:]) for _ in range(rng.choice([1, 3, 300])))
        return f"{rng.choice(ATOMS[:6])} in [{items}]"
    return rng.choice(["(" * 60 + "1" + ")" * 60, "not " * 60 + "x", "__import__('os')", "a.b", "1 +", "'"])
