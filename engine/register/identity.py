"""Applicant identities: an organisation's 统一社会信用代码 (GB 32100-2015), checked character by character.

An organisation is known by its unified social credit code, whose 18th character is a check character over the
first 17; a typing slip is caught here, before a file is split between two applicants. An individual is known by
an id the office chooses (never checked: it is the office's own numbering).
"""

from __future__ import annotations

from guangxi_subsidy.engine.i18n import _

# GB 32100-2015, 4.2: the 31 characters of the code (no I, O, S, V, Z), each worth its position here.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# 3**i mod 31 for the positions 1..17
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


class IdentityError(ValueError):
    """An applicant id that cannot be an organisation's code: says which character is at fault and why."""


def check_character(first17: str) -> str:
    """The check character of a code's first 17 characters (C18 = 31 − (Σ Ci·Wi mod 31), 31 written 0)."""
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code(text: str) -> str:
    """`text` as a unified social credit code (upper-cased, trimmed); raises IdentityError naming the position."""
    code = text.strip().upper()
    if len(code) != LENGTH:
        raise IdentityError(_("统一社会信用代码 '{0}': {1} characters, expected 18").format(text, len(code)))
    for position, char in enumerate(code, start=1):
        if char not in CHARSET:
            raise IdentityError(_("统一社会信用代码 '{0}': character {1} '{2}' is not allowed (digits and capital "
                                  "letters except I, O, S, V, Z)").format(text, position, char))
    for position in range(3, 9):
        if not code[position - 1].isdigit():
            raise IdentityError(_("统一社会信用代码 '{0}': character {1} '{2}' should be a digit (positions 3–8 are "
                                  "the administrative division code)").format(text, position, code[position - 1]))
    expected = check_character(code[:17])
    if code[17] != expected:
        raise IdentityError(_("统一社会信用代码 '{0}': character 18 (the check character) is '{1}', expected '{2}' "
                              "from the first 17; one of them is mistyped").format(text, code[17], expected))
    return code


def applicant_id(text: str, kind: str) -> str:
    """The register's id of an applicant: an organisation's checked code, an individual's id as given."""
    if kind == "individual":
        value = text.strip()
        if not value:
            raise IdentityError(_("an individual's id is empty"))
        return value
    return credit_code(text)


def holder(kind: str) -> str:
    """Whose data a file holds: a person's (kept apart, PIPL) or an organisation's."""
    return "individual" if kind == "individual" else "organisation"
