"""The office's tables (migration 0005), beside the register's, on the same declarative base.

- `office_users`: local accounts: a name, an argon2 hash, a role and its scope (a city or `region` for staff, a
  统一社会信用代码 for an enterprise or an incubator), whether it is enabled, and the lockout after failed logins.
- `office_sessions`: signed-in browsers: only the SHA-256 of the session id is kept, with its CSRF token, so a copy
  of the database does not let anyone sign in.
- `login_attempts`: every login tried (name, address, success), what throttling counts.
- `api_tokens`: tokens for systems (a platform pushing facts, a finance system pulling lists), a role and a scope
  like an account's; only the SHA-256 of the token is kept.
- `access_log`: every read and change of an applicant's file: who, when, which fields, by which page or call.
  Append-only (the database refuses an UPDATE); rows older than the office's retention are purged.
- `office_settings`: the office's settings (the access log's retention in days).
- `payment_lists`: a payment list prepared by an officer from confirmed 免申即享 cases of its jurisdiction, then
  approved or rejected (with a reason) by a reviewer who did not prepare it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from guangxi_subsidy.engine.register.tables import Base


class User(Base):
    __tablename__ = "office_users"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean)
    failures: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class LoginSession(Base):
    __tablename__ = "office_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("office_users.pk"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_name", "name", "at"),
                      Index("ix_login_attempts_address", "address", "at"))

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    success: Mapped[bool] = mapped_column(Boolean)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AccessEntry(Base):
    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_at", "at"), Index("ix_access_log_applicant", "applicant_ref"))

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    who: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    applicant_ref: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))  # read | change
    fields: Mapped[str] = mapped_column(Text)  # the fields read or changed, comma-separated
    via: Mapped[str] = mapped_column(String(300))  # the page or call: `GET /office/files/…`


class Setting(Base):
    __tablename__ = "office_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class PaymentList(Base):
    __tablename__ = "payment_lists"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    jurisdiction: Mapped[str] = mapped_column(String(40))  # a city, or `region`
    cases: Mapped[str] = mapped_column(Text)  # JSON [waiver case key, …]
    total_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))  # prepared | approved | rejected
    prepared_by: Mapped[str] = mapped_column(String(100))
    prepared_at: Mapped[dt.datetime] = mapped_column(DateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
