"""The answer for people at a terminal: the table, the explanation trees, might-apply and the near misses.

The same evaluation as `answers/document.py` gives programs, drawn for a person. What people read is built of
rich `Text` (engine/plaintext.py): a name, a value or a quote is shown as written, never read as markup.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from guangxi_subsidy.engine.answers import chinese
from guangxi_subsidy.engine.answers.combined import not_combined_line
from guangxi_subsidy.engine.answers.document import totals
from guangxi_subsidy.engine.answers.guidance import guidance_lines
from guangxi_subsidy.engine.answers.sentences import change_text, choice_label, gain_text, sentence, value_text
from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.applicant.spellings import KIND_LABELS as KIND_NAMES
from guangxi_subsidy.engine.evaluation.award import Award
from guangxi_subsidy.engine.evaluation.evaluate import Check, Evaluation, Outcome
from guangxi_subsidy.engine.evaluation.nearmiss import NearMiss, near_misses
from guangxi_subsidy.engine.evaluation.outcome import SHOWN, STATUS_WORDS, AmountKind, Status
from guangxi_subsidy.engine.i18n import N_, _, language, ngettext
from guangxi_subsidy.engine.money import format_yuan, round_fen
from guangxi_subsidy.engine.plaintext import text as as_text
from guangxi_subsidy.engine.plaintext import visible
from guangxi_subsidy.engine.rules.pack import RulePack


def amount_text(award: Award | None) -> Text:
    if award is None:
        return Text("—")
    if award.quantified and award.value is not None:
        text = Text(format_yuan(award.value), style="bold")
        if award.kind == AmountKind.ESTIMATE:
            text.append(_(" (estimate)"), style="yellow")
        return text
    if award.kind == AmountKind.RANGE and award.minimum is not None and award.maximum is not None:
        return Text(f"{format_yuan(award.minimum)} – {format_yuan(award.maximum)}", style="bold")
    if award.kind == AmountKind.UP_TO and award.maximum is not None:
        return Text(_("unquantified (up to {0})").format(format_yuan(award.maximum)), style="cyan")
    if award.kind == AmountKind.UNQUANTIFIED:
        return Text(_("unquantified"), style="cyan")
    if award.kind == AmountKind.NON_MONETARY:
        return Text(_("non-monetary"), style="magenta")
    text = as_text(_("needs {0}").format(_fields(award.missing)), style="yellow")
    if award.maximum is not None:
        text.append(_(" (at most {0})").format(format_yuan(award.maximum)), style="yellow")
    return text


def _fields(names: Any) -> str:
    """Field names as people read them: the names (English) or the labels (Chinese)."""
    if language() == "en":
        return ", ".join(names)
    labels = field_labels()
    return "、".join(labels.get(n, n) for n in names)


def status_text(status: str) -> str:
    return _(STATUS_WORDS.get(status, status.replace("_", " ")))


STATUS_STYLE = {
    Status.ELIGIBLE: "green",
    Status.EXPIRED: "red",
    Status.NOT_YET_IN_FORCE: "yellow",
    Status.NOT_ELIGIBLE: "dim",
    Status.NOT_COMBINED: "magenta",
}


def render_table(evaluation: Evaluation) -> Table:
    profile = evaluation.profile
    if language() == "en":
        kind, city = profile.kind.value, profile.city
    else:
        kind, city = choice_label("kind", profile.kind.value), choice_label("city", profile.city)
        city += profile.district or ""
    title = as_text(f"{profile.name or profile.id} · {kind} · {city} · " + _("as of {0}").format(evaluation.as_of))
    if evaluation.as_of_source == "today":
        title.append(_(" (today: no date given)"))
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column(_("Benefit"), overflow="fold", ratio=3)
    table.add_column(_("Document · clause"), overflow="fold", ratio=2)
    table.add_column(_("Status"), overflow="fold", ratio=1)
    table.add_column(_("Amount (yuan)"), justify="right", overflow="fold", ratio=2)
    shown = evaluation.by_status(*SHOWN)
    for outcome in shown:
        rule = outcome.rule
        name = as_text(rule.name)
        name.append(f"\n{visible(rule.id)}", style="dim")
        if outcome.draft:
            name.append(_("  DRAFT"), style="bold yellow")
        doc = Text(f"{visible(rule.document.short)}\n{visible(rule.clause or '')}", style="dim")
        status = Text(status_text(outcome.status), style=STATUS_STYLE[outcome.status])
        if outcome.instead is not None:
            status.append("\n" + str(not_combined_line(outcome, outcome.facts.pack)), style="magenta")
        if rule.validity_warning(evaluation.as_of):
            status.append("\n" + _("⚠ validity not established"), style="yellow")
        table.add_row(name, doc, status, amount_text(outcome.award))
    if not shown:
        table.add_row(Text(_("no benefit applies"), style="dim"), "", "", "")
    t = totals(evaluation)
    table.add_section()
    table.add_row(Text(_("Total grants (quantified)"), style="bold"), "", "", Text(format_yuan(Decimal(t["grants"]))))
    if t["grants_range"]["min"] != t["grants"] or t["grants_range"]["max"] != t["grants"]:
        rng = t["grants_range"]
        span = f"{format_yuan(Decimal(rng['min']))} – {format_yuan(Decimal(rng['max']))}"
        table.add_row(Text(_("Grants including ranges")), "", "", Text(span))
    if Decimal(t["relief_estimate"]):
        table.add_row(Text(_("Tax and fee relief")), "", "", Text(format_yuan(Decimal(t["relief_estimate"]))))
    if Decimal(t["loan_quota"]):
        table.add_row(Text(_("Loan quota")), "", "", Text(format_yuan(Decimal(t["loan_quota"]))))
    words = {"unquantified": N_("unquantified"), "non_monetary": N_("non-monetary"), "incomplete": N_("incomplete")}
    extra = [f"{t[k]} {_(words[k])}" for k in ("unquantified", "non_monetary", "incomplete") if t[k]]
    if extra:
        table.add_row(Text(_("Also eligible")), "", "", Text(", ".join(extra)))
    return table


def _value_text(value: Any) -> str:
    """A profile's value as a person reads it (its control characters shown escaped)."""
    if value is None:
        return _("not given")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return visible(value)


