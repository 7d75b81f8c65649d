"""The office's pages for correcting, reporting, importing, pushing, confirming and budgeting, and the API call a
platform pushes facts with: each does its job for whoever may, refuses whoever may not (a changed id in a URL or
a body answers 403), says what is wrong in Chinese naming the field, and writes the access log."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts import users
from guangxi_subsidy.engine.accounts.tables import AccessEntry
from guangxi_subsidy.engine.matching.office_tables import WaiverCase
from guangxi_subsidy.engine.matching.tables import MatchRun, Push
from guangxi_subsidy.engine.register import database
from guangxi_subsidy.engine.register.applicants import find
from guangxi_subsidy.engine.register.profiles import facts_of
from guangxi_subsidy.engine.register.tables import Applicant, Fact

from .conftest import SCRIPT, WHEN, World, code, csrf_of

PERIOD = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


@pytest.fixture(scope="module")
def register(world: World) -> object:
    """The world's register, with a declared monthly sales figure for the Nanning firm and a push to a firm of
    each city in the world's run."""
    engine = database.open_register(world.db)
    with Session(engine) as session, session.begin():
        firm = find(session, world.nanning_firm)
        session.add(Fact(applicant_pk=firm.pk, field="monthly_sales", value="30000", period_start=PERIOD[0],
                         period_end=PERIOD[1], version=1, reason=None, recorded_at=WHEN, recorded_by="firm",
                         source_kind="declaration", source="企业申报", source_file=None, source_row=None))
        run = session.scalars(select(MatchRun)).first()
        assert run is not None
        for ref in (world.nanning_firm, world.wuzhou_firm):
            session.add(Push(run_pk=run.pk, applicant_pk=find(session, ref).pk, rule_id="rule.x", kind="opened",
                             key=f"k-{ref}", text=f"可申请 {ref}", payload="{}", created_at=WHEN))
    yield engine
    engine.dispose()


def _log(engine: object, ref: str, action: str) -> list[AccessEntry]:
    with Session(engine) as session:  # type: ignore[arg-type]
        return list(session.scalars(select(AccessEntry).where(AccessEntry.applicant_ref == ref,
                                                             AccessEntry.action == action)))


def _versions(engine: object, ref: str, field: str) -> list[tuple[int, str, str]]:
    with Session(engine) as session:  # type: ignore[arg-type]
        return sorted((f.version, f.value, f.source) for f in facts_of(session, find(session, ref))
                      if f.field == field)


def test_an_enterprise_sees_its_declared_facts_editable_and_the_departments_read_only(
        clients: dict[str, TestClient], world: World, register: object) -> None:
    page = clients["nanning-enterprise"].get(f"/office/files/{world.nanning_firm}/declared")
    assert page.status_code == 200
    assert 'name="fact:monthly_sales@2025"' in page.text and 'value="30000"' in page.text
    assert "市场监管" in page.text  # the department's fact, with its source, outside the form
    assert 'name="fact:new_hires_over_last_year@' not in page.text
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text  # the declared name, escaped
    assert _log(register, world.nanning_firm, "read")


def test_a_correction_is_a_new_version_declared_by_the_enterprise_and_logged(
        clients: dict[str, TestClient], world: World, register: object) -> None:
    firm = clients["nanning-enterprise"]
    answer = firm.post(f"/office/files/{world.nanning_firm}/declared", follow_redirects=False, data={
        "csrf": csrf_of(firm), "fact:monthly_sales@2025": "4.5万", "reason": "上月报错了"})
    assert answer.status_code == 303, answer.text
    # 4.5万 = 45000 yuan, stored as the register's one spelling of the number
    assert _versions(register, world.nanning_firm, "monthly_sales") == [(1, "30000", "企业申报"),
                                                                        (2, "45000", "企业自行申报")]
    assert any(e.fields == "monthly_sales" for e in _log(register, world.nanning_firm, "change"))


