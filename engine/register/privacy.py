"""Personal information (PIPL): an individual's personal data is kept apart from enterprise facts (the
`personal_facts` table holds every value recorded about an individual, and only the profile fields the rules
read: nothing else of a file is stored), and `forget` erases it.

Forgetting an individual deletes every personal fact, replaces the id (which may itself identify the person)
by an anonymous one, and keeps the awards: the budget still knows that an award of that amount, for that rule
and period, was decided under that reference, without knowing for whom.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.register.applicants import find
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.tables import Award, Fact, PersonalFact


@dataclass(frozen=True)
class Forgotten:
    anonymous_id: str
    facts_erased: int
    awards_kept: int


def anonymous_id(pk: int) -> str:
    return f"已删除-{pk}"


def forget(session: Session, ref: str, when: dt.datetime) -> Forgotten:
    """Erase an individual's personal data; the anonymous id and what was erased and kept."""
    applicant = find(session, ref)
    if applicant.holder != "individual":
        raise RegisterError(_("'{0}' is an organisation: only an individual's personal data is forgotten").format(
            applicant.ref))
    erased = 0
    for table in (PersonalFact, Fact):
        where = table.applicant_pk == applicant.pk
        erased += session.scalar(select(func.count()).select_from(table).where(where)) or 0
        session.execute(delete(table).where(where))
    kept = session.scalar(select(func.count()).select_from(Award).where(Award.applicant_pk == applicant.pk)) or 0
    applicant.ref = anonymous_id(applicant.pk)
    applicant.forgotten_at = when
    applicant.base_pk = None
    return Forgotten(applicant.ref, erased, kept)
