"""One-time codes (*mã xác nhận một lần*, OTP) that prove a phone number belongs to the person typing it.

The code travels by SMS, which this app cannot send (notifications sits above accounts): `otp_issue` and
`otp_resend` return the code in clear once, and the caller (the portal's sign-up pages) enqueues the SMS in
the same transaction, so a code is never stored without its message nor a message queued for a code
rolled back.

Rules (settings, read at each call):
- `ACCOUNT_OTP_TTL_SECONDS` (300): a code is good for five minutes after it was sent.
- `ACCOUNT_OTP_MAX_ATTEMPTS` (5): the fifth wrong code locks it; only a new code (resend) helps.
- `ACCOUNT_OTP_RESEND_SECONDS` (60): a new code no sooner than a minute after the last. How many codes a
  phone number or an address may ask for in an hour is the caller's rate limit (`ratelimit.py`).
- Used once: a code that opened the door once is refused after (`OtpRefusal.USED`).

Guessing: 10^6 codes, at most 5 tries per code and a few codes an hour per phone number, so a guess
succeeds with a probability of a few in 100,000 an hour. Only an HMAC-SHA256 of the code under SECRET_KEY
(with a per-code salt) is stored, so a copy of the database reveals no live code, even by trying all 10^6.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tinhso.accounts.models import OneTimeCode, User

CODE_DIGITS = 6
_HMAC_SALT = "tinhso.accounts.otp"
# Rows this long past their expiry are deleted when a new code is issued (a sign-up's payload holds
# personal data and a password hash: kept no longer than needed).
_KEEP_AFTER_EXPIRY = timedelta(days=1)


def ttl_seconds() -> int:
    return int(getattr(settings, "ACCOUNT_OTP_TTL_SECONDS", 300))


def max_attempts() -> int:
    return int(getattr(settings, "ACCOUNT_OTP_MAX_ATTEMPTS", 5))


def resend_seconds() -> int:
    return int(getattr(settings, "ACCOUNT_OTP_RESEND_SECONDS", 60))


def generate_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(*, salt: str, code: str) -> str:
    return salted_hmac(_HMAC_SALT, f"{salt}:{code}", algorithm="sha256").hexdigest()


class OtpRefusal(enum.StrEnum):
    UNKNOWN = "unknown"  # no such code (or one of another purpose)
    USED = "used"
    LOCKED = "locked"  # too many wrong tries
    EXPIRED = "expired"
    WRONG = "wrong"
    COOLDOWN = "cooldown"  # a new code asked for too soon


class OtpError(Exception):
    """A code refused, with a message that says what to do next."""

    def __init__(self, refusal: OtpRefusal, *, attempts_left: int = 0, retry_after: int = 0) -> None:
        self.refusal = refusal
        self.attempts_left = attempts_left
        self.retry_after = retry_after
        super().__init__(refusal.value)

    @property
    def message(self) -> str:
        if self.refusal == OtpRefusal.WRONG:
            return ngettext(
                "Mã xác nhận không đúng. Kiểm tra lại tin nhắn; bạn còn %(left)d lần thử.",
                "Mã xác nhận không đúng. Kiểm tra lại tin nhắn; bạn còn %(left)d lần thử.",
                self.attempts_left,
            ) % {"left": self.attempts_left}
        if self.refusal == OtpRefusal.LOCKED:
            return _(
                "Bạn đã nhập sai mã %(max)d lần nên mã này không dùng được nữa. Bấm “Gửi lại mã” để nhận "
                "mã mới."
            ) % {"max": max_attempts()}
        if self.refusal == OtpRefusal.EXPIRED:
            return _(
                "Mã xác nhận đã hết hạn (mỗi mã chỉ dùng được trong %(minutes)d phút). Bấm “Gửi lại mã” để "
                "nhận mã mới."
            ) % {"minutes": max(1, ttl_seconds() // 60)}
        if self.refusal == OtpRefusal.USED:
            return _("Mã này đã được dùng rồi. Mỗi mã chỉ dùng được một lần; hãy bắt đầu lại.")
        if self.refusal == OtpRefusal.COOLDOWN:
            return ngettext(
                "Mã vừa được gửi. Vui lòng chờ %(seconds)d giây rồi bấm “Gửi lại mã”.",
                "Mã vừa được gửi. Vui lòng chờ %(seconds)d giây rồi bấm “Gửi lại mã”.",
                self.retry_after,
            ) % {"seconds": self.retry_after}
        return _("Không tìm thấy yêu cầu xác nhận này (có thể đã quá hạn). Vui lòng bắt đầu lại.")


def _new_secret(otp: OneTimeCode, now: datetime) -> str:
    code = generate_code()
    otp.salt = secrets.token_hex(16)
    otp.code_hash = code_hash(salt=otp.salt, code=code)
    otp.sent_at = now
    otp.expires_at = now + timedelta(seconds=ttl_seconds())
    otp.attempts = 0
    return code


def otp_issue(
    *,
    purpose: str,
    phone: str,
    user: User | None = None,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[OneTimeCode, str]:
    """A new code for `phone`; returns the row and the code in clear (to be sent, never stored). Earlier
    unused codes of the same purpose for the same phone stop working: the latest request wins."""
    now = now or timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(expires_at__lt=now - _KEEP_AFTER_EXPIRY).delete()
        OneTimeCode.objects.filter(
            purpose=purpose, phone=phone, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        otp = OneTimeCode(purpose=purpose, phone=phone, user=user, payload=payload or {}, created_at=now)
        code = _new_secret(otp, now)
        otp.save()
    return otp, code


def otp_resend(*, otp_id: int, purpose: str, now: datetime | None = None) -> tuple[OneTimeCode, str]:
    """A fresh code for the same request (a new expiry, the wrong tries forgotten); raises `OtpError`
    (COOLDOWN with `retry_after`, USED, UNKNOWN)."""
    now = now or timezone.now()
    with transaction.atomic():
        otp = OneTimeCode.objects.select_for_update().filter(pk=otp_id, purpose=purpose).first()
        if otp is None:
            raise OtpError(OtpRefusal.UNKNOWN)
        if otp.used_at is not None:
            raise OtpError(OtpRefusal.USED)
        wait = resend_seconds() - int((now - otp.sent_at).total_seconds())
        if wait > 0:
            raise OtpError(OtpRefusal.COOLDOWN, retry_after=wait)
        code = _new_secret(otp, now)
        otp.sends += 1
        otp.save(update_fields=["salt", "code_hash", "sent_at", "expires_at", "attempts", "sends"])
    return otp, code


@dataclass(frozen=True)
class OtpCheck:
    otp: OneTimeCode | None
    refusal: OtpRefusal | None = None
    attempts_left: int = 0

    @property
    def ok(self) -> bool:
        return self.refusal is None

    def error(self) -> OtpError:
        assert self.refusal is not None
        return OtpError(self.refusal, attempts_left=self.attempts_left)


def otp_check(*, otp_id: int, purpose: str, code: str, now: datetime | None = None) -> OtpCheck:
    """Check `code` and, when right, mark it used. Call inside `transaction.atomic()` together with what
    the code unlocks, and raise (`OtpCheck.error()`) only after that block: a wrong try must be committed,
    or the limit on tries would roll back with the error."""
    assert transaction.get_connection().in_atomic_block, "otp_check must run inside transaction.atomic()"
    now = now or timezone.now()
    otp = OneTimeCode.objects.select_for_update().filter(pk=otp_id, purpose=purpose).first()
    if otp is None:
        return OtpCheck(None, OtpRefusal.UNKNOWN)
    if otp.used_at is not None:
        return OtpCheck(otp, OtpRefusal.USED)
    limit = max_attempts()
    if otp.attempts >= limit:
        return OtpCheck(otp, OtpRefusal.LOCKED)
    if now >= otp.expires_at:
        return OtpCheck(otp, OtpRefusal.EXPIRED)
    if not constant_time_compare(code_hash(salt=otp.salt, code=code.strip()), otp.code_hash):
        otp.attempts += 1
        otp.save(update_fields=["attempts"])
        if otp.attempts >= limit:
            return OtpCheck(otp, OtpRefusal.LOCKED)
        return OtpCheck(otp, OtpRefusal.WRONG, attempts_left=limit - otp.attempts)
    otp.used_at = now
    otp.save(update_fields=["used_at"])
    return OtpCheck(otp)


def otp_resend_wait(otp: OneTimeCode, *, now: datetime | None = None) -> int:
    """Seconds until a new code may be asked for (0: now)."""
    now = now or timezone.now()
    return max(0, resend_seconds() - int((now - otp.sent_at).total_seconds()))
