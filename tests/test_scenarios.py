"""Reforms, date comparisons, what-if curves and charts, as the CLI and the engine give them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.applicant.reading import load_profile, parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.rules.pack import load_pack
from guangxi_subsidy.engine.scenarios.charts import budget_svg
from guangxi_subsidy.engine.scenarios.compare import compare
from guangxi_subsidy.engine.scenarios.reform import ReformError, load_reform
from guangxi_subsidy.engine.scenarios.whatif import vary

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "cases" / "profiles" / "nanning_incubation_base.yaml"
RENT_CAP = ROOT / "cases" / "reforms" / "rent_cap_60wan.yaml"
RENT = "nanning.incubation_base_rent_subsidy"
PACK = load_pack()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200", "SUBSIDY_LANG": "en"})
    return result.exit_code, result.stdout, result.stderr


def reform_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reform.yaml"
    path.write_text("schema: subsidy-reform/1\nname: test reform\nchanges:\n" + text, encoding="utf-8")
    return path


def test_raising_the_rent_cap_to_600000_gives_the_base_50000_more_in_the_cli() -> None:
    # 900,000 × 70% = 630,000: capped at 550,000 today, at 600,000 under the reform; +50,000.00.
    code, out, _ = run("evaluate", str(BASE), "--reform", str(RENT_CAP))
    assert code == 0
    row = next(line for line in out.splitlines() if "创业孵化基地房租和宽带" in line)
    assert "550,000.00" in row and "600,000.00" in row and "+50,000.00" in row
    code, out, _ = run("evaluate", str(BASE), "--reform", str(RENT_CAP), "--format", "json")
    data = json.loads(out)
    line = next(b for b in data["comparison"]["benefits"] if b["rule_id"] == RENT)
    assert (line["baseline"]["amount"]["value"], line["reform"]["amount"]["value"], line["difference"]) == (
        "550000.00", "600000.00", "50000.00")
    assert data["reform"]["changes"][0]["reason"]
    assert data["baseline"]["totals"]["grants"] == "550000.00"


def test_the_batch_summary_of_the_rent_cap_reform_shows_the_bases_50000(tmp_path: Path) -> None:
    applicants = tmp_path / "applicants.csv"
    applicants.write_text(
        "id,kind,city,as_of,recognised_incubation_base,rent_and_broadband_paid,rent_subsidy_years_received\n"
        "NN-BASE-001,incubation_base,南宁,2017-03-01,是,900000,0\n"
        "NN-BASE-002,incubation_base,南宁,2017-03-01,是,500000,0\n",  # 350,000 either way
        encoding="utf-8")
    summary = tmp_path / "summary.json"
    code, _, err = run("batch", str(applicants), "-o", str(tmp_path / "r.csv"), "--reform", str(RENT_CAP),
                       "--summary", str(summary), "--quiet")
    assert code == 0, err
    scenario = json.loads(summary.read_text(encoding="utf-8"))["scenario"]
    rent = next(b for b in scenario["benefits"] if b["rule_id"] == RENT)
    assert (rent["baseline"]["amount"], rent["alternative"]["amount"], rent["difference"]) == (
        "900000.00", "950000.00", "50000.00")  # 550,000 + 350,000 against 600,000 + 350,000
    assert scenario["applicants"]["gain"] == 1 and scenario["applicants"]["unchanged"] == 1
    assert scenario["applicants"]["gained"] == "50000.00"
    assert scenario["departments"]["南宁市科技局"]["alternative"]["grants"] == "950000.00"
    difference = (tmp_path / "r.difference.csv").read_text(encoding="utf-8-sig").splitlines()
    assert difference[1].startswith("2,NN-BASE-001,,550000.00,600000.00,50000.00")
    assert difference[1].endswith(RENT)
    assert (tmp_path / "r.reform.csv").exists()
    code, _, _ = run("chart", str(summary), "-o", str(tmp_path / "budget.svg"), "--by", "department")
    assert code == 0
    ET.parse(tmp_path / "budget.svg")


@pytest.mark.parametrize(("text", "expected"), [
    ("  - rule: nanning.incubation_base_rent_subsidy\n    cpa: 60万\n    reason: typo\n", "line 5, changes[0].cpa"),
    ("  - rule: nanning.incubated_firm_one_time_subsidy\n    conditions: {full_year: 'months >= 6'}\n"
     "    reason: shorter\n", "unknown field 'months'"),
    ("  - rule: nanning.incubation_base_rent_subsidi\n    cap: 1\n    reason: unknown\n",
     "did you mean 'nanning.incubation_base_rent_subsidy'"),
    ("  - repeal: nanning.nothing\n    reason: gone\n", "no rule 'nanning.nothing'"),
    ("  - rule: nanning.incubated_firm_utilities_subsidy\n    formula: has_site_lease\n    reason: typed\n",
     "changes[0] → amount.formula"),
])
def test_a_bad_reform_is_refused_with_its_file_and_line_and_exit_2(tmp_path: Path, text: str, expected: str) -> None:
    path = reform_file(tmp_path, text)
    with pytest.raises(ReformError) as error:
        load_reform(path, PACK)
    assert expected in str(error.value) and str(path) in str(error.value)
    code, _, err = run("evaluate", str(BASE), "--reform", str(path))
    assert code == 2
    assert "reform refused" in err


def test_a_reform_changes_rates_thresholds_periods_beneficiaries_parameters_and_adds_and_repeals(
        tmp_path: Path) -> None:
    path = reform_file(tmp_path, """\
  - rule: nanning.incubation_base_rent_subsidy
    formula: rent_and_broadband_paid * 60%
    beneficiary: [incubation_base, entrepreneurship_park]
    reason: rate cut to 60%, parks too
  - rule: nanning.incubated_firm_one_time_subsidy
    conditions: {full_year: months_operating_in_base >= 6}
    effective: {from: 2016-06-13, to: 2016-12-31}
    reason: half a year is enough, until the end of 2016
  - parameter: vat_small_scale_levy_rate
    values: {2017-01-01: {value: 1%, reference: drawn down for the test}}
    reason: levy rate
  - repeal: nanning.internship_subsidy
    reason: repealed
