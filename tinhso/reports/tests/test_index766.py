"""The Decision 766 index (one-stop.md §12) computed from hand-built dossiers, ratings and feedback.

Every dossier goes through the real transitions. Permanent residence (*đăng ký thường trú*) takes 7 working
days; March 2026 has no holiday. The period is March 2026, seen on 15 April 2026, so the cut-off is the end
of the period (1 April 00:00). The ward is Ủy ban nhân dân phường Hà Giang 2 (commune level).

Dossiers (`scene`); "ctr" = received at the counter, "onl" = submitted online from the applicant's
account; due dates in brackets; "store" = a file attached from the applicant's e-document store:

| | chan. | received | processing finished | afterwards | papers | at the cut-off |
|---|---|---|---|---|---|---|
| A | ctr | Mon 2/3 09:00 (11/3) | Fri 6/3, early | returned 6/3, ctr | 1, file | rated "Hài lòng" |
| B | onl | Mon 2/3 09:00 (11/3) | Wed 11/3, on time | returned online | 2: store, none | rated badly; F3 |
| C | ctr | Mon 2/3 09:00 (11/3) | Fri 13/3, late | returned 13/3, ctr | 1, none | |
| D | ctr | Mon 23/3 09:00 (1/4) | — | | 1, file | in process, within |
| E | ctr | Thu 12/3 09:00 (23/3) | — | | 1, file (*) | in process, late |
| F | ctr | Mon 2/3 09:00 (11/3) | — | supplement Tue 3/3 | 1, none | clock stopped: within |
| G | onl (2) | Thu 26/2 09:00 (9/3) | Wed 4/3, early | not returned | 1, none | PAKN F1 |
| H | onl | Mon 2/3 09:05 | — | withdrawn 3/3 | 1, store | closed |
| K | ctr | Mon 2/3 09:00 (11/3) | Thu 5/3, rejected, early | returned 5/3, ctr | 1, none | |
| I | onl | refused at reception | | | | never received |
| J | ctr, other ward | Tue 10/3 09:00 (19/3) | — | | 1, none | in process, late |

"Rated badly": "Không hài lòng". (*) the very bytes of the citizen's stored paper, but E's applicant has
no account: not a reuse. G is the dossier of a second citizen; B, H and I of the first, whose store holds
one earlier paper. Reception opened a fee request (permanent residence: 20.000 đ at the counter, 10.000 đ
online) for every received dossier; none is paid.

Feedback (PAKN, answer due 10 working days after reception), all to the ward:

| | about | received | due | answered | author's view |
|---|---|---|---|---|---|
| F1 | dossier G | Thu 5/3 | 19/3 | 10/3, early | satisfied |
| F2 | the procedure | Mon 2/3 | 16/3 | 25/3, late | — |
| F3 | dossier B | Thu 12/3 | 26/3 | 13/3, early | not satisfied |
| F4 | the procedure | Mon 30/3 | 13/4 | — (not yet due at the cut-off) | — |
| F5 | the procedure | Tue 3/3 | 17/3 | — (overdue at the cut-off) | — |

Expected, by hand, for the ward; the province adds J (in process, late) to every dossier denominator but
the finished and returned ones:

| indicator | numerator | denominator | ward points | province |
|---|---|---|---|---|
| DVC_PROGRESS | ABGK + DF = 6 | finished ABCGK + in process DEF = 8 | 20 × 6/8 = 15.00 | 6/9: 13.33 |
| CHANNEL_SHARE (tracked) | BH = 2 | received in March ABCDEFHK = 8 | — | 2/9 |
| ORIGINAL_RESULT_AVAILABLE | B = 1 | returned, approved ABC = 3 | 6 × 1/3 = 2.00 provisional | same |
| SO_HOA_GIAY_TO_GIAI_QUYET | ADEH = 4 | 8 | 4 × 4/8 = 2.00 provisional | 4/9: 1.78 |
| REUSED_DIGITIZED_DATA | BH = 2 | 8 | 2 × 2/8 = 0.50 | 2/9: 0.44 |
| DOSSIER_RECEIVING_SATISFACTION | AK = 2 | finished ABCGK = 5 | 6 × 2/5 = 2.40 | same |
| PETITION_PROCESSING_ON_TIME | F1 F3 + F4 = 3 | F1–F5 = 5 | 6 × 3/5 = 3.60 | same |
| PETITION_HANDLING_SATISFACTION | F1 = 1 | answered F1 F2 F3 = 3 | 6 × 1/3 = 2.00 | same |
| ONLINE_PAYMENT | none paid = 0 | fee to pay, received ABCDEFHK = 8 | 10 × 0/8 = 0.00 provisional | 0/9 |
| PROVIDE_ONLINE_DOSSIER | — | — | not applicable | 0/0 (**) |

(**) nothing to measure: residence's online level is unknown in the catalog; the note counts its 9
dossiers received in March.

Ward totals: computed 15 + 0.5 + 2.4 + 3.6 + 2 = 23.50 of 40 possible; provisional 2 + 2 + 0 = 4.00 of
6 + 4 + 10 = 20; without data 6 + 4 + 2 + 6 + 2 + 4 = 24; applicable 100 − 12 − 2 − 2 = 84 (= 40 + 20 + 24).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.tests import factories as people
from tinhso.dossiers import feedback as fb
from tinhso.dossiers import fees, ratings
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, Feedback, PaperFile, RatingChannel, Status
from tinhso.dossiers.services import paper_file_add
from tinhso.dossiers.tests.factories import World, at, bind, world
from tinhso.edocs.models import EDocument
from tinhso.edocs.services import edoc_copy_for_reuse
from tinhso.edocs.tests import factories as edocs_factories
from tinhso.payments import reconciliation as rec
from tinhso.payments import services as payments
from tinhso.payments.models import CollectionAccount, PaymentRequest, RequestKind, RequestStatus
from tinhso.procedures import services as procedure_services
from tinhso.procedures.models import Procedure, ProcedureBinding
from tinhso.reports import index766 as ix
from tinhso.reports.periods import Period
from tinhso.reports.scope import Scope
from tinhso.reports.stats import dossier_report

pytestmark = pytest.mark.django_db

MARCH = ix.Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
SEEN = at("2026-04-15 09:00")
GOOD = ratings.RatingAnswers(time=2, contacts=2, agencies=2, attitude=2, overall="satisfied")
BAD = ratings.RatingAnswers(time=1, contacts=1, agencies=2, attitude=1, overall="not_satisfied")


@pytest.fixture
def w(reference_data: None) -> World:
    return world()


# --- Building dossiers through the real transitions ------------------------------------------------------


def citizen(n: int) -> User:
    return people.citizen(
        full_name=f"Nguyễn Văn Dân {n}", phone=f"09800000{n:02d}", email=f"dan{n}@example.vn"
    )


def counter_dossier(
    w: World, when: str, *, binding: ProcedureBinding | None = None, actor: User | None = None
) -> Dossier:
    """Received at the counter of the binding's unit (the ward by default)."""
    actor = actor or w.counter
    d = tr.submit(
        binding=binding or w.residence,
        channel="counter",
        applicant=tr.Applicant(name="Trần Văn Bốn", id_number="008190054321", phone="0912000111"),
        actor=actor,
        papers=[tr.PaperSpec(name="Tờ khai thay đổi thông tin cư trú (CT01)")],
        at=at(when),
    )
    return tr.receive(d, actor=actor, at=at(when))


