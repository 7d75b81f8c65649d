"""A JSON document as the program writes it: two-space indents, UTF-8 (Chinese as itself, not \\u escapes), a
newline at the end. `subsidy … --format json`, the HTTP API and the summary files all write through here, so
the API answers with the CLI's bytes by construction; a line of JSON Lines (`/api/v1/evaluate-many`) and a
problem document are the same writer without the indents (`json_line`), and `plain` makes the values they hold
(Decimal as text, dates as ISO text) ready for it.

orjson writes it: the standard library's encoder is pure Python once it indents (88 µs of an API answer's
0.5 ms of work, against 1.5 µs). Their bytes are the same for what these documents hold (text, integers,
booleans, null, lists and mappings with text keys; money and ratios are text, never floats), which
tests/test_jsontext.py checks on every code point and on evaluation documents of generated profiles. What
orjson refuses (an integer beyond 64 bits, a key that is not text) goes to the standard library's encoder.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import orjson


def plain(value: Any) -> Any:
    """JSON-ready values: Decimal as a string, dates as ISO text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def json_bytes(data: Any) -> bytes:
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


def json_text(data: Any) -> str:
    """The document as text, without its final newline (as `click.echo` adds one)."""
    return json_bytes(data)[:-1].decode()


def json_line(data: Any) -> bytes:
    """The document on one line, with its newline: a line of JSON Lines, or a short answer such as a problem."""
    try:
        return orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
