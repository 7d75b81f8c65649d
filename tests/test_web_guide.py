"""The guided questionnaire and the calculator's whole answer, through the web form (no browser): three people
reach their amounts in few questions, every date spelling is read alike everywhere, answers survive a link, a
saved file and a language switch."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.web.app import create_app

# The accountant's incubated firm in Nanning on 2018-12-31 (南府办〔2016〕34号 三(四)20):
#   registered unemployed hired: 3 × 1,500 = 4,500 (none of them 就业援助对象, at 2,000);
#   graduates of the year: min(25 × 100,000, 2,000,000) = 2,000,000 of quota, one year at 4.35% = 87,000;
#   10 months in the base is short of the one-time subsidy's full year. 4,500 + 87,000 = 91,500.00.
FIRM = ("derived:nanning.incubated_firm", "nanning", "2018-12-31", {
    "months_operating_in_base": "10", "social_insurance_paid_in_full": "true", "registered_unemployed_hired": "3",
    "employment_aid_targets_hired": "0", "graduates_hired": "25", "graduate_loan_quota_used": "0"}, "91,500.00", 10)
# The Nanning 众创空间 (三(四)18): 900,000 × 70% = 630,000, above the 550,000 cap a year: 550,000.00.
BASE = ("kind:incubation_base", "nanning", "2017-03-01", {
    "recognised_incubation_base": "true", "rent_and_broadband_paid": "90万", "rent_subsidy_years_received": "0"},
    "550,000.00", 5)
# A Liuzhou bank (广西双创实施方案(2018) 任务分工表 (36)): 0.6% of the growth of its average small and micro loan
# balance, 512,000,000 − 500,000,000 = 12,000,000; × 0.6% = 72,000.00.
BANK = ("kind:financial_institution", "liuzhou", "2019-06-30", {
    "lender_type": "bank", "sme_loan_avg_balance_previous": "5亿", "sme_loan_avg_balance_current": "5.12亿"},
    "72,000.00", 4)
DATES = ["2017年3月1日", "2017/3/1", "2017-3-1", "2017-03-01", "20170301"]


@pytest.fixture(scope="module")
def client(engine):
    return TestClient(create_app(engine=engine))


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def hidden(html: str) -> dict[str, str]:
    """The state a step carries to the next: its hidden inputs."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def walk(client, identity: str, city: str, day: str, facts: dict[str, str],
         amount: str | None = None) -> tuple[list[str], str, int | None]:
    """Answer the guide as the person would: what they know, 不清楚 to the rest. The fields asked, the last page,
    and after how many questions the total first read `amount`."""
    page = client.post("/guide", data={"identity": identity, "city": city, "as_of": day})
    asked: list[str] = []
    reached = None
    while 'name="ask"' in page.text:
        assert page.status_code == 200, text(page.text)[:400]
        state = hidden(page.text)
        field = state["ask"]
        asked.append(field)
        assert len(asked) < 40
        data = {**state, field: facts[field], "reply": "answer"} if field in facts else {**state, "reply": "unknown"}
        page = client.post("/guide", data=data)
        if reached is None and amount is not None and page_total(page.text) == amount:
            reached = len(asked)
    return asked, page.text, reached


def page_total(html: str) -> str | None:
    found = re.search(r'class="total">[^<]*<strong>([0-9,.]+)</strong>', html)
    return found[1] if found else None


@pytest.mark.parametrize("person", [FIRM, BASE, BANK], ids=["incubated firm", "base", "bank"])
def test_each_person_reaches_the_amount_worked_by_hand_in_few_questions(client, person):
    identity, city, day, facts, amount, most = person
    asked, last, reached = walk(client, identity, city, day, facts, amount)
    assert reached is not None and reached <= most, (asked, reached)
    assert page_total(last) == amount
    assert set(facts) - set(asked) <= {"months_operating_in_base"}  # (it cannot add money once known short)
    assert len(asked) == len(set(asked))  # nothing asked twice
    if person is FIRM:
        never_asked_what_cannot_change_the_result(asked)


