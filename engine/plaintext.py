"""Text from people and files shown as the text it is: never read as markup, never sent as terminal codes.

Applicant values, names, paths, rule quotes and error values reach a terminal through rich, which reads
`[bold]`, `[/]` and `:emoji:` in plain strings as markup (a closing tag that opens nothing is an error, an
opening tag deletes the text it names). They are shown as rich `Text` objects, which rich prints as they are;
and control characters in them (an ANSI escape would recolour or clear the terminal, a carriage return would
overwrite the line) are shown in their `\\x1b` form instead of being sent. Bidirectional overrides, which would
show text in another order than it is, are shown as `\\u202e`.
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: Any, lines: bool = False) -> str:
    """`value` as text with its control characters in their escaped form; `lines`: keep line breaks (a
    message of several lines), else those are escaped too (a value, a name)."""
    return (_CONTROL_BUT_LINES if lines else _CONTROL).sub(_escaped, str(value))


def text(value: Any, style: str = "", lines: bool = False) -> Text:
    """A rich Text of `value` (never read as markup), control characters shown escaped."""
    return Text(visible(value, lines), style=style)
