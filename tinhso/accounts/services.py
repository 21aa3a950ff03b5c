"""Writes for people, agencies and reference data (HackSoft style: keyword-only, one per use case)."""

from __future__ import annotations

import csv
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.accounts import otp
from tinhso.accounts.backends import account_for_identifier
from tinhso.accounts.models import (
    Agency,
    Commune,
    ExternalIdentity,
    FormerCommune,
    OneTimeCode,
    Province,
    Role,
    User,
)
from tinhso.accounts.national_id import parse_national_id
from tinhso.accounts.phone import mobile_normalise
from tinhso.core.audit import audit_diff, audit_record
from tinhso.core.text import fold

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass
class LoadSummary:
    provinces: int = 0
    communes: int = 0
    former_communes: int = 0
    agencies_created: int = 0
    agencies_updated: int = 0
    roles: int = 0


def roles_ensure() -> int:
    """Create the role groups (idempotent); returns how many exist."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    return len(Role)


def _role_groups(names: list[str]) -> list[Group]:
    """The groups of these roles, in one query; one missing (a database never given its reference
    data) is created rather than silently dropped from the user's roles."""
    groups = list(Group.objects.filter(name__in=names))
    present = {g.name for g in groups}
    groups += [Group.objects.get_or_create(name=n)[0] for n in sorted(set(names) - present)]
    return groups


def _agency_full_code(prefix: str) -> str:
    return f"{prefix}.{settings.TINHSO_AGENCY_LEVEL1_CODE}"


