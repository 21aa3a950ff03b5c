"""Feedback (*phản ánh, kiến nghị*): the answer's deadline in working days, who sends and who answers, the
answer on time or late, the author told through the outbox, the author's view of the answer, statistics.

Calendar of 2026 (the holidays package): Sun 26 April Hùng Kings' day, given back on Mon 27; Thu 30 April
and Fri 1 May off. March 2026 has no holiday.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tinhso.core.models import AuditEntry
from tinhso.dossiers import feedback as fb
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Feedback, FeedbackStatus
from tinhso.dossiers.ratings import Period
from tinhso.dossiers.tests.factories import World, at
from tinhso.dossiers.tests.test_ratings import applicant, online_dossier, returned_dossier
from tinhso.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def about_procedure(w: World, *, when: str, actor: Any = None, **kw: Any) -> Feedback:
    return fb.feedback_submit(
        kind=kw.pop("kind", "recommendation"),
        title=kw.pop("title", "Rút ngắn thời gian đăng ký thường trú"),
        content=kw.pop("content", "Đề nghị cho nộp bản chụp giấy tờ qua mạng."),
        actor=actor,
        procedure=w.residence.procedure,
        contact_phone=kw.pop("contact_phone", "" if actor else "0987654321"),
        at=at(when),
        **kw,
    )


# --- The deadline ---------------------------------------------------------------------------------------


def test_the_answer_is_due_ten_working_days_later_across_a_weekend(w: World) -> None:
    f = about_procedure(w, when="2026-03-06 16:00")
    # Fri 6 at 16:00: Mon 9 … Fri 13 are days 1–5, Mon 16 … Fri 20 days 6–10, at the same office time.
    assert f.due_at == at("2026-03-20 16:00")
    assert f.due_data["rule"] == "due.working_day.v1" and f.due_data["value"] == "10"


def test_the_deadline_skips_the_holidays_of_late_april_counted_by_hand(w: World) -> None:
    f = about_procedure(w, when="2026-04-23 10:00")
    # Thu 23 April 10:00. Fri 24 = 1; Sat 25, Sun 26, Mon 27 (Hùng Kings, given back) off; Tue 28 = 2,
    # Wed 29 = 3; Thu 30 April, Fri 1 May, Sat 2, Sun 3 off; Mon 4 = 4 … Fri 8 = 8; Mon 11 = 9; Tue 12 = 10.
    assert f.due_at == at("2026-05-12 10:00")
    # The weekdays off it skipped are stored with the deadline.
    assert f.due_data["days_off"] == "2026-04-27,2026-04-30,2026-05-01"


def test_feedback_sent_after_hours_counts_from_the_next_morning_and_the_days_are_a_setting(
    w: World, settings: Any
) -> None:
    f = about_procedure(w, when="2026-03-06 18:30")
    # Clock starts Mon 9 at 07:00: ten working days end with the close of Fri 20.
    assert f.due_at == at("2026-03-20 17:00")
    settings.FEEDBACK_ANSWER_WORKING_DAYS = 3
    f = about_procedure(w, when="2026-03-06 10:00", contact_phone="0911222333")
    assert f.due_at == at("2026-03-11 10:00")


# --- Who sends it ---------------------------------------------------------------------------------------


def test_the_applicant_sends_feedback_about_their_dossier_and_is_told_by_sms_and_email(w: World) -> None:
    citizen = applicant()
    d = online_dossier(w, citizen)
    f = fb.feedback_submit(
        kind="complaint",
        title="Hồ sơ bị yêu cầu bổ sung hai lần",
        content="Lần thứ hai yêu cầu giấy tờ đã nộp.",
        actor=citizen,
        dossier=d,
        at=at("2026-03-04 09:00"),
    )
    assert (f.agency, f.procedure_id, f.dossier, f.author, f.status) == (
        w.ward,
        d.procedure_id,
        d,
        citizen,
        FeedbackStatus.NEW,
    )
    sent = OutboxMessage.objects.filter(topic=f"feedback:{f.pk}")
    assert {(m.channel, m.recipient) for m in sent} == {("sms", citizen.phone), ("email", citizen.email)}
    assert "Hạn trả lời: 18/03/2026" in sent.get(channel="sms").body
    assert (AuditEntry.objects.get(event="feedback.submitted").new or {})["dossier"] == d.code


def test_nobody_else_sends_feedback_about_a_dossier_and_a_complaint_needs_a_dossier(w: World) -> None:
    citizen, other = applicant(n=1), applicant(n=2, full_name="Trần Văn Bình")
    d = online_dossier(w, citizen)
    for intruder in (other, None):
        with pytest.raises(tr.DossierForbidden, match="Chỉ người nộp hồ sơ"):
            fb.feedback_submit(kind="reflection", title="T", content="C", actor=intruder, dossier=d)
    with pytest.raises(tr.DossierForbidden, match="Cán bộ"):
        fb.feedback_submit(kind="reflection", title="T", content="C", actor=w.counter, procedure=d.procedure)
    with pytest.raises(tr.DossierRuleError, match="trang hồ sơ"):
        about_procedure(w, when="2026-03-02 09:00", actor=citizen, kind="complaint")
    assert not Feedback.objects.exists()


def test_anonymous_feedback_about_a_procedure_needs_a_contact_and_a_receiving_agency(w: World) -> None:
    with pytest.raises(tr.DossierRuleError, match="số điện thoại hoặc địa chỉ thư điện tử"):
        about_procedure(w, when="2026-03-02 09:00", contact_phone="")
    with pytest.raises(tr.DossierRuleError, match="10 chữ số"):
        about_procedure(w, when="2026-03-02 09:00", contact_phone="12345")
    with pytest.raises(tr.DossierRuleError, match="tiêu đề"):
        about_procedure(w, when="2026-03-02 09:00", title="  ")
    # Bound to one ward only: that ward answers.
    f = about_procedure(w, when="2026-03-02 09:00", contact_phone="+84 987 654 321", contact_name="Bà Mai")
    assert (f.agency, f.author, f.contact_phone, f.contact_name) == (w.ward, None, "0987654321", "Bà Mai")
    # An agency that does not receive the procedure cannot be chosen.
    with pytest.raises(tr.DossierRuleError, match="Chọn cơ quan"):
        about_procedure(w, when="2026-03-02 09:00", agency=w.other_ward)


# --- The answer -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answered", "punctuality"),
    [("2026-03-19 09:00", "early"), ("2026-03-20 16:30", "on_time"), ("2026-03-23 08:00", "late")],
)
def test_the_answer_is_early_on_time_or_late_against_the_due_date(
    w: World, answered: str, punctuality: str
) -> None:
    citizen = applicant()
    f = about_procedure(w, when="2026-03-06 16:00", actor=citizen)  # due Fri 20 March at 16:00
    f = fb.feedback_answer(feedback=f, official=w.counter, answer="Phường đã ghi nhận.", at=at(answered))
    assert (f.status, f.punctuality, f.answered_by) == (FeedbackStatus.ANSWERED, punctuality, w.counter)


def test_the_answer_is_given_once_by_an_official_of_the_agency_and_reaches_the_author(w: World) -> None:
    f = about_procedure(w, when="2026-03-02 09:00", contact_phone="0987654321")
    for outsider, why in ((w.other_counter, "Chỉ cán bộ"), (w.specialist, "Chỉ cán bộ")):
        with pytest.raises(tr.DossierForbidden, match=why):
            fb.feedback_answer(feedback=f, official=outsider, answer="Trả lời")
    with pytest.raises(tr.DossierRuleError, match="nội dung trả lời"):
        fb.feedback_answer(feedback=f, official=w.head, answer="   ")
    fb.feedback_answer(
        feedback=f, official=w.head, answer="Phường sẽ nhận bản chụp qua mạng.", at=at("2026-03-03 09:00")
    )
    answer = OutboxMessage.objects.get(dedupe_key=f"feedback:{f.pk}:answered:sms")
    assert answer.recipient == "0987654321" and "Phường sẽ nhận bản chụp qua mạng." in answer.body
    assert not OutboxMessage.objects.filter(dedupe_key=f"feedback:{f.pk}:answered:email").exists()
    with pytest.raises(tr.DossierConflict, match="đã được trả lời"):
        fb.feedback_answer(feedback=f, official=w.leader, answer="Lần hai")
    assert AuditEntry.objects.filter(event="feedback.answered").count() == 1


# --- The author's view of the answer --------------------------------------------------------------------


def test_the_author_says_once_whether_the_answer_satisfied_them(w: World) -> None:
    citizen, other = applicant(n=1), applicant(n=2, full_name="Trần Văn Bình")
    f = about_procedure(w, when="2026-03-02 09:00", actor=citizen)
    with pytest.raises(tr.DossierConflict, match="chưa được trả lời"):
        fb.feedback_rate_answer(feedback=f, actor=citizen, satisfaction="satisfied")
    fb.feedback_answer(feedback=f, official=w.counter, answer="Đã ghi nhận.", at=at("2026-03-03 09:00"))
    with pytest.raises(tr.DossierForbidden):
        fb.feedback_rate_answer(feedback=f, actor=other, satisfaction="satisfied")
    with pytest.raises(tr.DossierForbidden):
        fb.feedback_rate_answer(feedback=f, actor=w.counter, satisfaction="satisfied")
    assert fb.feedback_rate_answer(feedback=f, actor=citizen, satisfaction="satisfied") is None
    f.refresh_from_db()
    assert (f.status, f.author_satisfaction) == (FeedbackStatus.CLOSED, "satisfied")
    with pytest.raises(tr.DossierConflict, match="đã cho ý kiến"):
        fb.feedback_rate_answer(feedback=f, actor=citizen, satisfaction="not_satisfied")


def test_complaining_again_opens_a_follow_up_with_its_own_deadline(w: World) -> None:
    citizen = applicant()
    d = returned_dossier(w, citizen)
    f = fb.feedback_submit(
        kind="complaint",
        title="Trả kết quả chậm",
        content="…",
        actor=citizen,
        dossier=d,
        at=at("2026-03-09 09:00"),
    )
    fb.feedback_answer(feedback=f, official=w.leader, answer="Xin lỗi ông bà.", at=at("2026-03-10 09:00"))
    with pytest.raises(tr.DossierRuleError, match="Ghi rõ"):
        fb.feedback_rate_answer(feedback=f, actor=citizen, satisfaction="re_complained")
    follow = fb.feedback_rate_answer(
        feedback=f,
        actor=citizen,
        satisfaction="re_complained",
        content="Chưa giải thích vì sao chậm.",
        at=at("2026-03-11 09:00"),
    )
    assert follow is not None and follow.parent == f and follow.dossier == d and follow.kind == "complaint"
    assert follow.due_at == at("2026-03-25 09:00") and follow.status == FeedbackStatus.NEW


# --- Statistics -----------------------------------------------------------------------------------------


def test_the_summary_counts_answers_on_time_late_overdue_and_the_authors_views(w: World) -> None:
    citizen = applicant()
    early = about_procedure(w, when="2026-03-02 09:00", actor=citizen)  # due Mon 16 March 09:00
    late = about_procedure(w, when="2026-03-02 09:00", actor=citizen)
    recomplained = about_procedure(w, when="2026-03-02 09:00", actor=citizen)
    overdue = about_procedure(w, when="2026-03-02 09:00", actor=citizen)
    waiting = about_procedure(w, when="2026-03-20 09:00", actor=citizen)  # due 3 April: not overdue yet
    about_procedure(w, when="2026-04-02 09:00", actor=citizen)  # another quarter
    fb.feedback_answer(feedback=early, official=w.counter, answer="A", at=at("2026-03-05 09:00"))
    fb.feedback_answer(feedback=late, official=w.counter, answer="B", at=at("2026-03-17 09:00"))
    fb.feedback_answer(feedback=recomplained, official=w.counter, answer="C", at=at("2026-03-06 09:00"))
    fb.feedback_rate_answer(feedback=early, actor=citizen, satisfaction="satisfied")
    fb.feedback_rate_answer(
        feedback=recomplained,
        actor=citizen,
        satisfaction="re_complained",
        content="Chưa rõ",
        at=at("2026-03-25 09:00"),
    )
    s = fb.feedback_summary(
        agency=w.ward, period=Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)), now=at("2026-03-31 12:00")
    )
    # The follow-up of `recomplained` is received on 25 March (due 8 April): counted, open, not overdue.
    assert (s.received, s.answered, s.answered_on_time, s.answered_late) == (6, 3, 2, 1)
    assert (s.open, s.overdue_open) == (3, 1)
    assert (s.satisfied, s.not_satisfied, s.re_complained, s.unsatisfactory_answers) == (1, 0, 1, 2)
    assert str(s.on_time_ratio) == "0.5000"  # 2 on time of 3 answered + 1 overdue
    assert str(s.handling_satisfaction_ratio) == "0.3333"
    assert overdue.status == waiting.status == FeedbackStatus.NEW
    assert (
        fb.feedback_summary(
            agency=w.other_ward, period=Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
        ).received
        == 0
    )


def test_officials_see_only_their_units_feedback_and_authors_only_their_own(w: World) -> None:
    citizen, other = applicant(n=1), applicant(n=2, full_name="Trần Văn Bình")
    f = about_procedure(w, when="2026-03-02 09:00", actor=citizen)
    assert list(fb.feedback_visible_to_official(w.counter)) == [f]
    assert not fb.feedback_visible_to_official(w.other_counter).exists()
    assert not fb.feedback_visible_to_official(w.specialist).exists()  # not a role that answers feedback
    assert not fb.feedback_visible_to_official(citizen).exists()
    assert fb.feedback_get_for_author(citizen, f.pk) == f
    with pytest.raises(fb.FeedbackNotFound):
        fb.feedback_get_for_author(other, f.pk)
    with pytest.raises(fb.FeedbackNotFound):
        fb.feedback_get_for_official(w.other_counter, f.pk)
