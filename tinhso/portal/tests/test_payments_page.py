"""The citizen's dossier page shows the fee's VietQR code and reference while it is due, and the e-receipt
once the bank has reported the payment; showing the code pays nothing (PAY-2)."""

from __future__ import annotations

from django.test import Client

from tinhso.dossiers import fees
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.tests.factories import World, at
from tinhso.payments import reconciliation as rec
from tinhso.payments.models import CollectionAccount, RequestStatus
from tinhso.payments.references import grouped


def test_the_applicant_sees_the_vietqr_then_the_receipt(w: World) -> None:
    account = CollectionAccount.objects.create(
        agency=w.ward, bank_bin="970415", account_number="113366668888", account_name="UBND PHUONG HA GIANG 2"
    )
    d = tr.submit(
        binding=w.residence,
        channel="online",
        applicant=tr.Applicant(name=w.citizen.full_name, phone="0912345678", user=w.citizen),
        actor=w.citizen,
        papers=[tr.PaperSpec(name="Tờ khai CT01")],
        at=at("2026-03-02 09:00"),
    )
    tr.receive(d, actor=w.counter, at=at("2026-03-02 10:00"))
    [r] = fees.dossier_payments(d)
    assert r.amount_vnd == 10_000 and r.payer_user == w.citizen  # the online rate
    c = Client()
    c.force_login(w.citizen)
    html = c.get(f"/ho-so-cua-toi/{d.code}/").content.decode()
    assert 'data-testid="vietqr"' in html and grouped(r.reference) in html and "10.000 đồng" in html
    assert "receipt-link" not in html
    r.refresh_from_db()
    assert r.status == RequestStatus.OPEN
    rec.statement_import(
        account=account,
        data=(
            "Ngày giao dịch;Mã giao dịch;Số tiền ghi có;Nội dung giao dịch\n"
            f"02/03/2026;FT1;10000;{r.reference}"
        ).encode(),
        actor=None,
    )
    html = c.get(f"/ho-so-cua-toi/{d.code}/").content.decode()
    assert 'data-testid="vietqr"' not in html and "Đã thanh toán" in html and "receipt-link" in html
    [m] = r.matches.all()
    pdf = c.get(f"/thanh-toan/{r.reference}/bien-lai/{m.pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # Another citizen gets nothing.
    other = Client()
    from tinhso.accounts.tests.factories import citizen

    other.force_login(citizen())
    assert other.get(f"/thanh-toan/{r.reference}/bien-lai/{m.pk}.pdf").status_code == 404
