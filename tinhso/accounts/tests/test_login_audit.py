"""Every login, logout and failed login is in the audit log (login_audit.py), and the chain still verifies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.accounts import checks, login_audit
from tinhso.accounts.models import Role
from tinhso.accounts.tests import factories
from tinhso.accounts.tests.test_login import _token
from tinhso.accounts.tests.test_oidc import DEFAULT_NATIONAL_ID, _back_from_provider
from tinhso.core.audit import audit_verify
from tinhso.core.models import AuditEntry

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
BROWSER = "Mozilla/5.0 (Linux; Android 14) Chrome/126.0"


def _entries(*events: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(event__in=events).order_by("seq"))


def _new(entry: AuditEntry) -> dict[str, Any]:
    assert isinstance(entry.new, dict)
    return entry.new


def test_a_password_login_and_the_logout_are_audited_with_the_address_and_browser(client, reference_data):
    user = factories.citizen(phone="0912345678")
    res = client.post(
        LOGIN,
        {"username": "0912 345 678", "password": factories.PASSWORD},
        HTTP_USER_AGENT=BROWSER,
        REMOTE_ADDR="203.113.7.9",
    )
    assert res.status_code == 302
    client.post(reverse("accounts:logout"), REMOTE_ADDR="203.113.7.9")

    login, logout = _entries("user.logged_in", "user.logged_out")
    assert (login.event, login.target_type, login.target_id) == (
        "user.logged_in",
        "accounts.user",
        str(user.pk),
    )
    assert (login.actor_id, login.actor_label) == (user.pk, user.username)
    assert login.new == {"method": "password", "ip": "203.113.7.9"}  # no user-agent kept
    assert (logout.event, logout.target_id, logout.actor_id) == ("user.logged_out", str(user.pk), user.pk)
    assert logout.new == {"ip": "203.113.7.9"}
    assert not _entries("user.login_failed")
    assert audit_verify().ok


def test_an_officials_login_carries_the_agency_and_the_second_factor_is_audited(
    client, settings, reference_data
):
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    official = factories.official(roles=(Role.COUNTER_OFFICER,))
    assert official.agency is not None
    device = TOTPDevice.objects.create(user=official, name="phone", confirmed=True)
    client.post(LOGIN, {"username": official.username, "password": factories.PASSWORD})
    client.post(
        reverse("accounts:two_factor_verify"), {"token": "000000" if _token(device) != "000000" else "1"}
    )
    device.refresh_from_db()
    res = client.post(reverse("accounts:two_factor_verify"), {"token": _token(device)})
    assert res.status_code == 302

    login, failed, verified = _entries("user.logged_in", "user.two_factor_failed", "user.two_factor_verified")
    assert login.agency_code == official.agency.code != ""
    assert (failed.event, verified.event) == ("user.two_factor_failed", "user.two_factor_verified")
    assert verified.target_id == str(official.pk)
    assert verified.new == {"device": device.pk, "ip": "127.0.0.1"} and failed.new == {"ip": "127.0.0.1"}
    assert verified.agency_code == official.agency.code


def test_a_failed_login_names_the_account_but_never_what_was_typed(client, reference_data):
    user = factories.citizen(phone="0912345678", national_id="001190012345")
    for typed in ("0912 345 678", "001190012345"):
        assert client.post(LOGIN, {"username": typed, "password": "sai-mat-khau"}).status_code == 200

    entries = _entries("user.login_failed")
    assert [e.target_id for e in entries] == [str(user.pk)] * 2
    for entry in entries:
        assert entry.actor_id is None and entry.actor_label == "anonymous"
        assert entry.new == {"ip": "127.0.0.1", "known_account": True, "locked": False}
        stored = json.dumps([entry.old, entry.new, entry.target_id, entry.actor_label])
        assert "0912" not in stored and "001190012345" not in stored and "sai-mat-khau" not in stored
    assert not _entries("user.logged_in")


def test_an_unknown_identifier_is_audited_without_it(client, reference_data):
    typed = "mat-khau-go-nham-o-day"  # a password typed into the wrong box
    assert client.post(LOGIN, {"username": typed, "password": "x"}).status_code == 200
    (entry,) = _entries("user.login_failed")
    assert entry.target_id == "" and entry.new == {"ip": "127.0.0.1", "known_account": False, "locked": False}
    assert typed not in json.dumps([entry.new, entry.target_id])


@pytest.mark.parametrize("reset_during_lockout", [True, False])
def test_the_attempt_that_locks_is_audited_and_those_refused_while_locked_are_not(
    client, settings, reference_data, reset_during_lockout
):
    settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = reset_during_lockout
    user = factories.citizen()
    for _ in range(4):
        assert client.post(LOGIN, {"username": user.username, "password": "sai"}).status_code == 200
    assert client.post(LOGIN, {"username": user.username, "password": "sai"}).status_code == 429
    # Refused while locked — the right password too — and left to django-axes: the chain's head is shared
    # by every write of the province, and an attacker's attempts cost it nothing.
    for password in ["sai"] * 20 + [factories.PASSWORD]:
        assert client.post(LOGIN, {"username": user.username, "password": password}).status_code == 429

    entries = _entries("user.login_failed", "user.logged_in")
    assert [e.event for e in entries] == ["user.login_failed"] * 5
    assert [_new(e)["locked"] for e in entries] == [False] * 4 + [True]
    assert {e.target_id for e in entries} == {str(user.pk)}
    assert audit_verify().ok


def test_failures_from_one_address_are_audited_up_to_a_bound(client, reference_data, monkeypatch):
    monkeypatch.setattr(login_audit, "FAILURES_AUDITED_PER_HOUR", 3)
    for n in range(5):  # made-up identifiers: no lockout ever comes
        client.post(LOGIN, {"username": f"khong-co-{n}", "password": "x"}, REMOTE_ADDR="203.113.7.10")
    client.post(LOGIN, {"username": "khong-co-9", "password": "x"}, REMOTE_ADDR="203.113.7.11")
    assert [_new(e)["ip"] for e in _entries("user.login_failed")] == ["203.113.7.10"] * 3 + ["203.113.7.11"]
    # The budget spent, a real account's lockout from that address is still audited.
    user = factories.citizen()
    for _ in range(5):
        client.post(LOGIN, {"username": user.username, "password": "sai"}, REMOTE_ADDR="203.113.7.10")
    (lockout,) = [e for e in _entries("user.login_failed") if e.target_id == str(user.pk)]
    assert _new(lockout)["locked"] is True


def test_signing_up_logs_in_and_says_so(client, reference_data):
    from tinhso.accounts.models import User

    user = factories.citizen()
    request = RequestFactory().post(LOGIN, REMOTE_ADDR="203.113.7.12")
    setattr(request, login_audit.METHOD_ATTRIBUTE, "signup")
    login_audit.logged_in(sender=User, request=request, user=user)
    (login,) = _entries("user.logged_in")
    assert login.new == {"method": "signup", "ip": "203.113.7.12"}


def test_axes_must_run_before_the_login_audit(settings):
    assert checks.axes_before_accounts() == []
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "axes"] + ["axes"]
    assert [m.id for m in checks.axes_before_accounts()] == ["accounts.E005"]
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "axes"] + ["axes.apps.AppConfig"]
    assert [m.id for m in checks.axes_before_accounts()] == ["accounts.E005"]


def test_a_vneid_login_is_audited_as_such(client, vneid, reference_data):
    res = client.get(_back_from_provider(client, vneid), follow=True)
    user = res.context["user"]
    assert user.is_authenticated and user.national_id == DEFAULT_NATIONAL_ID
    (login,) = _entries("user.logged_in")
    assert login.target_id == str(user.pk) and _new(login)["method"] == "vneid"


def test_the_admin_sites_own_login_is_audited(client, reference_data):
    official = factories.official(roles=(Role.SYSTEM_ADMIN,))
    res = client.post(
        reverse("admin:login"),
        {"username": official.username, "password": factories.PASSWORD, "next": "/admin/"},
    )
    assert res.status_code == 302
    (login,) = _entries("user.logged_in")
    assert login.target_id == str(official.pk) and _new(login)["method"] == "password"


def test_a_logout_without_a_session_writes_nothing(client, reference_data):
    client.post(reverse("accounts:logout"))
    assert not _entries("user.logged_out")