def never_asked_what_cannot_change_the_result(asked: list[str]) -> None:
    assert "rent_and_broadband_paid" not in asked and "lender_type" not in asked  # a base's, a lender's facts
    # The accountant does not know (不清楚) 工业企业, 新三板挂牌, the bond issued or 首台(套)由区内企业生产: the sale
    # award and new-product subsidy, both listing grants, the bond award and the purchase subsidy cannot be shown
    # to pay whatever their other facts are, so those are never asked
    closed = {"first_set_sale_price", "first_set_product_awarded_before", "first_set_award_received_total",
              "new_products_certified", "new_product_subsidy_received_this_year", "neeq_region_grant_received",
              "bond_issuance_award_received", "first_set_purchase_price", "first_set_purchase_subsidy_received"}
    assert {"industrial_enterprise", "neeq_listed", "securities_issued_amount"} <= set(asked)
    assert closed & set(asked) == set()


def test_a_question_not_known_holds_its_benefit_back_and_says_what_it_is_worth(client):
    identity, city, day, facts, *_ = FIRM
    known = {k: v for k, v in facts.items() if k != "graduate_loan_quota_used"}
    _, last, _ = walk(client, identity, city, day, known)
    shown = text(last)
    # the interest subsidy waits for 已享受贴息贷款额度; its stake is the 87,000 worked above
    assert "因资料不清楚而暂不能确定" in shown and "已享受贴息贷款额度" in shown and "87,000.00" in shown
    assert page_total(last) == "4,500.00"


def test_an_already_received_figure_offers_none_beside_dont_know(client):
    page = client.post("/guide", data={"identity": "kind:incubation_base", "city": "nanning",
                                       "as_of": "2017-03-01", "recognised_incubation_base": "true",
                                       "rent_and_broadband_paid": "900000"})
    assert hidden(page.text)["ask"] == "rent_subsidy_years_received"
    assert "没有（0）" in page.text and "不清楚" in page.text
    done = client.post("/guide", data={**hidden(page.text), "reply": "none"})
    assert page_total(done.text) == "550,000.00"


