"""`tinhso resume_paid_dossiers`: `tinhso.dossiers.fees.resume_settled_paused` once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tinhso.dossiers.fees import resume_settled_paused


class Command(BaseCommand):
    help = (
        "Tiếp tục xử lý hồ sơ đã nộp đủ nghĩa vụ tài chính / resume paid dossiers: the dossiers still paused "
        "for payment (status 6) although every obligation of their pause is paid or exempted (the payment's "
        "hook was lost: the process stopped after it committed) resume now. One pass, then exit; safe to "
        "run at any time and as often as wanted (from cron, say)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        resumed = resume_settled_paused()
        for code in resumed:
            self.stdout.write(code)
        self.stdout.write(f"Resumed {len(resumed)} dossier(s).")
