"""Reads for people, agencies and administrative units, with the permission scoping in one place.

Officials see only their own agency's data: the agency they belong to and the units under it
(`Agency.path` prefix). System administrators see everything; citizens see no official data.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from tinhso.accounts.models import Agency, Commune, FormerCommune, Province, Role, User


def agency_leaders() -> QuerySet[User]:
    """The active leaders (*lãnh đạo cơ quan*) of agencies: those told of what an agency must answer for
    (a consultation asked of it, its dossiers' deadlines)."""
    return User.objects.filter(
        is_active=True, kind=User.Kind.OFFICIAL, groups__name=Role.AGENCY_LEADER, agency__isnull=False
    )


def user_sees_everything(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_role(Role.SYSTEM_ADMIN)))


def agencies_visible_to(user: User) -> QuerySet[Agency]:
    """Agencies whose internal data (officials, worklists) the user may see."""
    if user_sees_everything(user):
        return Agency.objects.all()
    if not (user.is_active and user.is_official and user.agency_id):
        return Agency.objects.none()
    assert user.agency is not None
    return Agency.objects.subtree_of(user.agency)


def officials_visible_to(user: User) -> QuerySet[User]:
    qs = (
        User.objects.filter(kind=User.Kind.OFFICIAL)
        .select_related("agency")
        .order_by("agency__path", "full_name")
    )
    if user_sees_everything(user):
        return qs
    if not (user.is_active and user.is_official and user.agency_id):
        return qs.none()
    assert user.agency is not None
    return qs.filter(agency__path__startswith=user.agency.path)


def official_get_for_user(user: User, pk: int) -> User:
    """Permission-checked loader (zulip `access_*` style): PermissionDenied rather than a leak."""
    try:
        return officials_visible_to(user).get(pk=pk)
    except User.DoesNotExist:
        raise PermissionDenied from None


def agency_search(*, q: str = "", kind: str = "", parent_code: str = "") -> QuerySet[Agency]:
    """Public directory search (agency names and codes are public information)."""
    qs = Agency.objects.filter(is_active=True).select_related("parent", "commune")
    if q:
        stripped = q.strip()
        if stripped and stripped[0].isdigit() and "." in stripped:
            qs = qs.filter(code__startswith=stripped.upper())
        else:
            qs = qs.search(q)
    if kind:
        qs = qs.filter(kind=kind)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    return qs.order_by("path")


def province_search(*, q: str = "") -> QuerySet[Province]:
    qs = Province.objects.all()
    return qs.search(q) if q else qs


def commune_search(*, q: str = "", province_code: str = "") -> QuerySet[Commune]:
    qs = Commune.objects.select_related("province")
    if q:
        stripped = q.strip()
        qs = qs.filter(code=stripped.zfill(5)) if stripped.isdigit() else qs.search(q)
    if province_code:
        qs = qs.filter(province__code=province_code)
    return qs.order_by("province__code", "code")


def former_commune_resolve(old_code: str) -> list[FormerCommune]:
    """The new commune(s) a pre-2025 commune code went into (several when it was split)."""
    code = old_code.strip().zfill(5)
    return list(
        FormerCommune.objects.filter(old_code=code)
        .select_related("new_commune__province")
        .order_by("new_commune__code")
    )
