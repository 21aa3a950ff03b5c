"""The officials' pages, server side: counter reception, worklists, the dossier page and its actions."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tinhso.dossiers.models import Dossier, Status
from tinhso.dossiers.tests.factories import World

pytestmark = pytest.mark.django_db


def logged_in(user: object) -> Client:
    c = Client()
    c.force_login(user)  # type: ignore[arg-type]
    return c


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def test_only_officials_reach_the_back_office(w: World) -> None:
    assert Client().get("/backoffice/").status_code == 302  # to the login page
    assert logged_in(w.citizen).get("/backoffice/").status_code == 403
    assert logged_in(w.counter).get("/backoffice/").status_code == 200
    assert logged_in(w.specialist).get("/backoffice/reception/").status_code == 403


def test_a_counter_officer_receives_a_paper_dossier_with_the_checklist(w: World) -> None:
    c = logged_in(w.counter)
    page = c.get("/backoffice/reception/", {"binding": w.residence.pk})
    assert page.status_code == 200
    checklist = re.findall(r'name="papers" value="(\d+)"', text(page))
    assert checklist, "the procedure's papers are listed to tick"
    form = {
        "binding": w.residence.pk,
        "channel": "counter",
        "applicant_name": "Nguyễn Thị Hằng",
        "applicant_id_number": "008190012345",
        "applicant_phone": "0912345678",
        "papers": checklist[:1],
        "sets": 1,
    }
    bad = c.post(f"/backoffice/reception/?binding={w.residence.pk}", {**form, "applicant_id_number": "12"})
    assert bad.status_code == 200 and "12 chữ số" in text(bad) and Dossier.objects.count() == 0
    none_ticked = c.post(f"/backoffice/reception/?binding={w.residence.pk}", {**form, "papers": []})
    assert "ít nhất một giấy tờ" in text(none_ticked) and Dossier.objects.count() == 0
    done = c.post(f"/backoffice/reception/?binding={w.residence.pk}", form)
    d = Dossier.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/backoffice/dossiers/{d.code}/"
    assert d.status == Status.RECEIVED and d.papers.get().required_paper_id == int(checklist[0])
    page = c.get(done["Location"])
    assert "Mẫu 01" in text(page) and d.code in text(page) and "Đã tiếp nhận hồ sơ" in text(page)
    pdf = c.get(f"/backoffice/dossiers/{d.code}/forms/01.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_dossier_page_offers_only_what_the_role_may_do_and_refuses_a_stale_page(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    counter = logged_in(w.counter)
    page = text(counter.get(f"/backoffice/dossiers/{d.code}/"))
    assert 'data-testid="action-hand_over"' in page and 'data-testid="action-approve"' not in page
    assert w.head.full_name in page  # the department head is offered as the next holder
    leader_page = text(logged_in(w.leader).get(f"/backoffice/dossiers/{d.code}/"))
    assert 'data-testid="action-receive"' not in leader_page
    moved = counter.post(
        f"/backoffice/dossiers/{d.code}/actions/hand_over/",
        {"expected_revision": d.revision, "to": w.head.pk},
    )
    assert moved.status_code == 302
    stale = counter.post(
        f"/backoffice/dossiers/{d.code}/actions/request_supplement/",
        {"expected_revision": d.revision, "items": "CT01 | Thiếu chữ ký"},
        follow=True,
    )
    assert "vừa được người khác cập nhật" in text(stale)
    assert Dossier.objects.get(pk=d.pk).status == Status.IN_PROCESS


def test_worklists_show_counts_and_the_dossiers_of_each(w: World) -> None:
    w.submit(when="2026-03-02 09:00")
    d = w.received(when="2026-03-02 09:00")
    c = logged_in(w.counter)
    page = text(c.get("/backoffice/", {"list": "new"}))
    assert re.search(r'data-testid="list-new">[^<]*<span class="count">1</span>', page)
    mine = text(c.get("/backoffice/", {"list": "mine"}))
    assert d.code in mine and "quá hạn" in mine
    assert logged_in(w.other_counter).get(f"/backoffice/dossiers/{d.code}/").status_code == 404
