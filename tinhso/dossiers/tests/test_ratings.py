"""Rating a dossier (TT 01/2018 Art. 13; docs/domain/one-stop.md §10): when, who, once, and the system's own
indicator 1 from the dossier's instants; the statistics read from the ratings.

Dossiers go through the real transitions. Permanent residence takes 7 working days: received online Mon
2 March 2026 at 09:00, it is due Wed 11 March at 09:00 (March 2026 has no holiday).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction

from tinhso.accounts import services as accounts_services
from tinhso.accounts.models import User
from tinhso.accounts.tests import factories as people
from tinhso.core.models import AuditEntry
from tinhso.dossiers import feedback as fb
from tinhso.dossiers import ratings
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, DossierRating, RatingChannel, Status
from tinhso.dossiers.tests.factories import World, at, run_together, world

pytestmark = pytest.mark.django_db

GOOD = ratings.RatingAnswers(time=2, contacts=2, agencies=2, attitude=2, overall="very_satisfied")


def applicant(**kw: Any) -> User:
    """A citizen with the phone and e-mail an account holds (for the messages)."""
    n = kw.pop("n", 1)
    return people.citizen(
        full_name=kw.pop("full_name", "Nguyễn Thị Hằng"),
        phone=kw.pop("phone", f"09123456{n:02d}"),
        email=kw.pop("email", f"hang{n}@example.vn"),
        **kw,
    )


def online_dossier(w: World, citizen: User, *, when: str = "2026-03-02 09:00") -> Dossier:
    """The citizen's own online dossier, received by the counter."""
    d = tr.submit(
        binding=w.residence,
        channel="online",
        applicant=tr.Applicant(
            name=citizen.full_name, user=citizen, phone=citizen.phone or "", email=citizen.email
        ),
        actor=citizen,
        at=at(when),
    )
    return tr.receive(d, actor=w.counter, at=at(when))


def processed(w: World, d: Dossier, *, finished: str = "2026-03-06 09:00") -> Dossier:
    """Through the internal process (counter → head → specialist → leader) to the leader's approval."""
    d = tr.hand_over(d, actor=w.counter, to=w.head, at=at("2026-03-02 10:00"))
    d = tr.assign(d, actor=w.head, assignee=w.specialist, at=at("2026-03-02 10:30"))
    d = tr.hand_over(d, actor=w.specialist, to=w.leader, at=at("2026-03-05 10:00"))
    return tr.approve(d, actor=w.leader, result_note="Đã đăng ký thường trú", at=at(finished))


def returned_dossier(w: World, citizen: User, *, finished: str = "2026-03-06 09:00") -> Dossier:
    d = processed(w, online_dossier(w, citizen), finished=finished)
    returned_at = at(finished) + dt.timedelta(hours=1)
    return tr.return_result(d, actor=w.counter, method="counter", at=returned_at)


def kiosk_account(agency_prefix: str = "000.00.30") -> User:
    """A counter's kiosk: an official account of the unit with no role, holding the kiosk permission."""
    user = accounts_services.user_create_official(
        username=f"kiosk-{agency_prefix}-{User.objects.count()}",
        password=people.PASSWORD,
        full_name="Màn hình đánh giá quầy 1",
        agency=people.agency(agency_prefix),
        roles=[],
        actor=None,
    )
    user.user_permissions.add(
        Permission.objects.get(codename="operate_rating_kiosk", content_type__app_label="dossiers")
    )
    return User.objects.get(pk=user.pk)  # fresh: permissions are cached per instance


# --- When -----------------------------------------------------------------------------------------------


def test_a_dossier_still_in_process_cannot_be_rated_yet(w: World) -> None:
    citizen = applicant()
    d = online_dossier(w, citizen)
    with pytest.raises(tr.DossierConflict, match="chưa có kết quả"):
        ratings.rating_submit(dossier=d, actor=citizen, answers=GOOD, channel=RatingChannel.ONLINE)
    assert not DossierRating.objects.exists()


def test_a_withdrawn_dossier_is_not_rated(w: World) -> None:
    citizen = applicant()
    d = tr.withdraw(online_dossier(w, citizen), actor=citizen, at=at("2026-03-03 09:00"))
    with pytest.raises(tr.DossierConflict, match="đã rút"):
        ratings.rating_submit(dossier=d, actor=citizen, answers=GOOD, channel=RatingChannel.ONLINE)


