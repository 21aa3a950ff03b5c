from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tinhso.core.audit import audit_guard_installed, audit_verify


class Command(BaseCommand):
    help = (
        "Kiểm tra chuỗi băm của nhật ký kiểm toán / verify the audit log's hash chain; "
        "exits 1 and names the first broken link if a row was altered or deleted."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"Chuỗi nhật ký bị phá vỡ / audit chain broken at entry {result.first_broken_seq}: "
                f"{result.reason}. {result.checked} entries before it verified.",
                returncode=1,
            )
        if not audit_guard_installed():
            self.stderr.write(
                "Cảnh báo / warning: the triggers that refuse UPDATE and DELETE on core_auditentry are "
                "missing; run `tinhso migrate core 0002 && tinhso migrate core` to restore them."
            )
        self.stdout.write(
            f"Audit chain OK: {result.checked} entries verified. "
            f"/ Chuỗi nhật ký toàn vẹn: đã kiểm tra {result.checked} bản ghi."
        )
