"""The clauses of the five documents, each with what became of it: a rule, or a recorded reason it grants nothing.

The figure scan (`coverage.py`) proves that no amount was dropped; this proves that no clause was. Each seed is
cut into its numbered units as the pack names them: a chapter and its section (`三(七)`), a numbered item within
a section (`三(三)13`, `二(一)3`), an item of a list written 一是 … 二是 (`一(一) 三是`), a task of the 2018
plan's table (`任务分工表 (65)`) and the main task beside it (`任务分工表 43`); what comes before the first
chapter is the preamble (`前言`). A clause is

- *encoded* when a rule quotes it and the rule states an amount (a formula, tiers, a range, an estimate or a
  ceiling), *unquantified* or *non-monetary* when the rules quoting it are only such;
- *not a benefit* when a `not_encoded` entry quotes it, or a `not_benefits` group of its document's rule file
  names it, each with its reason;
- *unaccounted* otherwise. A complete pack has none (a test holds it).

A passage covers a clause when their places in the document (its text normalised as provenance reads it)
overlap, so a quote is found whatever clause label its rule gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from guangxi_subsidy.engine.rules.coverage import Passage, passages
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.rules.provenance import SEEDS, normalise

ENCODED, UNQUANTIFIED, NON_MONETARY, NOT_A_BENEFIT, UNACCOUNTED = (
    "encoded", "unquantified", "non_monetary", "not_a_benefit", "unaccounted")
STATUSES = (ENCODED, UNQUANTIFIED, NON_MONETARY, NOT_A_BENEFIT, UNACCOUNTED)
PREAMBLE = "前言"

_NUMERAL = "一二三四五六七八九十"
_CHAPTER = re.compile(rf"^([{_NUMERAL}]+)、")
_SECTION = re.compile(rf"^\(([{_NUMERAL}]+)\)")
_ITEM = re.compile(r"(?:^|(?<=[。;]))(\d{1,2})\.(?!\d)")
_LISTED = re.compile(rf"(?:^|(?<=[。;]))([{_NUMERAL}]是)")
_TASK = re.compile(r"^\((\d{1,3})\)$")
_TITLE_ONLY = 40  # a section line this short is a heading, its text in the lines that follow


@dataclass(frozen=True)
class Unit:
    """One clause: its label, where it stands in the normalised text, and its text."""

    document: str
    label: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ClauseStatus:
    unit: Unit
    status: str
    rules: tuple[str, ...] = ()
    reason: str | None = None


def _split(text: str, pattern: re.Pattern[str]) -> list[tuple[str | None, int, str]]:
    """The text cut at each marker: (marker or None for what precedes the first, offset, text)."""
    marks = list(pattern.finditer(text))
    if not marks:
        return [(None, 0, text)]
    out: list[tuple[str | None, int, str]] = []
    if marks[0].start() > 0:
        out.append((None, 0, text[: marks[0].start()]))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out.append((mark.group(1), mark.start(), text[mark.start():end]))
    return out


def units(file: str, seeds: Path = SEEDS) -> list[Unit]:
    """The document's clauses in reading order (empty lines and bare headings are no clause)."""
    raw = (seeds / file).read_text(encoding="utf-8")
    out: list[Unit] = []
    chapter = section = None
    offset = 0
    table = False

    def add(label: str, start: int, text: str) -> None:
        if not text:
            return
        if out and out[-1].label == label and out[-1].end == start:  # one clause over several lines
            last = out[-1]
            out[-1] = Unit(file, label, last.start, start + len(text), last.text + text)
        else:
            out.append(Unit(file, label, start, start + len(text), text))

    for line in raw.splitlines():
        cells = [normalise(c) for c in line.split("\t")]
        text = "".join(cells)
        if not text:
            continue
        if "任务分工表" in text and len(text) < 60:
            table = True
        if table and "\t" not in line:
            pass  # a heading of the table: its tasks are the clauses
        elif table:
            at = offset
            for i, cell in enumerate(cells):
                if cell.isdigit() and i + 1 < len(cells):
                    add(f"任务分工表 {cell}", at, cell + cells[i + 1])
                elif _TASK.match(cell) and i + 1 < len(cells):
                    add(f"任务分工表 ({cell[1:-1]})", at, cell + "".join(cells[i + 1:]))
                    break
                at += len(cell)
        else:
            found, chapter, section = _clauses(text, chapter, section)
            for label, start, part in found:
                add(label, offset + start, part)
        offset += len(text)
    return out


