"""The outbox worker: deliver the messages that are due, with retries (`tinhso deliver-notifications`).

One round, `deliver_due()`:

1. **Claim** up to `batch` due messages (pending, `next_attempt_at <= now`) in one short transaction: each
   gets `attempts + 1`, a fresh `claim_token` and `next_attempt_at = now + lease`. Commit. On PostgreSQL
   the due rows are read with `SELECT … FOR UPDATE SKIP LOCKED`, so workers on several machines take
   different rows without waiting for each other. On SQLite there are no row locks and none are needed:
   the project opens every transaction with BEGIN IMMEDIATE (settings.py), which takes the database's one
   write lock at once, so claims run one after the other and the second sees the first's lease. Either
   way the claim is also a conditional UPDATE (`state = pending AND next_attempt_at <= now`) and the rows
   are read back by token, so a row is never handed to two workers whatever the isolation.
2. **Send** each claimed message outside any transaction: no database lock is held while a gateway takes
   its time, and an outcome is never rolled back after the message left.
3. **Record** each outcome at once, conditionally on the claim token (a fencing token): sent (`sent_at`,
   `provider_id`); a retryable error → pending again after an exponential back-off (1, 2, 4 … minutes,
   capped, jittered) or failed after `NOTIFY_MAX_ATTEMPTS`; a non-retryable error → failed at once with
   its reason.

**The lease.** A worker that dies after claiming leaves its messages pending with a token: they are due
again when the lease ends, and another worker takes them (a new token, one more attempt). A worker stops
sending when its own lease is about to end (it hands the rest back unsent), so a slow batch does not
overlap with the next claimant; should it overrun anyway, its late outcomes change nothing (the token no
longer matches) and are counted as `lost`. `NOTIFY_LEASE_SECONDS` must exceed the longest single send
(the SMS timeout, the SMTP timeout) by a good margin.

**Exactly once?** For SMS, yes at the gateway: the provider's idempotency key is the message's
`dedupe_key`, so a message sent by a worker that died before recording it is sent again with the same key,
and the gateway answers the same id without a second SMS. For e-mail, at least once: SMTP has no such key;
both copies carry the same Message-ID (adapters.EmailSender).
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from tinhso.notifications.adapters import (
    DeliveryError,
    EmailSender,
    SmsGateway,
    email_sender,
    sms_gateway,
)
from tinhso.notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

# Stop sending this long before the lease ends: room for the send in progress to finish. An SMS takes at
# most 3 × SMS_GATEWAY_TIMEOUT (30 s by default; adapters.HttpSmsGateway), an e-mail EMAIL_TIMEOUT.
LEASE_MARGIN_SECONDS = 60
# ±20 %: workers that failed together (a gateway outage) do not all come back in the same second.
JITTER = 0.2
MAX_ERROR_CHARS = 1000


def max_attempts() -> int:
    return int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 8))


def lease_seconds() -> int:
    return int(getattr(settings, "NOTIFY_LEASE_SECONDS", 300))


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """The wait after the `attempts`-th failed attempt: base · 2^(attempts−1), capped, ±20 % jitter."""
    base = float(getattr(settings, "NOTIFY_BACKOFF_BASE_SECONDS", 60))
    cap = float(getattr(settings, "NOTIFY_BACKOFF_CAP_SECONDS", 3600))
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return delay * (rng or random).uniform(1 - JITTER, 1 + JITTER)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0  # a retryable error: pending again, after a back-off
    failed: int = 0  # a non-retryable error, or the last attempt
    released: int = 0  # handed back unsent: the lease was about to end
    lost: int = 0  # the outcome came after the lease ended and another worker had the message

    def __str__(self) -> str:
        return ", ".join(f"{name} {getattr(self, name)}" for name in self.__dataclass_fields__)


def deliver_due(
    *,
    batch: int = 100,
    now: datetime | None = None,
    sms: SmsGateway | None = None,
    email: EmailSender | None = None,
) -> DeliveryReport:
    """Claim up to `batch` due messages, send them, record each outcome. `now` fixes the clock (tests);
    `sms` and `email` replace the adapters the settings name."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else timezone.now
    # Built before claiming: a misconfigured gateway stops the worker loudly instead of failing messages.
    sms = sms or sms_gateway()
    email = email or email_sender()
    lease = lease_seconds()
    report = DeliveryReport()
    token = uuid.uuid4().hex
    send_until = time.monotonic() + lease - LEASE_MARGIN_SECONDS
    claimed = _claim(batch=batch, now=clock(), token=token, lease=lease)
    report.claimed = len(claimed)
    for i, message in enumerate(claimed):
        if time.monotonic() > send_until:
            report.released += _release(claimed[i:], token=token, now=clock())
            logger.warning("lease about to end: %d messages handed back unsent", len(claimed) - i)
            break
        _deliver_one(message, token=token, sms=sms, email=email, clock=clock, report=report)
    if report.claimed:
        logger.info("outbox delivery: %s", report)
    return report


