"""SEAM — reuse a paper from the citizen's e-document store (*kho dữ liệu điện tử*, OS-DG2) instead of
uploading it again.

`tinhso/edocs` is being built beside this page; until it is settled the portal does not import it. The
e-form and the submission already call the two functions below, so connecting the store changes this file
only:

- `stored_documents_for(user, paper)`: the citizen's documents that may stand for `paper` — to become
  `tinhso.edocs.selectors.edocs_for_owner(user)` (not revoked, still valid), ideally narrowed by the paper's
  kind once the catalog links a required paper to a document kind.
- `stored_document_attach(...)`: attach the chosen document to the dossier's paper inside the submitting
  transaction — to become a dossiers service (`paper_edoc_attach(paper=…, document=…, actor=…)`, dossiers may
  import edocs, the layer below it) that copies or references the document's file as a `PaperFile`, checked
  the same way as an upload, and records which document was cited (Decision 766 REUSED_DIGITIZED_DATA).

With nothing returned by `stored_documents_for`, the form shows no choice and the submission attaches
nothing: today's behaviour.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StoredDocument:
    """A document of the citizen's store, as the e-form offers it."""

    id: str
    title: str
    issuer: str = ""
    issued_on: dt.date | None = None


def stored_documents_for(user: Any, paper: Any) -> list[StoredDocument]:
    """SEAM: the citizen's stored documents that may stand for the catalog paper `paper`. None yet."""
    return []


def stored_document_attach(*, user: Any, document_id: str, paper: Any) -> None:
    """SEAM: attach a stored document to the dossier paper `paper` (in the caller's transaction)."""
    raise NotImplementedError("the e-document store is not connected to the portal yet")
