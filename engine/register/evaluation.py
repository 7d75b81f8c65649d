"""Evaluating from the register: the applicant's profile on a date (the facts that apply then, the fields the
ledger counts computed from it), evaluated as a profile file is, and the same document with what the register
adds: each fact's source, the awards counted, a declared value that disagrees, and the facts' versions in the
receipt. Keys are only added to `subsidy-evaluation/1`: a program that reads a file's document reads this one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import Evaluation, Outcome
from guangxi_subsidy.engine.register.applicants import find
from guangxi_subsidy.engine.register.ledger import Derived, awards_of, derivations, derive
from guangxi_subsidy.engine.register.profiles import KnownFact, applying, facts_of, profile_data


@dataclass(frozen=True)
class RegisterProfile:
    """An applicant as the register knew it on `known_on`, for the date `as_of`."""

    ref: str
    profile: Profile
    facts: dict[str, KnownFact]
    derived: tuple[Derived, ...]
    as_of: dt.date
    known_on: dt.date | None


def profile_on(session: Session, ref: str, as_of: dt.date, known_on: dt.date | None = None) -> RegisterProfile:
    """The applicant's profile on `as_of` from the facts and awards recorded by `known_on` (all: None)."""
    applicant = find(session, ref)
    chosen = applying(facts_of(session, applicant, known_on), as_of)
    data = profile_data(applicant, chosen, as_of)
    declared = {d.field: str(data[d.field]) for d in derivations() if d.field in data}
    derived = derive(awards_of(session, applicant, known_on), as_of, declared, applicant.kind)
    for item in derived:
        data[item.field] = item.value
    profile = parse_profile(data, applicant.ref)
    return RegisterProfile(applicant.ref, profile, chosen, tuple(derived), as_of, known_on)


def load(engine: Engine, ref: str, as_of: dt.date | None = None, known_on: dt.date | None = None) -> RegisterProfile:
    """`profile_on` in a session of its own (default date: today)."""
    with Session(engine) as session:
        return profile_on(session, ref, as_of or dt.date.today(), known_on)


def _fields_read(outcome: Outcome) -> set[str]:
    """The profile fields an outcome's checks and amount read."""
    fields = {name for check in outcome.checks for name in check.values}
    if outcome.award is not None:
        fields.update(outcome.award.inputs)
    return fields


def refusals(evaluation: Evaluation, found: RegisterProfile) -> list[dict[str, Any]]:
    """Each rule refused on a field counted from the ledger, with the awards that field counted."""
    derived = {d.field: d for d in found.derived}
    out = []
    for outcome in evaluation.outcomes:
        if outcome.status == "eligible":
            continue
        for check in outcome.failed:
            for name in sorted(set(check.values) & set(derived)):
                if derived[name].awards:
                    out.append({"rule_id": outcome.rule.id, "name": outcome.rule.name, "check": check.id,
                                "field": name, "value": derived[name].value,
                                "awards": [a.as_json() for a in derived[name].awards]})
    return out


def annotate(document: dict[str, Any], evaluation: Evaluation, found: RegisterProfile) -> dict[str, Any]:
    """The evaluation document with the register's keys added (none changed): on each benefit shown, the
    sources of the facts it read (`fact_sources`) and the ledger fields it read (`ledger`); at the top, the
    register's facts, ledger fields, disagreements and refusals naming awards; in the receipt, the facts'
    versions and the awards counted."""
    derived = {d.field: d for d in found.derived}
    outcomes = {o.rule.id: o for o in evaluation.outcomes}
    for benefit in document.get("benefits", []):
        outcome = outcomes.get(benefit.get("rule_id", ""))
        read = _fields_read(outcome) if outcome is not None else set()
        benefit["fact_sources"] = {f: found.facts[f].as_json() for f in sorted(read) if f in found.facts
                                   and f not in derived}
        benefit["ledger"] = [derived[f].as_json() for f in sorted(read) if f in derived]
    document["register"] = {
        "id": found.ref, "as_of": found.as_of.isoformat(),
        "known_on": None if found.known_on is None else found.known_on.isoformat(),
        "facts": [found.facts[f].as_json() for f in sorted(found.facts)],
        "derived": [d.as_json() for d in found.derived],
        "disagreements": [d.field for d in found.derived if d.disagrees],
        "refusals": refusals(evaluation, found),
    }
    receipt = document.setdefault("receipt", {})
    receipt["register_facts"] = {f: {"version": k.version, "period": str(k.period) or None,
                                     "recorded_at": k.recorded_at.isoformat()} for f, k in sorted(found.facts.items())}
    receipt["register_awards"] = sorted({a.reference for d in found.derived for a in d.awards})
    receipt["register_known_on"] = None if found.known_on is None else found.known_on.isoformat()
    return document


def _named(field: str) -> str:
    """A field as a person reads it: its Chinese label in Chinese, its name in English."""
    from guangxi_subsidy.engine.applicant.fields import field_labels
    from guangxi_subsidy.engine.i18n import language

    return field if language() == "en" else field_labels().get(field, field)


def ledger_lines(document: dict[str, Any], found: RegisterProfile) -> list[str]:
    """What the register adds to the table, as lines: each refusal that counted awards, with them named; each
    declared value that disagrees with the ledger."""
    from guangxi_subsidy.engine.i18n import _

    derived = {d.field: d for d in found.derived}
    lines = []
    for refusal in document["register"]["refusals"]:
        lines.append(_("✗ {0} ({1}): {2} = {3}, counted from the awards ledger:").format(
            refusal["name"], refusal["rule_id"], _named(refusal["field"]), refusal["value"]))
        lines.extend("  " + award.text(refusal["name"] if award.rule_id == refusal["rule_id"] else None)
                     for award in derived[refusal["field"]].awards)
    for item in found.derived:
        if item.disagrees:
            lines.append(_("⚠ {0}: declared {1}, the awards ledger gives {2} (the ledger's value is used)").format(
                _named(item.field), item.declared, item.value))
    return lines


def source_lines(found: RegisterProfile) -> list[str]:
    """Each fact the profile took, with its period, source and version (for --explain)."""
    from guangxi_subsidy.engine.i18n import _

    out = []
    for name in sorted(found.facts):
        fact = found.facts[name]
        out.append(_("{0} = {1} ({2}; {3}; version {4}, recorded {5} by {6})").format(
            _named(name), fact.value, str(fact.period) or _("standing"), fact.source_text(), fact.version,
            f"{fact.recorded_at:%Y-%m-%d}", fact.recorded_by))
    return out
