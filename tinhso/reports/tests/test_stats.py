"""The statistics on hand-built dossiers whose every figure was counted by hand.

Times are local (UTC+7). The ward (UBND phường Hà Giang 2) receives permanent residence (1.004222, 7
working days, office hours 07:00–11:30 / 13:30–17:00) and birth registration (1 working day). Tết 2026 is
16–20 February; March 2026 has no holiday. Every dossier goes through the real transitions, with their
`at=` times.

Fees: reception opens a payment request for permanent residence (20.000 đ at the counter, 10.000 đ online,
`dossiers.fees`); birth registration is free. The ward has a collection account, so every request can be
paid by transfer; a payment is a bank statement imported (`payments.reconciliation.statement_import`).

The dossiers of `march()` (P = March 2026; "new" = received in March), each with what March counts:

- A, counter: received Wed 25/2 09:00, due Fri 6/3 09:00; approved Wed 4/3; rated 2/4.
  → carried over; processed early (its April rating is not March's).
- B, counter: received Mon 2/3 09:00, due Wed 11/3 09:00; extended (Mẫu 04, signed 9/3) to Fri 13/3
  17:00; approved 13/3 10:00; rated "không hài lòng" 16/3.
  → new; processed on time (against the extended date); rated not satisfied.
- C, counter: received Tue 3/3 09:00, due Thu 12/3 09:00; paused for a 50,000 đ fee Wed 4/3 09:00 → Fri
  6/3 09:00 (the due time moves by 2 working days: Mon 16/3 09:00); approved 16/3 10:00.
  → new; fee due (`fee_due_vnd`, and its requests, unpaid); processed on time (after its first due date,
  on the moved one).
- D, online: received Thu 5/3 09:00; withdrawn at the applicant's request Tue 10/3.
  → new, online; fee due (its fee request is still open); withdrawn.
- E1, counter: received Mon 2/3 10:00, due Wed 11/3 10:00; approved 11/3 10:03.
  → new; processed **on time**: 3 minutes late, on the due date (the rule compares dates).
- E2, counter: received Wed 4/3 09:00, due Fri 13/3 09:00; extended to Fri 20/3 23:58; approved Sat 21/3
  00:01. → new; processed **late**: 3 minutes late, on the next date.
- F, online: submitted Mon 9/3 09:00; refused (Mẫu 03) at 10:00.
  → refused (never received: outside the total).
- G, counter: received Tue 10/3 09:00; stopped (Mẫu 05) Thu 12/3; its fee request then cancelled.
  → new; stopped; no fee due (cancelled).
- I, counter: received Fri 20/3 09:00, due Tue 31/3 09:00; open; 10.000 đ of its 20.000 đ fee paid by
  transfer (partly paid). → new; fee due, **not** paid online (partly); in process, past the deadline at
  1/4 00:00.
- J, online: received Wed 25/3 09:00, due Fri 3/4 09:00; open. → new, online; in process within.
- K, counter, birth (1 working day): received Mon 23/3 09:00, due Tue 24/3 09:00; supplement asked
  (Mẫu 02) 24/3 08:00, still awaited.
  → new; supplement; in process **within** (its clock stopped before the due time; the full time
  restarts when the supplement arrives).
- M, online from the citizen's account: submitted Tue 3/3 09:00 with its one paper scanned; received
  10:00; approved Thu 5/3; returned online 14:00 (the e-result in the store); rated "rất hài lòng" 6/3.
  → new, online, digitised; processed early with an e-result; rated very satisfied; fee due (open).
- P, counter: received Mon 16/3 09:00; its 20.000 đ fee paid in full by transfer (a statement); approved
  Wed 18/3 10:00. → new; fee due, paid online; processed early.
- X, counter: received Tue 17/3 09:00; its fee exempted (with its legal ground); approved Thu 19/3 10:00.
  → new; no fee due (exempt); processed early.
- N, counter: received Mon 2/2, approved Thu 5/2; rated "hài lòng" Mon 2/3.
  → rated satisfied only (finished in February).
- O, counter: received Tue 10/2; withdrawn Thu 12/2. → nothing (closed before March: not carried over).

March, by hand:

| figure | count | dossiers |
|---|---|---|
| carried over | 1 | A |
| new | 12 | B C D E1 E2 G I J K M P X |
| of them online | 3 | D J M |
| received total | 13 | |
| processed | 8 | A B C E1 E2 M P X |
| early / on time / late | 4 / 3 / 1 | A M P X / B C E1 / E2 |
| in process | 3 | I J K |
| within / past the deadline | 2 / 1 | J K / I |
| supplement | 1 | K |
| refused / withdrawn / stopped | 1 / 1 / 1 | F / D / G |
| fee due | 9 | B C D E1 E2 I J M P (not G: cancelled; X: exempt; K: free) |
| paid online | 1 | P (not I: partly paid) |
| e-result | 1 | M |
| digitised | 1 | M (the others' paper has no file) |
| rated: very satisfied / satisfied / not | 3: 1 / 1 / 1 | M / N / B |

Balance: 13 = 8 processed + 3 in process + 1 withdrawn + 1 stopped. Shares: on time (4 + 3) / 8 = 87.5 %,
online 3 / 12 = 25.0 %, paid online 1 / 9 = 11.1 %, e-result 1 / 8 = 12.5 %, digitised 1 / 12 = 8.3 %, not
satisfied 1 / 3 = 33.3 %.

February, by hand: new 3 (N, O, A); processed 1 (N, early); withdrawn 1 (O); in process at the end 1 (A,
within: due 6/3) — March's carried over.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from PIL import Image

from tinhso.dossiers import fees, ratings
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, RatingChannel
from tinhso.dossiers.services import paper_file_add
from tinhso.dossiers.tests.factories import World, at, world
from tinhso.edocs.models import EDocument
from tinhso.payments import reconciliation as rec
from tinhso.payments import services as payments
from tinhso.payments.models import CollectionAccount, PaymentRequest, RequestKind, RequestStatus
from tinhso.reports.periods import Period
from tinhso.reports.scope import Scope
from tinhso.reports.stats import FIGURES, ReportError, dossier_report, dossiers_behind

pytestmark = pytest.mark.django_db

MARCH = Period.month(2026, 3)
FEBRUARY = Period.month(2026, 2)
NOW = at("2026-04-15 10:00")


@pytest.fixture
def w(reference_data: None) -> World:
    return world()


# --- Building the dossiers ----------------------------------------------------------------------------


def _plus(when: str, minutes: int) -> dt.datetime:
    return at(when) + dt.timedelta(minutes=minutes)


def to_leader(w: World, d: Dossier, when: str) -> Dossier:
    """From reception to the leader's approval step, in the quarter hour after `when`."""
    d = tr.hand_over(d, actor=w.counter, to=w.head, at=_plus(when, 5))
    d = tr.assign(d, actor=w.head, assignee=w.specialist, at=_plus(when, 10))
    return tr.hand_over(d, actor=w.specialist, to=w.leader, at=_plus(when, 15))


