"""Reconciliation from statements: exact, partial, excess, duplicate, unknown reference, the same file
twice; CSV and camt.053; errors by row; the officials' queue."""

from __future__ import annotations

from typing import Any

import pytest

from tinhso.accounts.models import Role
from tinhso.accounts.tests import factories as people
from tinhso.core.models import AuditEntry
from tinhso.payments import reconciliation as rec
from tinhso.payments import services
from tinhso.payments.models import (
    BankTransaction,
    CollectionAccount,
    IssueKind,
    PaymentMatch,
    PaymentRequest,
    ReconciliationIssue,
    RequestStatus,
    StatementImport,
)
from tinhso.payments.tests.factories import OTHER_WARD, Money, at, camt053, csv_statement


def _import(m: Money, data: bytes, **kw: Any) -> rec.ImportResult:
    return rec.statement_import(account=m.account, data=data, filename="saoke.csv", actor=m.counter, **kw)


def _state() -> tuple[Any, ...]:
    return (
        BankTransaction.objects.count(),
        PaymentMatch.objects.count(),
        ReconciliationIssue.objects.count(),
        StatementImport.objects.count(),
        sorted(PaymentRequest.objects.values_list("reference", "status", "paid_vnd")),
        AuditEntry.objects.count(),
    )


def test_an_exact_payment_marks_the_request_paid(m: Money) -> None:
    r = m.request(20_000)
    result = _import(m, csv_statement([("02/03/2026 10:15", "FT001", "20.000", f"Le phi {r.reference}")]))
    assert (result.rows, result.added, result.issues) == (1, 1, [])
    r.refresh_from_db()
    assert r.status == RequestStatus.PAID and r.paid_vnd == 20_000 and r.settled_at is not None
    tx = r.matches.get().transaction
    assert tx is not None and tx.transaction_id == "FT001"
    assert AuditEntry.objects.filter(event="payment_request.paid", target_id=r.reference).exists()
    imported = AuditEntry.objects.filter(event="payment_statement.imported").get().new
    assert imported is not None and imported["added"] == 1


def test_a_smaller_payment_is_partly_paid_and_queued_then_the_rest_settles_it(m: Money) -> None:
    r = m.request(20_000)
    _import(m, csv_statement([("02/03/2026", "FT001", "15,000", f"{r.reference.lower()} thieu")]))
    r.refresh_from_db()
    assert r.status == RequestStatus.PARTLY_PAID and r.paid_vnd == 15_000 and r.outstanding_vnd == 5_000
    issue = ReconciliationIssue.objects.get()
    assert (issue.kind, issue.amount_vnd, issue.request, issue.is_open) == (IssueKind.PARTIAL, 5_000, r, True)
    # The QR code now asks for what is left.
    assert services.payment_request_qr(r) and "54045000" in services.payment_request_qr(r)
    _import(m, csv_statement([("03/03/2026", "FT002", "5000", f"bo sung {r.reference}")]))
    r.refresh_from_db()
    issue.refresh_from_db()
    assert r.status == RequestStatus.PAID and r.paid_vnd == 20_000
    assert not issue.is_open and "FT002" in issue.resolution


def test_a_larger_payment_is_paid_and_its_surplus_queued(m: Money) -> None:
    r = m.request(20_000)
    _import(m, csv_statement([("02/03/2026", "FT001", "50.000", r.reference)]))
    r.refresh_from_db()
    assert r.status == RequestStatus.PAID and r.paid_vnd == 50_000
    issue = ReconciliationIssue.objects.get()
    assert (issue.kind, issue.amount_vnd) == (IssueKind.EXCESS, 30_000)


def test_a_second_payment_of_a_paid_request_is_a_duplicate(m: Money) -> None:
    r = m.request(20_000)
    _import(
        m,
        csv_statement(
            [
                ("02/03/2026", "FT001", "20000", r.reference),
                ("02/03/2026", "FT002", "20000", f"chuyen lai {r.reference}"),
            ]
        ),
    )
    r.refresh_from_db()
    assert r.status == RequestStatus.PAID and r.paid_vnd == 20_000
    issue = ReconciliationIssue.objects.get()
    assert (issue.kind, issue.amount_vnd, issue.transaction.transaction_id) == (
        IssueKind.DUPLICATE,
        20_000,
        "FT002",
    )
    assert PaymentMatch.objects.get(transaction=issue.transaction).duplicate


