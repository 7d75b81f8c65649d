"""The calculator, the report and batch pages: Chinese by default, the rules' words, errors beside the field, and
applicant text always escaped."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
WORKED = {"kind": "incubation_base", "city": "nanning", "as_of": "2017-03-01", "action": "evaluate",
          "recognised_incubation_base": "true", "rent_and_broadband_paid": "900000",
          "rent_subsidy_years_received": "0"}
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def client(engine, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # batch jobs in a folder of this module's own
        patch.setenv("SUBSIDY_JOBS", str(tmp_path_factory.mktemp("jobs")))
        yield TestClient(create_app(engine=engine))


def field_block(html: str, name: str) -> str:
    start = html.index(f'id="q-{name}"')
    return html[start:html.index('<div class="field', start + 1)]


def test_the_home_page_is_chinese_with_a_switch_to_english(client):
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text and "政策计算器" in page.text
    assert 'href="/?lang=en"' in page.text
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.text and "Policy calculator" in english.text
    assert "政策计算器" not in english.text


def test_the_form_asks_only_what_the_kinds_rules_read_each_label_tied_to_its_input(client):
    page = client.get("/?kind=incubation_base&city=nanning").text
    for name in ("recognised_incubation_base", "rent_and_broadband_paid", "rent_subsidy_years_received"):
        assert f'id="q-{name}"' in page
    assert 'name="monthly_sales"' not in page  # an enterprise's question
    assert "经认定为创业孵化基地" in page  # the label, and the rule's `says` as help
    for input_id in re.findall(r'<input id="(f-[a-z_]+)"', page):
        assert f'for="{input_id}"' in page
    assert "实际缴纳房租和宽带接入费" in page and "(元)" in page


def test_the_worked_example_shows_550000_with_its_clause_quote_and_department(client):
    page = client.post("/", data={**WORKED, "rent_and_broadband_paid": "90万",
                                  "recognised_incubation_base": "是"})
    assert page.status_code == 200
    text = page.text
    assert "550,000.00" in text and "三(四)18" in text
    assert "每个基地每年实际缴纳的房租和宽带接入费的70%" in text
    assert "市科技局" in text
    assert "符合条件" in text  # the status, translated


def test_a_bad_answer_is_shown_beside_its_field(client):
    page = client.post("/", data={**WORKED, "rent_and_broadband_paid": "很多"})
    assert page.status_code == 422
    block = field_block(page.text, "rent_and_broadband_paid")
    assert 'aria-invalid="true"' in block and 'role="alert"' in block and "很多" in block
    assert 'id="result"' not in page.text


def test_a_near_miss_is_asked_the_question_that_would_change_the_result(client):
    answers = {k: v for k, v in WORKED.items() if k != "recognised_incubation_base"}
    page = client.post("/", data=answers).text
    result = page[page.index('id="result"'):page.index("</section>", page.index('class="next"'))]
    assert 'name="recognised_incubation_base"' in result  # asked in the result, as the next question
    assert page.count('name="recognised_incubation_base" id=') == 3  # yes, no, not given: asked once only


def test_applicant_text_is_escaped_in_the_page_and_the_report(client):
    for path in ("/", "/report"):
        page = client.post(path, data={**WORKED, "name": SCRIPT, "id": SCRIPT}).text
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_report_page_lists_benefit_clause_department_totals_and_receipt(client, pack):
    page = client.post("/report", data={**WORKED, "name": "南宁某众创空间"}).text
    assert "政策测算报告" in page and "南宁某众创空间" in page and "三(四)18" in page
    assert "550,000.00" in page and "市人社局" in page and pack.digest in page


def test_the_report_as_pdf_is_a_pdf(client):
    response = client.post("/report.pdf", data=WORKED)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    from guangxi_subsidy.engine.answers.pdffont import font_file

    # the Chinese font travels in the file (a TrueType subset); only a machine without one names STSong-Light
    assert (b"/FontFile2" in response.content) if font_file() else (b"STSong-Light" in response.content)


def test_the_cli_writes_the_report_as_html_and_pdf(tmp_path):
    profile = str(ROOT / "cases/profiles/nanning_incubation_base.yaml")
    for name in ("report.html", "report.pdf"):
        result = CliRunner().invoke(cli, ["evaluate", profile, "--report", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "550,000.00" in html and "三(四)18" in html and "<style>" in html
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")
    refused = CliRunner().invoke(cli, ["evaluate", profile, "--report", str(tmp_path / "report.doc")])
    assert refused.exit_code == 2


def _csv(rows: list[str]) -> bytes:
    header = "id,name,kind,city,as_of,recognised_incubation_base,rent_and_broadband_paid,rent_subsidy_years_received"
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


BATCH = _csv([
    "B1,甲基地,incubation_base,南宁,2017-03-01,是,900000,0",     # 900,000 × 70% = 630,000 → cap 550,000
    f"B2,{SCRIPT},incubation_base,南宁,2017-03-01,是,500000,0",  # 500,000 × 70% = 350,000
    "B3,丙,incubation_base,南宁,2017-03-01,是,很多,0",            # rejected: not an amount
])


def through_job(client, *args, **kwargs):
    """The job's page once the upload's job has finished (the page stops reloading itself), bounded in time."""
    answer = client.post(*args, **kwargs, follow_redirects=False)
    if answer.status_code != 303:
        return answer
    deadline = time.monotonic() + 120
    while True:
        page = client.get(answer.headers["location"])
        if "refresh" not in page.headers or time.monotonic() > deadline:
            return page
        time.sleep(0.2)


def test_a_batch_upload_accounts_for_every_row_and_charts_the_totals(client):
    page = through_job(client, "/batch", files={"applicants": ("名单.csv", BATCH, "text/csv")}, data={"lang": "zh"})
    assert page.status_code == 200
    text = page.text
    counts = dict(re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)', text))
    assert counts["读取行数"] == "3" and counts["已测算"] == "2" and counts["已退回"] == "1"
    assert "900,000.00" in text  # 550,000 + 350,000
    assert text.count("<svg") == 2 and "创业孵化基地房租和宽带接入费补助" in text
    assert "很多" in text and SCRIPT not in text  # the rejected cell, escaped
    assert 'download="results.xlsx"' in text and "results.csv" in text


def test_the_batch_api_gives_the_job_then_results_workbook_errors_and_summary(client):
    response = client.post("/api/v1/batch", files={"applicants": ("list.csv", BATCH, "text/csv")},
                           data={"as_of": "2017-03-01"})
    assert response.status_code == 202
    deadline = time.monotonic() + 120
    while (job := client.get(response.headers["location"]).json())["state"] != "done":
        assert job["state"] not in ("refused", "failed") and time.monotonic() < deadline, job
        time.sleep(0.2)
    assert set(job["files"]) == {"results.csv", "results.xlsx", "errors.csv", "summary.json"}
    results = client.get(job["files"]["results.csv"]).content.decode("utf-8-sig")
    assert "550000.00" in results and "350000.00" in results
    assert "很多" in client.get(job["files"]["errors.csv"]).content.decode("utf-8-sig")
    assert client.get(job["files"]["summary.json"]).json()["rows"]["evaluated"] == 2


def test_a_batch_upload_that_is_not_a_list_is_refused_with_4xx(client):
    assert client.post("/batch", files={"applicants": ("notes.txt", b"hello", "text/plain")}).status_code == 415
    assert client.post("/batch", files={"applicants": ("empty.csv", b"", "text/csv")}).status_code == 400
    unknown = through_job(client, "/batch", files={"applicants": ("x.csv", b"id,kind,city,colour\n1,enterprise,"
                                                                  b"nanning,red\n", "text/csv")})
    # a column that names no field is not read, and said so; the rows are evaluated
    assert unknown.status_code == 200 and "colour" in unknown.text
    assert client.post("/api/v1/batch", data={"as_of": "2017-01-01"}).status_code == 400


def test_the_calculator_draws_the_what_if_curve_of_a_figure_the_person_gave(client):
    answers = {**WORKED, "rent_and_broadband_paid": "900000", "recognised_incubation_base": "是"}
    assert 'name="vary"' in client.post("/", data=answers).text  # offered beside the result
    page = client.post("/whatif", data={**answers, "vary": "rent_and_broadband_paid", "vary_from": "0",
                                        "vary_to": "1000000"})
    assert page.status_code == 200
    assert "<svg" in page.text and "<script" not in page.text
    # 002 三(四)18: 70% of the rent, capped at 550,000 a year: 600,000 → 420,000; 800,000 and more → 550,000
    table = page.text[page.text.index("<table"):]
    assert "600,000" in table and "420,000.00" in table and "550,000.00" in table
    refused = client.post("/whatif", data={**answers, "vary": "city", "vary_from": "0", "vary_to": "1"})
    assert refused.status_code == 422
    refused = client.post("/whatif", data={**answers, "vary": "rent_and_broadband_paid", "vary_from": "lots",
                                           "vary_to": "1"})
    assert refused.status_code == 422


def test_a_reform_uploaded_beside_the_list_shows_the_budget_baseline_against_the_reform(client):
    listing = ("id,kind,city,as_of,recognised_incubation_base,rent_and_broadband_paid,rent_subsidy_years_received\n"
               "NN-BASE-001,incubation_base,南宁,2017-03-01,是,900000,0\n").encode()
    reform = (ROOT / "cases" / "reforms" / "rent_cap_60wan.yaml").read_bytes()
    page = through_job(client, "/batch", files={"applicants": ("a.csv", listing, "text/csv"),
                                                "reform": ("r.yaml", reform, "application/yaml")})
    assert page.status_code == 200, page.text[-500:]
    budget = page.text[page.text.index("<h2>", page.text.index("</table>")):]
    # 002 三(四)18 with the cap at 60万: 70% of 900,000 is 630,000, capped at 600,000 instead of 550,000
    assert "550,000.00 → 600,000.00" in budget
    assert budget.count("<svg") >= 2  # by benefit and by lead department
    broken = through_job(client, "/batch", files={"applicants": ("a.csv", listing, "text/csv"),
                                                  "reform": ("r.yaml", b"schema: nonsense\n", "application/yaml")})
    assert broken.status_code == 422
