"""Near misses and facts missing with the money at stake, for a columnar run: only for the applicants whose
decisions changed in the run (a decision new, or other in status, amount or missing facts), as the rule-by-rule
run does (`run.changed`), each pushed once (the inbox's key).

With near misses, each such applicant is evaluated rule by rule and handed to the same function the
rule-by-rule run uses (`run.extras`): the near-miss solver reads each failing condition, which the columns do not
keep. Without, no applicant is evaluated rule by rule: the facts an incomplete amount lacks come from the columns
(the decisions' `missing`), one push per changed decision; a rule failing only on facts not given (which the
columns do not tell apart from one failing on a given fact) is then left to `subsidy match why`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Connection, select

from guangxi_subsidy.engine.applicant.reading import ProfileError, parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine as RulesEngine
from guangxi_subsidy.engine.matching import pushes
from guangxi_subsidy.engine.matching.bulkload import Chunk, Profiles
from guangxi_subsidy.engine.matching.tables import MatchRun, Push
from guangxi_subsidy.engine.money import FEN


def _already(connection: Connection, chunk: Chunk) -> set[tuple[int, str]]:
    """The near misses and missing facts already pushed to the chunk's applicants."""
    table = Push.__table__
    query = select(table.c.applicant_pk, table.c.key).where(chunk.where(table.c.applicant_pk),
                                                             table.c.kind.in_(("near_miss", "missing")))
    return {(pk, key) for pk, key in connection.execute(query)}


def _row(run: MatchRun, pk: int, ref: str, push: pushes.Item, created: Any, report: Any) -> tuple[Any, ...]:
    report.pushed.append({"id": ref, "kind": push.kind, "rule_id": push.rule_id, "text": push.text, **push.payload})
    return (run.pk, pk, push.rule_id, push.kind, push.key, push.text, push.payload_json(), created)


def evaluated(rules: RulesEngine, run: MatchRun, connection: Connection, chunk: Chunk, found: Profiles,
              moved: pl.DataFrame, created: Any, report: Any) -> list[tuple[Any, ...]]:
    """Near misses and missing facts of the applicants whose decisions changed, each evaluated rule by rule."""
    from guangxi_subsidy.engine.matching.run import extras

    pushed, out = _already(connection, chunk), []
    positions = moved.get_column("position").unique().sort().to_list()
    rows = found.cells[positions].to_dicts() if positions else []
    for position, data in zip(positions, rows, strict=True):
        pk, ref = found.pks[position], found.refs[position]
        try:  # (the columns admitted it: a refusal here is reported with the run, not a reason to stop it)
            evaluation = rules.evaluate(parse_profile(data, ref), as_of=run.as_of)
        except ProfileError as error:
            # its decisions are stored; only its near misses and missing facts could not be worked out: said
            report.unreadable.append({"id": ref, "reason": f"近似条件与缺少的资料未能算出：{error}"})
            continue
        for push in extras(evaluation, rules):
            if (pk, push.key) not in pushed:
                pushed.add((pk, push.key))
                out.append(_row(run, pk, ref, push, created, report))
    return out


def columns(rules: RulesEngine, run: MatchRun, connection: Connection, chunk: Chunk, found: Profiles,
            moved: pl.DataFrame, created: Any, report: Any) -> list[tuple[Any, ...]]:
    """The facts an incomplete amount lacks, from the columns, for the decisions that changed."""
    pushed, out = _already(connection, chunk), []
    lacking = moved.filter((pl.col("status") == "eligible") & pl.col("missing").is_not_null())
    for position, pk, rule, missing, fen in lacking.select("position", "pk", "rule_id", "missing",
                                                           "fen").iter_rows():
        at_stake = None if fen is None else (Decimal(fen) / 100).quantize(FEN)
        push = pushes.missing(rules.pack.rules[rule], missing.split(","), at_stake)
        if (pk, push.key) not in pushed:
            pushed.add((pk, push.key))
            out.append(_row(run, pk, found.refs[position], push, created, report))
    return out