def test_a_wrong_value_is_refused_in_chinese_naming_the_field_and_what_was_expected(
        clients: dict[str, TestClient], world: World, register: object) -> None:
    firm = clients["nanning-enterprise"]
    before = _versions(register, world.nanning_firm, "monthly_sales")
    answer = firm.post(f"/office/files/{world.nanning_firm}/declared", data={
        "csrf": csrf_of(firm), "fact:monthly_sales@2025": "三万块", "reason": "更正"})
    assert answer.status_code == 422
    assert "「月销售额」" in answer.text and "三万块" in answer.text and "55万" in answer.text
    assert "monthly_sales" not in answer.text.replace('name="fact:monthly_sales@2025"', "")
    assert _versions(register, world.nanning_firm, "monthly_sales") == before


def test_a_department_fact_or_another_firm_cannot_be_corrected(clients: dict[str, TestClient], world: World,
                                                                register: object) -> None:
    firm = clients["nanning-enterprise"]
    token = csrf_of(firm)
    answer = firm.post(f"/office/files/{world.nanning_firm}/declared", data={
        "csrf": token, "fact:new_hires_over_last_year@": "999", "reason": "想改"})
    assert answer.status_code == 422 and "不是本企业申报的事项" in answer.text
    assert [v for v, _, _ in _versions(register, world.nanning_firm, "new_hires_over_last_year")] == [1]
    other = firm.post(f"/office/files/{world.nanning_other}/declared", data={
        "csrf": token, "fact:new_hires_over_last_year@": "999", "reason": "想改"})
    assert other.status_code == 403
    assert firm.post(f"/office/files/{world.nanning_firm}/declared",
                     data={"fact:monthly_sales@2025": "1"}).status_code == 403  # no CSRF token


def test_an_enterprise_downloads_its_report_and_no_one_elses(clients: dict[str, TestClient], world: World,
                                                             register: object) -> None:
    firm = clients["nanning-enterprise"]
    listing = firm.get(f"/office/files/{world.nanning_firm}/reports")
    assert listing.status_code == 200 and "report.pdf" in listing.text
    report = firm.get(f"/office/files/{world.nanning_firm}/report.html")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert world.nanning_firm in report.text
    assert any("report" in e.fields for e in _log(register, world.nanning_firm, "read"))
    assert firm.get(f"/office/files/{world.wuzhou_firm}/report.html").status_code == 403
    assert clients["wuzhou-officer"].get(f"/office/files/{world.nanning_firm}/report.pdf").status_code == 403


def test_an_incubator_sees_its_firms_benefits(clients: dict[str, TestClient], world: World,
                                              register: object) -> None:
    page = clients["nanning-incubator"].get("/office/files")
    # the linked firm's one current eligible decision: 5,000,000 fen = 50000.00 yuan
    assert "1 项，50000.00 元" in page.text and "缺少的信息" in page.text
    assert world.wuzhou_firm not in page.text
    assert any(e.fields == "decisions" for e in _log(register, world.nanning_other, "read"))


def test_an_officer_imports_a_file_of_its_city_and_sees_rejected_rows_in_chinese(
        clients: dict[str, TestClient], world: World, register: object) -> None:
    officer = clients["nanning-officer"]
    newcomer = code("9145010000000000", 7)
    bad = code("9145010000000000", 8)
    text = f"id,kind,city,monthly_sales\n{newcomer},enterprise,南宁,20万\n{bad},enterprise,南宁,很多\n"
    answer = officer.post("/office/imports", data={"csrf": csrf_of(officer), "source": "税务", "period": "2025",
                                                   "source_kind": "department"},
                          files={"file": ("税务.csv", io.BytesIO(text.encode()), "text/csv")})
    assert answer.status_code == 200, answer.text
    assert "共 2 行" in answer.text and "未导入的行（1 行）" in answer.text
    assert "月销售额" in answer.text and "monthly_sales" not in answer.text
    assert _versions(register, newcomer, "monthly_sales") == [(1, "200000", "税务")]  # 20万 = 200000 yuan
    assert _log(register, newcomer, "change")


def test_an_officer_cannot_import_another_citys_applicants(clients: dict[str, TestClient], world: World,
                                                           register: object) -> None:
    officer = clients["wuzhou-officer"]
    text = f"id,kind,city,monthly_sales\n{world.nanning_firm},enterprise,南宁,1\n"
    answer = officer.post("/office/imports", data={"csrf": csrf_of(officer), "source": "税务"},
                          files={"file": ("a.csv", io.BytesIO(text.encode()), "text/csv")})
    assert answer.status_code == 422 and "第 2 行" in answer.text and "不属于梧州" in answer.text
    assert [v for v, _, _ in _versions(register, world.nanning_firm, "monthly_sales") if v > 2] == []


