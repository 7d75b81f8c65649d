"""Chinese throughout: the 测算报告 (its page and its PDF's text) and the results workbook carry no English word and
no field code, only the receipt's digest, the applicant's own id and name, and units such as PDF; the PDF embeds
its Chinese font and prints every character; the report says when, where and with what to apply."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.answers.chinese import formula_text, period_text, unglossed
from guangxi_subsidy.engine.answers.pdffont import font_file
from guangxi_subsidy.engine.answers.report import report_bytes
from guangxi_subsidy.engine.applicant.profile import Profile

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {"PDF"}  # units and names a Chinese reader reads as they are
LATIN = re.compile(r"[A-Za-z][A-Za-z_.]*[A-Za-z]")



@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """These tests run the command in Chinese; the tests that follow expect the process's language back."""
    yield
    from guangxi_subsidy.engine.i18n import set_language

    set_language("en")

def case_profiles() -> list[tuple[Profile, dt.date | None]]:
    """One applicant from each file of worked cases: every benefit of the pack is somebody's."""
    found = []
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        for case in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("cases", []):
            if isinstance(case.get("profile"), dict) and case.get("expect"):
                day = case.get("as_of")
                found.append((Profile.model_validate(case["profile"]),
                              dt.date.fromisoformat(str(day)) if day else None))
                break
    return found


def latin_words(text: str, allowed: set[str]) -> set[str]:
    """The Latin words of a text, but those allowed and the parts of hexadecimal digests."""
    words = set()
    for word in LATIN.findall(text):
        if word in allowed or re.fullmatch(r"[0-9a-f]+", word) and len(word) < 64:
            continue
        if any(word in a for a in allowed):
            continue
        words.add(word)
    return words


