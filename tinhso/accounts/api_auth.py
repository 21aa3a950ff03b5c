"""API authentication: a bearer token (another system) or the browser's session (with its CSRF check)."""

from __future__ import annotations

import hashlib
import secrets

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from tinhso.accounts.models import ApiToken, User
from tinhso.accounts.user_reader import user_reader
from tinhso.core.audit import audit_record


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(*, user: User, name: str, actor: User | None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and the raw token, which is not stored and cannot be shown again."""
    raw = "ts_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip()[:100], prefix=raw[:8], key_hash=_hash(raw))
    audit_record(
        event="api_token.created",
        target_type="accounts.apitoken",
        target_id=token.pk,
        actor_id=actor.pk if actor else None,
        actor_label=actor.get_username() if actor else "system",
        agency_code=user.agency.code if user.agency else "",
        new={"user": user.get_username(), "name": token.name, "prefix": token.prefix},
    )
    return token, raw


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = user_reader(connection, by_token=True).read(connection, _hash(token))
        if found is None:
            return None
        (token_id, last_used_at), user = found
        if not user.is_active:
            return None
        # At most one write a minute per token: the API stays read-cheap.
        now = timezone.now()
        if last_used_at is None or (now - last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        request.user = user
        return user


token_auth = TokenAuth()
# Bearer token first (no CSRF: not a browser), then the session (CSRF checked on writes).
API_AUTH = [token_auth, django_auth]
