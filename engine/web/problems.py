"""The one builder of RFC 7807 problem documents (`application/problem+json`): every refusal of the API, of the
guard around the whole application (sizes, deadlines) and of FastAPI's own query checks is made here, so each
names its problems the same way: `errors`, each with the `field`, the `value` and what was `expected` (as the
CLI's exit-2 messages do), and a `detail` that reads them in one line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from guangxi_subsidy.engine.jsontext import json_line

PROBLEM = "application/problem+json"


def problem_document(status: int, title: str, errors: Iterable[tuple[str, str, str]], **extra: Any) -> dict[str, Any]:
    """The problem document: status, title, and each problem as (field, value, expected)."""
    errors = list(errors)
    detail = "; ".join(f"{f}: got {v} — {e}" for f, v, e in errors)
    return {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "errors": [{"field": f, "value": v, "expected": e} for f, v, e in errors], **extra}


def problem_bytes(status: int, title: str, errors: Iterable[tuple[str, str, str]], **extra: Any) -> bytes:
    """The document as a response body (one line of JSON)."""
    return json_line(problem_document(status, title, errors, **extra))
