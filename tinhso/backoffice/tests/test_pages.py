"""The officials' pages, server side: counter reception, worklists, the dossier page and its actions."""

from __future__ import annotations

import re
from typing import Any

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


def test_an_account_is_made_for_a_person_without_one_and_a_dossier_submitted_on_their_behalf(
    w: World,
) -> None:
    from tinhso.accounts.models import User

    c = logged_in(w.counter)
    form = {"full_name": "Lò Thị Mai", "national_id": "008190054321", "phone": "0987654321"}
    refused = c.post("/backoffice/citizens/new/", form)
    assert "Cần sự đồng ý" in text(refused) and not User.objects.filter(national_id="008190054321").exists()
    slip = c.post("/backoffice/citizens/new/", {**form, "consent": "on"})
    assert slip.status_code == 200
    password = re.search(r'data-testid="slip-password">([^<]+)<', text(slip)).group(1)  # type: ignore[union-attr]
    mai = User.objects.get(national_id="008190054321")
    assert mai.username == "008190054321" and mai.check_password(password) and not mai.is_official
    again = c.post("/backoffice/citizens/new/", {**form, "consent": "on"})
    assert "đã có tài khoản" in text(again)
    # She can log in with the slip, through the real login page.
    login = Client().post("/accounts/login/", {"username": "008190054321", "password": password})
    assert login.status_code == 302
    done = c.post(
        f"/backoffice/citizens/{mai.pk}/submit/",
        {"binding": w.birth.pk, "consent": "Bà Mai đồng ý, ký giấy đề nghị nộp hộ"},
    )
    d = Dossier.objects.get()
    assert done.status_code == 302 and d.applicant_user == mai and d.on_behalf_by == w.counter
    assert d.channel == "online" and d.status == Status.SUBMITTED and "Bà Mai đồng ý" in d.on_behalf_consent
    # The dossier is hers: she follows it under her account.
    mine = Client()
    mine.force_login(mai)
    assert [i["code"] for i in mine.get("/api/dossiers").json()["items"]] == [d.code]
    assert logged_in(w.specialist).get("/backoffice/citizens/new/").status_code == 403


def test_the_units_tracking_book_lists_its_receptions_of_the_year_in_order(w: World) -> None:
    import io

    from pypdf import PdfReader

    first = w.received(when="2026-03-02 09:00")
    second = w.received(when="2026-03-03 09:00")
    w.submit(when="2026-03-04 09:00")  # not received: not in the book
    response = logged_in(w.counter).get("/backoffice/register/2026.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    book = " ".join(" ".join(p.extract_text() for p in pages).split())
    assert book.index(first.code) < book.index(second.code)
    assert book.count("000.00.30.H60-26030") == 2
    assert logged_in(w.specialist).get("/backoffice/register/2026.pdf").status_code == 403
    assert logged_in(w.counter).get("/backoffice/register/2099.pdf").status_code == 404


def test_a_scan_is_uploaded_from_the_dossier_page_and_opens_as_a_pdf(w: World) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    d = w.received(when="2026-03-02 09:00")
    paper = d.papers.get()
    c = logged_in(w.counter)
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (230, 230, 220)).save(photo, "JPEG")
    wrong = c.post(
        f"/backoffice/dossiers/{d.code}/papers/{paper.pk}/files/",
        {"file": SimpleUploadedFile("scan.jpg", b"not an image at all")},
        follow=True,
    )
    assert "JPEG" in text(wrong) and not paper.files.exists()
    ok = c.post(
        f"/backoffice/dossiers/{d.code}/papers/{paper.pk}/files/",
        {"file": SimpleUploadedFile("cccd.jpg", photo.getvalue())},
        follow=True,
    )
    f = paper.files.get()
    assert "Đã thêm tệp" in text(ok) and f"/files/{f.pk}/rendition/" in text(ok)
    pdf = c.get(f"/backoffice/dossiers/{d.code}/files/{f.pk}/rendition/")
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert (
        logged_in(w.other_counter).get(f"/backoffice/dossiers/{d.code}/files/{f.pk}/rendition/").status_code
        == 404
    )


