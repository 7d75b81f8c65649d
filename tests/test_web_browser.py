"""The calculator in a real browser: Debian's Chromium, headless, driven by Playwright, against `subsidy serve`.

Chromium is the system's (`make test` installs Debian's `chromium` when missing and it can); Playwright drives it
through `executable_path`, never a browser of its own. Each run has a fresh profile folder and no network but the
local server's.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from webserver import served

# What is checked here is the pages and their scripts as Chromium runs them, which the Python under the server
# does not change (the same pages and answers are checked on every Python without a browser): the first
# Python only (pyproject.toml, "one_python").
pytestmark = pytest.mark.one_python

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed and could not be: as root, `apt-get install chromium chromium-driver` "
                "(make test does this when it can)", allow_module_level=True)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served(env={"SUBSIDY_JOBS": str(tmp_path_factory.mktemp("jobs"))}) as (host, port, _):
        yield f"http://{host}:{port}"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS, accept_downloads=True,
            viewport={"width": 1100, "height": 1400})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


def choose_incubation_base(page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.select_option("#f-kind", "incubation_base")
    page.select_option("#f-city", "nanning")
    page.fill("#f-as_of", "2017-03-01")
    page.click("button[value=questions]")


def test_the_worked_example_filled_in_shows_550000_and_its_clause(page, base_url):
    choose_incubation_base(page, base_url)
    page.check("#f-recognised_incubation_base-true")  # 经认定为创业孵化基地: 是
    page.get_by_label("实际缴纳房租和宽带接入费").fill("90万")
    page.get_by_label("已享受房租补助年数").fill("0")
    page.get_by_role("button", name="测算", exact=True).click()
    result = page.locator("#result")
    result.wait_for()
    text = result.inner_text()
    assert "550,000.00" in text and "三(四)18" in text
    assert "房租和宽带接入费的70%" in text


def test_a_near_miss_is_asked_the_question_and_answering_it_changes_the_result(page, base_url):
    choose_incubation_base(page, base_url)
    page.get_by_label("实际缴纳房租和宽带接入费").fill("900000")
    page.get_by_role("button", name="测算", exact=True).click()
    asked = page.locator(".next")
    assert "经认定为创业孵化基地" in asked.inner_text()
    assert page.locator("#result article.benefit").count() == 0  # not granted: only named as what is at stake
    assert "涉及金额：最多 550,000.00 元" in asked.inner_text()
    asked.get_by_label("是").check()  # the question, answered where it is asked
    page.get_by_role("button", name="测算", exact=True).click()
    asked = page.locator(".next")  # the form grows: the next fact the rule reads is asked
    assert "已享受房租补助年数" in asked.inner_text()
    asked.get_by_label("已享受房租补助年数").fill("1")
    page.get_by_role("button", name="测算", exact=True).click()
    assert "550,000.00" in page.locator("#result").inner_text()


def test_the_form_is_usable_by_keyboard_alone(page, base_url):
    page.goto(base_url + "/")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-kind":
            break
    assert page.evaluate("document.activeElement.id") == "f-kind"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-city"


def test_the_calculator_fits_a_phones_width(browser, base_url):
    phone = browser.new_page()
    phone.set_viewport_size({"width": 360, "height": 740})
    try:
        phone.goto(base_url + "/?kind=enterprise&city=nanning")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        phone.close()


def test_a_workbook_uploaded_gives_a_results_workbook_to_download(page, base_url, tmp_path):
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["申请人编号", "申请人类型", "所在城市", "评估日期", "经认定为创业孵化基地",
                  "实际缴纳房租和宽带接入费", "已享受房租补助年数"])
    sheet.append(["W1", "众创空间/创业孵化基地", "南宁", "2017-03-01", "是", 900000, 0])  # capped: 550,000
    sheet.append(["W2", "众创空间/创业孵化基地", "南宁市", "2017-03-01", "是", "40万", 1])  # 400,000 × 70% = 280,000
    sheet.append(["W3", "众创空间/创业孵化基地", "北京", "2017-03-01", "是", 1, 0])      # rejected: not Guangxi
    upload = tmp_path / "名单.xlsx"
    book.save(upload)
    page.goto(base_url + "/batch")
    page.set_input_files("#f-applicants", str(upload))
    page.get_by_role("button", name="开始批量测算").click()
    # the job's page reloads itself until the results and then the workbook are ready (a bounded wait)
    page.wait_for_selector("a[download='results.xlsx']", timeout=120_000)
    assert "830,000.00" in page.inner_text("main")  # 550,000 + 280,000
    with page.expect_download() as download:
        page.click("a[download='results.xlsx']")
    saved = tmp_path / "results.xlsx"
    download.value.save_as(saved)
    rows = list(load_workbook(saved).worksheets[0].iter_rows(values_only=True))
    cells = {v for row in rows for v in row}
    assert {550000, 280000} <= cells  # amounts as numbers, shown with two decimals
    rejected = list(load_workbook(saved).worksheets[1].iter_rows(values_only=True))
    assert any("北京" in str(v) for row in rejected for v in row)


def test_the_report_prints_to_pdf(page, base_url, tmp_path):
    choose_incubation_base(page, base_url)
    page.check("#f-recognised_incubation_base-true")
    page.get_by_label("实际缴纳房租和宽带接入费").fill("900000")
    page.get_by_label("已享受房租补助年数").fill("0")
    page.get_by_role("button", name="测算", exact=True).click()
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="打印测算报告").click()
    report = opened.value
    report.wait_for_load_state()
    assert "政策测算报告" in report.inner_text("h1") and "550,000.00" in report.inner_text("main")
    pdf = report.pdf(format="A4")
    report.close()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    assert b"/Type /Page" in pdf or b"/Type/Page" in pdf


# The three people of the guided questionnaire, answered by clicking as they would: each reaches the amount
# worked by hand in tests/test_web_guide.py (91,500.00, 550,000.00, 72,000.00) within its number of questions.
PEOPLE = {
    "incubated firm": ("入驻南宁创业孵化基地的企业", "nanning", "2018年12月31日",
                       {"在基地正常纳税经营月数": "10", "依法足额缴纳社会保险费": "是",
                        "吸纳登记失业人员数(满1年)": "3", "吸纳就业援助对象数(满1年)": "0",
                        "新吸纳毕业年度高校毕业生数": "25", "已享受贴息贷款额度": "没有（0）"},
                       "91,500.00", 10),
    "base": ("众创空间/创业孵化基地", "nanning", "2017/3/1",
             {"经认定为创业孵化基地": "是", "实际缴纳房租和宽带接入费": "90万", "已享受房租补助年数": "没有（0）"},
             "550,000.00", 5),
    "bank": ("金融机构", "liuzhou", "2019-6-30",
             {"放贷机构类型": "银行业金融机构", "上年度小微企业贷款平均余额": "5亿",
              "当年小微企业贷款平均余额": "5.12亿"},
             "72,000.00", 4),
}
LATIN = re.compile(r"[A-Za-z]{2,}")
ALLOWED_LATIN = {"PDF"}


def latin_words(page) -> set[str]:
    """Latin words a Chinese page shows in its main part (the digest and units like PDF allowed)."""
    return set(LATIN.findall(page.inner_text("main"))) - ALLOWED_LATIN


def answer_guide(page, base_url: str, who: str, city: str, day: str, facts: dict[str, str], amount: str) -> tuple:
    page.goto(base_url + "/guide")
    page.get_by_label(who, exact=True).check()
    page.select_option("#f-city", city)
    page.fill("#f-as_of", day)
    with page.expect_navigation():
        page.get_by_role("button", name="开始").click()
    asked, reached = [], None
    while page.locator(".ask").count():
        label = page.locator("#ask-h").inner_text().split(" (")[0].strip()
        asked.append(label)
        assert len(asked) < 30
        reply = facts.get(label)
        if reply is not None and not page.locator(f"button:text-is('{reply}')").count():
            page.fill(".ask input[type=text]", reply)
        button = page.get_by_role("button", name="不清楚") if reply is None else \
            page.locator(f"button:text-is('{reply}')").first if page.locator(f"button:text-is('{reply}')").count() \
            else page.get_by_role("button", name="下一步")
        with page.expect_navigation():  # the next step is a new page: read it, never the one left
            button.click()
        total = page.locator("#result .total strong")
        if reached is None and total.count() and total.inner_text() == amount:
            reached = len(asked)
    return asked, reached


@pytest.mark.parametrize("who", list(PEOPLE))
def test_each_person_reaches_their_amount_through_the_guide_in_chinese_only(page, base_url, who):
    identity, city, day, facts, amount, most = PEOPLE[who]
    asked, reached = answer_guide(page, base_url, identity, city, day, facts, amount)
    assert reached is not None and reached <= most, (asked, reached)
    assert page.locator("#result .total strong").inner_text() == amount
    assert latin_words(page) == set()


def test_every_date_spelling_typed_gives_a_result_for_that_date(page, base_url):
    for spelling in ("2017年3月1日", "2017/3/1", "2017-3-1"):
        choose_incubation_base(page, base_url)
        page.fill("#f-as_of", spelling)
        page.check("#f-recognised_incubation_base-true")
        page.get_by_label("实际缴纳房租和宽带接入费").fill("90万")
        page.get_by_role("button", name="测算", exact=True).click()
        assert page.locator("#result .asof .date").inner_text() == "2017-03-01", spelling
    page.fill("#f-as_of", "2017年2月30日")
    page.get_by_role("button", name="测算", exact=True).click()
    assert page.input_value("#f-as_of") == "2017年2月30日"  # kept as typed, never today
    assert "不是日历上的日期" in page.inner_text("#e-as_of") and page.locator("#result").count() == 0


def test_switching_language_keeps_the_answers_and_the_result(page, base_url):
    choose_incubation_base(page, base_url)
    page.check("#f-recognised_incubation_base-true")
    page.get_by_label("实际缴纳房租和宽带接入费").fill("900000")
    page.get_by_role("button", name="测算", exact=True).click()
    page.click("a.switch")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.input_value("#f-rent_and_broadband_paid") == "900000"
    assert "550,000.00" in page.inner_text("#result")


def test_no_page_scrolls_sideways_at_a_phones_375_pixels(browser, base_url):
    phone = browser.new_page()
    phone.set_viewport_size({"width": 375, "height": 740})
    widths: dict[str, int] = {}

    def measure(name: str) -> None:
        phone.wait_for_load_state()
        widths[name] = phone.evaluate("document.documentElement.scrollWidth")

    try:
        for path in ("/", "/guide", "/batch", "/api/v1/docs", "/?kind=enterprise&city=nanning", "/catalogue"):
            phone.goto(base_url + path)
            measure(path)
        choose_incubation_base(phone, base_url)
        phone.check("#f-recognised_incubation_base-true")
        phone.get_by_label("实际缴纳房租和宽带接入费").fill("900000")
        phone.get_by_role("button", name="测算", exact=True).click()
        measure("result")
        phone.locator("details.whatif summary").click()
        phone.fill("input[name=vary_to]", "1000000")
        phone.get_by_role("button", name=re.compile("曲线")).click()
        measure("what-if")
        phone.go_back()
        with phone.context.expect_page() as opened:
            phone.get_by_role("button", name="打印测算报告").click()
        report = opened.value
        report.set_viewport_size({"width": 375, "height": 740})
        report.wait_for_load_state()
        widths["report"] = report.evaluate("document.documentElement.scrollWidth")
        report.close()
        answer_guide(phone, base_url, *PEOPLE["base"][:5])
        measure("guide result")
    finally:
        phone.close()
    assert {name: width for name, width in widths.items() if width > 375} == {}