def test_the_applicant_rates_once_the_result_is_ready_and_only_once(w: World) -> None:
    citizen = applicant()
    d = processed(w, online_dossier(w, citizen))
    assert d.status == Status.PROCESSED  # the result waits at the counter: it may be rated already
    answers = ratings.RatingAnswers(
        time=1,
        contacts=2,
        agencies=1,
        attitude=2,
        overall="satisfied",
        ease_of_use="very_satisfied",
        comment="  Cán bộ hướng dẫn rõ ràng.  ",
    )
    r = ratings.rating_submit(
        dossier=d, actor=citizen, answers=answers, channel=RatingChannel.ONLINE, at=at("2026-03-06 10:00")
    )
    assert (r.time_score, r.contacts_score, r.agencies_score, r.attitude_score) == (1, 2, 1, 2)
    assert (r.overall, r.ease_of_use, r.comment) == (
        "satisfied",
        "very_satisfied",
        "Cán bộ hướng dẫn rõ ràng.",
    )
    assert (r.rated_by, r.recorded_by, r.channel) == (citizen, citizen, "online")
    assert (r.agency, r.procedure_id, r.dossier_status) == (w.ward, d.procedure_id, "processed")
    assert r.rated_at == at("2026-03-06 10:00")
    entry = AuditEntry.objects.get(event="dossier.rated")
    assert entry.target_id == d.code and (entry.new or {})["overall"] == "satisfied"
    # Returned afterwards: still one rating, and a second one is refused in plain words.
    d = tr.return_result(d, actor=w.counter, at=at("2026-03-06 14:00"))
    with pytest.raises(tr.DossierConflict, match=r"đã được đánh giá\. Mỗi hồ sơ chỉ đánh giá một lần"):
        ratings.rating_submit(dossier=d, actor=citizen, answers=GOOD, channel=RatingChannel.ONLINE)
    assert DossierRating.objects.count() == 1


def test_only_the_applicant_rates_online(w: World) -> None:
    citizen, other = applicant(n=1), applicant(n=2, full_name="Trần Văn Bình")
    d = returned_dossier(w, citizen)
    for intruder in (other, w.counter, w.leader):
        with pytest.raises(tr.DossierForbidden, match="Chỉ người nộp hồ sơ"):
            ratings.rating_submit(dossier=d, actor=intruder, answers=GOOD, channel=RatingChannel.ONLINE)
    with pytest.raises(tr.DossierForbidden):
        ratings.rating_submit(dossier=d, actor=None, answers=GOOD, channel=RatingChannel.ONLINE)
    assert not DossierRating.objects.exists()


def test_answers_out_of_the_three_levels_are_refused(w: World) -> None:
    citizen = applicant()
    d = returned_dossier(w, citizen)
    for bad in (
        ratings.RatingAnswers(time=3, contacts=2, agencies=2, attitude=2, overall="satisfied"),
        ratings.RatingAnswers(time=2, contacts=2, agencies=2, attitude=-1, overall="satisfied"),
        ratings.RatingAnswers(time=2, contacts=2, agencies=2, attitude=2, overall="ok"),
    ):
        with pytest.raises(tr.DossierRuleError):
            ratings.rating_submit(dossier=d, actor=citizen, answers=bad, channel=RatingChannel.ONLINE)


# --- Indicator 1 from the timestamps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        ("2026-03-06 09:00", 2),  # shorter than the statutory time: finished before Wed 11, the due date
        ("2026-03-11 16:00", 1),  # equal: finished on the due date
        ("2026-03-12 09:00", 0),  # longer: finished after it
    ],
)
def test_the_system_scores_indicator_1_from_the_dossiers_instants(
    w: World, finished: str, expected: int
) -> None:
    citizen = applicant()
    d = returned_dossier(w, citizen, finished=finished)
    assert d.due_at == at("2026-03-11 09:00")
    assert ratings.system_time_score(d) == expected
    answers = ratings.RatingAnswers(time=2, contacts=2, agencies=2, attitude=2, overall="satisfied")
    r = ratings.rating_submit(dossier=d, actor=citizen, answers=answers, channel=RatingChannel.ONLINE)
    # The applicant's answer and the system's are stored side by side; they may disagree.
    assert (r.time_score, r.time_score_system) == (2, expected)
    assert r.time_disagrees is (expected != 2)


