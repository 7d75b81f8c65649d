"""The interface in Chinese when the locale is Chinese (or --lang zh), in English with --lang en."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from guangxi_subsidy.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "cases/profiles/nanning_incubation_base.yaml"
SUBSIDY = [sys.executable, "-c", "from guangxi_subsidy.cli.main import main; main()"]


def subsidy(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it, with the locale given (and SUBSIDY_LANG as the environment has it)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("SUBSIDY_LANG", "LC_ALL", "LC_MESSAGES")}
    environment.update(COLUMNS="200", **env)
    return subprocess.run([*SUBSIDY, *args], capture_output=True, text=True, env=environment, timeout=300)


def test_a_chinese_locale_prints_chinese_headings_statuses_and_explanation_sentences() -> None:
    done = subsidy("evaluate", str(EXAMPLE), "--explain", LANG="zh_CN.UTF-8")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for text in ("补贴", "文件 · 条款", "状态", "金额（元）", "符合条件", "补助合计（已量化）",
                 "众创空间/创业孵化基地"):
        assert text in out, text
    # the checks as sentences, with labels, values and units from the field metadata
    assert "✓ 经认定为创业孵化基地：是" in out
    assert "✓ 已享受房租补助 0 年（需少于 2 年）" in out
    assert "✓ 实际缴纳房租和宽带接入费 900,000.00 元（需超过 0 元）" in out
    assert "上限 55万" in out and "← 已封顶" in out
    assert "kind in incubation_base" not in out


def test_a_sentence_reads_a_count_with_its_unit() -> None:
    from guangxi_subsidy.engine.answers.sentences import sentence
    from guangxi_subsidy.engine.evaluation.evaluate import Check

    check = Check("full_year", "months_operating_in_base >= 12", True, {"months_operating_in_base": 12})
    assert sentence(check) == "在基地正常纳税经营 12 个月（需满 12 个月）"
    lender = Check("lender", 'lender_type in ["bank", "loan_company"]', False, {"lender_type": None})
    assert sentence(lender) == "放贷机构类型：未填写（需为 银行业金融机构、贷款公司）"


def test_lang_en_prints_the_english_interface_even_in_a_chinese_locale() -> None:
    done = subsidy("--lang", "en", "evaluate", str(EXAMPLE), "--explain", LANG="zh_CN.UTF-8")
    assert done.returncode == 0, done.stderr
    for text in ("Benefit", "Document · clause", "eligible", "✓ kind in incubation_base   [kind = incubation_base]",
                 "Total grants (quantified)", "← applied"):
        assert text in done.stdout, text
    assert "符合条件" not in done.stdout


def test_subsidy_lang_chooses_the_language_and_help_is_translated() -> None:
    done = subsidy("batch", "--help", SUBSIDY_LANG="zh", LANG="en_US.UTF-8")
    assert done.returncode == 0, done.stderr
    assert "评估 APPLICANTS" in done.stdout and "有行未通过时以退出码 3 结束" in done.stdout
    assert "申请人可以享受广西哪些创新创业补贴" in subsidy("--lang", "zh", "--help").stdout


def test_errors_name_the_field_by_its_label_in_chinese(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("id: A\nkind: 孵化基\ncity: 南宁\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--lang", "zh", "evaluate", str(profile)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "错误：" in result.stderr and "申请人类型 (kind)" in result.stderr and "您是不是要填" in result.stderr
    CliRunner().invoke(cli, ["--lang", "en", "schema"])  # (back to English for the tests that follow)