def check_line(check: Check) -> Text:
    """One check of the explanation: ✓ or ✗, then the check (a sentence in Chinese), then the document's words."""
    mark = Text("✓ " if check.held else "✗ ", style="green" if check.held else "red")
    if language() == "en":
        mark.append(visible(check.text))
        if check.values:
            mark.append("   [" + ", ".join(f"{k} = {_value_text(v)}" for k, v in check.values.items()) + "]", "dim")
    else:
        mark.append(visible(sentence(check)))
    says = check.says if language() == "en" else chinese.chinese_part(check.says)
    if says:
        mark.append(f"  — {visible(says)}", style="italic dim")
    return mark


def _exact_text(value: Decimal) -> str:
    """An unrounded amount, shown to the fen when that loses nothing and in full otherwise."""
    return format_yuan(value) if value == round_fen(value) else f"{value:,}"


def render_explanation(outcome: Outcome, as_of: dt.date | None = None) -> Tree:
    rule = outcome.rule
    head = as_text(f"{rule.name} ({rule.id}): ", style="bold")
    head.append(status_text(outcome.status), style=STATUS_STYLE[outcome.status])
    tree = Tree(head)
    source = rule.rule.source
    tree.add(as_text(f"{rule.document.title} · {source.clause}: “{source.quote}”", style="dim"))
    if source.raw:
        tree.add(as_text(_("damaged text “{0}” read as “{1}”").format(source.raw, source.reading),
                         style="dim yellow"))
    for check in outcome.checks:
        tree.add(check_line(check))
    award = outcome.award
    if award is not None and award.kind != AmountKind.NON_MONETARY:
        node = tree.add(Text(_("amount: "), style="bold") + amount_text(award))
        if award.formula:
            formula = award.formula if language() == "en" else chinese.formula_text(award.formula)
            node.add(as_text(_("formula: {0}").format(formula)))
        if award.tier:
            node.add(as_text(_("tier: {0}").format(award.tier)))
        if award.inputs:
            node.add(as_text(_("inputs: {0}").format(", ".join(_input(k, v) for k, v in award.inputs.items()))))
        if award.uncapped is not None:
            node.add(Text(_("before caps and rounding: {0}").format(_exact_text(award.uncapped))))
        for cap in award.caps:
            shown = _("unknown") if cap.value is None else format_yuan(cap.value)
            per = cap.per if language() == "en" else chinese.chinese_part(cap.says) or cap.text
            limit = cap.text if language() == "en" else chinese.formula_text(cap.text)
            label = _("cap {0} ({1}) = {2}").format(visible(limit), visible(per), shown)
            node.add(Text(label + (_("  ← applied") if cap.bit else ""), style="bold red" if cap.bit else ""))
        for name, (value, reference) in award.assumes.items():
            if language() != "en":
                name, reference = chinese.label(name), chinese.chinese_part(reference) or ""
            node.add(as_text(_("assumes {0} = {1} ({2})").format(name, _value_text(value), reference)))
        if award.missing:
            node.add(as_text(_("missing from the profile: {0}").format(_fields(award.missing)), style="yellow"))
    elif award is not None:
        says = award.says if language() == "en" else chinese.chinese_part(award.says) or ""
        tree.add(as_text(_("non-monetary: {0}").format(says), style="magenta"))
    for line in guidance_lines(rule, as_of or rule.effective.from_):
        tree.add(line)
    return tree


