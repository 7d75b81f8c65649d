"""What the office's pages and API share: the register's database, who is asking, the route table with each
route's action, and the one check (`authorize`) every handler calls through the policy.

Every route is declared with `Routes.add(method, path, action)`: the authorization-matrix test walks that table
(and the application's routes), so a route added without an action fails the suite.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts import accesslog, sessions
from guangxi_subsidy.engine.accounts.passwords import Authenticator, LocalAuthenticator
from guangxi_subsidy.engine.accounts.policy import ROLE_WORDS, FileTarget, ListTarget, Principal, Target, allowed
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


def asker_of(session: Session, request: Request) -> Asker | None:
    """The signed-in browser behind the request's session cookie, if any."""
    found = sessions.lookup(session, request.cookies.get(SESSION_COOKIE), now())
    return None if found is None else Asker(*found)


async def checked_form(request: Request, asker: Asker | None) -> dict[str, Any]:
    """The posted fields (text, and uploaded files as they are), once the CSRF token matches the session's; 403
    otherwise."""
    form = await request.form()
    fields = dict(form.items())
    if asker is None:
        raise Forbidden(anonymous=True, message="请先登录")
    if not sessions.csrf_ok(asker.csrf, fields.get("csrf")):
        raise Forbidden(message="表单已过期或来源不明（缺少安全令牌），请刷新页面后重试")
    return fields


def show(request: Request, asker: Asker | None, title: str, status: int = 200, **context: Any) -> HTMLResponse:
    """An office page: a title, paragraphs, tables, forms and links (office_page.html)."""
    from guangxi_subsidy.engine.web.pages import page

    for key in ("paragraphs", "tables", "forms"):
        context.setdefault(key, [])
    return page(request, "office_page.html", "zh", status, path=request.url.path, title=title, asker=asker,
                role_words=ROLE_WORDS, **context)


@dataclass
class Visit:
    """One request's work on the register: who asks, the file it names (if any), and what it read or changed
    (written to the access log when the work ends without an error)."""

    session: Session
    asker: Asker | None
    who: Principal
    applicant: Applicant | None = None
    logged: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def file(self) -> Applicant:
        """The file the request names (a visit opened with a `ref`)."""
        if self.applicant is None:
            raise NotFound("")
        return self.applicant

    def log(self, ref: str, action: str, fields: Iterable[str]) -> None:
        self.logged.append((ref, action, list(fields)))


@contextmanager
def visit(office: Office, request: Request, action: str, ref: str | None = None,
          asker: Asker | None = None) -> Iterator[Visit]:
    """The shape every office handler shares: a session in one transaction, who asks (the session cookie, or the
    `asker` a POST already checked), the policy's answer for `action` (on the file `ref`, if given: 403 before
    404), then the handler's work, then its access-log entries, in the same transaction."""
    with office.session() as session, session.begin():
        asker = asker or asker_of(session, request)
        principal = None if asker is None else asker.principal
        if ref is None:
            here = Visit(session, asker, authorize(principal, action))
        else:
            who, applicant = authorized_file(session, principal, action, ref)
            here = Visit(session, asker, who, applicant)
        yield here
        via = f"{request.method} {request.url.path}"
        for logged_ref, kind, fields in here.logged:
            accesslog.record(session, here.who, logged_ref, kind, fields, via, now())
