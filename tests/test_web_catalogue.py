"""The 政策清单 page and `/api/v1/catalogue`: each filter narrows to the items the pack says it should, drafts only
when asked, every item links to the guided questions that ask its facts first, bad values are a 4xx in Chinese
(page) or a problem document (API), the query is shown as text, and the page reads in Chinese only."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from test_chinese_report import latin_words, page_text

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.web.app import create_app

DAY = "2018-06-01"
RENT = "nanning.incubation_base_rent_subsidy"  # 南府办〔2016〕34号 三(四)18: 南宁, 众创空间, 市科技局, no end date
VAT = "nanning.vat_exemption_small_scale"  # same document, 2016-06-13 to 2017-12-31: expired on 2018-06-01


@pytest.fixture(scope="module")
def client(engine: Any) -> TestClient:
    return TestClient(create_app(engine=engine))


def ids(client: TestClient, **query: str) -> list[str]:
    answer = client.get("/api/v1/catalogue", params=query)
    assert answer.status_code == 200, answer.text
    return [item["rule_id"] for item in answer.json()["items"]]


def in_force(pack: RulePack, day: dt.date) -> set[str]:
    return {r.id for r in pack.rules.values() if r.status.value != "draft" and r.effective.contains(day)}


def test_the_city_filter_keeps_the_region_s_items_and_that_city_s_own(client: TestClient, pack: RulePack) -> None:
    day = dt.date.fromisoformat(DAY)
    found = set(ids(client, city="柳州", as_of=DAY))
    assert found == {i for i in in_force(pack, day) if "liuzhou" in pack.rules[i].cities}
    # the start-up loan relays region policy (三(三)13), so Liuzhou has it; Nanning's rent subsidy it has not
    assert "nanning.startup_guaranteed_loan" in found and RENT not in found
    assert RENT in ids(client, city="nanning", as_of=DAY)


def test_status_in_force_by_default_expired_when_asked(client: TestClient, pack: RulePack) -> None:
    default = ids(client, as_of=DAY)
    assert set(default) == in_force(pack, dt.date.fromisoformat(DAY)) and VAT not in default
    expired = client.get("/api/v1/catalogue", params={"as_of": DAY, "status": "expired"}).json()["items"]
    assert VAT in [i["rule_id"] for i in expired]
    assert {i["status"] for i in expired} == {"expired"} and {i["status_words"] for i in expired} == {"已失效"}
    # on a day within its period the same item is in force again
    assert VAT in ids(client, as_of="2017-06-30")
    everything = ids(client, as_of=DAY, status="all")
    assert set(default) | {VAT} <= set(everything)


def test_kind_department_and_text_narrow_to_the_items_that_name_them(client: TestClient, pack: RulePack) -> None:
    bases = ids(client, as_of=DAY, kind="众创空间")  # a synonym of 创业孵化基地, read as a profile reads it
    assert RENT in bases and all("incubation_base" in pack.rules[i].kinds for i in bases)
    assert len(bases) < len(ids(client, as_of=DAY))
    science = client.get("/api/v1/catalogue", params={"as_of": DAY, "department": "南宁市科技局"}).json()["items"]
    assert RENT in [i["rule_id"] for i in science]
    assert all("南宁市科技局" in i["departments"] for i in science) and VAT not in [i["rule_id"] for i in science]
    rent = client.get("/api/v1/catalogue", params={"as_of": DAY, "q": "宽带"}).json()["items"]
    assert RENT in [i["rule_id"] for i in rent]
    for item in rent:  # each found has the words in its name, a condition or a quote
        assert "宽带" in " ".join([item["name"], *item["conditions"], *(b["quote"] for b in item["basis"])])
    assert ids(client, as_of=DAY, q="宽带", city="柳州") == []


def test_a_draft_is_hidden_unless_asked_and_then_marked(client: TestClient) -> None:
    assert not [i for i in ids(client, as_of="2018-01-01", status="all") if i.startswith("wuzhou.")]
    with_drafts = client.get("/api/v1/catalogue", params={"as_of": "2018-01-01", "include_drafts": "1"}).json()
    drafts = [i for i in with_drafts["items"] if i["draft"]]
    assert drafts and all(i["status"] == "draft" and i["rule_id"].startswith("wuzhou.") for i in drafts)
    only = ids(client, as_of="2018-01-01", status="draft")
    assert only and all(i.startswith("wuzhou.") for i in only)
    page = client.get("/catalogue", params={"as_of": "2018-01-01", "city": "梧州", "include_drafts": "1"}).text
    assert "征求意见稿（未施行）" in page
    assert "征求意见稿（未施行）</span>" not in client.get("/catalogue", params={"city": "梧州"}).text


def test_each_item_shows_its_guide_and_basis(client: TestClient, pack: RulePack) -> None:
    page = client.get("/catalogue", params={"as_of": DAY, "q": "宽带接入费"})
    assert page.status_code == 200
    text = page_text(page.text)
    for heading in ("兑现标准", "兑现方式", "申报时间", "申报材料", "受理部门", "政策依据"):
        assert heading in text
    quote = pack.rules[RENT].rule.source.quote
    assert "三(四)18" in text and quote.split()[0] in text and "70%" in text


def _read_by(rule: Any) -> set[str]:
    names: set[str] = set()
    for condition in rule.conditions:
        names |= set(ex.names_read(condition.node))
    if rule.amount is not None and rule.amount.formula is not None:
        names |= set(ex.names_read(rule.amount.formula))
    return names


@pytest.mark.parametrize("rule_id", [RENT, "nanning.new_product_subsidy"])
def test_the_link_opens_the_guide_naming_the_item_and_asking_its_facts_first(client: TestClient, pack: RulePack,
                                                                             rule_id: str) -> None:
    name = pack.rules[rule_id].name
    page = client.get("/catalogue", params={"as_of": DAY, "city": "南宁", "q": name}).text
    links = [h.replace("&amp;", "&") for h in re.findall(r'href="(/guide\?[^"]+)"', page)]
    link = next(h for h in links if parse_qs(urlsplit(h).query)["focus"] == [rule_id])
    guide = client.get(link)
    assert guide.status_code == 200
    assert re.search(r'class="focus-name">([^<]+)<', guide.text)[1] == name  # type: ignore[index]
    asked = re.search(r'name="ask" value="([^"]+)"', guide.text)
    assert asked is not None and asked[1] in _read_by(pack.rules[rule_id])
    assert f'name="focus" value="{rule_id}"' in guide.text  # carried to the next step


def test_focus_puts_the_item_s_question_before_the_richer_one(client: TestClient, pack: RulePack) -> None:
    # without focus, a Nanning enterprise is first asked what settles the most money (whether it is an industrial
    # enterprise); with the bond issuance award in focus, a fact that award reads comes first
    plain = client.get("/guide", params={"identity": "kind:enterprise", "city": "nanning", "as_of": DAY}).text
    first = re.search(r'name="ask" value="([^"]+)"', plain)
    rule = pack.rules["nanning.bond_issuance_award"]
    assert first is not None and first[1] not in _read_by(rule)
    focused = client.get("/guide", params={"identity": "kind:enterprise", "city": "nanning", "as_of": DAY,
                                           "focus": rule.id}).text
    asked = re.search(r'name="ask" value="([^"]+)"', focused)
    assert asked is not None and asked[1] in _read_by(rule)
    # a focus that names no rule is ignored, never an error
    assert client.get("/guide", params={"identity": "kind:enterprise", "focus": "<b>x"}).status_code == 200


@pytest.mark.parametrize(("field", "value"), [("city", "巴黎"), ("kind", "外星人"), ("status", "maybe"),
                                              ("as_of", "2018-13-45"), ("department", "不存在的局"),
                                              ("include_drafts", "perhaps"), ("q", "宽" * 101)])
def test_a_bad_filter_is_a_422_problem_in_the_api_and_a_chinese_error_on_the_page(client: TestClient, field: str,
                                                                                  value: str) -> None:
    answer = client.get("/api/v1/catalogue", params={field: value})
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    page = client.get("/catalogue", params={field: value})
    assert page.status_code == 422
    block = re.search(r'<div class="error".*?</div>', page.text, re.S)
    assert block is not None
    errors = html.unescape(re.sub(r"<[^>]+>", " ", block[0]))
    assert "筛选条件有误" in errors and latin_words(errors, {value}) == set()


def test_markup_in_the_query_is_shown_as_text(client: TestClient) -> None:
    hostile = '"><script>alert(1)</script>'
    for params in ({"q": hostile}, {"department": hostile}, {"as_of": hostile}):
        page = client.get("/catalogue", params=params)
        assert page.status_code in (200, 422)
        assert "<script>" not in page.text and "&lt;script&gt;" in page.text
        assert "script-src" in page.headers["content-security-policy"] or \
            "default-src" in page.headers["content-security-policy"]
    answer = client.get("/api/v1/catalogue", params={"department": hostile})
    assert answer.status_code == 422 and answer.json()["errors"][0]["value"] == hostile[:40]


def test_the_page_reads_in_chinese_only_outside_the_quotes(client: TestClient) -> None:
    page = client.get("/catalogue", params={"as_of": "2018-01-01", "status": "all", "include_drafts": "1",
                                            "lang": "en"})
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
    without_quotes = re.sub(r'<blockquote class="quote">.*?</blockquote>', " ", page.text, flags=re.S)
    assert latin_words(page_text(without_quotes), set()) == set()


def test_the_json_keys_are_stable(client: TestClient) -> None:
    data = client.get("/api/v1/catalogue", params={"as_of": DAY, "q": "宽带接入费"}).json()
    assert data["schema"] == "subsidy-catalogue/1" and data["count"] == len(data["items"]) >= 1
    assert set(data) >= {"schema", "as_of", "filters", "count", "items", "departments"}
    assert set(data["items"][0]) >= {
        "rule_id", "name", "status", "status_words", "draft", "kinds", "beneficiaries", "jurisdiction", "cities",
        "place", "conditions", "standard", "benefit_kind", "way", "when", "evidence", "departments",
        "departments_words", "basis", "effective", "period", "questions"}
    assert set(data["items"][0]["basis"][0]) == {"document", "clause", "quote"}