""")
    reform = load_reform(path, PACK)
    assert "nanning.internship_subsidy" not in reform.pack.rules
    assert [c.kind for c in reform.changes] == ["rule", "rule", "parameter", "repeal"]
    engine = Engine(reform.pack)
    base = engine.evaluate(load_profile(BASE))
    rent = next(o for o in base.outcomes if o.rule.id == RENT)
    assert rent.award is not None and rent.award.value == Decimal("540000.00")  # 900,000 × 60%, below the cap
    park = parse_profile({**load_profile(BASE).model_dump(exclude_none=True), "kind": "entrepreneurship_park"})
    rent = next(o for o in engine.evaluate(park).outcomes if o.rule.id == RENT)
    assert rent.award is not None and rent.award.value == Decimal("540000.00")
    firm = parse_profile({"id": "F", "kind": "enterprise", "city": "南宁", "as_of": "2016-10-01",
                          "in_incubation_base": True, "months_operating_in_base": 6,
                          "social_insurance_paid_in_full": True, "one_time_subsidy_received": False})
    outcome = next(o for o in engine.evaluate(firm).outcomes if o.rule.id == "nanning.incubated_firm_one_time_subsidy")
    assert outcome.status == "eligible"
    later = next(o for o in engine.evaluate(firm, as_of=load_profile(BASE).as_of).outcomes
                 if o.rule.id == "nanning.incubated_firm_one_time_subsidy")
    assert later.status == "expired"
    vat = parse_profile({"id": "V", "kind": "enterprise", "city": "南宁", "as_of": "2017-03-01",
                         "vat_small_scale_taxpayer": True, "monthly_sales": 20000})
    exemption = next(o for o in engine.evaluate(vat).outcomes if o.rule.id == "nanning.vat_exemption_small_scale")
    assert exemption.award is not None and exemption.award.value == Decimal("200.00")  # 20,000 × 1%


def test_compare_dates_names_what_ended(tmp_path: Path) -> None:
    # 002 (二)10: the VAT exemption runs to 2017-12-31; 20,000 × 3% = 600.00 in 2017, nothing in 2018.
    profile = tmp_path / "vat.yaml"
    profile.write_text("id: V\nkind: enterprise\ncity: 南宁\nvat_small_scale_taxpayer: true\nmonthly_sales: 20000\n",
                       encoding="utf-8")
    engine = Engine(PACK)
    applicant = load_profile(profile)
    before, after = (engine.evaluate(applicant, as_of=day) for day in (date(2017, 6, 30), date(2018, 1, 1)))
    lines = compare(before, after)
    vat = next(line for line in lines if line.rule_id == "nanning.vat_exemption_small_scale")
    assert vat.change == "ended" and vat.difference == Decimal("-600.00")
    code, out, _ = run("compare", str(profile), "--as-of", "2017-06-30", "--as-of", "2018-01-01", "--format", "json")
    assert code == 0
    benefits = json.loads(out)["comparison"]["benefits"]
    assert next(b for b in benefits if b["rule_id"] == "nanning.vat_exemption_small_scale")["change"] == "ended"
    code, _, err = run("compare", str(profile), "--as-of", "2017-06-30")
    assert code == 2 and "two" in err


def test_whatif_follows_the_rent_subsidy_up_to_its_cap(tmp_path: Path) -> None:
    # 70% of the rent, capped at 550,000 (reached at 785,714.29): 0 pays nothing (nothing paid), 200,000 → 140,000,
    # 400,000 → 280,000, 600,000 → 420,000, 800,000 and 1,000,000 → 550,000.
    curve = vary(Engine(PACK), load_profile(BASE), "rent_and_broadband_paid", Decimal(0), Decimal(1_000_000), 6)
    assert curve.values == (0, 200000, 400000, 600000, 800000, 1000000)
    assert curve.series()[RENT] == [None, Decimal("140000.00"), Decimal("280000.00"), Decimal("420000.00"),
                                    Decimal("550000.00"), Decimal("550000.00")]
    chart = tmp_path / "rent.svg"
    code, out, _ = run("whatif", str(BASE), "--vary", "rent_and_broadband_paid", "--from", "0", "--to", "1000000",
                       "--steps", "6", "--chart", str(chart))
    assert code == 0 and "420,000.00" in out
    svg = ET.parse(chart).getroot()
    assert svg.tag.endswith("svg") and "创业孵化基地房租和宽带接入费补助" in chart.read_text(encoding="utf-8")
    code, _, err = run("whatif", str(BASE), "--vary", "city", "--from", "0", "--to", "1")
    assert code == 2 and "numeric profile field" in err


def test_the_budget_chart_draws_each_benefit_on_both_sides() -> None:
    scenario = {"label": "60万", "benefits": [
        {"name": "房租补助", "baseline": {"amount": "550000.00"}, "alternative": {"amount": "600000.00"}},
        {"name": "未变", "baseline": {"amount": "0.00"}, "alternative": {"amount": "0.00"}}],
        "departments": {}}
    svg = budget_svg(scenario)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "房租补助" in texts and "550,000.00" in texts and "600,000.00" in texts
    assert "未变" not in texts  # nothing on either side: left out


PNG = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header chunk."""
    data = path.read_bytes()
    assert data.startswith(PNG)
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_charts_are_also_written_as_png_pictures(tmp_path: Path) -> None:
    curve = tmp_path / "rent.png"
    code, _, err = run("whatif", str(BASE), "--vary", "rent_and_broadband_paid", "--from", "0", "--to", "1000000",
                       "--steps", "6", "--chart", str(curve))
    assert code == 0, err
    width, height = png_size(curve)
    assert width > 600 and height > 300
    applicants = tmp_path / "a.csv"
    applicants.write_text(
        "id,kind,city,as_of,recognised_incubation_base,rent_and_broadband_paid,rent_subsidy_years_received\n"
        "NN-BASE-001,incubation_base,南宁,2017-03-01,是,900000,0\n", encoding="utf-8")
    summary = tmp_path / "s.json"
    assert run("batch", str(applicants), "-o", str(tmp_path / "r.csv"), "--reform", str(RENT_CAP),
               "--summary", str(summary), "--quiet")[0] == 0
    for by in ("benefit", "department"):
        picture = tmp_path / f"{by}.png"
        code, _, err = run("chart", str(summary), "-o", str(picture), "--by", by)
        assert code == 0, err
        assert png_size(picture)[0] > 600
    code, _, err = run("chart", str(summary), "-o", str(tmp_path / "b.jpg"))
    assert code == 2 and ".svg or .png" in err