def online_submitted(w: World, person: User, when: str, papers: int = 1) -> Dossier:
    names = ["Tờ khai thay đổi thông tin cư trú (CT01)", "Giấy tờ chứng minh chỗ ở hợp pháp"]
    return tr.submit(
        binding=w.residence,
        channel="online",
        applicant=tr.Applicant(
            name=person.full_name, user=person, phone=person.phone or "", email=person.email
        ),
        actor=person,
        papers=[tr.PaperSpec(name=n) for n in names[:papers]],
        at=at(when),
    )


def to_leader(w: World, d: Dossier, *, start: str, leader: str) -> Dossier:
    """Counter → head → specialist → leader (the ward's internal process)."""
    d = tr.hand_over(d, actor=w.counter, to=w.head, at=at(start))
    d = tr.assign(d, actor=w.head, assignee=w.specialist, at=at(start) + dt.timedelta(minutes=30))
    return tr.hand_over(d, actor=w.specialist, to=w.leader, at=at(leader))


def approved(w: World, d: Dossier, *, start: str, leader: str, finished: str) -> Dossier:
    d = to_leader(w, d, start=start, leader=leader)
    return tr.approve(d, actor=w.leader, result_note="Đã đăng ký thường trú", at=at(finished))


def paper(d: Dossier, index: int = 0) -> object:
    return list(d.papers.order_by("order", "pk"))[index]


def upload(d: Dossier, content: bytes, actor: User, index: int = 0) -> PaperFile:
    return paper_file_add(paper=paper(d, index), upload=content, name="giay-to.pdf", actor=actor)  # type: ignore[arg-type]


def attach_stored(person: User, d: Dossier, doc: EDocument, index: int = 0) -> PaperFile:
    """As the e-form does (portal.edocs_seam): a copy from the person's store, attached as a file."""
    copy = edoc_copy_for_reuse(document=doc, actor=person)
    return paper_file_add(paper=paper(d, index), upload=copy.content, name=copy.filename, actor=person)  # type: ignore[arg-type]


def anonymous_feedback(w: World, when: str) -> Feedback:
    return fb.feedback_submit(
        kind="recommendation",
        title="Rút ngắn thời gian đăng ký thường trú",
        content="Đề nghị cho nộp bản chụp giấy tờ qua mạng.",
        actor=None,
        procedure=w.residence.procedure,
        agency=w.ward,
        contact_phone="0987654321",
        at=at(when),
    )


@dataclass
class Scene:
    dossiers: dict[str, Dossier]
    feedback: dict[str, Feedback]

    def codes(self, *names: str) -> set[str]:
        return {self.dossiers[n].code for n in names}

    def name_of(self, code: str) -> str:
        return next(n for n, d in self.dossiers.items() if d.code == code)


