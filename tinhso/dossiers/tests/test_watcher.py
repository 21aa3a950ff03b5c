"""The deadline watcher: who is reminded of what, on which day, and only once.

Times are local (UTC+7). March 2026 has no holiday: Mon 2 … Fri 6, Mon 9 … Fri 13. Around May Day 2026:
Mon 27 April (Hùng Kings' day moved off Sunday 26), Thu 30 April and Fri 1 May are days off. Permanent
residence takes 7 working days, birth registration 1 (factories.py); residence received Mon 2 March 09:00
is due Wed 11 March 09:00, its appraisal step (3.5 days, handed over Mon 10:00) Thu 5 March 17:00.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tinhso.accounts.models import User
from tinhso.core.calendar import work_calendar
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier
from tinhso.dossiers.selectors import worklist
from tinhso.dossiers.tests.factories import World, at
from tinhso.dossiers.watcher import deadline_scan
from tinhso.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def reachable(*users: User) -> None:
    """Give officials a phone number and an e-mail address (the fixture's have neither)."""
    for n, user in enumerate(users, start=1):
        User.objects.filter(pk=user.pk).update(phone=f"091200000{n}", email=f"{user.username}@tinhso.example")
        user.refresh_from_db()


def sent(kind: str) -> list[tuple[str, str]]:
    """The reminders of a kind in the outbox, as (recipient, channel), in order."""
    rows = OutboxMessage.objects.filter(dedupe_key__startswith=f"deadline:{kind}:").order_by("pk")
    return list(rows.values_list("recipient", "channel"))


def contacts(*users: User) -> list[tuple[str, str]]:
    out = []
    for user in users:
        out += [(str(user.phone), "sms"), (user.email, "email")]
    return out


def in_appraisal(w: World, when: str = "2026-03-02 09:00") -> Dossier:
    d = w.received(when=when)
    d = tr.hand_over(d, actor=w.counter, to=w.head, at=at("2026-03-02 10:00"))
    return tr.assign(d, actor=w.head, assignee=w.specialist, at=at("2026-03-02 10:30"))


# --- Due soon -------------------------------------------------------------------------------------------


def test_on_a_friday_due_soon_counts_monday_as_the_second_working_day(w: World) -> None:
    reachable(w.counter)
    monday = w.received(when="2026-02-26 09:00")
    tuesday = w.received(when="2026-02-27 09:00")
    assert (monday.due_at, tuesday.due_at) == (at("2026-03-09 09:00"), at("2026-03-10 09:00"))

    report = deadline_scan(now=at("2026-03-06 10:00"))

    assert (report.due_soon.found, report.due_soon.queued) == (1, 2)
    assert sent("due_soon") == contacts(w.counter)
    message = OutboxMessage.objects.get(dedupe_key__startswith="deadline:due_soon:", channel="sms")
    assert message.body.startswith(f"Hồ sơ {monday.code} (Đăng ký thường trú")
    assert "sắp đến hạn trả lúc 09:00 09/03/2026" in message.body
    assert message.dedupe_key == f"deadline:due_soon:{monday.pk}:2026-03-06:{w.counter.pk}:sms"
    assert message.topic == f"dossier:{monday.code}"
    # The same dossiers as the worklist "Đến hạn trong 2 ngày làm việc" shows at that instant.
    listed = worklist(w.counter, "due_soon", now=at("2026-03-06 10:00"), cal=work_calendar([2026]))
    assert list(listed) == [monday]


def test_due_soon_skips_the_may_day_holidays(w: World) -> None:
    reachable(w.counter)
    # Wed 29 April: the next working day is Mon 4 May (Thu 30, Fri 1 off, then the weekend).
    monday = w.received(when="2026-04-20 09:00")
    tuesday = w.received(when="2026-04-21 09:00")
    birth = w.received(when="2026-04-29 09:00", binding=w.birth)  # one working day, over the holidays
    assert (monday.due_at, tuesday.due_at) == (at("2026-05-04 09:00"), at("2026-05-05 09:00"))
    assert birth.due_at == at("2026-05-04 09:00")

    report = deadline_scan(now=at("2026-04-29 09:30"))

    assert report.due_soon.found == 2
    codes = {
        m.body.split()[2] for m in OutboxMessage.objects.filter(dedupe_key__startswith="deadline:due_soon:")
    }
    assert codes == {monday.code, birth.code}


# --- Overdue --------------------------------------------------------------------------------------------


def test_an_overdue_dossier_reminds_its_holder_and_the_agencys_leaders(w: World) -> None:
    reachable(w.specialist, w.leader, w.head, w.other_counter)
    d = in_appraisal(w)

    report = deadline_scan(now=at("2026-03-12 10:00"))

    assert (report.overdue.found, report.overdue.queued, report.overdue.unreachable) == (1, 4, 0)
    # Not the department head, nor another ward's officials.
    assert sent("overdue") == contacts(w.specialist, w.leader)
    message = OutboxMessage.objects.get(
        dedupe_key__startswith="deadline:overdue:", recipient=w.leader.phone, channel="sms"
    )
    assert message.body == (
        f"Hồ sơ {d.code} (Đăng ký thường trú) đã quá hạn trả (hạn 09:00 11/03/2026). "
        "Người đang xử lý: Lê Văn Cường."
    )


def test_a_leader_who_holds_the_dossier_is_reminded_once(w: World) -> None:
    reachable(w.leader)
    d = in_appraisal(w)
    tr.hand_over(d, actor=w.specialist, to=w.leader, at=at("2026-03-05 10:00"))

    report = deadline_scan(now=at("2026-03-12 10:00"))

    assert sent("overdue") == contacts(w.leader)
    assert report.overdue.queued == 2


def test_paused_and_supplement_dossiers_are_not_reminded(w: World) -> None:
    reachable(w.counter, w.specialist, w.leader)
    paused = in_appraisal(w)
    tr.pause_for_payment(
        paused, actor=w.specialist, reason="Nộp lệ phí", amount_vnd=20000, at=at("2026-03-03 09:00")
    )
    waiting = w.received(when="2026-03-02 09:00")
    tr.request_supplement(
        waiting,
        actor=w.counter,
        items=[tr.MissingItem("Giấy tờ chứng minh chỗ ở hợp pháp", "Bản chụp mờ")],
        at=at("2026-03-03 10:00"),
    )

    report = deadline_scan(now=at("2026-03-12 10:00"))  # both would be a day past their due time

    assert [c.found for c in report.counts().values()] == [0, 0, 0, 0, 0]
    assert not OutboxMessage.objects.filter(dedupe_key__startswith="deadline:").exists()


# --- The last day to apologise and extend (Mẫu 04) ------------------------------------------------------


def test_the_apology_warning_comes_on_the_last_day_to_sign_mau_04_only(w: World) -> None:
    reachable(w.leader, w.counter)
    d = w.received(when="2026-03-02 09:00")  # due Wed 11: the last day to extend is Tue 10

    assert deadline_scan(now=at("2026-03-09 10:00")).apology_day.found == 0
    report = deadline_scan(now=at("2026-03-10 07:05"))
    assert deadline_scan(now=at("2026-03-11 08:00")).apology_day.found == 0

    assert (report.apology_day.found, report.apology_day.queued) == (1, 4)
    assert sent("apology_day") == contacts(w.leader, w.counter)
    message = OutboxMessage.objects.get(
        dedupe_key__startswith="deadline:apology_day:", channel="email", recipient=w.leader.email
    )
    assert message.body.startswith(
        "Hôm nay là ngày cuối cùng có thể ký văn bản xin lỗi và gia hạn (Mẫu 04) cho hồ sơ "
        f"{d.code} (Đăng ký thường trú), hạn trả 09:00 11/03/2026"
    )
    # Later scans that day queue nothing more.
    again = deadline_scan(now=at("2026-03-10 16:00"))
    assert (again.apology_day.queued, again.apology_day.already_queued) == (0, 4)


def test_the_apology_day_skips_back_over_the_holidays_and_ends_once_extended(w: World) -> None:
    reachable(w.leader)
    d = w.received(when="2026-04-20 09:00")  # due Mon 4 May: the last day to extend is Wed 29 April
    holder = d.holder
    assert holder is not None

    assert deadline_scan(now=at("2026-04-28 10:00")).apology_day.found == 0
    # On the holiday itself the rule does not fire either (and the quiet hours would keep it silent).
    assert deadline_scan(now=at("2026-04-30 10:00"), office_hours_only=False).apology_day.found == 0
    assert deadline_scan(now=at("2026-04-29 10:00")).apology_day.found == 1

    extended = w.received(when="2026-04-20 10:00")
    tr.extend(
        extended,
        actor=w.leader,
        reason="Chờ kết quả xác minh của Công an",
        new_due=at("2026-05-08 16:00"),
        at=at("2026-04-29 08:00"),
    )
    report = deadline_scan(now=at("2026-04-29 11:00"))
    assert (report.apology_day.found, report.apology_day.already_queued) == (1, 2)
    keys = OutboxMessage.objects.filter(dedupe_key__startswith="deadline:apology_day:")
    assert {k.split(":")[2] for k in keys.values_list("dedupe_key", flat=True)} == {str(d.pk)}


# --- Once a day -----------------------------------------------------------------------------------------


def test_a_second_scan_the_same_day_queues_nothing_and_the_next_day_queues_again(w: World) -> None:
    reachable(w.specialist, w.leader)
    in_appraisal(w)

    first = deadline_scan(now=at("2026-03-12 10:00"))
    second = deadline_scan(now=at("2026-03-12 10:05"))
    third = deadline_scan(now=at("2026-03-13 07:00"))

    assert (first.overdue.queued, first.overdue.already_queued) == (4, 0)
    assert (second.overdue.queued, second.overdue.already_queued) == (0, 4)
    assert (third.overdue.queued, third.overdue.already_queued) == (4, 0)
    assert (first.step_overdue.queued, second.step_overdue.queued, third.step_overdue.queued) == (2, 0, 2)
    assert len(sent("overdue")) == 8 and len(sent("step_overdue")) == 4


def test_nothing_is_queued_at_night_on_weekends_or_on_holidays(w: World) -> None:
    reachable(w.specialist, w.leader)
    in_appraisal(w)

    for when in ("2026-03-12 06:59", "2026-03-12 17:00", "2026-03-14 10:00", "2026-04-30 10:00"):
        report = deadline_scan(now=at(when))
        assert report.quiet and report.queued == 0, when
    assert not OutboxMessage.objects.filter(dedupe_key__startswith="deadline:").exists()
    assert deadline_scan(now=at("2026-03-12 07:00")).overdue.queued == 4


# --- Steps ----------------------------------------------------------------------------------------------


def test_a_step_past_its_own_due_time_reminds_its_assignee(w: World) -> None:
    reachable(w.specialist, w.leader)
    d = in_appraisal(w)
    step = d.current_step
    assert step is not None and step.due_at == at("2026-03-05 17:00")

    assert deadline_scan(now=at("2026-03-05 16:59")).step_overdue.found == 0
    report = deadline_scan(now=at("2026-03-06 07:30"))  # 17:00 is past office hours: the next morning

    assert (report.step_overdue.found, report.step_overdue.queued) == (1, 2)
    assert (report.overdue.found, report.due_soon.found) == (0, 0)  # the dossier itself is on time
    assert sent("step_overdue") == contacts(w.specialist)
    message = OutboxMessage.objects.get(dedupe_key__startswith="deadline:step_overdue:", channel="sms")
    assert message.dedupe_key == f"deadline:step_overdue:{step.pk}:2026-03-06:{w.specialist.pk}:sms"
    assert message.body == (
        f"Bước “{step.name}” của hồ sơ {d.code} (Đăng ký thường trú) đã quá hạn "
        "(hạn bước 17:00 05/03/2026; hạn trả hồ sơ 09:00 11/03/2026)."
    )
    # Handed on, the late step is finished: its reminders stop.
    tr.hand_over(d, actor=w.specialist, to=w.leader, at=at("2026-03-06 08:00"))
    assert deadline_scan(now=at("2026-03-09 08:00")).step_overdue.found == 0


# --- Without a phone or an address ----------------------------------------------------------------------


def test_a_holder_without_phone_or_email_is_skipped_without_error(w: World) -> None:
    in_appraisal(w)  # nobody in the fixture has a phone number or an e-mail address

    report = deadline_scan(now=at("2026-03-12 10:00"))

    assert (report.overdue.found, report.overdue.queued, report.overdue.unreachable) == (1, 0, 2)
    assert (report.step_overdue.found, report.step_overdue.unreachable) == (1, 1)
    assert not OutboxMessage.objects.filter(dedupe_key__startswith="deadline:").exists()


def test_a_holder_with_an_email_only_gets_the_email(w: World) -> None:
    User.objects.filter(pk=w.specialist.pk).update(email="cuong@tinhso.example")
    w.specialist.refresh_from_db()
    in_appraisal(w)

    report = deadline_scan(now=at("2026-03-12 10:00"))

    assert sent("overdue") == [("cuong@tinhso.example", "email")]
    assert (report.overdue.queued, report.overdue.unreachable) == (1, 1)  # the leader has neither


# --- Cost -----------------------------------------------------------------------------------------------


def test_the_scan_makes_a_bounded_number_of_queries_whatever_the_number_of_dossiers(
    w: World, django_assert_max_num_queries: Any
) -> None:
    reachable(w.counter, w.leader)
    for _ in range(30):
        w.received(when="2026-03-02 09:00")
    cal = work_calendar([2026])

    # The four kinds, the leaders and one batch (savepoint, keys read, inserts, release).
    with django_assert_max_num_queries(12):
        report = deadline_scan(now=at("2026-03-12 10:00"), cal=cal)

    assert (report.overdue.found, report.overdue.queued) == (30, 120)
    assert (report.step_overdue.found, report.step_overdue.queued) == (30, 60)
    assert OutboxMessage.objects.filter(dedupe_key__startswith="deadline:").count() == 180


# --- The command ----------------------------------------------------------------------------------------


def test_the_command_scans_once_and_prints_the_report(w: World) -> None:
    reachable(w.specialist, w.leader)
    in_appraisal(w)
    out = io.StringIO()

    call_command("watch_deadlines", "--once", "--now", "2026-03-12T10:00+07:00", stdout=out)

    text = out.getvalue()
    assert text.startswith("deadline scan 2026-03-12 10:00")
    assert "overdue       1 found, 4 queued, 0 already queued, 0 unreachable" in text
    assert len(sent("overdue")) == 4


def test_the_command_scans_a_chosen_instant_only_once(w: World) -> None:
    with pytest.raises(CommandError, match="--now needs --once"):
        call_command("watch_deadlines", "--now", "2026-03-12T10:00+07:00", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no UTC offset"):
        call_command("watch_deadlines", "--once", "--now", "2026-03-12T10:00", stdout=io.StringIO())


# --- Consultations --------------------------------------------------------------------------------------


def test_a_consultation_due_today_or_past_reminds_the_asked_agencys_leaders_until_answered(w: World) -> None:
    from tinhso.accounts.models import Agency, Role
    from tinhso.accounts.tests import factories as people
    from tinhso.dossiers.tests.factories import OTHER_WARD

    their_leader = people.official(agency_prefix=OTHER_WARD, roles=(Role.AGENCY_LEADER,))
    reachable(their_leader, w.leader)
    d = in_appraisal(w)
    c = tr.consult(
        d, actor=w.specialist, agency=w.other_ward, question="Xác minh", days=2, at=at("2026-03-03 09:00")
    )
    assert c.due_at == at("2026-03-05 09:00")
    assert deadline_scan(now=at("2026-03-04 10:00")).consultation_due.found == 0  # not its day yet
    report = deadline_scan(now=at("2026-03-05 10:00"))
    assert (report.consultation_due.found, report.consultation_due.queued) == (1, 2)
    assert sent("consultation_due") == contacts(their_leader)  # the asked agency's, not the asker's
    today = OutboxMessage.objects.get(dedupe_key__startswith="deadline:consultation_due:", channel="email")
    assert "hôm nay là hạn trả lời" in today.body and d.code in today.body
    # The asking agency's name whole in the e-mail, shortened with an ellipsis in the SMS.
    sms = OutboxMessage.objects.get(dedupe_key__startswith="deadline:consultation_due:", channel="sms")
    assert w.ward.name in today.body and w.ward.name in sms.body  # 33 characters: whole in both
    long_name = "Ủy ban nhân dân phường Hà Giang 2, tỉnh Tuyên Quang (Bộ phận Một cửa, tầng 1, số 5)"
    Agency.objects.filter(pk=w.ward.pk).update(name=long_name)
    deadline_scan(now=at("2026-03-06 10:00"))
    late = OutboxMessage.objects.filter(dedupe_key__startswith="deadline:consultation_due:", channel="email")
    assert "đã quá hạn trả lời" in late.order_by("-pk")[0].body and long_name in late.order_by("-pk")[0].body
    late_sms = OutboxMessage.objects.filter(
        dedupe_key__startswith="deadline:consultation_due:", channel="sms"
    )
    assert long_name[:59].rstrip() + "…" in late_sms.order_by("-pk")[0].body
    tr.consult_answer(c, actor=w.other_counter, answer="Đúng nơi ở cũ", at=at("2026-03-06 11:00"))
    assert deadline_scan(now=at("2026-03-09 10:00")).consultation_due.found == 0


def test_a_consultation_of_a_closed_dossier_reminds_nobody(w: World) -> None:
    d = in_appraisal(w)
    tr.consult(d, actor=w.specialist, agency=w.other_ward, question="X", days=1, at=at("2026-03-03 09:00"))
    tr.withdraw(d, actor=w.counter, reason="Người dân xin rút", at=at("2026-03-03 10:00"))
    assert deadline_scan(now=at("2026-03-06 10:00")).consultation_due.found == 0
