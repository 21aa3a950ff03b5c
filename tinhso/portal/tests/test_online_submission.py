"""Online submission from the citizen portal: choose the agency, the e-form built from the catalog,
phone photos and PDFs, drafts, refused files with nothing saved, one dossier per form, the code shown and
sent once."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tinhso.accounts.models import User
from tinhso.core.models import AuditEntry
from tinhso.dossiers.models import Channel, Dossier, PaperFile, Status
from tinhso.dossiers.tests.factories import OTHER_WARD, World, bind
from tinhso.edocs.models import EDocument
from tinhso.edocs.services import edoc_revoke, edoc_store
from tinhso.notifications.models import OutboxMessage
from tinhso.portal.tests.helpers import (
    dossiers_of,
    form_url,
    jpeg_upload,
    paper,
    pdf_document,
    pdf_upload,
    post_eform,
    token_of,
)
from tinhso.procedures.models import ProcedureBinding

pytestmark = pytest.mark.django_db

BIRTH_CERTIFICATE = "Giấy chứng sinh"
AUTHORISATION = "Văn bản ủy quyền"


def text(response: Any) -> str:
    return response.content.decode()


def stored_files() -> list[str]:
    found: list[str] = []
    for root, _dirs, files in os.walk(django_settings.MEDIA_ROOT):
        found += [os.path.join(root, f) for f in files]
    return found


def field(binding: ProcedureBinding, starts: str) -> str:
    return f"paper-{paper(binding, starts).pk}"


# --- Finding the e-form ---------------------------------------------------------------------------------


def test_one_receiving_agency_leads_straight_to_the_e_form_and_several_to_a_list_to_filter(
    client: Client, w: World
) -> None:
    code = w.birth.procedure.code
    response = client.get(f"/nop-ho-so/{code}/")
    assert response.status_code == 302 and response["Location"] == form_url(w.birth)

    bind(w.birth.procedure, w.other_ward)
    page = client.get(f"/nop-ho-so/{code}/")
    assert page.status_code == 200
    assert "Ủy ban nhân dân phường Hà Giang 1" in text(page) and "Ủy ban nhân dân phường Hà Giang 2" in text(
        page
    )
    assert f'href="/nop-ho-so/{code}/000.00.30.H60/"' in text(page)
    # Without JavaScript the filter is a plain GET form; with htmx the same URL answers with the list only.
    filtered = client.get(f"/nop-ho-so/{code}/", {"q": "ha giang 1"})
    assert "Hà Giang 1" in text(filtered) and "Hà Giang 2" not in text(filtered)
    fragment = client.get(f"/nop-ho-so/{code}/", {"q": "giang 1"}, headers={"HX-Request": "true"})
    assert text(fragment).lstrip().startswith('<div id="agency-choices">') and "<html" not in text(fragment)
    assert f"/nop-ho-so/{code}/{OTHER_WARD}.H60/" in text(fragment)


def test_a_procedure_no_agency_receives_online_says_so_plainly(client: Client, w: World) -> None:
    ProcedureBinding.objects.filter(pk=w.birth.pk).update(is_active=False)
    response = client.get(f"/nop-ho-so/{w.birth.procedure.code}/")
    assert response.status_code == 404
    assert "Thủ tục này chưa nộp trực tuyến được" in text(response)
    assert client.get(form_url(w.birth)).status_code in (302, 404)


def test_the_e_form_asks_an_anonymous_visitor_to_log_in_and_an_official_to_use_the_counter(
    client: Client, w: World
) -> None:
    response = client.get(form_url(w.birth))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    client.force_login(w.counter)
    refused = client.get(form_url(w.birth))
    assert refused.status_code == 403 and "Nộp hồ sơ thay" in text(refused)


# --- The e-form -----------------------------------------------------------------------------------------


def test_the_e_form_is_filled_from_the_account_lists_the_catalog_papers_and_shows_the_fees(
    client: Client, w: World, citizen_a: User, django_assert_max_num_queries: Any
) -> None:
    client.force_login(citizen_a)
    url = form_url(w.birth)
    # Session, user, procedure, online channel, binding, papers, channels, fees, the stored documents
    # offered: however long the checklist.
    with django_assert_max_num_queries(9):
        page = text(client.get(url))
    # Information provided once: the identity is locked, the contact details filled in and editable.
    assert re.search(r'value="Nguyễn Thị Hằng" readonly data-testid="locked-name"', page)
    assert re.search(r'value="008190012345" readonly data-testid="locked-id_number"', page)
    assert 'name="phone" value="0912345678"' in page and 'name="email" value="hang@example.vn"' in page
    # The catalog's checklist: a file input (several files, phone camera too) per paper, the mandatory one
    # marked; the catalog's notes as guidance only.
    certificate = field(w.birth, BIRTH_CERTIFICATE)
    assert f'name="{certificate}" id="{certificate}" multiple accept="image/jpeg,image/heic' in page
    assert (
        f'id="{certificate}-camera" accept="image/jpeg,image/heic,.heic,image/png" capture="environment"'
        in page
    )
    assert re.search(r"Giấy chứng sinh;.*?<span class=\"required-mark\"", page, re.S)
    assert re.search(r"Văn bản ủy quyền.*?\(nếu có\)", page, re.S)
    assert 'data-testid="required-summary">Bắt buộc: Giấy chứng sinh</p>' in page
    assert "<summary>Lưu ý</summary>" in page
    # Fees and time of the online channel, before submitting: birth registration is free, one working day.
    assert re.search(r'data-testid="fees">.*?1 ngày làm việc.*?Miễn phí', page, re.S)
    assert 'name="action" value="submit"' in page and 'name="action" value="draft"' in page
    assert 'name="declaration"' in page and 'name="csrfmiddlewaretoken"' in page


def test_the_fee_shown_is_the_catalogs_amount_for_the_online_channel(
    client: Client, w: World, citizen_a: User
) -> None:
    client.force_login(citizen_a)
    page = text(client.get(form_url(w.residence)))
    fees = page.split('data-testid="fees"', 1)[1].split("</ul>", 1)[0]
    # Đăng ký thường trú: 10.000 đồng online (20.000 đồng at the counter), 7 working days.
    assert "10.000 đồng" in fees and "20.000 đồng" not in fees and "7 ngày làm việc" in fees


# --- Submitting -----------------------------------------------------------------------------------------


def test_a_citizen_submits_a_phone_photo_and_a_pdf_and_gets_the_code_shown_and_sent_once(
    client: Client, w: World, citizen_a: User
) -> None:
    client.force_login(citizen_a)
    response = post_eform(
        client,
        w.birth,
        files={
            field(w.birth, BIRTH_CERTIFICATE): jpeg_upload("IMG_0001.jpg"),
            field(w.birth, AUTHORISATION): pdf_upload("uy-quyen.pdf", pages=2),
        },
        phone="0912 345 678",
        email="hang@example.vn",
        address="Tổ 5, phường Hà Giang 2",
    )
    [d] = dossiers_of(citizen_a)
    assert response.status_code == 302 and response["Location"] == f"/ho-so-cua-toi/{d.code}/da-nop/"
    assert d.channel == Channel.ONLINE and d.status == Status.SUBMITTED and d.agency == w.ward
    assert d.applicant_name == "Nguyễn Thị Hằng" and d.applicant_id_number == "008190012345"
    assert d.applicant_phone == "0912345678" and d.applicant_address == "Tổ 5, phường Hà Giang 2"
    assert d.form_data["source"] == "portal" and "cam đoan" in d.form_data["declaration"]
    files = {f.paper.name[:12]: f for f in PaperFile.objects.filter(paper__dossier=d).select_related("paper")}
    photo, scan = files["Giấy chứng s"], files["Văn bản ủy q"]
    assert photo.content_type == "image/jpeg" and photo.pages == 1 and photo.original_name == "IMG_0001.jpg"
    assert scan.content_type == "application/pdf" and scan.pages == 2
    assert all(f.uploaded_by == citizen_a for f in files.values())
    provided = set(d.papers.filter(provided=True).values_list("name", flat=True))
    assert len(provided) == 2 and any(n.startswith("Giấy chứng sinh") for n in provided)

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f'<p class="dossier-code" data-testid="dossier-code">{d.code}</p>' in text(page)
    assert "Bộ phận Một cửa sẽ kiểm tra hồ sơ" in text(page) and "0912345678" in text(page)
    # The submit transition queued the code by SMS and e-mail; the portal sent nothing more.
    sent = OutboxMessage.objects.filter(topic=f"dossier:{d.code}")
    assert sorted(sent.values_list("channel", flat=True)) == ["email", "sms"]
    assert all(d.code in m.body for m in sent)


def test_a_double_click_or_a_retry_with_the_same_form_makes_one_dossier(
    client: Client, w: World, citizen_a: User
) -> None:
    client.force_login(citizen_a)
    token = token_of(client.get(form_url(w.birth)))
    certificate = field(w.birth, BIRTH_CERTIFICATE)
    first = post_eform(client, w.birth, token=token, files={certificate: jpeg_upload()}, phone="0912345678")
    again = post_eform(client, w.birth, token=token, files={certificate: jpeg_upload()}, phone="0912345678")
    [d] = dossiers_of(citizen_a)
    assert first["Location"] == again["Location"] == f"/ho-so-cua-toi/{d.code}/da-nop/"
    assert PaperFile.objects.filter(paper__dossier=d).count() == 1
    assert len(stored_files()) == 2  # the first submission's original and rendition, nothing of the retry
    assert OutboxMessage.objects.filter(topic=f"dossier:{d.code}", channel="sms").count() == 1
    # A new visit of the form is a new form: a second dossier is possible on purpose.
    post_eform(client, w.birth, files={certificate: jpeg_upload()}, phone="0912345678")
    assert len(dossiers_of(citizen_a)) == 2


def test_a_draft_keeps_what_was_typed_but_no_file_and_comes_back_with_the_form(
    client: Client, w: World, citizen_a: User
) -> None:
    client.force_login(citizen_a)
    certificate = field(w.birth, BIRTH_CERTIFICATE)
    response = post_eform(
        client,
        w.birth,
        action="draft",
        declaration=False,
        files={certificate: jpeg_upload()},
        phone="0911222333",
        email="",
        address="Số 12 đường Nguyễn Trãi",
    )
    assert response.status_code == 302 and response["Location"] == form_url(w.birth)
    assert not Dossier.objects.exists() and not stored_files()
    page = client.get(response["Location"])
    body = text(page)
    assert "Đã lưu nháp lúc" in body and "Bản nháp không lưu tệp đã chọn" in body
    assert 'data-testid="draft-restored"' in body
    assert 'name="phone" value="0911222333"' in body and 'value="Số 12 đường Nguyễn Trãi"' in body
    # "My dossiers" lists it; submitting with the draft's token makes the dossier and ends the draft.
    mine = text(client.get("/ho-so-cua-toi/"))
    assert 'data-testid="drafts"' in mine and f'href="{form_url(w.birth)}"' in mine
    submitted = post_eform(
        client, w.birth, token=token_of(page), files={certificate: jpeg_upload()}, phone="0911222333"
    )
    assert submitted.status_code == 302
    assert 'data-testid="draft-restored"' not in text(client.get(form_url(w.birth)))
    assert 'data-testid="drafts"' not in text(client.get("/ho-so-cua-toi/"))


def test_a_file_that_is_not_a_photo_or_pdf_is_refused_next_to_its_paper_and_nothing_is_saved(
    client: Client, w: World, citizen_a: User
) -> None:
    client.force_login(citizen_a)
    certificate = field(w.birth, BIRTH_CERTIFICATE)
    word = SimpleUploadedFile("giay-chung-sinh.jpg", b"PK\x03\x04 not really a photo" * 20, "image/jpeg")
    response = post_eform(
        client,
        w.birth,
        files={certificate: word, field(w.birth, AUTHORISATION): pdf_upload()},
        phone="0912345678",
    )
    assert response.status_code == 400
    page = text(response)
    item = page.split(f'data-testid="paper-{paper(w.birth, BIRTH_CERTIFICATE).pk}"', 1)[1].split("</li>", 1)[
        0
    ]
    assert "giay-chung-sinh.jpg" in item and "nội dung của nó không phải ảnh" in item
    assert "Hồ sơ chưa được nộp" in page
    assert " / " not in item.split("field-error", 1)[1].split("</p>", 1)[0]  # the Vietnamese half only
    assert not Dossier.objects.exists() and not PaperFile.objects.exists() and not stored_files()


def test_an_iphone_heic_photo_is_accepted_and_kept_with_a_pdf_rendition(
    client: Client, w: World, citizen_a: User
) -> None:
    import io

    import pillow_heif
    from PIL import Image
    from pypdf import PdfReader

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (236, 228, 210)).save(out, "HEIF", quality=80)
    photo = SimpleUploadedFile("IMG_4032.HEIC", out.getvalue(), content_type="image/heic")
    client.force_login(citizen_a)
    response = post_eform(
        client, w.birth, files={field(w.birth, BIRTH_CERTIFICATE): photo}, phone="0912345678"
    )
    assert response.status_code == 302
    [d] = dossiers_of(citizen_a)
    [row] = PaperFile.objects.filter(paper__dossier=d)
    assert (row.content_type, row.original_name) == ("image/heic", "IMG_4032.HEIC")
    with row.rendition.open("rb") as f:
        assert len(PdfReader(f).pages) == 1


def test_an_oversize_photo_is_refused_with_the_limit_and_nothing_is_saved(
    client: Client, w: World, citizen_a: User, settings: Any
) -> None:
    settings.DOSSIER_UPLOAD_MAX_BYTES = 512 * 1024
    client.force_login(citizen_a)
    certificate = field(w.birth, BIRTH_CERTIFICATE)
    photo = jpeg_upload(width=1600, height=1200, noisy=True)
    assert photo.size > settings.DOSSIER_UPLOAD_MAX_BYTES
    response = post_eform(client, w.birth, files={certificate: photo}, phone="0912345678")
    assert response.status_code == 400
    assert "“IMG_20260302_091500.jpg”: Tệp quá lớn: tối đa 0,5 MB." in text(response)
    assert not Dossier.objects.exists() and not stored_files()


def test_a_missing_mandatory_paper_a_missing_declaration_and_a_bad_phone_are_each_explained(
    client: Client, w: World, citizen_a: User
) -> None:
    client.force_login(citizen_a)
    response = post_eform(
        client,
        w.birth,
        declaration=False,
        files={field(w.birth, AUTHORISATION): pdf_upload()},
        phone="12345",
    )
    assert response.status_code == 400
    page = text(response)
    assert "Chưa có giấy tờ bắt buộc này" in page
    assert "Đánh dấu ô cam đoan để nộp hồ sơ." in page
    assert "Số điện thoại gồm 10 chữ số, bắt đầu bằng 0" in page
    assert 'name="phone" value="12345"' in page  # what was typed stays, to be corrected
    assert not Dossier.objects.exists()


def test_an_account_without_an_id_number_types_it_and_a_wrong_one_is_explained(
    client: Client, w: World
) -> None:
    from tinhso.accounts.tests import factories as people

    citizen = people.citizen(full_name="Lò Văn Páo")
    client.force_login(citizen)
    certificate = field(w.birth, BIRTH_CERTIFICATE)
    bad = post_eform(
        client, w.birth, files={certificate: jpeg_upload()}, id_number="12345", phone="0933444555"
    )
    assert bad.status_code == 400 and "Số định danh cá nhân phải gồm đúng 12 chữ số" in text(bad)
    good = post_eform(
        client, w.birth, files={certificate: jpeg_upload()}, id_number="008 090 001 234", phone="0933444555"
    )
    assert good.status_code == 302
    assert dossiers_of(citizen)[0].applicant_id_number == "008090001234"


def test_a_posted_name_cannot_replace_the_accounts_identity(
    client: Client, w: World, citizen_a: User
) -> None:
    client.force_login(citizen_a)
    post_eform(
        client,
        w.birth,
        files={field(w.birth, BIRTH_CERTIFICATE): jpeg_upload()},
        name="Người Khác",
        id_number="008090054321",
        phone="0912345678",
    )
    [d] = dossiers_of(citizen_a)
    assert d.applicant_name == "Nguyễn Thị Hằng" and d.applicant_id_number == "008190012345"


# --- Papers from the e-document store -------------------------------------------------------------------


def stored(owner: User, title: str) -> EDocument:
    return edoc_store(
        owner=owner,
        kind=EDocument.Kind.RESULT,
        title=title,
        issuer="Ủy ban nhân dân phường Hà Giang 2",
        issuer_code="000.00.30.H60",
        issued_on=dt.date(2026, 3, 6),
        valid_until=None,
        content=pdf_document(1),
        filename="giay-chung-sinh.pdf",
        content_type="application/pdf",
        source_dossier_code=f"000.00.30.H60-260306-{owner.pk:04d}",
        actor=None,
    )


def test_a_paper_from_the_e_document_store_stands_for_an_upload(
    client: Client, w: World, citizen_a: User, citizen_b: User
) -> None:
    certificate = paper(w.birth, BIRTH_CERTIFICATE)
    mine = stored(citizen_a, "Giấy chứng sinh số 17/2026")
    theirs = stored(citizen_b, "Giấy chứng sinh của người khác")
    client.force_login(citizen_a)
    page = text(client.get(form_url(w.birth)))
    assert f'name="reuse-{certificate.pk}"' in page and "Giấy chứng sinh số 17/2026" in page
    assert "của người khác" not in page
    # The stored paper counts for the mandatory one: no upload needed.
    reuse = f"reuse-{certificate.pk}"
    response = post_eform(client, w.birth, phone="0912345678", extra={reuse: str(mine.pk)})
    assert response.status_code == 302
    [d] = dossiers_of(citizen_a)
    [row] = PaperFile.objects.filter(paper__dossier=d)
    assert row.paper.required_paper_id == certificate.pk and row.sha256 == mine.sha256 and row.paper.provided
    assert AuditEntry.objects.filter(event="edoc.reused", target_id=str(mine.pk)).count() == 1
    # Another person's document is never attached, nor a revoked one.
    refused = post_eform(client, w.birth, phone="0912345678", extra={reuse: str(theirs.pk)})
    assert refused.status_code == 400 and "không còn dùng được" in text(refused)
    edoc_revoke(document=mine, actor=None, reason="Cấp lại")
    refused = post_eform(client, w.birth, phone="0912345678", extra={reuse: str(mine.pk)})
    assert refused.status_code == 400 and "không còn dùng được" in text(refused)
    assert len(dossiers_of(citizen_a)) == 1 and PaperFile.objects.count() == 1


# --- Light pages ----------------------------------------------------------------------------------------


def test_the_submission_pages_first_load_stays_under_200_kb(
    client: Client, w: World, citizen_a: User
) -> None:
    client.force_login(citizen_a)
    certificate = field(w.birth, BIRTH_CERTIFICATE)
    submitted = post_eform(client, w.birth, files={certificate: jpeg_upload()}, phone="0912345678")
    code = submitted["Location"].split("/")[2]
    for url in (form_url(w.residence), form_url(w.birth), f"/ho-so-cua-toi/{code}/da-nop/"):
        response = client.get(url)
        assert response.status_code == 200, url
        # Stylesheets and scripts, all local (no CDN, no web font).
        assets = re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', text(response))
        assert "/static/css/portal.css" in assets and all(a.startswith("/static/") for a in assets)
        total = len(response.content)
        for asset in assets:
            found = django_settings.BASE_DIR / "tinhso" / "static" / asset.removeprefix("/static/")
            total += found.stat().st_size
        assert total < 200 * 1024, (url, total)


def test_a_failure_after_some_files_were_stored_leaves_no_dossier_and_no_file(
    client: Client, w: World, citizen_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinhso.dossiers import services

    real = services.paper_file_add
    calls = {"n": 0}

    def failing_second(**kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(**kw)

    monkeypatch.setattr(services, "paper_file_add", failing_second)
    client.force_login(citizen_a)
    with pytest.raises(OSError):
        post_eform(
            client,
            w.birth,
            files={
                field(w.birth, BIRTH_CERTIFICATE): jpeg_upload(),
                field(w.birth, AUTHORISATION): pdf_upload(),
            },
            phone="0912345678",
        )
    assert calls["n"] == 2
    assert not Dossier.objects.exists() and not PaperFile.objects.exists() and not stored_files()
    assert not OutboxMessage.objects.exists()  # the code was never sent for a dossier that does not exist