def scene(w: World) -> Scene:
    """The dossiers and feedback of the module docstring's tables."""
    me, other = citizen(1), citizen(2)
    stored_bytes = edocs_factories.pdf("Giấy xác nhận thông tin về cư trú")
    stored = edocs_factories.result(me, content=stored_bytes, source_dossier_code="000.00.30.H60-250115-0001")

    a = counter_dossier(w, "2026-03-02 09:00")
    upload(a, edocs_factories.jpeg(), w.counter)
    a = approved(w, a, start="2026-03-02 10:00", leader="2026-03-05 10:00", finished="2026-03-06 09:00")
    a = tr.return_result(a, actor=w.counter, method="counter", at=at("2026-03-06 10:00"))
    ratings.rating_submit(
        dossier=a,
        actor=w.counter,
        answers=GOOD,
        channel=RatingChannel.COUNTER_FORM,
        at=at("2026-03-06 10:05"),
    )

    b = online_submitted(w, me, "2026-03-02 08:30", papers=2)
    attach_stored(me, b, stored, index=1)
    b = tr.receive(b, actor=w.counter, at=at("2026-03-02 09:00"))
    b = approved(w, b, start="2026-03-02 10:00", leader="2026-03-10 10:00", finished="2026-03-11 16:00")
    b = tr.return_result(b, actor=w.counter, method="online", at=at("2026-03-12 09:00"))
    ratings.rating_submit(
        dossier=b, actor=me, answers=BAD, channel=RatingChannel.ONLINE, at=at("2026-03-12 10:00")
    )

    c = counter_dossier(w, "2026-03-02 09:00")
    c = approved(w, c, start="2026-03-02 10:00", leader="2026-03-12 10:00", finished="2026-03-13 09:00")
    c = tr.return_result(c, actor=w.counter, method="counter", at=at("2026-03-13 16:00"))

    d = counter_dossier(w, "2026-03-23 09:00")
    upload(d, edocs_factories.pdf("Tờ khai CT01 của D"), w.counter)

    e = counter_dossier(w, "2026-03-12 09:00")
    upload(e, stored_bytes, w.counter)  # the same bytes as the citizen's stored paper: not E's applicant's

    f = counter_dossier(w, "2026-03-02 09:00")
    f = tr.request_supplement(
        f,
        actor=w.counter,
        items=[tr.MissingItem("Giấy tờ chứng minh chỗ ở hợp pháp", "Bản chụp mờ, không đọc được")],
        at=at("2026-03-03 10:00"),
    )

    g = tr.receive(online_submitted(w, other, "2026-02-26 08:00"), actor=w.counter, at=at("2026-02-26 09:00"))
    g = approved(w, g, start="2026-02-26 10:00", leader="2026-03-03 10:00", finished="2026-03-04 09:00")

    h = online_submitted(w, me, "2026-03-02 08:45")
    attach_stored(me, h, stored)
    h = tr.receive(h, actor=w.counter, at=at("2026-03-02 09:05"))
    h = tr.withdraw(h, actor=me, reason="Nộp nhầm thủ tục", at=at("2026-03-03 09:00"))

    k = counter_dossier(w, "2026-03-02 09:00")
    k = to_leader(w, k, start="2026-03-02 10:00", leader="2026-03-04 10:00")
    k = tr.reject(k, actor=w.leader, reason="Chỗ ở không hợp pháp", at=at("2026-03-05 09:00"))
    k = tr.return_result(k, actor=w.counter, method="counter", at=at("2026-03-05 10:00"))

    i = tr.refuse(
        online_submitted(w, me, "2026-03-02 08:50"),
        actor=w.counter,
        reason="Sai thủ tục",
        at=at("2026-03-02 09:10"),
    )

    other_ward = bind(w.residence.procedure, w.other_ward)
    j = counter_dossier(w, "2026-03-10 09:00", binding=other_ward, actor=w.other_counter)

    f1 = fb.feedback_submit(
        kind="complaint",
        title="Chưa trả kết quả",
        content="Hồ sơ G chưa có kết quả.",
        actor=other,
        dossier=g,
        at=at("2026-03-05 09:00"),
    )
    fb.feedback_answer(feedback=f1, official=w.counter, answer="Đã có kết quả.", at=at("2026-03-10 09:00"))
    fb.feedback_rate_answer(feedback=f1, actor=other, satisfaction="satisfied", at=at("2026-03-10 10:00"))
    f2 = anonymous_feedback(w, "2026-03-02 09:00")
    fb.feedback_answer(feedback=f2, official=w.counter, answer="Xin tiếp thu.", at=at("2026-03-25 09:00"))
    f3 = fb.feedback_submit(
        kind="complaint",
        title="Cán bộ hướng dẫn chưa rõ",
        content="…",
        actor=me,
        dossier=b,
        at=at("2026-03-12 10:30"),
    )
    fb.feedback_answer(feedback=f3, official=w.counter, answer="Xin lỗi ông.", at=at("2026-03-13 09:00"))
    fb.feedback_rate_answer(feedback=f3, actor=me, satisfaction="not_satisfied", at=at("2026-03-13 10:00"))
    f4 = anonymous_feedback(w, "2026-03-30 09:00")
    f5 = anonymous_feedback(w, "2026-03-03 09:00")

    return Scene(
        dossiers={"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g, "H": h, "K": k, "I": i, "J": j},
        feedback={"F1": f1, "F2": f2, "F3": f3, "F4": f4, "F5": f5},
    )


# --- The scene is what the tables say --------------------------------------------------------------------


def test_the_scene_is_what_the_tables_say(w: World) -> None:
    s = scene(w)
    d = {n: Dossier.objects.get(pk=x.pk) for n, x in s.dossiers.items()}
    assert [d[n].punctuality for n in "ABCGK"] == ["early", "on_time", "late", "early", "early"]
    assert d["D"].due_at == at("2026-04-01 09:00") and d["E"].due_at == at("2026-03-23 09:00")
    assert (d["F"].status, d["H"].status, d["I"].status) == (
        Status.SUPPLEMENT,
        Status.WITHDRAWN,
        Status.REFUSED,
    )
    assert d["F"].due_at is not None and d["F"].due_at < at(
        "2026-04-01 00:00"
    )  # stale, but the clock is stopped
    assert set(EDocument.objects.filter(kind="result").values_list("source_dossier_code", flat=True)) == {
        "000.00.30.H60-250115-0001",
        d["B"].code,
    }
    f = {n: Feedback.objects.get(pk=x.pk) for n, x in s.feedback.items()}
    assert [f[n].punctuality for n in ("F1", "F2", "F3")] == ["early", "late", "early"]
    assert f["F4"].due_at == at("2026-04-13 09:00") and f["F5"].due_at == at("2026-03-17 09:00")


# --- The ward's index ------------------------------------------------------------------------------------

WARD_EXPECTED = {
    # code: (numerator, denominator, points, state)
    "DVC_PROGRESS": (6, 8, Decimal("15.00"), ix.State.COMPUTED),
    "CHANNEL_SHARE": (2, 8, None, ix.State.COMPUTED),
    "ORIGINAL_RESULT_AVAILABLE": (1, 3, Decimal("2.00"), ix.State.PROVISIONAL),
    "SO_HOA_GIAY_TO_GIAI_QUYET": (4, 8, Decimal("2.00"), ix.State.PROVISIONAL),
    "REUSED_DIGITIZED_DATA": (2, 8, Decimal("0.50"), ix.State.COMPUTED),
    "DOSSIER_RECEIVING_SATISFACTION": (2, 5, Decimal("2.40"), ix.State.COMPUTED),
    "PETITION_PROCESSING_ON_TIME": (3, 5, Decimal("3.60"), ix.State.COMPUTED),
    "PETITION_HANDLING_SATISFACTION": (1, 3, Decimal("2.00"), ix.State.COMPUTED),
    "ONLINE_PAYMENT": (0, 8, Decimal("0.00"), ix.State.PROVISIONAL),
}
# The exact lists behind the ward's dossier numerators and denominators.
WARD_LISTS = {
    "DVC_PROGRESS": ("ABGKDF", "ABCGKDEF"),
    "CHANNEL_SHARE": ("BH", "ABCDEFHK"),
    "ORIGINAL_RESULT_AVAILABLE": ("B", "ABC"),
    "SO_HOA_GIAY_TO_GIAI_QUYET": ("ADEH", "ABCDEFHK"),
    "REUSED_DIGITIZED_DATA": ("BH", "ABCDEFHK"),
    "DOSSIER_RECEIVING_SATISFACTION": ("AK", "ABCGK"),
    "ONLINE_PAYMENT": ("", "ABCDEFHK"),
}
FEEDBACK_LISTS = {
    "PETITION_PROCESSING_ON_TIME": (("F1", "F3", "F4"), ("F1", "F2", "F3", "F4", "F5")),
    "PETITION_HANDLING_SATISFACTION": (("F1",), ("F1", "F2", "F3")),
}


def test_the_wards_index_counts_every_indicator_by_hand(w: World) -> None:
    scene(w)
    result = ix.index766(agency=w.ward, period=MARCH, now=SEEN)
    assert result.commune_level and result.cutoff == at("2026-04-01 00:00")
    for code, (numerator, denominator, points, state) in WARD_EXPECTED.items():
        row = result.row(code)
        assert (row.numerator, row.denominator, row.points, row.state) == (
            numerator,
            denominator,
            points,
            state,
        ), code
    assert result.row("DVC_PROGRESS").percent == Decimal("75.00")
    assert result.row("REUSED_DIGITIZED_DATA").ratio == Decimal("0.2500")
    # Totals: computed points apart from the provisional ones, and what cannot be computed yet.
    assert (result.points, result.possible) == (Decimal("23.50"), Decimal(40))
    assert (result.provisional_points, result.provisional_possible) == (Decimal("4.00"), Decimal(20))
    assert (result.without_data, result.applicable) == (Decimal(24), Decimal(84))
    totals = {g.group: (g.points, g.possible, g.applicable) for g in result.groups}
    assert totals == {
        "transparency": (0, 0, 18),
        "progress": (Decimal("15.00"), 20, 20),
        "online": (0, 0, 0),
        "digitisation": (Decimal("0.50"), 2, 18),
        "satisfaction": (Decimal("8.00"), 18, 18),
        "payment": (0, 0, 10),
    }


def test_the_drill_down_lists_are_exactly_the_dossiers_counted(w: World) -> None:
    s = scene(w)
    result = ix.index766(agency=w.ward, period=MARCH, now=SEEN)
    for code, (numerator, denominator) in WARD_LISTS.items():
        for part, names in ((ix.NUMERATOR, numerator), (ix.DENOMINATOR, denominator)):
            rows = ix.index_dossiers(code, part, agency=w.ward, period=MARCH, now=SEEN)
            assert {s.name_of(d.code) for d in rows if isinstance(d, Dossier)} == set(names), (code, part)
            assert rows.count() == len(names)
        row = result.row(code)
        assert (row.numerator, row.denominator) == (len(numerator), len(denominator))
    for code, (f_numerator, f_denominator) in FEEDBACK_LISTS.items():
        for part, f_names in ((ix.NUMERATOR, f_numerator), (ix.DENOMINATOR, f_denominator)):
            rows = ix.index_dossiers(code, part, agency=w.ward, period=MARCH, now=SEEN)
            assert {x.pk for x in rows} == {s.feedback[n].pk for n in f_names}, (code, part)


def test_every_computed_number_is_the_size_of_its_list(w: World) -> None:
    scene(w)
    for agency in (w.ward, None):
        result = ix.index766(agency=agency, period=MARCH, now=SEEN)
        drillable = [r for r in result.rows if r.drillable]
        assert len(drillable) == 9 + (agency is None)  # the province adds PROVIDE_ONLINE_DOSSIER
        for row in drillable:
            code = row.indicator.code
            assert (
                ix.index_dossiers(code, ix.NUMERATOR, agency=agency, period=MARCH, now=SEEN).count()
                == row.numerator
            )
            assert (
                ix.index_dossiers(code, ix.DENOMINATOR, agency=agency, period=MARCH, now=SEEN).count()
                == row.denominator
            )


def test_the_satisfaction_numbers_are_the_selectors_numbers(w: World) -> None:
    scene(w)
    receiving = ratings.receiving_satisfaction(agency=w.ward, period=MARCH)
    pakn = fb.feedback_summary(agency=w.ward, period=MARCH, now=at("2026-04-01 00:00"))
    result = ix.index766(agency=w.ward, period=MARCH, now=SEEN)
    row = result.row("DOSSIER_RECEIVING_SATISFACTION")
    assert (row.numerator, row.denominator, row.ratio) == (
        receiving.satisfactory,
        receiving.dossiers,
        receiving.ratio,
    )
    row = result.row("PETITION_HANDLING_SATISFACTION")
    assert (row.numerator, row.denominator, row.ratio) == (
        pakn.answered - pakn.unsatisfactory_answers,
        pakn.answered,
        pakn.handling_satisfaction_ratio,
    )
    assert (pakn.received, pakn.answered_on_time, pakn.open, pakn.overdue_open) == (5, 2, 2, 1)


def test_the_province_adds_the_other_ward_and_scores_the_online_indicator(w: World) -> None:
    s = scene(w)
    result = ix.index766(agency=None, period=MARCH, now=SEEN)
    assert not result.commune_level and result.applicable == 100
    got = {
        c: (result.row(c).numerator, result.row(c).denominator, result.row(c).points) for c in WARD_EXPECTED
    }
    assert got["DVC_PROGRESS"] == (6, 9, Decimal("13.33"))
    assert got["CHANNEL_SHARE"] == (2, 9, None)
    assert got["SO_HOA_GIAY_TO_GIAI_QUYET"] == (4, 9, Decimal("1.78"))
    assert got["REUSED_DIGITIZED_DATA"] == (2, 9, Decimal("0.44"))
    assert got["ORIGINAL_RESULT_AVAILABLE"] == (1, 3, Decimal("2.00"))
    assert got["ONLINE_PAYMENT"] == (0, 9, Decimal("0.00"))
    # Permanent residence's online level is unknown in the catalog: nothing eligible to measure, and the
    # note says how many dossiers were left out for that reason.
    online = result.row("PROVIDE_ONLINE_DOSSIER")
    assert (online.state, online.numerator, online.denominator, online.points) == (ix.State.EMPTY, 0, 0, None)
    assert "9 hồ sơ" in str(online.note)
    progress = ix.index_dossiers("DVC_PROGRESS", ix.DENOMINATOR, agency=None, period=MARCH, now=SEEN)
    assert s.dossiers["J"].pk in {x.pk for x in progress}
    # The other ward alone: J, in process and late at the cut-off.
    other = ix.index766(agency=w.other_ward, period=MARCH, now=SEEN).row("DVC_PROGRESS")
    assert (other.numerator, other.denominator, other.points) == (0, 1, Decimal("0.00"))


# --- Commune level, no data, no PAKN, the period under way ------------------------------------------------

PROVINCE_ONLY = {"PROVIDE_ONLINE_DOSSIER", "PROACTIVE_PROCEDURE", "PROACTIVE_DOSSIER"} | {
    "CITIZEN_DATA_CONNECTED_DOSSIER",
    "CITIZEN_DATA_CONNECTED_FORMALITY",
}


def test_the_commune_exclusions_are_indicators_6_8_9_16_17(w: World) -> None:
    assert {i.stt for i in ix.INDICATORS if not i.commune} == {6, 8, 9, 16, 17}
    assert {i.code for i in ix.INDICATORS if not i.commune} == PROVINCE_ONLY
    ward = ix.index766(agency=w.ward, period=MARCH, now=SEEN)
    assert {r.indicator.code for r in ward.rows if r.state == ix.State.NOT_APPLICABLE} == PROVINCE_ONLY
    assert all(
        r.points is None and r.numerator is None for r in ward.rows if r.state == ix.State.NOT_APPLICABLE
    )
    province = ix.index766(agency=None, period=MARCH, now=SEEN)
    assert not [r for r in province.rows if r.state == ix.State.NOT_APPLICABLE]
    with pytest.raises(ix.IndicatorUnavailable):
        ix.index_dossiers("PROVIDE_ONLINE_DOSSIER", ix.NUMERATOR, agency=w.ward, period=MARCH)


def test_a_unit_under_a_commune_is_commune_level_and_a_department_is_not(w: World) -> None:
    from tinhso.accounts import services as accounts_services

    unit = accounts_services.agency_create(
        code="001.30.00.H60",
        name="Bộ phận Một cửa phường Hà Giang 2",
        kind=Agency.Kind.UNIT,
        parent=w.ward,
        actor=None,
    )
    assert ix.is_commune_level(unit) and ix.is_commune_level(w.ward)
    assert not ix.is_commune_level(people.agency("000.00.04")) and not ix.is_commune_level(None)


def test_indicators_without_data_never_carry_points(w: World) -> None:
    scene(w)
    expected = {
        "PUBLISH_ON_TIME",
        "PUBLIC_UPDATE_ON_TIME",
        "PUBLIC_CONTENT_FULL",
        "DOSSIER_SYNC",
        "PROVIDE_ONLINE_PROCEDURE",
        "PROACTIVE_PROCEDURE",
        "PROACTIVE_DOSSIER",
        "ELECTRONIC_CERTIFIED_COPY",
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE",
        "CITIZEN_DATA_CONNECTED_DOSSIER",
        "CITIZEN_DATA_CONNECTED_FORMALITY",
        "SIMPLIFICATION_SATISFACTION",
        "PETITION_CLASSIFICATION_TTHC",
        "PETITION_CLASSIFICATION_STAFF",
    }
    assert {i.code for i in ix.INDICATORS if not i.has_data} == expected
    assert all(i.no_data for i in ix.INDICATORS if not i.has_data)  # each says why
    for agency in (w.ward, None):
        result = ix.index766(agency=agency, period=MARCH, now=SEEN)
        for row in result.rows:
            if row.indicator.code in expected:
                assert row.state in (ix.State.NO_DATA, ix.State.NOT_APPLICABLE)
                assert (row.numerator, row.denominator, row.points, row.drillable) == (
                    None,
                    None,
                    None,
                    False,
                )
        # 100 points = computed possible + provisional possible + no data + empty (here: the online 12).
        empty = sum((r.max_points or 0 for r in result.rows if r.state == ix.State.EMPTY), Decimal(0))
        assert (
            result.possible + result.provisional_possible + result.without_data + empty == result.applicable
        )
        with pytest.raises(ix.IndicatorUnavailable):
            ix.index_dossiers("DOSSIER_SYNC", ix.NUMERATOR, agency=agency, period=MARCH)


def test_without_pakn_the_handling_points_are_split_over_the_two_others(w: World) -> None:
    a = counter_dossier(w, "2026-03-02 09:00")
    approved(w, a, start="2026-03-02 10:00", leader="2026-03-05 10:00", finished="2026-03-06 09:00")
    c = counter_dossier(w, "2026-03-02 09:00")
    approved(w, c, start="2026-03-02 10:00", leader="2026-03-12 10:00", finished="2026-03-13 09:00")  # late
    result = ix.index766(agency=w.ward, period=MARCH, now=SEEN)
    handling = result.row("PETITION_HANDLING_SATISFACTION")
    on_time = result.row("PETITION_PROCESSING_ON_TIME")
    receiving = result.row("DOSSIER_RECEIVING_SATISFACTION")
    assert (handling.state, handling.max_points, handling.points) == (ix.State.EMPTY, 0, None)
    # Receiving satisfaction: 1 of 2 finished dossiers satisfactory (the other late), out of 6 + 3 points.
    assert (receiving.numerator, receiving.denominator, receiving.max_points, receiving.points) == (
        1, 2, Decimal(9), Decimal("4.50")
    )  # fmt: skip
    # No PAKN is nothing to measure for the on-time rate too: it carries no points (DVCQG's rule unknown).
    assert (on_time.state, on_time.max_points, on_time.points) == (ix.State.EMPTY, Decimal(9), None)
    assert "chia đều" in str(receiving.note)
    satisfaction = next(g for g in result.groups if g.group == "satisfaction")
    assert (satisfaction.points, satisfaction.possible) == (Decimal("4.50"), Decimal(9))
    # One PAKN received (not yet answered): no split; handling has nothing to measure yet.
    anonymous_feedback(w, "2026-03-30 09:00")
    result = ix.index766(agency=w.ward, period=MARCH, now=SEEN)
    assert result.row("DOSSIER_RECEIVING_SATISFACTION").max_points == 6
    assert result.row("PETITION_PROCESSING_ON_TIME").points == Decimal(6)  # 1 of 1, not yet due
    assert result.row("PETITION_HANDLING_SATISFACTION").state == ix.State.EMPTY


def test_during_the_period_a_dossier_not_yet_due_is_not_late(w: World) -> None:
    e = counter_dossier(w, "2026-03-12 09:00")  # due Mon 23/3 09:00
    assert e.due_at == at("2026-03-23 09:00")
    during = ix.index766(agency=w.ward, period=MARCH, now=at("2026-03-20 12:00")).row("DVC_PROGRESS")
    after = ix.index766(agency=w.ward, period=MARCH, now=SEEN).row("DVC_PROGRESS")
    assert (during.numerator, during.denominator, during.points) == (1, 1, Decimal("20.00"))
    assert (after.numerator, after.denominator, after.points) == (0, 1, Decimal("0.00"))
    # A dossier received after the cut-off is not counted yet; nothing received before the period starts.
    counter_dossier(w, "2026-03-25 09:00")
    assert (
        ix.index766(agency=w.ward, period=MARCH, now=at("2026-03-20 12:00")).row("DVC_PROGRESS").denominator
        == 1
    )
    before = ix.index766(agency=w.ward, period=MARCH, now=at("2026-02-01 00:00")).row("DVC_PROGRESS")
    assert (before.state, before.denominator) == (ix.State.EMPTY, 0)


def test_a_stopped_clock_keeps_a_dossier_within_only_if_it_stopped_in_time(w: World) -> None:
    early = counter_dossier(w, "2026-03-02 09:00")  # due 11/3 09:00
    tr.pause_for_payment(
        early, actor=w.counter, reason="Lệ phí đăng ký", amount_vnd=20000, at=at("2026-03-10 09:00")
    )
    late = counter_dossier(w, "2026-03-02 09:00")
    tr.pause_for_payment(
        late, actor=w.counter, reason="Lệ phí đăng ký", amount_vnd=20000, at=at("2026-03-12 09:00")
    )
    row = ix.index766(agency=w.ward, period=MARCH, now=SEEN).row("DVC_PROGRESS")
    assert (row.numerator, row.denominator) == (1, 2)
    rows = ix.index_dossiers("DVC_PROGRESS", ix.NUMERATOR, agency=w.ward, period=MARCH, now=SEEN)
    assert [x.pk for x in rows] == [early.pk]


def test_a_dossier_finished_after_the_period_counts_as_in_process_at_its_end(w: World) -> None:
    d = counter_dossier(w, "2026-03-23 09:00")  # due Wed 1/4 09:00
    approved(w, d, start="2026-03-23 10:00", leader="2026-03-31 10:00", finished="2026-04-02 09:00")  # late
    march = ix.index766(agency=w.ward, period=MARCH, now=SEEN).row("DVC_PROGRESS")
    april = ix.index766(agency=w.ward, period=ix.Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30)), now=SEEN)
    assert (march.numerator, march.denominator) == (1, 1)  # in process at the end of March, within
    assert (april.row("DVC_PROGRESS").numerator, april.row("DVC_PROGRESS").denominator) == (
        0,
        1,
    )  # finished late


