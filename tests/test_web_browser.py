"""The calculator in a real browser: Debian's Chromium, headless, driven by Playwright, against `subsidy serve`.

Chromium is the system's (`make test` installs Debian's `chromium` when missing and it can); Playwright drives it
through `executable_path`, never a browser of its own. Each run has a fresh profile folder and no network but the
local server's.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from webserver import served

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
    assert "550,000.00" not in page.locator("#result").inner_text()
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