def test_the_push_list_holds_the_officers_city_only_and_exports(clients: dict[str, TestClient], world: World,
                                                                register: object) -> None:
    officer = clients["nanning-officer"]
    page = officer.get("/office/pushes")
    assert page.status_code == 200 and f"可申请 {world.nanning_firm}" in page.text
    assert world.wuzhou_firm not in page.text
    csv = officer.get("/office/pushes.csv")
    assert csv.status_code == 200 and world.nanning_firm in csv.text and world.wuzhou_firm not in csv.text
    book = officer.get("/office/pushes.xlsx")
    assert book.status_code == 200 and book.content[:2] == b"PK"
    assert officer.get("/office/pushes?run=abc").status_code == 422
    assert clients["nanning-enterprise"].get("/office/pushes").status_code == 403


def test_an_officer_records_a_confirmation_for_its_city_only(clients: dict[str, TestClient], world: World,
                                                             register: object) -> None:
    wuzhou = clients["wuzhou-officer"]
    refused = wuzhou.post("/office/confirmations", data={"csrf": csrf_of(wuzhou), "ref": world.nanning_other,
                                                         "rule_id": "rule.x", "answer": "confirm"})
    assert refused.status_code == 403
    officer = clients["nanning-officer"]
    assert "企业确认领取" in officer.get("/office/confirmations").text
    answer = officer.post("/office/confirmations", follow_redirects=False, data={
        "csrf": csrf_of(officer), "ref": world.nanning_other, "rule_id": "rule.x", "answer": "confirm"})
    assert answer.status_code == 303
    with Session(register) as session:  # type: ignore[arg-type]
        case = session.scalars(select(WaiverCase).join(Applicant, Applicant.pk == WaiverCase.applicant_pk).where(
            Applicant.ref == world.nanning_other)).one()
        assert case.status == "confirmed" and case.answered_by is not None and "nanning-officer" in case.answered_by
    assert any(e.fields == "waiver:rule.x" for e in _log(register, world.nanning_other, "change"))


def test_a_budget_exceeded_is_warned_and_a_bad_amount_named(clients: dict[str, TestClient],
                                                           register: object) -> None:
    officer = clients["nanning-officer"]
    answer = officer.post("/office/budgets", follow_redirects=False, data={
        "csrf": csrf_of(officer), "department": "科技局", "year": "2026", "amount": "30000"})
    assert answer.status_code == 303
    page = officer.get("/office/budgets").text
    # the confirmed cases of 科技局 in 2026 are 50000.00 yuan each, at least one: more than the 30000.00 budget
    assert "30000.00" in page and "超出预算" in page and "预警：科技局 2026 年" in page
    bad = officer.post("/office/budgets", data={"csrf": csrf_of(officer), "department": "科技局", "year": "2026",
                                                "amount": "3万.5"})
    assert bad.status_code == 422 and "预算金额" in bad.text
    wuzhou = clients["wuzhou-officer"]
    elsewhere = wuzhou.post("/office/budgets", data={"csrf": csrf_of(wuzhou), "department": "南宁市科学技术局",
                                                     "year": "2026", "amount": "1"})
    assert elsewhere.status_code == 422 and "不是为梧州办理的部门" in elsewhere.text
    assert clients["nanning-reviewer"].get("/office/budgets").status_code == 200


@pytest.fixture(scope="module")
def platform(world: World, register: object) -> dict[str, str]:
    """A token for Nanning's platform (an officer's scope) and one for an enterprise."""
    with Session(register) as session, session.begin():  # type: ignore[arg-type]
        return {"nanning": users.issue_token(session, "南宁数据平台", "officer", "nanning", WHEN),
                "firm": users.issue_token(session, "firm", "enterprise", world.nanning_firm, WHEN)}


def _push(app: object, token: str, facts: object) -> object:
    return TestClient(app).post("/api/v1/office/facts", content=json.dumps(facts),  # type: ignore[arg-type]
                                headers={"authorization": f"Bearer {token}", "content-type": "application/json"})


