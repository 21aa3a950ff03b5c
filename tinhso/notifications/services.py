"""Writing to the outbox. Call inside the transaction of the change the message announces."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.core.audit import audit_record
from tinhso.core.rows import insert as insert_rows
from tinhso.notifications.models import OutboxMessage


def message_enqueue(
    *,
    channel: str,
    recipient: str,
    body: str,
    dedupe_key: str,
    subject: str = "",
    topic: str = "",
    sensitive: bool = False,
) -> OutboxMessage | None:
    """Queue one message; None when `recipient` is empty or this `dedupe_key` was queued already (a replay
    of the same event sends nothing more). `sensitive` (a one-time code): the body is kept only until the
    message is sent or has failed for good, and never shown in the admin."""
    recipient = recipient.strip()
    if not recipient:
        return None
    try:
        with transaction.atomic():  # a savepoint: a duplicate key leaves the caller's transaction usable
            return OutboxMessage.objects.create(
                channel=channel,
                recipient=recipient,
                subject=subject[:200],
                body=body,
                dedupe_key=dedupe_key[:120],
                topic=topic[:80],
                sensitive=sensitive,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        if OutboxMessage.objects.filter(dedupe_key=dedupe_key[:120]).exists():
            return None
        raise


def message_retry(
    *, message_ids: Iterable[int], actor_id: int | None, actor_label: str, now: datetime | None = None
) -> int:
    """Send again at once (*gửi lại*): a failed message gets a fresh round of attempts, a pending one waiting
    out its back-off is due now. A sent message is left alone (the SMS gateway would not send its key a
    second time anyway), as is one a worker holds right now. Audited per message; returns how many."""
    now = now or timezone.now()
    retried = 0
    with transaction.atomic():
        rows = OutboxMessage.objects.select_for_update().filter(pk__in=list(message_ids)).order_by("pk")
        for message in rows:
            if message.state == OutboxMessage.State.SENT or message.claim_token:
                continue
            old = {
                "state": message.state,
                "attempts": message.attempts,
                "next_attempt_at": message.next_attempt_at,
            }
            if message.state == OutboxMessage.State.FAILED:
                message.attempts = 0
            message.state = OutboxMessage.State.PENDING
            message.next_attempt_at = now
            message.save(update_fields=["state", "attempts", "next_attempt_at"])
            audit_record(
                event="notification.retried",
                target_type="notifications.outboxmessage",
                target_id=message.pk,
                actor_id=actor_id,
                actor_label=actor_label,
                old=old,
                new={"state": message.state, "attempts": message.attempts, "next_attempt_at": now},
            )
            retried += 1
    return retried


def messages_build(messages: list[dict[str, str]]) -> list[OutboxMessage]:
    """The outbox rows of these messages (the same fields as `message_enqueue`), unsaved, those with an
    empty recipient left out: for a caller that inserts them with its own rows, skipping a `dedupe_key`
    already queued (`core.rows.insert_together(…, skip_conflicts=…)`)."""
    now = timezone.now()
    return [
        OutboxMessage(
            channel=m["channel"],
            recipient=m["recipient"].strip(),
            subject=m.get("subject", "")[:200],
            body=m["body"],
            dedupe_key=m["dedupe_key"][:120],
            topic=m.get("topic", "")[:80],
            next_attempt_at=now,
        )
        for m in messages
        if m["recipient"].strip()
    ]


def messages_enqueue(messages: list[dict[str, str]]) -> int:
    """Queue several messages in one statement (the same fields as `message_enqueue`); those with an empty
    recipient are skipped and a `dedupe_key` already queued is ignored. Returns how many were given to the
    database."""
    rows = messages_build(messages)
    if rows:
        # One hand-built statement (core.rows): what bulk_create(ignore_conflicts=True) writes, compiled once.
        insert_rows(rows, ignore_conflicts=True)
    return len(rows)
