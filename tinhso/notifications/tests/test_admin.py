"""The outbox in the admin: system administrators only, read-only, with "Gửi lại" (send again now)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from tinhso.core.models import AuditEntry
from tinhso.notifications.models import OutboxMessage
from tinhso.notifications.services import message_enqueue, message_retry

pytestmark = pytest.mark.django_db

LIST = "/admin/notifications/outboxmessage/"


def _official(username: str, *, groups: tuple[str, ...] = ()) -> Any:
    # notifications imports only core: the user model and the agency are looked up, not imported.
    agency = apps.get_model("accounts", "Agency").objects.get(code="000.00.00.H60")
    user = get_user_model().objects.create_user(
        username=username,
        password="mat-khau-thu-nghiem-2026",
        kind="official",
        full_name=username,
        agency=agency,
        is_staff=True,
    )
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def _message(key: str, *, state: str = "pending", attempts: int = 0, **fields: Any) -> OutboxMessage:
    message = message_enqueue(
        channel="sms",
        recipient="0912345678",
        body="Hồ sơ: Đã tiếp nhận.",
        dedupe_key=key,
        topic=f"dossier:{key}",
    )
    assert message is not None
    OutboxMessage.objects.filter(pk=message.pk).update(state=state, attempts=attempts, **fields)
    return OutboxMessage.objects.get(pk=message.pk)


def test_a_system_administrator_finds_a_failed_message_and_sends_it_again(
    client: Any, reference_data: None
) -> None:
    admin_user = _official("quantri.thu", groups=("system_admin",))
    failed = _message("D-0001", state="failed", attempts=8, last_error="SMS gateway: HTTP 503")
    _message("D-0002", state="sent", attempts=1)
    client.force_login(admin_user)
    assert LIST in client.get("/admin/").content.decode()

    page = client.get(LIST, {"state__exact": "failed"}).content.decode()
    assert "dossier:D-0001" in page and "dossier:D-0002" not in page
    assert "SMS gateway: HTTP 503" in page
    assert "dossier:D-0002" in client.get(LIST, {"q": "D-0002"}).content.decode()
    assert "dossier:D-0001" not in client.get(LIST, {"channel__exact": "email"}).content.decode()

    res = client.post(LIST, {"action": "retry_now", "_selected_action": [failed.pk]}, follow=True)
    assert res.status_code == 200
    assert "1/1" in res.content.decode()
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("pending", 0)
    assert failed.next_attempt_at <= timezone.now()
    entry = AuditEntry.objects.get(event="notification.retried")
    assert (entry.actor_label, entry.target_id) == ("quantri.thu", str(failed.pk))
    assert entry.old is not None and entry.new is not None
    assert entry.old["state"] == "failed" and entry.new["state"] == "pending"


def test_the_outbox_is_read_only_even_for_a_system_administrator(client: Any, reference_data: None) -> None:
    message = _message("D-0001")
    client.force_login(_official("quantri.thu", groups=("system_admin",)))
    assert client.get(f"{LIST}{message.pk}/change/").status_code == 200
    res = client.post(f"{LIST}{message.pk}/change/", {"recipient": "0999999999"})
    assert res.status_code == 403
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{message.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OutboxMessage.objects.get().recipient == "0912345678"


def test_other_officials_do_not_see_the_outbox(client: Any, reference_data: None) -> None:
    _message("D-0001")
    client.force_login(_official("lanhdao", groups=("agency_leader",)))
    assert LIST not in client.get("/admin/").content.decode()
    assert client.get(LIST).status_code == 403


def test_sending_again_leaves_sent_and_in_flight_messages_alone_and_hurries_a_waiting_one() -> None:
    now = timezone.now()
    sent = _message("sent", state="sent", attempts=1)
    in_flight = _message(
        "in-flight", attempts=1, claim_token="abc", next_attempt_at=now + timedelta(minutes=5)
    )
    waiting = _message("waiting", attempts=3, next_attempt_at=now + timedelta(minutes=4))
    done = message_retry(message_ids=[sent.pk, in_flight.pk, waiting.pk], actor_id=None, actor_label="system")
    assert done == 1
    waiting.refresh_from_db()
    assert (waiting.state, waiting.attempts) == ("pending", 3)  # the attempts it used still count
    assert waiting.next_attempt_at <= timezone.now()
    in_flight.refresh_from_db()
    assert in_flight.next_attempt_at > now and in_flight.claim_token == "abc"
    assert OutboxMessage.objects.get(pk=sent.pk).state == "sent"


def test_a_pending_one_time_code_is_not_shown_even_to_a_system_administrator(
    client: Any, reference_data: None
) -> None:
    message = message_enqueue(
        channel="sms",
        recipient="0912345678",
        body="Tỉnh Số: mã xác nhận là 493817.",
        dedupe_key="otp:9:1",
        topic="account:signup",
        sensitive=True,
    )
    assert message is not None
    client.force_login(_official("quantri.thu", groups=("system_admin",)))
    for url in (LIST, f"{LIST}{message.pk}/change/", f"{LIST}?q=0912345678"):
        page = client.get(url).content.decode()
        assert "493817" not in page, url
    assert "nội dung bảo mật" in client.get(f"{LIST}{message.pk}/change/").content.decode()
