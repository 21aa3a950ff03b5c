import datetime

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.accounts.models import Role
from tinhso.accounts.tests import factories

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def test_passwords_are_hashed_with_argon2(reference_data):
    user = factories.citizen()
    assert user.password.startswith("argon2$")


def test_a_citizen_logs_in_and_out(client, reference_data):
    user = factories.citizen(full_name="Nguyễn Thị Hoa")
    res = client.post(LOGIN, {"username": user.username, "password": factories.PASSWORD})
    assert res.status_code == 302
    assert client.get("/").context["user"] == user
    client.post(reverse("accounts:logout"))
    assert not client.get("/").context["user"].is_authenticated


@pytest.mark.parametrize("typed", ["0912345678", "0912 345 678", "+84 912 345 678", "001190012345"])
def test_a_citizen_logs_in_with_a_phone_number_or_national_id(client, reference_data, typed):
    user = factories.citizen(phone="0912345678", national_id="001190012345")
    res = client.post(LOGIN, {"username": typed, "password": factories.PASSWORD})
    assert res.status_code == 302
    assert client.get("/").context["user"] == user


def test_the_login_page_explains_what_to_type_and_links_sign_up_and_reset(client, reference_data):
    page = client.get(LOGIN).content.decode()
    assert "Số điện thoại hoặc số định danh cá nhân" in page
    assert reverse("signup:start") in page and reverse("signup:password_reset") in page


def test_failures_count_against_the_account_however_it_was_typed(client, reference_data):
    user = factories.citizen(phone="0912345678", national_id="001190012345")
    for typed in ("0912345678", "001190012345", user.username, "+84912345678"):
        assert client.post(LOGIN, {"username": typed, "password": "sai"}).status_code == 200
    locked = client.post(LOGIN, {"username": "0912 345 678", "password": "sai"})
    assert locked.status_code == 429
    assert client.post(LOGIN, {"username": user.username, "password": factories.PASSWORD}).status_code == 429


def test_a_wrong_password_shows_a_clear_error(client, reference_data):
    user = factories.citizen()
    res = client.post(LOGIN, {"username": user.username, "password": "sai-mat-khau"})
    assert res.status_code == 200
    assert "mật khẩu chính xác" in res.content.decode()


def test_login_is_locked_after_five_failures_even_with_the_right_password(client, reference_data):
    user = factories.citizen()
    for _ in range(4):
        assert client.post(LOGIN, {"username": user.username, "password": "sai"}).status_code == 200
    locked = client.post(LOGIN, {"username": user.username, "password": "sai"})
    assert locked.status_code == 429
    assert "Tạm khóa đăng nhập" in locked.content.decode()
    again = client.post(LOGIN, {"username": user.username, "password": factories.PASSWORD})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_account_and_address_so_others_can_still_log_in(client, reference_data):
    victim, other = factories.citizen(), factories.citizen()
    for _ in range(5):
        client.post(LOGIN, {"username": victim.username, "password": "sai"})
    res = client.post(LOGIN, {"username": other.username, "password": factories.PASSWORD})
    assert res.status_code == 302


def _token(device: TOTPDevice, drift: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + drift * device.step
    return f"{totp.token():06d}"


def test_the_two_factor_flow_for_an_official(client, settings, reference_data):
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # throttling after a wrong code is tested on its own below
    official = factories.official(roles=(Role.COUNTER_OFFICER,))

    # Password alone does not open anything but the two-factor pages.
    client.post(LOGIN, {"username": official.username, "password": factories.PASSWORD})
    res = client.get("/admin/")
    assert res.status_code == 302 and res["Location"].startswith(reverse("accounts:two_factor_verify"))
    assert client.get("/api/officials").status_code == 403
    # No device yet: the verify page sends the official to enrolment, which shows a QR code.
    res = client.get(reverse("accounts:two_factor_verify"), follow=True)
    assert res.redirect_chain[-1][0].startswith(reverse("accounts:two_factor_setup"))
    assert "<svg" in res.content.decode()
    device = TOTPDevice.objects.get(user=official, confirmed=False)

    # A wrong code is refused with a message; the right one enables 2FA and verifies the session.
    res = client.post(
        reverse("accounts:two_factor_setup"), {"token": "000000" if _token(device) != "000000" else "111111"}
    )
    assert "Mã không đúng" in res.content.decode()
    res = client.post(
        reverse("accounts:two_factor_setup"), {"token": _token(device), "next": "/api/officials"}
    )
    assert res.status_code == 302 and res["Location"] == "/api/officials"
    assert client.get("/api/officials").status_code == 200
    device.refresh_from_db()
    assert device.confirmed

    # Next login: password, then a fresh code.
    client.post(reverse("accounts:logout"))
    client.post(LOGIN, {"username": official.username, "password": factories.PASSWORD})
    assert client.get("/api/officials").status_code == 403
    res = client.post(reverse("accounts:two_factor_verify"), {"token": "12345"})
    assert "6 chữ số" in res.content.decode()
    device.refresh_from_db()
    res = client.post(reverse("accounts:two_factor_verify"), {"token": _token(device, drift=1)})
    assert res.status_code == 302
    assert client.get("/api/officials").status_code == 200


def test_an_official_with_a_device_cannot_enrol_a_new_one_to_skip_verification(
    client, settings, reference_data
):
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = True
    official = factories.official()
    TOTPDevice.objects.create(user=official, name="phone", confirmed=True)
    client.post(LOGIN, {"username": official.username, "password": factories.PASSWORD})
    res = client.get(reverse("accounts:two_factor_setup"))
    assert res.status_code == 302 and res["Location"] == reverse("accounts:two_factor_verify")


def test_citizens_are_not_asked_for_a_second_factor(client, settings, reference_data):
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = True
    citizen = factories.citizen()
    client.post(LOGIN, {"username": citizen.username, "password": factories.PASSWORD})
    assert client.get("/").status_code == 200


def test_without_the_setting_officials_log_in_with_a_password_only(client, settings, reference_data):
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = False
    official = factories.official()
    client.post(LOGIN, {"username": official.username, "password": factories.PASSWORD})
    assert client.get("/api/officials").status_code == 200


def test_a_wrong_code_throttles_the_next_attempt(client, settings, reference_data):
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = True
    official = factories.official()
    device = TOTPDevice.objects.create(user=official, name="phone", confirmed=True)
    client.post(LOGIN, {"username": official.username, "password": factories.PASSWORD})
    wrong = "000000" if _token(device) != "000000" else "111111"
    client.post(reverse("accounts:two_factor_verify"), {"token": wrong})
    # Right code, but within the back-off window after a failure: refused, and the session stays unverified.
    res = client.post(reverse("accounts:two_factor_verify"), {"token": _token(device)})
    assert res.status_code == 200
    assert client.get("/api/officials").status_code == 403


def test_the_signed_in_user_is_read_with_agency_and_roles_in_one_query(
    reference_data, django_assert_num_queries
):
    from tinhso.accounts.backends import IdentifierBackend

    official = factories.official(roles=(Role.COUNTER_OFFICER, Role.SPECIALIST))
    # Dates and times set, so that their conversion (strings on SQLite) is compared too.
    official.date_of_birth = datetime.date(1985, 4, 30)
    official.last_login = datetime.datetime(2026, 11, 27, 8, 15, tzinfo=datetime.UTC)
    official.save()
    with django_assert_num_queries(1):
        user = IdentifierBackend().get_user(official.pk)
        assert user is not None and user.agency is not None and official.agency is not None
        assert user.agency.code == official.agency.code
        assert user.roles == {Role.COUNTER_OFFICER, Role.SPECIALIST}
    expected = type(official).objects.select_related("agency").get(pk=official.pk)
    for field in type(official)._meta.concrete_fields:  # as the ORM reads them, converted alike
        got, want = getattr(user, field.attname), getattr(expected, field.attname)
        assert got == want and type(got) is type(want), field.name
    assert IdentifierBackend().get_user("not-a-number") is None
    someone = factories.citizen()
    someone.groups.clear()  # no role at all: still one row, and an empty set
    with django_assert_num_queries(1):
        citizen = IdentifierBackend().get_user(someone.pk)
        assert citizen is not None and citizen.roles == frozenset()
    official.is_active = False
    official.save()
    assert IdentifierBackend().get_user(official.pk) is None
    assert IdentifierBackend().get_user(10**9) is None


def _verified_client(client, official):
    """A session that passed the second factor, as after sign-in and a code: its device in the session."""
    from django_otp import DEVICE_ID_SESSION_KEY

    device = TOTPDevice.objects.create(user=official, name="phone", confirmed=True)
    client.force_login(official)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.mark.parametrize("change", ["delete", "unconfirm"])
def test_the_second_factor_device_is_read_from_the_shared_cache_until_it_changes(
    client, settings, reference_data, redis_cache, change
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.TINHSO_REQUIRE_OFFICIAL_2FA = True
    settings.CACHE_URL = "redis://in-use-by-the-fixture"  # the middleware reads the cache only with one
    official = factories.official(roles=(Role.COUNTER_OFFICER,))
    device = _verified_client(client, official)
    assert client.get("/api/officials").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/officials").status_code == 200
    assert not [q for q in queries.captured_queries if "otp_totp" in q["sql"]]  # from the cache

    # Removing the device (or unconfirming it) ends the session's second factor at the next request.
    if change == "delete":
        device.delete()
    else:
        device.confirmed = False
        device.save()
    assert client.get("/api/officials").status_code == 403
