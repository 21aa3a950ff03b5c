"""TOTP two-factor authentication for officials (django-otp), as services."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.accounts.models import User
from tinhso.accounts.ratelimit import client_ip
from tinhso.core.audit import audit_record

DEVICE_NAME = "Ứng dụng xác thực"


def required_for(user: User) -> bool:
    return bool(settings.TINHSO_REQUIRE_OFFICIAL_2FA and user.is_authenticated and user.is_official)


def has_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled (one per user; reused across page loads)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_device(*, device: TOTPDevice, token: str, actor: User) -> bool:
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(
        event="user.two_factor_enabled",
        target_type="accounts.user",
        target_id=actor.pk,
        actor_id=actor.pk,
        actor_label=actor.get_username(),
        agency_code=actor.agency.code if actor.agency else "",
    )
    return True


def verify(*, user: User, token: str, request: HttpRequest) -> TOTPDevice | None:
    """The confirmed device that accepts this token, or None. django-otp throttles repeated failures
    per device (exponential back-off) and refuses a token already used (replay)."""
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            audit_record(
                event="user.two_factor_verified",
                target_type="accounts.user",
                target_id=user.pk,
                actor_id=user.pk,
                actor_label=user.get_username(),
                agency_code=user.agency.code if user.agency else "",
                new={"device": device.pk, "ip": client_ip(request)},
            )
            return device
    audit_record(
        event="user.two_factor_failed",
        target_type="accounts.user",
        target_id=user.pk,
        actor_id=user.pk,
        actor_label=user.get_username(),
        agency_code=user.agency.code if user.agency else "",
        new={"ip": client_ip(request)},
    )
    return None
