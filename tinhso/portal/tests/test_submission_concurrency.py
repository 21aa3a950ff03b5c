"""Two requests carrying the same e-form token at the same instant (a double tap on a slow link): real
threads, real transactions. One dossier; the losing request's files are not left in storage."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from tinhso.accounts.models import User
from tinhso.accounts.tests import factories as people
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, PaperFile
from tinhso.dossiers.tests.factories import World, run_together, world
from tinhso.portal.checklist import ChecklistItem, checklist_for, uploadable_items
from tinhso.portal.submission import online_submit
from tinhso.portal.tests.helpers import jpeg_upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cw(flushable_audit_log: None, reference_data: None) -> World:
    return world()


def _birth_form(cw: World) -> tuple[User, list[ChecklistItem], ChecklistItem]:
    """A citizen, the birth registration's uploadable papers, and its birth certificate among them."""
    citizen: User = people.citizen(full_name="Nguyễn Thị Hằng", phone="0912345678")
    version = cw.birth.procedure.current_version
    assert version is not None
    items = uploadable_items(checklist_for(version))
    return citizen, items, next(i for i in items if i.paper.name.startswith("Giấy chứng sinh"))


def test_the_same_token_twice_at_once_makes_one_dossier_and_leaves_one_set_of_files(cw: World) -> None:
    citizen, items, certificate = _birth_form(cw)

    def submit() -> tuple[str, bool]:
        d, replayed = online_submit(
            user=citizen,
            binding=cw.birth,
            applicant=tr.Applicant(name=citizen.full_name, phone="0912345678", user=citizen),
            items=items,
            files={certificate.paper.pk: [jpeg_upload()]},
            token="same-form",
            form_data={"source": "portal"},
        )
        return d.code, replayed

    results = run_together([submit, submit])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0][0] == results[1][0]
    assert sorted(r[1] for r in results) == [False, True]
    assert Dossier.objects.count() == 1 and PaperFile.objects.count() == 1
    stored = [f for _root, _dirs, files in os.walk(settings.MEDIA_ROOT) for f in files]
    assert len(stored) == 2, stored  # one original and its rendition


def test_the_submitted_dossier_shows_the_files_attached_after_it_was_written(cw: World) -> None:
    # submit hands its new papers over (read from memory); the portal attaches files after: a reader of
    # the dossier it returns sees them, as a read would.
    citizen, items, certificate = _birth_form(cw)
    d, replayed = online_submit(
        user=citizen,
        binding=cw.birth,
        applicant=tr.Applicant(name=citizen.full_name, phone="0912345678", user=citizen),
        items=items,
        files={certificate.paper.pk: [jpeg_upload()]},
        token="one-form",
        form_data={},
    )
    assert not replayed
    shown = {p.required_paper_id: (p.provided, len(p.files.all())) for p in d.papers.all()}
    read = {
        p.required_paper_id: (p.provided, p.files.count()) for p in Dossier.objects.get(pk=d.pk).papers.all()
    }
    assert shown == read
    assert shown[certificate.paper.pk] == (True, 1)