def test_no_or_an_unknown_reference_is_unmatched(m: Money) -> None:
    r = m.request(20_000)
    fake = r.reference[:-1] + ("0" if r.reference[-1] != "0" else "1")
    from tinhso.payments.references import new_reference

    unknown = new_reference()
    _import(
        m,
        csv_statement(
            [
                ("02/03/2026", "FT001", "20000", "NGUYEN THI HANG chuyen tien"),
                ("02/03/2026", "FT002", "20000", f"le phi {unknown}"),
                ("02/03/2026", "FT003", "20000", f"le phi {fake}"),  # mistyped: its check character fails
            ]
        ),
    )
    issues = list(ReconciliationIssue.objects.order_by("transaction__transaction_id"))
    assert [(i.kind, i.request) for i in issues] == [(IssueKind.UNMATCHED, None)] * 3
    assert unknown in issues[1].detail and issues[0].agency == m.ward
    r.refresh_from_db()
    assert r.status == RequestStatus.OPEN


def test_the_same_file_imported_twice_changes_nothing(m: Money) -> None:
    r1, r2 = m.request(20_000), m.request(10_000, subject="000.00.30.H60-260302-0002")
    data = csv_statement(
        [
            ("02/03/2026", "FT001", "20000", r1.reference),
            ("02/03/2026", "FT002", "5000", r2.reference),
            ("02/03/2026", "FT003", "1000", "khong ro"),
        ]
    )
    first = _import(m, data)
    before = _state()
    second = _import(m, data)
    assert second.same_file and second.added == 0 and second.statement == first.statement
    assert _state() == before


def test_an_overlapping_statement_adds_only_the_new_transactions(m: Money) -> None:
    r = m.request(20_000)
    _import(m, csv_statement([("02/03/2026", "FT001", "10000", r.reference)]))
    result = _import(
        m,
        csv_statement(
            [("02/03/2026", "FT001", "10000", r.reference), ("03/03/2026", "FT002", "10000", r.reference)],
            bom=True,
            sep=",",
        ),
    )
    assert (result.rows, result.added, result.already_known) == (2, 1, 1)
    r.refresh_from_db()
    assert r.status == RequestStatus.PAID and r.paid_vnd == 20_000


def test_a_csv_with_bad_rows_is_refused_whole_with_its_row_numbers(m: Money) -> None:
    r = m.request(20_000)
    data = csv_statement(
        [
            ("02/03/2026", "FT001", "20000", r.reference),
            ("31/02/2026", "FT002", "1000", "x"),
            ("02/03/2026", "FT003", "12,5", "x"),
            ("02/03/2026", "", "1000", "x"),
            ("02/03/2026", "FT001", "1000", "x"),
        ]
    )
    with pytest.raises(rec.StatementError) as exc:
        _import(m, data)
    errors = exc.value.errors
    assert [e.split(":")[0] for e in errors] == ["Dòng 4", "Dòng 5", "Dòng 6", "Dòng 7"]
    assert "ngày giao dịch" in errors[0] and "số tiền ghi có" in errors[1]
    assert "thiếu mã giao dịch" in errors[2] and "trùng với dòng 3" in errors[3]
    assert BankTransaction.objects.count() == 0 and StatementImport.objects.count() == 0


def test_a_csv_without_the_required_columns_or_not_utf8_is_refused(m: Money) -> None:
    with pytest.raises(rec.StatementError, match="dòng tiêu đề"):
        _import(m, b"Date,Amount\n02/03/2026,20000\n")
    with pytest.raises(rec.StatementError, match="UTF-8"):
        _import(m, "Ngày giao dịch;Mã giao dịch;Số tiền ghi có;Nội dung\n".encode("utf-16"))


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("20000", 20000),
        ("20.000", 20000),
        ("20,000", 20000),
        ("1.250.000", 1250000),
        ("20000.00", 20000),
        ("20.000,00", 20000),
        ("1,250,000.00", 1250000),
        (" 20 000 ", 20000),
    ],
)
def test_bank_amount_spellings(text: str, amount: int) -> None:
    assert rec.parse_amount(text) == amount


