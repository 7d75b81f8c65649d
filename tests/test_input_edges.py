"""Inputs at the edges of what the readers promise: a quoted cell holding 120 line breaks is one row, a JSON key
given twice is refused naming it (the CLI and the HTTP API), an upload whose file name is 5,000 characters long
is answered with what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.web.app import create_app

HEADER = "id,kind,city,as_of,name,recognised_incubation_base,rent_and_broadband_paid,rent_subsidy_years_received\n"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "300", "SUBSIDY_LANG": "en"})
    return result.exit_code, " ".join((result.output + (result.stderr or "")).split())


@pytest.mark.parametrize("breaks", [5, 120, 999])
@pytest.mark.parametrize("engine", ["columnar", "reference"])
def test_a_quoted_cell_with_many_line_breaks_is_one_row(tmp_path: Path, breaks: int, engine: str) -> None:
    note = "\n".join(f"第{i}行说明" for i in range(breaks + 1))  # a pasted note: `breaks` line breaks
    source = tmp_path / "a.csv"
    source.write_text(HEADER + f'A,incubation_base,南宁,2017-03-01,"{note}",是,900000,0\n'
                      "B,incubation_base,南宁,2017-03-01,乙,是,100000,0\n", encoding="utf-8")
    code, out = run("batch", str(source), "-o", str(tmp_path / "r.csv"), "--summary", str(tmp_path / "s.json"),
                    "--engine", engine, "-q")
    assert code == 0, out
    rows = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["rows"]
    assert (rows["read"], rows["evaluated"], rows["rejected"]) == (2, 2, 0)
    # row 2 holds A (its cell spanning the lines), row 3 is B, numbered as Excel numbers them
    results = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert "第120行说明" in results if breaks >= 120 else "第5行说明" in results
    assert "\n3,B," in results


def test_a_stray_quote_still_costs_only_its_own_row(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text(HEADER + 'A,incubation_base,南宁,2017-03-01,"甲,是,900000,0\n'
                      + "".join(f"B{i},incubation_base,南宁,2017-03-01,乙,是,100000,0\n" for i in range(1500)),
                      encoding="utf-8")
    code, out = run("batch", str(source), "-o", str(tmp_path / "r.csv"), "--summary", str(tmp_path / "s.json"),
                    "-q")
    assert code == 0, out
    rows = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["rows"]
    assert (rows["read"], rows["evaluated"], rows["rejected"]) == (1501, 1500, 1)


DUPLICATED = '{"id": "A", "kind": "incubation_base", "city": "南宁", "rent_and_broadband_paid": "1", ' \
             '"rent_and_broadband_paid": "900000"}'


def test_a_json_profile_naming_a_key_twice_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(DUPLICATED, encoding="utf-8")
    code, out = run("evaluate", str(tmp_path / "p.json"))
    assert code == 2 and "the key 'rent_and_broadband_paid' appears twice" in out


def test_the_api_refuses_a_key_given_twice_naming_it(engine: Engine) -> None:
    client = TestClient(create_app(engine=engine))
    answer = client.post("/api/v1/evaluate", content=DUPLICATED.encode(),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["field"] == "rent_and_broadband_paid"


def test_an_upload_named_with_5000_characters_is_told_to_rename_the_file(engine: Engine) -> None:
    client = TestClient(create_app(engine=engine))
    listing = (HEADER + "A,incubation_base,南宁,2017-03-01,甲,是,900000,0\n").encode()
    answer = client.post("/batch", files={"applicants": ("a" * 5000 + ".csv", listing, "text/csv")})
    assert answer.status_code == 400
    assert "file name is at most 4,000 characters" in answer.text and "a path and method" not in answer.text
