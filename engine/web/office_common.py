"""What the office's pages and API share: the register's database, who is asking, the route table with each
route's action, and the one check (`authorize`) every handler calls through the policy.

Every route is declared with `Routes.add(method, path, action)`: the authorization-matrix test walks that table
(and the application's routes), so a route added without an action fails the suite.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts.passwords import Authenticator, LocalAuthenticator
from guangxi_subsidy.engine.accounts.policy import FileTarget, ListTarget, Principal, Target, allowed
from guangxi_subsidy.engine.accounts.tables import PaymentList
from guangxi_subsidy.engine.register import database
from guangxi_subsidy.engine.register.tables import Applicant

PUBLIC = "public"  # the login form and its post: no account needed (their own CSRF check)
SESSION_COOKIE = "office_session"
LOGIN_CSRF_COOKIE = "office_login_csrf"
# (method, path) → action, for every office page and API call
ROUTE_ACTIONS: dict[tuple[str, str], str] = {}


class Forbidden(Exception):
    """Refused by the policy (403), or not signed in (`anonymous`: a page sends to the login)."""

    def __init__(self, anonymous: bool = False, message: str = "无权访问该页面或档案") -> None:
        super().__init__(message)
        self.anonymous = anonymous
        self.message = message


class NotFound(Exception):
    """An id that names nothing (404)."""


class Office:
    """The register the office works on (opened at the first request, so the calculator starts without one),
    and the authenticator (local accounts unless an office's single sign-on replaces it)."""

    def __init__(self, db: str | None = None, authenticator: Authenticator | None = None) -> None:
        self.db = db
        self.authenticator: Authenticator = authenticator or LocalAuthenticator()
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = database.open_register(self.db)
            return self._engine

    def session(self) -> Session:
        return Session(self.engine(), expire_on_commit=False)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def add_route(router: APIRouter, method: str, path: str, action: str, **options: Any
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route with its action (the policy's key), in the table the matrix test reads."""
    ROUTE_ACTIONS[(method, path)] = action
    return router.api_route(path, methods=[method], **options)


def file_target(session: Session, ref: str) -> tuple[Applicant | None, FileTarget]:
    """The file and what the policy sees of it. A file that does not exist is a target in no city, so that the
    policy answers first: an enterprise probing ids gets 403 whether the id exists or not."""
    applicant = session.query(Applicant).filter(Applicant.ref == ref.strip()).first()
    if applicant is None or applicant.forgotten_at is not None:
        return None, FileTarget(ref.strip(), "")
    base = session.get(Applicant, applicant.base_pk) if applicant.base_pk is not None else None
    return applicant, FileTarget(applicant.ref, applicant.city, None if base is None else base.ref)


def authorized_file(session: Session, who: Principal | None, action: str, ref: str) -> tuple[Principal, Applicant]:
    """The file, if `who` may take `action` on it: 403 before 404, so existence is not revealed."""
    applicant, target = file_target(session, ref)
    principal = authorize(who, action, target)
    if applicant is None:
        raise NotFound(ref)
    return principal, applicant


def authorized_list(session: Session, who: Principal | None, action: str, pk: int) -> tuple[Principal, PaymentList]:
    row = session.get(PaymentList, pk)
    principal = authorize(who, action, ListTarget("", "") if row is None else
                          ListTarget(row.jurisdiction, row.prepared_by))
    if row is None:
        raise NotFound(str(pk))
    return principal, row


def authorize(who: Principal | None, action: str, target: Target = None) -> Principal:
    """The principal, if the policy lets it take the action on the target; Forbidden otherwise."""
    if who is None:
        raise Forbidden(anonymous=True, message="请先登录")
    if not allowed(who, action, target):
        raise Forbidden()
    return who


@dataclass(frozen=True)
class Asker:
    """A signed-in browser: who, and the CSRF token its forms carry."""

    principal: Principal
    csrf: str
