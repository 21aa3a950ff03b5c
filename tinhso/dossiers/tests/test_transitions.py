"""Every transition of the dossier lifecycle, and every refusal, on real procedures at a real ward.

Times are local (UTC+7). March 2026 has no holiday: Mon 2, …, Fri 6, Mon 9, …, Fri 13, Mon 16, Tue 17.
Permanent residence (1.004222) takes 7 working days; its demo process is reception 0.7 day, appraisal
3.5, approval 2.1, return 0.7 (procedures/seed.py).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tinhso.accounts.models import Role
from tinhso.accounts.tests import factories as people
from tinhso.core.models import AuditEntry
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, DossierEvent, Status
from tinhso.dossiers.tests.factories import OTHER_WARD, World, at
from tinhso.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def events(d: Dossier) -> list[tuple[str, str, int]]:
    return list(DossierEvent.objects.filter(dossier=d).values_list("action", "form", "national_status"))


def in_appraisal(w: World, when: str = "2026-03-02 09:00") -> Dossier:
    d = w.received(when=when)
    d = tr.hand_over(
        d, actor=w.counter, to=w.head, at=at(when) + (at("2026-03-02 10:00") - at("2026-03-02 09:00"))
    )
    return tr.assign(d, actor=w.head, assignee=w.specialist, at=d.current_step.started_at)  # type: ignore[union-attr]


# --- Reception ------------------------------------------------------------------------------------------


def test_a_counter_reception_gets_the_units_code_mau_01_and_a_due_time_in_working_days(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    assert d.code == "000.00.30.H60-260302-0001"
    assert re.fullmatch(r"\d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4}", d.code)
    assert (d.status, d.national_status) == (Status.RECEIVED, 2)
    # 7 working days from Mon 09:00: Wed 11 at 09:00.
    assert d.due_at == at("2026-03-11 09:00") and d.clock_start == at("2026-03-02 09:00")
    assert d.procedure_version_id == w.residence.procedure.current_version_id
    assert events(d) == [("submit", "", 1), ("receive", "01", 2)]
    deadline = DossierEvent.objects.get(dossier=d, action="receive").data["deadline"]
    assert deadline["rule"] == "reception.v1" and deadline["due_rule"] == "due.working_day.v1"
    assert (deadline["value"], deadline["unit"], deadline["paper"]) == ("7.00", "working_day", "true")
    # The first step (0.7 day = 5.6 office hours) runs from 09:00: 2.5 h to 11:30, 3.1 h from 13:30.
    first = d.current_step
    assert first is not None and first.order == 1 and first.assignee == w.counter
    assert first.due_at == at("2026-03-02 16:36")
    assert d.steps.count() == 4 and d.holder == w.counter


def test_the_daily_sequence_counts_per_unit_and_restarts_each_day(w: World) -> None:
    codes = [w.submit(when="2026-03-02 08:00").code for _ in range(3)]
    assert codes == [f"000.00.30.H60-260302-000{i}" for i in (1, 2, 3)]
    assert w.submit(when="2026-03-03 00:00").code == "000.00.30.H60-260303-0001"
    # Midnight in Vietnam is 17:00 UTC the day before: the local date counts.
    assert w.submit(when="2026-03-03 23:59").code == "000.00.30.H60-260303-0002"


def test_a_paper_dossier_received_after_15_00_counts_from_the_next_morning(w: World) -> None:
    d = w.received(when="2026-03-02 15:01")
    assert d.clock_start == at("2026-03-03 07:00")
    assert d.due_at == at("2026-03-11 17:00")  # Tue 3 is day 1, Wed 11 day 7, to the close of office


def test_an_online_dossier_received_at_15_01_counts_at_once(w: World) -> None:
    d = w.submit(when="2026-03-02 15:01", channel="online")
    d = tr.receive(d, actor=w.counter, at=at("2026-03-02 15:01"))
    assert d.clock_start == at("2026-03-02 15:01") and d.due_at == at("2026-03-11 15:01")


def test_submitting_online_for_a_person_needs_their_consent_and_records_who_did_it(w: World) -> None:
    with pytest.raises(tr.DossierRuleError, match="đồng ý"):
        tr.submit(
            binding=w.residence,
            channel="online",
            applicant=tr.Applicant(name="Bà Lò Thị Mai"),
            actor=w.counter,
            at=at("2026-03-02 09:00"),
        )
    d = w.submit(when="2026-03-02 09:00", channel="online")
    assert d.on_behalf_by == w.counter and "đồng ý" in d.on_behalf_consent


def test_a_citizen_submits_only_online_and_only_for_themself(w: World) -> None:
    mine = tr.Applicant(name=w.citizen.full_name, user=w.citizen)
    d = tr.submit(binding=w.residence, channel="online", applicant=mine, actor=w.citizen)
    assert d.status == Status.SUBMITTED and d.applicant_user == w.citizen
    with pytest.raises(tr.DossierForbidden):
        tr.submit(binding=w.residence, channel="counter", applicant=mine, actor=w.citizen)
    with pytest.raises(tr.DossierForbidden):
        tr.submit(
            binding=w.residence, channel="online", applicant=tr.Applicant(name="Người khác"), actor=w.citizen
        )


def test_refusal_needs_its_reason_and_issues_mau_03(w: World) -> None:
    d = w.submit(when="2026-03-02 09:00")
    with pytest.raises(tr.DossierRuleError, match="lý do"):
        tr.refuse(d, actor=w.counter, reason="  ")
    d = tr.refuse(
        d, actor=w.counter, reason="Thủ tục không thuộc thẩm quyền của phường", at=at("2026-03-02 09:05")
    )
    assert (d.status, d.national_status) == (Status.REFUSED, 3)
    assert events(d)[-1] == ("refuse", "03", 3)
    with pytest.raises(tr.DossierConflict):
        tr.receive(d, actor=w.counter)


# --- The whole path -------------------------------------------------------------------------------------


def test_the_whole_path_counter_head_specialist_leader_return(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    d = tr.hand_over(d, actor=w.counter, to=w.head, at=at("2026-03-02 10:00"))
    assert (d.status, d.holder) == (Status.IN_PROCESS, w.head)
    d = tr.assign(d, actor=w.head, assignee=w.specialist, at=at("2026-03-02 10:30"))
    assert d.holder == w.specialist
    d = tr.hand_over(d, actor=w.specialist, to=w.leader, at=at("2026-03-05 10:00"))
    d = tr.approve(d, actor=w.leader, result_note="Đã đăng ký thường trú", at=at("2026-03-06 09:00"))
    assert (d.status, d.national_status, d.outcome) == (Status.PROCESSED, 9, "approved")
    assert d.punctuality == "early"  # finished Fri 6, due Wed 11
    assert d.holder == w.counter  # the return step goes back to the counter that received it
    d = tr.return_result(d, actor=w.counter, method="counter", at=at("2026-03-06 14:00"))
    assert (d.status, d.national_status, d.holder) == (Status.RETURNED, 10, None)
    assert [a for a, _f, _n in events(d)] == [
        "submit",
        "receive",
        "hand_over",
        "assign",
        "hand_over",
        "approve",
        "return_result",
    ]
    steps = list(d.steps.order_by("order").values_list("order", "punctuality"))
    # Reception 10:00 (due 16:36 the same day): on time by date; appraisal 3.5 days from Mon 10:00 was
    # due Thu 5 15:00, done Thu 10:00: on time; approval 2.1 days from Thu 10:00 due Mon 9, done Fri: early.
    assert steps == [(1, "on_time"), (2, "on_time"), (3, "early"), (4, "on_time")]
    assert d.revision == 7 and DossierEvent.objects.filter(dossier=d).count() == 7


def test_a_rejection_after_appraisal_needs_its_reason(w: World) -> None:
    d = in_appraisal(w)
    d = tr.hand_over(d, actor=w.specialist, to=w.leader, at=at("2026-03-03 09:00"))
    with pytest.raises(tr.DossierRuleError, match="lý do"):
        tr.reject(d, actor=w.leader, reason="")
    d = tr.reject(d, actor=w.leader, reason="Chỗ ở không hợp pháp", at=at("2026-03-12 09:00"))
    assert (d.status, d.outcome, d.punctuality) == (Status.PROCESSED, "rejected", "late")


def test_the_leader_cannot_approve_before_the_approval_step(w: World) -> None:
    d = in_appraisal(w)
    with pytest.raises(tr.DossierRuleError, match="phê duyệt"):
        tr.approve(d, actor=w.leader)


def test_send_back_returns_the_step_to_the_specialist_with_the_reason(w: World) -> None:
    d = in_appraisal(w)
    d = tr.hand_over(d, actor=w.specialist, to=w.leader, at=at("2026-03-03 09:00"))
    d = tr.send_back(d, actor=w.leader, reason="Bổ sung ý kiến xác minh", at=at("2026-03-03 10:00"))
    assert d.holder == w.specialist and d.current_step is not None and d.current_step.order == 2
    assert events(d)[-1][0] == "send_back"


def test_a_consultation_has_its_own_deadline_and_only_the_consulted_agency_answers(w: World) -> None:
    d = in_appraisal(w)
    c = tr.consult(
        d,
        actor=w.specialist,
        agency=w.other_ward,
        question="Xác minh nơi ở cũ",
        days=2,
        at=at("2026-03-03 09:00"),
    )
    assert c.due_at == at("2026-03-05 09:00")
    with pytest.raises(tr.DossierForbidden):
        tr.consult_answer(c, actor=w.specialist, answer="Đã xác minh")
    c = tr.consult_answer(c, actor=w.other_counter, answer="Đúng nơi ở cũ", at=at("2026-03-04 09:00"))
    assert c.answered_at is not None
    assert DossierEvent.objects.get(dossier=d, action="consult_answer").data["punctuality"] == "early"
    with pytest.raises(tr.DossierConflict):
        tr.consult_answer(c, actor=w.other_counter, answer="Lần hai")


def test_the_applicants_name_is_kept_folded_for_the_search(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")  # written by hand-built statements (core.rows), not `save`
    assert Dossier.objects.get(pk=d.pk).applicant_name_folded == "nguyen thi hang"
    d.applicant_name = "Đặng Văn Đức"  # a correction through the ORM keeps the copy in step
    d.save(update_fields=["applicant_name"])
    assert Dossier.objects.get(pk=d.pk).applicant_name_folded == "dang van duc"


def test_the_search_copy_of_names_written_before_it_existed_is_filled_page_by_page(w: World) -> None:
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    fill = importlib.import_module("tinhso.dossiers.migrations.0006_fill_applicant_name_folded").fill
    a = w.received(when="2026-03-02 09:00")
    b = w.received(when="2026-03-02 09:30")
    Dossier.objects.filter(pk=b.pk).update(applicant_name="Hoàng Thị Mỷ, (chủ hộ)")
    Dossier.objects.update(applicant_name_folded="")  # as the rows were before 0005
    fill(apps, SimpleNamespace(connection=connection))
    assert dict(Dossier.objects.values_list("pk", "applicant_name_folded")) == {
        a.pk: "nguyen thi hang",
        b.pk: "hoang thi my chu ho",
    }
    fill(apps, SimpleNamespace(connection=connection))  # again: nothing left to fill, nothing changed


def test_the_asked_agencys_leaders_are_told_when_the_question_is_asked(w: World) -> None:
    from tinhso.accounts.models import User

    their_leader = people.official(agency_prefix=OTHER_WARD, roles=(Role.AGENCY_LEADER,))
    silent_leader = people.official(agency_prefix=OTHER_WARD, roles=(Role.AGENCY_LEADER,))  # no contact
    User.objects.filter(pk=their_leader.pk).update(phone="0912000001", email="lanhdao@xa-khac.example")
    User.objects.filter(pk=w.leader.pk).update(phone="0912000002", email="lanhdao@phuong.example")
    # The asked agency's counter officer answers too, but is not a leader: not told (the leaders hand it on).
    User.objects.filter(pk=w.other_counter.pk).update(phone="0912000003", email="motcua@xa-khac.example")
    d = in_appraisal(w)
    c = tr.consult(
        d,
        actor=w.specialist,
        agency=w.other_ward,
        question="Xác minh nơi ở cũ",
        days=2,
        at=at("2026-03-03 09:00"),
    )
    told = OutboxMessage.objects.filter(dedupe_key__startswith=f"consultation:asked:{c.pk}:").order_by("pk")
    # The asked agency's leader, by SMS and e-mail; not the asking agency's, not one without a contact.
    assert [(m.channel, m.recipient) for m in told] == [
        ("sms", "0912000001"),
        ("email", "lanhdao@xa-khac.example"),
    ]
    assert not OutboxMessage.objects.filter(dedupe_key__contains=f":{silent_leader.pk}:").exists()
    assert not OutboxMessage.objects.filter(recipient__in=["0912000002", "0912000003"]).exists()
    sms = told[0]
    assert sms.body.startswith(f"{w.ward.name} hỏi ý kiến cơ quan về hồ sơ {d.code}")
    email = told[1]
    assert d.code in email.subject and "09:00 05/03/2026" in email.subject
    assert w.ward.name in email.body and d.code in email.body and "hạn trả lời 09:00 05/03/2026" in email.body
    assert email.topic == f"dossier:{d.code}"


def test_a_consultation_asks_another_active_agency(w: World) -> None:
    d = in_appraisal(w)
    assert w.ward.parent is not None
    for agency in (w.ward, w.ward.parent, w.other_ward):  # itself, the unit above it, an inactive one
        if agency == w.other_ward:
            agency.is_active = False
            agency.save(update_fields=["is_active"])
        with pytest.raises(tr.DossierRuleError, match="cơ quan khác"):
            tr.consult(d, actor=w.specialist, agency=agency, question="Xác minh", days=2)


def test_only_the_asked_agencys_officials_with_a_role_answer_and_not_once_the_dossier_closed(
    w: World,
) -> None:
    from tinhso.dossiers import selectors

    d = in_appraisal(w)
    c = tr.consult(d, actor=w.specialist, agency=w.other_ward, question="Xác minh", days=2)
    kiosk = people.official(agency_prefix=OTHER_WARD, roles=())  # a rating kiosk's account: no role
    assert w.ward.parent is not None
    above = people.official(agency_prefix=w.ward.parent.code.split(".H")[0], roles=(Role.AGENCY_LEADER,))
    for outsider in (kiosk, above, w.specialist):
        assert not selectors.consultations_for(outsider).exists()
        with pytest.raises(tr.DossierForbidden):
            tr.consult_answer(c, actor=outsider, answer="Không thuộc thẩm quyền")
    assert list(selectors.consultations_for(w.other_counter)) == [c]
    tr.withdraw(d, actor=w.counter, reason="Người dân xin rút")
    assert not selectors.consultations_for(w.other_counter).exists()  # moot now
    with pytest.raises(tr.DossierConflict, match="đã kết thúc"):
        tr.consult_answer(c, actor=w.other_counter, answer="Đúng nơi ở cũ")


def test_an_open_consultation_is_overdue_only_after_its_due_day(w: World) -> None:
    from tinhso.dossiers import selectors

    d = in_appraisal(w)
    c = tr.consult(
        d, actor=w.specialist, agency=w.other_ward, question="X", days=2, at=at("2026-03-03 09:00")
    )
    assert c.due_at == at("2026-03-05 09:00")
    assert selectors.consultation_punctuality(c, at("2026-03-05 16:00")) == "pending"  # on the day: on time
    assert selectors.consultation_punctuality(c, at("2026-03-06 07:30")) == "overdue"


# --- Supplement, pause, extension, stop, withdrawal -----------------------------------------------------


def test_a_supplement_is_asked_once_with_reasons_and_restarts_the_full_time(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    with pytest.raises(tr.DossierRuleError, match="lý do"):
        tr.request_supplement(d, actor=w.counter, items=[tr.MissingItem("Sổ hộ khẩu", "")])
    d = tr.request_supplement(
        d,
        actor=w.counter,
        items=[tr.MissingItem("Giấy tờ chứng minh chỗ ở hợp pháp", "Bản chụp mờ, không đọc được số thửa")],
        at=at("2026-03-03 10:00"),
    )
    assert (d.status, d.national_status) == (Status.SUPPLEMENT, 5)
    mau02 = DossierEvent.objects.get(dossier=d, action="request_supplement")
    assert mau02.form == "02" and mau02.data["items"][0]["reason"].startswith("Bản chụp mờ")
    d = tr.supplement_complete(d, actor=w.counter, at=at("2026-03-06 08:00"))
    # The full 7 working days again, from Fri 6 08:00 (ND 61 Art. 19(4)).
    assert d.status == Status.RECEIVED and d.due_at == at("2026-03-17 08:00")
    assert DossierEvent.objects.get(dossier=d, action="supplement_complete").data["deadline"]["rule"] == (
        "supplement_restart.v1"
    )
    with pytest.raises(tr.DossierRuleError, match="một lần"):
        tr.request_supplement(d, actor=w.counter, items=[tr.MissingItem("CT01", "Thiếu chữ ký")])


def test_a_supplement_cannot_be_asked_after_three_working_days(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    # Three working days after Mon 09:00 is Thu 09:00; Thu 09:01 is past the window.
    with pytest.raises(tr.DossierRuleError, match="3 ngày làm việc"):
        tr.request_supplement(
            d, actor=w.counter, items=[tr.MissingItem("CT01", "Thiếu chữ ký")], at=at("2026-03-05 09:01")
        )
    d = tr.request_supplement(
        d, actor=w.counter, items=[tr.MissingItem("CT01", "Thiếu chữ ký")], at=at("2026-03-05 09:00")
    )
    assert d.status == Status.SUPPLEMENT


def test_a_pause_for_a_financial_obligation_moves_the_due_time_by_the_time_paused(w: World) -> None:
    d = in_appraisal(w)
    assert d.due_at == at("2026-03-11 09:00")
    d = tr.pause_for_payment(
        d, actor=w.specialist, reason="Nộp lệ phí đăng ký cư trú", amount_vnd=20000, at=at("2026-03-03 09:00")
    )
    assert (d.status, d.national_status, d.fee_due_vnd) == (Status.PAUSED, 6, 20000)
    d = tr.resume_after_payment(d, actor=None, at=at("2026-03-05 09:00"))
    # Two working days paused (Tue 09:00 to Thu 09:00): due Fri 13 09:00.
    assert d.status == Status.IN_PROCESS and d.due_at == at("2026-03-13 09:00")
    assert DossierEvent.objects.filter(dossier=d, action="resume_after_payment").get().data["deadline"][
        "paused_working_seconds"
    ] == str(16 * 3600)


def test_an_extension_is_signed_once_by_the_leader_a_working_day_before_the_due_date(w: World) -> None:
    d = in_appraisal(w)  # due Wed 11 09:00: the last day to extend is Tue 10
    new_due = at("2026-03-13 16:00")
    with pytest.raises(tr.DossierForbidden):
        tr.extend(d, actor=w.specialist, reason="Chờ xác minh", new_due=new_due, at=at("2026-03-10 16:00"))
    with pytest.raises(tr.DossierRuleError, match="10/03/2026"):
        tr.extend(d, actor=w.leader, reason="Chờ xác minh", new_due=new_due, at=at("2026-03-11 07:30"))
    with pytest.raises(tr.DossierRuleError, match="sau ngày hẹn cũ"):
        tr.extend(
            d,
            actor=w.leader,
            reason="Chờ xác minh",
            new_due=at("2026-03-11 08:00"),
            at=at("2026-03-10 16:00"),
        )
    d = tr.extend(d, actor=w.leader, reason="Chờ xác minh", new_due=new_due, at=at("2026-03-10 16:59"))
    assert d.due_at == new_due and d.due_rule == "extension.v1"
    event = DossierEvent.objects.get(dossier=d, action="extend")
    assert event.form == "04" and event.data["deadline"]["previous_due"] == at("2026-03-11 09:00").isoformat()
    with pytest.raises(tr.DossierRuleError, match="một lần"):
        tr.extend(
            d, actor=w.leader, reason="Lần hai", new_due=at("2026-03-20 16:00"), at=at("2026-03-11 08:00")
        )


def test_the_last_day_to_extend_skips_weekends_and_holidays() -> None:
    from tinhso.core.calendar import work_calendar

    cal = work_calendar([2026])
    assert tr.extension_last_day(at("2026-03-09 09:00"), cal).isoformat() == "2026-03-06"  # Mon → Fri
    # Due Mon 4 May 2026: Fri 1 May (Labour Day) and Thu 30 April are days off: Wed 29 April.
    assert tr.extension_last_day(at("2026-05-04 09:00"), cal).isoformat() == "2026-04-29"


def test_stopping_is_the_leaders_with_mau_05(w: World) -> None:
    d = in_appraisal(w)
    with pytest.raises(tr.DossierForbidden):
        tr.stop(d, actor=w.head, reason="Người nộp chết")
    d = tr.stop(d, actor=w.leader, reason="Tòa án thụ lý tranh chấp", legal_basis="Luật Cư trú 2020, Điều 22")
    assert (d.status, d.national_status, d.holder) == (Status.STOPPED, 8, None)
    assert events(d)[-1] == ("stop", "05", 8)


def test_the_applicant_withdraws_their_own_online_dossier(w: World) -> None:
    d = tr.submit(
        binding=w.residence,
        channel="online",
        applicant=tr.Applicant(name=w.citizen.full_name, user=w.citizen),
        actor=w.citizen,
    )
    from tinhso.accounts.tests import factories as people

    with pytest.raises(tr.DossierForbidden):
        tr.withdraw(d, actor=people.citizen(), reason="Không phải hồ sơ của tôi")
    d = tr.withdraw(d, actor=w.citizen, reason="Nộp nhầm thủ tục")
    assert (d.status, d.national_status) == (Status.WITHDRAWN, 7)
    with pytest.raises(tr.DossierConflict):
        tr.withdraw(d, actor=w.citizen)


# --- Refusals: wrong state, wrong role, wrong unit, stale page ------------------------------------------


def test_wrong_state_is_a_conflict_that_names_the_current_state(w: World) -> None:
    d = w.submit(when="2026-03-02 09:00")
    for attempt in (
        lambda: tr.approve(d, actor=w.leader),
        lambda: tr.return_result(d, actor=w.counter),
        lambda: tr.assign(d, actor=w.head, assignee=w.specialist),
        lambda: tr.resume_after_payment(d, actor=w.counter),
        lambda: tr.supplement_complete(d, actor=w.counter),
    ):
        with pytest.raises(tr.DossierConflict, match="Mới đăng ký, chờ tiếp nhận"):
            attempt()


def test_wrong_role_and_wrong_unit_are_forbidden(w: World) -> None:
    d = w.submit(when="2026-03-02 09:00")
    with pytest.raises(tr.DossierForbidden, match="Cán bộ một cửa"):
        tr.receive(d, actor=w.specialist)
    with pytest.raises(tr.DossierForbidden, match="không thuộc đơn vị"):
        tr.receive(d, actor=w.other_counter)
    with pytest.raises(tr.DossierForbidden):
        tr.receive(d, actor=w.citizen)
    d = tr.receive(d, actor=w.counter)
    with pytest.raises(tr.DossierForbidden, match="Lãnh đạo phòng"):
        tr.assign(d, actor=w.specialist, assignee=w.specialist)
    d = tr.hand_over(d, actor=w.counter, to=w.head)
    with pytest.raises(tr.DossierRuleError, match="Chuyên viên"):
        tr.assign(d, actor=w.head, assignee=w.counter)


def test_a_stale_revision_is_a_conflict_and_changes_nothing(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    seen = d.revision
    tr.hand_over(d, actor=w.counter, to=w.head, expected_revision=seen, at=at("2026-03-02 10:00"))
    with pytest.raises(tr.DossierConflict, match="vừa được người khác cập nhật"):
        tr.request_supplement(
            d, actor=w.counter, items=[tr.MissingItem("CT01", "Thiếu")], expected_revision=seen
        )
    assert Dossier.objects.get(pk=d.pk).status == Status.IN_PROCESS


def test_a_procedure_without_an_internal_process_cannot_be_received(w: World) -> None:
    w.residence.current_process = None
    w.residence.save(update_fields=["current_process"])
    d = w.submit(when="2026-03-02 09:00")
    with pytest.raises(tr.DossierRuleError, match="quy trình nội bộ"):
        tr.receive(d, actor=w.counter)
    assert Dossier.objects.get(pk=d.pk).status == Status.SUBMITTED


# --- What every transition leaves behind ----------------------------------------------------------------


def test_every_status_change_is_audited_and_queued_to_the_applicant_once(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    audited = list(
        AuditEntry.objects.filter(target_type="dossiers.dossier", target_id=d.code).values_list(
            "event", flat=True
        )
    )
    assert audited == ["dossier.submit", "dossier.receive"]
    messages = OutboxMessage.objects.filter(topic=f"dossier:{d.code}").order_by("id")
    assert [(m.channel, m.recipient) for m in messages] == [
        ("sms", "0912345678"),
        ("email", "hang@example.vn"),
        ("sms", "0912345678"),
        ("email", "hang@example.vn"),
    ]
    assert "Hẹn trả: 09:00 11/03/2026" in messages.last().body  # type: ignore[union-attr]


def test_the_legal_time_follows_the_channel_and_the_pinned_version(w: World) -> None:
    d = w.submit(when="2026-03-02 09:00")
    assert tr.legal_time_for(d) == (Decimal(7), "working_day")
