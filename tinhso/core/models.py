"""The audit log (*nhật ký kiểm toán*): append-only and hash-chained.

Entries are written only by `tinhso.core.audit.audit_record`, in the same transaction as the change they
record. Each carries the hash of the one before it, so `tinhso audit-verify` finds a row that was altered
or deleted behind the application's back. The README of this app explains the design.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# Stable, dotted lowercase event codes: `agency.created`, `user.login_failed`, `user.roles_changed`.
EVENT_CODE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"

# The `prev_hash` of entry 1, and the head's `last_hash` while the log is empty.
GENESIS_HASH = "0" * 64

# The single row of AuditChainHead.
CHAIN_HEAD_PK = 1


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or delete an audit entry through the ORM."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"Nhật ký kiểm toán chỉ được ghi thêm / the audit log is append-only: {what} refused. "
            "Record a new entry with tinhso.core.audit.audit_record() instead."
        )


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    # Bulk paths bypass save() and delete(), so they are closed here too; the database triggers are the
    # last line for raw SQL.
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("QuerySet.update()")

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly("QuerySet.delete()")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("QuerySet.bulk_create() (entries are chained by audit_record_many())")


class AuditEntry(models.Model):
    """One audited change (*bản ghi nhật ký*): who did what to which object, with its old and new values."""

    id = models.BigAutoField(primary_key=True)
    seq = models.PositiveBigIntegerField(
        unique=True, help_text="Position in the chain: 1, 2, 3… without gaps."
    )
    created_at = models.DateTimeField()
    event = models.CharField(
        max_length=100,
        validators=[RegexValidator(EVENT_CODE_PATTERN, "Event codes are dotted lowercase: agency.created.")],
    )
    # Not a foreign key: core imports no app, and the entry must outlive the user it names.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, default="system")
    agency_code = models.CharField(max_length=32, blank=True, default="")
    target_type = models.CharField(max_length=100)
    target_id = models.CharField(max_length=100)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        db_table = "core_auditentry"
        verbose_name = "bản ghi nhật ký kiểm toán"
        verbose_name_plural = "nhật ký kiểm toán"
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="core_audit_target_idx"),
            models.Index(fields=["agency_code", "seq"], name="core_audit_agency_idx"),
            models.Index(fields=["event", "seq"], name="core_audit_event_idx"),
            models.Index(fields=["created_at"], name="core_audit_created_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event} {self.target_type}:{self.target_id} by {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly(f"saving existing entry {self.seq}")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly(f"deleting entry {self.seq}")


class AuditChainHead(models.Model):
    """The single row (pk=1) naming the last entry of the chain.

    Appending locks this row, so concurrent writers queue and the chain never forks; it also lets
    `audit-verify` notice that the last entries were deleted.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=CHAIN_HEAD_PK)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        db_table = "core_auditchainhead"
        verbose_name = "đầu chuỗi nhật ký"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=CHAIN_HEAD_PK), name="core_auditchainhead_single_row"
            ),
        ]

    def __str__(self) -> str:
        return f"audit chain head: entry {self.last_seq}"


class CalendarDay(models.Model):
    """A day the government decided (*ngày nghỉ, ngày làm bù theo quyết định*): a day off the holidays
    package does not know, or a working day where it (or the weekend) says otherwise.

    The holidays package gives the Labour Code's holidays (Art. 112) and the swaps it has recorded; this
    table holds the year's decisions it lacks (e.g. 2/1/2026 off and Saturday 10/1/2026 worked,
    Công văn 12729/VPCP-KGVX). Written only through `tinhso.core.calendar.calendar_day_set` and
    `calendar_day_delete`, which audit each change; read by `tinhso.core.calendar.work_calendar`.
    """

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Ngày nghỉ")
        WORKING_DAY = "working_day", _("Ngày làm việc (làm bù)")

    date = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices)
    name_vi = models.CharField(
        _("tên"), max_length=200, help_text=_("Ví dụ: Nghỉ Tết Dương lịch (hoán đổi).")
    )
    decision = models.CharField(
        _("văn bản quyết định"),
        max_length=200,
        help_text=_("Số hiệu văn bản, ví dụ: Công văn 12729/VPCP-KGVX."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "core_calendarday"
        ordering = ["date"]
        verbose_name = _("ngày nghỉ / ngày làm bù")
        verbose_name_plural = _("lịch ngày nghỉ và ngày làm bù")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()}: {self.name_vi}"