def approve(w: World, d: Dossier, when: str) -> Dossier:
    return tr.approve(d, actor=w.leader, result_note="Đã giải quyết", at=at(when))


def finished(w: World, *, received: str, done: str, channel: str = "counter") -> Dossier:
    d = online(w, when=received) if channel == "online" else w.received(when=received)
    return approve(w, to_leader(w, d, received), done)


def online(w: World, *, when: str) -> Dossier:
    d = w.submit(when=when, channel="online")
    return tr.receive(d, actor=w.counter, at=at(when))


def rate(w: World, d: Dossier, overall: str, when: str) -> None:
    answers = ratings.RatingAnswers(time=2, contacts=2, agencies=2, attitude=2, overall=overall)
    ratings.rating_submit(
        dossier=d, actor=w.counter, answers=answers, channel=RatingChannel.COUNTER_FORM, at=at(when)
    )


def fee_request(d: Dossier) -> PaymentRequest:
    """The dossier's reception fee request (one per dossier)."""
    return PaymentRequest.objects.get(subject_key=d.code, kind=RequestKind.FEE)


def pay_by_transfer(w: World, d: Dossier, amount: int, transaction: str) -> PaymentRequest:
    """A credit of `amount` with the fee's reference, in a bank statement of the ward's account, imported
    as the officials do (CSV: date; the bank's transaction id; amount; description)."""
    r = fee_request(d)
    assert r.account is not None
    csv = f"Ngày giao dịch;Mã giao dịch;Số tiền ghi có;Nội dung giao dịch\n18/03/2026;{transaction};{amount};"
    csv += f"Nop le phi {r.reference}"
    rec.statement_import(account=r.account, data=csv.encode(), actor=w.counter)
    r.refresh_from_db()
    return r


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 200, 200)).save(out, "JPEG")
    return out.getvalue()


