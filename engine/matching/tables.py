"""The matching's tables, beside the register's (same declarative base, same database, own migration 0003).

- `match_runs`: each run of `subsidy match`: its date, the pack's digest and each rule's fingerprint (so the next
  run knows which rules changed), the engine's version, and the register's high-water marks (the last fact,
  personal fact, award and applicant keys it saw: what came after is what changed).
- `match_snapshots`: per run and applicant evaluated, the keys of the facts and awards the profile was built from
  (the versions read), once, so a decision can be explained again from exactly what it read.
- `decisions`: one row per applicant, rule and run that evaluated it (status, amount in fen, the date, the
  digest, the engine's version; its snapshot is the run's for that applicant); `current` marks the latest
  decision of each applicant and rule.
- `pushes`: each applicant's inbox: one row per item pushed (opened, closed, amount changed, near miss, missing
  fact), with a `key` unique per applicant so an item is pushed once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guangxi_subsidy.engine.register.tables import Base


class MatchRun(Base):
    __tablename__ = "match_runs"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    as_of: Mapped[dt.date] = mapped_column(Date)
    rules_digest: Mapped[str] = mapped_column(String(64))
    rule_prints: Mapped[str] = mapped_column(Text)  # JSON {rule_id: fingerprint}
    engine_version: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(20))  # full | incremental
    last_fact: Mapped[int] = mapped_column(Integer)
    last_personal_fact: Mapped[int] = mapped_column(Integer)
    last_award: Mapped[int] = mapped_column(Integer)
    last_applicant: Mapped[int] = mapped_column(Integer)
    evaluated: Mapped[int] = mapped_column(Integer)
    pushed: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[str] = mapped_column(Text)  # JSON: why each group of applicants was evaluated again


class MatchSnapshot(Base):
    __tablename__ = "match_snapshots"
    __table_args__ = (Index("ix_match_snapshots_applicant", "applicant_pk", "run_pk"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("match_runs.pk"))
    applicant_pk: Mapped[int] = mapped_column(ForeignKey("applicants.pk"))
    facts: Mapped[str] = mapped_column(Text)  # JSON {field: [fact key, version, personal]}
    awards: Mapped[str] = mapped_column(Text)  # JSON [award key, …]


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_current", "applicant_pk", "rule_id", "current"),
                      Index("ix_decisions_digest", "rules_digest"), Index("ix_decisions_run", "run_pk"))

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("match_runs.pk"))
    applicant_pk: Mapped[int] = mapped_column(ForeignKey("applicants.pk"))
    rule_id: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(30))
    amount_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    missing: Mapped[str | None] = mapped_column(Text, nullable=True)  # the facts an incomplete amount needs
    as_of: Mapped[dt.date] = mapped_column(Date)
    rules_digest: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(40))
    current: Mapped[bool] = mapped_column(Boolean)


class Push(Base):
    __tablename__ = "pushes"
    __table_args__ = (UniqueConstraint("applicant_pk", "key", name="uq_push_once"),
                      Index("ix_pushes_run", "run_pk"))

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("match_runs.pk"))
    applicant_pk: Mapped[int] = mapped_column(ForeignKey("applicants.pk"))
    rule_id: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # opened | closed | amount_changed | near_miss | missing
    key: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)  # the message, in Chinese
    payload: Mapped[str] = mapped_column(Text)  # JSON: amount, clause, departments, how to apply …
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
