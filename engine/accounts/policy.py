"""One function decides who may do what: `allowed(principal, action, target)`.

Every office page and API call names its action (engine/web/office_views.py, engine/web/office_api.py); the
authorization-matrix test checks that every route has one, and calls each route as every role, inside and outside
its scope.

Roles and their scope:
- enterprise: its own file, bound by its 统一社会信用代码 (scope = the code);
- incubator: its base's file and the firms linked to it (scope = the base's code);
- officer (经办): the files of its jurisdiction (scope = a city code, or `region` for all); prepares payment lists;
- reviewer (审核): approves or rejects the payment lists of its jurisdiction, never one it prepared;
- auditor: decisions and the access log of its jurisdiction;
- administrator: accounts, and no applicant's data.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("enterprise", "incubator", "officer", "reviewer", "auditor", "administrator")
ROLE_WORDS = {"enterprise": "企业", "incubator": "孵化载体", "officer": "经办", "reviewer": "审核",
              "auditor": "审计", "administrator": "管理员"}
REGION = "region"

# action → the roles that may take it (before the scope is checked)
ACTIONS: dict[str, frozenset[str]] = {
    "home": frozenset(ROLES),
    "file.read": frozenset({"enterprise", "incubator", "officer"}),
    "file.benefits": frozenset({"enterprise", "incubator", "officer"}),
    "file.inbox": frozenset({"enterprise", "incubator", "officer"}),
    "waiver.answer": frozenset({"enterprise"}),
    "file.declare": frozenset({"enterprise"}),
    "file.report": frozenset({"enterprise", "incubator", "officer"}),
    "waiver.record": frozenset({"officer"}),
    "imports.run": frozenset({"officer"}),
    "pushes.read": frozenset({"officer"}),
    "budgets.read": frozenset({"officer", "reviewer", "auditor"}),
    "budgets.set": frozenset({"officer"}),
    "facts.push": frozenset({"officer"}),
    "applicants.list": frozenset({"incubator", "officer"}),
    "runs.list": frozenset({"officer", "auditor"}),
    "decisions.read": frozenset({"officer", "auditor"}),
    "lists.read": frozenset({"officer", "reviewer", "auditor"}),
    "lists.prepare": frozenset({"officer"}),
    "lists.review": frozenset({"reviewer"}),
    "log.read": frozenset({"auditor"}),
}


@dataclass(frozen=True)
class Principal:
    """Who is asking: an account or a system's token."""

    name: str
    role: str
    scope: str


@dataclass(frozen=True)
class FileTarget:
    """An applicant's file, as the policy sees it: its id, its city, and its base's id (an incubated firm)."""

    ref: str
    city: str
    base_ref: str | None = None


@dataclass(frozen=True)
class ListTarget:
    """A payment list: the jurisdiction it was prepared for, and by whom."""

    jurisdiction: str
    prepared_by: str


Target = FileTarget | ListTarget | None


def in_jurisdiction(scope: str, city: str) -> bool:
    """A city's staff see that city; the region's staff see every city."""
    return scope == REGION or scope == city


def allowed(principal: Principal, action: str, target: Target = None) -> bool:
    """Whether `principal` may take `action` on `target` (None: a page with no particular file or list).
    An action not in ACTIONS is refused: a route without a policy entry is closed."""
    roles = ACTIONS.get(action)
    if roles is None or principal.role not in roles:
        return False
    role, scope = principal.role, principal.scope
    if isinstance(target, FileTarget):
        if role == "enterprise":
            return target.ref == scope
        if role == "incubator":
            return target.ref == scope or target.base_ref == scope
        return role in ("officer",) and in_jurisdiction(scope, target.city)
    if isinstance(target, ListTarget):
        if not in_jurisdiction(scope, target.jurisdiction):
            return False
        if action == "lists.review":
            return target.prepared_by != principal.name
        return True
    return True
