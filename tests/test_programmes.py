"""One programme pays once: the parts of a programme exclude each other, so no total counts it twice."""

from __future__ import annotations

import dataclasses

from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.verify.programmes import check_programme, programmes


def test_the_pack_names_its_programmes_in_parts(pack: RulePack) -> None:
    found = {name: sorted(r.id for r in rules) for name, rules in programmes(pack).items()}
    assert found["guangxi.rd_investment_award"] == ["guangxi.rd_investment_award",
                                                    "guangxi.rd_investment_award_below_size"]
    assert found["nanning.vat_exemption_small_scale"] == ["nanning.vat_exemption_small_scale",
                                                          "nanning.vat_exemption_small_scale_quarterly"]


def test_each_programme_of_the_pack_pays_once_on_generated_profiles(pack: RulePack) -> None:
    engine = Engine(pack)
    for name, rules in programmes(pack).items():
        result = check_programme(engine, name, rules, examples=25)
        assert result.holds, (name, result.both, result.counterexample)


def test_a_part_whose_condition_is_dropped_is_found_paying_beside_the_other(pack: RulePack) -> None:
    below = pack.rules["guangxi.rd_investment_award_below_size"]
    broken = dataclasses.replace(below, conditions=tuple(c for c in below.conditions if c.id != "below_size"))
    rules = {**pack.rules, broken.id: broken}
    engine = Engine(dataclasses.replace(pack, rules=rules))
    parts = [rules["guangxi.rd_investment_award"], broken]
    result = check_programme(engine, "guangxi.rd_investment_award", parts, examples=50)
    assert not result.holds
    assert set(result.both) == {"guangxi.rd_investment_award", "guangxi.rd_investment_award_below_size"}
    # an above-size enterprise with R&D spending now meets both: up to 5,000,000 and up to 2,000,000 counted
    assert result.counterexample is not None and result.counterexample.get("above_designated_size") is True