def march(w: World) -> dict[str, Dossier]:
    """The dossiers of the module docstring's table, by letter."""
    ds: dict[str, Dossier] = {}
    CollectionAccount.objects.create(
        agency=w.ward, bank_bin="970415", account_number="113366668888", account_name="UBND PHUONG HA GIANG 2"
    )

    ds["N"] = finished(w, received="2026-02-02 09:00", done="2026-02-05 10:00")
    rate(w, ds["N"], "satisfied", "2026-03-02 10:00")

    ds["O"] = w.received(when="2026-02-10 09:00")
    tr.withdraw(ds["O"], actor=w.counter, reason="Người nộp xin rút", at=at("2026-02-12 09:00"))

    a = w.received(when="2026-02-25 09:00")
    assert a.due_at == at("2026-03-06 09:00")  # Thu 26, Fri 27 Feb, Mon 2 … Fri 6 Mar: 7 working days
    ds["A"] = approve(w, to_leader(w, a, "2026-02-25 09:00"), "2026-03-04 10:00")
    assert ds["A"].punctuality == "early"
    rate(w, ds["A"], "satisfied", "2026-04-02 10:00")

    b = to_leader(w, w.received(when="2026-03-02 09:00"), "2026-03-02 09:00")
    assert b.due_at == at("2026-03-11 09:00")
    b = tr.extend(
        b,
        actor=w.leader,
        reason="Cần xác minh thêm nơi ở",
        new_due=at("2026-03-13 17:00"),
        at=at("2026-03-09 09:00"),
    )
    ds["B"] = approve(w, b, "2026-03-13 10:00")
    assert ds["B"].punctuality == "on_time" and ds["B"].extensions == 1
    rate(w, ds["B"], "not_satisfied", "2026-03-16 10:00")

    c = to_leader(w, w.received(when="2026-03-03 09:00"), "2026-03-03 09:00")
    assert c.due_at == at("2026-03-12 09:00")
    c = tr.pause_for_payment(
        c, actor=w.counter, reason="Nộp lệ phí đăng ký cư trú", amount_vnd=50_000, at=at("2026-03-04 09:00")
    )
    c = tr.resume_after_payment(c, actor=w.counter, at=at("2026-03-06 09:00"))
    assert c.due_at == at("2026-03-16 09:00")  # the two paused working days added
    ds["C"] = approve(w, c, "2026-03-16 10:00")
    assert ds["C"].punctuality == "on_time" and ds["C"].fee_due_vnd == 50_000

    ds["D"] = tr.withdraw(
        online(w, when="2026-03-05 09:00"), actor=w.counter, reason="Xin rút", at=at("2026-03-10 09:00")
    )

    e1 = to_leader(w, w.received(when="2026-03-02 10:00"), "2026-03-02 10:00")
    assert e1.due_at == at("2026-03-11 10:00")
    ds["E1"] = approve(w, e1, "2026-03-11 10:03")
    assert ds["E1"].punctuality == "on_time"  # 3 minutes after the due time, on the due date

    e2 = to_leader(w, w.received(when="2026-03-04 09:00"), "2026-03-04 09:00")
    e2 = tr.extend(
        e2,
        actor=w.leader,
        reason="Chờ kết quả xác minh",
        new_due=at("2026-03-20 23:58"),
        at=at("2026-03-10 09:00"),
    )
    ds["E2"] = approve(w, e2, "2026-03-21 00:01")
    assert ds["E2"].punctuality == "late"  # 3 minutes after the due time, on the next date

    f = w.submit(when="2026-03-09 09:00", channel="online")
    ds["F"] = tr.refuse(f, actor=w.counter, reason="Không thuộc thẩm quyền", at=at("2026-03-09 10:00"))

    g = w.received(when="2026-03-10 09:00")
    ds["G"] = tr.stop(g, actor=w.leader, reason="Có tranh chấp", at=at("2026-03-12 10:00"))
    cancelled = payments.payment_request_cancel(fee_request(g), reason="Dừng giải quyết", actor=w.counter)
    assert cancelled.status == RequestStatus.CANCELLED

    ds["I"] = w.received(when="2026-03-20 09:00")
    assert ds["I"].due_at == at("2026-03-31 09:00")
    partly = pay_by_transfer(w, ds["I"], 10_000, "FT26079001")
    assert (partly.status, partly.paid_vnd, partly.amount_vnd) == (RequestStatus.PARTLY_PAID, 10_000, 20_000)

    ds["J"] = online(w, when="2026-03-25 09:00")
    assert ds["J"].due_at == at("2026-04-03 09:00")

    k = w.received(when="2026-03-23 09:00", binding=w.birth)
    assert k.due_at == at("2026-03-24 09:00")
    ds["K"] = tr.request_supplement(
        k,
        actor=w.counter,
        items=[tr.MissingItem(paper="Giấy chứng sinh", reason="Bản chụp mờ, không đọc được")],
        at=at("2026-03-24 08:00"),
    )

    m = tr.submit(
        binding=w.residence,
        channel="online",
        applicant=tr.Applicant(name=w.citizen.full_name, user=w.citizen),
        actor=w.citizen,
        papers=[tr.PaperSpec(name="Tờ khai thay đổi thông tin cư trú (CT01)")],
        at=at("2026-03-03 09:00"),
    )
    paper_file_add(paper=m.papers.get(), upload=jpeg(), name="to-khai.jpg", actor=w.citizen)
    m = to_leader(w, tr.receive(m, actor=w.counter, at=at("2026-03-03 10:00")), "2026-03-03 10:00")
    m = approve(w, m, "2026-03-05 10:00")
    ds["M"] = tr.return_result(m, actor=w.counter, method="online", at=at("2026-03-05 14:00"))
    assert EDocument.objects.filter(source_dossier_code=m.code, kind="result").count() == 1
    ratings.rating_submit(
        dossier=m,
        actor=w.citizen,
        answers=ratings.RatingAnswers(time=2, contacts=2, agencies=2, attitude=2, overall="very_satisfied"),
        channel=RatingChannel.ONLINE,
        at=at("2026-03-06 10:00"),
    )

    p = w.received(when="2026-03-16 09:00")
    paid = pay_by_transfer(w, p, 20_000, "FT26079002")
    assert (paid.status, paid.paid_vnd) == (RequestStatus.PAID, 20_000)
    ds["P"] = approve(w, to_leader(w, p, "2026-03-16 09:00"), "2026-03-18 10:00")
    assert ds["P"].punctuality == "early"

    x = w.received(when="2026-03-17 09:00")
    exempt = fees.fee_exempt(
        x, fee_request(x), ground="Điều 4 Thông tư 75/2022/TT-BTC: người có công", actor=w.counter
    )
    assert exempt.status == RequestStatus.EXEMPT
    ds["X"] = approve(w, to_leader(w, x, "2026-03-17 09:00"), "2026-03-19 10:00")
    assert ds["X"].punctuality == "early" and ds["X"].fee_due_vnd == 0
    return ds


