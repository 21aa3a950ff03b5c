"""E-document API for the citizen's own clients (the portal's scripts, a mobile app).

Authentication: a bearer token (`tinhso create-api-token`) or the browser's session (CSRF checked), like
the dossier API. A citizen reaches their own documents only; another person's document is a 404, exactly
like a missing one. Officials get 403 on the list and 404 on any document: the store is the citizen's.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from tinhso.accounts.api_auth import API_AUTH
from tinhso.accounts.models import User
from tinhso.accounts.schemas import ErrorOut
from tinhso.edocs import selectors, services
from tinhso.edocs.models import EDocument, ShareLink
from tinhso.edocs.responses import edoc_file_response
from tinhso.edocs.schemas import (
    EDocDetailOut,
    EDocListOut,
    ShareLinkCreatedOut,
    ShareLinkIn,
    ShareLinkOut,
)

router = Router(tags=["edocs"], auth=API_AUTH)

NOT_FOUND = "Không tìm thấy giấy tờ / no such document"
ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _load(request: HttpRequest, pk: int) -> EDocument:
    try:
        return selectors.edoc_get_for_user(_user(request), pk)
    except Http404:
        raise HttpError(404, NOT_FOUND) from None


def _link_payload(link: ShareLink, now: Any) -> dict[str, Any]:
    return {
        "id": link.pk,
        "prefix": link.token_prefix,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "active": link.is_active(now),
        "access_count": link.access_count,
        "last_accessed_at": link.last_accessed_at,
    }


def _doc_payload(doc: EDocument, today: Any) -> dict[str, Any]:
    return {
        "id": doc.pk,
        "kind": doc.kind,
        "kind_label": str(EDocument.Kind(doc.kind).label),
        "title": doc.title,
        "issuer_name": doc.issuer_name,
        "issuer_code": doc.issuer_code,
        "issued_on": doc.issued_on,
        "valid_until": doc.valid_until,
        "expired": doc.is_expired(today),
        "revoked_at": doc.revoked_at,
        "revoked_reason": doc.revoked_reason,
        "sha256": doc.sha256,
        "original_name": doc.original_name,
        "content_type": doc.content_type,
        "size": doc.size,
        "pages": doc.pages,
        "source_dossier_code": doc.source_dossier_code,
        "created_at": doc.created_at,
        "download_url": f"/api/edocs/{doc.pk}/file",
    }


class ListParams(Schema):
    kind: str = ""
    page: int = 1
    page_size: int = 20


@router.get(
    "/edocs",
    response={200: EDocListOut, **ERRORS},
    summary="Giấy tờ trong kho của tôi / My e-documents",
    description="kind: result, digitised or uploaded (empty: all). Newest first.",
)
def edoc_list(request: HttpRequest, params: Query[ListParams]) -> Any:
    user = _user(request)
    if user.is_official:
        raise HttpError(403, "Kho giấy tờ điện tử chỉ dành cho công dân / the store is for citizens only")
    if params.kind and params.kind not in EDocument.Kind.values:
        raise HttpError(422, f"kind: one of {', '.join(EDocument.Kind.values)}")
    size = max(1, min(params.page_size, 100))
    paginator = Paginator(selectors.edocs_for_owner(user, params.kind or None), size)
    page = paginator.get_page(params.page)
    today = timezone.localdate()
    return {
        "items": [_doc_payload(d, today) for d in page.object_list],
        "count": paginator.count,
        "page": page.number,
        "page_size": size,
    }


@router.get("/edocs/{pk}", response={200: EDocDetailOut, **ERRORS}, summary="Một giấy tờ / One e-document")
def edoc_detail(request: HttpRequest, pk: int) -> Any:
    doc = _load(request, pk)
    now = timezone.now()
    return {
        **_doc_payload(doc, timezone.localdate()),
        "share_links": [_link_payload(link, now) for link in selectors.share_links_of(doc)],
    }


@router.get(
    "/edocs/{pk}/file",
    response={200: None, **ERRORS},
    summary="Tải tệp giấy tờ / Download the document's file",
)
def edoc_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    return edoc_file_response(_load(request, pk))


@router.post(
    "/edocs/{pk}/share-links",
    response={201: ShareLinkCreatedOut, **ERRORS},
    summary="Tạo liên kết chia sẻ / Create a share link",
    description="days: 1 to EDOC_SHARE_DAYS_MAX (default EDOC_SHARE_DAYS_DEFAULT). The token is shown once.",
)
def share_link_create(request: HttpRequest, pk: int, body: ShareLinkIn) -> Any:
    user = _user(request)
    doc = _load(request, pk)
    try:
        link, raw = services.share_link_create(document=doc, actor=user, days=body.days)
    except services.EDocError as exc:
        raise HttpError(exc.status_code, exc.message) from None
    url = request.build_absolute_uri(reverse("edocs:share", args=[raw]))
    return Status(201, {**_link_payload(link, timezone.now()), "token": raw, "url": url})


@router.post(
    "/edocs/{pk}/share-links/{link_id}/revoke",
    response={200: ShareLinkOut, **ERRORS},
    summary="Thu hồi liên kết chia sẻ / Revoke a share link",
)
def share_link_revoke(request: HttpRequest, pk: int, link_id: int) -> Any:
    user = _user(request)
    try:
        link = selectors.share_link_get_for_user(user, pk, link_id)
    except Http404:
        raise HttpError(404, "Không tìm thấy liên kết chia sẻ / no such share link") from None
    try:
        link = services.share_link_revoke(link=link, actor=user)
    except services.EDocError as exc:
        raise HttpError(exc.status_code, exc.message) from None
    return _link_payload(link, timezone.now())
