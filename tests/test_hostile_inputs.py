"""Each defect a hostile reading of the tool found, pinned down: rows never lost, bad values refused with the
field named (exit 2), rule files that would break the engines refused by `subsidy rules check` with file, rule
and position, and workbooks read by the rows they hold."""

from __future__ import annotations

import csv
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.applicant import values
from guangxi_subsidy.engine.rules import limits
from guangxi_subsidy.engine.yamlio import YamlLimitError, load_yaml

sys.path.insert(0, str(Path(__file__).parent / "fuzz"))
from workbooks import numbered, sheet_xml, write_workbook  # noqa: E402

RULE = (Path(__file__).parent / "fuzz" / "corpus" / "rule_template.yaml").read_text(encoding="utf-8")
FIVE_ROWS = (
    "id,name,kind,city,as_of,recognised_incubation_base,rent_and_broadband_paid,rent_subsidy_years_received\n"
    "G1,公司1,incubation_base,南宁,2017-03-01,是,900001.00,0\n"
    "R1,x,enterprise\n"
    'Q1,"open,x\n'
    "G2,公司2,incubation_base,南宁,2017-03-01,是,900002.00,0\n"
    "H3,n,incubation_base,nanning,,true,-5,0\n"
)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"SUBSIDY_LANG": "en"})
    text = result.output
    assert "Traceback" not in text and "internal error" not in text, text
    return result.exit_code, text


def rows_of(path: Path) -> list[int]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [int(r["row"]) for r in csv.DictReader(handle)]


def rows_of_batch(source: Path, engine: str) -> tuple[list[int], list[int]]:
    out = source.with_name(f"out_{engine}.csv")
    code, text = invoke("batch", str(source), "-o", str(out), "--engine", engine, "--quiet", "--as-of", "2017-06-30")
    assert code == 0, text
    return rows_of(out), sorted(set(rows_of(out.with_name(out.stem + ".errors.csv"))))


# ------------------------------------------------------------ batches: every row in one file


@pytest.mark.parametrize("engine", ["columnar", "reference"])
def test_the_five_row_file_gives_two_evaluated_and_three_rejected_rows(tmp_path: Path, engine: str) -> None:
    source = tmp_path / "five.csv"
    source.write_text(FIVE_ROWS, encoding="utf-8")
    evaluated, rejected = rows_of_batch(source, engine)
    assert evaluated == [2, 5] and rejected == [3, 4, 6]


@pytest.mark.parametrize("engine", ["columnar", "reference"])
def test_rows_read_line_by_line_are_kept_by_the_reference_engine(tmp_path: Path, engine: str) -> None:
    source = tmp_path / "short.csv"
    source.write_text("id,kind,city\nA1,enterprise,nanning\nA2,enterprise\nA3,enterprise,nanning\n", encoding="utf-8")
    assert rows_of_batch(source, engine) == ([2, 4], [3])


@pytest.mark.parametrize("engine", ["columnar", "reference"])
def test_a_cell_past_every_bound_rejects_its_row_and_no_other(tmp_path: Path, engine: str) -> None:
    source = tmp_path / "huge.csv"
    source.write_text("id,kind,city,rent_and_broadband_paid,utilities_months\n"
                      "A1,enterprise,nanning,1,1\nA2,enterprise,nanning,1e1000000,1\nA3,enterprise,nanning,1,1\n"
                      "A4,enterprise,nanning,1e999999999万,1\nA5,enterprise,nanning,NaN,1\n"
                      f"A6,enterprise,nanning,1,{'9' * 5000}\nA7,enterprise,nanning,1,true\n", encoding="utf-8")
    assert rows_of_batch(source, engine) == ([2, 4], [3, 5, 6, 7, 8])


def test_a_csv_file_with_cr_line_ends_is_read(tmp_path: Path) -> None:
    source = tmp_path / "mac.csv"
    source.write_bytes(b"id,kind,city\rA1,enterprise,nanning\rA2,enterprise,nanning\r")
    assert rows_of_batch(source, "columnar") == ([2, 3], [])


# ------------------------------------------------------------ workbooks

ROWS = [["id", "kind", "city"], ["A1", "enterprise", "nanning"], ["A2", "enterprise", "nanning"],
        ["A3", "enterprise", "nanning"]]


