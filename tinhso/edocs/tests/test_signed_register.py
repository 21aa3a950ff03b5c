"""The register of signed papers: issuing (signed once, registered, audited), the public verification page
and API (intact, modified, revoked, not registered, untrusted), uploads refused with the reason, and who may
revoke."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfReader

from tinhso.accounts.models import Agency, Role
from tinhso.accounts.tests import factories as people
from tinhso.core import signing
from tinhso.core.models import AuditEntry
from tinhso.core.tests.signing_support import (
    VERIFY_BASE,
    block,
    credentials_from,
    one_byte_changed,
    pdfsig,
    sample_pdf,
    signed_again,
)
from tinhso.edocs import register
from tinhso.edocs.models import SignedDocument
from tinhso.edocs.tests.factories import DOSSIER_CODE, WARD_CODE

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward(reference_data: None) -> Agency:
    return Agency.objects.get(code=WARD_CODE)


def issue(ward: Agency, ref: str = "result:7", renders: list[int] | None = None) -> register.Issued:
    def render() -> bytes:
        if renders is not None:
            renders.append(1)
        return sample_pdf()

    return register.signed_document_issue(
        issuer=ward,
        render=render,
        kind=SignedDocument.Kind.RESULT,
        title="Trích lục khai sinh",
        source_dossier_code=DOSSIER_CODE,
        source_ref=ref,
        signer_name="Hoàng Văn Đức",
    )


def upload(client: Client, url: str, data: bytes, name: str = "van-ban.pdf") -> str:
    page = client.post(url, {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})
    return page.content.decode()


def verdict(html: str) -> str:
    m = re.search(r'data-verdict="([a-z_]+)"', html)
    assert m, html
    return m.group(1)


def test_a_paper_is_signed_once_registered_and_audited(signing_dir: Path, ward: Agency) -> None:
    renders: list[int] = []
    first = issue(ward, renders=renders)
    again = issue(ward, renders=renders)
    assert first.signed and again.content == first.content and len(renders) == 1

    (doc,) = SignedDocument.objects.all()
    assert doc.sha256 == signing.sha256(first.content) and doc.size == len(first.content)
    assert (doc.issuer, doc.issuer_name, doc.source_dossier_code) == (ward, ward.name, DOSSIER_CODE)
    assert doc.signature_profile == "PAdES B-B"
    result = signing.verify_pdf(first.content)
    assert result.valid and result.signer_fingerprint == doc.signer_fingerprint
    assert result.signed_at == doc.issued_at
    assert register.verify_url(doc.token) == f"{VERIFY_BASE}/xac-thuc/{doc.token}/"
    page = PdfReader(io.BytesIO(first.content)).pages[-1]
    annots: list[Any] = [a.get_object() for a in page["/Annots"]]  # type: ignore[attr-defined]
    links = [a["/A"]["/URI"] for a in annots if a["/Subtype"] == "/Link"]
    assert links == [register.verify_url(doc.token)]  # the QR code's address, also a link
    (entry,) = AuditEntry.objects.filter(event="signed_document.issued")
    assert entry.new is not None and entry.new["sha256"] == doc.sha256
    assert (entry.target_id, entry.agency_code) == (str(doc.pk), WARD_CODE)


def test_an_agency_without_a_certificate_gets_an_unsigned_paper_saying_so(
    settings: object, tmp_path: Path, ward: Agency
) -> None:
    settings.SIGNING_DIR = tmp_path  # type: ignore[attr-defined]
    settings.SIGNING_AGENCY_CREDENTIALS = {}  # type: ignore[attr-defined]
    issued = issue(ward)
    assert not issued.signed and not SignedDocument.objects.exists()
    assert not signing.verify_pdf(issued.content).signed
    text = " ".join(PdfReader(io.BytesIO(issued.content)).pages[0].extract_text().split())
    assert "Bản điện tử chưa được ký số" in text


def test_the_page_says_who_issued_it_when_and_that_the_file_is_intact(
    signing_dir: Path, ward: Agency, client: Client, tmp_path: Path
) -> None:
    issued = issue(ward)
    doc = issued.document
    assert doc is not None
    url = f"/xac-thuc/{doc.token}/"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex, nofollow"
    assert "Văn bản có trong sổ đăng ký, chưa bị thu hồi" in html
    assert ward.name in html and "Trích lục khai sinh" in html
    assert doc.issued_at.astimezone(signing.pdf.VIETNAM_TZ).strftime("%H:%M:%S %d/%m/%Y") in html
    assert "<script>" not in html and " style=" not in html  # nothing the CSP would block

    html = upload(client, url, issued.content)
    assert verdict(html) == "valid" and "Văn bản nguyên vẹn, chữ ký hợp lệ" in html

    forged = one_byte_changed(issued.content)
    html = upload(client, url, forged)
    assert verdict(html) == "modified" and "Văn bản đã bị sửa đổi" in html
    # Both validators agree on the forgery, and on the original.
    assert not signing.verify_pdf(forged).intact
    assert pdfsig(forged, tmp_path)[0]["Signature Validation"] == "Digest Mismatch."
    assert pdfsig(issued.content, tmp_path)[0]["Signature Validation"] == "Signature is Valid."


def test_a_revoked_paper_is_shown_revoked_even_with_the_right_file(
    signing_dir: Path, ward: Agency, client: Client
) -> None:
    issued = issue(ward)
    doc = issued.document
    assert doc is not None
    leader = people.official(agency_prefix="000.00.30", roles=(Role.AGENCY_LEADER,))
    register.signed_document_revoke(document=doc, actor=leader, reason="Cấp nhầm người")
    url = f"/xac-thuc/{doc.token}/"
    html = client.get(url).content.decode()
    assert "Đã bị thu hồi" in html and "Cấp nhầm người" in html
    html = upload(client, url, issued.content)
    assert verdict(html) == "revoked"
    (entry,) = AuditEntry.objects.filter(event="signed_document.revoked")
    assert entry.actor_id == leader.pk and entry.new is not None and entry.new["reason"] == "Cấp nhầm người"


def test_a_validly_signed_file_not_in_the_register_is_said_to_be_so(
    signing_dir: Path, ward: Agency, client: Client
) -> None:
    creds = signing.agency_credentials(code=ward.code, name=ward.name)
    assert creds is not None
    lookalike = signing.sign_pdf(sample_pdf(), credentials=creds, block=block())  # trusted, never registered
    assert signing.verify_pdf(lookalike).valid
    html = upload(client, "/xac-thuc/", lookalike)
    assert verdict(html) == "not_registered" and "Không có trong sổ đăng ký" in html

    issued = issue(ward)
    assert issued.document is not None
    html = upload(client, f"/xac-thuc/{issued.document.token}/", lookalike)
    assert verdict(html) == "not_registered"
    html = upload(client, "/xac-thuc/", issued.content)  # without the address: found by its hash
    assert verdict(html) == "valid" and f"/xac-thuc/{issued.document.token}/" in html


def test_a_file_signed_by_an_untrusted_ca_is_refused(
    signing_dir: Path, reference_data: None, client: Client
) -> None:
    stranger = signing.create_ca("CA giả mạo")
    fake = signing.sign_pdf(sample_pdf(), credentials=credentials_from(stranger, "Sở Tư pháp"), block=block())
    html = upload(client, "/xac-thuc/", fake)
    assert verdict(html) == "untrusted" and "Chữ ký số không được tin cậy" in html


def test_uploads_are_checked_for_type_and_size(
    signing_dir: Path, ward: Agency, client: Client, settings: object
) -> None:
    page = client.post("/xac-thuc/", {"file": SimpleUploadedFile("a.pdf", b"<html>not a pdf</html>")})
    assert page.status_code == 415 and "không phải PDF" in page.content.decode()
    settings.SIGNING_VERIFY_MAX_BYTES = 1000  # type: ignore[attr-defined]
    page = client.post("/xac-thuc/", {"file": SimpleUploadedFile("a.pdf", sample_pdf())})
    assert page.status_code == 413 and "Tệp quá lớn" in page.content.decode()
    page = client.post("/xac-thuc/", {})
    assert page.status_code == 400 and 'data-testid="upload-error"' in page.content.decode()


def test_an_unknown_address_is_a_404_that_says_not_in_the_register(
    client: Client, reference_data: None
) -> None:
    page = client.get("/xac-thuc/KhongCoMaNayTrongSoDangKy0123456/")
    assert page.status_code == 404 and "Không có trong sổ đăng ký" in page.content.decode()


def test_only_the_issuing_agencys_leader_or_a_system_admin_may_revoke(
    signing_dir: Path, ward: Agency, client: Client
) -> None:
    doc = issue(ward).document
    assert doc is not None
    specialist = people.official(agency_prefix="000.00.30", roles=(Role.SPECIALIST,))
    other_leader = people.official(agency_prefix="000.00.00", roles=(Role.AGENCY_LEADER,))
    citizen = people.citizen()
    for user in (specialist, other_leader, citizen):
        assert not register.can_revoke(user, doc)
        with pytest.raises(register.EDocForbidden):
            register.signed_document_revoke(document=doc, actor=user, reason="thử")
    url = f"/xac-thuc/{doc.token}/"
    client.force_login(specialist)
    assert 'data-testid="revoke"' not in client.get(url).content.decode()
    assert client.post(f"{url}thu-hoi/", {"reason": "thử"}).status_code == 403

    admin = people.official(roles=(Role.SYSTEM_ADMIN,))
    client.force_login(admin)
    assert 'data-testid="revoke"' in client.get(url).content.decode()
    assert client.post(f"{url}thu-hoi/", {"reason": "Sai thông tin"}).status_code == 302
    doc.refresh_from_db()
    assert doc.revoked_at is not None and doc.revoked_by == admin


def test_the_api_gives_the_entry_and_the_same_verdicts(
    signing_dir: Path, ward: Agency, client: Client
) -> None:
    issued = issue(ward)
    doc = issued.document
    assert doc is not None
    entry = client.get(f"/api/verify/{doc.token}").json()
    assert entry["issuer_code"] == WARD_CODE and entry["revoked"] is False and entry["sha256"] == doc.sha256

    def check(data: bytes, token: str | None = None) -> Any:
        url = f"/api/verify/{token}" if token else "/api/verify"
        res = client.post(url, {"file": SimpleUploadedFile("x.pdf", data)})
        assert res.status_code == 200, res.content
        return res.json()

    ok = check(issued.content, doc.token)
    assert ok["verdict"] == "valid" and ok["label"] == "Văn bản nguyên vẹn, chữ ký hợp lệ"
    assert ok["signature"]["trusted"] is True
    assert check(one_byte_changed(issued.content), doc.token)["verdict"] == "modified"
    assert check(issued.content)["verdict"] == "valid"
    assert check(sample_pdf())["verdict"] == "unsigned"
    res = client.post("/api/verify", {"file": SimpleUploadedFile("x.pdf", b"GIF89a")})
    assert res.status_code == 415
    assert client.get("/api/verify/KhongCoMaNayTrongSoDangKy0123456").status_code == 404

    leader = people.official(agency_prefix="000.00.30", roles=(Role.AGENCY_LEADER,))
    client.force_login(leader)
    res = client.post(
        f"/api/signed-documents/{doc.token}/revoke", {"reason": "Thu hồi"}, content_type="application/json"
    )
    assert res.status_code == 200 and res.json()["revoked"] is True
    client.logout()
    assert check(issued.content, doc.token)["verdict"] == "revoked"


def test_a_registered_paper_changed_and_signed_again_is_modified_and_named(
    signing_dir: Path, ward: Agency, client: Client
) -> None:
    """The attack on a validator that reads the last signature only: a registered paper, changed in an
    incremental update and signed again with a key the trust roots accept. Not "valid, not in the
    register": modified, and which register entry it was made from."""
    issued = issue(ward)
    doc = issued.document
    assert doc is not None
    creds = signing.agency_credentials(code=ward.code, name=ward.name)
    assert creds is not None
    forged = signed_again(issued.content, creds)

    for url in ("/xac-thuc/", f"/xac-thuc/{doc.token}/"):
        html = upload(client, url, forged)
        assert verdict(html) == "modified" and "Văn bản đã bị sửa đổi" in html
        assert "Trích lục khai sinh" in html and ward.name in html  # the entry it was made from
    assert f'href="/xac-thuc/{doc.token}/"' in upload(client, "/xac-thuc/", forged)

    res = client.post("/api/verify", {"file": SimpleUploadedFile("x.pdf", forged)}).json()
    assert res["verdict"] == "modified" and res["document"]["token"] == doc.token
    assert [s["signer"] for s in res["signatures"]] == [ward.name, ward.name]
    assert res["signatures"][0]["changes_after"] == "other"
    assert res["signatures"][1]["covers_whole_file"] is True and res["signatures"][1]["trusted"] is True


