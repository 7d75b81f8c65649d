"""Managing accounts and API tokens (`subsidy users …`): each role's scope checked when it is given, so an
account can never hold a scope its role does not understand."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts.passwords import hash_password
from guangxi_subsidy.engine.accounts.policy import REGION, ROLES
from guangxi_subsidy.engine.accounts.sessions import digest
from guangxi_subsidy.engine.accounts.tables import ApiToken, LoginSession, Setting, User
from guangxi_subsidy.engine.applicant.profile import CITY_LABELS
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.identity import IdentityError, credit_code

MIN_PASSWORD = 12
RETENTION_KEY = "access_log_retention_days"
DEFAULT_RETENTION_DAYS = 365 * 3


def checked_scope(role: str, scope: str) -> str:
    """The scope as stored: a checked credit code for an enterprise or an incubator, a city code or `region` for
    staff, nothing for an administrator. A RegisterError says what was expected."""
    if role not in ROLES:
        raise RegisterError(f"角色 '{role}' 不存在：应为 {' / '.join(ROLES)} 之一")
    text = scope.strip()
    if role in ("enterprise", "incubator"):
        try:
            return credit_code(text)
        except IdentityError as error:
            raise RegisterError(f"范围 '{scope}'：企业和孵化载体的范围是其统一社会信用代码（{error}）") from None
    if role == "administrator":
        return ""
    if text != REGION and text not in CITY_LABELS:
        raise RegisterError(f"范围 '{scope}'：工作人员的范围是 region（全区）或一个城市代码，如 nanning、wuzhou")
    return text


def add(session: Session, name: str, password: str, role: str, scope: str, now: dt.datetime) -> User:
    if not name.strip() or len(name) > 100:
        raise RegisterError(f"用户名 '{name}'：应为 1 至 100 个字符")
    if len(password) < MIN_PASSWORD:
        raise RegisterError(f"密码太短：至少 {MIN_PASSWORD} 个字符")
    if session.scalars(select(User).where(User.name == name)).first() is not None:
        raise RegisterError(f"用户名 '{name}' 已存在")
    user = User(name=name, password_hash=hash_password(password), role=role, scope=checked_scope(role, scope),
                enabled=True, failures=0, locked_until=None, created_at=now)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, name: str) -> User:
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        raise RegisterError(f"没有用户 '{name}'")
    return user


def _sign_out(session: Session, user: User) -> None:
    for login in session.scalars(select(LoginSession).where(LoginSession.user_pk == user.pk)):
        session.delete(login)


def disable(session: Session, name: str) -> User:
    """Disable an account and end its sessions at once."""
    user = find_user(session, name)
    user.enabled = False
    _sign_out(session, user)
    session.flush()
    return user


def set_role(session: Session, name: str, role: str, scope: str) -> User:
    """Change an account's role and scope; its sessions end (what it saw under the old role it sees no more)."""
    user = find_user(session, name)
    user.role, user.scope = role, checked_scope(role, scope)
    _sign_out(session, user)
    session.flush()
    return user


def issue_token(session: Session, name: str, role: str, scope: str, now: dt.datetime) -> str:
    """A new API token for a system; the token itself is shown once and only its digest kept."""
    if role in ("administrator",):
        raise RegisterError("API 令牌不能是管理员角色")
    token = "sgt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=digest(token), name=name, role=role, scope=checked_scope(role, scope),
                         enabled=True, created_at=now))
    session.flush()
    return token


def retention_days(session: Session) -> int:
    row = session.get(Setting, RETENTION_KEY)
    return DEFAULT_RETENTION_DAYS if row is None else int(row.value)


def set_retention(session: Session, days: int) -> None:
    if days < 1:
        raise RegisterError(f"保留期 {days} 天：应至少为 1 天")
    row = session.get(Setting, RETENTION_KEY)
    if row is None:
        session.add(Setting(key=RETENTION_KEY, value=str(days)))
    else:
        row.value = str(days)
    session.flush()
