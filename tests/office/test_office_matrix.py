"""The authorization matrix, generated from the application's route table: every /office and /api/v1/office
route, called by every account (each role, in Nanning and in Wuzhou) on a file or list of Nanning and one of
Wuzhou, answers 403 exactly when the policy refuses; a route without a policy entry fails."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts import users
from guangxi_subsidy.engine.accounts.policy import ACTIONS, FileTarget, ListTarget, Principal, allowed
from guangxi_subsidy.engine.accounts.tables import PaymentList, User
from guangxi_subsidy.engine.register import database
from guangxi_subsidy.engine.web.office_common import PUBLIC, ROUTE_ACTIONS

from .conftest import WHEN, World, csrf_of, login

POSTED = {"answer": "decline", "rule_id": "rule.x", "decision": "reject", "reason": "矩阵测试"}


def _walk(routes: list[object]) -> list[object]:
    """Every route, including those of included routers (FastAPI may keep these as one entry each)."""
    out: list[object] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out.extend(_walk(list(inner.routes)) if inner is not None else [route])
    return out


def office_routes(app: object) -> list[tuple[str, str]]:
    inner = app.app  # type: ignore[attr-defined]  # the FastAPI app inside the guard
    found = []
    for route in _walk(list(inner.routes)):
        path = getattr(route, "path", "")
        if path == "/office" or path.startswith(("/office/", "/api/v1/office")):
            found.extend((method, path) for method in sorted(getattr(route, "methods", ())) if method != "HEAD")
    return found


def test_every_office_route_has_a_policy_entry(app: object) -> None:
    routes = office_routes(app)
    assert len(routes) >= 15
    missing = [r for r in routes if r not in ROUTE_ACTIONS]
    assert missing == [], f"routes without a policy entry: {missing}"
    unknown = {a for a in ROUTE_ACTIONS.values() if a != PUBLIC and a not in ACTIONS}
    assert unknown == set()


@pytest.fixture(scope="module")
def prepared(world: World, clients: dict[str, TestClient]) -> dict[str, int]:
    """A payment list prepared by each city's officer (from its confirmed case)."""
    out = {}
    for city in ("nanning", "wuzhou"):
        client = clients[f"{city}-officer"]
        answer = client.post("/office/lists", data={"csrf": csrf_of(client)}, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        out[city] = int(answer.headers["location"].rsplit("/", 1)[1])
    return out


@pytest.fixture(scope="module")
def tokens(world: World) -> dict[str, str]:
    """An API token like each account (an administrator has none)."""
    engine = database.open_register(world.db)
    out = {}
    with Session(engine) as session, session.begin():
        for user in session.scalars(select(User)):
            if user.role != "administrator":
                out[user.name] = users.issue_token(session, "sys-" + user.name, user.role, user.scope, WHEN)
    engine.dispose()
    return out


def _principals(world: World) -> dict[str, Principal]:
    engine = database.open_register(world.db)
    with Session(engine) as session:
        found = {u.name: Principal(u.name, u.role, u.scope) for u in session.scalars(select(User))}
    engine.dispose()
    return found


def _targets(world: World, path: str, lists: dict[str, int]) -> list[tuple[str, object]]:
    """(the path filled in, the policy's target) for a file or list of each city; the path alone if it has none."""
    if "{ref}" in path:
        return [(path.replace("{ref}", world.nanning_firm), FileTarget(world.nanning_firm, "nanning")),
                (path.replace("{ref}", world.wuzhou_firm), FileTarget(world.wuzhou_firm, "wuzhou"))]
    if "{list_id}" in path:
        return [(path.replace("{list_id}", str(lists[c])), c) for c in ("nanning", "wuzhou")]
    assert "{" not in path, path
    return [(path, None)]


def test_the_matrix_answers_as_the_policy_decides(app: object, world: World, clients: dict[str, TestClient],
                                                  prepared: dict[str, int], tokens: dict[str, str]) -> None:
    principals = _principals(world)
    engine = database.open_register(world.db)
    checked = 0
    for method, path in office_routes(app):
        action = ROUTE_ACTIONS[(method, path)]
        if action == PUBLIC:
            continue
        api = path.startswith("/api/")
        for name, client in clients.items():
            if api and name not in tokens:
                continue
            who = principals[name]
            for url, target in _targets(world, path, prepared):
                if isinstance(target, str):  # a list: its preparer, read now
                    with Session(engine) as session:
                        row = session.get(PaymentList, prepared[target])
                        assert row is not None
                        target = ListTarget(row.jurisdiction, row.prepared_by)
                expected = allowed(who, action, target)  # type: ignore[arg-type]
                if api:
                    answer = TestClient(app).request(  # type: ignore[arg-type]
                        method, url, headers={"authorization": f"Bearer {tokens[name]}"})
                elif method == "POST":
                    if path == "/office/logout":  # a fresh login, so the shared one stays signed in
                        client = login(app, name)
                    answer = client.post(url, data={**POSTED, "csrf": csrf_of(client)}, follow_redirects=False)
                else:
                    answer = client.get(url, follow_redirects=False)
                where = f"{name} {method} {url} ({action})"
                if expected:
                    assert answer.status_code in (200, 303, 422), f"{where}: {answer.status_code} {answer.text[:200]}"
                else:
                    assert answer.status_code == 403, f"{where}: {answer.status_code}"
                checked += 1
    engine.dispose()
    assert checked > 200


def test_without_a_login_every_office_route_is_closed(app: object, world: World, prepared: dict[str, int]) -> None:
    anonymous = TestClient(app)  # type: ignore[arg-type]
    for method, path in office_routes(app):
        if ROUTE_ACTIONS[(method, path)] == PUBLIC:
            continue
        for url, _target in _targets(world, path, prepared):
            answer = anonymous.request(method, url, follow_redirects=False)
            if path.startswith("/api/"):
                assert answer.status_code == 401, url
            elif method == "GET":
                assert answer.status_code == 303 and answer.headers["location"] == "/office/login", url
            else:
                assert answer.status_code in (303, 403), url


def test_the_anonymous_calculator_stays_open(app: object) -> None:
    answer = TestClient(app).get("/")  # type: ignore[arg-type]
    assert answer.status_code == 200
    assert re.search(r"<form", answer.text)