def page_text(page: str) -> str:
    body = re.sub(r"<style.*?</style>", " ", page.split("<body", 1)[1], flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s*：\s*", "：", text)


def allowed_for(profile: Profile, digest: str) -> set[str]:
    return ALLOWED | {digest, profile.id, profile.name or ""}


def test_the_chinese_report_has_no_english_word_and_no_field_code(engine, pack) -> None:
    profiles = case_profiles()
    assert len(profiles) > 40  # (the pack's benefits, each shown to someone)
    found: dict[str, str] = {}
    for profile, day in profiles:
        evaluation = engine.evaluate(profile, as_of=day, include_drafts=True)
        text = page_text(report_bytes(evaluation, pack, ".html", "zh", signature=True).decode("utf-8"))
        for word in latin_words(text, allowed_for(profile, pack.digest)):
            found.setdefault(word, profile.id)
    assert found == {}


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture(scope="module")
def base_pdf(engine: Any, pack: Any) -> bytes:
    profile = Profile.model_validate(yaml.safe_load(
        (ROOT / "cases/profiles/nanning_incubation_base.yaml").read_text(encoding="utf-8")))
    return report_bytes(engine.evaluate(profile), pack, ".pdf", "zh", signature=True)


@pytest.mark.skipif(font_file() is None, reason="no Chinese font on this machine (make's set-up installs "
                                                 "fonts-noto-cjk as root on Debian)")
def test_the_pdf_embeds_its_chinese_font_and_prints_every_character(base_pdf: bytes, pack) -> None:
    assert b"/FontFile2" in base_pdf and b"STSong-Light" not in base_pdf  # the glyphs travel in the file
    text = pdf_text(base_pdf)
    # 002 三(四)18: 900,000 × 70% = 630,000, capped at 550,000
    for words in ("政策测算报告", "550,000.00 元", "实际缴纳房租和宽带接入费 × 70%", "引擎版本", " · ", "受理部门",
                  "申报时间", "申报材料", "创业孵化基地授牌", "经办人", "申报单位（盖章）"):
        assert words in text, words
    assert latin_words(text, ALLOWED | {pack.digest, "NN-BASE-001"}) == set()


def test_the_report_says_when_and_with_what_to_apply_from_the_rule_not_its_conditions(engine, pack) -> None:
    profile = Profile.model_validate(yaml.safe_load(
        (ROOT / "cases/profiles/nanning_incubation_base.yaml").read_text(encoding="utf-8")))
    text = page_text(report_bytes(engine.evaluate(profile), pack, ".html", "zh").decode("utf-8"))
    assert "申报时间：自授牌之日起" in text
    materials = text.split("申报材料", 1)[1].split("文件关于申报的原文", 1)[0]
    assert "创业孵化基地授牌" in materials and "实际缴纳的房租和宽带接入费" in materials
    assert "经认定为创业孵化基地的众创空间" not in materials  # a condition, not a document to submit
    assert "有效期：自2016年6月13日起施行，文件未规定截止日期" in text
    assert "经办人" not in text  # the signature block only when asked for


def test_a_formula_and_a_period_read_in_chinese() -> None:
    # 002 三(四)20: the interest on min(graduates × 10万, 200万 − the quota used) at the benchmark rate
    formula = "min(graduates_hired * 10万, 200万 - graduate_loan_quota_used) * pboc_one_year_lending_rate"
    assert formula_text(formula) == ("取较小者(新吸纳毕业年度高校毕业生数 × 10万, 200万 − 已享受贴息贷款额度) × "
                                     "中国人民银行公布的一年期贷款基准利率")
    assert period_text(dt.date(2015, 1, 1), dt.date(2020, 12, 31)) == "2015年1月1日至2020年12月31日"
    assert unglossed("8000元/学年 (8,000 yuan per academic year; 元 was lost)") == "8000元/学年"
    assert unglossed("区内 (可向自治区申请)") == "区内 (可向自治区申请)"


def test_the_results_workbook_has_no_english_word_and_no_field_code(tmp_path: Path, pack) -> None:
    import csv

    profiles = case_profiles()
    fields = sorted({k for p, _ in profiles for k in p.model_dump(exclude_none=True)} | {"as_of"})
    source = tmp_path / "applicants.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*fields, "备注"])
        writer.writeheader()
        for profile, day in profiles:
            data = profile.model_dump(mode="json", exclude_none=True)
            data["as_of"] = (day or profile.as_of or dt.date(2018, 6, 1)).isoformat()
            writer.writerow({k: _cell(v) for k, v in data.items()} | {"备注": "第一批"})
        writer.writerow({"id": "BAD-1", "kind": "企业", "city": "深圳"})
    out = tmp_path / "r.xlsx"
    result = CliRunner().invoke(cli, ["--lang", "zh", "batch", str(source), "-o", str(out), "-q",
                                      "--include-drafts"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    allowed = ALLOWED | {pack.digest, "applicants.csv", "BAD-1"} | {p.id for p, _ in profiles}
    found = set()
    for sheet in load_workbook(out, read_only=True):
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    found |= latin_words(value, allowed)
    assert found == set()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def test_lang_zh_explain_and_examples_print_no_english_word(pack) -> None:
    from guangxi_subsidy.data import examples

    commands = ([["examples"]]
                + [["evaluate", "--example", name, "--explain", "--include-drafts"] for name in examples()])
    typed = {"subsidy", "rules", "readings", "format", "json", "explain", "include", "drafts"}  # commands, options
    allowed = ALLOWED | set(pack.rules) | set(examples()) | typed
    found: dict[str, str] = {}
    for command in commands:
        result = CliRunner().invoke(cli, ["--lang", "zh", *command], env={"COLUMNS": "300"},
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        text = re.sub(r"\S*/cases/profiles/\S*", "", result.stdout)  # (the example's file, a path)
        ids = {Profile.model_validate(yaml.safe_load(p.read_text(encoding="utf-8"))).id
               for p in examples().values()}
        for word in latin_words(text, allowed | ids):
            found.setdefault(word, " ".join(command))
    assert found == {}


@pytest.mark.skipif(font_file() is None, reason="no Chinese font on this machine")
def test_two_reports_in_one_process_each_print_their_own_characters(engine, pack) -> None:
    """Each report embeds its own cut of the font: a second report's characters are never missing from it."""
    for name in ("guilin_bank", "nanning_incubation_base"):
        profile = Profile.model_validate(yaml.safe_load(
            (ROOT / f"cases/profiles/{name}.yaml").read_text(encoding="utf-8")))
        text = pdf_text(report_bytes(engine.evaluate(profile), pack, ".pdf", "zh", signature=True))
        assert str(profile.name) in text and "申报单位（盖章）" in text and "\x00" not in text
