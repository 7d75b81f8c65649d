"""Payment lists under four eyes: an officer prepares a list from the confirmed 免申即享 cases of its
jurisdiction; a reviewer approves or rejects it, with a reason, and never a list it prepared itself. A case sits
on at most one list that is not rejected, so nothing is paid twice."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts.policy import REGION, Principal
from guangxi_subsidy.engine.accounts.tables import PaymentList
from guangxi_subsidy.engine.matching.office_tables import WaiverCase
from guangxi_subsidy.engine.matching.payments import yuan
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.tables import Applicant

STATUS_WORDS = {"prepared": "待审核", "approved": "已批准", "rejected": "已退回"}


def _listed(session: Session) -> set[int]:
    taken: set[int] = set()
    for row in session.scalars(select(PaymentList).where(PaymentList.status != "rejected")):
        taken.update(json.loads(row.cases))
    return taken


def open_cases(session: Session, jurisdiction: str) -> list[tuple[WaiverCase, Applicant]]:
    """The confirmed cases of a jurisdiction on no list yet."""
    query = select(WaiverCase, Applicant).join(Applicant, Applicant.pk == WaiverCase.applicant_pk).where(
        WaiverCase.status == "confirmed").order_by(WaiverCase.pk)
    if jurisdiction != REGION:
        query = query.where(Applicant.city == jurisdiction)
    taken = _listed(session)
    return [(c, a) for c, a in session.execute(query) if c.pk not in taken]


def prepare(session: Session, officer: Principal, now: dt.datetime) -> PaymentList:
    chosen = open_cases(session, officer.scope)
    if not chosen:
        raise RegisterError("没有待列入付款清单的已确认案件")
    row = PaymentList(jurisdiction=officer.scope, cases=json.dumps([c.pk for c, _ in chosen]),
                      total_fen=sum(c.amount_fen for c, _ in chosen), status="prepared",
                      prepared_by=officer.name, prepared_at=now)
    session.add(row)
    session.flush()
    return row


def get(session: Session, pk: int) -> PaymentList:
    row = session.get(PaymentList, pk)
    if row is None:
        raise LookupError(pk)
    return row


def review(session: Session, row: PaymentList, reviewer: Principal, approve: bool, reason: str,
           now: dt.datetime) -> PaymentList:
    """Approve or reject a prepared list. The policy already refuses the preparer; checked again here, so no
    caller can forget it."""
    if row.prepared_by == reviewer.name:
        raise PermissionError("不能审核自己经办的付款清单")
    if row.status != "prepared":
        raise RegisterError(f"付款清单 {row.pk} 已{STATUS_WORDS[row.status]}，不能再审核")
    if not reason.strip():
        raise RegisterError("审核意见：批准或退回都须写明理由")
    row.status = "approved" if approve else "rejected"
    row.reviewed_by, row.reviewed_at, row.reason = reviewer.name, now, reason.strip()[:2000]
    session.flush()
    return row


def visible(session: Session, scope: str) -> list[PaymentList]:
    query = select(PaymentList).order_by(PaymentList.pk.desc())
    if scope != REGION:
        query = query.where(PaymentList.jurisdiction == scope)
    return list(session.scalars(query))


def as_json(row: PaymentList) -> dict[str, Any]:
    return {"id": row.pk, "jurisdiction": row.jurisdiction, "cases": json.loads(row.cases),
            "total": yuan(row.total_fen), "status": row.status, "prepared_by": row.prepared_by,
            "prepared_at": row.prepared_at.isoformat(), "reviewed_by": row.reviewed_by,
            "reviewed_at": None if row.reviewed_at is None else row.reviewed_at.isoformat(), "reason": row.reason}