def test_a_second_signer_on_a_registered_paper_is_modified_with_every_signer_listed(
    signing_dir: Path, ward: Agency, client: Client
) -> None:
    issued = issue(ward)
    assert issued.document is not None
    ca = signing.dev_ca()
    assert ca is not None
    other = signed_again(issued.content, credentials_from(ca, "Người ký lạ"), white_out=False)
    html = upload(client, "/xac-thuc/", other)
    assert verdict(html) == "modified" and "Người ký lạ" in html and ward.name in html
    res = client.post(f"/api/verify/{issued.document.token}", {"file": SimpleUploadedFile("x.pdf", other)})
    body = res.json()
    assert body["verdict"] == "modified" and body["document"]["token"] == issued.document.token
    assert [s["signer"] for s in body["signatures"]] == [ward.name, "Người ký lạ"]


def test_anonymous_checks_are_rate_limited_per_address(
    signing_dir: Path, ward: Agency, client: Client, settings: Any
) -> None:
    settings.SIGNING_VERIFY_PER_IP = (3, 600)
    not_pdf = b"<html>not a pdf</html>"
    for _ in range(3):
        assert client.post("/xac-thuc/", {"file": SimpleUploadedFile("a.pdf", not_pdf)}).status_code == 415
    page = client.post("/xac-thuc/", {"file": SimpleUploadedFile("a.pdf", sample_pdf())})
    assert page.status_code == 429 and int(page["Retry-After"]) > 0
    html = page.content.decode()
    assert "Bạn đã kiểm tra quá nhiều tệp trong thời gian ngắn" in html and 'data-verdict="' not in html
    doc = issue(ward).document
    assert doc is not None
    page = client.post(f"/xac-thuc/{doc.token}/", {"file": SimpleUploadedFile("a.pdf", sample_pdf())})
    assert page.status_code == 429  # the same address, whichever paper it checks
    assert client.get(f"/xac-thuc/{doc.token}/").status_code == 200  # reading the entry is not limited

    res = client.post("/api/verify", {"file": SimpleUploadedFile("x.pdf", sample_pdf())})
    assert res.status_code == 429 and "quá nhiều" in res.json()["detail"] and int(res["Retry-After"]) > 0
    res = client.post(f"/api/verify/{doc.token}", {"file": SimpleUploadedFile("x.pdf", sample_pdf())})
    assert res.status_code == 429
    assert client.get(f"/api/verify/{doc.token}").status_code == 200

    other = Client(REMOTE_ADDR="198.51.100.7")  # another address has its own allowance
    res = other.post("/api/verify", {"file": SimpleUploadedFile("x.pdf", sample_pdf())})
    assert res.status_code == 200 and res.json()["verdict"] == "unsigned"


def test_the_revocation_form_says_the_reason_is_public(
    signing_dir: Path, ward: Agency, client: Client
) -> None:
    doc = issue(ward).document
    assert doc is not None
    client.force_login(people.official(agency_prefix="000.00.30", roles=(Role.AGENCY_LEADER,)))
    html = client.get(f"/xac-thuc/{doc.token}/").content.decode()
    assert 'data-testid="revoke"' in html
    assert "Lý do thu hồi được công khai trên trang xác thực" in html
