"""Hostile API bodies: numbers too long to read, JSON nested too deep, and their lines in evaluate-many, are each
a 4xx problem document naming what was wrong; never a 500, a plain-text error or a dropped connection."""

from __future__ import annotations

import json
import socket

import pytest
from fastapi.testclient import TestClient

from guangxi_subsidy.engine.web.app import create_app

PROFILE = {"id": "A1", "kind": "enterprise", "city": "南宁", "as_of": "2017-06-30"}
LONG_INTEGER = "9" * 5000  # past Python's 4,300-digit limit for reading an integer
LONG_DECIMAL = "1." + "9" * 5000
DEEP = "[" * 100_000 + "]" * 100_000  # past the interpreter's recursion limit
HOSTILE = {
    "integer of 5,000 digits": '{"id": "A1", "kind": "enterprise", "city": "南宁", "employees": ' + LONG_INTEGER + "}",
    "decimal of 5,000 digits": ('{"id": "A1", "kind": "enterprise", "city": "南宁", "rent_and_broadband_paid": '
                                + LONG_DECIMAL + "}"),
    "nested 100,000 deep": DEEP,
    "nested object": '{"profile": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001,
    "exponent": '{"id": "A1", "kind": "enterprise", "city": "南宁", "rent_and_broadband_paid": 1e999999999}',
}


@pytest.fixture(scope="module")
def client(engine):
    return TestClient(create_app(engine=engine), raise_server_exceptions=False)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_body_is_a_4xx_problem_document(client, name):
    response = client.post("/api/v1/evaluate", content=HOSTILE[name].encode())
    assert 400 <= response.status_code < 500, response.text[:200]
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] and problem["errors"][0]["field"] and problem["errors"][0]["expected"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_evaluate_many_answers_a_hostile_line_as_a_problem_and_goes_on_to_the_next(client):
    lines = [json.dumps(PROFILE), *(HOSTILE[name] for name in sorted(HOSTILE)), json.dumps({**PROFILE, "id": "A2"})]
    response = client.post("/api/v1/evaluate-many", content="\n".join(lines).encode())
    assert response.status_code == 200
    answers = [json.loads(line) for line in response.text.splitlines()]
    assert len(answers) == len(lines)  # one answer per line: nothing dropped, the connection kept to the end
    assert answers[0]["applicant"]["id"] == "A1" and answers[-1]["applicant"]["id"] == "A2"
    for number, answer in enumerate(answers[1:-1], start=2):
        assert 400 <= answer["status"] < 500 and answer["line"] == number


def test_a_negative_content_length_is_refused_with_the_security_headers(default_server):
    host, port, _ = default_server
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"POST /api/v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 400")
    assert b"x-content-type-options: nosniff" in head and b"content-security-policy:" in head
    assert b"application/problem+json" in head


VALUES = ["1e30", "-1e30", "1e-30", "NaN", "Infinity", "-Infinity", "1e999999999", "1E-999999999", '"1e30"',
          '"' + "9" * 5000 + '"', "9" * 4000, "-0", "[]", "{}", "true", "null", '"\\u0000"', '"' + "甲" * 20000 + '"',
          "123456789012345678901234567890.123", '"55万"', '"-5万"', '"1,2,3"']


def test_every_field_with_hostile_values_is_answered_line_by_line_never_a_5xx(client):
    """Each field the rules read, in a profile of a kind that reads it, given each hostile value: one line each
    through evaluate-many, each an evaluation or a 4xx problem naming its line."""
    from guangxi_subsidy.engine.applicant.fields import fields

    lines = []
    given = ("id", "kind", "city", "as_of")  # in every line already (a key given twice is another test's matter)
    for number, name in enumerate(sorted(set(fields()) - set(given))):
        for value in VALUES[number % 4::4]:  # a quarter of the values for each field, all values over the fields
            head = f'{{"id": "H{len(lines)}", "kind": "enterprise", "city": "南宁", "as_of": "2017-06-30"'
            lines.append(f'{head}, "{name}": {value}}}')
    response = client.post("/api/v1/evaluate-many", content="\n".join(lines).encode())
    assert response.status_code == 200
    answers = [json.loads(line) for line in response.text.splitlines()]
    assert len(answers) == len(lines)
    for number, answer in enumerate(answers, start=1):
        if "status" in answer and "line" in answer:
            assert 400 <= answer["status"] < 500 and answer["line"] == number and answer["errors"], answer
        else:
            assert answer["applicant"]["id"] == f"H{number - 1}"