def _input(name: str, value: Any) -> str:
    """A formula's input: its field name and value (English), or its label and the value with its unit."""
    if language() == "en":
        return f"{name} = {_value_text(value)}"
    return f"{field_labels().get(name, name)} = {value_text(name, value)}"


def render_refusal(outcome: Outcome) -> Text:
    """One line per rule not met: which checks failed, with the profile's values."""
    rule = outcome.rule
    line = Text("✗ ", style="red")
    line.append(visible(f"{rule.name} ({rule.id}): "))
    parts = []
    for check in outcome.failed:
        if language() != "en":
            parts.append(visible(sentence(check)))
            continue
        values = ", ".join(f"{k} = {_value_text(v)}" for k, v in check.values.items())
        parts.append(visible(check.text) + (f" [{values}]" if values else ""))
    line.append("; ".join(parts), style="dim")
    return line


def render_might_apply(evaluation: Evaluation) -> Text | None:
    """Rules that fail only for want of facts the profile does not give: what to ask the applicant next."""
    labels = field_labels()
    maybe = [o for o in evaluation.outcomes if o.facts_needed()]
    if not maybe:
        return None
    text = Text(_("Might also apply, if the profile gave these facts:") + "\n", style="bold")
    for outcome in maybe:
        if language() == "en":
            facts = visible(", ".join(f"{name} ({labels.get(name, name)})" for name in outcome.facts_needed()))
        else:
            facts = visible("、".join(labels.get(name, name) for name in outcome.facts_needed()))
        text.append(visible(f"  {outcome.rule.name} ({outcome.rule.id}): "), style="cyan")
        text.append(facts + "\n", style="dim")
    return text


def print_evaluation(evaluation: Evaluation, console: Console, explain: bool) -> None:
    console.print(render_table(evaluation))
    maybe = render_might_apply(evaluation)
    if maybe is not None:
        console.print(maybe, end="")
    if not explain:
        return
    kind = evaluation.profile.kind.value
    mine = [o for o in evaluation.outcomes if kind in o.rule.kinds]
    met = [o for o in mine if o.status != "not_eligible"]
    unmet = [o for o in mine if o.status == "not_eligible"]
    if met:
        console.print(Group(*[render_explanation(o, evaluation.as_of) for o in met]))
    if unmet:
        console.print(Text(_("Not met ({0}), with the checks that failed:").format(len(unmet)), style="bold"))
        console.print(Group(*[render_refusal(o) for o in unmet]))
    others = len(evaluation.outcomes) - len(mine)
    if others:
        shown_kind = kind if language() == "en" else KIND_NAMES.get(kind, kind)
        console.print(Text(ngettext(
            "{0} other rule is for other kinds of applicant than {1}; `--format json --explain` lists every rule "
            "with all its checks.",
            "{0} other rules are for other kinds of applicant than {1}; `--format json --explain` lists every "
            "rule with all its checks.", others).format(others, visible(shown_kind)), style="dim"))


def near_miss_table(misses: list[NearMiss]) -> Table | None:
    if not misses:
        return None
    table = Table(title=_("Might also apply with a small change (near misses)"), title_justify="left")
    table.add_column(_("Change"), overflow="fold", ratio=3)
    table.add_column(_("Would pay (yuan)"), justify="right", ratio=1)
    table.add_column(_("Benefit · condition"), overflow="fold", ratio=3)
    for miss in misses:
        says = "; ".join(c.says or c.condition for c in miss.changes)
        benefit = Text(miss.rule.name)
        benefit.append(f"\n{miss.rule.id} · {says}", style="dim")
        table.add_row("; ".join(change_text(c) for c in miss.changes), Text(gain_text(miss), style="bold green"),
                      benefit)
    return table


def print_near_misses(evaluation: Evaluation, pack: RulePack, console: Console) -> None:
    table = near_miss_table(near_misses(evaluation, pack))
    if table is not None:
        console.print(table)
