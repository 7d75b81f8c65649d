"""Every rule is traceable: its quotes stand verbatim in its document, and damaged text is recorded with a reading."""

from __future__ import annotations

import pytest

from guangxi_subsidy.engine.rules.coverage import quoted_passages
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack
from guangxi_subsidy.engine.rules.provenance import SEEDS, normalise, quote_found, quote_verbatim

PACK = load_pack()
RULES = [r for r in [*PACK.rules.values(), *PACK.derived.values()] if r.spec.source is not None]
DAMAGED = [r for r in RULES if r.spec.source.raw is not None]


def test_every_seed_document_has_its_rule_file() -> None:
    assert sorted(p.name for p in SEEDS.glob("*.txt")) == sorted(PACK.documents)
    assert PACK.documents  # (however many documents there are: a new one is a seed and its rule file)


def test_every_rule_of_002_that_quotes_damaged_text_records_it() -> None:
    damaged = ("2000/户", "1300//月", "1500/人", "8000/学年", "/.月", "20171231日", "13分")
    for rule in RULES:
        quotes = normalise(" ".join([rule.spec.source.quote, *rule.spec.source.more_quotes]))
        if any(normalise(mark) in quotes for mark in damaged):
            assert rule.spec.source.raw is not None, f"{rule.id} quotes damaged text without recording it"


def test_normalise_folds_full_width_punctuation_and_space() -> None:
    assert normalise("对担保机构，为 中小微企业（含）") == normalise("对担保机构,为中小微企业(含)")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_quote_is_found_in_its_document(rule) -> None:  # type: ignore[no-untyped-def]
    source = rule.spec.source
    for quote in [source.quote, *source.more_quotes]:
        assert quote_found(quote, rule.document.file), f"{rule.id}: quote not in {rule.document.file}: {quote}"


@pytest.mark.parametrize("rule", list(PACK.rules.values()), ids=lambda r: r.id)
def test_every_passage_a_rule_quotes_stands_in_its_seed_byte_for_byte(rule) -> None:  # type: ignore[no-untyped-def]
    for document, quote, _ in quoted_passages(rule):
        assert quote_verbatim(quote, document), f"{rule.id}: not verbatim in {document}: {quote!r}"


def test_every_not_encoded_quote_stands_in_its_seed_byte_for_byte() -> None:
    for document, item in PACK.not_encoded:
        assert quote_verbatim(item.quote, document), f"not_encoded {item.clause}: {item.quote!r}"


def test_a_quote_that_differs_only_by_a_no_break_space_is_found_but_not_verbatim() -> None:
    seed = "002_b0a6d818020c8865.txt"
    written = "对每家企业奖励金额不超过100 万元"  # a plain space where the seed has U+00A0
    assert quote_found(written, seed)
    assert not quote_verbatim(written, seed)
    assert quote_verbatim(written.replace(" ", "\u00a0"), seed)


@pytest.mark.parametrize("rule", list(PACK.rules.values()), ids=lambda r: r.id)
def test_a_place_other_than_the_documents_is_decided_by_quoted_words(rule) -> None:  # type: ignore[no-untyped-def]
    if rule.jurisdiction != rule.document.jurisdiction:
        words = rule.rule.jurisdiction_quote
        assert words and any(normalise(words) in normalise(q) for _, q, _ in quoted_passages(rule)), rule.id


@pytest.mark.parametrize("rule", DAMAGED, ids=lambda r: r.id)
def test_damaged_text_is_recorded_raw_and_found_in_the_quote(rule) -> None:  # type: ignore[no-untyped-def]
    source = rule.spec.source
    assert normalise(source.raw) in normalise(source.quote)
    assert source.reading


def test_quote_search_fails_for_text_not_in_the_document(pack: RulePack) -> None:
    assert not quote_found("补贴标准按照每个基地每年实际缴纳的房租的80%给予补助", "002_b0a6d818020c8865.txt")