@pytest.mark.parametrize("text", ["12,5", "20.000.5", "abc", "-1000", "1.2345"])
def test_unreadable_amounts(text: str) -> None:
    with pytest.raises(ValueError):
        rec.parse_amount(text)


def test_a_camt053_statement_matches_by_remittance_and_skips_debits(m: Money) -> None:
    r1, r2 = m.request(20_000), m.request(10_000, subject="000.00.30.H60-260302-0002")
    data = camt053(
        [
            ("2026-03-02", "VTB-0001", "20000.00", f"NGUYEN THI HANG CK {r1.reference} LE PHI"),
            ("2026-03-02", "VTB-0002", "4000", f"{r2.reference[:7]} {r2.reference[7:]}"),
        ],
        version="08",
    )
    result = rec.statement_import(account=m.account, data=data, filename="camt.xml", actor=None)
    assert result.statement.format == "camt053" and (result.rows, result.added) == (2, 2)
    r1.refresh_from_db()
    r2.refresh_from_db()
    assert (r1.status, r2.status, r2.paid_vnd) == (RequestStatus.PAID, RequestStatus.PARTLY_PAID, 4000)
    tx = BankTransaction.objects.get(transaction_id="VTB-0001")
    assert tx.counterparty_name == "NGUYEN THI HANG" and tx.counterparty_account == "0011001932418"
    assert tx.booked_at == at("2026-03-02 00:00")
    # Imported again: nothing changes.
    before = _state()
    assert rec.statement_import(account=m.account, data=data, actor=None).same_file
    assert _state() == before


def test_a_camt053_of_another_account_or_in_another_currency_is_refused(m: Money) -> None:
    with pytest.raises(rec.StatementError, match="tài khoản 999"):
        _import(m, camt053([("2026-03-02", "A", "1000", "x")], account="999"))
    usd = camt053([("2026-03-02", "A", "1000", "x")]).replace(b'Ccy="VND">1000', b'Ccy="USD">1000')
    for data in (usd, camt053([("2026-03-02", "A", "1000.50", "x")])):
        with pytest.raises(rec.StatementError) as exc:
            _import(m, data)
        assert exc.value.errors == [
            "Stmt 1, Ntry 1, TxDtls 1: chỉ nhận số tiền đồng nguyên dương (Ccy=VND). "
            "/ Only whole VND amounts."
        ]


