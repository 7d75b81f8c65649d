"""The command line: what people see, what scripts parse, and exit codes they can rely on."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from guangxi_subsidy.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "cases" / "profiles" / "nanning_incubation_base.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_evaluate_prints_the_benefit_document_clause_and_amount() -> None:
    code, out, _ = run("evaluate", str(DEMO))
    assert code == 0
    assert "创业孵化基地房租和宽带接入费补助" in out
    assert "550,000.00" in out
    assert "三(四)18" in out


def test_json_output_has_the_documented_shape_with_decimal_strings() -> None:
    code, out, _ = run("evaluate", str(DEMO), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "subsidy-evaluation/1"
    benefit = next(b for b in data["benefits"] if b["rule_id"] == "nanning.incubation_base_rent_subsidy")
    assert benefit["amount"]["value"] == "550000.00"
    assert benefit["amount"]["caps"][0]["bit"] is True
    assert data["totals"]["grants"] == "550000.00"
    assert data["receipt"]["rules_digest"]


def test_explain_names_the_failed_jurisdiction(tmp_path: Path) -> None:
    profile = tmp_path / "liuzhou.yaml"
    profile.write_text(DEMO.read_text(encoding="utf-8").replace("南宁", "柳州"), encoding="utf-8")
    code, out, _ = run("evaluate", str(profile), "--format", "json", "--explain")
    assert code == 0
    data = json.loads(out)
    benefit = next(b for b in data["benefits"] if b["rule_id"] == "nanning.incubation_base_rent_subsidy")
    assert benefit["status"] == "not_eligible"
    assert benefit["failed"] == ["jurisdiction"]
    check = next(c for c in benefit["checks"] if c["id"] == "jurisdiction")
    assert check["values"] == {"city": "liuzhou"}
    code, out, _ = run("evaluate", str(profile), "--explain")
    assert "(nanning.incubation_base_rent_subsidy): city in nanning [city = liuzhou]" in out


def test_a_bad_profile_names_field_value_and_expectation_and_exits_2(tmp_path: Path) -> None:
    profile = tmp_path / "bad.yaml"
    profile.write_text("id: x\nkind: incubation_base\ncity: nanning\nrent_and_broadband_paid: -5\n"
                       "recognised_incubaton_base: true\n", encoding="utf-8")
    code, _, err = run("evaluate", str(profile))
    assert code == 2
    assert "rent_and_broadband_paid" in err and "-5" in err and "greater than or equal to 0" in err
    assert "recognised_incubaton_base" in err and "did you mean 'recognised_incubation_base'" in err
    assert "Traceback" not in err


def test_an_unknown_city_is_refused_with_the_value(tmp_path: Path) -> None:
    profile = tmp_path / "bad.yaml"
    profile.write_text("id: x\nkind: enterprise\ncity: 深圳\n", encoding="utf-8")
    code, _, err = run("evaluate", str(profile))
    assert code == 2 and "深圳" in err and "city" in err


def test_schema_is_json_schema_of_the_profile() -> None:
    code, out, _ = run("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "Profile" and "rent_and_broadband_paid" in schema["properties"]


def test_rules_check_refuses_a_bad_file_with_exit_2() -> None:
    code, _, err = run("rules", "check", str(ROOT / "tests" / "invalid_rules" / "code_injection.yaml"))
    assert code == 2
    assert "test.code_injection" in err and "column" in err


def test_rules_check_passes_the_bundled_pack() -> None:
    code, out, _ = run("rules", "check")
    assert code == 0 and "ok" in out


def test_rules_show_prints_quote_period_departments_and_formula() -> None:
    code, out, _ = run("rules", "show", "nanning.incubated_firm_one_time_subsidy")
    assert code == 0
    for text in ("2000/户", "2000元/户", "2016-06-13", "市人社局", "months_operating_in_base >= 12"):
        assert text in out


def test_rules_show_unknown_id_suggests_and_exits_2() -> None:
    code, _, err = run("rules", "show", "nanning.incubation_base_rent_subsidi")
    assert code == 2 and "nanning.incubation_base_rent_subsidy" in err


def test_rules_list_json_lists_rule_ids() -> None:
    code, out, _ = run("rules", "list", "--format", "json")
    assert code == 0
    assert "guangxi.sme_loan_risk_compensation" in {r["id"] for r in json.loads(out)}


def test_the_case_runner_passes_and_reports_counts() -> None:
    code, out, _ = run("test", str(ROOT / "cases"))
    assert code == 0, out
    assert " passed, 0 failed" in out


def test_an_internal_error_exits_1_without_a_traceback(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from guangxi_subsidy.engine.evaluation import evaluate as evaluate_module

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(evaluate_module.Engine, "evaluate", boom)
    code, _, err = run("evaluate", str(DEMO))
    assert code == 1 and "internal error" in err and "Traceback" not in err
