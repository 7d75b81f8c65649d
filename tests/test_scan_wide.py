"""The compiled passes read and write many bytes at a time (runs of empty cells skipped whole, a cell's end found
sixteen bytes at once, a spelling looked up by a hash of whole words, digits written in pairs, rules that do not
hold skipped sixteen at once); these tests put cells where those steps could go wrong (across sixteen-byte
windows, at the block's last bytes, exactly 8 or 16 bytes long, non-ASCII, quoted, after CRLF) and check the
compiled reader and writer against the usual ones."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
from test_columnar import COLUMNAR
from test_scan import FIELDS, SPECS, assert_read_alike
from test_widecsv import WRITERS, frame_path

from guangxi_subsidy.engine.batch.widecsv import WideWriter
from guangxi_subsidy.engine.intake.frames import BOOL_SPELLINGS
from guangxi_subsidy.engine.intake.scan import Scanner
from guangxi_subsidy.engine.language import ValueType

BASE = {"id": "GX1", "kind": "enterprise", "city": "南宁"}  # the required cells
IDS = ["G" * n for n in (1, 7, 8, 9, 15, 16, 17, 31, 32, 33)]  # a cell ending at and around 8 and 16 bytes
NAMES = ["南宁启航", "南宁启航工作", "南宁启航工作室", "a南宁启航工作", '"南宁,启航"', '"a ""b"""', "x"]


def wide_line(cells: dict[str, str], extra: int = 0) -> bytes:
    """A line of every field in FIELDS' order (most cells empty), with `extra` empty cells beyond the header."""
    return (",".join(cells.get(name, "") for name in FIELDS) + "," * extra).encode("utf-8")


def write(path: Path, lines: list[bytes], crlf: bool) -> Path:
    end = b"\r\n" if crlf else b"\n"
    path.write_bytes(end.join([",".join(FIELDS).encode(), *lines]) + end)
    return path


def test_wide_lines_with_runs_of_empty_cells_of_every_length_are_read_alike(tmp_path: Path) -> None:
    rng = random.Random(5)
    money = [n for n in FIELDS if n not in BASE and SPECS[n].vtype == ValueType.MONEY]
    lines, odd = [], []
    for number in range(60):
        cells = {**BASE, "id": rng.choice(IDS) + str(number), "name": rng.choice(NAMES)}
        for name in rng.sample(money, rng.choice([0, 1, 2, 5, 20])):  # runs of 0 to ~120 empty cells between
            cells[name] = rng.choice(["1", "12345678", "1234567890123456", "1234.56万", '"1,234.56"'])
        if number % 7 == 3:
            cells["city"] = ""  # a required cell in a run of empty ones: refused
        extra = 3 if number % 11 == 5 else 0  # more cells than the header: ragged
        lines.append(wide_line(cells, extra))
        if cells["city"] == "" or extra or '""' in cells["name"]:
            odd.append(number)
    lines.append(wide_line(BASE))  # the block's last line ends in a run of empty cells
    for crlf in (False, True):
        end = b"\r\n" if crlf else b"\n"
        found = Scanner(tuple(FIELDS), crlf=crlf).read(end.join(lines) + end, 2)
        assert found is not None
        frame, others = found
        assert [row - 2 for row, _ in others] == odd  # exactly the odd lines handed to the usual readers
        assert frame.height == len(lines) - len(odd)
        assert_read_alike(write(tmp_path / f"wide{crlf}.csv", lines, crlf))


def test_every_spelling_of_every_choice_is_found_by_the_compiled_reader(tmp_path: Path) -> None:
    spelled = [n for n in FIELDS if SPECS[n].spellings is not None and n not in BASE]
    lines = []
    for name in spelled:  # every spelling, 1 to 21 bytes long, as the last cell too
        forms = list(BOOL_SPELLINGS) if SPECS[name].vtype == ValueType.BOOL else list(SPECS[name].spellings or {})
        lines += [wide_line({**BASE, name: form}) for form in forms]
    lines += [wide_line({**BASE, "kind": form}) for form in SPECS["kind"].spellings or {}]
    lines += [wide_line({**BASE, "city": form}) for form in SPECS["city"].spellings or {}]
    block = b"\n".join(lines) + b"\n"
    found = Scanner(tuple(FIELDS), crlf=False).read(block, 2)
    assert found is not None
    frame, others = found
    assert others == [] and frame.height == len(lines)  # each spelling found in its table: none left over
    assert_read_alike(write(tmp_path / "spelled.csv", lines, False))


def test_a_cell_in_the_last_sixteen_bytes_of_a_block_is_read_as_elsewhere() -> None:
    scanner = Scanner(tuple(FIELDS), crlf=False)
    last = FIELDS[-1]
    assert SPECS[last].vtype == ValueType.BOOL
    for tail in ("", "是", "没有", "true", "False", "√"):  # the last column: a yes or no, 0 to 6 bytes
        line = wide_line({**BASE, last: tail})
        found = scanner.read(line + b"\n", 2)
        assert found is not None
        frame, others = found
        assert others == [] and frame.height == 1
        assert frame[last].item() == (BOOL_SPELLINGS[tail] if tail else None)
        found = scanner.read(line + b'"' + b"\n", 2)  # a stray quote at the very end: the block left whole
        assert found is None


def test_the_compiled_writer_writes_amounts_dates_and_long_lists_as_the_frame_path_in_any_room() -> None:
    fens = [0, 1, 9, 10, 99, 100, 101, 999, 1000, 123456, 10 ** 9, 12345678901]  # yuan of 1 to 9 digits
    dates = ["2017-06-30", "2000-01-01", "2024-02-29", "1999-12-31", "2031-11-09"]
    cells = pl.DataFrame({"id": [f"ID{i}" for i in range(len(fens) + 3)],
                          "kind": ["incubation_base"] * (len(fens) + 3), "city": ["南宁"] * (len(fens) + 3),
                          "recognised_incubation_base": ["是"] * len(fens) + [None] * 3,
                          "rent_and_broadband_paid": [f"{f // 100}.{f % 100:02d}" for f in fens] + [None] * 3,
                          "as_of": [dates[i % len(dates)] for i in range(len(fens) + 3)]})
    result = COLUMNAR[False].evaluate(cells)
    expected = frame_path(result)
    lines = WRITERS[False].lines(result)
    assert lines is not None and b"".join(bytes(p) for p in lines) == expected
    for room in (4096, 20_000, 21_000, 23_000, 40_000):  # lines cut where a list of missing facts may not fit
        pieces = WideWriter(COLUMNAR[False].rules, room=room).lines(result)
        assert pieces is not None and b"".join(bytes(p) for p in pieces) == expected
