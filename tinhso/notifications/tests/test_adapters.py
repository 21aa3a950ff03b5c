"""The adapters: Vietnamese phone numbers, the HTTP SMS gateway against its stand-in (a real process),
the console gateway, e-mail through Django's backend, and choosing the gateway from the settings."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

import pytest
from django.core import mail
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from tinhso.core.http import OutboundError, request_json
from tinhso.notifications.adapters import (
    API_KEY_HEADER,
    ConsoleSmsGateway,
    DeliveryError,
    EmailSender,
    HttpSmsGateway,
    phone_normalise,
    sms_gateway,
)
from tinhso.notifications.tests.conftest import BRANDNAME, STANDIN_KEY, Standin, start_standin, stop_standin


@pytest.mark.parametrize(
    "written",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "+84912345678",
        "+84 912 345 678",
        "84912345678",
        "0084912345678",
        "+84 (0) 912-345-678",
    ],
)
def test_the_ways_people_write_a_mobile_number_become_one(written: str) -> None:
    assert phone_normalise(written) == "84912345678"


def test_every_post_2018_mobile_prefix_is_accepted() -> None:
    assert [phone_normalise(n) for n in ("0321234567", "0561234567", "0701234567", "0861234567")] == [
        "84321234567",
        "84561234567",
        "84701234567",
        "84861234567",
    ]


@pytest.mark.parametrize(
    "written",
    [
        "",
        "091234567",
        "09123456789",
        "02073822222",
        "01212345678",
        "+1 415 555 0100",
        "0912abc678",
        "٠٩١٢٣٤٥٦٧٨",
    ],
)
def test_a_landline_an_old_11_digit_or_a_foreign_number_is_refused_for_good(written: str) -> None:
    with pytest.raises(DeliveryError) as caught:
        phone_normalise(written)
    assert not caught.value.retryable


def _gateway(standin: Standin, **overrides: Any) -> HttpSmsGateway:
    options = {"url": standin.send_url, "api_key": STANDIN_KEY, "brandname": BRANDNAME, "timeout": 5.0}
    return HttpSmsGateway(**{**options, **overrides})


def test_the_http_gateway_hands_the_sms_to_the_provider_in_its_shape(standin: Standin) -> None:
    provider_id = _gateway(standin).send(
        "0912 345 678", "Hồ sơ 000.00.30.H60-260302-0001: Đã tiếp nhận.", "k1"
    )
    [accepted] = standin.messages()
    assert accepted["id"] == provider_id
    assert (accepted["phone"], accepted["brandname"], accepted["request_id"]) == (
        "84912345678",
        BRANDNAME,
        "k1",
    )
    assert accepted["message"] == "Hồ sơ 000.00.30.H60-260302-0001: Đã tiếp nhận."


def test_the_same_idempotency_key_twice_sends_one_sms_with_one_id(standin: Standin) -> None:
    gateway = _gateway(standin)
    first = gateway.send("0912345678", "Xin chào", "dossier:1:2:sms")
    again = gateway.send("0912345678", "Xin chào", "dossier:1:2:sms")
    assert first == again
    [accepted] = standin.messages()
    assert accepted["requests"] == 2


def test_a_gateway_outage_is_worth_a_retry(standin: Standin) -> None:
    standin.control(fail_next=1, fail_status=503)
    with pytest.raises(DeliveryError) as caught:
        _gateway(standin).send("0912345678", "Xin chào", "k1")
    assert caught.value.retryable and "503" in caught.value.reason
    assert standin.messages() == []


def test_a_refusal_by_the_provider_is_final_and_says_why(standin: Standin) -> None:
    with pytest.raises(DeliveryError) as caught:
        _gateway(standin, brandname="KHAC").send("0912345678", "Xin chào", "k1")
    assert not caught.value.retryable
    assert "400" in caught.value.reason and "brandname not registered" in caught.value.reason


def test_a_wrong_api_key_is_final(standin: Standin) -> None:
    with pytest.raises(DeliveryError) as caught:
        _gateway(standin, api_key="sai").send("0912345678", "Xin chào", "k1")
    assert not caught.value.retryable and "401" in caught.value.reason


def test_an_invalid_number_never_reaches_the_provider(standin: Standin) -> None:
    with pytest.raises(DeliveryError) as caught:
        _gateway(standin).send("0243 825 1234", "Xin chào", "k1")
    assert not caught.value.retryable
    assert standin.messages() == []


def test_a_provider_that_is_down_is_worth_a_retry() -> None:
    process, send_url = start_standin()
    stop_standin(process)  # the port is free again: the connection is refused
    with pytest.raises(DeliveryError) as caught:
        HttpSmsGateway(url=send_url, api_key=STANDIN_KEY, brandname=BRANDNAME, timeout=2).send(
            "0912345678", "Xin chào", "k1"
        )
    assert caught.value.retryable


def test_a_provider_slower_than_the_timeout_is_worth_a_retry(standin: Standin) -> None:
    standin.control(delay=1.0)
    with pytest.raises(DeliveryError) as caught:
        _gateway(standin, timeout=0.2).send("0912345678", "Xin chào", "k1")
    assert caught.value.retryable and "timed out" in caught.value.reason


def test_the_stand_in_can_fail_its_first_requests_from_the_command_line() -> None:
    process, send_url = start_standin("--fail-first", "2")
    try:
        gateway = HttpSmsGateway(url=send_url, api_key=STANDIN_KEY, brandname=BRANDNAME, timeout=5)
        for _ in range(2):
            with pytest.raises(DeliveryError):
                gateway.send("0912345678", "Xin chào", "k1")
        assert gateway.send("0912345678", "Xin chào", "k1").startswith("standin-")
    finally:
        stop_standin(process)


def test_the_stand_in_refuses_a_request_id_reused_for_another_message(standin: Standin) -> None:
    gateway = _gateway(standin)
    gateway.send("0912345678", "Tin thứ nhất", "k1")
    with pytest.raises(DeliveryError) as caught:
        gateway.send("0912345678", "Tin thứ hai", "k1")
    assert not caught.value.retryable and "409" in caught.value.reason
    assert [m["message"] for m in standin.messages()] == ["Tin thứ nhất"]


def test_the_console_gateway_logs_the_sms_instead_of_sending_it(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tinhso.notifications.adapters"):
        provider_id = ConsoleSmsGateway().send("0912345678", "Hồ sơ đã tiếp nhận", "k1")
    assert provider_id.startswith("console-")
    assert "84912345678" in caplog.text and "Hồ sơ đã tiếp nhận" in caplog.text
    with pytest.raises(DeliveryError):
        ConsoleSmsGateway().send("12345", "x", "k2")


def _our_checks() -> list[str]:
    return [str(m.id) for m in run_checks() if str(m.id).startswith("notifications.")]


def test_the_gateway_comes_from_the_settings(settings: Any) -> None:
    assert isinstance(sms_gateway(), ConsoleSmsGateway)  # the default: nothing leaves a fresh clone
    settings.SMS_GATEWAY = "http"
    settings.SMS_GATEWAY_URL = ""
    with pytest.raises(ImproperlyConfigured):
        sms_gateway()
    assert _our_checks() == ["notifications.E002"]
    settings.SMS_GATEWAY_URL = "https://sms.example.vn/api/send"
    settings.SMS_GATEWAY_KEY = "k"
    assert isinstance(sms_gateway(), HttpSmsGateway)
    assert _our_checks() == []
    settings.SMS_GATEWAY = "zalo"
    with pytest.raises(ImproperlyConfigured):
        sms_gateway()
    assert _our_checks() == ["notifications.E001"]


def test_an_email_goes_through_djangos_backend_with_a_message_id_from_its_key(settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = "Tỉnh Số <khongtraloi@tinhso.example.vn>"
    sender = EmailSender()
    message_id = sender.send("hang@example.vn", "Hồ sơ 0001: Đã tiếp nhận", "Nội dung", "dossier:1:2:email")
    [sent] = mail.outbox
    assert (sent.to, sent.subject, sent.body) == (["hang@example.vn"], "Hồ sơ 0001: Đã tiếp nhận", "Nội dung")
    assert sent.extra_headers["Message-ID"] == message_id
    assert message_id.endswith("@tinhso.example.vn>")
    assert sender.send("hang@example.vn", "s", "b", "dossier:1:2:email") == message_id  # same key, same id


def test_an_invalid_email_address_is_refused_for_good() -> None:
    with pytest.raises(DeliveryError) as caught:
        EmailSender().send("hang@", "s", "b", "k")
    assert not caught.value.retryable
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (smtplib.SMTPRecipientsRefused({"hang@example.vn": (550, b"no such user")}), False),
        (smtplib.SMTPResponseException(451, b"greylisted, try later"), True),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
    ],
)
def test_smtp_failures_say_whether_a_retry_can_help(
    monkeypatch: pytest.MonkeyPatch, error: Exception, retryable: bool
) -> None:
    # The SMTP server is faked at the edge of the adapter: Django's EmailMessage.send raises what the
    # SMTP backend would.
    def refuse(self: Any, fail_silently: bool = False) -> int:
        raise error

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with pytest.raises(DeliveryError) as caught:
        EmailSender().send("hang@example.vn", "s", "b", "k")
    assert caught.value.retryable is retryable


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ([1, 2], "JSON object"),
        ({"phone": "0912345678", "message": "x", "brandname": BRANDNAME, "request_id": "k"}, "invalid phone"),
        ({"phone": "84912345678", "message": " ", "brandname": BRANDNAME, "request_id": "k"}, "empty"),
        (
            {"phone": "84912345678", "message": "x" * 1001, "brandname": BRANDNAME, "request_id": "k"},
            "longer",
        ),
        ({"phone": "84912345678", "message": "x", "brandname": BRANDNAME}, "request_id"),
    ],
)
def test_the_stand_in_refuses_what_a_provider_would_refuse(
    standin: Standin, payload: Any, reason: str
) -> None:
    with pytest.raises(OutboundError) as caught:
        request_json("POST", standin.send_url, payload=payload, headers={API_KEY_HEADER: STANDIN_KEY})
    assert caught.value.status == 400 and reason in caught.value.body
    assert standin.messages() == []


def test_a_lease_too_short_to_send_anything_is_caught_at_start_up(settings: Any) -> None:
    settings.NOTIFY_LEASE_SECONDS = 60
    settings.NOTIFY_MAX_ATTEMPTS = 0
    assert _our_checks() == ["notifications.E003", "notifications.E004"]
