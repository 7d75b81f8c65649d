"""Periods as the sources state them: a stated end, or no end stated, which is neither expiry nor forever.

A rule whose sources state no end date is applied from its start. But a document cannot speak for every date
after it: for a date more than HORIZON_YEARS after the latest issue date among the rule's sources (its horizon),
the result carries a warning that the sources do not establish the document's validity on that date. The
choice of five years follows the usual span of a plan (五年规划) and of the region's own measures, which state
three- to five-year periods where they state one; it is a reading, recorded here and in the README.
"""

from __future__ import annotations

import datetime as dt

from guangxi_subsidy.engine.rules.kinds import Document, Effective

HORIZON_YEARS = 5


def horizon(effective: Effective, documents: list[Document]) -> dt.date | None:
    """The last date the sources speak for, when no end date is stated; None when one is."""
    if effective.to is not None:
        return None
    issued = [d.issued for d in documents if d.issued is not None]
    start = max(issued) if issued else effective.from_
    try:
        return start.replace(year=start.year + HORIZON_YEARS)
    except ValueError:  # 29 February
        return start.replace(year=start.year + HORIZON_YEARS, day=28)


def validity_warning(effective: Effective, documents: list[Document], day: dt.date) -> str | None:
    """The warning a result for `day` carries, or None when the sources state the period that covers it."""
    end = horizon(effective, documents)
    if end is None or day <= end:
        return None
    names = "、".join(d.short for d in documents)
    return (
        f"{names}: no end date stated; {day.isoformat()} is more than {HORIZON_YEARS} years after issue "
        f"(horizon {end.isoformat()}), so the sources do not establish that the policy is still in force "
        f"(来源未载明截止日期，该日期的有效性无法由来源文件确认)"
    )
