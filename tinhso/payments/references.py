"""Payment references (*mã thanh toán*): unique, short, checkable, and findable in a bank's free text.

A reference is `TS` + 12 characters of Crockford's base32 (60 random bits) + 1 check character (Luhn mod 32
over the 12), 15 ASCII characters in all: it fits VietQR's 62/08 purpose (≤ 25 characters of ASCII without
diacritics, PAY-2) and leaves room for the bank's own words. The alphabet has no I, L, O or U, so it
survives being read aloud or retyped; the check character catches every single wrong character and every
swap of two neighbours but one in 32, so a mistyped transfer description rarely matches another request.

Banks mangle descriptions: they upper- or lower-case them, insert spaces or dashes, prepend their own
words ("MBVCB.123456.TS3K7Q… .CT tu 0123…"). `find_references()` squeezes every character that is not a
letter or digit out, upper-cases, and looks for `TS` + 13 characters whose check character is right.
"""

from __future__ import annotations

import re
import secrets

PREFIX = "TS"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
BODY_LENGTH = 12
LENGTH = len(PREFIX) + BODY_LENGTH + 1
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_CANDIDATE = re.compile(rf"(?=({PREFIX}[{ALPHABET}]{{{BODY_LENGTH + 1}}}))")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def check_char(body: str) -> str:
    """Luhn mod 32 over the body's characters (the algorithm of ISO/IEC 7812 generalised to base N)."""
    n = len(ALPHABET)
    total = 0
    factor = 2
    for ch in reversed(body):
        addend = factor * _INDEX[ch]
        addend = addend // n + addend % n
        total += addend
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def new_reference() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return PREFIX + body + check_char(body)


def is_valid(reference: str) -> bool:
    if len(reference) != LENGTH or not reference.startswith(PREFIX):
        return False
    body, check = reference[len(PREFIX) : -1], reference[-1]
    return all(c in _INDEX for c in body + check) and check_char(body) == check


def grouped(reference: str) -> str:
    """For people: `TS 3K7Q 9ZP2 M4XD 7`. Banks' apps keep the spaces or drop them; both are found."""
    body = reference[len(PREFIX) :]
    return " ".join([PREFIX, body[0:4], body[4:8], body[8:12], body[12:]])


def find_references(text: str) -> list[str]:
    """The valid references in a bank's free-text description, in order of appearance, without repeats."""
    squeezed = _NOT_ALNUM.sub("", text.upper())
    found: list[str] = []
    for match in _CANDIDATE.finditer(squeezed):
        candidate = match.group(1)
        if is_valid(candidate) and candidate not in found:
            found.append(candidate)
    return found
