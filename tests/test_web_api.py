"""The HTTP API: the CLI's JSON byte for byte, JSON Lines streamed, and refusals as RFC 7807 problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
# The README's worked example: 900,000 × 70% = 630,000, above the cap of 550,000 (南府办〔2016〕34号 三(四)18).
BASE = {"id": "NN-BASE-001", "kind": "incubation_base", "city": "南宁", "as_of": "2017-03-01",
        "recognised_incubation_base": True, "rent_and_broadband_paid": 900000, "rent_subsidy_years_received": 0}


@pytest.fixture(scope="module")
def client(engine):
    return TestClient(create_app(engine=engine))


def cli_output(*args: str) -> bytes:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.stdout_bytes


def test_evaluate_returns_the_bytes_of_subsidy_evaluate_json_for_the_worked_example(client, tmp_path):
    profile = tmp_path / "base.json"
    profile.write_text(json.dumps(BASE, ensure_ascii=False), encoding="utf-8")
    response = client.post("/api/v1/evaluate", content=profile.read_bytes())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.content == cli_output("evaluate", str(profile), "--format", "json")
    benefit = response.json()["benefits"][0]
    assert benefit["amount"]["value"] == "550000.00" and benefit["clause"] == "三(四)18"


def test_evaluate_with_a_date_and_explain_matches_the_cli_flags(client, tmp_path):
    profile = tmp_path / "base.json"
    profile.write_text(json.dumps(BASE), encoding="utf-8")
    response = client.post("/api/v1/evaluate?as_of=2018-01-01&explain=true", content=profile.read_bytes())
    assert response.content == cli_output("evaluate", str(profile), "--format", "json", "--as-of", "2018-01-01",
                                          "--explain")
    assert response.json()["as_of_source"] == "argument"


def test_the_same_base_in_liuzhou_gets_nothing_and_the_reason_is_the_city(client):
    response = client.post("/api/v1/evaluate?explain=true", json={**BASE, "city": "柳州"})
    rule = next(b for b in response.json()["benefits"] if b["rule_id"] == "nanning.incubation_base_rent_subsidy")
    assert rule["status"] == "not_eligible" and rule["failed"] == ["jurisdiction"]


def test_evaluate_many_answers_each_line_in_order_and_names_the_bad_line(client):
    lines = [json.dumps(BASE), "{not json", "", json.dumps({**BASE, "id": "B2", "rent_and_broadband_paid": "50万"}),
             json.dumps({**BASE, "id": "B3", "kind": "castle"})]
    response = client.post("/api/v1/evaluate-many", content="\n".join(lines).encode())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    out = [json.loads(line) for line in response.text.splitlines()]
    assert len(out) == 4  # the empty line is no profile
    assert out[0]["benefits"][0]["amount"]["value"] == "550000.00"
    assert out[1]["status"] == 400 and out[1]["line"] == 2
    # 500,000 × 70% = 350,000, below the cap
    assert out[2]["applicant"]["id"] == "B2" and out[2]["benefits"][0]["amount"]["value"] == "350000.00"
    assert out[3]["line"] == 5 and out[3]["errors"][0]["field"] == "kind"


def test_rules_list_and_show_are_the_cli_json(client):
    listed = client.get("/api/v1/rules")
    assert "nanning.incubation_base_rent_subsidy" in {r["id"] for r in listed.json()}
    assert listed.content == cli_output("rules", "list", "--format", "json")  # one builder, the same bytes
    shown = client.get("/api/v1/rules/nanning.incubation_base_rent_subsidy")
    assert shown.content == cli_output("rules", "show", "nanning.incubation_base_rent_subsidy", "--format", "json")


def test_an_unknown_rule_is_a_404_problem_suggesting_close_ids(client):
    response = client.get("/api/v1/rules/nanning.incubation_base_rent")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "nanning.incubation_base_rent_subsidy" in response.json()["errors"][0]["expected"]


def test_profile_schema_and_coverage_are_the_cli_json(client):
    assert client.get("/api/v1/schema/profile").content == cli_output("schema")
    assert client.get("/api/v1/coverage").content == cli_output("rules", "coverage", "--format", "json")


def test_openapi_describes_every_endpoint_and_health_names_the_rules(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/evaluate", "/api/v1/evaluate-many", "/api/v1/rules", "/api/v1/rules/{rule_id}",
                 "/api/v1/schema/profile", "/api/v1/coverage", "/api/v1/health", "/api/v1/batch"):
        assert path in paths
    health = client.get("/api/v1/health").json()
    assert health["status"] == "ok" and len(health["rules_digest"]) >= 16
    assert "/api/v1/evaluate" in client.get("/api/v1/docs").text


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{\"id\": ", 400, "(body)"),
        (b"\xff\xfe\x00", 400, "(body)"),
        (b"[1, 2]", 422, "(profile)"),
        (json.dumps({**BASE, "rent_and_broadband_paid": "lots"}).encode(), 422, "rent_and_broadband_paid"),
        (json.dumps({**BASE, "recognised_incubation_base": [1]}).encode(), 422, "recognised_incubation_base"),
        (json.dumps({**BASE, "rent_paid": 1}).encode(), 422, "rent_paid"),
        (json.dumps({k: v for k, v in BASE.items() if k != "id"}).encode(), 422, "id"),
    ],
    ids=["truncated", "not-utf8", "not-a-mapping", "bad-money", "bad-bool", "unknown-field", "missing-id"],
)
def test_bad_bodies_are_problems_naming_field_value_and_expectation(client, body, status, field):
    response = client.post("/api/v1/evaluate", content=body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["title"]
    error = next(e for e in problem["errors"] if e["field"] == field)
    assert error["value"] and error["expected"]


def test_an_unknown_field_suggests_the_field_meant(client):
    response = client.post("/api/v1/evaluate", json={**BASE, "rent_and_broadband_payd": 1})
    assert "rent_and_broadband_paid" in response.json()["errors"][0]["expected"]


def test_a_bad_date_in_the_query_is_a_422_problem(client):
    response = client.post("/api/v1/evaluate?as_of=2017-13-01", json=BASE)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "as_of"


def test_a_body_over_the_limit_is_refused_with_413(client):
    response = client.post("/api/v1/evaluate", content=b" " * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "(body)"


def test_unknown_paths_and_methods_are_problems(client):
    assert client.get("/api/v1/nothing").status_code == 404
    response = client.get("/api/v1/evaluate")
    assert response.status_code == 405 and response.headers["content-type"] == "application/problem+json"


def test_every_answer_carries_the_security_headers(client):
    for response in (client.get("/"), client.post("/api/v1/evaluate", json=BASE), client.get("/nothing")):
        assert "script-src" not in response.headers["content-security-policy"]
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
