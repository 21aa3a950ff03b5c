"""Writing to the outbox. Call inside the transaction of the change the message announces."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.notifications.models import OutboxMessage


def message_enqueue(
    *, channel: str, recipient: str, body: str, dedupe_key: str, subject: str = "", topic: str = ""
) -> OutboxMessage | None:
    """Queue one message; None when `recipient` is empty or this `dedupe_key` was queued already (a replay
    of the same event sends nothing more)."""
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
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        if OutboxMessage.objects.filter(dedupe_key=dedupe_key[:120]).exists():
            return None
        raise
