"""The office's tables for paying without application (免申即享) and for budgets (migration 0004).

- `payable_items`: the rules the office pays without application, each with its reason, the pack digest it was
  set under, who set it and when; a later row for the same rule replaces it (`active` false: withdrawn).
- `waiver_cases`: one applicant on one such item: listed (the match found it eligible on departments' data
  alone) → confirmed or declined (意愿确认, recorded with who and when) → paid (an award in the ledger). The
  payment deadline is counted in working days from the confirmation.
- `budgets`: what a department may pay in a year, in fen.
- `application_windows`: an item's application window (申报时间) as the office announces it, opening and closing
  dates (a later setting replaces an earlier one).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from guangxi_subsidy.engine.register.tables import Base


class PayableItem(Base):
    __tablename__ = "payable_items"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    rules_digest: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean)
    set_at: Mapped[dt.datetime] = mapped_column(DateTime)
    set_by: Mapped[str] = mapped_column(String(200))


class WaiverCase(Base):
    __tablename__ = "waiver_cases"
    __table_args__ = (Index("ix_waiver_cases_applicant_rule", "applicant_pk", "rule_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    applicant_pk: Mapped[int] = mapped_column(ForeignKey("applicants.pk"))
    rule_id: Mapped[str] = mapped_column(String(120))
    decision_pk: Mapped[int] = mapped_column(ForeignKey("decisions.pk"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    department: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # listed | confirmed | declined | paid
    listed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pay_by: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # the payment deadline
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    award_pk: Mapped[int | None] = mapped_column(ForeignKey("awards.pk"), nullable=True)


class Budget(Base):
    __tablename__ = "budgets"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    department: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    set_at: Mapped[dt.datetime] = mapped_column(DateTime)
    set_by: Mapped[str] = mapped_column(String(200))


class ApplicationWindow(Base):
    __tablename__ = "application_windows"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(String(120))
    opens: Mapped[dt.date] = mapped_column(Date)
    closes: Mapped[dt.date] = mapped_column(Date)
    set_at: Mapped[dt.datetime] = mapped_column(DateTime)
    set_by: Mapped[str] = mapped_column(String(200))
