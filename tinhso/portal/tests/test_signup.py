"""Signing up and resetting a password with a code sent by SMS: the pages, through the outbox and the
delivery worker to the SMS gateway's stand-in (a real process), where the tests read the code as a phone
would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tinhso.accounts.models import OneTimeCode, Role, User
from tinhso.accounts.tests import factories
from tinhso.notifications.delivery import deliver_due
from tinhso.notifications.models import OutboxMessage
from tinhso.notifications.tests.conftest import (
    BRANDNAME,
    STANDIN_KEY,
    Standin,
    start_standin,
    stop_standin,
)

pytestmark = pytest.mark.django_db

START = reverse("signup:start")
VERIFY = reverse("signup:verify")
RESEND = reverse("signup:resend")
RESET = reverse("signup:password_reset")
RESET_VERIFY = reverse("signup:password_reset_verify")
RESET_RESEND = reverse("signup:password_reset_resend")
PHONE = "0912345678"
NATIONAL_ID = "001190012345"  # Hà Nội, female, born 1990
PASSWORD = "hoa-sen-no-2026"


@pytest.fixture(scope="module")
def _sms_process() -> Iterator[str]:
    process, send_url = start_standin()
    yield send_url
    stop_standin(process)


@pytest.fixture
def sms(_sms_process: str, settings: Any) -> Standin:
    running = Standin(send_url=_sms_process, base_url=_sms_process.rsplit("/sms/send", 1)[0])
    running.control(reset=True)
    settings.SMS_GATEWAY = "http"
    settings.SMS_GATEWAY_URL = _sms_process
    settings.SMS_GATEWAY_KEY = STANDIN_KEY
    settings.SMS_BRANDNAME = BRANDNAME
    settings.SMS_GATEWAY_TIMEOUT = 5
    return running


def _details(**changes: str) -> dict[str, str]:
    return {
        "full_name": "Trần Thị Bình",
        "phone": "0912 345 678",
        "national_id": NATIONAL_ID,
        "date_of_birth": "02/01/1990",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **changes,
    }


def _code_on_phone(sms: Standin, phone: str = PHONE) -> str:
    """Run the delivery worker, then read the newest code the gateway took for this phone."""
    deliver_due()
    texts = [m["message"] for m in sms.messages() if m["phone"] == "84" + phone[1:]]
    assert texts, "no SMS reached the gateway"
    found = re.search(r"\b(\d{6})\b", texts[-1])
    assert found, texts[-1]
    return found.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _pass_time(seconds: int) -> None:
    """Time passes for the codes: their sending and expiry move into the past."""
    for row in OneTimeCode.objects.all():
        row.sent_at -= timedelta(seconds=seconds)
        row.expires_at -= timedelta(seconds=seconds)
        row.created_at -= timedelta(seconds=seconds)
        row.save()


def _text(res: Any) -> str:
    return res.content.decode()


# --- The path of a newcomer ---------------------------------------------------------------------------------


def test_a_newcomer_signs_up_with_the_code_from_the_sms_and_is_logged_in(client, sms, reference_data):
    res = client.post(START + "?next=/procedures/", _details(next="/procedures/"))
    assert res.status_code == 302 and res["Location"] == VERIFY
    assert not User.objects.filter(phone=PHONE).exists()  # nothing until the code comes back

    page = _text(client.get(VERIFY))
    assert "091•••678" in page and "5 phút" in page
    code = _code_on_phone(sms)
    message = sms.messages()[-1]
    assert message["brandname"] == BRANDNAME and "Không đưa mã này cho bất kỳ ai" in message["message"]
    # Sent: the code is gone from the outbox (only its hash is kept, in accounts).
    assert not OutboxMessage.objects.filter(body__contains=code).exists()
    assert OutboxMessage.objects.filter(topic="account:signup", sensitive=True, state="sent").count() == 1

    res = client.post(VERIFY, {"code": code}, follow=True)
    assert res.redirect_chain[-1] == ("/procedures/", 302)
    user = res.context["user"]
    assert user.is_authenticated
    assert (user.full_name, user.phone, user.national_id, str(user.date_of_birth)) == (
        "Trần Thị Bình",
        PHONE,
        NATIONAL_ID,
        "1990-01-02",
    )
    assert user.kind == User.Kind.CITIZEN and user.has_role(Role.CITIZEN)
    assert not user.national_id_verified  # typed, not checked against the card: VNeID will not link it
    assert "Đã tạo tài khoản" in _text(res)

    # Next time: phone number and password on the login page.
    client.post(reverse("accounts:logout"))
    assert client.post("/accounts/login/", {"username": PHONE, "password": PASSWORD}).status_code == 302


def test_the_code_cannot_be_used_a_second_time(client, sms, reference_data):
    client.post(START, _details())
    code = _code_on_phone(sms)
    one_time = OneTimeCode.objects.get()
    other = Client()  # a second browser holding the same sign-up
    session = other.session
    session["signup_otp"] = one_time.pk
    session.save()
    assert client.post(VERIFY, {"code": code}).status_code == 302
    res = other.post(VERIFY, {"code": code}, follow=True)
    assert "_auth_user_id" not in other.session
    assert "bắt đầu lại" in _text(res)
    assert User.objects.filter(phone=PHONE).count() == 1


def test_an_expired_code_is_refused_with_a_message_saying_what_to_do(client, sms, reference_data):
    client.post(START, _details())
    code = _code_on_phone(sms)
    _pass_time(5 * 60 + 1)
    res = client.post(VERIFY, {"code": code})
    assert res.status_code == 200
    assert "Mã xác nhận đã hết hạn" in _text(res) and "Gửi lại mã" in _text(res)
    assert "_auth_user_id" not in client.session

    # A new code (the old one is gone) opens the account.
    assert client.post(RESEND).status_code == 302
    fresh = _code_on_phone(sms)
    assert client.post(VERIFY, {"code": fresh}).status_code == 302
    assert User.objects.filter(phone=PHONE).exists()


def test_wrong_codes_are_counted_and_the_fifth_locks_the_code(client, sms, reference_data):
    client.post(START, _details())
    code = _code_on_phone(sms)
    res = client.post(VERIFY, {"code": _wrong(code)})
    assert "Mã xác nhận không đúng" in _text(res) and "còn 4 lần thử" in _text(res)
    for _ in range(4):
        res = client.post(VERIFY, {"code": _wrong(code)})
    assert "sai mã 5 lần" in _text(res)
    res = client.post(VERIFY, {"code": code})
    assert "sai mã 5 lần" in _text(res)
    assert not User.objects.filter(phone=PHONE).exists()


def test_the_code_form_says_what_is_wrong_with_what_was_typed(client, sms, reference_data):
    client.post(START, _details())
    assert "đúng 6 chữ số" in _text(client.post(VERIFY, {"code": "123"}))
    assert "chỉ gồm chữ số" in _text(client.post(VERIFY, {"code": "12a456"}))
    assert OneTimeCode.objects.get().attempts == 0  # not a try at the code


def test_resend_waits_a_minute_then_sends_a_new_code(client, sms, reference_data):
    client.post(START, _details())
    first = _code_on_phone(sms)
    assert "gửi lại mã sau" in _text(client.get(VERIFY))
    res = client.post(RESEND, follow=True)
    assert "Vui lòng chờ" in _text(res)
    deliver_due()
    assert len(sms.messages()) == 1

    _pass_time(61)
    res = client.post(RESEND, follow=True)
    assert "Đã gửi mã mới" in _text(res)
    second = _code_on_phone(sms)
    assert len(sms.messages()) == 2
    if second != first:
        assert "không đúng" in _text(client.post(VERIFY, {"code": first}))
    assert client.post(VERIFY, {"code": second}).status_code == 302


# --- Mistakes and duplicates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "0241234567"}, "phone", "số máy bàn"),
        ({"phone": "12345"}, "phone", "10 chữ số"),
        ({"national_id": "00119001234"}, "national_id", "đúng 12 chữ số"),
        ({"national_id": "999190012345"}, "national_id", "mã tỉnh"),
        ({"date_of_birth": "02/01/1991"}, "national_id", "năm sinh 1990"),
        ({"date_of_birth": "1/13/1990"}, "date_of_birth", "ngày/tháng/năm"),
        ({"password2": "khac-han"}, "password2", "chưa giống nhau"),
        ({"password1": "12345678", "password2": "12345678"}, "password1", ""),
        ({"full_name": ""}, "full_name", "Nhập họ và tên"),
    ],
)
def test_mistakes_are_explained_and_nothing_is_sent(client, sms, reference_data, changes, field, message):
    res = client.post(START, _details(**changes))
    assert res.status_code == 200
    errors = res.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not OutboxMessage.objects.exists() and not OneTimeCode.objects.exists()


def test_a_phone_or_id_already_registered_is_told_without_revealing_the_account(client, sms, reference_data):
    factories.citizen(phone=PHONE, full_name="Người Đã Có", national_id="001090099999")
    res = client.post(START, _details())
    page = _text(res)
    assert "Số điện thoại này đã được đăng ký" in page and "Quên mật khẩu" in page
    assert "Người Đã Có" not in page and "001090099999" not in page
    factories.citizen(national_id=NATIONAL_ID)
    res = client.post(START, _details(phone="0987654321"))
    assert "Số định danh cá nhân này đã có tài khoản" in _text(res)
    assert not OutboxMessage.objects.exists()


def test_someone_registering_the_same_phone_in_between_is_caught_at_the_code(client, sms, reference_data):
    client.post(START, _details())
    code = _code_on_phone(sms)
    factories.citizen(phone=PHONE)
    res = client.post(VERIFY, {"code": code})
    assert "đã được đăng ký" in _text(res)
    assert User.objects.filter(phone=PHONE).count() == 1


def test_the_verify_page_without_a_sign_up_goes_back_to_the_start(client, reference_data):
    res = client.get(VERIFY, follow=True)
    assert res.redirect_chain[-1][0] == START
    assert "bắt đầu lại" in _text(res)


# --- Rate limits and CSRF -----------------------------------------------------------------------------------


def test_codes_sent_to_one_phone_are_limited_per_hour(client, sms, settings, reference_data):
    settings.ACCOUNT_OTP_SENDS_PER_PHONE = 2
    for address in ("10.0.0.1", "10.0.0.2"):
        assert client.post(START, _details(), REMOTE_ADDR=address).status_code == 302
    res = Client().post(START, _details(), REMOTE_ADDR="10.0.0.3")
    assert res.status_code == 429
    assert "quá nhiều lần" in _text(res) and "phút" in _text(res)
    _pass_time(61)
    res = client.post(RESEND, REMOTE_ADDR="10.0.0.4", follow=True)
    assert "quá nhiều lần" in _text(res)
    assert OutboxMessage.objects.count() == 2


def test_codes_asked_for_from_one_address_are_limited_per_hour(client, sms, settings, reference_data):
    settings.ACCOUNT_OTP_SENDS_PER_IP = 2
    for n in range(2):
        res = client.post(START, _details(phone=f"098765432{n}"), REMOTE_ADDR="10.0.0.9")
        assert res.status_code == 302
    res = client.post(START, _details(phone="0987654329"), REMOTE_ADDR="10.0.0.9")
    assert res.status_code == 429
    assert client.post(START, _details(phone="0987654329"), REMOTE_ADDR="10.0.0.10").status_code == 302


def test_code_checks_from_one_address_are_limited_per_hour(client, sms, settings, reference_data):
    settings.ACCOUNT_OTP_CHECKS_PER_IP = 3
    client.post(START, _details())
    code = _code_on_phone(sms)
    for _ in range(3):
        client.post(VERIFY, {"code": _wrong(code)})
    OneTimeCode.objects.update(attempts=0)  # even a code with tries left
    res = client.post(VERIFY, {"code": code})
    assert res.status_code == 429
    assert not User.objects.filter(phone=PHONE).exists()


def test_every_sign_up_form_needs_a_csrf_token(sms, reference_data):
    strict = Client(enforce_csrf_checks=True)
    assert 'name="csrfmiddlewaretoken"' in _text(strict.get(START))
    for url, data in (
        (START, _details()),
        (VERIFY, {"code": "123456"}),
        (RESEND, {}),
        (RESET, {"identifier": PHONE}),
        (RESET_VERIFY, {"code": "123456"}),
        (RESET_RESEND, {}),
    ):
        assert strict.post(url, data).status_code == 403, url
    assert not OutboxMessage.objects.exists()


# --- Forgotten password -------------------------------------------------------------------------------------


def test_a_forgotten_password_is_reset_with_a_code_sent_to_the_accounts_phone(client, sms, reference_data):
    user = factories.citizen(phone=PHONE, national_id=NATIONAL_ID)
    res = client.post(RESET, {"identifier": NATIONAL_ID})
    assert res.status_code == 302 and res["Location"] == RESET_VERIFY
    code = _code_on_phone(sms)
    assert "đặt lại mật khẩu" in sms.messages()[-1]["message"]
    res = client.post(
        RESET_VERIFY, {"code": code, "password1": "mat-khau-moi-2026", "password2": "mat-khau-moi-2026"}
    )
    assert res.status_code == 302 and res["Location"] == reverse("accounts:login")
    user.refresh_from_db()
    assert user.check_password("mat-khau-moi-2026")
    assert (
        client.post("/accounts/login/", {"username": PHONE, "password": "mat-khau-moi-2026"}).status_code
        == 302
    )
    # The code is spent.
    client.post(reverse("accounts:logout"))
    session = client.session
    session["reset_otp"] = OneTimeCode.objects.get(purpose="reset").pk
    session.save()
    res = client.post(
        RESET_VERIFY, {"code": code, "password1": "lai-doi-nua-2026", "password2": "lai-doi-nua-2026"}
    )
    assert res.status_code == 302
    user.refresh_from_db()
    assert user.check_password("mat-khau-moi-2026")


def test_resetting_for_an_unknown_number_or_an_official_sends_nothing(client, sms, reference_data):
    official = factories.official(phone="0987654321")
    for identifier in ("0911111111", official.phone):
        res = client.post(RESET, {"identifier": identifier})
        assert res.status_code == 200
        assert "Không có tài khoản công dân nào dùng số này" in _text(res)
    assert not OutboxMessage.objects.exists()


def test_a_wrong_reset_code_keeps_the_old_password(client, sms, reference_data):
    user = factories.citizen(phone=PHONE)
    client.post(RESET, {"identifier": PHONE})
    code = _code_on_phone(sms)
    res = client.post(
        RESET_VERIFY,
        {"code": _wrong(code), "password1": "mat-khau-moi-2026", "password2": "mat-khau-moi-2026"},
    )
    assert "Mã xác nhận không đúng" in _text(res)
    user.refresh_from_db()
    assert user.check_password(factories.PASSWORD)
