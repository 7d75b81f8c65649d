"""POST /api/v1/evaluate without a query string is answered by `web.direct`, not the framework's route: its answers
must be the route's, byte for byte, headers included (a query parameter sends the same request to the route)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from guangxi_subsidy.engine.web.app import create_app

# The README's worked example: 900,000 × 70% = 630,000, above the cap of 550,000 (南府办〔2016〕34号 三(四)18).
BASE = {"id": "NN-BASE-001", "kind": "incubation_base", "city": "南宁", "as_of": "2017-03-01",
        "recognised_incubation_base": True, "rent_and_broadband_paid": 900000, "rent_subsidy_years_received": 0}
BODIES = {
    "worked example": json.dumps(BASE, ensure_ascii=False).encode(),
    "wrapped in profile": json.dumps({"profile": BASE}, ensure_ascii=False).encode(),
    "truncated JSON": b'{"id": "A", "kind": ',
    "not UTF-8": b'{"id": "\xff"}',
    "a key twice": b'{"id": "A", "id": "B"}',
    "wrong type": json.dumps({**BASE, "rent_and_broadband_paid": "lots"}, ensure_ascii=False).encode(),
    "not an object": b"[1, 2]",
    "empty": b"",
}


@pytest.fixture(scope="module")
def client(engine):
    return TestClient(create_app(engine=engine))


@pytest.mark.parametrize("name", list(BODIES))
def test_direct_answer_equals_the_routes_answer_byte_for_byte(client, name):
    body = BODIES[name]
    direct = client.post("/api/v1/evaluate", content=body)
    routed = client.post("/api/v1/evaluate?explain=false", content=body)  # (a query: the framework's route)
    assert direct.status_code == routed.status_code
    assert direct.content == routed.content
    assert direct.headers.items() == routed.headers.items()


def test_direct_answer_is_the_worked_example(client):
    response = client.post("/api/v1/evaluate", content=BODIES["worked example"])
    assert response.status_code == 200
    assert response.json()["benefits"][0]["amount"]["value"] == "550000.00"


def test_body_over_the_limit_streamed_without_length_is_the_routes_413(client):
    def chunks():
        for _ in range(17):
            yield b" " * 65536  # 17 × 64 KiB = 1,114,112 bytes, over the 1 MiB (1,048,576) limit

    direct = client.post("/api/v1/evaluate", content=chunks())
    routed = client.post("/api/v1/evaluate?explain=false", content=chunks())
    assert direct.status_code == routed.status_code == 413
    assert direct.content == routed.content


def test_other_methods_and_queries_still_reach_the_framework(client):
    assert client.get("/api/v1/evaluate").status_code == 405
    bad = client.post("/api/v1/evaluate?as_of=yesterday", content=BODIES["worked example"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "as_of"