def _clauses(text: str, chapter: str | None, section: str | None
             ) -> tuple[list[tuple[str, int, str]], str | None, str | None]:
    """A line's clauses with their labels, and the chapter and section in force after it."""
    found = _CHAPTER.match(text)
    if found:
        chapter, section = found.group(1), None
        if len(text) <= _TITLE_ONLY:
            return [], chapter, section
    found = _SECTION.match(text)
    if found and chapter is not None:
        section = found.group(1)
        if len(text) <= _TITLE_ONLY:
            return [], chapter, section
    if chapter is None:
        return [(PREAMBLE, 0, text)], chapter, section
    base = chapter + (f"({section})" if section else "")
    out = []
    for item, start, part in _split(text, _ITEM):
        label = f"{base}{item}" if item else base
        for listed, inner, piece in _split(part, _LISTED):
            out.append((f"{label} {listed}" if listed else label, start + inner, piece))
    if len(out) > 1 and out[0][0] == base and len(out[0][2]) <= _TITLE_ONLY:
        out = out[1:]  # the section's title, before its numbered items: a heading, not a clause
    return out, chapter, section


def classify(pack: RulePack, seeds: Path = SEEDS) -> list[ClauseStatus]:
    """Every clause of every document with its status, in document and reading order."""
    every = passages(pack)
    kinds = {rule.id: rule.rule.amount.kind for rule in pack.rules.values()}
    groups = {(document, clause): reason for document, clause, reason in pack.not_benefits}
    out: list[ClauseStatus] = []
    for path in sorted(p for p in seeds.glob("*.txt") if p.is_file()):
        text = "".join(normalise(line) for line in path.read_text(encoding="utf-8").splitlines())
        spans = [(s, e, p) for p in every if p.document == path.name for s, e in _spans(text, normalise(p.text))]
        for unit in units(path.name, seeds):
            over = [p for s, e, p in spans if s < unit.end and unit.start < e]
            out.append(_status(unit, over, kinds, groups.get((path.name, unit.label))))
    return out


def _status(unit: Unit, over: list[Passage], kinds: Mapping[str, str], group: str | None) -> ClauseStatus:
    rules = tuple(sorted({p.rule for p in over if p.rule is not None}))
    if rules:
        found = {kinds.get(r, "non_monetary") for r in rules}
        status = (UNQUANTIFIED if "unquantified" in found else NON_MONETARY) if found <= {
            "unquantified", "non_monetary"} else ENCODED
        return ClauseStatus(unit, status, rules)
    reasons = [p.reason for p in over if p.reason]
    if reasons or group:
        return ClauseStatus(unit, NOT_A_BENEFIT, reason=reasons[0] if reasons else group)
    return ClauseStatus(unit, UNACCOUNTED)


def _spans(text: str, needle: str) -> Iterator[tuple[int, int]]:
    at = text.find(needle) if needle else -1
    while at >= 0:
        yield at, at + len(needle)
        at = text.find(needle, at + 1)


def counts(statuses: list[ClauseStatus]) -> dict[str, dict[str, int]]:
    """Per document, the number of clauses in each status."""
    out: dict[str, dict[str, int]] = {}
    for item in statuses:
        row = out.setdefault(item.unit.document, dict.fromkeys(STATUSES, 0))
        row[item.status] += 1
    return out


def coverage_document(pack: RulePack, seeds: Path = SEEDS) -> dict[str, object]:
    """`subsidy rules coverage --format json` (and the API's /coverage): the figures, then the clauses."""
    from guangxi_subsidy.engine.rules.coverage import coverage_json, scan

    return {**coverage_json(scan(pack, seeds)), "clause_coverage": clauses_json(classify(pack, seeds))}


def clauses_json(statuses: list[ClauseStatus]) -> dict[str, object]:
    return {
        "complete": not any(s.status == UNACCOUNTED for s in statuses),
        "counts": counts(statuses),
        "clauses": [
            {"document": s.unit.document, "clause": s.unit.label, "status": s.status, "rules": list(s.rules),
             "reason": s.reason, "text": s.unit.text}
            for s in statuses
        ],
    }
