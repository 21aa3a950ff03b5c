"""Who reaches the portal's citizen pages, and the permission-checked loader of the applicant's dossier."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from tinhso.accounts.models import User
from tinhso.dossiers import selectors
from tinhso.dossiers.models import Dossier


def current_user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def citizen_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Logged in (else the login page, coming back here), with a citizen's account: an official submits
    for someone at the counter (*nộp hộ*), not here, and is told so."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if current_user(request).is_official:
            return citizens_only(request)
        return view(request, *args, **kwargs)

    return wrapper


def citizens_only(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/citizens_only.html", status=403)


def own_dossier(request: HttpRequest, code: str) -> Dossier:
    """The dossier if the logged-in person is its applicant; 404 otherwise — another person's dossier and
    an unknown code look the same, so codes cannot be probed. Officials reach dossiers in the back office,
    never here, even those of their unit."""
    user = current_user(request)
    try:
        d = selectors.dossier_get_for_user(user, code)
    except (selectors.DossierNotFound, PermissionDenied):
        raise Http404(_("Không tìm thấy hồ sơ")) from None
    if d.applicant_user_id is None or d.applicant_user_id != user.pk:
        raise Http404(_("Không tìm thấy hồ sơ"))
    return d
