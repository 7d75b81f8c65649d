"""An officer's entry or correction of one fact: a new version with its reason (never an overwrite)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.register.applicants import find
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.facts import NOT_FACTS, Change, Counts, Source, canonical, kept, record
from guangxi_subsidy.engine.register.periods import Period


def correct(session: Session, ref: str, field: str, value: str, period: Period, reason: str, source: Source,
            when: dt.datetime) -> Counts:
    """Record `value` for `field` of the applicant, read as a profile file's value (90万, 是, 2017-03-01); the
    reason is required. A value equal to the one held changes nothing."""
    if not reason.strip():
        raise RegisterError(_("a correction needs its reason (--reason)"))
    applicant = find(session, ref)
    if field not in Profile.model_fields or field in NOT_FACTS:
        raise RegisterError(_("'{0}' is not a profile field a fact can hold (see `subsidy rules fields`)").format(
            field))
    if not kept(field, applicant.holder == "individual"):
        raise RegisterError(_("'{0}' is not kept for an individual: the register holds only the fields the rules "
                              "read (personal information)").format(field))
    profile = parse_profile({"id": applicant.ref, "kind": applicant.kind, "city": applicant.city, field: value},
                            applicant.ref)
    typed = getattr(profile, field)
    counts, _touched = record(session, [Change(applicant.pk, applicant.holder == "individual", field,
                                               canonical(typed), period, source, reason.strip())], when)
    if field == "city":
        applicant.city = canonical(typed)
    return counts
