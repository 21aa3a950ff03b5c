"""Dossier writes that are not a single transition: creation behind an `Idempotency-Key`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from tinhso.accounts.models import User
from tinhso.dossiers.models import Dossier, IdempotencyRecord
from tinhso.dossiers.transitions import DossierRuleError

MAX_KEY_LENGTH = 100


def request_fingerprint(payload: Any) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Dossier:
    if record.fingerprint != fingerprint:
        raise DossierRuleError(
            "Idempotency-Key này đã dùng cho một yêu cầu khác: dùng khóa mới cho hồ sơ mới. "
            "/ This Idempotency-Key was used for a different request."
        )
    return record.dossier


def dossier_create_once(
    *, user: User, key: str, fingerprint: str, create: Callable[[], Dossier]
) -> tuple[Dossier, bool]:
    """Create a dossier at most once per (user, key): a retry — sequential or concurrent — gets the first
    dossier back (`replayed` True). The record is written in the creating transaction, so a creation that
    fails leaves no record and a retry creates it then."""
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DossierRuleError(f"Idempotency-Key: 1–{MAX_KEY_LENGTH} ký tự / characters.")
    found = IdempotencyRecord.objects.select_related("dossier").filter(user=user, key=key).first()
    if found is not None:
        return _replay(found, fingerprint), True
    try:
        with transaction.atomic():
            dossier = create()
            IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint, dossier=dossier)
    except IntegrityError:
        # A concurrent request with the same key committed first (its unique row made this insert fail
        # and rolled back this whole creation, its code number included).
        found = IdempotencyRecord.objects.select_related("dossier").filter(user=user, key=key).first()
        if found is None:
            raise
        return _replay(found, fingerprint), True
    return dossier, False