@pytest.mark.parametrize("dimension", ["A1:C2", "A1", None, "A1:C1048576"])
def test_a_workbook_gives_all_its_rows_whatever_its_dimension_tag_says(tmp_path: Path, dimension: str | None) -> None:
    book = write_workbook(tmp_path / "book.xlsx", numbered(ROWS), dimension)
    for engine in ("columnar", "reference"):
        assert rows_of_batch(book, engine) == ([2, 3, 4], [])


def test_a_sheet_holding_a_row_number_twice_is_refused(tmp_path: Path) -> None:
    book = write_workbook(tmp_path / "twice.xlsx", [(1, ROWS[0]), (2, ROWS[1]), (2, ROWS[2]), (3, ROWS[3])])
    code, text = invoke("batch", str(book), "-o", str(tmp_path / "out.csv"))
    assert code == 2 and "row 2 twice" in text and not (tmp_path / "out.csv").exists()


def test_formula_cells_without_a_value_and_nan_cells_reject_their_rows_by_name(tmp_path: Path) -> None:
    header = ["id", "kind", "city", "rent_and_broadband_paid"]
    book = write_workbook(tmp_path / "cells.xlsx", numbered([
        header, ["A1", "enterprise", "nanning", ("1+1", None)], ["A2", "enterprise", "nanning", ("1+1", "2")],
        ["A3", "enterprise", "nanning", float("nan")], ["A4", "enterprise", "nanning", 3]]))
    evaluated, rejected = rows_of_batch(book, "columnar")
    assert evaluated == [3, 5] and rejected == [2, 4]
    with (tmp_path / "out_columnar.errors.csv").open(encoding="utf-8-sig") as handle:
        reasons = {r["row"]: (r["value"], r["reason"]) for r in csv.DictReader(handle)}
    assert reasons["2"][0] == "D2" and "formula" in reasons["2"][1]
    assert "NaN" in reasons["4"][1]