def test_a_refused_dossier_is_rated_on_a_paper_form_without_a_system_time_score(w: World) -> None:
    d = w.submit(when="2026-03-02 09:00")
    d = tr.refuse(d, actor=w.counter, reason="Không thuộc thẩm quyền của phường", at=at("2026-03-02 09:10"))
    answers = ratings.RatingAnswers(time=1, contacts=2, agencies=2, attitude=1, overall="not_satisfied")
    with pytest.raises(tr.DossierForbidden, match="cán bộ Bộ phận Một cửa"):
        ratings.rating_submit(
            dossier=d, actor=w.specialist, answers=answers, channel=RatingChannel.COUNTER_FORM
        )
    with pytest.raises(tr.DossierForbidden):
        ratings.rating_submit(
            dossier=d, actor=w.other_counter, answers=answers, channel=RatingChannel.COUNTER_FORM
        )
    r = ratings.rating_submit(dossier=d, actor=w.counter, answers=answers, channel=RatingChannel.COUNTER_FORM)
    assert (r.time_score_system, r.rated_by, r.recorded_by, r.dossier_status) == (
        None,
        None,
        w.counter,
        "refused",
    )


# --- The kiosk ------------------------------------------------------------------------------------------


def test_a_kiosk_rating_needs_the_token_of_a_scan_at_the_dossiers_unit(w: World, settings: Any) -> None:
    citizen = applicant()
    d = returned_dossier(w, citizen)
    other = returned_dossier(w, applicant(n=2, full_name="Lò Văn Páo"))
    kiosk = kiosk_account()
    assert ratings.kiosk_may_operate(kiosk) and not ratings.kiosk_may_operate(w.specialist)
    assert ratings.kiosk_dossier_for_scan(kiosk, d.code) == d
    # Another ward's kiosk cannot even find it (the same answer as an unknown code).
    with pytest.raises(ratings.KioskScanError, match="Không tìm thấy") as refused:
        ratings.kiosk_dossier_for_scan(kiosk_account("000.00.31"), d.code)
    assert refused.value.status_code == 404
    token = ratings.kiosk_token_issue(kiosk, d)
    with pytest.raises(tr.DossierForbidden, match="Quét mã QR"):
        ratings.rating_submit(dossier=d, actor=kiosk, answers=GOOD, channel=RatingChannel.KIOSK)
    with pytest.raises(tr.DossierForbidden, match="quét lại"):
        ratings.rating_submit(
            dossier=other, actor=kiosk, answers=GOOD, channel=RatingChannel.KIOSK, kiosk_token=token
        )
    with pytest.raises(tr.DossierForbidden, match="quét lại"):
        ratings.rating_submit(
            dossier=d, actor=w.counter, answers=GOOD, channel=RatingChannel.KIOSK, kiosk_token=token
        )
    settings.FEEDBACK_KIOSK_TOKEN_SECONDS = -1
    with pytest.raises(tr.DossierForbidden, match="hết thời gian"):
        ratings.rating_submit(
            dossier=d, actor=kiosk, answers=GOOD, channel=RatingChannel.KIOSK, kiosk_token=token
        )
    settings.FEEDBACK_KIOSK_TOKEN_SECONDS = 600
    r = ratings.rating_submit(
        dossier=d, actor=kiosk, answers=GOOD, channel=RatingChannel.KIOSK, kiosk_token=token
    )
    assert (r.channel, r.rated_by, r.recorded_by) == ("kiosk", None, kiosk)
    # Scanning it again: already rated (409).
    with pytest.raises(ratings.KioskScanError, match="đã được đánh giá") as again:
        ratings.kiosk_dossier_for_scan(kiosk, d.code)
    assert again.value.status_code == 409


def test_a_kiosk_account_loses_its_token_with_its_permission(w: World) -> None:
    d = returned_dossier(w, applicant())
    kiosk = kiosk_account()
    token = ratings.kiosk_token_issue(kiosk, d)
    kiosk.user_permissions.clear()
    with pytest.raises(tr.DossierForbidden):
        ratings.rating_submit(
            dossier=d, actor=None, answers=GOOD, channel=RatingChannel.KIOSK, kiosk_token=token
        )


