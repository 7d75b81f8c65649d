"""Coverage of the source documents: every money figure is encoded by a rule or explained as no benefit.

The five documents in seeds/ are scanned for figures that state an amount, a rate or a cap: a number
followed by 元, 万元, 亿元, 万, 亿, % or ％, and the damaged forms of document 002 where 元 and 人 were
lost ("2000/户", "1500/人", "1300//月", "8000/学年", "900/.月"). A number followed by 万 and a measure
word ("33万次", "65万人", "100万家") counts things, not yuan, and is not a money figure.

The text is read as provenance reads it (white space dropped, full-width forms folded by NFKC) and split into
clauses at 。 ; ! ? and line ends. A figure is *encoded* when it lies inside a passage that a rule quotes
(`source.quote`, `source.more_quotes`, another source's quotes, a reading's or `apply`'s quote),
*explained* when it lies inside the quote of a `not_encoded` entry
of its document's rule file (a target, a statistic, a rule of regulation that grants nothing), and
*unexplained* otherwise. A pack is complete when no figure is unexplained.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from guangxi_subsidy.engine.rules.compiled import CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.rules.provenance import SEEDS, normalise, quote_found

_NUMBER = r"\d+(?:\.\d+)?"
_MEASURE_WORDS = "次条份项家人名个件户张台套所元"
MONEY_FIGURE = re.compile(
    _NUMBER + r"(?:亿元|万元|元|亿|万(?![" + _MEASURE_WORDS + r"])|%|％|//月|/\.月|/户|/人|/学年)"
)
_CLAUSE_END = re.compile(r"[。;!?]")

ENCODED, EXPLAINED, UNEXPLAINED = "encoded", "explained", "unexplained"


@dataclass(frozen=True)
class Passage:
    """A quoted passage of one document and who quotes it: a rule, or a not_encoded entry and its reason."""

    document: str
    text: str
    rule: str | None = None
    clause: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Figure:
    text: str
    start: int
    end: int
    status: str
    rules: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class Clause:
    document: str
    text: str
    figures: tuple[Figure, ...]

    @property
    def status(self) -> str:
        statuses = {f.status for f in self.figures}
        if UNEXPLAINED in statuses:
            return UNEXPLAINED
        return ENCODED if ENCODED in statuses else EXPLAINED


@dataclass(frozen=True)
class Coverage:
    clauses: tuple[Clause, ...]
    documents: tuple[str, ...]
    unfound: tuple[Passage, ...] = field(default_factory=tuple)
    decisions: tuple[Passage, ...] = field(default_factory=tuple)  # not_encoded entries: what is not a rule, and why

    def figures(self, status: str | None = None) -> list[Figure]:
        return [f for c in self.clauses for f in c.figures if status is None or f.status == status]

    @property
    def complete(self) -> bool:
        return not self.figures(UNEXPLAINED)

    def counts(self) -> dict[str, int]:
        return {
            "documents": len(self.documents),
            "clauses": len(self.clauses),
            "figures": len(self.figures()),
            ENCODED: len(self.figures(ENCODED)),
            EXPLAINED: len(self.figures(EXPLAINED)),
            UNEXPLAINED: len(self.figures(UNEXPLAINED)),
        }


def passages(pack: RulePack) -> list[Passage]:
    """Every quoted passage of the pack: rules' and derived facts' quotes and more_quotes, not_encoded."""
    out: list[Passage] = []
    for rule in pack.derived.values():
        source = rule.spec.source
        if source is None:
            continue
        for quote in (source.quote, *source.more_quotes):
            out.append(Passage(rule.document.file, quote, rule=rule.id, clause=source.clause))
    for rule in pack.rules.values():
        for document, quote, clause in quoted_passages(rule):
            out.append(Passage(document, quote, rule=rule.id, clause=clause))
    for document, item in pack.not_encoded:
        out.append(Passage(document, item.quote, clause=item.clause, reason=item.reason))
    return out


def quoted_passages(rule: CompiledRule) -> list[tuple[str, str, str]]:
    """(document, quote, clause) of every passage a rule quotes: its sources, readings and how to apply.

    A reading's or an application's quote is looked for in the rule's own document first, then in its other
    sources' documents (a reading may turn on another document's words).
    """
    spec = rule.rule
    out: list[tuple[str, str, str]] = []
    for source in spec.sources:
        document = source.document or rule.document.file
        out.extend((document, q, source.clause) for q in (source.quote, *source.more_quotes))
    files = [rule.document.file, *[str(s.document) for s in spec.more_sources]]
    extra = [r.quote for r in spec.readings] + ([spec.apply.quote] if spec.apply else [])
    for quote in extra:
        found = next((f for f in files if quote_found(quote, f)), rule.document.file)
        out.append((found, quote, spec.source.clause))
    return out


def document_clauses(raw: str) -> Iterator[tuple[int, str]]:
    """The document's clauses in reading order, each with its offset in the normalised text."""
    offset = 0
    for line in raw.splitlines():
        text = normalise(line)
        start = 0
        for match in _CLAUSE_END.finditer(text):
            if match.end() > start:
                yield offset + start, text[start : match.end()]
            start = match.end()
        if start < len(text):
            yield offset + start, text[start:]
        offset += len(text)


