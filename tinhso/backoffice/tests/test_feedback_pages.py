"""The officials' feedback queue and answer page, the paper rating form and the unit's quarter overview."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tinhso.accounts.models import User
from tinhso.dossiers import feedback as fb
from tinhso.dossiers import ratings
from tinhso.dossiers.models import DossierRating, Feedback, FeedbackStatus, RatingChannel
from tinhso.dossiers.tests.factories import World, at
from tinhso.dossiers.tests.test_ratings import applicant, online_dossier, returned_dossier
from tinhso.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def logged_in(user: User, **kw: Any) -> Client:
    c = Client(**kw)
    c.force_login(user)
    return c


def text(response: Any) -> str:
    return response.content.decode()


def about_residence(w: World, *, when: str, title: str = "Chờ lâu ở quầy") -> Feedback:
    return fb.feedback_submit(
        kind="reflection",
        title=title,
        content="Phải chờ hơn hai giờ.",
        actor=None,
        procedure=w.residence.procedure,
        contact_phone="0987654321",
        at=at(when),
    )


def test_the_queue_lists_the_units_feedback_by_due_date_with_overdue_flags(
    w: World, django_assert_max_num_queries: Any
) -> None:
    # Received in March 2026, due 10 working days later: long past by now.
    overdue = about_residence(w, when="2026-03-02 09:00", title="Phản ánh quá hạn")
    fresh = about_residence(w, when="2026-11-26 09:00", title="Phản ánh mới")
    answered = about_residence(w, when="2026-03-03 09:00", title="Phản ánh đã trả lời")
    fb.feedback_answer(feedback=answered, official=w.counter, answer="Đã xử lý.", at=at("2026-03-04 09:00"))
    c = logged_in(w.counter)
    with django_assert_max_num_queries(8):
        page = c.get("/backoffice/phan-anh/")
    assert page.status_code == 200
    body = text(page)
    assert body.index("Phản ánh quá hạn") < body.index("Phản ánh mới")  # most urgent first
    assert "Phản ánh đã trả lời" not in body
    assert body.count('data-testid="overdue"') == 1
    assert 'data-testid="tab-qua-han"' in body and '<span class="count">1</span>' in body
    assert f"/backoffice/phan-anh/{overdue.pk}/" in body and f"/backoffice/phan-anh/{fresh.pk}/" in body
    done = text(c.get("/backoffice/phan-anh/", {"trang-thai": "da-tra-loi"}))
    assert "Phản ánh đã trả lời" in done and "Phản ánh mới" not in done


def test_only_officials_whose_role_answers_feedback_reach_the_queue(w: World) -> None:
    about_residence(w, when="2026-03-02 09:00")
    assert Client().get("/backoffice/phan-anh/")["Location"].startswith("/accounts/login/")
    assert logged_in(applicant()).get("/backoffice/phan-anh/").status_code == 403
    assert logged_in(w.specialist).get("/backoffice/phan-anh/").status_code == 403
    for official in (w.counter, w.head, w.leader):
        assert logged_in(official).get("/backoffice/phan-anh/").status_code == 200
    other = text(logged_in(w.other_counter).get("/backoffice/phan-anh/"))
    assert "Chờ lâu ở quầy" not in other and 'data-testid="empty-list"' in other


def test_an_official_answers_once_and_the_author_is_told(w: World) -> None:
    f = about_residence(w, when="2026-03-02 09:00")
    url = f"/backoffice/phan-anh/{f.pk}/"
    head = logged_in(w.head)
    page = head.get(url)
    assert page.status_code == 200 and "Phải chờ hơn hai giờ." in text(page) and "answer-form" in text(page)
    assert "0987654321" in text(page)  # how to reach the author
    empty = head.post(url, {"answer": "  "})
    assert empty.status_code == 400 and "Nhập nội dung trả lời trước khi gửi." in text(empty)
    done = head.post(url, {"answer": "Phường bố trí thêm một quầy vào buổi sáng."})
    assert done.status_code == 302 and done["Location"] == url
    f.refresh_from_db()
    assert (f.status, f.answered_by, f.answer) == (
        FeedbackStatus.ANSWERED,
        w.head,
        "Phường bố trí thêm một quầy vào buổi sáng.",
    )
    message = OutboxMessage.objects.get(dedupe_key=f"feedback:{f.pk}:answered:sms")
    assert message.recipient == "0987654321" and "thêm một quầy" in message.body
    after = head.get(url)
    assert "answer-form" not in text(after) and "Đã gửi câu trả lời" in text(after)
    again = head.post(url, {"answer": "Lần hai"}, follow=True)
    assert "đã được trả lời" in text(again)
    f.refresh_from_db()
    assert f.answer == "Phường bố trí thêm một quầy vào buổi sáng."


def test_another_units_official_finds_no_such_feedback_and_cannot_answer_it(w: World) -> None:
    f = about_residence(w, when="2026-03-02 09:00")
    other = logged_in(w.other_counter)
    assert other.get(f"/backoffice/phan-anh/{f.pk}/").status_code == 404
    assert (
        other.post(f"/backoffice/phan-anh/{f.pk}/", {"answer": "Không phải việc của tôi"}).status_code == 404
    )
    assert logged_in(w.specialist).post(f"/backoffice/phan-anh/{f.pk}/", {"answer": "x"}).status_code == 403
    assert logged_in(applicant()).get(f"/backoffice/phan-anh/{f.pk}/").status_code == 403
    csrf = logged_in(w.counter, enforce_csrf_checks=True)
    assert csrf.post(f"/backoffice/phan-anh/{f.pk}/", {"answer": "Trả lời"}).status_code == 403
    f.refresh_from_db()
    assert f.status == FeedbackStatus.NEW and f.answer == ""


def test_a_counter_officer_types_in_the_paper_rating_form(w: World) -> None:
    d = returned_dossier(w, applicant())
    url = f"/backoffice/dossiers/{d.code}/phieu-danh-gia/"
    counter = logged_in(w.counter)
    assert counter.get(url).status_code == 200
    missing = counter.post(url, {"overall": "satisfied"})
    assert missing.status_code == 400 and "Chọn câu trả lời ghi trên phiếu" in text(missing)
    done = counter.post(
        url, {"time": "1", "contacts": "2", "agencies": "2", "attitude": "1", "overall": "satisfied"}
    )
    assert done.status_code == 302
    r = DossierRating.objects.get()
    assert (r.channel, r.recorded_by, r.rated_by, r.attitude_score) == (
        RatingChannel.COUNTER_FORM,
        w.counter,
        None,
        1,
    )
    assert "Mỗi hồ sơ chỉ đánh giá một lần" in text(counter.get(url))
    assert (
        counter.post(
            url, {"time": "0", "contacts": "0", "agencies": "0", "attitude": "0", "overall": "not_satisfied"}
        ).status_code
        == 409
    )
    assert logged_in(w.specialist).get(url).status_code == 403
    assert logged_in(w.other_counter).get(url).status_code == 404


def test_a_dossier_in_process_has_no_paper_rating_yet(w: World) -> None:
    d = online_dossier(w, applicant())
    page = logged_in(w.counter).get(f"/backoffice/dossiers/{d.code}/phieu-danh-gia/")
    assert (
        page.status_code == 200 and "chưa có kết quả" in text(page) and "paper-rating-form" not in text(page)
    )


def test_the_quarter_overview_shows_the_units_ratings_and_feedback(w: World) -> None:
    people_ = [applicant(n=n, full_name=f"Người nộp {n}") for n in (1, 2)]
    happy = returned_dossier(w, people_[0])
    unhappy = returned_dossier(w, people_[1])
    ratings.rating_submit(
        dossier=happy,
        actor=people_[0],
        answers=ratings.RatingAnswers(time=2, contacts=2, agencies=2, attitude=2, overall="very_satisfied"),
        channel=RatingChannel.ONLINE,
        at=at("2026-03-20 10:00"),
    )
    ratings.rating_submit(
        dossier=unhappy,
        actor=people_[1],
        answers=ratings.RatingAnswers(time=0, contacts=1, agencies=2, attitude=0, overall="not_satisfied"),
        channel=RatingChannel.ONLINE,
        at=at("2026-03-21 10:00"),
    )
    about_residence(w, when="2026-03-02 09:00")
    page = logged_in(w.leader).get("/backoffice/danh-gia/", {"quy": "2026-1"})
    assert page.status_code == 200
    body = text(page)
    assert "quý 1 năm 2026" in body
    assert 'data-testid="very-satisfied">1<' in body and 'data-testid="not-satisfied">1 (50,0 %)' in body
    assert 'data-testid="receiving">1 / 2<' in body  # the unhappy one counts against the unit
    assert happy.code in body and unhappy.code in body
    other_quarter = text(logged_in(w.leader).get("/backoffice/danh-gia/", {"quy": "2026-2"}))
    assert happy.code not in other_quarter
    assert (
        logged_in(w.other_counter)
        .get("/backoffice/danh-gia/", {"quy": "2026-1"})
        .content.count(happy.code.encode())
        == 0
    )
    assert logged_in(w.specialist).get("/backoffice/danh-gia/").status_code == 403
    assert dt.date(2026, 1, 1) == ratings.Period.quarter_of(dt.date(2026, 3, 31)).start