def test_xml_with_entities_is_refused_without_reading_them(m: Money, tmp_path: Any) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}"><!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
<Ntry><Amt Ccy="VND">1000</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-03-02</Dt></BookgDt>
<AcctSvcrRef>X</AcctSvcrRef><AddtlNtryInf>&x;&b;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>"""
    with pytest.raises(rec.StatementError, match="DOCTYPE"):
        _import(m, xxe.encode())
    assert not BankTransaction.objects.exists()


def test_not_a_camt053_is_refused(m: Money) -> None:
    with pytest.raises(rec.StatementError, match=r"camt\.053"):
        _import(m, b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"/>')
    with pytest.raises(rec.StatementError, match="XML"):
        _import(m, b"<Document><unclosed></Document>")


def test_only_officials_of_the_agency_with_a_fee_role_import(m: Money) -> None:
    data = csv_statement([("02/03/2026", "FT001", "20000", "x")])
    for official in (m.specialist, m.other_counter):
        with pytest.raises(services.PaymentForbidden):
            rec.statement_import(account=m.account, data=data, actor=official)
    assert not BankTransaction.objects.exists()


def test_an_official_resolves_a_queue_item_with_a_note_audited(m: Money) -> None:
    _import(m, csv_statement([("02/03/2026", "FT001", "20000", "khong co ma")]))
    issue = ReconciliationIssue.objects.get()
    with pytest.raises(services.PaymentError, match="cách đã xử lý"):
        services.issue_resolve(issue, note=" ", actor=m.counter)
    with pytest.raises(services.PaymentForbidden):
        services.issue_resolve(issue, note="x", actor=m.other_counter)
    services.issue_resolve(issue, note="Đã hoàn trả cho người chuyển", actor=m.leader)
    issue.refresh_from_db()
    assert not issue.is_open and issue.resolved_by == m.leader
    entry = AuditEntry.objects.get(event="payment_issue.resolved")
    assert entry.new == {"resolution": "Đã hoàn trả cho người chuyển"} and entry.actor_id == m.leader.pk
    with pytest.raises(services.PaymentConflict):
        services.issue_resolve(issue, note="again", actor=m.leader)


def test_a_payment_to_a_cancelled_request_is_unmatched(m: Money) -> None:
    r = services.payment_request_cancel(m.request(), reason="Sai số tiền", actor=m.counter)
    _import(m, csv_statement([("02/03/2026", "FT001", "20000", r.reference)]))
    issue = ReconciliationIssue.objects.get()
    assert (issue.kind, issue.request) == (IssueKind.UNMATCHED, r)


def test_an_official_matches_an_unmatched_payment_by_hand_and_it_pays_the_request(
    m: Money, django_capture_on_commit_callbacks: Any
) -> None:
    from tinhso.payments import hooks

    r = m.request(20_000)
    _import(m, csv_statement([("02/03/2026", "FT001", "20000", "NGUYEN THI HANG nop le phi")]))
    issue = ReconciliationIssue.objects.get()
    with pytest.raises(services.PaymentError):
        rec.issue_match_by_hand(issue, reference=r.reference, note=" ", actor=m.counter)
    with pytest.raises(services.PaymentForbidden):
        rec.issue_match_by_hand(issue, reference=r.reference, note="x", actor=m.other_counter)
    calls: list[hooks.Settled] = []
    hooks.on_paid(calls.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            new = rec.issue_match_by_hand(
                issue,
                reference=f" {r.reference.lower()} ",
                note="Bà Hằng xuất trình ủy nhiệm chi",
                actor=m.counter,
            )
    finally:
        hooks._callbacks.remove(calls.append)
    assert new == []
    r.refresh_from_db()
    issue.refresh_from_db()
    assert r.status == RequestStatus.PAID and r.matches.get().matched_by == m.counter
    assert not issue.is_open and r.reference in issue.resolution
    assert [c.reference for c in calls] == [r.reference]
    assert AuditEntry.objects.filter(event="payment_issue.matched_by_hand").exists()
    with pytest.raises(services.PaymentConflict):
        rec.issue_match_by_hand(issue, reference=r.reference, note="again", actor=m.counter)


def _other_account(m: Money) -> CollectionAccount:
    """The neighbouring ward's collection account, at the same bank."""
    return CollectionAccount.objects.create(
        agency=people.agency(OTHER_WARD),
        bank_bin=m.account.bank_bin,
        account_number="998877665544",
        account_name="UBND PHUONG BEN CANH",
    )


def test_a_payment_into_another_account_than_the_requests_is_queued_not_matched(m: Money) -> None:
    r = m.request(20_000)
    other = _other_account(m)
    data = csv_statement([("02/03/2026", "FT001", "20000", f"Le phi {r.reference}")])
    result = rec.statement_import(account=other, data=data, actor=m.other_counter)
    r.refresh_from_db()
    assert r.status == RequestStatus.OPEN and r.paid_vnd == 0 and not PaymentMatch.objects.exists()
    [issue] = result.issues
    # Unmatched with no request, as the queue offers matching by hand for those.
    assert (issue.kind, issue.request, issue.amount_vnd) == (IssueKind.UNMATCHED, None, 20_000)
    assert "tiền vào tài khoản khác tài khoản của khoản thu" in issue.detail and r.reference in issue.detail
    assert issue.agency == other.agency  # the officials of the account that holds the money see it


def test_matching_by_hand_across_accounts_needs_rights_over_both_and_is_audited(m: Money) -> None:
    r = m.request(20_000)
    other = _other_account(m)
    data = csv_statement([("02/03/2026", "FT001", "20000", f"Le phi {r.reference}")])
    rec.statement_import(account=other, data=data, actor=m.other_counter)
    issue = ReconciliationIssue.objects.get()
    for official in (m.counter, m.other_counter):  # each has rights over one agency only
        with pytest.raises(services.PaymentForbidden):
            rec.issue_match_by_hand(issue, reference=r.reference, note="x", actor=official)
    provincial = people.official(agency_prefix="000.00.00", roles=(Role.AGENCY_LEADER,))
    with pytest.raises(services.PaymentError):
        rec.issue_match_by_hand(issue, reference=r.reference, note=" ", actor=provincial)
    rec.issue_match_by_hand(
        issue, reference=r.reference, note="Phường bên chuyển lại theo công văn 12", actor=provincial
    )
    r.refresh_from_db()
    assert r.status == RequestStatus.PAID
    entry = AuditEntry.objects.get(event="payment_issue.matched_by_hand")
    assert entry.new is not None and entry.new["account_mismatch"] == {
        "transaction_account": "998877665544",
        "request_account": m.account.account_number,
    }


def test_a_known_transaction_id_with_another_amount_or_account_refuses_the_file(m: Money) -> None:
    r = m.request(20_000)
    _import(m, csv_statement([("02/03/2026", "FT001", "10000", r.reference)]))
    before = _state()
    changed = csv_statement(
        [("02/03/2026", "FT000", "5000", "x"), ("02/03/2026", "FT001", "15000", r.reference)]
    )
    with pytest.raises(rec.StatementError) as exc:
        _import(m, changed)
    assert [e.split(":")[0] for e in exc.value.errors] == ["Dòng 4"]
    assert "FT001" in exc.value.errors[0]
    other = _other_account(m)
    same_amount = csv_statement([("02/03/2026", "FT001", "10000", r.reference)], bom=True)
    with pytest.raises(rec.StatementError) as exc:
        rec.statement_import(account=other, data=same_amount, actor=None)
    assert [e.split(":")[0] for e in exc.value.errors] == ["Dòng 3"]
    assert _state() == before
    # The same transaction as stated before is still "already known".
    result = _import(m, csv_statement([("02/03/2026", "FT001", "10.000", r.reference)], sep=","))
    assert (result.added, result.already_known) == (0, 1)


@pytest.mark.parametrize("amount", ["Infinity", "-Infinity", "NaN", "sNaN", "1E+30", "10000000000000"])
def test_a_camt053_amount_that_is_not_a_finite_amount_of_dong_is_a_row_error(m: Money, amount: str) -> None:
    with pytest.raises(rec.StatementError) as exc:
        _import(m, camt053([("2026-03-02", "A", amount, "x")]))
    assert len(exc.value.errors) == 1 and exc.value.errors[0].startswith("Stmt 1, Ntry 1, TxDtls 1:")
    assert not BankTransaction.objects.exists()


def test_a_csv_amount_too_large_for_vietqr_is_a_row_error(m: Money) -> None:
    data = csv_statement(
        [("02/03/2026", "FT001", "9" * 40, "x"), ("02/03/2026", "FT002", "10.000.000.000.000", "x")]
    )
    with pytest.raises(rec.StatementError) as exc:
        _import(m, data)
    assert [e.split(":")[0] for e in exc.value.errors] == ["Dòng 3", "Dòng 4"]
    assert rec.parse_amount("9.999.999.999.999") == 10**13 - 1


@pytest.mark.parametrize("zero", ["0,00", "0.00", "0", "-", "0,0"])
def test_a_csv_credit_of_zero_is_no_credit(m: Money, zero: str) -> None:
    r = m.request(20_000)
    data = csv_statement(
        [("02/03/2026", "FT001", zero, "phi chuyen tien"), ("02/03/2026", "FT002", "20000", r.reference)]
    )
    result = _import(m, data)
    assert (result.rows, result.added) == (1, 1)