@pytest.mark.parametrize("damage", ["not a zip", "cut short", "sheet cut short"])
def test_a_damaged_workbook_is_refused_as_bad_input(tmp_path: Path, damage: str) -> None:
    book = tmp_path / "damaged.xlsx"
    if damage == "not a zip":
        book.write_bytes(b"id,kind,city\n")
    elif damage == "cut short":
        data = write_workbook(book, numbered(ROWS)).read_bytes()
        book.write_bytes(data[: len(data) // 2])
    else:
        full = sheet_xml(numbered(ROWS * 30))
        write_workbook(book, [], sheet=full[: len(full) * 2 // 3])
    code, text = invoke("batch", str(book), "-o", str(tmp_path / "out.csv"))
    assert code == 2 and "damaged.xlsx" in text


# ------------------------------------------------------------ profiles

PROFILE = "id: X1\nkind: enterprise\ncity: nanning\n"
BAD_PROFILES = {
    "nan.yaml": PROFILE + "rent_and_broadband_paid: .nan\n",
    "inf.yaml": PROFILE + "rent_and_broadband_paid: .inf\n",
    "ratio_inf.yaml": PROFILE + "guangxi_new_product_share: -.inf\n",
    "digits.yaml": PROFILE + f"graduates_hired: {'9' * 5000}\n",
    "exponent.yaml": PROFILE + "rent_and_broadband_paid: 1e1000000\n",
    "feb30.yaml": PROFILE + "as_of: 2017-02-30\n",
    "month13.yaml": PROFILE + "as_of: 2017-13-01\n",
    "year0.yaml": PROFILE + "as_of: 0000-01-01\n",
    "datetime.yaml": PROFILE + "as_of: 2017-03-01 00:00:00\n",
    "timestamp.yaml": PROFILE + "as_of: 1490000000\n",
    "true_count.yaml": PROFILE + "graduates_hired: true\n",
    "list_key.yaml": PROFILE + "? [1, 2]\n: 3\n",
    "deep.json": "[" * 1000 + "]" * 1000,
    "nan.json": '{"id": "X", "kind": "enterprise", "city": "nanning", "rent_and_broadband_paid": NaN}',
    "digits.json": '{"id": "X", "kind": "enterprise", "city": "nanning", "graduates_hired": ' + "9" * 5000 + "}",
    "cycle.yaml": "a: &a [*a]\n",
    "surrogate.json": '{"id": "\\udcff", "kind": "enterprise", "city": "nanning"}',
}


@pytest.mark.parametrize("name", sorted(BAD_PROFILES))
def test_a_hostile_profile_is_refused_with_exit_2(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(BAD_PROFILES[name], encoding="utf-8")
    code, text = invoke("evaluate", str(path))
    assert code == 2 and name in text


@pytest.mark.parametrize(("encoding", "bom"), [("gb18030", b""), ("utf-16", b""), ("utf-8", b"\xef\xbb\xbf")])
def test_a_profile_saved_in_gbk_or_utf16_is_read(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "profile.yaml"
    path.write_bytes(bom + (PROFILE + "name: 南宁某公司\n").encode(encoding))
    code, text = invoke("evaluate", str(path), "--format", "json")
    assert code == 0 and json.loads(text)["applicant"]["name"] == "南宁某公司"


def test_binary_junk_and_cr_line_ends_in_profiles(tmp_path: Path) -> None:
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(bytes(range(256)) * 4)
    assert invoke("evaluate", str(junk))[0] == 2
    mac = tmp_path / "mac.yaml"
    mac.write_bytes(PROFILE.replace("\n", "\r").encode())
    assert invoke("evaluate", str(mac))[0] == 0


def test_yaml_documents_past_the_limits_are_refused_before_they_are_built() -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(7))
    with pytest.raises(YamlLimitError, match="alias"):
        load_yaml(bomb)
    with pytest.raises(YamlLimitError, match="levels deep"):
        load_yaml("a: " + "[" * 200 + "]" * 200)
    assert load_yaml("a: " + "[" * 50 + "]" * 50) is not None


@pytest.mark.parametrize("text", ["1e41", "1" * 41, "NaN", "-Infinity", "sNaN", "1e-45", "0x10", ""])
def test_the_reader_of_numbers_refuses_what_is_not_a_bounded_number(text: str) -> None:
    with pytest.raises(ValueError):
        values.decimal(text)


def test_the_reader_of_values_reads_the_spellings_people_write() -> None:
    assert values.money("55万") == Decimal(550_000) and values.money("1,234.50元") == Decimal("1234.50")
    assert values.ratio("85%") == Decimal("0.85") and values.count("12") == 12
    assert values.boolean("是") is True and values.boolean("OFF") is False
    assert str(values.date("2017年3月1日")) == "2017-03-01"
    with pytest.raises(ValueError, match="true/false"):
        values.count(True)


# ------------------------------------------------------------ rule files


def rule_file(tmp_path: Path, condition: str, formula: str, name: str = "rule.yaml") -> Path:
    path = tmp_path / name
    path.write_text(RULE.replace("CONDITION", condition).replace("FORMULA", formula), encoding="utf-8")
    return path


@pytest.mark.parametrize(("condition", "formula", "found"), [
    ("in_incubation_base", "9" * 5000, "amount.formula]: a number of more than 18 digits at column 1"),
    (f"utilities_months > {'9' * 5000}", "1", "conditions.c1.when]: a number of more than 18 digits at column 20"),
    ("in_incubation_base", "9" * 5000 + "万", "a number of more than 18 digits at column 1"),
    ("in_incubation_base", "rent_and_broadband_paid / utilities_months",
     "division by 'utilities_months', which can be 0, at column 25"),
    ("in_incubation_base", "rent_and_broadband_paid / (1 - 1)", "division by zero at column 25"),
    ("in_incubation_base", "rent_and_broadband_paid / 0", "division by zero"),
    ("months_operating_in_base in [" + ", ".join(map(str, range(600))) + "]", "1", "more than 256 items"),
    ("in_incubation_base", "100000000000000000 * 100000000000000000 * 100000000000000000 * utilities_months",
     "at most 10^45"),
])
def test_rules_check_refuses_what_the_engines_cannot_run(tmp_path: Path, condition: str, formula: str,
                                                         found: str) -> None:
    path = rule_file(tmp_path, condition, formula)
    code, text = invoke("rules", "check", str(path))
    flat = " ".join(text.split())
    assert code == 2 and "rule.yaml" in flat and "test.fuzzed" in flat and found in flat


@pytest.mark.parametrize(("condition", "formula"), [
    ("utilities_months > 0", "rent_and_broadband_paid / utilities_months"),
    ("utilities_months >= 1 and in_incubation_base", "rent_and_broadband_paid / utilities_months"),
    ("in_incubation_base", "rent_and_broadband_paid / (utilities_months + 1)"),
    ("in_incubation_base", "rent_and_broadband_paid / max(utilities_months, 1)"),
])
def test_rules_check_accepts_a_division_its_rule_guards(tmp_path: Path, condition: str, formula: str) -> None:
    assert invoke("rules", "check", str(rule_file(tmp_path, condition, formula)))[0] == 0


def test_a_chain_of_derived_facts_longer_than_the_matcher_runs_is_refused(tmp_path: Path) -> None:
    head, _, rules = RULE.partition("rules:\n")
    derived = "".join(
        f"  - id: t.d{i}\n    name: d\n    beneficiary: [enterprise]\n"
        + (f"    requires: [t.d{i - 1}]\n" if i else "")
        + "    conditions:\n      - {id: c, when: in_incubation_base}\n"
        + "    source: {clause: '1', quote: 补贴标准按照每个基地每年实际缴纳的房租和宽带接入费的70%给予补助}\n"
        for i in range(450))
    text = head + "derived:\n" + derived + "rules:\n" + rules.replace(
        "    conditions:", "    requires: [t.d449]\n    conditions:")
    path = tmp_path / "chain.yaml"
    path.write_text(text.replace("CONDITION", "in_incubation_base").replace("FORMULA", "2000"), encoding="utf-8")
    code, output = invoke("rules", "check", str(path))
    assert code == 2 and f"at most {limits.MAX_CHAIN}" in " ".join(output.split())


@pytest.mark.parametrize("damage", [b"\xff\xfe\x00\x01binary", "from: 2016-02-30", "value: .nan", "bad: [unclosed"])
def test_a_malformed_rule_file_is_refused_without_a_traceback(tmp_path: Path, damage: bytes | str) -> None:
    path = tmp_path / "bad.yaml"
    if isinstance(damage, bytes):
        path.write_bytes(damage)
    else:
        path.write_text(RULE.replace("effective: {from: 2016-06-13}", "effective: {" + damage + "}"), "utf-8")
    code, text = invoke("rules", "check", str(path))
    assert code == 2 and "bad.yaml" in text


def test_a_division_that_still_meets_zero_rejects_that_applicant_only(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a divisor the check accepted meet zero, the applicant is rejected with the rule named."""
    monkeypatch.setattr(limits, "unguarded_divisions", lambda pack: [])
    rules = rule_file(tmp_path, "in_incubation_base", "rent_and_broadband_paid / utilities_months")
    source = tmp_path / "applicants.csv"
    source.write_text("id,kind,city,in_incubation_base,rent_and_broadband_paid,utilities_months\n"
                      "A1,enterprise,nanning,是,1000,4\nA2,enterprise,nanning,是,1000,0\n"
                      "A3,enterprise,nanning,是,1000,8\n", encoding="utf-8")
    for engine in ("columnar", "reference"):
        out = tmp_path / f"out_{engine}.csv"
        code, text = invoke("--rules", str(rules), "batch", str(source), "-o", str(out), "--engine", engine,
                            "--as-of", "2017-06-30", "--quiet")
        assert code == 0, text
        assert rows_of(out) == [2, 4]
        errors = out.with_name(out.stem + ".errors.csv").read_text(encoding="utf-8-sig")
        assert "test.fuzzed" in errors and "division by zero" in errors
    profile = tmp_path / "zero.yaml"
    profile.write_text(PROFILE + "in_incubation_base: true\nrent_and_broadband_paid: 1000\nutilities_months: 0\n",
                       encoding="utf-8")
    code, text = invoke("--rules", str(rules), "evaluate", str(profile), "--as-of", "2017-06-30")
    assert code == 2 and "test.fuzzed" in text


def test_nested_negations_render_to_text_that_parses_again() -> None:
    node = ex.parse("not " * 48 + "months_operating_in_base > 3")
    assert ex.parse(ex.render(node)) == node