@transaction.atomic
def reference_data_load() -> LoadSummary:
    """Load the shipped reference data (tinhso/accounts/data). Running it twice changes nothing.

    Administrative units are national statistics data: upserted by code, never deleted here. Agencies are
    upserted by identifier code; an agency's name or parent edited in the admin is overwritten only when
    the shipped file says otherwise.
    """
    summary = LoadSummary(roles=roles_ensure())

    provinces = _read_csv("provinces.csv")
    existing_p = {p.code: p for p in Province.objects.all()}
    new_p = []
    for row in provinces:
        fields = {
            "name": row["name"],
            "name_folded": fold(row["name"]),
            "division_type": row["division_type"],
            "codename": row["codename"],
            "phone_code": int(row["phone_code"]) if row["phone_code"] else None,
        }
        obj = existing_p.get(row["code"])
        if obj is None:
            new_p.append(Province(code=row["code"], **fields))
        elif any(getattr(obj, k) != v for k, v in fields.items()):
            Province.objects.filter(pk=obj.pk).update(**fields)
    Province.objects.bulk_create(new_p)
    province_ids = dict(Province.objects.values_list("code", "id"))
    summary.provinces = len(province_ids)

    existing_c = {c.code: c for c in Commune.objects.all()}
    new_c, changed_c = [], []
    for row in _read_csv("communes.csv"):
        fields = {
            "name": row["name"],
            "name_folded": fold(row["name"]),
            "division_type": row["division_type"],
            "codename": row["codename"],
            "province_id": province_ids[row["province_code"]],
        }
        obj = existing_c.get(row["code"])
        if obj is None:
            new_c.append(Commune(code=row["code"], **fields))
        elif any(getattr(obj, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(obj, k, v)
            changed_c.append(obj)
    Commune.objects.bulk_create(new_c, batch_size=1000)
    Commune.objects.bulk_update(changed_c, list(fields), batch_size=1000)
    commune_ids = dict(Commune.objects.values_list("code", "id"))
    summary.communes = len(commune_ids)

    existing_f = set(FormerCommune.objects.values_list("old_code", "new_commune_id"))
    new_f = []
    for row in _read_csv("former_communes.csv"):
        new_id = commune_ids[row["new_code"]]
        if (row["old_code"], new_id) in existing_f:
            continue
        new_f.append(
            FormerCommune(
                old_code=row["old_code"],
                old_name=row["old_name"],
                old_name_folded=fold(row["old_name"]),
                old_district=row["old_district"],
                old_province=row["old_province"],
                new_commune_id=new_id,
                merge=row["merge"],
                note=row["note"],
            )
        )
    FormerCommune.objects.bulk_create(new_f, batch_size=1000)
    summary.former_communes = FormerCommune.objects.count()

    for row in _read_csv("agencies.csv"):
        code = _agency_full_code(row["code_prefix"])
        parent = (
            Agency.objects.get(code=_agency_full_code(row["parent_prefix"])) if row["parent_prefix"] else None
        )
        commune_id = commune_ids[row["commune_code"]] if row["commune_code"] else None
        # Match on levels 4-3-2 so that changing the level-1 code re-codes the existing agencies instead of
        # growing a second tree beside them.
        agency = (
            Agency.objects.filter(code=code).first()
            or Agency.objects.filter(code__startswith=f"{row['code_prefix']}.").first()
        )
        if agency is None:
            agency_create(
                code=code,
                name=row["name"],
                kind=row["kind"],
                parent=parent,
                commune_id=commune_id,
                actor=None,
            )
            summary.agencies_created += 1
        elif (agency.code, agency.name, agency.kind, agency.parent_id, agency.commune_id) != (
            code,
            row["name"],
            row["kind"],
            parent.pk if parent else None,
            commune_id,
        ):
            agency_update(
                agency=agency,
                code=code,
                name=row["name"],
                kind=row["kind"],
                parent=parent,
                commune_id=commune_id,
                actor=None,
            )
            summary.agencies_updated += 1
    return summary


def _agency_snapshot(agency: Agency) -> dict[str, object]:
    return {
        "code": agency.code,
        "name": agency.name,
        "kind": agency.kind,
        "parent_id": agency.parent_id,
        "commune_id": agency.commune_id,
        "is_active": agency.is_active,
    }


def _actor_fields(actor: User | None) -> dict[str, object]:
    if actor is None:
        return {"actor_id": None, "actor_label": "system"}
    return {"actor_id": actor.pk, "actor_label": actor.get_username()}


@transaction.atomic
def agency_create(
    *,
    code: str,
    name: str,
    kind: str,
    parent: Agency | None,
    actor: User | None,
    commune_id: int | None = None,
    address: str = "",
    phone: str = "",
) -> Agency:
    agency = Agency(
        code=code, name=name, kind=kind, parent=parent, commune_id=commune_id, address=address, phone=phone
    )
    agency.full_clean(exclude=["path", "name_folded"])
    agency.path = "/"  # placeholder until the id is known
    agency.save()
    agency.path = f"{parent.path if parent else '/'}{agency.pk}/"
    agency.save(update_fields=["path"])
    audit_record(
        event="agency.created",
        target_type="accounts.agency",
        target_id=agency.pk,
        agency_code=agency.code,
        new=_agency_snapshot(agency),
        **_actor_fields(actor),  # type: ignore[arg-type]
    )
    return agency


@transaction.atomic
def agency_update(
    *,
    agency: Agency,
    actor: User | None,
    code: str | None = None,
    name: str | None = None,
    kind: str | None = None,
    parent: Agency | None = None,
    commune_id: int | None = None,
    is_active: bool | None = None,
) -> Agency:
    """Change an agency; moving it under another parent rewrites the paths of its whole subtree."""
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    before = _agency_snapshot(agency)
    if code is not None:
        agency.code = code
    if name is not None:
        agency.name = name
    if kind is not None:
        agency.kind = kind
    if is_active is not None:
        agency.is_active = is_active
    agency.commune_id = commune_id if commune_id is not None else agency.commune_id
    old_path = agency.path
    if parent is not None and parent.pk != agency.parent_id:
        if parent.path.startswith(old_path):
            raise ValidationError("Không thể đặt một cơ quan dưới chính đơn vị trực thuộc của nó.")
        agency.parent = parent
        agency.path = f"{parent.path}{agency.pk}/"
    agency.full_clean(exclude=["path", "name_folded"])
    agency.save()
    if agency.path != old_path:
        for child in Agency.objects.filter(path__startswith=old_path).exclude(pk=agency.pk):
            child.path = agency.path + child.path[len(old_path) :]
            child.save(update_fields=["path"])
    old, new = audit_diff(before, _agency_snapshot(agency))
    if new:
        audit_record(
            event="agency.updated",
            target_type="accounts.agency",
            target_id=agency.pk,
            agency_code=agency.code,
            old=old,
            new=new,
            **_actor_fields(actor),  # type: ignore[arg-type]
        )
    return agency


@transaction.atomic
def user_create_official(
    *,
    username: str,
    password: str | None,
    full_name: str,
    agency: Agency,
    roles: list[str],
    actor: User | None,
    position: str = "",
    phone: str | None = None,
    email: str = "",
) -> User:
    unknown = set(roles) - {r.value for r in Role if r != Role.CITIZEN}
    if unknown:
        raise ValueError(f"unknown official roles: {sorted(unknown)}")
    user = User(
        username=username,
        full_name=full_name,
        kind=User.Kind.OFFICIAL,
        agency=agency,
        position=position,
        phone=phone or None,
        email=email,
        # The Django admin is for system and catalogue administrators and agency leaders only.
        is_staff=bool({Role.SYSTEM_ADMIN, Role.CATALOG_ADMIN, Role.AGENCY_LEADER} & set(roles)),
        is_superuser=Role.SYSTEM_ADMIN in roles,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(_role_groups(roles))
    audit_record(
        event="user.created",
        target_type="accounts.user",
        target_id=user.pk,
        agency_code=agency.code,
        new={"username": username, "kind": user.kind, "agency": agency.code, "roles": sorted(roles)},
        **_actor_fields(actor),  # type: ignore[arg-type]
    )
    return user


@transaction.atomic
def user_create_citizen(
    *,
    username: str,
    password: str | None,
    full_name: str,
    actor: User | None,
    phone: str | None = None,
    national_id: str | None = None,
    date_of_birth: dt.date | None = None,
    email: str = "",
    password_hash: str | None = None,
    national_id_verified: bool | None = None,
) -> User:
    """A citizen's account. `password_hash` (already hashed, as a confirmed sign-up holds it) is used
    instead of `password` when given. The national ID number counts as verified when an official made the
    account (the card is shown at the counter), unless `national_id_verified` says otherwise."""
    if national_id and date_of_birth:
        birth_year_check(national_id=national_id, date_of_birth=date_of_birth)
    user = User(
        username=username,
        full_name=full_name,
        kind=User.Kind.CITIZEN,
        phone=phone or None,
        national_id=national_id or None,
        national_id_verified=bool(national_id)
        and (national_id_verified if national_id_verified is not None else bool(actor and actor.is_official)),
        date_of_birth=date_of_birth,
        email=email,
    )
    if password_hash:
        user.password = password_hash
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(_role_groups([Role.CITIZEN]))
    audit_record(
        event="user.created",
        target_type="accounts.user",
        target_id=user.pk,
        new={"username": username, "kind": user.kind},
        **_actor_fields(actor),  # type: ignore[arg-type]
    )
    return user


def birth_year_check(*, national_id: str, date_of_birth: dt.date) -> None:
    """Digits 4-6 of the ID number give the year of birth (national_id.py): it must match the date given."""
    parsed = parse_national_id(national_id)
    if parsed.birth_year != date_of_birth.year:
        raise ValidationError(
            {
                "national_id": _(
                    "Số định danh cá nhân ghi năm sinh %(id_year)s, khác với ngày sinh đã khai (%(dob)s)."
                )
                % {"id_year": parsed.birth_year, "dob": date_of_birth.strftime("%d/%m/%Y")}
            }
        )


def user_snapshot(user: User) -> dict[str, object]:
    """The security-relevant fields of an account, as audited."""
    return {
        "username": user.username,
        "kind": user.kind,
        "agency": user.agency.code if user.agency_id and user.agency else None,
        "position": user.position,
        "is_active": user.is_active,
        "national_id_verified": user.national_id_verified,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "roles": sorted(user.groups.values_list("name", flat=True)) if user.pk else [],
        "permissions": sorted(user.user_permissions.values_list("codename", flat=True)) if user.pk else [],
    }


def user_changes_record(*, user: User, before: dict[str, object] | None, actor: User | None) -> None:
    """Audit an account changed outside the services (the Django admin's forms), after the change."""
    old, new = audit_diff(before or {}, user_snapshot(user))
    if not new and not old:
        return
    audit_record(
        event="user.created" if before is None else "user.updated",
        target_type="accounts.user",
        target_id=user.pk,
        agency_code=user.agency.code if user.agency_id and user.agency else "",
        old=old or None,
        new=new,
        **_actor_fields(actor),  # type: ignore[arg-type]
    )


# --- Citizens signing up themselves, and resetting a password, with a code sent by SMS ---------------------


def account_exists_errors(*, phone: str | None, national_id: str | None) -> dict[str, str]:
    """Which of these already belong to an account, as messages that say what to do and reveal nothing
    of the account but its existence."""
    errors: dict[str, str] = {}
    if phone and User.objects.filter(phone=phone).exists():
        errors["phone"] = _(
            "Số điện thoại này đã được đăng ký. Hãy đăng nhập, hoặc chọn “Quên mật khẩu” nếu không nhớ "
            "mật khẩu."
        )
    if national_id and User.objects.filter(Q(national_id=national_id) | Q(username=national_id)).exists():
        errors["national_id"] = _(
            "Số định danh cá nhân này đã có tài khoản. Hãy đăng nhập, hoặc chọn “Quên mật khẩu” nếu không "
            "nhớ mật khẩu."
        )
    return errors


def citizen_signup_start(
    *,
    full_name: str,
    phone: str,
    national_id: str,
    date_of_birth: dt.date,
    password: str,
    now: dt.datetime | None = None,
) -> tuple[OneTimeCode, str]:
    """Step 1 of signing up: check the details and hold them (the password hashed) with a new code for
    `phone`. Returns the code in clear for the caller to send by SMS in the same transaction. No account
    exists until the code comes back (`citizen_signup_complete`). Raises ValidationError by field."""
    parse_national_id(national_id)
    birth_year_check(national_id=national_id, date_of_birth=date_of_birth)
    errors = account_exists_errors(phone=phone, national_id=national_id)
    if errors:
        raise ValidationError(errors, code="already_registered")
    payload = {
        "full_name": full_name,
        "national_id": national_id,
        "date_of_birth": date_of_birth.isoformat(),
        "password": make_password(password),
    }
    return otp.otp_issue(purpose=OneTimeCode.Purpose.SIGNUP, phone=phone, payload=payload, now=now)


def citizen_signup_complete(*, otp_id: int, code: str, now: dt.datetime | None = None) -> User:
    """Step 2: the code is right, so the phone is the person's: create the account (active, with the
    password chosen at step 1). Raises `otp.OtpError` for a refused code, ValidationError when the phone or
    ID number was registered by someone else in between."""
    with transaction.atomic():
        check = otp.otp_check(otp_id=otp_id, purpose=OneTimeCode.Purpose.SIGNUP, code=code, now=now)
        if check.ok:
            assert check.otp is not None
            data = check.otp.payload
            errors = account_exists_errors(phone=check.otp.phone, national_id=data["national_id"])
            if errors:
                raise ValidationError(errors, code="already_registered")
            user = user_create_citizen(
                username=data["national_id"],
                password=None,
                password_hash=data["password"],
                full_name=data["full_name"],
                phone=check.otp.phone,
                national_id=data["national_id"],
                date_of_birth=dt.date.fromisoformat(data["date_of_birth"]),
                actor=None,
            )
            # The held details are no longer needed once they are the account's.
            check.otp.payload = {}
            check.otp.user = user
            check.otp.save(update_fields=["payload", "user"])
    if not check.ok:
        raise check.error()
    return user


def password_reset_start(
    *, identifier: str, now: dt.datetime | None = None
) -> tuple[OneTimeCode, str] | None:
    """A code to the phone of the citizen's account this phone number, ID number or username names; None
    when there is no such active citizen with a phone (the caller says the same either way). Officials'
    passwords are reset by their administrators, not by SMS."""
    user = account_for_identifier(identifier)
    if user is None or not user.is_active or user.kind != User.Kind.CITIZEN or not user.phone:
        return None
    return otp.otp_issue(purpose=OneTimeCode.Purpose.RESET, phone=user.phone, user=user, now=now)


def password_reset_complete(
    *, otp_id: int, code: str, new_password: str, now: dt.datetime | None = None
) -> User:
    """Set a new password once the code sent to the account's phone comes back. Raises `otp.OtpError`."""
    with transaction.atomic():
        check = otp.otp_check(otp_id=otp_id, purpose=OneTimeCode.Purpose.RESET, code=code, now=now)
        if check.ok:
            assert check.otp is not None and check.otp.user is not None
            user = User.objects.select_for_update().get(pk=check.otp.user.pk)
            user.set_password(new_password)
            user.save(update_fields=["password"])
            audit_record(
                event="user.password_reset",
                target_type="accounts.user",
                target_id=user.pk,
                actor_id=user.pk,
                actor_label=user.get_username(),
                new={"by": "sms_code"},
            )
    if not check.ok:
        raise check.error()
    return user


class ExternalLoginRefused(Exception):
    """An outside identity that cannot open an account here, with a message for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def citizen_login_external(
    *,
    provider: str,
    subject: str,
    national_id: str,
    full_name: str,
    phone: str = "",
    birthdate: str = "",
    now: dt.datetime | None = None,
) -> User:
    """The citizen account for a person the identity provider vouches for (VNeID): the one linked to this
    subject before; else the citizen account with this national ID number, now linked; else a new one
    (no password: the person logs in through the provider, or sets one with "Quên mật khẩu"). Officials'
    accounts are never opened this way: they log in with a password and a second factor."""
    now = now or timezone.now()
    with transaction.atomic():
        link = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(provider=provider, subject=subject)
            .first()
        )
        if link is None:
            link = _external_identity_link(
                provider=provider,
                subject=subject,
                national_id=national_id,
                full_name=full_name,
                phone=phone,
                birthdate=birthdate,
            )
        user = link.user
        if user.kind != User.Kind.CITIZEN:
            raise ExternalLoginRefused(
                _("Tài khoản cán bộ không đăng nhập bằng VNeID. Hãy đăng nhập bằng mật khẩu và mã xác thực.")
            )
        if not user.is_active:
            raise ExternalLoginRefused(
                _("Tài khoản này đang bị khóa. Vui lòng liên hệ Bộ phận Một cửa để được hỗ trợ.")
            )
        link.last_login_at = now
        link.save(update_fields=["last_login_at"])
    return user


def _external_identity_link(
    *, provider: str, subject: str, national_id: str, full_name: str, phone: str, birthdate: str
) -> ExternalIdentity:
    """First login through the provider: link the account with this ID number, or make one. (Inside the
    caller's transaction: a refusal after this rolls the new account back.)"""
    try:
        parse_national_id(national_id)
    except ValidationError:
        raise ExternalLoginRefused(
            _("VNeID không gửi số định danh cá nhân hợp lệ nên chưa đăng nhập được. Vui lòng thử lại sau.")
        ) from None
    user = User.objects.filter(Q(national_id=national_id) | Q(username=national_id)).first()
    if user is None:
        user = _citizen_from_provider(
            national_id=national_id, full_name=full_name, phone=phone, birthdate=birthdate
        )
    elif ExternalIdentity.objects.filter(provider=provider, user=user).exists():
        raise ExternalLoginRefused(
            _(
                "Tài khoản của số định danh này đã liên kết với một tài khoản VNeID khác. Vui lòng liên hệ "
                "Bộ phận Một cửa."
            )
        )
    elif user.kind == User.Kind.CITIZEN and not user.national_id_verified:
        # Anyone can sign up with another person's ID number and their own phone: linking such an account
        # would hand the real person's VNeID login (and then their dossiers) to whoever registered it.
        # Linked only when the phone VNeID knows is the account's, which proves the same person.
        if not (user.phone and mobile_normalise(phone) == user.phone):
            raise ExternalLoginRefused(
                _(
                    "Số định danh này đã có tài khoản, đăng ký với một số điện thoại khác số trên VNeID. "
                    "Để bảo vệ tài khoản, hãy đăng nhập bằng số điện thoại và mật khẩu, hoặc mang thẻ căn "
                    "cước đến Bộ phận Một cửa để được hỗ trợ."
                )
            )
        user.national_id_verified = True
        user.save(update_fields=["national_id_verified"])
    link = ExternalIdentity.objects.create(provider=provider, subject=subject, user=user)
    audit_record(
        event="user.external_identity_linked",
        target_type="accounts.user",
        target_id=user.pk,
        actor_id=user.pk,
        actor_label=user.get_username(),
        new={"provider": provider},
    )
    return link


def _citizen_from_provider(*, national_id: str, full_name: str, phone: str, birthdate: str) -> User:
    """A new citizen account from the provider's claims; a phone number already another account's, or a
    birth date that disagrees with the ID number, is left out rather than refusing the person."""
    mobile = mobile_normalise(phone)
    if mobile and User.objects.filter(phone=mobile).exists():
        mobile = None
    try:
        date_of_birth: dt.date | None = dt.date.fromisoformat(birthdate) if birthdate else None
        if date_of_birth is not None:
            birth_year_check(national_id=national_id, date_of_birth=date_of_birth)
    except (ValueError, ValidationError):
        date_of_birth = None
    return user_create_citizen(
        username=national_id,
        password=None,
        full_name=full_name.strip()[:150] or national_id,
        phone=mobile,
        national_id=national_id,
        national_id_verified=True,
        date_of_birth=date_of_birth,
        actor=None,
    )
