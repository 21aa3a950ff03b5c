"""Share links: made by the owner for 1–30 days (7 by default), stored only as a hash, opening the
document's page and file while live; expired or revoked links answer 410 with a plain message."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client
from django.utils import timezone

from tinhso.accounts.models import User
from tinhso.core.models import AuditEntry
from tinhso.edocs import services
from tinhso.edocs.models import ShareLink
from tinhso.edocs.tests.factories import body, pdf, result

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def test_a_link_lasts_seven_days_by_default_and_only_its_hash_is_stored(alice: User) -> None:
    doc = result(alice)
    link, raw = services.share_link_create(document=doc, actor=alice, now=NOW)
    link.refresh_from_db()
    assert link.expires_at == NOW + dt.timedelta(days=7)
    assert link.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert link.token_prefix == raw[:6]
    assert len(raw) >= 43
    stored = ShareLink.objects.filter(pk=link.pk).values().get()
    assert raw not in [str(v) for v in stored.values()]
    entry = AuditEntry.objects.get(event="edoc.share_link_created")
    assert entry.new is not None and entry.new["days"] == 7 and raw not in str(entry.new)


@pytest.mark.parametrize("days", [1, 30])
def test_a_link_may_last_from_one_to_thirty_days(alice: User, days: int) -> None:
    link, _raw = services.share_link_create(document=result(alice), actor=alice, days=days, now=NOW)
    assert link.expires_at - NOW == dt.timedelta(days=days)


@pytest.mark.parametrize("days", [0, -1, 31, 365, True])
def test_a_link_of_another_length_is_refused(alice: User, days: int) -> None:
    doc = result(alice)
    with pytest.raises(services.EDocRuleError) as refused:
        services.share_link_create(document=doc, actor=alice, days=days, now=NOW)
    assert refused.value.message == "Thời hạn của liên kết chia sẻ phải từ 1 đến 30 ngày."
    assert ShareLink.objects.count() == 0


def test_the_limits_follow_the_settings(alice: User, settings) -> None:
    settings.EDOC_SHARE_DAYS_DEFAULT = 2
    settings.EDOC_SHARE_DAYS_MAX = 3
    doc = result(alice)
    link, _raw = services.share_link_create(document=doc, actor=alice, now=NOW)
    assert link.expires_at == NOW + dt.timedelta(days=2)
    with pytest.raises(services.EDocRuleError):
        services.share_link_create(document=doc, actor=alice, days=4, now=NOW)


def test_a_link_resolves_while_live_and_counts_each_opening(alice: User) -> None:
    doc = result(alice)
    link, raw = services.share_link_create(document=doc, actor=alice, days=1, now=NOW)
    found = services.share_link_resolve(raw_token=raw, now=NOW + dt.timedelta(hours=23, minutes=59))
    assert found.pk == link.pk and found.document.pk == doc.pk
    services.share_link_resolve(raw_token=raw, now=NOW + dt.timedelta(hours=24) - dt.timedelta(seconds=1))
    link.refresh_from_db()
    assert link.access_count == 2
    assert link.last_accessed_at == NOW + dt.timedelta(hours=24) - dt.timedelta(seconds=1)


def test_a_link_expires_at_its_time(alice: User) -> None:
    link, raw = services.share_link_create(document=result(alice), actor=alice, days=1, now=NOW)
    with pytest.raises(services.ShareLinkGone) as gone:
        services.share_link_resolve(raw_token=raw, now=NOW + dt.timedelta(days=1))
    assert gone.value.reason == "expired" and gone.value.status_code == 410
    assert "Liên kết chia sẻ này đã hết hạn lúc 09:30 ngày 11/03/2026" in gone.value.message
    link.refresh_from_db()
    assert link.access_count == 0


def test_a_revoked_link_no_longer_opens(alice: User) -> None:
    link, raw = services.share_link_create(document=result(alice), actor=alice, now=NOW)
    services.share_link_revoke(link=link, actor=alice, now=NOW + dt.timedelta(hours=1))
    with pytest.raises(services.ShareLinkGone) as gone:
        services.share_link_resolve(raw_token=raw, now=NOW + dt.timedelta(hours=2))
    assert gone.value.reason == "revoked"
    assert "thu hồi" in gone.value.message
    # Revoking again changes nothing (one audit entry).
    services.share_link_revoke(link=link, actor=alice, now=NOW + dt.timedelta(hours=3))
    link.refresh_from_db()
    assert link.revoked_at == NOW + dt.timedelta(hours=1)
    assert AuditEntry.objects.filter(event="edoc.share_link_revoked").count() == 1


def test_links_of_a_revoked_document_stop_opening_and_no_new_ones_are_made(alice: User) -> None:
    doc = result(alice)
    _link, raw = services.share_link_create(document=doc, actor=alice)
    services.edoc_revoke(document=doc, actor=None, reason="Cấp nhầm người")
    with pytest.raises(services.ShareLinkGone) as gone:
        services.share_link_resolve(raw_token=raw)
    assert gone.value.reason == "document_revoked"
    with pytest.raises(services.EDocRuleError) as refused:
        services.share_link_create(document=doc, actor=alice)
    assert "đã bị thu hồi" in refused.value.message


@pytest.mark.parametrize("token", ["", "abc", "x" * 43 + "!", "../../etc/passwd" + "a" * 30, "a" * 43])
def test_an_unknown_or_malformed_token_is_not_found(alice: User, token: str) -> None:
    services.share_link_create(document=result(alice), actor=alice)
    with pytest.raises(services.EDocNotFound):
        services.share_link_resolve(raw_token=token)


def test_the_number_of_live_links_per_document_is_capped(alice: User) -> None:
    doc = result(alice)
    for _ in range(services.MAX_ACTIVE_LINKS):
        services.share_link_create(document=doc, actor=alice, now=NOW)
    with pytest.raises(services.EDocRuleError) as refused:
        services.share_link_create(document=doc, actor=alice, now=NOW)
    assert "thu hồi bớt" in refused.value.message
    # Once the old ones have expired, a new one can be made.
    services.share_link_create(document=doc, actor=alice, now=NOW + dt.timedelta(days=8))


# --- Pages ----------------------------------------------------------------------------------------------


def test_the_owner_makes_a_link_on_the_page_and_sees_its_address_once(client: Client, alice: User) -> None:
    doc = result(alice)
    client.force_login(alice)
    response = client.post(f"/giay-to/{doc.pk}/chia-se/", {"days": "3"})
    assert response.status_code == 302 and response["Location"] == f"/giay-to/{doc.pk}/"
    link = ShareLink.objects.get()
    assert link.expires_at - link.created_at == dt.timedelta(days=3)
    page = client.get(f"/giay-to/{doc.pk}/")
    html = page.content.decode()
    assert 'data-testid="new-link"' in html
    url = html.split('id="id_new_link" readonly value="')[1].split('"')[0]
    assert url.startswith("http://testserver/chia-se/")
    raw = url.removeprefix("http://testserver/chia-se/").rstrip("/")
    assert hashlib.sha256(raw.encode()).hexdigest() == link.token_hash
    again = client.get(f"/giay-to/{doc.pk}/").content.decode()
    assert raw not in again and 'data-testid="new-link"' not in again
    assert f"Liên kết bắt đầu bằng “{link.token_prefix}…”" in again


def test_a_link_of_too_many_days_is_refused_on_the_page(client: Client, alice: User) -> None:
    doc = result(alice)
    client.force_login(alice)
    response = client.post(f"/giay-to/{doc.pk}/chia-se/", {"days": "45"})
    assert response.status_code == 400
    errors = re.findall(r'class="field-error"[^>]*>([^<]*)<', response.content.decode())
    assert len(errors) == 1 and "nhỏ hơn hoặc bằng với 30" in errors[0]
    assert ShareLink.objects.count() == 0


def test_the_owner_revokes_a_link_on_the_page(client: Client, alice: User) -> None:
    doc = result(alice)
    link, raw = services.share_link_create(document=doc, actor=alice)
    client.force_login(alice)
    response = client.post(f"/giay-to/{doc.pk}/chia-se/{link.pk}/thu-hoi/")
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    gone = Client().get(f"/chia-se/{raw}/")
    assert gone.status_code == 410
    assert "Liên kết đã bị thu hồi" in gone.content.decode()


def test_the_share_page_shows_the_document_and_its_file_downloads_with_safe_headers(alice: User) -> None:
    content = pdf("Trích lục khai sinh")
    doc = result(alice, content=content)
    _link, raw = services.share_link_create(document=doc, actor=alice)
    visitor = Client()
    page = visitor.get(f"/chia-se/{raw}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Giấy khai sinh bản chính" in html and "Nguyễn Thị An chia sẻ với bạn" in html
    assert doc.sha256[:8] in html and "04/03/2026" in html
    assert doc.source_dossier_code not in html  # the public page shows no more than the paper itself
    assert page["Referrer-Policy"] == "no-referrer" and "noindex" in page["X-Robots-Tag"]
    assert page["Cache-Control"] == "private, no-store"
    download = visitor.get(f"/chia-se/{raw}/tai-ve/")
    assert download.status_code == 200
    assert body(download) == content
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="giay-khai-sinh.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert download["Cache-Control"] == "private, no-store"
    assert download["Referrer-Policy"] == "no-referrer"
    assert ShareLink.objects.get().access_count == 2


def test_an_expired_link_answers_410_in_plain_vietnamese(alice: User) -> None:
    doc = result(alice)
    made = timezone.now() - dt.timedelta(days=8)
    _link, raw = services.share_link_create(document=doc, actor=alice, days=7, now=made)
    for path in (f"/chia-se/{raw}/", f"/chia-se/{raw}/tai-ve/"):
        response = Client().get(path)
        assert response.status_code == 410, path
        html = response.content.decode()
        assert "<h1>Liên kết đã hết hạn</h1>" in html
        assert "Liên kết chia sẻ này đã hết hạn lúc" in html
        assert "Hãy đề nghị người đã gửi liên kết tạo một liên kết mới." in html
        assert doc.title not in html and doc.sha256[:8] not in html
        assert response["Cache-Control"] == "private, no-store"


def test_an_unknown_link_is_a_404_page(alice: User) -> None:
    response = Client().get("/chia-se/" + "A" * 43 + "/")
    assert response.status_code == 404
    assert "Không tìm thấy liên kết" in response.content.decode()
