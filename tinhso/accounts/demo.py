"""Demo accounts for `make run`: one per role, at a Tuyên Quang commune and the province."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from tinhso.accounts import services
from tinhso.accounts.models import Agency, Role, User

DEMO_PASSWORD = "tinhso-demo"  # noqa: S105 — demo only; seed_demo refuses to run with DEBUG off


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    agency_prefix: str | None  # levels 4-3-2 of the agency code; None for the citizen
    position: str = ""


DEMO_ACCOUNTS = [
    DemoAccount("congdan", "Nguyễn Văn An", Role.CITIZEN, None),
    DemoAccount("motcua", "Trần Thị Bình", Role.COUNTER_OFFICER, "000.00.30", "Công chức Bộ phận Một cửa"),
    DemoAccount("chuyenvien", "Lê Văn Cường", Role.SPECIALIST, "000.00.30", "Công chức Tư pháp - Hộ tịch"),
    DemoAccount(
        "truongphong", "Phạm Thị Dung", Role.DEPARTMENT_HEAD, "000.00.30", "Trưởng phòng Văn hóa - Xã hội"
    ),
    DemoAccount("lanhdao", "Hoàng Văn Em", Role.AGENCY_LEADER, "000.00.30", "Chủ tịch UBND phường"),
    DemoAccount("danhmuc", "Vũ Thị Giang", Role.CATALOG_ADMIN, "000.00.01", "Chuyên viên Trung tâm PVHCC"),
    DemoAccount("quantri", "Đỗ Văn Hùng", Role.SYSTEM_ADMIN, "000.00.00", "Quản trị hệ thống"),
]


@transaction.atomic
def demo_accounts_ensure() -> list[tuple[DemoAccount, bool]]:
    """Create the demo accounts that do not exist yet; returns (account, created)."""
    if not settings.DEBUG:
        raise RuntimeError("Demo accounts are for development only (DEBUG is off).")
    result = []
    for acc in DEMO_ACCOUNTS:
        if User.objects.filter(username=acc.username).exists():
            result.append((acc, False))
            continue
        if acc.agency_prefix is None:
            services.user_create_citizen(
                username=acc.username,
                password=DEMO_PASSWORD,
                full_name=acc.full_name,
                phone="0912345678",
                national_id="008090012345",
                actor=None,
            )
        else:
            agency = Agency.objects.get(code=f"{acc.agency_prefix}.{settings.TINHSO_AGENCY_LEVEL1_CODE}")
            services.user_create_official(
                username=acc.username,
                password=DEMO_PASSWORD,
                full_name=acc.full_name,
                agency=agency,
                roles=[acc.role],
                position=acc.position,
                actor=None,
            )
        result.append((acc, True))
    return result