# --- Once, even in a race -------------------------------------------------------------------------------


def test_the_database_holds_one_rating_per_dossier(w: World) -> None:
    citizen = applicant()
    d = returned_dossier(w, citizen)
    ratings.rating_submit(dossier=d, actor=citizen, answers=GOOD, channel=RatingChannel.ONLINE)
    first = DossierRating.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        DossierRating.objects.create(
            dossier=d,
            time_score=0,
            contacts_score=0,
            agencies_score=0,
            attitude_score=0,
            overall="not_satisfied",
            channel="online",
            rated_at=first.rated_at,
            agency=first.agency,
            procedure=first.procedure,
            dossier_status=d.status,
        )


@pytest.mark.django_db(transaction=True)
def test_two_ratings_at_the_same_moment_one_online_one_at_the_kiosk_leave_one(
    flushable_audit_log: None, reference_data: None
) -> None:
    cw = world()
    citizen = applicant()
    d = returned_dossier(cw, citizen)
    kiosk = kiosk_account()
    token = ratings.kiosk_token_issue(kiosk, d)
    online = functools.partial(
        ratings.rating_submit, dossier=d.pk, actor=citizen, answers=GOOD, channel=RatingChannel.ONLINE
    )
    at_kiosk = functools.partial(
        ratings.rating_submit,
        dossier=d.pk,
        actor=kiosk,
        answers=GOOD,
        channel=RatingChannel.KIOSK,
        kiosk_token=token,
    )
    results = run_together([online, at_kiosk, online])
    made = [r for r in results if isinstance(r, DossierRating)]
    refused = [r for r in results if isinstance(r, tr.DossierConflict)]
    assert len(made) == 1 and len(refused) == 2, results
    assert all("đã được đánh giá" in r.message for r in refused)
    assert DossierRating.objects.filter(dossier=d).count() == 1
    assert AuditEntry.objects.filter(event="dossier.rated").count() == 1


# --- Statistics -----------------------------------------------------------------------------------------


