"""Test data builders (plain functions; the reference data itself is real and loaded once)."""

from __future__ import annotations

import itertools

from django.conf import settings

from tinhso.accounts import services
from tinhso.accounts.models import Agency, Role, User

PASSWORD = "mat-khau-thu-nghiem-2026"
_seq = itertools.count(1)


def agency(prefix: str) -> Agency:
    """A seeded Tuyên Quang agency by levels 4-3-2 of its code, e.g. "000.00.30"."""
    return Agency.objects.get(code=f"{prefix}.{settings.TINHSO_AGENCY_LEVEL1_CODE}")


def official(
    *, agency_prefix: str = "000.00.30", roles: tuple[str, ...] = (Role.SPECIALIST,), **kw: object
) -> User:
    n = next(_seq)
    return services.user_create_official(
        username=str(kw.pop("username", f"canbo{n}")),
        password=PASSWORD,
        full_name=str(kw.pop("full_name", f"Cán Bộ Số {n}")),
        agency=agency(agency_prefix),
        roles=list(roles),
        actor=None,
        **kw,  # type: ignore[arg-type]
    )


def citizen(**kw: object) -> User:
    n = next(_seq)
    return services.user_create_citizen(
        username=str(kw.pop("username", f"congdan{n}")),
        password=PASSWORD,
        full_name=str(kw.pop("full_name", f"Công Dân Số {n}")),
        actor=kw.pop("actor", None),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )
