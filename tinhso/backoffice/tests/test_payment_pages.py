"""The officials' fee pages: a dossier's VietQR at the counter (showing it pays nothing), an exemption with
its legal ground, the statement upload with its row errors, and the reconciliation queue."""

from __future__ import annotations

import pytest
from django.test import Client

from tinhso.dossiers import fees
from tinhso.dossiers.models import Dossier
from tinhso.dossiers.tests.factories import World
from tinhso.payments import vietqr
from tinhso.payments.models import CollectionAccount, ReconciliationIssue, RequestStatus


def logged_in(user: object) -> Client:
    c = Client()
    c.force_login(user)  # type: ignore[arg-type]
    return c


@pytest.fixture
def account(w: World) -> CollectionAccount:
    return CollectionAccount.objects.create(
        agency=w.ward, bank_bin="970415", account_number="113366668888", account_name="UBND PHUONG HA GIANG 2"
    )


def test_the_counter_shows_the_fees_vietqr_and_showing_it_pays_nothing(
    w: World, account: CollectionAccount
) -> None:
    d = w.received(when="2026-03-02 09:00")
    [r] = fees.dossier_payments(d)
    res = logged_in(w.counter).get(f"/backoffice/dossiers/{d.code}/payments/")
    assert res.status_code == 200
    html = res.content.decode()
    assert 'data-testid="vietqr"' in html and "<svg" in html and "20.000 đồng" in html
    assert r.reference[:2] in html and "Chờ thanh toán" in html
    r.refresh_from_db()
    assert r.status == RequestStatus.OPEN  # PAY-2
    # The code on the page is the request's payload.
    shown = fees.receipt_payment(d)
    assert shown is not None and vietqr.parse_payload(shown.payment_qr).purpose == r.reference


def test_another_wards_official_cannot_see_a_dossiers_payments(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    assert logged_in(w.other_counter).get(f"/backoffice/dossiers/{d.code}/payments/").status_code == 404


def test_an_official_exempts_a_fee_with_its_legal_ground(w: World, account: CollectionAccount) -> None:
    d = w.received(when="2026-03-02 09:00")
    [r] = fees.dossier_payments(d)
    c = logged_in(w.counter)
    url = f"/backoffice/dossiers/{d.code}/payments/{r.reference}/exempt/"
    res = c.post(url, {"ground": ""}, follow=True)
    assert "căn cứ pháp lý" in res.content.decode()
    r.refresh_from_db()
    assert r.status == RequestStatus.OPEN
    c.post(url, {"ground": "Điều 4 Thông tư 75/2022/TT-BTC"})
    r.refresh_from_db()
    assert r.status == RequestStatus.EXEMPT and r.closed_reason == "Điều 4 Thông tư 75/2022/TT-BTC"
    # A specialist (no fee role) may look but not exempt.
    assert (
        "exempt-"
        not in logged_in(w.specialist).get(f"/backoffice/dossiers/{d.code}/payments/").content.decode()
    )


def test_an_official_takes_cash_at_the_counter_and_prints_its_receipt(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")  # the ward has no collection account: cash is the only way
    [r] = fees.dossier_payments(d)
    c = logged_in(w.counter)
    page = c.get(f"/backoffice/dossiers/{d.code}/payments/").content.decode()
    assert f'data-testid="cash-{r.reference}"' in page and "nộp tiền mặt tại quầy" in page
    url = f"/backoffice/dossiers/{d.code}/payments/{r.reference}/cash/"
    for typed in ("hai mươi", "²", "20,5", "20.000,00", "2.00", "-20000"):
        res = c.post(url, {"amount_vnd": typed, "paid_vnd": "0"}, follow=True)
        assert "Nhập số tiền đã thu bằng số đồng" in res.content.decode(), typed
    res = c.post(url, {"amount_vnd": "25.000", "paid_vnd": "0"}, follow=True)
    assert "tối đa số còn phải nộp (20.000 đồng)" in res.content.decode()
    res = c.post(url, {"amount_vnd": "5 000", "paid_vnd": "0"}, follow=True)
    assert "Đã ghi nhận thu tiền mặt 5.000 đồng" in res.content.decode()
    res = c.post(url, {"amount_vnd": "15.000", "paid_vnd": "5000"}, follow=True)
    html = res.content.decode()
    assert "Đã ghi nhận thu tiền mặt 15.000 đồng" in html
    assert 'data-testid="paid-cash"' in html and "tiền mặt tại quầy" in html
    assert f'data-testid="cash-{r.reference}"' not in html  # nothing left to take
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.PAID, 20_000)
    # The same form sent twice takes nothing more.
    res = c.post(url, {"amount_vnd": "20.000", "paid_vnd": "0"}, follow=True)
    assert "không thu thêm" in res.content.decode()
    [(_, [_first, match])] = fees.dossier_payments_with_receipts(d)
    receipt = c.get(f"/thanh-toan/{r.reference}/bien-lai/{match.pk}.pdf")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    # The applicant sees the payment and its receipt on their page too.
    Dossier.objects.filter(pk=d.pk).update(applicant_user=w.citizen)
    mine = logged_in(w.citizen).get(f"/ho-so-cua-toi/{d.code}/").content.decode()
    assert "tiền mặt tại quầy" in mine and f"/thanh-toan/{r.reference}/bien-lai/{match.pk}.pdf" in mine


def test_only_fee_officials_of_the_unit_may_take_cash(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    [r] = fees.dossier_payments(d)
    page = logged_in(w.specialist).get(f"/backoffice/dossiers/{d.code}/payments/").content.decode()
    assert "cash-" not in page
    url = f"/backoffice/dossiers/{d.code}/payments/{r.reference}/cash/"
    res = logged_in(w.specialist).post(url, {"amount_vnd": "20000", "paid_vnd": "0"}, follow=True)
    assert "Chỉ cán bộ một cửa hoặc lãnh đạo" in res.content.decode()
    assert logged_in(w.other_counter).post(url, {"amount_vnd": "20000", "paid_vnd": "0"}).status_code == 404
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.OPEN, 0)


def _csv(rows: list[str]) -> bytes:
    return (
        "\ufeffNgày giao dịch,Mã giao dịch,Số tiền ghi có,Nội dung giao dịch\n" + "\n".join(rows)
    ).encode()


def test_a_statement_upload_pays_the_fee_queues_the_rest_and_is_resolved(
    w: World, account: CollectionAccount
) -> None:
    d = w.received(when="2026-03-02 09:00")
    [r] = fees.dossier_payments(d)
    c = logged_in(w.counter)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = _csv([f"02/03/2026,FT1,20000,{r.reference}", "02/03/2026,FT2,5000,khong ro"])
    res = c.post(
        "/backoffice/payments/statements/",
        {"account": account.pk, "statement": SimpleUploadedFile("saoke.csv", data, "text/csv")},
        follow=True,
    )
    assert "Đã nhập 2 giao dịch: 2 mới, 0 đã có; 1 giao dịch cần xử lý." in res.content.decode()
    r.refresh_from_db()
    assert r.status == RequestStatus.PAID
    # The same file again changes nothing.
    res = c.post(
        "/backoffice/payments/statements/",
        {"account": account.pk, "statement": SimpleUploadedFile("saoke.csv", data, "text/csv")},
        follow=True,
    )
    assert "đã được nhập trước đó" in res.content.decode()
    queue = c.get("/backoffice/payments/queue/").content.decode()
    issue = ReconciliationIssue.objects.get()
    assert f'data-testid="issue-{issue.pk}"' in queue and "khong ro" in queue
    c.post(f"/backoffice/payments/queue/{issue.pk}/resolve/", {"note": "Đã hoàn trả"})
    issue.refresh_from_db()
    assert issue.resolution == "Đã hoàn trả" and issue.resolved_by == w.counter
    assert 'data-testid="queue-empty"' in c.get("/backoffice/payments/queue/").content.decode()
    # The payer's receipt is there for the official too.
    [m] = r.matches.all()
    res = c.get(f"/thanh-toan/{r.reference}/bien-lai/{m.pk}.pdf")
    assert res.status_code == 200 and res.content.startswith(b"%PDF")


def test_a_statement_with_bad_rows_is_refused_with_its_row_numbers(
    w: World, account: CollectionAccount
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = _csv(["02/03/2026,FT1,abc,x", "99/99/2026,FT2,1000,x"])
    res = logged_in(w.counter).post(
        "/backoffice/payments/statements/",
        {"account": account.pk, "statement": SimpleUploadedFile("saoke.csv", data, "text/csv")},
    )
    html = res.content.decode()
    assert res.status_code == 400 and "Dòng 2:" in html and "Dòng 3:" in html


def test_the_queue_and_the_upload_are_for_fee_roles_only(w: World) -> None:
    for url in ("/backoffice/payments/queue/", "/backoffice/payments/statements/"):
        assert logged_in(w.specialist).get(url).status_code == 403
        assert logged_in(w.citizen).get(url).status_code == 403
        assert logged_in(w.counter).get(url).status_code == 200


def test_an_unmatched_payment_is_matched_by_hand_from_the_queue(w: World, account: CollectionAccount) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    d = w.received(when="2026-03-02 09:00")
    [r] = fees.dossier_payments(d)
    c = logged_in(w.counter)
    c.post(
        "/backoffice/payments/statements/",
        {
            "account": account.pk,
            "statement": SimpleUploadedFile("s.csv", _csv(["02/03/2026,FT1,20000,HANG"])),
        },
    )
    issue = ReconciliationIssue.objects.get()
    assert f'data-testid="match-{issue.pk}"' in c.get("/backoffice/payments/queue/").content.decode()
    c.post(
        f"/backoffice/payments/queue/{issue.pk}/match/", {"reference": r.reference, "note": "Ủy nhiệm chi"}
    )
    r.refresh_from_db()
    assert r.status == RequestStatus.PAID
    assert 'data-testid="queue-empty"' in c.get("/backoffice/payments/queue/").content.decode()


def test_a_payment_the_bank_took_back_shows_in_the_queue_and_the_fee_is_due_again(
    w: World, account: CollectionAccount
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tinhso.payments.tests.test_reversals import Entry, camt

    d = w.received(when="2026-03-02 09:00")
    [r] = fees.dossier_payments(d)
    c = logged_in(w.counter)

    def upload(data: bytes) -> str:
        res = c.post(
            "/backoffice/payments/statements/",
            {"account": account.pk, "statement": SimpleUploadedFile("saoke.xml", data, "application/xml")},
            follow=True,
        )
        return str(res.content.decode())

    upload(camt(Entry("FT1", 20_000, r.reference, end_to_end="E2E-1")))
    r.refresh_from_db()
    assert r.status == RequestStatus.PAID
    assert "1 giao dịch cần xử lý" in upload(camt(Entry("RV1", 20_000, end_to_end="E2E-1", reversal=True)))
    queue = c.get("/backoffice/payments/queue/").content.decode()
    assert "Ngân hàng thu hồi khoản đã ghi có" in queue and "FT1" in queue and r.reference in queue
    page = c.get(f"/backoffice/dossiers/{d.code}/payments/").content.decode()
    assert 'data-testid="reversed"' in page and "Chờ thanh toán" in page
    assert 'data-testid="vietqr"' in page  # the fee is due again, by transfer or in cash


def test_the_queue_pages_its_items_and_keeps_what_was_done(w: World, account: CollectionAccount) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tinhso.backoffice.payments_views import QUEUE_PAGE_SIZE

    c = logged_in(w.counter)
    rows = [f"02/03/2026,FT{n},{1000 + n},khong ro {n}" for n in range(QUEUE_PAGE_SIZE + 5)]
    c.post(
        "/backoffice/payments/statements/",
        {"account": account.pk, "statement": SimpleUploadedFile("saoke.csv", _csv(rows), "text/csv")},
    )
    first = c.get("/backoffice/payments/queue/").content.decode()
    assert first.count('data-testid="issue-') == QUEUE_PAGE_SIZE and 'data-testid="next-page"' in first
    assert f'<span class="count">{QUEUE_PAGE_SIZE + 5}</span>' in first
    second = c.get("/backoffice/payments/queue/", {"page": 2}).content.decode()
    assert second.count('data-testid="issue-') == 5
    issue = ReconciliationIssue.objects.order_by("id").first()
    assert issue is not None
    c.post(f"/backoffice/payments/queue/{issue.pk}/resolve/", {"note": "Đã hoàn trả cho người chuyển nhầm"})
    done = c.get("/backoffice/payments/queue/", {"show": "resolved"}).content.decode()
    assert done.count('data-testid="issue-') == 1 and "Đã hoàn trả cho người chuyển nhầm" in done
    assert f'data-testid="issue-{issue.pk}"' not in c.get("/backoffice/payments/queue/").content.decode()


def test_another_units_queue_item_is_not_found(w: World, account: CollectionAccount) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = logged_in(w.counter)
    c.post(
        "/backoffice/payments/statements/",
        {
            "account": account.pk,
            "statement": SimpleUploadedFile("s.csv", _csv(["02/03/2026,FT1,5000,?"]), "text/csv"),
        },
    )
    issue = ReconciliationIssue.objects.get()
    other = logged_in(w.other_counter)
    assert other.post(f"/backoffice/payments/queue/{issue.pk}/resolve/", {"note": "x"}).status_code == 404
    assert (
        other.post(
            f"/backoffice/payments/queue/{issue.pk}/match/", {"reference": "x", "note": "x"}
        ).status_code
        == 404
    )
    issue.refresh_from_db()
    assert issue.is_open
