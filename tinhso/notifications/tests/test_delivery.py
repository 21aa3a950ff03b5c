"""The worker: claim, send, record; retries with back-off, final failures, leases and replays. SMS go to the
stand-in of the gateway (a real process); e-mail to Django's locmem backend."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from tinhso.notifications import delivery
from tinhso.notifications.adapters import DeliveryError, sms_gateway
from tinhso.notifications.delivery import backoff_seconds, deliver_due
from tinhso.notifications.models import OutboxMessage
from tinhso.notifications.services import message_enqueue
from tinhso.notifications.tests.conftest import Standin

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


def sms(n: int = 1, *, phone: str = "0912345678", at: datetime = T0) -> OutboxMessage:
    message = message_enqueue(
        channel="sms",
        recipient=phone,
        body=f"Hồ sơ 000.00.30.H60-260302-{n:04d}: Đã tiếp nhận.",
        dedupe_key=f"dossier:{n}:2:sms",
        topic=f"dossier:000.00.30.H60-260302-{n:04d}",
    )
    assert message is not None
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=at)
    return OutboxMessage.objects.get(pk=message.pk)


def reload(message: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.objects.get(pk=message.pk)


def test_a_queued_sms_reaches_the_gateway_once_and_is_recorded_as_sent(standin: Standin) -> None:
    message = sms()
    report = deliver_due(now=T0)
    assert (report.claimed, report.sent) == (1, 1)
    [accepted] = standin.messages()
    assert (accepted["phone"], accepted["request_id"]) == ("84912345678", "dossier:1:2:sms")
    message = reload(message)
    assert (message.state, message.attempts, message.sent_at) == ("sent", 1, T0)
    assert message.provider_id == accepted["id"] and message.claim_token == ""
    assert deliver_due(now=T0 + timedelta(hours=1)).claimed == 0  # sent is sent


def test_an_email_is_delivered_through_djangos_mail_backend() -> None:
    message = message_enqueue(
        channel="email",
        recipient="hang@example.vn",
        subject="Hồ sơ 000.00.30.H60-260302-0001: Đã tiếp nhận",
        body="Hồ sơ 000.00.30.H60-260302-0001 (Đăng ký thường trú): Đã tiếp nhận.",
        dedupe_key="dossier:1:2:email",
    )
    assert message is not None
    report = deliver_due(now=timezone.now() + timedelta(seconds=1))
    assert report.sent == 1
    [sent] = mail.outbox
    assert sent.to == ["hang@example.vn"] and sent.subject == "Hồ sơ 000.00.30.H60-260302-0001: Đã tiếp nhận"
    assert reload(message).provider_id == sent.extra_headers["Message-ID"]


def test_a_message_not_yet_due_waits(standin: Standin) -> None:
    sms(at=T0 + timedelta(minutes=5))
    assert deliver_due(now=T0).claimed == 0
    assert deliver_due(now=T0 + timedelta(minutes=5)).sent == 1


def test_a_gateway_outage_is_retried_after_1_2_4_minutes_then_delivered(standin: Standin) -> None:
    message = sms()
    standin.control(fail_next=3, fail_status=503)
    now = T0
    waits = []
    for _ in range(3):
        assert deliver_due(now=now).retried == 1
        message = reload(message)
        assert message.state == "pending" and "503" in message.last_error
        assert deliver_due(now=message.next_attempt_at - timedelta(seconds=1)).claimed == 0  # not before
        waits.append((message.next_attempt_at - now).total_seconds())
        now = message.next_attempt_at
    for wait, minutes in zip(waits, (1, 2, 4), strict=True):
        assert 0.8 * 60 * minutes <= wait <= 1.2 * 60 * minutes
    assert deliver_due(now=now).sent == 1
    assert (reload(message).state, reload(message).attempts) == ("sent", 4)
    assert len(standin.messages()) == 1


def test_the_back_off_doubles_from_one_minute_is_jittered_and_capped_at_an_hour() -> None:
    rng = random.Random(7)
    for attempts in range(1, 12):
        expected = min(3600, 60 * 2 ** (attempts - 1))
        samples = [backoff_seconds(attempts, rng=rng) for _ in range(50)]
        assert all(0.8 * expected <= s <= 1.2 * expected for s in samples)
        assert len({round(s, 3) for s in samples}) > 40  # jittered: workers do not return in lockstep


def test_an_invalid_phone_fails_at_once_with_its_reason(standin: Standin) -> None:
    message = sms(phone="0243 825 1234")  # a Hà Nội landline: no SMS
    report = deliver_due(now=T0)
    assert (report.failed, report.retried) == (1, 0)
    message = reload(message)
    assert (message.state, message.attempts) == ("failed", 1)
    assert "không phải số di động" in message.last_error
    assert standin.messages() == []


def test_a_request_the_gateway_refuses_fails_at_once_with_the_gateways_reason(standin: Standin) -> None:
    message = sms()
    standin.control(fail_next=1, fail_status=400)
    assert deliver_due(now=T0).failed == 1
    message = reload(message)
    assert message.state == "failed" and "400" in message.last_error
    assert "temporarily unavailable" in message.last_error  # the stand-in's own words
    assert deliver_due(now=T0 + timedelta(days=1)).claimed == 0


def test_a_message_fails_after_the_last_attempt(standin: Standin, settings: Any) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 3
    message = sms()
    standin.control(fail_next=100, fail_status=503)
    now = T0
    outcomes = []
    for _ in range(3):
        report = deliver_due(now=now)
        outcomes.append((report.retried, report.failed))
        now = reload(message).next_attempt_at
    assert outcomes == [(1, 0), (1, 0), (0, 1)]
    message = reload(message)
    assert (message.state, message.attempts) == ("failed", 3)
    assert "503" in message.last_error
    assert deliver_due(now=now + timedelta(days=1)).claimed == 0


class _Crash(BaseException):
    """The worker dies (power cut, OOM kill) between the gateway's answer and the outbox's record."""


class _SendsThenCrashes:
    def __init__(self) -> None:
        self.real = sms_gateway()

    def send(self, phone: str, text: str, idempotency_key: str) -> str:
        self.real.send(phone, text, idempotency_key)
        raise _Crash


def test_a_delivery_replayed_after_a_crash_sends_no_second_sms(standin: Standin, settings: Any) -> None:
    settings.NOTIFY_LEASE_SECONDS = 300
    message = sms()
    with pytest.raises(_Crash):
        deliver_due(now=T0, sms=_SendsThenCrashes())
    message = reload(message)
    assert message.state == "pending" and message.claim_token  # the gateway has it, the outbox does not know
    assert message.next_attempt_at == T0 + timedelta(seconds=300)
    assert deliver_due(now=T0 + timedelta(minutes=4)).claimed == 0  # still the dead worker's lease

    report = deliver_due(now=T0 + timedelta(minutes=5))
    assert report.sent == 1
    [accepted] = standin.messages()
    assert accepted["requests"] == 2  # asked twice, delivered once
    message = reload(message)
    assert (message.state, message.provider_id, message.attempts) == ("sent", accepted["id"], 2)


def test_a_worker_that_overran_its_lease_records_nothing_over_the_next_one(
    standin: Standin, settings: Any
) -> None:
    settings.NOTIFY_LEASE_SECONDS = 300
    message = sms()
    reports = []

    class _Slow:
        """While the first worker waits for the gateway, its lease runs out and a second takes over."""

        def __init__(self) -> None:
            self.real = sms_gateway()

        def send(self, phone: str, text: str, idempotency_key: str) -> str:
            reports.append(deliver_due(now=T0 + timedelta(minutes=6)))
            return self.real.send(phone, text, idempotency_key)

    first = deliver_due(now=T0, sms=_Slow())
    assert (reports[0].claimed, reports[0].sent) == (1, 1)
    assert (first.sent, first.lost) == (0, 1)
    message = reload(message)
    assert (message.state, message.attempts, message.sent_at) == ("sent", 2, T0 + timedelta(minutes=6))
    assert len(standin.messages()) == 1


def test_a_worker_hands_back_what_it_cannot_send_before_its_lease_ends(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.NOTIFY_LEASE_SECONDS = 130
    clock = {"now": 1000.0}
    monkeypatch.setattr(delivery.time, "monotonic", lambda: clock["now"])
    sent = []

    class _TakesHalfTheLease:
        def send(self, phone: str, text: str, idempotency_key: str) -> str:
            clock["now"] += 40  # 130 s lease, 60 s margin: 70 s of sending
            sent.append(idempotency_key)
            return "id-" + idempotency_key

    messages = [sms(n) for n in range(1, 5)]
    report = deliver_due(now=T0, sms=_TakesHalfTheLease())
    assert (report.claimed, report.sent, report.released) == (4, 2, 2)
    assert sent == ["dossier:1:2:sms", "dossier:2:2:sms"]
    given_back = [reload(m) for m in messages[2:]]
    assert [(m.state, m.attempts, m.claim_token, m.next_attempt_at) for m in given_back] == [
        ("pending", 0, "", T0)
    ] * 2


def test_an_unexpected_error_in_an_adapter_is_retried_not_fatal() -> None:
    class _Buggy:
        def send(self, phone: str, text: str, idempotency_key: str) -> str:
            raise KeyError("provider_id")

    message = sms()
    assert deliver_due(now=T0, sms=_Buggy()).retried == 1
    assert "KeyError" in reload(message).last_error


def test_the_oldest_due_messages_go_first_a_batch_at_a_time() -> None:
    class _Records:
        sent: list[str] = []

        def send(self, phone: str, text: str, idempotency_key: str) -> str:
            self.sent.append(idempotency_key)
            return idempotency_key

    gateway = _Records()
    for n, minutes in ((1, 3), (2, 1), (3, 2), (4, 0), (5, 4)):
        sms(n, at=T0 + timedelta(minutes=minutes))
    later = T0 + timedelta(minutes=10)
    assert [deliver_due(batch=2, now=later, sms=gateway).sent for _ in range(4)] == [2, 2, 1, 0]
    assert gateway.sent == [f"dossier:{n}:2:sms" for n in (4, 2, 3, 1, 5)]


def test_a_retryable_email_failure_waits_and_a_final_one_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    class _Mailer:
        def __init__(self, error: DeliveryError) -> None:
            self.error = error

        def send(self, to: str, subject: str, body: str, idempotency_key: str) -> str:
            raise self.error

    message_enqueue(channel="email", recipient="a@example.vn", body="x", dedupe_key="e1")
    now = timezone.now() + timedelta(seconds=1)
    busy = deliver_due(now=now, email=_Mailer(DeliveryError("SMTP 451", retryable=True)))  # type: ignore[arg-type]
    assert busy.retried == 1
    refused = deliver_due(
        now=now + timedelta(hours=1),
        email=_Mailer(DeliveryError("SMTP 550", retryable=False)),  # type: ignore[arg-type]
    )
    assert refused.failed == 1
    assert OutboxMessage.objects.get(dedupe_key="e1").last_error == "SMTP 550"


def test_a_sensitive_message_is_sent_whole_then_its_body_is_wiped(standin: Standin, settings: Any) -> None:
    code = message_enqueue(
        channel="sms",
        recipient="0912345678",
        body="Tỉnh Số: mã xác nhận đăng ký tài khoản là 493817, dùng trong 5 phút.",
        dedupe_key="otp:1:1",
        topic="account:signup",
        sensitive=True,
    )
    plain = sms(2)
    assert code is not None
    OutboxMessage.objects.filter(pk=code.pk).update(next_attempt_at=T0)
    assert deliver_due(now=T0).sent == 2
    assert any("493817" in m["message"] for m in standin.messages())  # the phone got the code
    assert reload(code).body == delivery.REDACTED and "493817" not in str(reload(code))
    assert reload(plain).body == plain.body  # an ordinary message is kept for support

    # One that fails for good is wiped too.
    settings.NOTIFY_MAX_ATTEMPTS = 1
    failing = message_enqueue(
        channel="sms", recipient="0912345678", body="mã 111222", dedupe_key="otp:2:1", sensitive=True
    )
    assert failing is not None
    OutboxMessage.objects.filter(pk=failing.pk).update(next_attempt_at=T0)
    standin.control(fail_next=1, fail_status=503)
    assert deliver_due(now=T0).failed == 1
    assert reload(failing).body == delivery.REDACTED
