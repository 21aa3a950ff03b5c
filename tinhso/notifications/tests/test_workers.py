"""Real transactions (committed or rolled back) and real concurrent workers (threads, each with its own
database connection), on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from tinhso.notifications.delivery import DeliveryReport, deliver_due
from tinhso.notifications.models import OutboxMessage
from tinhso.notifications.services import message_enqueue
from tinhso.notifications.tests.conftest import Standin

# Committed writes; the flush after each test must get past the audit log's append-only triggers.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("flushable_audit_log")]


def test_a_message_queued_in_a_rolled_back_transaction_is_never_delivered(standin: Standin) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        message_enqueue(
            channel="sms", recipient="0912345678", body="Không bao giờ gửi", dedupe_key="rolled-back"
        )
        raise RuntimeError("the dossier's transition failed after queueing its message")
    with transaction.atomic():
        message_enqueue(channel="sms", recipient="0987654321", body="Đã tiếp nhận", dedupe_key="committed")

    report = deliver_due(now=timezone.now() + timedelta(days=1))
    assert (report.claimed, report.sent) == (1, 1)
    assert [m["message"] for m in standin.messages()] == ["Đã tiếp nhận"]
    assert not OutboxMessage.objects.filter(dedupe_key="rolled-back").exists()


def test_four_workers_at_once_never_deliver_one_message_twice(standin: Standin) -> None:
    for n in range(40):
        message_enqueue(channel="sms", recipient=f"09123456{n:02d}", body=f"Tin {n}", dedupe_key=f"sms-{n}")
    for n in range(20):
        message_enqueue(
            channel="email", recipient=f"nguoi{n}@example.vn", body=f"Thư {n}", dedupe_key=f"mail-{n}"
        )
    standin.control(delay=0.005)  # a little time in the gateway, so the workers' batches overlap
    now = timezone.now() + timedelta(seconds=1)
    start = threading.Barrier(4)
    reports: list[list[DeliveryReport]] = [[] for _ in range(4)]
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            start.wait()
            while True:
                report = deliver_due(batch=3, now=now)
                reports[i].append(report)
                if not report.claimed:
                    return
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert errors == []
    sent_by_worker = [sum(r.sent for r in rs) for rs in reports]
    assert sum(sent_by_worker) == 60
    assert sum(1 for n in sent_by_worker if n) >= 2, sent_by_worker  # the work really was shared
    accepted = standin.messages()
    assert len(accepted) == 40
    assert {m["request_id"] for m in accepted} == {f"sms-{n}" for n in range(40)}
    assert all(m["requests"] == 1 for m in accepted)  # not even asked twice
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"nguoi{n}@example.vn" for n in range(20))
    assert set(OutboxMessage.objects.values_list("state", "attempts")) == {("sent", 1)}


def test_claims_by_two_workers_at_the_same_instant_do_not_overlap(settings: Any) -> None:
    settings.SMS_GATEWAY = "console"
    for n in range(30):
        message_enqueue(channel="sms", recipient="0912345678", body=f"Tin {n}", dedupe_key=f"sms-{n}")
    now = timezone.now() + timedelta(seconds=1)
    start = threading.Barrier(2)
    seen: list[list[str]] = [[], []]

    class _Records:
        def __init__(self, i: int) -> None:
            self.i = i

        def send(self, phone: str, text: str, idempotency_key: str) -> str:
            seen[self.i].append(idempotency_key)
            return idempotency_key

    def worker(i: int) -> None:
        try:
            start.wait()
            deliver_due(batch=20, now=now, sms=_Records(i))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not set(seen[0]) & set(seen[1])
    assert sorted(len(s) for s in seen) == [10, 20]  # one took a full batch, the other the rest