MARCH_BY_HAND = {
    "received_total": "A B C D E1 E2 G I J K M P X",
    "carried_over": "A",
    "received_new": "B C D E1 E2 G I J K M P X",
    "received_online": "D J M",
    "processed": "A B C E1 E2 M P X",
    "processed_early": "A M P X",
    "processed_on_time": "B C E1",
    "processed_late": "E2",
    "in_process": "I J K",
    "in_process_within": "J K",
    "in_process_overdue": "I",
    "supplement": "K",
    "refused": "F",
    "withdrawn": "D",
    "stopped": "G",
    "fee_due": "B C D E1 E2 I J M P",
    "paid_online": "P",
    "processed_e_result": "M",
    "received_digitised": "M",
    "rated": "B M N",
    "rated_very_satisfied": "M",
    "rated_satisfied": "N",
    "rated_not_satisfied": "B",
}


# --- The figures --------------------------------------------------------------------------------------


def test_every_march_figure_is_the_hand_count_and_its_list_is_those_dossiers(w: World) -> None:
    ds = march(w)
    assert set(MARCH_BY_HAND) == set(FIGURES)
    report = dossier_report(MARCH, Scope(), now=NOW)
    for figure, letters in MARCH_BY_HAND.items():
        expected = {ds[x].code for x in letters.split()}
        assert report.total.counts[figure] == len(expected), figure
        behind = set(dossiers_behind(MARCH, Scope(), figure, now=NOW).values_list("code", flat=True))
        assert behind == expected, figure


