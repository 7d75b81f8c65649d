"""Signed-in browsers, kept in the database: a new random id at every login (the id a browser brought before is
dropped, so a planted id is worthless: session fixation), only its SHA-256 stored, a CSRF token per session, and
an expiry. Systems use API tokens instead (`tokens`), stored the same way."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts.policy import Principal
from guangxi_subsidy.engine.accounts.tables import ApiToken, LoginSession, User

LIFETIME = dt.timedelta(hours=8)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(session: Session, name: str, previous: str | None, now: dt.datetime) -> tuple[str, str]:
    """A new session for the account `name` (the `previous` id, if any, ended): its id and its CSRF token."""
    if previous:
        end(session, previous)
    user = session.scalars(select(User).where(User.name == name)).one()
    sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(LoginSession(id_hash=digest(sid), user_pk=user.pk, csrf=csrf, created_at=now,
                             expires_at=now + LIFETIME))
    session.flush()
    return sid, csrf


def end(session: Session, sid: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.id_hash == digest(sid)))


def lookup(session: Session, sid: str | None, now: dt.datetime) -> tuple[Principal, str] | None:
    """The account behind a session id and the session's CSRF token; None for no, an unknown or an expired id, or
    a disabled account."""
    if not sid:
        return None
    row = session.execute(select(LoginSession, User).join(User, User.pk == LoginSession.user_pk).where(
        LoginSession.id_hash == digest(sid))).first()
    if row is None:
        return None
    login, user = row
    if login.expires_at <= now or not user.enabled:
        return None
    return Principal(user.name, user.role, user.scope), login.csrf


def csrf_ok(expected: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())


def token_principal(session: Session, token: str) -> Principal | None:
    """The system behind an API token (None: unknown or revoked)."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest(token))).first()
    if row is None or not row.enabled:
        return None
    return Principal("token:" + row.name, row.role, row.scope)