def test_an_amount_beyond_any_obligation_is_refused_with_a_message(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    c = logged_in(w.counter)
    for amount in (10**13, 10**20):
        res = c.post(
            f"/backoffice/dossiers/{d.code}/actions/pause_for_payment/",
            {"expected_revision": d.revision, "reason": "Nộp lệ phí trước bạ", "amount_vnd": amount},
            follow=True,
        )
        assert res.status_code == 200 and "Số tiền quá lớn" in text(res)
    assert Dossier.objects.get(pk=d.pk).status == Status.RECEIVED


def test_pages_with_personal_data_or_a_password_are_not_kept_by_the_browser(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    c = logged_in(w.counter)
    form = {"full_name": "Lò Thị Mai", "national_id": "008190054321", "phone": "0987654321", "consent": "on"}
    for res in (
        c.post("/backoffice/citizens/new/", form),  # the slip with the password
        c.get(f"/backoffice/dossiers/{d.code}/forms/01.pdf"),
        c.get("/backoffice/register/2026.pdf"),
    ):
        assert res.status_code == 200
        assert "no-store" in res["Cache-Control"] and "private" in res["Cache-Control"]


def test_another_agency_is_consulted_from_the_dossier_page_and_answers_from_its_own(w: World) -> None:
    from tinhso.dossiers.models import Consultation
    from tinhso.dossiers.tests.test_transitions import in_appraisal

    d = in_appraisal(w)
    specialist = logged_in(w.specialist)
    page = text(specialist.get(f"/backoffice/dossiers/{d.code}/"))
    assert 'data-testid="action-consult"' in page and f'<option value="{w.other_ward.code}">' in page
    assert f'<option value="{w.ward.code}">' not in page  # not its own agency
    url = f"/backoffice/dossiers/{d.code}/actions/consult/"
    for bad, message in (
        ({"agency": "000.00.99", "days": "2"}, "Chọn cơ quan được hỏi ý kiến trong danh sách"),
        ({"agency": w.other_ward.code, "days": "45"}, "từ 0,5 đến 30 ngày làm việc"),
        ({"agency": w.ward.code, "days": "2"}, "không phải đơn vị mình, cấp trên hay cấp dưới"),
    ):
        res = specialist.post(
            url, {"expected_revision": d.revision, "question": "Xác minh nơi ở cũ", **bad}, follow=True
        )
        assert message in text(res), bad
    assert not Consultation.objects.exists()
    specialist.post(
        url,
        {
            "expected_revision": d.revision,
            "agency": w.other_ward.code,
            "question": "Xác minh nơi ở cũ",
            "days": "2",
        },
    )
    c = Consultation.objects.get()
    assert (c.agency, c.question) == (w.other_ward, "Xác minh nơi ở cũ")
    assert "Chưa trả lời" in text(specialist.get(f"/backoffice/dossiers/{d.code}/"))

    # The asked agency finds it among its own, answers; nobody else can.
    assert f'data-testid="consultation-{c.pk}"' not in text(specialist.get("/backoffice/consultations/"))
    assert specialist.post(f"/backoffice/consultations/{c.pk}/answer/", {"answer": "x"}).status_code == 404
    other = logged_in(w.other_counter)
    listing = text(other.get("/backoffice/consultations/"))
    assert (
        f'data-testid="consultation-{c.pk}"' in listing
        and d.code in listing
        and "Xác minh nơi ở cũ" in listing
    )
    assert '<span class="count">1</span>' in listing
    empty = other.post(f"/backoffice/consultations/{c.pk}/answer/", {"answer": "  "}, follow=True)
    assert "không được để trống" in text(empty)
    done = other.post(f"/backoffice/consultations/{c.pk}/answer/", {"answer": "Đúng nơi ở cũ"}, follow=True)
    assert f"Đã gửi ý kiến về hồ sơ {d.code}" in text(done)
    again = other.post(f"/backoffice/consultations/{c.pk}/answer/", {"answer": "Lần hai"}, follow=True)
    assert "đã được trả lời" in text(again)
    assert "Đúng nơi ở cũ" in text(other.get("/backoffice/consultations/", {"show": "answered"}))
    asked = text(specialist.get(f"/backoffice/dossiers/{d.code}/"))
    assert "Đúng nơi ở cũ" in asked and "Chưa trả lời" not in asked


def test_a_refusal_is_shown_in_the_pages_language_only(w: World) -> None:
    """Refusals are written "Tiếng Việt. / English."; a page shows the half of its language."""
    from django.conf import settings

    from tinhso.dossiers.tests.test_transitions import in_appraisal

    d = in_appraisal(w)
    # Its own agency: the transition refuses (tr.consult), in both languages.
    form = {"expected_revision": d.revision, "agency": w.ward.code, "question": "Xác minh", "days": "2"}
    url = f"/backoffice/dossiers/{d.code}/actions/consult/"
    specialist = logged_in(w.specialist)
    vi = text(specialist.post(url, form, follow=True))
    assert "Chọn một cơ quan khác" in vi and "Consult another agency" not in vi
    specialist.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = text(specialist.post(url, form, follow=True))
    assert "Consult another agency" in en and "Chọn một cơ quan khác" not in en


def test_an_official_finds_any_dossier_of_the_unit_by_code_id_number_or_name(w: World) -> None:
    from tinhso.dossiers import transitions as tr

    d = w.received(when="2026-03-02 09:00")
    done = tr.withdraw(w.submit(when="2026-03-02 10:00"), actor=w.counter, reason="Người dân xin rút")
    c = logged_in(w.counter)
    exact = c.get("/backoffice/", {"q": d.code.lower()})
    assert exact.status_code == 302 and exact["Location"] == f"/backoffice/dossiers/{d.code}/"
    by_id = text(c.get("/backoffice/", {"q": "008190012345"}))  # the applicant's ID number
    assert d.code in by_id and done.code in by_id  # a withdrawn dossier is in no worklist, but is found
    by_name = text(c.get("/backoffice/", {"q": "thị hằng"}))
    assert d.code in by_name and "Kết quả tìm" in by_name
    # Without diacritics, in any case, the words in any order; a word must start a word of the name.
    for typed in ("thi hang", "HANG THI", "Nguyen  Thi", "nguyễn hang", "Hằng,", "(thị) hằng"):
        assert d.code in text(c.get("/backoffice/", {"q": typed})), typed
    for typed in ("ang", "thi hung", "nguyenthi", "n t h"):  # one-letter words alone: no name search
        assert d.code not in text(c.get("/backoffice/", {"q": typed})), typed
    short = text(c.get("/backoffice/", {"q": "Hă"}, follow=True))
    assert "ít nhất 3 ký tự" in short and d.code not in short
    # Another ward's dossiers are not found, not even by their exact code.
    other = logged_in(w.other_counter)
    assert other.get("/backoffice/", {"q": d.code}).status_code == 200
    assert d.code not in text(other.get("/backoffice/", {"q": "008190012345"}))


def test_the_pages_link_only_what_the_role_opens(w: World) -> None:
    counter = text(logged_in(w.counter).get("/backoffice/"))
    for link in ("new-reception", "citizen-new", "register", "payment-queue", "consultations"):
        assert f'data-testid="{link}"' in counter, link
    specialist = logged_in(w.specialist)
    page = text(specialist.get("/backoffice/"))
    for link in ("new-reception", "citizen-new", "register", "payment-queue", "payment-statements"):
        assert f'data-testid="{link}"' not in page, link
    assert 'data-testid="consultations"' in page
    # And what is not linked is indeed refused.
    for url in ("/backoffice/reception/", "/backoffice/citizens/new/", "/backoffice/payments/queue/"):
        assert specialist.get(url).status_code == 403, url


def test_the_asked_agency_sees_the_dossiers_papers_while_the_consultation_is_open(w: World) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from tinhso.accounts.models import Role
    from tinhso.accounts.tests import factories as people
    from tinhso.core.models import AuditEntry
    from tinhso.dossiers import services as dossier_services
    from tinhso.dossiers import transitions as tr
    from tinhso.dossiers.models import Consultation
    from tinhso.dossiers.tests.test_transitions import in_appraisal

    d = in_appraisal(w)
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (230, 230, 220)).save(photo, "JPEG")
    f = dossier_services.paper_file_add(
        paper=d.papers.get(),
        upload=SimpleUploadedFile("cccd.jpg", photo.getvalue()),
        name="cccd.jpg",
        actor=w.specialist,
    )
    c = tr.consult(d, actor=w.specialist, agency=w.other_ward, question="Xác minh nơi ở cũ", days=2)
    other = logged_in(w.other_counter)
    assert f'href="/backoffice/consultations/{c.pk}/"' in text(other.get("/backoffice/consultations/"))
    page = text(other.get(f"/backoffice/consultations/{c.pk}/"))
    assert d.code in page and "Xác minh nơi ở cũ" in page and 'data-testid="answer-form"' in page
    link = f"/backoffice/consultations/{c.pk}/files/{f.pk}/rendition/"
    assert link in page and "cccd.jpg" in page
    pdf = other.get(link)
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert "no-store" in pdf["Cache-Control"]
    viewed = AuditEntry.objects.get(event="dossier.consultation_paper_viewed")
    assert (viewed.target_id, viewed.agency_code, viewed.actor_id, viewed.new) == (
        d.code,
        w.ward.code,  # under the dossier's agency; the reader's in the entry
        w.other_counter.pk,
        {
            "consultation": c.pk,
            "file": f.pk,
            "name": "cccd.jpg",
            "kind": "rendition",
            "reader_agency": w.other_ward.code,
        },
    )

    # Nobody else: the asking agency's own officials use the dossier page; a third agency gets 404.
    third = people.official(agency_prefix="000.00.35", roles=(Role.COUNTER_OFFICER,))  # xã Đồng Văn
    for outsider in (logged_in(w.specialist), logged_in(third)):
        assert outsider.get(f"/backoffice/consultations/{c.pk}/").status_code == 404
        assert outsider.get(link).status_code == 404
    assert other.get(f"/backoffice/consultations/{c.pk}/files/{f.pk}/script/").status_code == 404
    # Not another dossier's file through this consultation; not the papers for a catalog administrator.
    elsewhere = w.received(when="2026-03-02 10:00")
    g = dossier_services.paper_file_add(
        paper=elsewhere.papers.get(),
        upload=SimpleUploadedFile("khac.jpg", photo.getvalue()),
        name="khac.jpg",
        actor=w.counter,
    )
    assert other.get(f"/backoffice/consultations/{c.pk}/files/{g.pk}/rendition/").status_code == 404
    admin = logged_in(people.official(agency_prefix="000.00.31", roles=(Role.CATALOG_ADMIN,)))
    admin_page = text(admin.get(f"/backoffice/consultations/{c.pk}/"))
    assert 'data-testid="papers-closed"' in admin_page and d.applicant_name not in admin_page
    assert 'data-testid="answer-form"' not in admin_page  # nor answers what it cannot see
    assert (
        admin.post(f"/backoffice/consultations/{c.pk}/answer/", {"answer": "x"}, follow=True).status_code
        == 200
    )
    assert Consultation.objects.get(pk=c.pk).answered_at is None
    assert other.post(link).status_code == 405  # a file is read, not posted to
    assert admin.get(link).status_code == 404
    assert AuditEntry.objects.filter(event="dossier.consultation_paper_viewed").count() == 1
    # Answered from its page, back on it; then the papers are no longer shared (question and answer stay).
    done = other.post(
        f"/backoffice/consultations/{c.pk}/answer/", {"answer": "Đúng nơi ở cũ", "from": "page"}
    )
    assert done.status_code == 302 and done["Location"] == f"/backoffice/consultations/{c.pk}/"
    page = text(other.get(f"/backoffice/consultations/{c.pk}/"))
    assert 'data-testid="papers-closed"' in page and link not in page and "Đúng nơi ở cũ" in page
    assert other.get(link).status_code == 404
    assert AuditEntry.objects.filter(event="dossier.consultation_paper_viewed").count() == 1


def test_a_consultation_of_a_closed_dossier_says_so_when_answered(w: World) -> None:
    from tinhso.dossiers import transitions as tr
    from tinhso.dossiers.tests.test_transitions import in_appraisal

    d = in_appraisal(w)
    c = tr.consult(d, actor=w.specialist, agency=w.other_ward, question="Xác minh", days=2)
    tr.withdraw(d, actor=w.counter, reason="Người dân xin rút")
    other = logged_in(w.other_counter)
    assert f'data-testid="consultation-{c.pk}"' not in text(other.get("/backoffice/consultations/"))
    res = other.post(f"/backoffice/consultations/{c.pk}/answer/", {"answer": "Đúng nơi ở cũ"}, follow=True)
    assert "Hồ sơ đã kết thúc" in text(res)
    assert (
        logged_in(w.specialist).post(f"/backoffice/consultations/{c.pk}/answer/", {"answer": "x"}).status_code
        == 404
    )


def test_a_search_that_matches_more_than_it_shows_says_so(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from tinhso.dossiers import selectors

    first, second = w.submit(when="2026-03-02 09:00"), w.submit(when="2026-03-03 09:00")
    c = logged_in(w.counter)
    monkeypatch.setattr(selectors, "SEARCH_LIMIT", 1)
    capped = text(c.get("/backoffice/", {"q": "hằng"}))
    assert second.code in capped and first.code not in capped  # the newest
    assert "Có hơn 1 hồ sơ khớp" in capped
    monkeypatch.setattr(selectors, "SEARCH_LIMIT", 2)
    whole = text(c.get("/backoffice/", {"q": "hằng"}))
    assert second.code in whole and first.code in whole and "Có hơn" not in whole


def test_the_page_links_keep_the_list_or_the_search(w: World) -> None:
    for _ in range(21):
        w.submit(when="2026-03-02 09:00")
    c = logged_in(w.counter)
    assert 'href="?list=new&amp;page=2" data-testid="next-page"' in text(
        c.get("/backoffice/", {"list": "new"})
    )
    found = text(c.get("/backoffice/", {"q": "thị hằng"}))
    assert 'href="?q=th%E1%BB%8B+h%E1%BA%B1ng&amp;page=2" data-testid="next-page"' in found
    assert text(c.get("/backoffice/", {"q": "thị hằng", "page": "2"})).count('<td class="code"') == 1


def test_the_dossier_page_shows_the_e_forms_data_and_the_asked_agency_sees_it_while_open(w: World) -> None:
    from tinhso.dossiers import transitions as tr
    from tinhso.dossiers.tests.test_transitions import in_appraisal

    d = in_appraisal(w)
    d.form_data = {
        "Họ tên người khai": "Nguyễn Thị Hằng",
        "Nơi thường trú mới": {"Tỉnh": "Tuyên Quang", "Xã": "<b>Hà Giang 2</b>"},
        "Thành viên": [{"Họ tên": "Lê Văn An", "Quan hệ": "Con"}],
        "Cam đoan": True,
        "Ghi chú": "",
        "<i>Trường lạ</i>": ["", None],  # a key is escaped as a value is; a list of nothing shows nothing
    }
    d.save(update_fields=["form_data"])
    page = text(logged_in(w.specialist).get(f"/backoffice/dossiers/{d.code}/"))
    table = page.split('data-testid="form-data"')[1].split("</table>")[0]
    assert "<i>" not in table and "Trường lạ" not in table
    rows = re.findall(r'<th scope="row">([^<]*)</th><td>(.*?)</td>', table)
    # In the order the database keeps an object's keys (PostgreSQL's jsonb: its own order).
    assert sorted(rows) == sorted(
        [
            ("Họ tên người khai", "Nguyễn Thị Hằng"),
            ("Nơi thường trú mới › Tỉnh", "Tuyên Quang"),
            ("Nơi thường trú mới › Xã", "&lt;b&gt;Hà Giang 2&lt;/b&gt;"),  # escaped, as every value
            ("Thành viên › 1 › Họ tên", "Lê Văn An"),
            ("Thành viên › 1 › Quan hệ", "Con"),
            ("Cam đoan", "Có"),
        ]
    )
    c = tr.consult(d, actor=w.specialist, agency=w.other_ward, question="Xác minh nơi ở cũ", days=2)
    other = logged_in(w.other_counter)
    assert "Nơi thường trú mới › Tỉnh" in text(other.get(f"/backoffice/consultations/{c.pk}/"))
    tr.consult_answer(c, actor=w.other_counter, answer="Đúng")
    assert 'data-testid="form-data"' not in text(other.get(f"/backoffice/consultations/{c.pk}/"))


def test_the_counter_fills_the_applicant_from_the_id_number_typed(w: World) -> None:
    from tinhso.accounts.tests import factories as people
    from tinhso.core.models import AuditEntry
    from tinhso.dossiers.tests.factories import bind

    c = logged_in(w.counter)
    url = f"/backoffice/reception/?binding={w.residence.pk}"
    checklist = re.findall(r'name="papers" value="(\d+)"', text(c.get(url)))
    typed = {
        "binding": w.residence.pk,
        "channel": "counter",
        "papers": checklist[:1],
        "sets": 1,
        "lookup": "1",
    }

    def field(page: str, name: str) -> str:
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
        return found.group(1) if found else ""

    # Nobody known: said so, nothing received, the typed form kept (the papers ticked too).
    unknown = text(c.post(url, {**typed, "applicant_id_number": "008190012345"}))
    assert "Chưa có người nộp nào với số định danh này" in unknown and Dossier.objects.count() == 0
    assert field(unknown, "applicant_id_number") == "008190012345"
    assert re.search(rf'name="papers" value="{checklist[0]}" id="[^"]+" checked', unknown)
    # A number that is not one: refused, looked up nowhere.
    bad = text(c.post(url, {**typed, "applicant_id_number": "12"}))
    assert "12 chữ số" in bad
    # From the newest dossier of the unit with that applicant: its name, phone, e-mail and address.
    w.received(when="2026-03-02 09:00")
    found = text(
        c.post(url, {**typed, "applicant_id_number": "008190012345", "applicant_phone": "0987654321"})
    )
    assert "Đã điền theo hồ sơ" in found
    assert (field(found, "applicant_name"), field(found, "applicant_email")) == (
        "Nguyễn Thị Hằng",
        "hang@example.vn",
    )
    assert field(found, "applicant_phone") == "0987654321"  # what the officer typed is kept
    # A citizen account whose number nobody verified is not used: another may have typed that number.
    squatter = people.citizen(full_name="Kẻ Mạo Danh", national_id="008190012345", phone="0900000000")
    not_theirs = text(c.post(url, {**typed, "applicant_id_number": "008190012345"}))
    assert (
        "Đã điền theo hồ sơ" in not_theirs
        and "Kẻ Mạo Danh" not in not_theirs
        and "0900000000" not in not_theirs
    )
    # A verified account with that number comes first; another unit's officer knows only the account.
    squatter.delete()
    people.citizen(
        full_name="Nguyễn Thị Hằng (tài khoản)",
        national_id="008190012345",
        national_id_verified=True,
        phone="0911111111",
    )
    by_account = text(c.post(url, {**typed, "applicant_id_number": "008190012345"}))
    assert "Đã điền theo tài khoản công dân" in by_account
    assert (field(by_account, "applicant_name"), field(by_account, "applicant_phone")) == (
        "Nguyễn Thị Hằng (tài khoản)",
        "0911111111",
    )
    theirs = bind(w.residence.procedure, w.other_ward)
    other = logged_in(w.other_counter)
    elsewhere = text(
        other.post(
            f"/backoffice/reception/?binding={theirs.pk}",
            {**typed, "binding": theirs.pk, "papers": [], "applicant_id_number": "008190012345"},
        )
    )
    assert (
        "Đã điền theo tài khoản công dân" in elsewhere and field(elsewhere, "applicant_phone") == "0911111111"
    )
    assert field(elsewhere, "applicant_email") == ""  # the first ward's dossier is not theirs to read
    assert Dossier.objects.count() == 1  # only the dossier received above
    looked = AuditEntry.objects.filter(event="dossier.applicant_looked_up").order_by("seq")
    assert [(e.actor_id, e.target_id, (e.new or {}).get("found")) for e in looked] == [
        (w.counter.pk, "008190012345", ""),
        (w.counter.pk, "008190012345", "dossier"),
        (w.counter.pk, "008190012345", "dossier"),
        (w.counter.pk, "008190012345", "account"),
        (w.other_counter.pk, "008190012345", "account"),
    ]
    # Enter in a field receives: the form's first submit button is the reception's, not the lookup's.
    first = re.search(r'<form method="post".*?<button([^>]*)>', unknown, re.S)
    assert first is not None and 'name="lookup"' not in first.group(1) and "receive-default" in first.group(1)


def test_lookups_by_id_number_are_limited_per_official(w: World, settings: Any) -> None:
    settings.APPLICANT_LOOKUPS_PER_USER = (2, 3600)
    c = logged_in(w.counter)
    url = f"/backoffice/reception/?binding={w.residence.pk}"
    typed = {"binding": w.residence.pk, "channel": "counter", "sets": 1, "lookup": "1"}
    for _ in range(2):
        assert "Chưa có người nộp nào" in text(c.post(url, {**typed, "applicant_id_number": "008190012345"}))
    third = text(c.post(url, {**typed, "applicant_id_number": "008190012345"}))
    assert "Đã tra quá nhiều người nộp trong giờ này" in third and "Chưa có người nộp nào" not in third