def test_a_report_of_some_figures_counts_them_alike_and_refuses_unknown_ones(w: World) -> None:
    ds = march(w)
    some = ["supplement", "rated_not_satisfied", "processed_e_result", "received_digitised", "processed"]
    report = dossier_report(MARCH, Scope(), now=NOW, figures=some)
    assert report.total.counts == {k: len(MARCH_BY_HAND[k].split()) for k in some}
    assert {ds[x].code for x in MARCH_BY_HAND["supplement"].split()} == {ds["K"].code}
    assert report.total.ratios == {"e_result_ratio": Decimal("12.5")}  # only what its figures give
    for wrong in (["nothing"], []):
        with pytest.raises(ReportError):
            dossier_report(MARCH, Scope(), now=NOW, figures=wrong)


def test_the_march_shares_are_computed_from_the_counts_online_payment_too(w: World) -> None:
    march(w)
    report = dossier_report(MARCH, Scope(), now=NOW)
    assert report.total.ratios == {
        "on_time_ratio": Decimal("87.5"),
        "online_ratio": Decimal("25.0"),
        "paid_online_ratio": Decimal("11.1"),
        "e_result_ratio": Decimal("12.5"),
        "digitised_ratio": Decimal("8.3"),
        "not_satisfied_ratio": Decimal("33.3"),
    }
    assert report.total.balances
    assert report.unknown_ratios == {} and report.unknown_notes == []


def test_online_payment_reads_the_requests_status_now(w: World) -> None:
    ds = march(w)
    # I's second transfer completes its fee: paid in full now, so paid online.
    assert pay_by_transfer(w, ds["I"], 10_000, "FT26079003").status == RequestStatus.PAID
    # J's fee is cancelled, and it has nothing else to pay: no longer a fee due.
    payments.payment_request_cancel(fee_request(ds["J"]), reason="Thu nhầm", actor=w.counter)
    counts = dossier_report(MARCH, Scope(), now=NOW, figures=["fee_due", "paid_online"]).total.counts
    assert counts == {"fee_due": 8, "paid_online": 2}
    behind = dossiers_behind(MARCH, Scope(), "paid_online", now=NOW).values_list("code", flat=True)
    assert set(behind) == {ds["I"].code, ds["P"].code}
    # Online only (D J M): D and M have fees due, none paid.
    online = dossier_report(MARCH, Scope(channel="online"), now=NOW).total
    assert (online.counts["fee_due"], online.counts["paid_online"], online.ratios["paid_online_ratio"]) == (
        2,
        0,
        Decimal("0.0"),
    )


