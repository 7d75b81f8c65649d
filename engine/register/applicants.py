"""Finding and creating applicant files by their id, and linking an incubated firm to its base."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.identity import applicant_id, holder
from guangxi_subsidy.engine.register.tables import Applicant


@dataclass(frozen=True)
class Newcomer:
    """An applicant seen for the first time (by an import or an officer)."""

    ref: str
    kind: str
    city: str


def find(session: Session, ref: str) -> Applicant:
    """The applicant file with this id; a RegisterError naming it if there is none (or it was forgotten)."""
    text = ref.strip()
    found = session.scalars(select(Applicant).where(Applicant.ref.in_({text, text.upper()}))).first()
    if found is None:
        raise RegisterError(_("no applicant '{0}' in the register").format(ref))
    return found


def ensure(session: Session, newcomers: Sequence[Newcomer],
           when: dt.datetime) -> tuple[dict[str, Applicant], set[str]]:
    """The applicants with these ids, created when missing (kind and city as given); and how many were new. An
    existing applicant keeps its kind; its city follows the latest file (the city is a fact too). Returns the
    applicants by id and the ids created."""
    refs = sorted({n.ref for n in newcomers})
    found: dict[str, Applicant] = {}
    for start in range(0, len(refs), 5000):
        chunk = refs[start:start + 5000]
        found.update((a.ref, a) for a in session.scalars(select(Applicant).where(Applicant.ref.in_(chunk))))
    missing: dict[str, Newcomer] = {}
    for newcomer in newcomers:
        if newcomer.ref not in found:
            missing.setdefault(newcomer.ref, newcomer)
        elif found[newcomer.ref].city != newcomer.city:
            found[newcomer.ref].city = newcomer.city
    if missing:
        session.execute(insert(Applicant), [
            {"ref": n.ref, "holder": holder(n.kind), "kind": n.kind, "city": n.city, "created_at": when}
            for n in missing.values()])
        chunk = sorted(missing)
        for start in range(0, len(chunk), 5000):
            part = chunk[start:start + 5000]
            found.update((a.ref, a) for a in session.scalars(select(Applicant).where(Applicant.ref.in_(part))))
    return found, set(missing)


def link_base(session: Session, firm_ref: str, base_ref: str) -> None:
    """Record that an incubated firm sits in a base (an incubation base or a 众创空间 in the register)."""
    firm, base = find(session, firm_ref), find(session, base_ref)
    if base.kind not in ("incubation_base", "entrepreneurship_park"):
        raise RegisterError(_("'{0}' is a {1}, not an incubation base: a firm is linked to a base").format(
            base.ref, base.kind))
    if firm.pk == base.pk:
        raise RegisterError(_("'{0}' cannot be its own base").format(firm.ref))
    firm.base_pk = base.pk


def checked_ref(text: str, kind: str) -> str:
    """An id as the register keeps it (an organisation's code checked); raises IdentityError naming the fault."""
    return applicant_id(text, kind)
