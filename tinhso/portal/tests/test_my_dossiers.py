"""*Hồ sơ của tôi*: the list, one dossier's progress (timeline, who holds it, due date, early / on time /
late), the forms addressed to the applicant, and a supplement from request to resumed processing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tinhso.accounts.models import User
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, PaperFile, Status
from tinhso.dossiers.tests.factories import World
from tinhso.portal.tests.helpers import jpeg_upload, paper, pdf_upload, post_eform

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return response.content.decode()


def submit_online(client: Client, w: World, citizen: User) -> Dossier:
    client.force_login(citizen)
    certificate = f"paper-{paper(w.birth, 'Giấy chứng sinh').pk}"
    response = post_eform(client, w.birth, files={certificate: jpeg_upload()}, phone=citizen.phone or "")
    assert response.status_code == 302, text(response)[:2000]
    return Dossier.objects.get(code=response["Location"].split("/")[2])


def test_my_dossiers_lists_only_mine_with_state_in_words_the_national_status_and_the_due_date(
    client: Client, w: World, citizen_a: User, citizen_b: User, django_assert_max_num_queries: Any
) -> None:
    mine = submit_online(client, w, citizen_a)
    tr.receive(mine, actor=w.counter)
    theirs = submit_online(client, w, citizen_b)
    counter_dossier = w.submit(when="2026-03-02 09:00")  # at the counter, nobody's account
    client.force_login(citizen_a)
    with django_assert_max_num_queries(6):
        response = client.get("/ho-so-cua-toi/")
    page = text(response)
    assert response.status_code == 200
    assert mine.code in page and theirs.code not in page and counter_dossier.code not in page
    mine.refresh_from_db()
    assert "Đã tiếp nhận" in page and "mã 2: Được tiếp nhận" in page
    assert mine.due_at is not None and f"{timezone.localtime(mine.due_at):%H:%M %d/%m/%Y}" in page
    assert 'data-testid="result-count">1 hồ sơ<' in page


def test_my_dossiers_pages_twenty_at_a_time(client: Client, w: World, citizen_a: User) -> None:
    for _ in range(21):
        tr.submit(
            binding=w.birth,
            channel="online",
            applicant=tr.Applicant(name=citizen_a.full_name, phone="0912345678", user=citizen_a),
            actor=citizen_a,
        )
    client.force_login(citizen_a)
    first, second = text(client.get("/ho-so-cua-toi/")), text(client.get("/ho-so-cua-toi/?page=2"))
    assert first.count('class="code"') == 20 and second.count('class="code"') == 1
    assert 'href="?page=2" rel="next"' in first and "1/2" in first


def test_a_dossier_shows_its_timeline_who_holds_it_in_which_step_and_its_receipt(
    client: Client, w: World, citizen_a: User, django_assert_max_num_queries: Any
) -> None:
    d = submit_online(client, w, citizen_a)
    tr.receive(d, actor=w.counter)
    tr.hand_over(d, actor=w.counter, to=w.head)
    tr.assign(d, actor=w.head, assignee=w.specialist)
    # Session, user, dossier, roles, ownership, events, papers, files, fees due: however long the history.
    with django_assert_max_num_queries(9):
        response = client.get(f"/ho-so-cua-toi/{d.code}/")
    page = text(response)
    d.refresh_from_db()
    assert response.status_code == 200
    assert 'data-testid="status"><strong>Đang xử lý</strong>' in page and "mã trạng thái quốc gia 4" in page
    step = page.split('data-testid="step">', 1)[1].split("</dd>", 1)[0]
    assert "Thẩm định, xử lý hồ sơ" in step and "Lê Văn Cường" in step
    timeline = page.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    labels = re.findall(r"<strong>(.*?)</strong>", timeline)
    assert labels == [
        "Nộp hồ sơ",
        "Hồ sơ được tiếp nhận, hẹn ngày trả kết quả",
        "Chuyển sang bước xử lý tiếp theo",
        "Phân công cán bộ giải quyết",
    ]
    assert "— bạn" in timeline and "Trần Thị Bình" in timeline
    # The papers handed in, with their files; the rest of the catalog's checklist folded away.
    handed_in = page.split('data-testid="papers"', 1)[1].split("</ul>\n", 1)[0]
    assert "Giấy chứng sinh" in handed_in and "IMG_20260302_091500.jpg" in handed_in
    assert "Văn bản ủy quyền" not in handed_in and 'data-testid="papers-missing"' in page
    assert len(re.findall(r"<time datetime=", timeline)) == 4
    # The receipt (Mẫu 01) is the applicant's; the control sheet (Mẫu 06) stays inside the agency.
    assert 'data-testid="form-01"' in page and 'data-testid="form-06"' not in page
    receipt = client.get(f"/ho-so-cua-toi/{d.code}/mau/01.pdf")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF")
    assert client.get(f"/ho-so-cua-toi/{d.code}/mau/06.pdf").status_code == 404
    assert client.get(f"/ho-so-cua-toi/{d.code}/mau/03.pdf").status_code == 404  # not issued
    # The applicant's own upload, shown back as its PDF rendition.
    row = PaperFile.objects.get(paper__dossier=d)
    shown = client.get(f"/ho-so-cua-toi/{d.code}/tep/{row.pk}/rendition/")
    assert shown.status_code == 200 and shown["Content-Type"] == "application/pdf"


def test_a_finished_dossier_says_whether_it_was_early_on_time_or_late(
    client: Client, w: World, citizen_a: User
) -> None:
    d = submit_online(client, w, citizen_a)
    tr.receive(d, actor=w.counter)
    tr.hand_over(d, actor=w.counter, to=w.head)
    tr.assign(d, actor=w.head, assignee=w.specialist)
    tr.hand_over(d, actor=w.specialist, to=w.leader)
    tr.approve(d, actor=w.leader, result_note="Đã đăng ký khai sinh")
    tr.return_result(d, actor=w.counter, method="online")
    d.refresh_from_db()
    page = text(client.get(f"/ho-so-cua-toi/{d.code}/"))
    assert d.status == Status.RETURNED and d.punctuality
    assert f'data-testid="punctuality">{d.get_punctuality_display()}<' in page
    assert "Đã trả kết quả" in page and 'data-testid="step"' not in page
    assert "Đã đăng ký khai sinh" in page  # the result's note is addressed to the applicant


def test_a_supplement_from_request_to_upload_to_resumed_processing(
    client: Client, w: World, citizen_a: User
) -> None:
    d = submit_online(client, w, citizen_a)
    tr.receive(d, actor=w.counter)
    d.refresh_from_db()
    first_due = d.due_at
    tr.request_supplement(
        d,
        actor=w.counter,
        items=[
            tr.MissingItem("Giấy chứng sinh", "Ảnh chụp bị mờ, không đọc được tên người mẹ"),
            tr.MissingItem("Giấy xác nhận nơi cư trú", "Chưa có trong hồ sơ"),
        ],
    )
    url = f"/ho-so-cua-toi/{d.code}/"
    page = text(client.get(url))
    section = page.split('data-testid="supplement"', 1)[1].split("</section>", 1)[0]
    # The exact checklist with reasons, and an upload form per item, preselecting the paper it names.
    assert "Ảnh chụp bị mờ, không đọc được tên người mẹ" in section and "Chưa có trong hồ sơ" in section
    assert section.count('action="/ho-so-cua-toi/') == 3  # two uploads and "Đã bổ sung đủ"
    certificate = d.papers.get(name__startswith="Giấy chứng sinh")
    other = d.papers.get(required_paper=None)
    forms = section.split("<form")
    assert f'<option value="{certificate.pk}" selected>' in forms[1]
    assert f'<option value="{other.pk}" selected>' in forms[2]
    assert "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)" in page
    assert client.get(f"{url}mau/02.pdf").status_code == 200

    # "Đã bổ sung đủ" before any upload is refused with what to do.
    early = client.post(f"{url}bo-sung-xong/", {"expected_revision": d.revision + 2}, follow=True)
    assert "Bạn chưa tải lên giấy tờ bổ sung nào" in text(early)
    assert Dossier.objects.get(pk=d.pk).status == Status.SUPPLEMENT

    uploaded = client.post(
        f"{url}tai-len/", {"paper": certificate.pk, "files": [jpeg_upload("chung-sinh-ro.jpg")]}, follow=True
    )
    assert "Đã tải lên 1 tệp cho: Giấy chứng sinh" in text(uploaded)
    client.post(f"{url}tai-len/", {"paper": other.pk, "files": [pdf_upload("xac-nhan-cu-tru.pdf")]})
    assert 'data-testid="uploaded-since"' in text(client.get(url))

    revision = Dossier.objects.get(pk=d.pk).revision
    done = client.post(
        f"{url}bo-sung-xong/", {"expected_revision": revision, "note": "Đã chụp lại rõ"}, follow=True
    )
    assert "Đã gửi hồ sơ bổ sung" in text(done)
    d.refresh_from_db()
    assert d.status == Status.RECEIVED  # processing resumes where it was
    assert d.due_at is not None and first_due is not None and d.due_at >= first_due
    last = d.events.order_by("-seq").first()
    assert last is not None and last.action == "supplement_complete" and last.actor == citizen_a
    assert "deadline" in last.data  # the full statutory time restarted (ND 61 Art. 19(4))
    assert set(PaperFile.objects.filter(paper__dossier=d).values_list("original_name", flat=True)) >= {
        "chung-sinh-ro.jpg",
        "xac-nhan-cu-tru.pdf",
    }
    assert 'data-testid="supplement"' not in text(client.get(url))


def test_a_bad_supplement_file_is_refused_with_a_plain_message_and_nothing_kept(
    client: Client, w: World, citizen_a: User
) -> None:
    d = submit_online(client, w, citizen_a)
    tr.request_supplement(d, actor=w.counter, items=[tr.MissingItem("Giấy chứng sinh", "Thiếu trang 2")])
    paper_id = d.papers.get(name__startswith="Giấy chứng sinh").pk
    before = PaperFile.objects.count()
    bad = SimpleUploadedFile("trang2.pdf", b"<html>not a pdf</html>", "application/pdf")
    response = client.post(
        f"/ho-so-cua-toi/{d.code}/tai-len/", {"paper": paper_id, "files": [bad]}, follow=True
    )
    assert "trang2.pdf" in text(response) and "không phải ảnh JPEG, PNG, HEIC hay tệp PDF" in text(response)
    assert PaperFile.objects.count() == before


def test_a_stale_page_cannot_complete_a_supplement_twice(client: Client, w: World, citizen_a: User) -> None:
    d = submit_online(client, w, citizen_a)
    tr.request_supplement(d, actor=w.counter, items=[tr.MissingItem("Giấy chứng sinh", "Thiếu")])
    url = f"/ho-so-cua-toi/{d.code}/"
    client.post(f"{url}tai-len/", {"paper": d.papers.first().pk, "files": [jpeg_upload()]})  # type: ignore[union-attr]
    revision = Dossier.objects.get(pk=d.pk).revision
    client.post(f"{url}bo-sung-xong/", {"expected_revision": revision})
    again = client.post(f"{url}bo-sung-xong/", {"expected_revision": revision}, follow=True)
    assert Dossier.objects.get(pk=d.pk).status == Status.SUBMITTED
    assert "vừa được người khác cập nhật" in text(again) and "Tải lại trang" in text(again)
    assert " / The dossier" not in text(again)


def test_a_citizen_pages_first_loads_stay_under_200_kb(client: Client, w: World, citizen_a: User) -> None:
    d = submit_online(client, w, citizen_a)
    tr.request_supplement(d, actor=w.counter, items=[tr.MissingItem("Giấy chứng sinh", "Thiếu")])
    for url in ("/ho-so-cua-toi/", f"/ho-so-cua-toi/{d.code}/", "/tra-cuu-ho-so/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assets = re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', text(response))
        total = len(response.content) + sum(
            (settings.BASE_DIR / "tinhso" / "static" / a.removeprefix("/static/")).stat().st_size
            for a in assets
        )
        assert total < 200 * 1024, (url, total)
