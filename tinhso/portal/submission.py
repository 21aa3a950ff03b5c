"""Online submission (*nộp hồ sơ trực tuyến*) from the citizen portal: the dossier and every file of it in
one transaction, at most once per form.

- `transitions.submit` creates the dossier (status 1, its code) with the e-form's checklist as papers, and
  queues the applicant's SMS and e-mail carrying the code in the same transaction (so nothing is sent
  again here); `services.paper_file_add` attaches each file, checked by content, with its PDF rendition.
- `services.dossier_create_once`, keyed by the form's hidden token, makes a double click or a retry return
  the first dossier instead of creating a second.
- Files are checked before the transaction (`files_check`), so a refused file is reported next to its
  paper and nothing starts. If anything fails inside, the transaction rolls back and the files already
  written to storage are deleted — also when a concurrent request with the same token won and this one's
  creation was rolled back — so nothing is half-saved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from tinhso.accounts.models import User
from tinhso.core.files import UploadRejected, check_upload
from tinhso.dossiers import services
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Channel, Dossier, DossierPaper
from tinhso.portal import edocs_seam
from tinhso.portal.checklist import ChecklistItem
from tinhso.portal.plain import plain
from tinhso.procedures.models import ProcedureBinding

# A paper outside the catalog's checklist: extra papers at submission, and those a supplement request
# asks for that the checklist does not name.
OTHER_PAPER_NAME = "Giấy tờ khác (nếu có)"
MAX_FILES_PER_PAPER = 10
MAX_FILES = 40
# The portal's keys share the user's idempotency namespace with API clients' `Idempotency-Key`s.
KEY_PREFIX = "portal:"
# One form, one dossier: whatever was posted with a token, its replay returns the first dossier.
_FINGERPRINT = services.request_fingerprint({"portal": "online-submit"})


def file_errors(files: Sequence[Any]) -> list[str]:
    """What is wrong with the files chosen for one paper, each message naming its file."""
    errors: list[str] = []
    if len(files) > MAX_FILES_PER_PAPER:
        errors.append(
            _("Mỗi giấy tờ tải lên tối đa %(n)s tệp: hãy gộp các trang thành một tệp PDF.")
            % {"n": MAX_FILES_PER_PAPER}
        )
    for f in files:
        name = f.name or ""
        try:
            check_upload(f, name=name)
        except UploadRejected as exc:
            message = plain(exc.message)
            errors.append(message if name and name in message else f"“{name}”: {message}")
    return errors


def _delete(names: Iterable[str]) -> None:
    for name in names:
        default_storage.delete(name)


def online_submit(
    *,
    user: User,
    binding: ProcedureBinding,
    applicant: tr.Applicant,
    items: Sequence[ChecklistItem],
    files: dict[int | None, list[Any]],
    reused: dict[int, str] | None = None,
    token: str,
    form_data: dict[str, Any],
) -> tuple[Dossier, bool]:
    """Submit the e-form: a new dossier (or, `replayed` True, the one this token already made).

    `files` maps a catalog paper's id (None: other papers) to its uploads, already checked with
    `file_errors`; `reused` a catalog paper's id to a stored document's id (edocs_seam). Raises
    `transitions.DossierError` or `UploadRejected` with nothing saved."""
    reused = reused or {}
    stored: list[str] = []
    created = False

    def create() -> Dossier:
        nonlocal created
        created = True
        specs = [
            tr.PaperSpec(
                required_paper_id=item.paper.pk,
                kind=DossierPaper.Kind.ELECTRONIC,
                quantity=item.paper.quantity or 1,
                provided=False,  # set by the first file attached
            )
            for item in items
        ]
        specs.append(tr.PaperSpec(name=OTHER_PAPER_NAME, kind=DossierPaper.Kind.ELECTRONIC, provided=False))
        d = tr.submit(
            binding=binding,
            channel=Channel.ONLINE,
            applicant=applicant,
            actor=user,
            papers=specs,
            form_data=form_data,
        )
        papers = list(d.papers.all())
        for paper in papers:
            paper.dossier = d
        by_catalog: dict[int | None, DossierPaper] = {p.required_paper_id: p for p in papers}
        for paper_id, uploads in files.items():
            paper = by_catalog[paper_id]
            for upload in uploads:
                row = services.paper_file_add(paper=paper, upload=upload, name=upload.name or "", actor=user)
                stored.extend([row.original.name, row.rendition.name])
        for paper_id, document_id in reused.items():
            row = edocs_seam.stored_document_attach(
                user=user, document_id=document_id, paper=by_catalog[paper_id]
            )
            stored.extend([row.original.name, row.rendition.name])
        tr.forget_handed_over(d, "papers")  # files attached and papers marked provided since submit
        return d

    try:
        d, replayed = services.dossier_create_once(
            user=user, key=KEY_PREFIX + token, fingerprint=_FINGERPRINT, create=create
        )
    except BaseException:
        _delete(stored)
        raise
    if replayed and created:
        # A concurrent request with the same token committed first; this creation was rolled back.
        _delete(stored)
    return d, replayed
