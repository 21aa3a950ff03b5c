"""`tinhso deliver-notifications`: one batch with --once; a loop that SIGTERM ends after its batch."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from tinhso.__main__ import main as tinhso_main
from tinhso.notifications.models import OutboxMessage
from tinhso.notifications.services import message_enqueue
from tinhso.notifications.tests.conftest import Standin

pytestmark = pytest.mark.django_db


def _queue_two() -> None:
    message_enqueue(channel="sms", recipient="0912345678", body="Hồ sơ 0001: Đã tiếp nhận.", dedupe_key="s1")
    message_enqueue(channel="email", recipient="hang@example.vn", body="Hồ sơ 0001", dedupe_key="e1")
    # Queued a moment ago: due now.
    OutboxMessage.objects.update(next_attempt_at=OutboxMessage.objects.get(dedupe_key="s1").created_at)


def test_the_command_with_once_delivers_what_is_due_and_exits(standin: Standin) -> None:
    _queue_two()
    out = io.StringIO()
    call_command("deliver_notifications", "--once", stdout=out)
    assert "claimed 2, sent 2" in out.getvalue()
    assert [m["request_id"] for m in standin.messages()] == ["s1"]
    assert [m.to for m in mail.outbox] == [["hang@example.vn"]]
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}


def test_the_tinhso_cli_spells_the_command_with_hyphens(
    standin: Standin, capsys: pytest.CaptureFixture[str]
) -> None:
    _queue_two()
    tinhso_main(["tinhso", "deliver-notifications", "--once"])
    assert "sent 2" in capsys.readouterr().out


def test_the_loop_ends_on_sigterm_after_its_batch_and_puts_the_handlers_back(standin: Standin) -> None:
    _queue_two()
    before = signal.getsignal(signal.SIGTERM)
    # Sent to this very process once the loop is waiting: the command's handler must catch it.
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    out = io.StringIO()
    started = time.monotonic()
    timer.start()
    try:
        call_command("deliver_notifications", "--interval", "30", stdout=out)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 10  # the 30 s wait was cut short
    assert "sent 2" in out.getvalue() and out.getvalue().rstrip().endswith("Stopped.")
    assert signal.getsignal(signal.SIGTERM) == before
    assert OutboxMessage.objects.filter(state="sent").count() == 2


def test_a_message_due_later_is_left_for_a_later_run(standin: Standin) -> None:
    message_enqueue(channel="sms", recipient="0912345678", body="x", dedupe_key="later")
    OutboxMessage.objects.update(next_attempt_at=OutboxMessage.objects.get().created_at + timedelta(hours=1))
    out = io.StringIO()
    call_command("deliver_notifications", "--once", stdout=out)
    assert "claimed 0" in out.getvalue()
    assert standin.messages() == []