# --- The online indicator at a province-level department --------------------------------------------------


def department_world(w: World) -> tuple[World, Agency]:
    """Birth registration (*đăng ký khai sinh*, 1 working day) made toàn trình by a catalog edit, received
    by the Department of Justice (000.00.04), with its own officials."""
    birth = Procedure.objects.get(pk=w.birth.procedure_id)
    assert birth.current_version is not None
    parsed = procedure_services.version_to_parsed(birth.current_version)
    procedure_services.procedure_edit(parsed=dataclasses.replace(parsed, online_level="full"), actor=None)
    department = people.agency("000.00.04")
    binding = bind(Procedure.objects.get(pk=birth.pk), department)
    staff = {
        role: people.official(agency_prefix="000.00.04", roles=(role,))
        for role in (Role.COUNTER_OFFICER, Role.DEPARTMENT_HEAD, Role.SPECIALIST, Role.AGENCY_LEADER)
    }
    dw = dataclasses.replace(
        w,
        ward=department,
        birth=binding,
        residence=binding,
        counter=staff[Role.COUNTER_OFFICER],
        head=staff[Role.DEPARTMENT_HEAD],
        specialist=staff[Role.SPECIALIST],
        leader=staff[Role.AGENCY_LEADER],
    )
    return dw, department


def test_the_online_indicator_counts_toan_trinh_dossiers_of_eligible_procedures(w: World) -> None:
    """| | channel | result | toàn trình |
    |---|---|---|---|
    | P1 | online | returned online | yes |
    | P2 | online | returned at the counter | no |
    | P3 | counter | in process | no |
    | P4 | national portal | in process | yes |
    | U1 | counter at the ward, residence (level unknown) | — | outside the denominator |
    Numerator 2, denominator 4: 12 × 2/4 = 6.00."""
    dw, department = department_world(w)
    person = citizen(7)

    def online(when: str) -> Dossier:
        d = tr.submit(
            binding=dw.birth,
            channel="online",
            applicant=tr.Applicant(
                name=person.full_name, user=person, phone=person.phone or "", email=person.email
            ),
            actor=person,
            papers=[tr.PaperSpec(name="Tờ khai đăng ký khai sinh")],
            at=at(when),
        )
        d = tr.receive(d, actor=dw.counter, at=at(when) + dt.timedelta(minutes=10))
        return approved(
            dw, d, start="2026-03-02 10:00", leader="2026-03-02 14:00", finished="2026-03-02 15:00"
        )

    p1 = tr.return_result(
        online("2026-03-02 08:00"), actor=dw.counter, method="online", at=at("2026-03-03 09:00")
    )
    p2 = tr.return_result(
        online("2026-03-02 08:30"), actor=dw.counter, method="counter", at=at("2026-03-03 09:00")
    )
    p3 = counter_dossier(dw, "2026-03-04 09:00")
    p4 = tr.receive(
        tr.submit(
            binding=dw.birth,
            channel="national_portal",
            applicant=tr.Applicant(name="Lò Thị Năm", id_number="002190011111", phone="0912000222"),
            actor=dw.counter,
            papers=[tr.PaperSpec(name="Tờ khai đăng ký khai sinh")],
            at=at("2026-03-05 09:00"),
        ),
        actor=dw.counter,
        at=at("2026-03-05 09:05"),
    )
    counter_dossier(w, "2026-03-05 09:00")  # U1, at the ward
    for agency, unknown in ((department, 0), (None, 1)):
        row = ix.index766(agency=agency, period=MARCH, now=SEEN).row("PROVIDE_ONLINE_DOSSIER")
        assert (row.state, row.numerator, row.denominator, row.points) == (
            ix.State.COMPUTED,
            2,
            4,
            Decimal("6.00"),
        )
        assert (f"{unknown} hồ sơ" in str(row.note)) if unknown else row.note == ""
        rows = ix.index_dossiers(
            "PROVIDE_ONLINE_DOSSIER", ix.NUMERATOR, agency=agency, period=MARCH, now=SEEN
        )
        assert set(rows.values_list("pk", flat=True)) == {p1.pk, p4.pk}
        rows = ix.index_dossiers(
            "PROVIDE_ONLINE_DOSSIER", ix.DENOMINATOR, agency=agency, period=MARCH, now=SEEN
        )
        assert set(rows.values_list("pk", flat=True)) == {p1.pk, p2.pk, p3.pk, p4.pk}


