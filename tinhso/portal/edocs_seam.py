"""Reuse a paper from the citizen's e-document store (*kho dữ liệu điện tử*, OS-DG2) instead of uploading
it again.

- `stored_documents_for(user, paper)`: the citizen's documents that may stand for `paper` — those still
  valid and not revoked (`edocs.selectors.edocs_reusable_for_owner`). The catalog does not link a required
  paper to a document kind, so every valid document is offered, newest first.
- `stored_document_attach(...)`: attach the chosen document to the dossier's paper inside the submitting
  transaction, as a `PaperFile` checked like an upload (`dossiers.services.paper_file_add`); the store
  records the reuse in the audit log (`edoc.reused`, Decision 766 REUSED_DIGITIZED_DATA).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tinhso.dossiers import services
from tinhso.dossiers.models import DossierPaper, PaperFile
from tinhso.edocs.selectors import edoc_get_for_user, edocs_reusable_for_owner
from tinhso.edocs.services import edoc_copy_for_reuse


@dataclass(frozen=True)
class StoredDocument:
    """A document of the citizen's store, as the e-form offers it."""

    id: str
    title: str
    issuer: str = ""
    issued_on: dt.date | None = None


OFFERED = 50  # documents offered per paper, newest first


def stored_documents_for(user: Any, paper: Any) -> list[StoredDocument]:
    """The citizen's stored documents that may stand for the catalog paper `paper` (read once per request:
    kept on the request's user object, and every paper is offered the same documents)."""
    offered: list[StoredDocument] | None = getattr(user, "_edocs_offered", None)
    if offered is None:
        offered = [
            StoredDocument(id=str(doc.pk), title=doc.title, issuer=doc.issuer_name, issued_on=doc.issued_on)
            for doc in edocs_reusable_for_owner(user).order_by("-created_at", "-pk")[:OFFERED]
        ]
        user._edocs_offered = offered
    return offered


def stored_document_attach(*, user: Any, document_id: str, paper: DossierPaper) -> PaperFile:
    """Attach the user's stored document `document_id` to the dossier paper `paper`, in the caller's
    transaction. Another person's document is not found (404); a revoked or expired one is refused with the
    store's message (`EDocRuleError`)."""
    copy = edoc_copy_for_reuse(document=edoc_get_for_user(user, document_id), actor=user)
    return services.paper_file_add(paper=paper, upload=copy.content, name=copy.filename, actor=user)
