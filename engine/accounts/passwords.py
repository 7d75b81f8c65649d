"""Signing in: one small interface (`Authenticator`) so an office's single sign-on (统一身份认证) can replace the
local accounts, and the local accounts themselves: argon2id hashes, throttling and lockout.

Throttling counts failed attempts in a window: a name with LOCK_AFTER failures in WINDOW is locked for LOCK_FOR
(even the right password is refused meanwhile, so guessing stops paying); an address with ADDRESS_LIMIT failures
in WINDOW is refused outright, so one machine cannot walk through many names.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts.policy import Principal
from guangxi_subsidy.engine.accounts.tables import LoginAttempt, User

WINDOW = dt.timedelta(minutes=15)
LOCK_AFTER = 5
LOCK_FOR = dt.timedelta(minutes=15)
ADDRESS_LIMIT = 20
_HASHER = PasswordHasher()  # argon2-cffi's recommended profile (RFC 9106 low-memory: t=3, m=64 MiB, p=4)
# Logins run here, off the event loop and off the pool the page handlers use: a login costs tens of milliseconds
# of argon2 (which releases the GIL), so a crowd signing in at once waits its turn in this small pool while the
# pages of those already signed in are served beside it. One thread fewer than the cores (at least one): a core
# stays for the pages, and more threads would only share the same CPU among the logins.
LOGINS = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) - 1), thread_name_prefix="login")
# verifying against this when the name is unknown costs the same time as a real check: no user enumeration
_DUMMY = _HASHER.hash("no such account")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@dataclass(frozen=True)
class Refused:
    """A login refused: why (in Chinese, never saying whether the name exists) and the HTTP status to answer."""

    message: str
    status: int
    retry_after: int = 0


class Authenticator(Protocol):
    """Whoever checks a login: the local accounts here, or an office's single sign-on."""

    def authenticate(self, session: Session, name: str, password: str, address: str,
                     now: dt.datetime) -> Principal | Refused: ...


class LocalAuthenticator:
    """Local accounts: argon2id hashes in `office_users`, throttled per name and per address."""

    def authenticate(self, session: Session, name: str, password: str, address: str,
                     now: dt.datetime) -> Principal | Refused:
        since = now - WINDOW
        by_address = session.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.address == address, LoginAttempt.at >= since, LoginAttempt.success.is_(False))) or 0
        if by_address >= ADDRESS_LIMIT:
            return Refused("登录失败次数过多，请稍后再试", 429, int(WINDOW.total_seconds()))
        user = session.scalars(select(User).where(User.name == name)).first()
        if user is not None and user.locked_until is not None and user.locked_until > now:
            session.add(LoginAttempt(name=name[:100], address=address[:64], at=now, success=False))
            wait = int((user.locked_until - now).total_seconds()) + 1
            return Refused("该账号因多次登录失败已暂时锁定，请稍后再试", 429, wait)
        good = _verify(user.password_hash if user is not None else _DUMMY, password)
        if user is None or not good or not user.enabled:
            session.add(LoginAttempt(name=name[:100], address=address[:64], at=now, success=False))
            if user is not None:
                user.failures += 1
                if user.failures >= LOCK_AFTER:
                    user.locked_until, user.failures = now + LOCK_FOR, 0
            return Refused("用户名或密码不正确", 401)
        user.failures, user.locked_until = 0, None
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        session.add(LoginAttempt(name=name[:100], address=address[:64], at=now, success=True))
        return Principal(user.name, user.role, user.scope)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