def test_unknown_indicators_and_parts_have_no_list(w: World) -> None:
    for code, part in (("NOPE", ix.NUMERATOR), ("DVC_PROGRESS", "both"), ("DOSSIER_SYNC", ix.DENOMINATOR)):
        with pytest.raises(ix.IndicatorUnavailable):
            ix.index_dossiers(code, part, agency=None, period=MARCH)


# --- Online payment -------------------------------------------------------------------------------------


def pay_by_transfer(w: World, request: PaymentRequest, amount: int, transaction: str) -> PaymentRequest:
    """A credit with the request's reference in a statement of the ward's account, imported by an official."""
    assert request.account is not None
    statement = "Ngày giao dịch;Mã giao dịch;Số tiền ghi có;Nội dung giao dịch\n"
    statement += f"06/03/2026;{transaction};{amount};Nop tien {request.reference}"
    rec.statement_import(account=request.account, data=statement.encode(), actor=w.counter)
    request.refresh_from_db()
    return request


def test_a_fee_paid_in_cash_at_the_counter_is_not_paid_online(w: World) -> None:
    CollectionAccount.objects.create(
        agency=w.ward, bank_bin="970415", account_number="113366668888", account_name="UBND PHUONG HA GIANG 2"
    )

    def fee(d: Dossier) -> PaymentRequest:
        return PaymentRequest.objects.get(subject_key=d.code, kind=RequestKind.FEE)

    by_transfer = counter_dossier(w, "2026-03-02 09:00")
    assert pay_by_transfer(w, fee(by_transfer), 20_000, "FT1").status == RequestStatus.PAID
    in_cash = counter_dossier(w, "2026-03-03 09:00")
    fees.fee_cash(in_cash, fee(in_cash), amount_vnd=20_000, expected_paid_vnd=0, actor=w.counter)
    # Part by transfer, the rest in cash: not paid online either.
    mixed = counter_dossier(w, "2026-03-04 09:00")
    assert pay_by_transfer(w, fee(mixed), 5_000, "FT3").status == RequestStatus.PARTLY_PAID
    fees.fee_cash(mixed, fee(mixed), amount_vnd=15_000, expected_paid_vnd=5_000, actor=w.counter)
    assert fee(mixed).status == fee(in_cash).status == RequestStatus.PAID
    counts = dossier_report(Period.month(2026, 3), Scope(agency=w.ward), now=SEEN).total
    assert (counts.counts["fee_due"], counts.counts["paid_online"]) == (3, 1)
    numerator = ix.index_dossiers("ONLINE_PAYMENT", ix.NUMERATOR, agency=w.ward, period=MARCH, now=SEEN)
    assert set(numerator.values_list("pk", flat=True)) == {by_transfer.pk}