def _claim(*, batch: int, now: datetime, token: str, lease: int) -> list[OutboxMessage]:
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            state=OutboxMessage.State.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch])
        if not ids:
            return []
        OutboxMessage.objects.filter(
            pk__in=ids, state=OutboxMessage.State.PENDING, next_attempt_at__lte=now
        ).update(
            attempts=F("attempts") + 1,
            next_attempt_at=now + timedelta(seconds=lease),
            claim_token=token,
        )
        mine = {m.pk: m for m in OutboxMessage.objects.filter(pk__in=ids, claim_token=token)}
        return [mine[pk] for pk in ids if pk in mine]  # oldest due first


def _deliver_one(
    message: OutboxMessage,
    *,
    token: str,
    sms: SmsGateway,
    email: EmailSender,
    clock: Callable[[], datetime],
    report: DeliveryReport,
) -> None:
    mine = OutboxMessage.objects.filter(pk=message.pk, claim_token=token)
    try:
        if message.channel == OutboxMessage.Channel.SMS:
            provider_id = sms.send(message.recipient, message.body, message.dedupe_key)
        elif message.channel == OutboxMessage.Channel.EMAIL:
            provider_id = email.send(message.recipient, message.subject, message.body, message.dedupe_key)
        else:
            raise DeliveryError(f"unknown channel {message.channel!r}", retryable=False)
    except DeliveryError as exc:
        error, retryable = exc.reason, exc.retryable
    except Exception as exc:
        # An adapter's bug must not stop the worker nor lose the message: retried, then failed, and logged.
        logger.exception("outbox message %s: unexpected error while sending", message.pk)
        error, retryable = f"{type(exc).__name__}: {exc}", True
    else:
        now = clock()
        done = mine.update(
            state=OutboxMessage.State.SENT,
            sent_at=now,
            provider_id=provider_id[:100],
            claim_token="",
            **_wiped(message),
        )
        _count(report, done, "sent", message)
        return

    now = clock()
    error = error[:MAX_ERROR_CHARS]
    if retryable and message.attempts < max_attempts():
        done = mine.update(
            next_attempt_at=now + timedelta(seconds=backoff_seconds(message.attempts)),
            last_error=error,
            claim_token="",
        )
        _count(report, done, "retried", message)
    else:
        done = mine.update(
            state=OutboxMessage.State.FAILED, last_error=error, claim_token="", **_wiped(message)
        )
        _count(report, done, "failed", message)
        logger.warning(
            "outbox message %s (%s, topic %s) failed after %d attempts: %s",
            message.pk,
            message.channel,
            message.topic,
            message.attempts,
            error,
        )


# What a sensitive message's body becomes once it is sent or has failed for good.
REDACTED = "[nội dung bảo mật đã xóa sau khi gửi / sensitive content removed after sending]"


def _wiped(message: OutboxMessage) -> dict[str, str]:
    return {"body": REDACTED} if message.sensitive else {}


def _count(report: DeliveryReport, done: int, outcome: str, message: OutboxMessage) -> None:
    if done:
        setattr(report, outcome, getattr(report, outcome) + 1)
    else:
        report.lost += 1
        logger.warning(
            "outbox message %s: lease lost before its outcome (%s) was recorded", message.pk, outcome
        )


def _release(messages: list[OutboxMessage], *, token: str, now: datetime) -> int:
    """Give unsent messages back: due at once, and the attempt they were charged not counted."""
    return OutboxMessage.objects.filter(pk__in=[m.pk for m in messages], claim_token=token).update(
        attempts=F("attempts") - 1, next_attempt_at=now, claim_token=""
    )
