"""Drafts of the e-form (*bản nháp*), kept in the citizen's session, one per procedure.

The dossier lifecycle has no "draft" state (a dossier exists from `transitions.submit`, with its code and
its place in the unit's gap-free sequence), and the portal has no models. So a draft holds what was typed
(the applicant's details and the chosen agency) in the session — stored in the database by Django's
session backend, so any web process sees it — and no file: files are stored only when the dossier is
submitted. A `DossierDraft` model in dossiers would let drafts keep files and outlive the session (see
tinhso/portal/README.md).
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

SESSION_KEY = "portal_drafts"
FIELDS = ("name", "id_number", "phone", "email", "address")
MAX_DRAFTS = 20  # the oldest goes when a twenty-first procedure is drafted
MAX_FIELD_LENGTH = 300


def _all(session: SessionBase) -> dict[str, dict[str, Any]]:
    drafts = session.get(SESSION_KEY)
    return drafts if isinstance(drafts, dict) else {}


def draft_get(session: SessionBase, procedure_code: str) -> dict[str, Any] | None:
    draft = _all(session).get(procedure_code)
    return draft if isinstance(draft, dict) else None


def draft_save(
    session: SessionBase, procedure_code: str, *, agency_code: str, token: str, values: dict[str, Any]
) -> dict[str, Any]:
    drafts = _all(session)
    draft = {
        "agency": agency_code,
        "token": token,
        "saved_at": timezone.now().isoformat(),
        **{k: str(values.get(k) or "")[:MAX_FIELD_LENGTH] for k in FIELDS},
    }
    drafts.pop(procedure_code, None)
    drafts[procedure_code] = draft  # last saved last: the oldest is first to go
    while len(drafts) > MAX_DRAFTS:
        drafts.pop(next(iter(drafts)))
    session[SESSION_KEY] = drafts
    return draft


def draft_delete(session: SessionBase, procedure_code: str) -> None:
    drafts = _all(session)
    if drafts.pop(procedure_code, None) is not None:
        session[SESSION_KEY] = drafts


def drafts_list(session: SessionBase) -> list[tuple[str, dict[str, Any]]]:
    """(procedure code, draft), the last saved first."""
    return list(reversed(list(_all(session).items())))