def _spans(text: str, needle: str) -> Iterator[tuple[int, int]]:
    if not needle:
        return
    at = text.find(needle)
    while at >= 0:
        yield at, at + len(needle)
        at = text.find(needle, at + 1)


def scan(pack: RulePack, seeds: Path = SEEDS, quoted: Iterable[Passage] | None = None) -> Coverage:
    """Scan every seed document for money figures and find, for each, the rule or the reason that covers it.

    `quoted` replaces the pack's passages (used to show what happens when a quote is taken away).
    """
    by_document: dict[str, list[Passage]] = {}
    every = passages(pack) if quoted is None else list(quoted)
    for passage in every:
        by_document.setdefault(passage.document, []).append(passage)

    clauses: list[Clause] = []
    unfound: list[Passage] = []
    files = sorted(p for p in seeds.glob("*.txt") if p.is_file())
    for path in files:
        raw = path.read_text(encoding="utf-8")
        text = "".join(normalise(line) for line in raw.splitlines())
        covered: list[tuple[int, int, Passage]] = []
        for passage in by_document.get(path.name, []):
            spans = list(_spans(text, normalise(passage.text)))
            if not spans:
                unfound.append(passage)
            covered.extend((start, end, passage) for start, end in spans)
        for offset, clause in document_clauses(raw):
            figures = []
            for match in MONEY_FIGURE.finditer(clause):
                start, end = offset + match.start(), offset + match.end()
                over = [p for s, e, p in covered if s <= start and end <= e]
                rules = tuple(sorted({p.rule for p in over if p.rule is not None}))
                reasons = [p.reason for p in over if p.rule is None and p.reason]
                if rules:
                    figures.append(Figure(match.group(), start, end, ENCODED, rules))
                elif reasons:
                    figures.append(Figure(match.group(), start, end, EXPLAINED, reason=reasons[0]))
                else:
                    figures.append(Figure(match.group(), start, end, UNEXPLAINED))
            if figures:
                clauses.append(Clause(path.name, clause, tuple(figures)))
    decisions = tuple(p for p in every if p.rule is None)
    return Coverage(tuple(clauses), tuple(p.name for p in files), tuple(unfound), decisions)


def coverage_json(coverage: Coverage) -> dict[str, object]:
    return {
        "schema": "subsidy-coverage/1",
        "complete": coverage.complete,
        "counts": coverage.counts(),
        "clauses": [
            {
                "document": clause.document,
                "text": clause.text,
                "status": clause.status,
                "figures": [
                    {"figure": f.text, "status": f.status, "rules": list(f.rules), "reason": f.reason}
                    for f in clause.figures
                ],
            }
            for clause in coverage.clauses
        ],
        "not_encoded": [
            {"document": p.document, "clause": p.clause, "quote": p.text, "reason": p.reason}
            for p in coverage.decisions
        ],
        "quotes_not_found": [
            {"document": p.document, "rule": p.rule, "clause": p.clause, "quote": p.text}
            for p in coverage.unfound
        ],
    }
