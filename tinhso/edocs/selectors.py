"""Reads of the e-document store, with the permission scoping in one place.

A citizen sees their own documents and nothing else. Officials see nothing here, not even as system
administrators: the store is the person's, and an official who needs a paper gets it through the dossier
it was cited in (or the read-only admin, for system administrators).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.edocs.models import EDocument, ShareLink


def _is_citizen(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and not user.is_official)


def edocs_for_owner(user: Any, kind: str | None = None) -> QuerySet[EDocument]:
    """The user's documents, newest first (ordered, so it paginates stably); `kind` narrows to one kind
    (an unknown kind gives nothing). Nobody else's, ever; nothing for officials or anonymous users."""
    if not _is_citizen(user):
        return EDocument.objects.none()
    qs = EDocument.objects.filter(owner=user).order_by("-created_at", "-id")
    if kind:
        qs = qs.filter(kind=kind) if kind in EDocument.Kind.values else qs.none()
    return qs


def edocs_reusable_for_owner(user: Any, today: dt.date | None = None) -> QuerySet[EDocument]:
    """The user's documents that may be cited in a new dossier instead of an upload (one-stop.md OS-DG2):
    not revoked and not past their validity (`valid_until` is the last valid day). The same rule as
    `services.edoc_copy_for_reuse`, which checks it again when the copy is taken."""
    today = today or timezone.localdate()
    return edocs_for_owner(user).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today), revoked_at__isnull=True
    )


def edoc_get_for_user(user: Any, pk: Any) -> EDocument:
    """The user's document `pk`, or `Http404`: another person's document, a malformed id and a missing one
    look the same, so ids cannot be probed."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404(_("Không tìm thấy giấy tờ")) from None
    doc = edocs_for_owner(user).select_related("owner").filter(pk=pk).first()
    if doc is None:
        raise Http404(_("Không tìm thấy giấy tờ"))
    return doc


def share_links_of(document: EDocument) -> QuerySet[ShareLink]:
    """A document's share links, newest first (the caller has already loaded the document for its user)."""
    return ShareLink.objects.filter(document=document).order_by("-created_at", "-id")


def share_link_get_for_user(user: Any, document_pk: Any, link_pk: Any) -> ShareLink:
    """A share link of one of the user's documents, or `Http404`."""
    doc = edoc_get_for_user(user, document_pk)
    try:
        link_pk = int(link_pk)
    except (TypeError, ValueError):
        raise Http404(_("Không tìm thấy liên kết chia sẻ")) from None
    link = share_links_of(doc).filter(pk=link_pk).first()
    if link is None:
        raise Http404(_("Không tìm thấy liên kết chia sẻ"))
    link.document = doc
    return link
