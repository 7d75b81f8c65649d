"""Batch files end to end: every row accounted for, the same results from UTF-8, GB18030 and .xlsx, outputs
that never look complete when they are not, and cells that cannot turn into spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.applicant.fields import field_labels

FIELDS = list(field_labels())
AS_OF = "2017-06-30"


def good_row(number: int, rng: random.Random) -> dict[str, str]:
    """A valid applicant written the way offices write them."""
    kind = rng.choice(["enterprise", "企业", "incubation_base", "individual", "public_institution"])
    row = {"id": f"A{number:05d}", "name": f"南宁测试企业{number}", "kind": kind,
           "city": rng.choice(["南宁", "南宁市", "nanning", "梧州", "柳州"])}
    if kind in ("enterprise", "企业"):
        row |= {"industrial_enterprise": rng.choice(["是", "否", "true", "1"]),
                "new_products_certified": str(rng.randint(0, 12)),
                "new_product_subsidy_received_this_year": rng.choice(["0", "50000", "150000.50"]),
                "termite_control_fee_standard": f"{rng.randint(0, 99999)}.{rng.randint(0, 99):02d}",
                "in_incubation_base": rng.choice(["是", "否"]),
                "utilities_paid": rng.choice(["1,234.56", "3.2万", "800"]),
                "utilities_months": str(rng.randint(0, 12)), "has_site_lease": "是",
                "rd_expenses": str(rng.randint(0, 10**6))}
    elif kind == "incubation_base":
        row |= {"recognised_incubation_base": "是", "rent_and_broadband_paid": str(rng.randint(0, 2 * 10**6)),
                "rent_subsidy_years_received": str(rng.randint(0, 3))}
    elif kind == "individual":
        row |= {"meets_startup_loan_conditions": rng.choice(["是", "否"]), "loan_requested": "150000",
                "graduate_grassroots_employer": "state_owned_sme", "below_county_level": "yes",
                "grassroots_service_years": "3", "tuition_per_academic_year": "6000", "academic_years": "4"}
    else:
        row |= {"intern_person_months": str(rng.randint(0, 30)), "interns_completed": "4", "interns_retained": "2"}
    return row


# Ten kinds of bad value, each representable in any file format; the reason each is refused.
BAD_VALUES = [
    ("rent_and_broadband_paid", "很多", "not an amount of money"),
    ("id", "", "Field required"),
    ("rent_and_broadband_paid", "-5", "greater than or equal to 0"),
    ("city", "深圳", "not one of the accepted values: 南宁（nanning）"),
    ("as_of", "2017-02-30", "date"),
    ("kind", "合伙人", "not one of the accepted values: 企业（enterprise）"),
    ("industrial_enterprise", "也许", "not yes or no"),
    ("new_products_certified", "10000001", "less than or equal to"),
    ("rent_and_broadband_paid", "12.345", "2 decimal places"),
    ("guangxi_new_product_share", "150%", "less than or equal to 1"),
]


def table(rows: int = 1000, bad_every: int = 10, seed: int = 5) -> tuple[list[dict[str, str]], dict[int, str]]:
    """Rows (spreadsheet row 2 onwards), every tenth bad, and the bad rows' expected reasons by row number."""
    rng = random.Random(seed)
    out, bad = [], {}
    for i in range(rows):
        row = good_row(i, rng)
        if i % bad_every == bad_every - 1:
            field, value, reason = BAD_VALUES[(i // bad_every) % len(BAD_VALUES)]
            row[field] = value
            bad[i + 2] = reason
        out.append(row)
    return out, bad


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> None:
    """As a person would keep it: numbers as numbers, text as text."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(FIELDS)
    for row in rows:
        sheet.append([_typed(row.get(name, "")) for name in FIELDS])
    book.save(path)


def _typed(text: str) -> object:
    if text == "":
        return None
    try:
        return int(text) if text.lstrip("-").isdigit() else float(text) if "." in text and repr(float(text)) == text \
            else text
    except ValueError:
        return text


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def batch(source: Path, out: Path, *more: str) -> dict[str, object]:
    summary = out.with_suffix(".summary.json")
    code, _, err = run("batch", str(source), "-o", str(out), "--as-of", AS_OF, "--summary", str(summary), "-q", *more)
    assert code == 0, err
    return json.loads(summary.read_text(encoding="utf-8"))


def test_bad_rows_of_ten_kinds_are_each_rejected_with_row_and_reason(tmp_path: Path) -> None:
    rows, bad = table()
    source = tmp_path / "applicants.csv"
    write_csv(source, rows)
    summary = batch(source, tmp_path / "results.csv")
    assert summary["rows"] == {"read": 1000, "evaluated": 900, "rejected": 100, "repeated": 0}
    results = pl.read_csv(tmp_path / "results.csv", infer_schema=False)
    errors = pl.read_csv(tmp_path / "results.errors.csv", infer_schema=False)
    assert results.height == 900
    assert set(errors["row"].cast(int).to_list()) == set(bad)
    assert not set(results["row"].cast(int).to_list()) & set(bad)
    for row, reason in bad.items():
        reasons = " ".join(errors.filter(pl.col("row") == str(row))["reason"].to_list())
        assert reason in reasons, (row, reasons)
    assert results["row"].cast(int).is_sorted()


def test_csv_in_gb18030_and_xlsx_give_the_same_results(tmp_path: Path) -> None:
    rows, _ = table(seed=11)
    write_csv(tmp_path / "utf8.csv", rows)
    write_csv(tmp_path / "gb.csv", rows, encoding="gb18030")
    write_xlsx(tmp_path / "book.xlsx", rows)
    outputs = {}
    for name in ("utf8.csv", "gb.csv", "book.xlsx"):
        summary = batch(tmp_path / name, tmp_path / f"{name}.results.csv")
        assert summary["rows"] == {"read": 1000, "evaluated": 900, "rejected": 100, "repeated": 0}
        outputs[name] = (
            (tmp_path / f"{name}.results.csv").read_text(encoding="utf-8-sig"),
            pl.read_csv(tmp_path / f"{name}.results.errors.csv", infer_schema=False).select("row", "field", "reason"),
            summary["totals"],
        )
    assert outputs["utf8.csv"][0] == outputs["gb.csv"][0] == outputs["book.xlsx"][0]
    assert outputs["utf8.csv"][1].equals(outputs["gb.csv"][1])
    assert outputs["utf8.csv"][1].equals(outputs["book.xlsx"][1])
    assert outputs["utf8.csv"][2] == outputs["gb.csv"][2] == outputs["book.xlsx"][2]


def test_broken_lines_are_reported_without_losing_their_neighbours(tmp_path: Path) -> None:
    rows, _ = table(rows=60, bad_every=10**6)
    buffer = io.StringIO()
    write_csv_to(buffer, rows)
    lines = buffer.getvalue().splitlines(keepends=True)
    lines[3] = lines[3].replace(",", "", 3)  # ragged: row 4 loses three cells
    lines[6] = lines[6].replace("南宁测试企业", '"南宁测试企业', 1)  # stray quote in row 7
    lines[9] = "\n"  # an empty row 10
    data = "".join(lines).encode("utf-8")
    bad_line = lines[12].encode("gbk")  # row 13 saved in another encoding
    data = data.replace(lines[12].encode("utf-8"), bad_line)
    source = tmp_path / "broken.csv"
    source.write_bytes(data)
    summary = batch(source, tmp_path / "results.csv")
    errors = pl.read_csv(tmp_path / "results.errors.csv", infer_schema=False)
    reasons = {int(r): t for r, t in zip(errors["row"], errors["reason"], strict=True)}
    assert set(reasons) == {4, 7, 10, 13}
    assert "cells, but the header has" in reasons[4]
    assert "quote" in reasons[7]
    assert reasons[10] == "empty row"
    assert "not valid utf-8" in reasons[13]
    assert summary["rows"] == {"read": 60, "evaluated": 56, "rejected": 4, "repeated": 0}


def test_a_thousand_rows_with_broken_lines_among_the_bad_values_lose_none(tmp_path: Path) -> None:
    """Ten kinds of bad row: seven bad values, then a ragged row, a stray quote and a line in another encoding."""
    rows, bad = table()
    buffer = io.StringIO()
    write_csv_to(buffer, rows)
    lines = buffer.getvalue().splitlines(keepends=True)  # lines[n] is spreadsheet row n + 1
    data: list[bytes] = []
    for number, line in enumerate(lines, start=1):
        kind = (number - 2) // 10 % len(BAD_VALUES)
        if number in bad and kind == 7:
            line, bad[number] = line.replace(",", "", 5), "cells, but the header has"
        elif number in bad and kind == 8:
            line, bad[number] = line.replace(f"A{number - 2:05d},", f'A{number - 2:05d},"', 1), "quote"
        encoded = line.encode("utf-8")
        if number in bad and kind == 9:
            encoded, bad[number] = line.encode("gbk"), "not valid utf-8"
        data.append(encoded)
    source = tmp_path / "mixed.csv"
    source.write_bytes(b"".join(data))
    summary = batch(source, tmp_path / "results.csv")
    assert summary["rows"] == {"read": 1000, "evaluated": 900, "rejected": 100, "repeated": 0}
    errors = pl.read_csv(tmp_path / "results.errors.csv", infer_schema=False)
    assert set(errors["row"].cast(int).to_list()) == set(bad)
    for row, reason in bad.items():
        assert reason in " ".join(errors.filter(pl.col("row") == str(row))["reason"].to_list()), row
    results = pl.read_csv(tmp_path / "results.csv", infer_schema=False)
    assert sorted(results["row"].cast(int).to_list() + list(bad)) == list(range(2, 1002))


def write_csv_to(handle: io.StringIO, rows: list[dict[str, str]]) -> None:
    writer = csv.DictWriter(handle, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)


def test_headers_may_be_chinese_labels_and_a_template_label_row_is_skipped(tmp_path: Path) -> None:
    labels = field_labels()
    rows, _ = table(rows=30, bad_every=10**6)
    plain = tmp_path / "plain.csv"
    write_csv(plain, rows)
    labelled = tmp_path / "labelled.csv"
    with labelled.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([labels[f] for f in FIELDS])
        writer.writerows([[row.get(f, "") for f in FIELDS] for row in rows])
    template = tmp_path / "template.csv"
    assert run("template", str(template))[0] == 0
    with template.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([[row.get(f, "") for f in FIELDS] for row in rows])
    batch(plain, tmp_path / "a.csv")
    batch(labelled, tmp_path / "b.csv")
    batch(template, tmp_path / "c.csv")
    a = pl.read_csv(tmp_path / "a.csv", infer_schema=False)
    c = pl.read_csv(tmp_path / "c.csv", infer_schema=False)
    assert a.equals(pl.read_csv(tmp_path / "b.csv", infer_schema=False))
    assert c["row"].to_list() == [str(int(r) + 1) for r in a["row"]]  # the label row is row 2
    assert a.drop("row").equals(c.drop("row"))


def test_csv_template_has_names_then_labels(tmp_path: Path) -> None:
    path = tmp_path / "template.csv"
    assert run("template", str(path))[0] == 0
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == list(field_labels())
    assert rows[1] == [field_labels()[n] for n in rows[0]]
    summary = batch(path, tmp_path / "results.csv")
    assert summary["rows"] == {"read": 0, "evaluated": 0, "rejected": 0, "repeated": 0}
    assert (tmp_path / "results.csv").read_text(encoding="utf-8-sig").startswith("row,id,name,kind,city,as_of,")


def test_applicant_text_cannot_become_a_spreadsheet_formula(tmp_path: Path) -> None:
    rows, _ = table(rows=4, bad_every=10**6)
    for row, name in zip(rows, ["=1+1", "+SUM(A1)", "-2", "@cmd"], strict=True):
        row["name"] = name
    rows[0]["rent_and_broadband_paid"] = "=HYPERLINK(1)"
    source = tmp_path / "sneaky.csv"
    write_csv(source, rows)
    batch(source, tmp_path / "results.csv")
    names = pl.read_csv(tmp_path / "results.csv", infer_schema=False)["name"].to_list()
    assert names == ["'+SUM(A1)", "'-2", "'@cmd"]  # the first row is refused for its money
    errors = pl.read_csv(tmp_path / "results.errors.csv", infer_schema=False)
    assert errors["value"].to_list() == ["'=HYPERLINK(1)"]
    batch(source, tmp_path / "results.jsonl")
    long = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["id"] for r in long} <= {"A00001", "A00002", "A00003"}


def test_long_jsonl_rows_carry_rule_status_amounts_as_strings_and_departments(tmp_path: Path) -> None:
    source = tmp_path / "one.csv"
    write_csv(source, [{"id": "NN-BASE-001", "kind": "incubation_base", "city": "南宁",
                        "recognised_incubation_base": "是", "rent_and_broadband_paid": "900,000",
                        "rent_subsidy_years_received": "0"}])
    batch(source, tmp_path / "benefits.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "benefits.jsonl").read_text(encoding="utf-8").splitlines()]
    rent = next(r for r in rows if r["rule_id"] == "nanning.incubation_base_rent_subsidy")
    assert rent["status"] == "eligible" and rent["amount_kind"] == "exact" and rent["value"] == "550000.00"
    assert rent["draft"] is False and rent["benefit_kind"] == "cash_subsidy"
    assert rent["lead_department"] == rent["departments"].split("、")[0]


def test_drafts_only_with_include_drafts_marked_and_totalled_apart(tmp_path: Path) -> None:
    source = tmp_path / "wuzhou.csv"
    write_csv(source, [{"id": "WZ-1", "kind": "individual", "city": "梧州", "high_level_talent": "是",
                        "local_share_of_income_tax_paid": "12000", "first_home_deed_tax_paid": "3000"}])
    without = batch(source, tmp_path / "a.jsonl", "--as-of", "2018-01-01")
    assert "wuzhou.high_level_talent_tax_refund" not in (tmp_path / "a.jsonl").read_text(encoding="utf-8")
    assert without["totals"]["grants"] == "0.00"
    with_drafts = batch(source, tmp_path / "b.jsonl", "--as-of", "2018-01-01", "--include-drafts")
    rows = [json.loads(line) for line in (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()]
    draft = next(r for r in rows if r["rule_id"] == "wuzhou.high_level_talent_tax_refund")
    assert draft["draft"] is True and draft["value"] == "15000.00"
    # a draft's money is never in the in-force totals: 12,000 + 3,000 is the drafts' own total
    assert with_drafts["totals"]["grants"] == "0.00"
    assert with_drafts["draft_totals"]["grants"] == "15000.00"
    assert "draft_totals" not in without
    batch(source, tmp_path / "c.csv", "--as-of", "2018-01-01", "--include-drafts")
    assert "wuzhou.high_level_talent_tax_refund (DRAFT)" in (tmp_path / "c.csv").read_text(encoding="utf-8-sig")


def test_a_header_naming_no_field_is_refused_with_exit_2(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("id,kind,city,rent_paid\nA,enterprise,南宁,5\n", encoding="utf-8")
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "r.csv"), "--strict-columns")
    assert code == 2 and "rent_paid" in err
    assert not (tmp_path / "r.csv").exists()


@pytest.fixture(scope="module")
def big_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    """300,000 rows (many chunks), written once for the three ways of stopping a run (each run only reads it), and
    the rows of a small batch run after one."""
    rows, _ = table(rows=2000, bad_every=10**6)
    buffer = io.StringIO()
    write_csv_to(buffer, rows)
    header, body = buffer.getvalue().split("\n", 1)
    source = tmp_path_factory.mktemp("big") / "big.csv"
    with source.open("w", encoding="utf-8") as handle:
        handle.write(header + "\n")
        for _ in range(150):
            handle.write(body)
    return source, rows[:5]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_a_run_stopped_halfway_leaves_no_results_file(tmp_path: Path, big_source: tuple[Path, list[dict[str, str]]],
                                                      how: signal.Signals) -> None:
    source, first = big_source
    out = tmp_path / "results.csv"
    process = subprocess.Popen(
        [sys.executable, "-c", "from guangxi_subsidy.cli.main import main; main()", "batch", str(source),
         "-o", str(out), "--as-of", AS_OF, "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        # (past the byte order mark: the run has begun writing results)
        partial = [p for p in tmp_path.glob(".results.csv.*.partial") if p.stat().st_size > 3]
        if partial:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the run finished before it could be stopped"
    process.send_signal(how)
    process.wait(timeout=60)
    assert not out.exists()
    if how != signal.SIGKILL:  # stopped, not killed: the run also removes its partial files
        assert not list(tmp_path.glob(".*.partial"))
    else:  # killed: the next run writing there removes them
        assert list(tmp_path.glob(".*.partial"))
        small = tmp_path / "small.csv"
        write_csv(small, first)
        code, _, err = run("batch", str(small), "-o", str(tmp_path / "next.csv"), "-q")
        assert code == 0 and "removed" in err
        assert not list(tmp_path.glob(".*.partial"))


def test_writing_in_the_background_keeps_order_and_raises_the_first_error_in_the_caller() -> None:
    from guangxi_subsidy.engine.batch.threads import InOrder

    done: list[int] = []
    with InOrder() as jobs:
        for number in range(5):
            jobs.submit(lambda number=number: done.append(number))
    assert done == [0, 1, 2, 3, 4]

    def fail() -> None:
        raise OSError("disk full")

    done.clear()
    with pytest.raises(OSError, match="disk full"), InOrder() as jobs:
        jobs.submit(fail)
        for number in range(3):
            time.sleep(0.01)
            jobs.submit(lambda number=number: done.append(number))  # raises the error once the job has failed
    assert done == []  # nothing runs after a job fails


def test_reading_ahead_holds_one_batch_raises_a_read_error_where_taken_and_stops_when_left() -> None:
    from guangxi_subsidy.engine.batch.threads import Prefetch

    made: list[int] = []
    closed: list[bool] = []

    def batches() -> Iterator[Any]:
        try:
            for number in range(10):
                made.append(number)
                yield number
        finally:
            closed.append(True)

    with Prefetch(batches()) as taken:
        assert next(taken) == 0
        time.sleep(0.05)
        assert made == [0, 1]  # one read ahead, the next only once that one is taken
        assert next(taken) == 1
    assert closed == [True] and len(made) <= 3  # leaving the block stopped the reading and let go of the source

    def failing() -> Iterator[Any]:
        yield 1
        raise OSError("read error")

    with Prefetch(failing()) as taken, pytest.raises(OSError, match="read error"):
        list(taken)


def test_long_outputs_reach_the_disk_as_they_are_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from guangxi_subsidy.engine.batch import sinks

    synced: list[int] = []
    monkeypatch.setattr(sinks, "SYNC_EVERY", 100)
    monkeypatch.setattr(sinks.os, "fdatasync", lambda fd: synced.append(fd))
    output = sinks.AtomicOutput(tmp_path / "out.csv", "csv")
    header = pl.DataFrame({"a": ["x"]})
    for _ in range(5):
        output.write_lines([b"0123456789" * 6 + b"\n"], 1, header)
    output.commit()
    assert len(synced) == 2  # at 124 and at 246 bytes (the header is 2), not after every batch
    assert (tmp_path / "out.csv").read_bytes() == b"a\n" + (b"0123456789" * 6 + b"\n") * 5