def test_february_leaves_in_process_exactly_what_march_carries_over(w: World) -> None:
    ds = march(w)
    feb = dossier_report(FEBRUARY, Scope(), now=NOW).total.counts
    assert (feb["received_new"], feb["processed"], feb["processed_early"], feb["withdrawn"]) == (3, 1, 1, 1)
    assert (feb["in_process"], feb["in_process_within"], feb["carried_over"]) == (1, 1, 0)
    behind = dossiers_behind(FEBRUARY, Scope(), "in_process", now=NOW)
    assert list(behind.values_list("code", flat=True)) == [ds["A"].code]
    assert feb["in_process"] == dossier_report(MARCH, Scope(), now=NOW).total.counts["carried_over"]


def test_rows_by_channel_split_march_as_counted_by_hand(w: World) -> None:
    march(w)
    report = dossier_report(MARCH, Scope(), now=NOW, group_by="channel")
    rows = {r.key: r.counts for r in report.rows}
    assert set(rows) == {"counter", "online"}
    # Online: D J M received, M processed early, J in process, D withdrawn, F refused, M rated.
    assert {k: rows["online"][k] for k in ("received_new", "processed", "in_process", "withdrawn")} == {
        "received_new": 3,
        "processed": 1,
        "in_process": 1,
        "withdrawn": 1,
    }
    assert (rows["online"]["refused"], rows["online"]["rated"], rows["online"]["processed_early"]) == (
        1,
        1,
        1,
    )
    # Counter: A carried; B C E1 E2 G I K P X new; A B C E1 E2 P X processed; I K open; G stopped; B N
    # rated.
    # P X (counter): new, processed early; P paid online.
    assert (rows["counter"]["carried_over"], rows["counter"]["received_new"]) == (1, 9)
    assert (rows["counter"]["processed"], rows["counter"]["processed_late"]) == (7, 1)
    assert (rows["counter"]["fee_due"], rows["counter"]["paid_online"]) == (6, 1)  # B C E1 E2 I P
    assert (rows["online"]["fee_due"], rows["online"]["paid_online"]) == (3, 0)  # D J M
    assert (rows["counter"]["in_process_overdue"], rows["counter"]["in_process_within"]) == (1, 1)
    assert (rows["counter"]["stopped"], rows["counter"]["rated"]) == (1, 2)
    assert all(r.balances for r in report.rows)
    assert report.total.counts == dossier_report(MARCH, Scope(), now=NOW).total.counts


def test_scopes_combine_and_each_keeps_only_its_dossiers(w: World) -> None:
    ds = march(w)
    birth = dossier_report(MARCH, Scope(procedure=w.birth.procedure), now=NOW).total.counts
    assert (birth["received_new"], birth["supplement"], birth["in_process_within"]) == (1, 1, 1)
    assert sum(birth.values()) == 5  # received total and new, supplement, in process (within)
    online_ward = Scope(agency=w.ward, channel="online")
    counts = dossier_report(MARCH, online_ward, now=NOW).total.counts
    assert (counts["received_new"], counts["refused"], counts["received_digitised"]) == (3, 1, 1)
    field = dossier_report(MARCH, Scope(field=w.residence.procedure.field), now=NOW).total.counts
    assert field["received_new"] == 11 and field["supplement"] == 0
    commune = w.ward.commune
    assert commune is not None
    by_commune = dossier_report(MARCH, Scope(commune=commune), now=NOW).total.counts
    assert by_commune == dossier_report(MARCH, Scope(agency=w.ward), now=NOW).total.counts
    assert by_commune["received_total"] == 13
    nothing = dossier_report(MARCH, Scope(agency=w.other_ward), now=NOW).total.counts
    assert set(nothing.values()) == {0}
    assert not dossiers_behind(MARCH, Scope(agency=w.other_ward), "received_total", now=NOW).filter(
        code=ds["A"].code
    )


def test_ratings_in_the_report_are_the_rating_summarys_counts(w: World) -> None:
    march(w)
    summary = ratings.rating_summary(agency=w.ward, period=MARCH)
    counts = dossier_report(MARCH, Scope(agency=w.ward), now=NOW).total.counts
    assert counts["rated"] == summary.total == 3
    assert counts["rated_very_satisfied"] == summary.overall["very_satisfied"]
    assert counts["rated_satisfied"] == summary.overall["satisfied"]
    assert counts["rated_not_satisfied"] == summary.overall["not_satisfied"]


