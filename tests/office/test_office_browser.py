"""The office in a real browser at phone width (375 px): Debian's Chromium, headless, driven by Playwright,
against `subsidy serve` on a register of its own. A Wuzhou officer signs in, finds a Wuzhou file and reads it;
a Nanning file is refused; signing out ends the session. Then the main flow of each other role, one test each:
an enterprise corrects what it declared, an incubator reads its firms, a reviewer approves a list an officer
prepared, an auditor reads the decisions and the access log."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from webserver import served

from .conftest import PASSWORD, build_world

# What is checked here is the pages and their scripts as Chromium runs them, which the Python under the server
# does not change (the same pages and answers are checked on every Python without a browser): the first
# Python only (pyproject.toml, "one_python").
pytestmark = pytest.mark.one_python

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed and could not be: as root, `apt-get install chromium`",
                allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    world = build_world(tmp_path_factory.mktemp("office-browser"))
    with mock.patch.dict(os.environ, {"SUBSIDY_DB": world.db}), served() as (host, port, _):
        yield f"http://{host}:{port}", world


@pytest.fixture(scope="module")
def phone():  # type: ignore[no-untyped-def]
    with sync_api.sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS, viewport={"width": 375, "height": 800})
        try:
            yield context.new_page()
        finally:
            context.close()


def test_an_officer_signs_in_reads_a_file_of_its_city_and_signs_out(site, phone) -> None:  # type: ignore[no-untyped-def]
    base, world = site
    phone.goto(base + "/office")
    assert phone.url.endswith("/office/login")
    phone.get_by_label("用户名").fill("wuzhou-officer")
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.get_by_role("link", name="申报主体").click()
    phone.get_by_role("link", name=world.wuzhou_firm).click()
    assert "市场监管" in phone.locator("main").inner_text()  # the fact's source
    # nothing wider than the phone's screen but the table's own scrolling box
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    refused = phone.goto(base + f"/office/files/{world.nanning_firm}")
    assert refused is not None and refused.status == 403
    phone.goto(base + "/office")
    phone.get_by_role("button", name="退出").click()
    assert phone.url.endswith("/office/login")
    phone.goto(base + "/office/files")
    assert phone.url.endswith("/office/login")


def test_a_wrong_password_is_said_in_chinese(site, phone) -> None:  # type: ignore[no-untyped-def]
    base, _world = site
    phone.goto(base + "/office/login")
    phone.get_by_label("用户名").fill("wuzhou-auditor")
    phone.get_by_label("密码").fill("not the password")
    phone.get_by_role("button", name="登录").click()
    assert "用户名或密码不正确" in phone.locator("[role=alert]").inner_text()


def _sign_in(phone, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    phone.goto(base + "/office/login")
    phone.get_by_label("用户名").fill(name)
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    assert phone.url.endswith("/office")


def test_an_enterprise_corrects_what_it_declared_and_finds_its_report(site, phone) -> None:  # type: ignore[no-untyped-def]
    base, _world = site
    _sign_in(phone, base, "nanning-enterprise")
    phone.get_by_role("link", name="更正我申报的事项").click()
    assert "市场监管" in phone.locator("main").inner_text()  # the department's fact, read-only
    phone.get_by_label("申请人名称（长期）").fill("南宁示例科技有限公司")
    phone.get_by_label("理由").fill("名称写错了")
    phone.get_by_role("button", name="提交更正").click()
    assert "已保存 1 项更正" in phone.locator("main").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.get_by_role("link", name="报告").click()
    assert phone.get_by_role("link", name="测算报告（PDF）").is_visible()


def test_an_incubator_sees_its_firms_benefits_and_opens_one(site, phone) -> None:  # type: ignore[no-untyped-def]
    base, world = site
    _sign_in(phone, base, "nanning-incubator")
    phone.get_by_role("link", name="在孵企业").click()
    text = phone.locator("main").inner_text()
    assert "1 项，50000.00 元" in text and world.wuzhou_firm not in text  # its firm's one 50,000 yuan case
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.get_by_role("link", name=world.nanning_other).click()
    assert "市场监管" in phone.locator("main").inner_text()


def test_a_reviewer_approves_a_list_an_officer_prepared(site, phone) -> None:  # type: ignore[no-untyped-def]
    base, _world = site
    _sign_in(phone, base, "nanning-officer")
    phone.get_by_role("link", name="付款清单").click()
    phone.get_by_role("button", name="生成付款清单").click()
    assert "待审核" in phone.locator("main").inner_text()
    _sign_in(phone, base, "nanning-reviewer")
    phone.get_by_role("link", name="付款清单").click()
    phone.locator("table a").first.click()
    phone.get_by_label("理由").fill("金额与预算相符")
    phone.get_by_role("button", name="批准").click()
    assert "已批准" in phone.locator("main").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_an_auditor_reads_decisions_and_the_access_log(site, phone) -> None:  # type: ignore[no-untyped-def]
    base, _world = site
    _sign_in(phone, base, "nanning-auditor")
    phone.get_by_role("link", name="匹配结论（按政策和规则版本）").click()
    assert "规则版本" in phone.locator("main").inner_text()
    phone.goto(base + "/office")
    phone.get_by_role("link", name="访问记录").click()
    text = phone.locator("main").inner_text()
    assert "访问记录" in text and "nanning-enterprise" in text  # the enterprise's correction, logged
    assert phone.get_by_role("link", name="导出 CSV").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