def test_the_summary_counts_and_averages_an_agencys_ratings_in_a_period(w: World) -> None:
    people_ = [applicant(n=n, full_name=f"Người nộp {n}") for n in range(1, 5)]
    dossiers = [
        returned_dossier(w, people_[0], finished="2026-03-06 09:00"),
        returned_dossier(w, people_[1], finished="2026-03-11 16:00"),
        returned_dossier(w, people_[2], finished="2026-03-12 09:00"),
        returned_dossier(w, people_[3], finished="2026-03-06 09:00"),
    ]
    given = [
        ratings.RatingAnswers(time=2, contacts=2, agencies=2, attitude=2, overall="very_satisfied"),
        ratings.RatingAnswers(
            time=1, contacts=1, agencies=2, attitude=2, overall="satisfied", ease_of_use="satisfied"
        ),
        ratings.RatingAnswers(
            time=0, contacts=0, agencies=1, attitude=0, overall="not_satisfied", comment="Chậm"
        ),
    ]
    for d, citizen, answers in zip(dossiers[:3], people_, given, strict=False):
        ratings.rating_submit(
            dossier=d, actor=citizen, answers=answers, channel=RatingChannel.ONLINE, at=at("2026-03-20 10:00")
        )
    # Rated in April: outside the first quarter.
    ratings.rating_submit(
        dossier=dossiers[3],
        actor=people_[3],
        answers=GOOD,
        channel=RatingChannel.ONLINE,
        at=at("2026-04-01 08:00"),
    )
    q1 = ratings.Period.quarter_of(dt.date(2026, 2, 14))
    assert (q1.start, q1.end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    s = ratings.rating_summary(agency=w.ward, period=q1)
    assert s.total == 3
    assert s.indicators["1"].counts == {2: 1, 1: 1, 0: 1} and str(s.indicators["1"].average) == "1.0"
    assert s.indicators["1_system"].counts == {2: 1, 1: 1, 0: 1}
    assert s.indicators["3"].counts == {2: 1, 1: 1, 0: 1}
    assert s.indicators["4"].counts == {2: 2, 1: 1, 0: 0} and str(s.indicators["4"].average) == "1.7"
    assert str(s.indicators["7"].average) == "1.3"
    assert s.overall == {"very_satisfied": 1, "satisfied": 1, "not_satisfied": 1}
    assert s.ease_of_use == {"very_satisfied": 0, "satisfied": 1, "not_satisfied": 0, "": 2}
    assert s.by_channel == {"online": 3, "kiosk": 0, "counter_form": 0}
    assert (s.time_disagreements, s.with_comment, str(s.not_satisfied_share)) == (0, 1, "33.3")
    assert ratings.rating_summary(agency=w.other_ward, period=q1).total == 0
    assert (
        ratings.rating_summary(agency=None, period=ratings.Period.quarter_of(dt.date(2026, 4, 1))).total == 1
    )


def test_receiving_satisfaction_counts_the_dossiers_rated_unsatisfied_with_feedback_or_late(w: World) -> None:
    people_ = [applicant(n=n, full_name=f"Người nộp {n}") for n in range(1, 5)]
    fine = returned_dossier(w, people_[0], finished="2026-03-06 09:00")
    unhappy = returned_dossier(w, people_[1], finished="2026-03-06 09:00")
    complained = returned_dossier(w, people_[2], finished="2026-03-06 09:00")
    late = returned_dossier(w, people_[3], finished="2026-03-12 09:00")
    ratings.rating_submit(dossier=fine, actor=people_[0], answers=GOOD, channel=RatingChannel.ONLINE)
    ratings.rating_submit(
        dossier=unhappy,
        actor=people_[1],
        answers=ratings.RatingAnswers(time=2, contacts=2, agencies=2, attitude=0, overall="not_satisfied"),
        channel=RatingChannel.ONLINE,
    )
    fb.feedback_submit(
        kind="reflection", title="Phải đi lại nhiều lần", content="…", actor=people_[2], dossier=complained
    )
    s = ratings.receiving_satisfaction(
        agency=w.ward, period=ratings.Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    )
    assert (s.dossiers, s.not_satisfied, s.with_feedback, s.late, s.unsatisfactory) == (4, 1, 1, 1, 3)
    assert s.satisfactory == 1 and str(s.ratio) == "0.2500"
    assert late.punctuality == "late"


def test_a_period_is_made_of_whole_local_days() -> None:
    p = ratings.Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    since, until = p.bounds()
    assert since == at("2026-03-01 00:00") and until == at("2026-04-01 00:00")
    assert ratings.Period.quarter_of(dt.date(2026, 12, 31)) == ratings.Period(
        dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    )
    with pytest.raises(ValueError):
        ratings.Period(dt.date(2026, 3, 2), dt.date(2026, 3, 1))


# --- The API (tinhso/dossiers/rating_api.py, called through its router) ---------------------------------


def test_the_rating_api_rates_once_and_hides_other_peoples_dossiers(w: World) -> None:
    from ninja.testing import TestClient

    from tinhso.accounts.api_auth import api_token_create
    from tinhso.dossiers.rating_api import router

    citizen, other = applicant(n=1), applicant(n=2, full_name="Trần Văn Bình")
    d = returned_dossier(w, citizen)
    client = TestClient(router)

    def bearer(user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token_create(user=user, name='test', actor=None)[1]}"}

    body = {"time": 2, "contacts": 2, "agencies": 1, "attitude": 2, "overall": "satisfied"}
    url = f"/dossiers/{d.code}/rating"
    assert client.get(url, headers=bearer(citizen)).status_code == 404  # not rated yet
    assert client.post(url, json=body, headers=bearer(other)).status_code == 404  # not theirs
    assert client.get(url, headers=bearer(other)).status_code == 404
    assert client.post(url, json={**body, "time": 5}, headers=bearer(citizen)).status_code == 400
    made = client.post(url, json=body, headers=bearer(citizen))
    assert made.status_code == 201 and made.json()["time_system"] == 2 and made.json()["channel"] == "online"
    assert client.post(url, json=body, headers=bearer(citizen)).status_code == 409
    assert client.get(url, headers=bearer(w.counter)).json()["overall"] == "satisfied"  # the unit's official
    assert client.get(url, headers=bearer(w.other_counter)).status_code == 404
    assert client.post(url, json=body).status_code == 401