def test_rows_by_month_sum_new_dossiers_but_not_what_is_carried_over(w: World) -> None:
    ds = march(w)
    spring = Period.custom(dt.date(2026, 2, 1), dt.date(2026, 3, 31))
    report = dossier_report(spring, Scope(), now=NOW, group_by="month")
    assert [r.key for r in report.rows] == ["2026-02", "2026-03"]
    assert [r.label for r in report.rows] == ["Tháng 2/2026", "Tháng 3/2026"]
    feb, mar = (r.counts for r in report.rows)
    assert feb == dossier_report(FEBRUARY, Scope(), now=NOW).total.counts
    assert mar == dossier_report(MARCH, Scope(), now=NOW).total.counts
    total = report.total.counts
    assert total["received_new"] == feb["received_new"] + mar["received_new"] == 15
    assert total["carried_over"] == 0 and mar["carried_over"] == 1  # A is carried into March, not into spring
    assert total["in_process"] == mar["in_process"] == 3
    assert total["rated"] == 3 and total["processed"] == 9
    carried = dossiers_behind(spring, Scope(), "carried_over", now=NOW, group_by="month", row="2026-03")
    assert list(carried.values_list("code", flat=True)) == [ds["A"].code]
    assert not dossiers_behind(spring, Scope(), "carried_over", now=NOW)


def test_while_the_period_runs_in_process_is_counted_now(w: World) -> None:
    d = to_leader(w, w.received(when="2026-03-02 10:00"), "2026-03-02 10:00")
    assert d.due_at == at("2026-03-11 10:00")
    before = dossier_report(MARCH, Scope(), now=at("2026-03-11 09:59"))
    after = dossier_report(MARCH, Scope(), now=at("2026-03-11 10:01"))
    assert (before.total.counts["in_process_within"], before.total.counts["in_process_overdue"]) == (1, 0)
    assert (after.total.counts["in_process_within"], after.total.counts["in_process_overdue"]) == (0, 1)
    assert not after.ended and dossier_report(MARCH, Scope(), now=NOW).ended


def test_a_dossier_paused_for_payment_past_the_periods_end_counts_within(w: World) -> None:
    d = to_leader(w, w.received(when="2026-03-02 10:00"), "2026-03-02 10:00")
    tr.pause_for_payment(d, actor=w.counter, reason="Lệ phí", amount_vnd=20_000, at=at("2026-03-10 10:00"))
    counts = dossier_report(MARCH, Scope(), now=NOW).total.counts
    # Due Wed 11/3 10:00, but the clock stopped on 10/3 and has not restarted: not the agency's delay.
    assert (counts["in_process_within"], counts["in_process_overdue"]) == (1, 0)


def test_a_dossier_already_late_when_paused_for_payment_stays_late(w: World) -> None:
    d = to_leader(w, w.received(when="2026-03-02 10:00"), "2026-03-02 10:00")
    tr.pause_for_payment(d, actor=w.counter, reason="Lệ phí", amount_vnd=20_000, at=at("2026-03-11 10:01"))
    counts = dossier_report(MARCH, Scope(), now=NOW).total.counts
    assert (counts["in_process_within"], counts["in_process_overdue"]) == (0, 1)


def test_the_period_labels_are_vietnamese() -> None:
    assert Period.month(2026, 3).label == "Tháng 3/2026"
    assert Period.quarter(2026, 1).label == "Quý I/2026"
    assert Period.quarter(2026, 4).label == "Quý IV/2026"
    assert Period.year(2026).label == "Năm 2026"
    assert Period.custom(dt.date(2026, 3, 1), dt.date(2026, 3, 15)).label == "Từ 01/03/2026 đến 15/03/2026"
    assert Period.quarter(2026, 1).bounds() == (at("2026-01-01 00:00"), at("2026-04-01 00:00"))
    assert Period.quarter_of(dt.date(2026, 11, 5)) == Period.quarter(2026, 4)
