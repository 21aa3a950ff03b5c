"""The citizen's pages of the e-document store, and the public page a share link opens.

Thin views: documents are loaded through the permission-checked selectors (another person's document is a
404, exactly like a missing one), every write goes through the services. Pages work without JavaScript:
plain forms with CSRF tokens, then a redirect. Officials are refused (403): the store is the citizen's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tinhso.accounts.models import User
from tinhso.core.files import UploadRejected
from tinhso.edocs import selectors, services
from tinhso.edocs.forms import ShareForm, UploadForm
from tinhso.edocs.models import EDocument
from tinhso.edocs.responses import edoc_file_response, no_store, share_headers

PER_PAGE = 20
# The raw token of a link just made, kept in the (server-side) session for the one page view that shows it.
NEW_LINK_SESSION_KEY = "edocs_new_share_link"


def citizen_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not (isinstance(user, User) and not user.is_official):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@citizen_required
@require_safe
def edoc_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "").strip()
    if kind not in EDocument.Kind.values:
        kind = ""
    paginator = Paginator(selectors.edocs_for_owner(_user(request), kind or None), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "kind": kind,
        "kinds": EDocument.Kind.choices,
        "page_obj": page,
        "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)),
        "today": timezone.localdate(),
    }
    return no_store(render(request, "edocs/edoc_list.html", context))


def _detail(request: HttpRequest, doc: EDocument, form: ShareForm, status: int = 200) -> HttpResponse:
    new_link = request.session.get(NEW_LINK_SESSION_KEY)
    if isinstance(new_link, dict) and new_link.get("document") == doc.pk:
        del request.session[NEW_LINK_SESSION_KEY]  # shown once
    else:
        new_link = None
    now = timezone.now()
    context = {
        "doc": doc,
        "links": list(selectors.share_links_of(doc)),
        "new_link": new_link,
        "form": form,
        "now": now,
        "today": timezone.localdate(),
    }
    return no_store(render(request, "edocs/edoc_detail.html", context, status=status))


@citizen_required
@require_safe
def edoc_detail(request: HttpRequest, pk: int) -> HttpResponse:
    doc = selectors.edoc_get_for_user(_user(request), pk)
    return _detail(request, doc, ShareForm())


@citizen_required
@require_safe
def edoc_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    return edoc_file_response(selectors.edoc_get_for_user(_user(request), pk))


@citizen_required
@require_POST
def share_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    doc = selectors.edoc_get_for_user(user, pk)
    form = ShareForm(request.POST)
    if not form.is_valid():
        return _detail(request, doc, form, status=400)
    try:
        link, raw = services.share_link_create(document=doc, actor=user, days=form.cleaned_data["days"])
    except services.EDocError as exc:
        form.add_error(None, exc.message)
        return _detail(request, doc, form, status=exc.status_code)
    request.session[NEW_LINK_SESSION_KEY] = {
        "document": doc.pk,
        "link": link.pk,
        "url": request.build_absolute_uri(reverse("edocs:share", args=[raw])),
    }
    messages.success(
        request,
        _("Đã tạo liên kết chia sẻ. Hãy sao chép địa chỉ bên dưới ngay: địa chỉ này chỉ hiện một lần."),
    )
    return redirect("edocs:detail", pk=doc.pk)


@citizen_required
@require_POST
def share_revoke(request: HttpRequest, pk: int, link_id: int) -> HttpResponse:
    user = _user(request)
    link = selectors.share_link_get_for_user(user, pk, link_id)
    services.share_link_revoke(link=link, actor=user)
    messages.success(request, _("Đã thu hồi liên kết chia sẻ. Người nhận không còn mở được liên kết này."))
    return redirect("edocs:detail", pk=pk)


@citizen_required
@require_http_methods(["GET", "POST"])
def edoc_upload(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            try:
                doc = services.edoc_upload_by_citizen(
                    owner=user,
                    actor=user,
                    title=data["title"],
                    upload=upload,
                    filename=upload.name or "",
                    issuer=data["issuer"],
                    issued_on=data["issued_on"],
                    valid_until=data["valid_until"],
                )
            except UploadRejected as exc:
                form.add_error("file", exc.message)
            except services.EDocError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, _("Đã lưu giấy tờ “%(title)s” vào kho của bạn.") % {"title": doc.title}
                )
                return redirect("edocs:detail", pk=doc.pk)
        status = 400
    else:
        form = UploadForm()
    return no_store(render(request, "edocs/edoc_upload.html", {"form": form}, status=status))


# --- The public page of a share link --------------------------------------------------------------------


def _share_refused(request: HttpRequest, exc: services.EDocError) -> HttpResponse:
    reason = getattr(exc, "reason", "not_found")
    response = render(
        request,
        "edocs/share_gone.html",
        {"message": exc.message, "reason": reason},
        status=exc.status_code,
    )
    return share_headers(response)


@require_safe
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = services.share_link_resolve(raw_token=token)
    except services.EDocError as exc:
        return _share_refused(request, exc)
    context = {"link": link, "doc": link.document, "token": token, "today": timezone.localdate()}
    return share_headers(render(request, "edocs/share.html", context))


@require_safe
def share_download(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        link = services.share_link_resolve(raw_token=token)
    except services.EDocError as exc:
        return _share_refused(request, exc)
    response = edoc_file_response(link.document)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
