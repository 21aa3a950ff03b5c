"""The citizen's rating and feedback pages, server side: the forms say in plain words what to fix, the
services decide; CSRF on every form; anonymous feedback about a procedure is rate-limited; and no citizen
reaches another citizen's rating or feedback on any page or endpoint."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tinhso.accounts.models import User
from tinhso.dossiers import feedback as fb
from tinhso.dossiers.models import DossierRating, Feedback, FeedbackStatus
from tinhso.dossiers.tests.factories import World, at
from tinhso.dossiers.tests.test_ratings import applicant, online_dossier, returned_dossier
from tinhso.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

FULL = {
    "overall": "satisfied",
    "time": "2",
    "contacts": "2",
    "agencies": "1",
    "attitude": "2",
    "ease_of_use": "very_satisfied",
    "comment": "Cán bộ tận tình.",
}


def logged_in(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def text(response: Any) -> str:
    return response.content.decode()


# --- Rating ---------------------------------------------------------------------------------------------


def test_the_applicant_rates_their_dossier_with_large_choices_and_plain_errors(w: World) -> None:
    citizen = applicant()
    d = returned_dossier(w, citizen)
    c = logged_in(citizen)
    url = f"/ho-so-cua-toi/{d.code}/danh-gia/"
    page = c.get(url)
    assert page.status_code == 200
    body = text(page)
    assert "csrfmiddlewaretoken" in body and 'class="choice"' in body
    assert "Rất hài lòng" in body and "Không quá 1 lần" in body and "Lịch sự, tận tình, chu đáo" in body
    # Nothing chosen: every missing question is named, nothing saved.
    bad = c.post(url, {"comment": "x"})
    assert bad.status_code == 400
    assert "Chưa gửi được" in text(bad)
    assert "Chọn một câu trả lời cho câu hỏi “Hồ sơ được giải quyết so với ngày hẹn trả thế nào?”" in text(
        bad
    )
    assert not DossierRating.objects.exists()
    done = c.post(url, FULL)
    assert done.status_code == 302 and done["Location"] == url
    r = DossierRating.objects.get()
    assert (r.overall, r.time_score, r.agencies_score, r.ease_of_use, r.channel) == (
        "satisfied",
        2,
        1,
        "very_satisfied",
        "online",
    )
    after = c.get(url)
    assert "Ông/bà đã đánh giá hồ sơ này" in text(after) and "Cảm ơn ông/bà đã đánh giá" in text(after)
    again = c.post(url, {**FULL, "overall": "not_satisfied"})
    assert again.status_code == 409 and DossierRating.objects.get().overall == "satisfied"


def test_a_dossier_in_process_says_when_it_can_be_rated(w: World) -> None:
    citizen = applicant()
    d = online_dossier(w, citizen)
    c = logged_in(citizen)
    page = c.get(f"/ho-so-cua-toi/{d.code}/danh-gia/")
    assert page.status_code == 200 and "bạn đánh giá được khi hồ sơ đã có kết quả" in text(page)
    assert "/ The dossier" not in text(page)  # the Vietnamese half only, on a Vietnamese page
    assert c.post(f"/ho-so-cua-toi/{d.code}/danh-gia/", FULL).status_code == 409
    assert not DossierRating.objects.exists()


def test_every_form_checks_csrf(w: World) -> None:
    citizen = applicant()
    d = returned_dossier(w, citizen)
    c = Client(enforce_csrf_checks=True)
    c.force_login(citizen)
    assert c.post(f"/ho-so-cua-toi/{d.code}/danh-gia/", FULL).status_code == 403
    assert (
        c.post(
            f"/ho-so-cua-toi/{d.code}/phan-anh/", {"kind": "reflection", "title": "T", "content": "C"}
        ).status_code
        == 403
    )
    anonymous = Client(enforce_csrf_checks=True)
    form = {"thu-tuc": w.residence.procedure.code, "kind": "reflection", "title": "T", "content": "C"}
    assert anonymous.post("/phan-anh-kien-nghi/", {**form, "contact_phone": "0987654321"}).status_code == 403
    assert not DossierRating.objects.exists() and not Feedback.objects.exists()
    # With the page's token it goes through.
    page = c.get(f"/ho-so-cua-toi/{d.code}/danh-gia/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(page))
    assert token
    assert (
        c.post(
            f"/ho-so-cua-toi/{d.code}/danh-gia/", {**FULL, "csrfmiddlewaretoken": token.group(1)}
        ).status_code
        == 302
    )


# --- Feedback -------------------------------------------------------------------------------------------


def test_the_applicant_sends_feedback_about_their_dossier_and_follows_it(w: World) -> None:
    citizen = applicant()
    d = online_dossier(w, citizen)
    c = logged_in(citizen)
    url = f"/ho-so-cua-toi/{d.code}/phan-anh/"
    page = c.get(url)
    assert page.status_code == 200 and "Khiếu nại về việc giải quyết hồ sơ" in text(page)
    bad = c.post(url, {"kind": "complaint", "title": "", "content": ""})
    assert bad.status_code == 400 and "Nhập tiêu đề ngắn" in text(bad) and "Nhập nội dung" in text(bad)
    done = c.post(
        url, {"kind": "complaint", "title": "Yêu cầu bổ sung hai lần", "content": "Lần hai đòi giấy đã nộp."}
    )
    f = Feedback.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/phan-anh-kien-nghi/cua-toi/{f.pk}/"
    assert (f.dossier, f.author, f.kind, f.agency) == (d, citizen, "complaint", w.ward)
    detail = c.get(done["Location"], follow=True)
    assert "Yêu cầu bổ sung hai lần" in text(detail) and "Cơ quan chưa trả lời" in text(detail)
    assert "Đã gửi phản ánh, kiến nghị số" in text(detail)
    listing = c.get("/phan-anh-kien-nghi/cua-toi/")
    assert listing.status_code == 200 and "Yêu cầu bổ sung hai lần" in text(listing)


def test_the_author_reads_the_answer_and_says_whether_it_satisfied_them(w: World) -> None:
    citizen = applicant()
    f = fb.feedback_submit(
        kind="recommendation",
        title="Thêm giờ làm việc thứ Bảy",
        content="Đề nghị mở cửa sáng thứ Bảy.",
        actor=citizen,
        procedure=w.residence.procedure,
    )
    c = logged_in(citizen)
    url = f"/phan-anh-kien-nghi/cua-toi/{f.pk}/"
    assert "answer-view-form" not in text(c.get(url))  # nothing to judge before the answer
    fb.feedback_answer(feedback=f, official=w.counter, answer="Phường sẽ trực sáng thứ Bảy từ tháng sau.")
    page = c.get(url)
    assert "Phường sẽ trực sáng thứ Bảy từ tháng sau." in text(page) and "answer-view-form" in text(page)
    missing = c.post(f"{url}y-kien/", {"satisfaction": "re_complained", "content": ""})
    assert missing.status_code == 400 and "Ghi rõ điều ông/bà chưa đồng ý" in text(missing)
    done = c.post(f"{url}y-kien/", {"satisfaction": "satisfied"})
    assert done.status_code == 302
    f.refresh_from_db()
    assert (f.status, f.author_satisfaction) == (FeedbackStatus.CLOSED, "satisfied")
    assert "Hài lòng với câu trả lời" in text(c.get(url))
    assert c.post(f"{url}y-kien/", {"satisfaction": "not_satisfied"}).status_code == 409


def test_anyone_sends_feedback_about_a_procedure_with_a_contact_and_is_rate_limited(
    w: World, settings: Any
) -> None:
    settings.FEEDBACK_ANONYMOUS_PER_IP = (2, 3600)
    code = w.residence.procedure.code
    c = Client()
    assert c.get("/phan-anh-kien-nghi/").status_code == 200  # asks for the procedure
    unknown = c.get("/phan-anh-kien-nghi/", {"thu-tuc": "9.999999"})
    assert unknown.status_code == 404 and "Không tìm thấy thủ tục" in text(unknown)
    page = c.get("/phan-anh-kien-nghi/", {"thu-tuc": code})
    assert page.status_code == 200 and 'name="contact_phone"' in text(page)
    assert "Khiếu nại về việc giải quyết hồ sơ" not in text(page)  # a complaint is about one's own dossier
    form = {
        "thu-tuc": code,
        "kind": "reflection",
        "title": "Giấy tờ khó hiểu",
        "content": "Tờ khai CT01 khó điền.",
    }
    no_contact = c.post("/phan-anh-kien-nghi/", form)
    assert no_contact.status_code == 400 and "Để lại số điện thoại hoặc thư điện tử" in text(no_contact)
    sent = c.post("/phan-anh-kien-nghi/", {**form, "contact_phone": "0987 654 321"})
    f = Feedback.objects.get()
    assert sent.status_code == 302 and sent["Location"] == "/phan-anh-kien-nghi/da-gui/"
    assert (f.author, f.contact_phone, f.agency) == (None, "0987654321", w.ward)
    confirmation = c.get("/phan-anh-kien-nghi/da-gui/")
    assert f'<span class="dossier-code">{f.pk}</span>' in text(confirmation)
    assert OutboxMessage.objects.filter(recipient="0987654321", topic=f"feedback:{f.pk}").exists()
    limited = c.post("/phan-anh-kien-nghi/", {**form, "contact_phone": "0987654321"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "thử lại sau" in text(limited) and Feedback.objects.count() == 1


def test_an_official_is_sent_to_the_back_office_rather_than_sending_feedback(w: World) -> None:
    page = logged_in(w.counter).get("/phan-anh-kien-nghi/", {"thu-tuc": w.residence.procedure.code})
    assert page.status_code == 403


# --- Another citizen, an official, an anonymous visitor: refused everywhere -----------------------------


class TestNobodyReachesAnotherCitizensRatingOrFeedback:
    """Citizen A's returned dossier, its rating and A's feedback; B, an official and an anonymous visitor try
    every page and endpoint: 404 (as if it did not exist) for B, 403 or 404 for the official, the login page
    for the anonymous visitor; nothing is written."""

    @pytest.fixture
    def a(self, w: World) -> dict[str, Any]:
        citizen_a = applicant(n=1, full_name="Nguyễn Thị Hằng")
        d = returned_dossier(w, citizen_a)
        feedback = fb.feedback_submit(
            kind="reflection",
            title="Chờ lâu",
            content="Chờ 2 giờ.",
            actor=citizen_a,
            dossier=d,
            at=at("2026-03-09 09:00"),
        )
        fb.feedback_answer(
            feedback=feedback, official=w.counter, answer="Xin lỗi bà.", at=at("2026-03-10 09:00")
        )
        return {"user": citizen_a, "dossier": d, "feedback": feedback}

    def urls(self, a: dict[str, Any]) -> dict[str, str]:
        code, pk = a["dossier"].code, a["feedback"].pk
        return {
            "rate": f"/ho-so-cua-toi/{code}/danh-gia/",
            "feedback_dossier": f"/ho-so-cua-toi/{code}/phan-anh/",
            "feedback_detail": f"/phan-anh-kien-nghi/cua-toi/{pk}/",
            "feedback_view": f"/phan-anh-kien-nghi/cua-toi/{pk}/y-kien/",
        }

    def nothing_written(self, a: dict[str, Any]) -> None:
        a["feedback"].refresh_from_db()
        assert not DossierRating.objects.exists()
        assert Feedback.objects.count() == 1 and a["feedback"].author_satisfaction == ""

    def test_citizen_b_gets_404_on_every_page_and_endpoint(self, w: World, a: dict[str, Any]) -> None:
        b = logged_in(applicant(n=2, full_name="Trần Văn Bình"))
        urls = self.urls(a)
        assert b.get(urls["rate"]).status_code == 404
        assert b.post(urls["rate"], FULL).status_code == 404
        assert b.get(urls["feedback_dossier"]).status_code == 404
        assert (
            b.post(urls["feedback_dossier"], {"kind": "complaint", "title": "T", "content": "C"}).status_code
            == 404
        )
        assert b.get(urls["feedback_detail"]).status_code == 404
        assert b.post(urls["feedback_view"], {"satisfaction": "not_satisfied"}).status_code == 404
        assert b.get(urls["feedback_view"]).status_code == 405  # POST only, and still nothing shown
        listing = text(b.get("/phan-anh-kien-nghi/cua-toi/"))
        assert "Chờ lâu" not in listing and "chưa gửi phản ánh" in listing
        self.nothing_written(a)

    def test_an_official_of_the_unit_is_refused_on_the_citizens_pages(
        self, w: World, a: dict[str, Any]
    ) -> None:
        official = logged_in(w.counter)
        for name, url in self.urls(a).items():
            response = (
                official.get(url)
                if name != "feedback_view"
                else official.post(url, {"satisfaction": "satisfied"})
            )
            assert response.status_code == 403, name  # "for citizens": officials work in the back office
        assert official.post(self.urls(a)["rate"], FULL).status_code == 403
        self.nothing_written(a)

    def test_an_anonymous_visitor_is_sent_to_the_login_page(self, w: World, a: dict[str, Any]) -> None:
        anonymous = Client()
        for name, url in self.urls(a).items():
            response = (
                anonymous.get(url)
                if name != "feedback_view"
                else anonymous.post(url, {"satisfaction": "satisfied"})
            )
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), name
        assert anonymous.post(self.urls(a)["rate"], FULL)["Location"].startswith("/accounts/login/")
        my_list = anonymous.get("/phan-anh-kien-nghi/cua-toi/")
        assert my_list.status_code == 302 and my_list["Location"].startswith("/accounts/login/")
        self.nothing_written(a)

    def test_the_applicant_herself_reaches_every_page(self, w: World, a: dict[str, Any]) -> None:
        owner = logged_in(a["user"])
        urls = self.urls(a)
        for name in ("rate", "feedback_dossier", "feedback_detail"):
            assert owner.get(urls[name]).status_code == 200, name
        assert owner.post(urls["feedback_view"], {"satisfaction": "satisfied"}).status_code == 302


# --- In a real browser: a 360 px phone, JavaScript off ----------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_citizen_rates_on_a_360_px_phone_without_javascript(
    site: str, new_page: Any, screenshot: Any
) -> None:
    from django.conf import settings

    from tinhso.dossiers.tests.factories import world

    w = world()
    citizen = applicant()
    d = returned_dossier(w, citizen)
    client = logged_in(citizen)
    page = new_page(width=360, height=740, js=False)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )
    response = page.goto(f"{site}/ho-so-cua-toi/{d.code}/danh-gia/")
    assert response and response.status == 200
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= 360
    # Each answer is a large target (at least 44 px high) that a thumb can hit.
    heights = page.eval_on_selector_all(
        "label.choice", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert len(heights) == 18 and min(heights) >= 44
    page.click("button[data-testid=send-rating]")  # nothing chosen: told what to fix, on the same page
    assert "Chưa gửi được" in page.inner_text("[data-testid=form-errors]")
    screenshot(page, "rating-errors-360", full_page=True)
    for name, value in (
        ("overall", "satisfied"),
        ("time", "2"),
        ("contacts", "2"),
        ("agencies", "2"),
        ("attitude", "2"),
    ):
        page.click(f"label.choice:has(input[name={name}][value='{value}'])")
    page.click("button[data-testid=send-rating]")
    assert "Ông/bà đã đánh giá hồ sơ này" in page.inner_text("main")
    assert DossierRating.objects.get().overall == "satisfied"
