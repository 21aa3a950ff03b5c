"""Log in with a username, a mobile number or a national ID number, and the password.

Citizens know their phone number and their ID number, not a username made for them. The login form's one
box takes any of the three: `account_for_identifier` tries the username first (officials, and accounts made
at the counter, whose username is the ID number), then a mobile number in any usual spelling (0912 345 678,
+84 912 345 678), then a 12-digit ID number.

django-axes counts failures per (account, address). It is told the account's username whatever the person
typed (`axes_username`), so the phone number and the ID number of one account share one count: typing the
same account three ways does not triple the tries.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.http import HttpRequest

from tinhso.accounts.models import User
from tinhso.accounts.phone import mobile_normalise
from tinhso.accounts.user_reader import user_reader

_NATIONAL_ID = re.compile(r"\d{12}", re.ASCII)


def account_for_identifier(identifier: str) -> User | None:
    """The account this username, mobile number or national ID number names, or None."""
    value = (identifier or "").strip()
    if not value:
        return None
    user = User.objects.filter(username=value).first()
    if user is not None:
        return user
    phone = mobile_normalise(value)
    if phone is not None:
        user = User.objects.filter(phone=phone).first()
        if user is not None:
            return user
    compact = re.sub(r"\s", "", value)
    if _NATIONAL_ID.fullmatch(compact):
        return User.objects.filter(national_id=compact).first()
    return None


class IdentifierBackend(ModelBackend):
    """Django's model backend, finding the account by username, mobile number or national ID number."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kw: Any
    ) -> User | None:
        if username is None or password is None:
            return None
        user = account_for_identifier(username)
        if user is None:
            # Hash once anyway, so an unknown identifier takes as long as a wrong password (Django #20760).
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in user of a request, read with their agency and their roles in one statement
        (`user_reader`): every official's page reads all three."""
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = user_reader(connection, by_token=False).read(connection, pk)
        if found is None or not self.user_can_authenticate(found[1]):
            return None
        return found[1]


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """What django-axes counts failures against (setting AXES_USERNAME_CALLABLE): the account's username
    when the identifier names one, else the identifier as typed (tidied)."""
    raw = ""
    if credentials:
        raw = str(credentials.get("username") or "")
    elif request is not None:
        raw = str(request.POST.get("username", ""))
    user = account_for_identifier(raw)
    if user is not None:
        return user.get_username()
    return mobile_normalise(raw) or raw.strip()
