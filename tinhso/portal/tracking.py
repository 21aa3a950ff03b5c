"""*Tra cứu hồ sơ* without logging in (OS-UX6): the dossier code and the applicant's phone number or
personal identification number must both match, and the answer shows nothing personal beyond the name's
initials.

Guessing is bounded by two limits kept in the database (`tinhso.accounts.ratelimit`, so every web process
counts together): look-ups per client address, and failed look-ups per dossier code — once a code has had
too many wrong answers, even the right one waits for the window to end, so the phone number behind a known
code cannot be found by trying.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.conf import settings

from tinhso.dossiers.models import Dossier
from tinhso.portal.forms import normalise_id_number, normalise_phone

# (how many, per how many seconds); settings may override them.
DEFAULT_PER_IP = (30, 600)
DEFAULT_FAILURES_PER_CODE = (5, 1800)


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    seconds: int


def per_ip_limit() -> Limit:
    count, seconds = getattr(settings, "PORTAL_LOOKUP_PER_IP", DEFAULT_PER_IP)
    return Limit("portal-lookup-ip", int(count), int(seconds))


def per_code_limit() -> Limit:
    count, seconds = getattr(settings, "PORTAL_LOOKUP_FAILURES_PER_CODE", DEFAULT_FAILURES_PER_CODE)
    return Limit("portal-lookup-code", int(count), int(seconds))


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def secret_matches(d: Dossier, secret: str) -> bool:
    """The phone number (in any usual spelling) or the personal identification number of the applicant."""
    phone = normalise_phone(d.applicant_phone)
    return _same(normalise_phone(secret), phone) or _same(
        normalise_id_number(secret), normalise_id_number(d.applicant_id_number)
    )


def dossier_for_lookup(code: str, secret: str) -> Dossier | None:
    """The dossier when both the code and the secret match; None otherwise (no hint which one failed)."""
    d = (
        Dossier.objects.select_related("agency", "procedure_version", "current_step")
        .only(
            "code",
            "status",
            "channel",
            "applicant_name",
            "applicant_phone",
            "applicant_id_number",
            "submitted_at",
            "received_at",
            "due_at",
            "finished_at",
            "returned_at",
            "punctuality",
            "agency__name",
            "agency__phone",
            "procedure_version__name",
            "current_step__name",
            "current_step__due_at",
        )
        .filter(code=code)
        .first()
    )
    if d is None or not secret_matches(d, secret):
        return None
    return d
