"""One-time codes: expiry, single use, tries, resend, and what is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from tinhso.accounts import otp, services
from tinhso.accounts.models import OneTimeCode, User

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
PHONE = "0912345678"


def _issue(**kw: object) -> tuple[OneTimeCode, str]:
    return otp.otp_issue(purpose=OneTimeCode.Purpose.SIGNUP, phone=PHONE, now=T0, **kw)  # type: ignore[arg-type]


def _check(one_time: OneTimeCode, code: str, *, at: dt.datetime) -> otp.OtpCheck:
    with transaction.atomic():
        return otp.otp_check(otp_id=one_time.pk, purpose=one_time.purpose, code=code, now=at)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_code_is_six_digits_and_only_its_keyed_hash_is_stored():
    one_time, code = _issue()
    assert len(code) == 6 and code.isdigit()
    stored = OneTimeCode.objects.get(pk=one_time.pk)
    assert code not in (stored.code_hash, stored.salt, str(stored.payload))
    assert stored.code_hash == otp.code_hash(salt=stored.salt, code=code)
    assert len(stored.code_hash) == 64


def test_the_right_code_within_five_minutes_is_accepted_once():
    one_time, code = _issue()
    assert _check(one_time, code, at=T0 + dt.timedelta(minutes=4, seconds=59)).ok
    again = _check(one_time, code, at=T0 + dt.timedelta(minutes=5))
    assert again.refusal == otp.OtpRefusal.USED
    assert "chỉ dùng được một lần" in again.error().message


def test_a_code_expires_after_five_minutes_with_a_message_saying_what_to_do():
    one_time, code = _issue()
    late = _check(one_time, code, at=T0 + dt.timedelta(minutes=5))
    assert late.refusal == otp.OtpRefusal.EXPIRED
    message = late.error().message
    assert "hết hạn" in message and "5 phút" in message and "Gửi lại mã" in message


def test_the_expiry_follows_the_setting(settings):
    settings.ACCOUNT_OTP_TTL_SECONDS = 120
    one_time, code = _issue()
    assert _check(one_time, code, at=T0 + dt.timedelta(seconds=121)).refusal == otp.OtpRefusal.EXPIRED


def test_wrong_codes_count_down_and_the_fifth_locks_the_code_even_for_the_right_one():
    one_time, code = _issue()
    at = T0 + dt.timedelta(minutes=1)
    for left in (4, 3, 2, 1):
        result = _check(one_time, _wrong(code), at=at)
        assert (result.refusal, result.attempts_left) == (otp.OtpRefusal.WRONG, left)
        assert f"còn {left} lần thử" in result.error().message
    assert _check(one_time, _wrong(code), at=at).refusal == otp.OtpRefusal.LOCKED
    locked = _check(one_time, code, at=at)
    assert locked.refusal == otp.OtpRefusal.LOCKED
    assert "sai mã 5 lần" in locked.error().message
    assert OneTimeCode.objects.get(pk=one_time.pk).used_at is None


def test_a_wrong_try_is_counted_even_when_the_caller_raises_afterwards():
    one_time, code = _issue()
    with pytest.raises(otp.OtpError):
        services_like_caller(one_time, _wrong(code))
    assert OneTimeCode.objects.get(pk=one_time.pk).attempts == 1


def services_like_caller(one_time: OneTimeCode, code: str) -> None:
    with transaction.atomic():
        result = otp.otp_check(otp_id=one_time.pk, purpose=one_time.purpose, code=code, now=T0)
    if not result.ok:
        raise result.error()


def test_a_code_of_another_purpose_is_unknown():
    one_time, code = _issue()
    with transaction.atomic():
        result = otp.otp_check(otp_id=one_time.pk, purpose=OneTimeCode.Purpose.RESET, code=code, now=T0)
    assert result.refusal == otp.OtpRefusal.UNKNOWN


def test_resend_waits_a_minute_then_replaces_the_code_and_forgets_wrong_tries():
    one_time, code = _issue()
    _check(one_time, _wrong(code), at=T0)
    with pytest.raises(otp.OtpError) as exc:
        otp.otp_resend(otp_id=one_time.pk, purpose=one_time.purpose, now=T0 + dt.timedelta(seconds=20))
    assert exc.value.refusal == otp.OtpRefusal.COOLDOWN and exc.value.retry_after == 40
    assert "chờ 40 giây" in exc.value.message

    later = T0 + dt.timedelta(seconds=60)
    renewed, new_code = otp.otp_resend(otp_id=one_time.pk, purpose=one_time.purpose, now=later)
    assert (renewed.sends, renewed.attempts, renewed.expires_at) == (2, 0, later + dt.timedelta(minutes=5))
    if new_code != code:
        assert _check(one_time, code, at=later).refusal == otp.OtpRefusal.WRONG
    assert _check(one_time, new_code, at=later + dt.timedelta(minutes=4)).ok


def test_a_new_request_for_the_same_phone_retires_the_older_code():
    first, first_code = _issue()
    second, second_code = otp.otp_issue(
        purpose=OneTimeCode.Purpose.SIGNUP, phone=PHONE, now=T0 + dt.timedelta(seconds=90)
    )
    at = T0 + dt.timedelta(minutes=2)
    assert _check(first, first_code, at=at).refusal == otp.OtpRefusal.EXPIRED
    assert _check(second, second_code, at=at).ok


def test_old_rows_are_deleted_a_day_after_expiry():
    old, _ = _issue()
    otp.otp_issue(
        purpose=OneTimeCode.Purpose.SIGNUP, phone="0987654321", now=T0 + dt.timedelta(days=1, minutes=6)
    )
    assert not OneTimeCode.objects.filter(pk=old.pk).exists()


def test_signup_holds_the_details_until_the_code_comes_back_then_creates_the_account(reference_data):
    one_time, code = services.citizen_signup_start(
        full_name="Trần Thị Bình",
        phone=PHONE,
        national_id="001190012345",
        date_of_birth=dt.date(1990, 1, 2),
        password="hoa-sen-no-2026",
        now=timezone.now(),
    )
    assert not User.objects.filter(phone=PHONE).exists()
    assert "hoa-sen-no-2026" not in str(OneTimeCode.objects.get(pk=one_time.pk).payload)
    user = services.citizen_signup_complete(otp_id=one_time.pk, code=code)
    assert (user.phone, user.national_id, user.username, user.is_active) == (
        PHONE,
        "001190012345",
        "001190012345",
        True,
    )
    assert user.check_password("hoa-sen-no-2026")
    assert OneTimeCode.objects.get(pk=one_time.pk).payload == {}
    with pytest.raises(otp.OtpError) as exc:
        services.citizen_signup_complete(otp_id=one_time.pk, code=code)
    assert exc.value.refusal == otp.OtpRefusal.USED
    assert User.objects.filter(phone=PHONE).count() == 1