def test_a_platform_pushes_facts_once_however_often_it_repeats(app: object, world: World, register: object,
                                                              platform: dict[str, str]) -> None:
    body = {"facts": [{"id": world.nanning_other, "field": "monthly_sales", "value": "12万", "period": "2025"}]}
    first = _push(app, platform["nanning"], body)
    assert first.status_code == 200 and first.json()["facts"] == {"new": 1, "changed": 0, "unchanged": 0}  # type: ignore[attr-defined]
    again = _push(app, platform["nanning"], body)
    assert again.json()["facts"] == {"new": 0, "changed": 0, "unchanged": 1}  # type: ignore[attr-defined]
    # 12万 = 120000 yuan, sourced to the platform as a department's data
    assert _versions(register, world.nanning_other, "monthly_sales") == [(1, "120000", "南宁数据平台")]
    assert any(e.who == "token:南宁数据平台" for e in _log(register, world.nanning_other, "change"))


def test_a_push_outside_the_tokens_city_or_with_a_bad_value_saves_nothing(app: object, world: World,
                                                                         register: object,
                                                                         platform: dict[str, str]) -> None:
    mixed = {"facts": [{"id": world.nanning_firm, "field": "quarterly_sales", "value": "1"},
                       {"id": world.wuzhou_firm, "field": "quarterly_sales", "value": "1"}]}
    refused = _push(app, platform["nanning"], mixed)
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert refused.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert _versions(register, world.nanning_firm, "quarterly_sales") == []
    bad = _push(app, platform["nanning"], {"facts": [{"id": world.nanning_firm, "field": "quarterly_sales",
                                                      "value": "很多"}]})
    assert bad.status_code == 422  # type: ignore[attr-defined]
    error = bad.json()["errors"][0]  # type: ignore[attr-defined]
    assert error["index"] == 0 and error["field"] == "quarterly_sales" and "季度销售额" in error["expected"]
    assert _push(app, platform["firm"], mixed).status_code == 403  # type: ignore[attr-defined]
    assert _push(app, "sgt_forged", mixed).status_code == 401  # type: ignore[attr-defined]
    assert _push(app, platform["nanning"], "not a list").status_code == 422  # type: ignore[attr-defined]


def test_no_office_form_is_taken_without_its_csrf_token(app: object, clients: dict[str, TestClient],
                                                        world: World) -> None:
    from .test_office_matrix import office_routes

    posts = [p for m, p in office_routes(app) if m == "POST" and p.startswith("/office/") and p != "/office/login"]
    assert "/office/imports" in posts and "/office/budgets" in posts
    for path in posts:
        for name in ("nanning-enterprise", "nanning-officer", "nanning-reviewer"):
            url = path.replace("{ref}", world.nanning_firm).replace("{list_id}", "1")
            answer = clients[name].post(url, data={"ref": world.nanning_firm, "department": "科技局"},
                                        follow_redirects=False)
            assert answer.status_code == 403, f"{name} {url}: {answer.status_code}"


def test_a_script_anywhere_is_shown_as_text_on_every_page(app: object, clients: dict[str, TestClient],
                                                          world: World, register: object) -> None:
    from .test_office_matrix import office_routes

    with Session(register) as session, session.begin():  # type: ignore[arg-type]
        run = session.scalars(select(MatchRun)).first()
        assert run is not None
        session.add(Push(run_pk=run.pk, applicant_pk=find(session, world.nanning_firm).pk, rule_id=SCRIPT,
                         kind="near_miss", key="k-script", text=SCRIPT, payload="{}", created_at=WHEN))
    officer = clients["nanning-officer"]
    assert officer.post("/office/budgets", follow_redirects=False, data={
        "csrf": csrf_of(officer), "department": "南宁" + SCRIPT, "year": "2026", "amount": "1"}).status_code == 303
    pages = [p for m, p in office_routes(app) if m == "GET" and p.startswith("/office")
             and not p.endswith((".pdf", ".xlsx", ".csv"))]
    for name in ("nanning-enterprise", "nanning-incubator", "nanning-officer", "nanning-auditor"):
        for path in pages:
            answer = clients[name].get(path.replace("{ref}", world.nanning_firm).replace("{list_id}", "1"))
            assert SCRIPT not in answer.text, f"{name} {path}"
