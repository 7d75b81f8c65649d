"""Web batches as jobs: an upload is answered at once with a job, run by the batch engine outside the request;
its page shows the progress and then the results, which are downloaded from the job and removed after the time
stated; a server running as many jobs as it allows says it is busy (429) at once."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from guangxi_subsidy.engine.web import jobs
from guangxi_subsidy.engine.web.app import create_app

HEADER = "id,name,kind,city,as_of,recognised_incubation_base,rent_and_broadband_paid,rent_subsidy_years_received"
LIST = "\n".join([
    HEADER,
    "J1,甲基地,incubation_base,南宁,2017-03-01,是,900000,0",  # 900,000 × 70% = 630,000 → capped at 550,000
    "J2,乙基地,incubation_base,南宁,2017-03-01,是,500000,0",  # 500,000 × 70% = 350,000
    "J3,丙,incubation_base,南宁,2017-03-01,是,很多,0",         # rejected: not an amount
]).encode() + b"\n"


@pytest.fixture
def client(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("SUBSIDY_JOBS", str(tmp_path / "jobs"))
    return TestClient(create_app(engine=engine))


def wait_for(client: TestClient, job_id: str, states: tuple[str, ...] = ("done", "refused", "failed"),
             seconds: float = 120) -> dict:
    """The job's status from the API once it is in one of `states` (polled, bounded in time)."""
    deadline = time.monotonic() + seconds
    while True:
        job = client.get(f"/api/v1/batch/{job_id}").json()
        if job["state"] in states or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_an_upload_becomes_a_job_whose_page_shows_progress_then_the_results_to_download(client, tmp_path):
    answer = client.post("/batch", files={"applicants": ("名单.csv", LIST, "text/csv")}, data={"lang": "zh"},
                         follow_redirects=False)
    assert answer.status_code == 303  # answered at once: the job runs outside the request
    address = answer.headers["location"]
    job_id = address.split("/")[3].split("?")[0]
    first = client.get(address)
    assert first.status_code == 200
    # the job's process is still starting (a fresh interpreter): a progress bar, the page reloading itself
    assert first.headers["refresh"] == "2" and "<progress" in first.text
    job = wait_for(client, job_id)
    assert job["state"] == "done", job
    page = client.get(address)
    assert "refresh" not in page.headers
    assert "900,000.00" in page.text  # 550,000 + 350,000
    assert "很多" in page.text and "结果保留到" in page.text
    assert f'href="/batch/jobs/{job_id}/results.xlsx"' in page.text
    results = client.get(f"/batch/jobs/{job_id}/results.csv")
    assert results.status_code == 200
    rows = list(csv.DictReader(io.StringIO(results.content.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == ["J1", "J2"]
    assert "550000.00" in results.text and "350000.00" in results.text
    errors = client.get(f"/api/v1/batch/{job_id}/errors.csv").content.decode("utf-8-sig")
    assert "很多" in errors
    book = load_workbook(io.BytesIO(client.get(f"/batch/jobs/{job_id}/results.xlsx").content), read_only=True)
    cells = [cell for row in book.worksheets[0].iter_rows(values_only=True) for cell in row]
    assert 550000 in cells and 350000 in cells
    assert job["summary"]["rows"] == {**job["summary"]["rows"], "read": 3, "evaluated": 2, "rejected": 1}
    assert client.get(f"/batch/jobs/{job_id}/params.json").status_code == 404  # inputs are not served
    assert client.get(f"/batch/jobs/{job_id}/..%2Fstatus.json").status_code == 404


def test_a_finished_jobs_results_are_removed_after_the_time_stated(client, tmp_path, monkeypatch):
    monkeypatch.setenv("SUBSIDY_JOBS_KEEP", "1")
    job_id = client.post("/api/v1/batch", files={"applicants": ("a.csv", LIST, "text/csv")}).json()["id"]
    job = wait_for(client, job_id)
    assert job["state"] == "done" and job["expires"]
    folder = Path(tmp_path / "jobs" / job_id)
    assert folder.is_dir()
    time.sleep(1.2)
    gone = client.get(f"/batch/jobs/{job_id}")
    assert gone.status_code == 404 and "结果已过保留期被删除" in gone.text
    assert not folder.exists()
    assert client.get(f"/api/v1/batch/{job_id}").status_code == 404


def test_a_server_running_as_many_jobs_as_allowed_answers_busy_at_once(client, monkeypatch):
    monkeypatch.setenv("SUBSIDY_JOBS_MAX", "1")
    first = client.post("/api/v1/batch", files={"applicants": ("a.csv", LIST, "text/csv")})
    assert first.status_code == 202 and first.headers["location"] == f"/api/v1/batch/{first.json()['id']}"
    started = time.monotonic()
    second = client.post("/api/v1/batch", files={"applicants": ("a.csv", LIST, "text/csv")})
    page = client.post("/batch", files={"applicants": ("a.csv", LIST, "text/csv")}, follow_redirects=False)
    assert time.monotonic() - started < 30  # refused at once, not queued behind the running job (a bound)
    assert second.status_code == 429 and second.headers["retry-after"]
    assert second.headers["content-type"] == "application/problem+json"
    assert page.status_code == 429 and "服务器繁忙" in page.text
    assert wait_for(client, first.json()["id"])["state"] == "done"
    third = client.post("/api/v1/batch", files={"applicants": ("a.csv", LIST, "text/csv")})
    assert third.status_code == 202 and wait_for(client, third.json()["id"])["state"] == "done"


def test_a_list_the_engine_refuses_ends_the_job_as_a_4xx_naming_the_problem(client):
    listing = b"id,kind,city\n1,enterprise,nanning\n1,enterprise,nanning\n"
    bad = client.post("/api/v1/batch", files={"applicants": ("a.xlsx", b"PK\x03\x04 not a workbook", XLSX)})
    job = wait_for(client, bad.json()["id"])
    assert job["state"] == "refused" and 400 <= job["error"]["status"] < 500 and job["error"]["detail"]
    page = client.get(f"/batch/jobs/{bad.json()['id']}")
    assert 400 <= page.status_code < 500 and str(jobs.root()) not in page.text
    repeated = client.post("/api/v1/batch", files={"applicants": ("a.csv", listing, "text/csv")})
    job = wait_for(client, repeated.json()["id"])  # a repeated id is a rejected row, not a refused list
    assert job["state"] == "done" and job["summary"]["rows"]["rejected"] == 1


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