@pytest.mark.parametrize("spelling", DATES)
def test_every_date_spelling_gives_the_same_date_in_the_cli_the_batch_the_web_and_the_api(client, spelling,
                                                                                           tmp_path: Path):
    profile = tmp_path / "p.yaml"
    profile.write_text(f"id: X\nkind: 众创空间\ncity: 南宁\nas_of: '{spelling}'\nrecognised_incubation_base: 是\n"
                       "rent_and_broadband_paid: 90万\nrent_subsidy_years_received: 0\n", encoding="utf-8")
    cli_out = CliRunner().invoke(cli, ["evaluate", str(profile), "--format", "json"])
    assert cli_out.exit_code == 0 and '"as_of": "2017-03-01"' in cli_out.stdout
    rows = tmp_path / "rows.csv"
    rows.write_text("申请人编号,申请人类型,所在城市,评估日期,经认定为创业孵化基地,实际缴纳房租和宽带接入费,已享受房租补助年数\n"
                    f"X,众创空间,南宁,{spelling},是,90万,0\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    batch = CliRunner().invoke(cli, ["batch", str(rows), "-o", str(out), "--format", "jsonl", "--quiet"])
    assert batch.exit_code == 0 and '"as_of": "2017-03-01"' in out.read_text(encoding="utf-8").replace('":"', '": "')
    web = client.post("/", data={"kind": "众创空间", "city": "南宁", "as_of": spelling, "action": "evaluate",
                                 "recognised_incubation_base": "是", "rent_and_broadband_paid": "90万",
                                 "rent_subsidy_years_received": "0"})
    assert web.status_code == 200 and '<span class="date">2017-03-01</span>' in web.text
    assert "550,000.00" in web.text
    api = client.post("/api/v1/evaluate", json={"id": "X", "kind": "众创空间", "city": "南宁", "as_of": spelling,
                                                "recognised_incubation_base": "是", "rent_and_broadband_paid": "90万",
                                                "rent_subsidy_years_received": 0})
    assert api.status_code == 200 and api.json()["as_of"] == "2017-03-01"


@pytest.mark.parametrize(("lang", "words"), [("zh", "不是日历上的日期"), ("en", "not a date on the calendar")])
def test_an_unreadable_date_is_kept_as_typed_with_the_error_in_the_pages_language(client, lang, words):
    page = client.post(f"/?lang={lang}", data={"kind": "incubation_base", "city": "nanning",
                                               "as_of": "2017年2月30日", "action": "evaluate"})
    assert page.status_code == 422
    assert 'value="2017年2月30日"' in page.text and words in page.text
    assert 'id="result"' not in page.text  # never a result computed for another date


def test_a_link_carries_the_answers_and_opens_the_result_in_either_language(client):
    posted = client.post("/", data={"kind": "incubation_base", "city": "nanning", "as_of": "2017-03-01",
                                    "action": "evaluate", "recognised_incubation_base": "true",
                                    "rent_and_broadband_paid": "900000", "rent_subsidy_years_received": "0"})
    link = re.search(r'id="result-link" href="([^"]+)"', posted.text)[1].replace("&amp;", "&")
    again = client.get(link)
    assert again.status_code == 200 and "550,000.00" in again.text
    switch = re.search(r'class="switch" href="([^"]+)"', posted.text)[1].replace("&amp;", "&")
    english = client.get(switch)
    assert 'lang="en"' in english.text and "550,000.00" in english.text and 'value="900000"' in english.text


def test_the_answers_download_as_a_profile_and_load_back_to_the_same_result(client):
    query = {"kind": "incubation_base", "city": "nanning", "as_of": "2017-03-01", "action": "evaluate",
             "recognised_incubation_base": "true", "rent_and_broadband_paid": "900000",
             "rent_subsidy_years_received": "0"}
    saved = client.get("/profile.yaml", params=query)
    assert saved.status_code == 200 and "rent_and_broadband_paid: '900000'" in saved.text
    posted = client.post("/profile.yaml", data={**query, "name": "某众创空间"})  # the result's own button
    assert "name: 某众创空间" in posted.text and "attachment" in posted.headers["content-disposition"]
    page = client.post("/", data={**query, "name": "某众创空间"})
    link = unquote(re.search(r'id="result-link" href="([^"]+)"', page.text)[1])
    assert "某众创空间" in page.text and "某众创空间" not in link and "900000" in link  # a name never in a link
    loaded = client.post("/profile", files={"profile": ("saved.yaml", saved.content, "application/yaml")})
    assert loaded.status_code == 200 and "550,000.00" in loaded.text
    refused = client.post("/profile", files={"profile": ("bad.yaml", b"kind: [", "application/yaml")})
    assert refused.status_code == 422 and 'id="result"' not in refused.text


def test_the_result_shows_near_misses_and_the_validity_warning(client):
    # 10 months in the base: 再满 2 个月 would add the one-time subsidy of 2,000 (三(四)20).
    near = client.post("/", data={"kind": "enterprise", "city": "nanning", "as_of": "2018-12-31",
                                  "action": "evaluate", "in_incubation_base": "true",
                                  "months_operating_in_base": "10", "social_insurance_paid_in_full": "true",
                                  "one_time_subsidy_received": "false"})
    shown = text(near.text)
    assert "差一点符合" in shown and "2,000.00" in shown
    # the bank in 2027: the 2018 plan states no end date, and 2027 is more than five years after its issue
    bank = client.post("/", data={"kind": "financial_institution", "city": "liuzhou", "as_of": "2027-01-01",
                                  "action": "evaluate", "lender_type": "bank",
                                  "sme_loan_avg_balance_previous": "5亿", "sme_loan_avg_balance_current": "5.12亿"})
    assert "72,000.00" in bank.text and "效力未确定" in bank.text


def test_no_input_carries_a_grey_placeholder(client):
    page = client.get("/?kind=enterprise&city=nanning")
    assert "placeholder=" not in page.text


def test_none_ticked_beside_an_already_received_figure_reads_as_zero_and_blank_stays_unknown(client):
    answers = {"kind": "incubation_base", "city": "nanning", "as_of": "2017-03-01", "action": "evaluate",
               "recognised_incubation_base": "true", "rent_and_broadband_paid": "900000",
               "rent_subsidy_years_received": ""}
    blank = client.post("/", data=answers)
    assert 'class="total"' not in blank.text and "已享受房租补助年数" in text(blank.text)
    none = client.post("/", data={**answers, "rent_subsidy_years_received__none": "1"})
    assert page_total(none.text) == "550,000.00"  # 0 years received: the first year's 550,000 (三(四)18)


def test_switching_language_in_the_guide_keeps_the_step_and_its_answers(client):
    page = client.post("/guide", data={"identity": "kind:incubation_base", "city": "nanning",
                                       "as_of": "2017-03-01", "recognised_incubation_base": "true"})
    assert hidden(page.text)["ask"] == "rent_and_broadband_paid"
    switch = re.search(r'class="switch" href="([^"]+)"', page.text)[1].replace("&amp;", "&")
    english = client.get(switch)
    assert 'lang="en"' in english.text and hidden(english.text)["ask"] == "rent_and_broadband_paid"
    assert hidden(english.text)["recognised_incubation_base"] == "true"
    assert "Rent and broadband" in english.text or "rent and broadband" in english.text.lower()


def test_the_what_if_curve_reads_its_ends_as_cells_are_read(client):
    curve = client.post("/whatif", data={"kind": "incubation_base", "city": "nanning", "as_of": "2017-03-01",
                                         "recognised_incubation_base": "true", "rent_and_broadband_paid": "900000",
                                         "rent_subsidy_years_received": "0", "vary": "rent_and_broadband_paid",
                                         "vary_from": "0", "vary_to": "100万"})
    # at 1,000,000 the 70% is 700,000, capped at 550,000 (三(四)18)
    assert curve.status_code == 200 and "1,000,000" in curve.text and "550,000.00" in curve.text


def every_fact_yes() -> dict[str, str]:
    """Every yes/no fact true and every figure given: the most benefits a page can show, each with its words."""
    from guangxi_subsidy.engine.applicant.fields import fields
    from guangxi_subsidy.engine.language import ValueType

    data = {"lender_type": "bank", "graduate_grassroots_employer": "other"}
    for name, info in fields().items():
        if info.read_by_rules and name not in ("kind", "city", "lender_type", "graduate_grassroots_employer"):
            data[name] = {ValueType.BOOL: "true", ValueType.MONEY: "100000", ValueType.INTEGER: "3"}.get(info.type, "")
    return {k: v for k, v in data.items() if v}


@pytest.mark.parametrize("kind", ["enterprise", "individual", "incubation_base", "financial_institution",
                                  "guarantee_institution", "public_institution", "entrepreneurship_park"])
def test_a_chinese_result_page_shows_no_latin_word(client, kind):
    import html

    for page in (client.post("/", data={**every_fact_yes(), "kind": kind, "city": "nanning", "as_of": "2027-06-01",
                                        "action": "evaluate"}),
                 client.post("/guide", data={"identity": f"kind:{kind}", "city": "nanning", "as_of": "2018-06-01"})):
        assert page.status_code == 200
        main = html.unescape(text(page.text[page.text.index("<main"):page.text.index("</main>")]))
        assert set(re.findall(r"[A-Za-z]{2,}", main)) - {"PDF"} == set()


def test_a_no_to_a_gate_closes_its_rules_and_their_other_questions(engine, pack):
    from guangxi_subsidy.engine.applicant.reading import parse_profile
    from guangxi_subsidy.engine.web.questionnaire import step

    firm = {"id": "F", "kind": "enterprise", "city": "nanning", "as_of": "2018-12-31", "in_incubation_base": True}
    first = step(engine.evaluate(parse_profile(firm)), pack)
    # the first-set sale award (up to 2,000,000, 三(二)9) and the new-product subsidy (up to 200,000) both need
    # an industrial enterprise: 2,200,000 at stake, the most of any question
    assert first.field == "industrial_enterprise"
    after = step(engine.evaluate(parse_profile({**firm, "industrial_enterprise": False})), pack)
    still = {name for s in after.open for name in s.needs}
    assert after.field != "industrial_enterprise"
    assert {"first_set_sale_price", "first_set_award_received_total", "new_products_certified"} & still == set()