def test_online_payment_counts_dossiers_with_a_fee_and_those_paid_by_transfer(w: World) -> None:
    """At the ward, which has a collection account; permanent residence charges 20.000 đ at the counter and
    10.000 đ online at reception, birth registration nothing:

    | | received | fee or obligation | paid | fee to pay? | paid online? |
    |---|---|---|---|---|---|
    | P1 | ctr, residence, Mon 2/3 | fee 20.000 | 20.000 by transfer | yes | yes |
    | P2 | onl, residence, Mon 2/3 | fee 10.000 | 5.000 (partly paid) | yes | no |
    | P3 | ctr, residence, Tue 3/3 | fee, exempted | — | no | — |
    | P4 | ctr, birth (free), Wed 4/3 | obligation 50.000 (paused) | 50.000 by transfer | yes | yes |
    | P5 | ctr, birth (free), Thu 5/3 | — | — | no | — |
    | P6 | ctr, residence, Thu 5/3 | fee, cancelled | — | no | — |
    | P7 | ctr, residence, Thu 26/2 | fee 20.000 | 20.000 by transfer | not received in March | |

    Denominator P1 P2 P4 = 3, numerator P1 P4 = 2: 10 × 2/3 = 6.67 points, provisional (the split of the
    10 points is not known)."""
    CollectionAccount.objects.create(
        agency=w.ward, bank_bin="970415", account_number="113366668888", account_name="UBND PHUONG HA GIANG 2"
    )

    def fee(d: Dossier) -> PaymentRequest:
        return PaymentRequest.objects.get(subject_key=d.code, kind=RequestKind.FEE)

    p1 = counter_dossier(w, "2026-03-02 09:00")
    assert pay_by_transfer(w, fee(p1), 20_000, "FT1").status == RequestStatus.PAID
    person = citizen(3)
    p2 = tr.receive(
        online_submitted(w, person, "2026-03-02 08:00"), actor=w.counter, at=at("2026-03-02 09:00")
    )
    assert fee(p2).amount_vnd == 10_000
    assert pay_by_transfer(w, fee(p2), 5_000, "FT2").status == RequestStatus.PARTLY_PAID
    p3 = counter_dossier(w, "2026-03-03 09:00")
    fees.fee_exempt(p3, fee(p3), ground="Điều 4 Thông tư 75/2022/TT-BTC", actor=w.counter)
    p4 = counter_dossier(w, "2026-03-04 09:00", binding=w.birth)
    assert not PaymentRequest.objects.filter(subject_key=p4.code).exists()  # free
    tr.pause_for_payment(
        p4, actor=w.counter, reason="Nghĩa vụ tài chính", amount_vnd=50_000, at=at("2026-03-04 10:00")
    )
    obligation = PaymentRequest.objects.get(subject_key=p4.code, kind=RequestKind.OBLIGATION)
    assert pay_by_transfer(w, obligation, 50_000, "FT4").status == RequestStatus.PAID
    p5 = counter_dossier(w, "2026-03-05 09:00", binding=w.birth)
    p6 = counter_dossier(w, "2026-03-05 09:00")
    payments.payment_request_cancel(fee(p6), reason="Thu nhầm", actor=w.counter)
    p7 = counter_dossier(w, "2026-02-26 09:00")
    assert pay_by_transfer(w, fee(p7), 20_000, "FT7").status == RequestStatus.PAID
    assert not PaymentRequest.objects.filter(subject_key=p5.code).exists()

    for agency in (w.ward, None):
        result = ix.index766(agency=agency, period=MARCH, now=SEEN)
        row = result.row("ONLINE_PAYMENT")
        assert (row.state, row.numerator, row.denominator, row.max_points, row.points) == (
            ix.State.PROVISIONAL,
            2,
            3,
            Decimal(10),
            Decimal("6.67"),
        )
        assert row.percent == Decimal("66.67") and row.drillable and not row.firm
        payment = next(g for g in result.groups if g.group == "payment")
        assert (payment.points, payment.possible) == (0, 0)
        assert (payment.provisional_points, payment.provisional_possible) == (Decimal("6.67"), Decimal(10))
        numerator = ix.index_dossiers("ONLINE_PAYMENT", ix.NUMERATOR, agency=agency, period=MARCH, now=SEEN)
        assert set(numerator.values_list("pk", flat=True)) == {p1.pk, p4.pk}
        denominator = ix.index_dossiers(
            "ONLINE_PAYMENT", ix.DENOMINATOR, agency=agency, period=MARCH, now=SEEN
        )
        assert set(denominator.values_list("pk", flat=True)) == {p1.pk, p2.pk, p4.pk}
    # The statistics count the same dossiers: "có phí, lệ phí" and "đã thanh toán trực tuyến".
    counts = dossier_report(Period.month(2026, 3), Scope(agency=w.ward), now=SEEN).total
    assert (counts.counts["fee_due"], counts.counts["paid_online"]) == (3, 2)
    assert counts.ratios["paid_online_ratio"] == Decimal("66.7")
    # During the period, up to the cut-off: at 08:00 on 4/3 P1 and P2 were received, P1 paid (request
    # statuses are read as they are now).
    during = ix.index766(agency=w.ward, period=MARCH, now=at("2026-03-04 08:00")).row("ONLINE_PAYMENT")
    assert (during.numerator, during.denominator, during.points) == (1, 2, Decimal("5.00"))
