"""The outbox (*hộp thư đi*): messages to people, written in the transaction of the change they announce
and delivered afterwards by a worker with retries (`tinhso deliver-notifications`), so a rolled-back change
sends nothing and a committed one is never lost."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", _("Tin nhắn SMS")
        EMAIL = "email", _("Thư điện tử")

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi không thành công")

    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    # A one-time code or a password: the body is wiped once the message is sent or has failed for good,
    # and the admin never shows it (`delivery.REDACTED`).
    sensitive = models.BooleanField(default=False)
    # One message per (event, channel): a replayed event cannot send twice (OS-SY1's lesson).
    dedupe_key = models.CharField(max_length=120, unique=True)
    # What the message is about, for the dossier page and support ("dossier:<code>").
    topic = models.CharField(max_length=80, blank=True, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    # Set by the worker that claimed the message (delivery.py), cleared when it records the outcome; while
    # set, `next_attempt_at` is the end of that worker's lease. Every write of an outcome is conditional on
    # it, so a worker whose lease ran out (and whose message another worker took) changes nothing.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due")]
        verbose_name = _("tin nhắn, thư gửi đi")
        verbose_name_plural = _("tin nhắn, thư gửi đi")

    def __str__(self) -> str:
        shown = "…" if self.sensitive else self.body[:40]
        return f"{self.channel} → {self.recipient}: {self.subject or shown}"
