"""The register's tables (SQLAlchemy 2 declarative models), the same on SQLite and PostgreSQL.

- `applicants`: one row per applicant file; `ref` is its public id (a 统一社会信用代码, or an individual's id of the
  office's choosing), `pk` the key everything else points to, so that forgetting a person can blank `ref`
  and keep the awards (anonymised) for the budget.
- `facts`: an organisation's profile values over time. Each row is one value of one field for one period
  (`period_start`..`period_end`, both empty for a standing fact), with when it was recorded, its source and who
  recorded it; a new value for the same field and period is a new row with `version` + 1 and its `reason`.
  Rows are never updated.
- `personal_facts`: the same, for individuals' personal data, kept apart (PIPL): `subsidy register forget`
  deletes these rows and nothing else of value to the budget.
- `awards`: the awards ledger: what was granted and paid (rule, programme, period covered, amount in fen,
  decision date, reference, status proposed / approved / paid / revoked).
- `imports`: every file imported: its name, digest, source, period, when, and its counts.

Money is integer fen (`amount_fen`); dates are dates; times are UTC.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Applicant(Base):
    __tablename__ = "applicants"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(200), unique=True)
    holder: Mapped[str] = mapped_column(String(20))  # organisation | individual
    kind: Mapped[str] = mapped_column(String(40))
    city: Mapped[str] = mapped_column(String(40))
    base_pk: Mapped[int | None] = mapped_column(ForeignKey("applicants.pk"), nullable=True)  # an incubated firm's base
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    forgotten_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class _FactColumns:
    """The columns of a recorded value (facts and personal_facts alike)."""

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    field: Mapped[str] = mapped_column(String(80))
    value: Mapped[str] = mapped_column(Text)  # as a profile file holds it: '900000.00', 'true', '2017-03-01'
    period_start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[str] = mapped_column(String(200))
    source_kind: Mapped[str] = mapped_column(String(20))  # department | file | declaration | officer
    source: Mapped[str] = mapped_column(String(200))  # 税务, 市场监管 …, or the officer's or applicant's name
    source_file: Mapped[str | None] = mapped_column(String(500), nullable=True)
    source_row: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Fact(_FactColumns, Base):
    __tablename__ = "facts"
    __table_args__ = (
        UniqueConstraint("applicant_pk", "field", "period_start", "period_end", "version", name="uq_fact_version"),
        Index("ix_facts_applicant_field", "applicant_pk", "field"),
    )

    applicant_pk: Mapped[int] = mapped_column(ForeignKey("applicants.pk"))


class PersonalFact(_FactColumns, Base):
    __tablename__ = "personal_facts"
    __table_args__ = (
        UniqueConstraint("applicant_pk", "field", "period_start", "period_end", "version",
                         name="uq_personal_fact_version"),
        Index("ix_personal_facts_applicant_field", "applicant_pk", "field"),
    )

    applicant_pk: Mapped[int] = mapped_column(ForeignKey("applicants.pk"))


class Award(Base):
    __tablename__ = "awards"
    __table_args__ = (Index("ix_awards_applicant", "applicant_pk"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    applicant_pk: Mapped[int] = mapped_column(ForeignKey("applicants.pk"))
    rule_id: Mapped[str] = mapped_column(String(120))
    programme: Mapped[str | None] = mapped_column(String(200), nullable=True)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    quota_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # a loan quota the award used
    decision_date: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(200))  # the decision's document number (文号)
    status: Mapped[str] = mapped_column(String(20))  # proposed | approved | paid | revoked
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[str] = mapped_column(String(200))


class Import(Base):
    __tablename__ = "imports"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))
    period: Mapped[str | None] = mapped_column(String(20), nullable=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    imported_by: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    facts_new: Mapped[int] = mapped_column(Integer)
    facts_changed: Mapped[int] = mapped_column(Integer)
