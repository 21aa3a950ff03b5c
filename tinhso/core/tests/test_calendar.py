"""The province's calendar on the real database: the holidays package, the table of decided days, the
audited services and the admin that calls them."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from tinhso.core.audit import audit_verify
from tinhso.core.calendar import (
    calendar_day_delete,
    calendar_day_set,
    office_hours,
    package_holidays,
    paper_cutoff,
    work_calendar,
)
from tinhso.core.models import AuditEntry, CalendarDay
from tinhso.core.tests.test_working_time import VN_DAYS_OFF, VN_MAKEUP_DAYS
from tinhso.core.working_time import VIETNAM_TZ, OfficeHours, reception_deadline

pytestmark = pytest.mark.django_db

NEW_YEAR_2026_DECISION = "Công văn 12729/VPCP-KGVX ngày 25/12/2025"


def _decide_new_year_2026(actor: Any = None) -> None:
    # The swap the holidays package lacks: Fri 2/1/2026 off, Sat 10/1/2026 worked.
    calendar_day_set(
        day=date(2026, 1, 2),
        kind=CalendarDay.Kind.DAY_OFF,
        name_vi="Nghỉ Tết Dương lịch (hoán đổi)",
        decision=NEW_YEAR_2026_DECISION,
        actor=actor,
    )
    calendar_day_set(
        day=date(2026, 1, 10),
        kind=CalendarDay.Kind.WORKING_DAY,
        name_vi="Làm bù cho ngày 2/1/2026",
        decision=NEW_YEAR_2026_DECISION,
        actor=actor,
    )


def _weekdays(days: frozenset[date]) -> set[date]:
    return {d for d in days if d.weekday() < 5}


def _official(username: str, *, superuser: bool = False, groups: tuple[str, ...] = ()) -> Any:
    # core imports no app: the user model and the agency are looked up, not imported.
    agency = apps.get_model("accounts", "Agency").objects.get(code="000.00.00.H60")
    user = get_user_model().objects.create_user(
        username=username,
        password="mat-khau-thu-nghiem-2026",
        kind="official",
        full_name=username,
        agency=agency,
        is_staff=True,
        is_superuser=superuser,
    )
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


# --- What the package gives, and what the table adds ----------------------------------------------------


def test_the_package_gives_tet_2026_the_national_day_swap_and_vietnam_cultural_day() -> None:
    cal = work_calendar(years=[2026])
    for day in (date(2026, 2, 16), date(2026, 2, 20), date(2026, 8, 31), date(2026, 11, 24)):
        assert not cal.is_working_day(day), day
    # The Saturday worked for Mon 31/8 comes from the package too.
    assert cal.is_working_day(date(2026, 8, 22))
    # The New Year swap of 12729/VPCP-KGVX is not in the package: that is what the table is for.
    assert cal.is_working_day(date(2026, 1, 2))
    assert not cal.is_working_day(date(2026, 1, 10))


def test_with_the_decided_rows_the_calendar_is_the_hand_listed_one_for_2026_and_2027() -> None:
    _decide_new_year_2026()
    cal = work_calendar(years=[2026, 2027])
    assert _weekdays(cal.days_off - cal.working_days) == _weekdays(VN_DAYS_OFF)
    assert cal.working_days == VN_MAKEUP_DAYS


def test_a_deadline_on_the_real_calendar_counts_the_decided_make_up_saturday() -> None:
    _decide_new_year_2026()
    cal = work_calendar(years=[2026])
    # Fri 9 Jan 2026 14:00, one working day: Sat 10 Jan is worked → Sat 14:00 (without the row, Mon 12).
    received = datetime(2026, 1, 9, 14, tzinfo=VIETNAM_TZ)
    deadline = reception_deadline(received, 1, "working_day", cal, paper=False)
    assert deadline.due == datetime(2026, 1, 10, 14, tzinfo=VIETNAM_TZ)
    assert deadline.inputs["makeup_days"] == "2026-01-10"


def test_a_working_day_row_removes_a_package_holiday() -> None:
    calendar_day_set(
        day=date(2026, 11, 24),
        kind=CalendarDay.Kind.WORKING_DAY,
        name_vi="Làm việc (thử nghiệm)",
        decision="Quyết định thử nghiệm",
    )
    assert work_calendar(years=[2026]).is_working_day(date(2026, 11, 24))


def test_a_day_off_row_cancels_a_package_make_up_saturday() -> None:
    calendar_day_set(
        day=date(2026, 8, 22),
        kind=CalendarDay.Kind.DAY_OFF,
        name_vi="Không làm bù (thử nghiệm)",
        decision="Quyết định thử nghiệm",
    )
    assert not work_calendar(years=[2026]).is_working_day(date(2026, 8, 22))


def test_every_change_is_seen_by_the_next_calendar_built() -> None:
    assert work_calendar(years=[2026]).is_working_day(date(2026, 1, 2))
    _decide_new_year_2026()
    assert not work_calendar(years=[2026]).is_working_day(date(2026, 1, 2))
    calendar_day_delete(day=date(2026, 1, 2))
    # Deleted: the package's view applies again.
    assert work_calendar(years=[2026]).is_working_day(date(2026, 1, 2))


def test_building_the_calendar_costs_one_query(django_assert_num_queries: Any) -> None:
    _decide_new_year_2026()
    work_calendar(years=[2026, 2027])  # the package's years are computed once per process
    with django_assert_num_queries(1):
        work_calendar(years=[2026, 2027])


def test_the_calendar_refuses_a_year_it_was_not_built_for() -> None:
    cal = work_calendar(years=[2026])
    with pytest.raises(ValueError, match="outside the years"):
        cal.is_working_day(date(2027, 2, 8))


def test_the_default_calendar_covers_last_year_to_two_years_ahead() -> None:
    cal = work_calendar()
    this_year = timezone.localdate().year
    assert cal.years == frozenset(range(this_year - 1, this_year + 3))


def test_package_holidays_are_named_in_vietnamese() -> None:
    assert package_holidays(2026)[date(2026, 11, 24)] == "Ngày Văn hóa Việt Nam"


def test_office_hours_and_cut_off_come_from_settings(settings: Any) -> None:
    assert office_hours() == OfficeHours.default()
    assert paper_cutoff() == time(15)
    settings.TINHSO_OFFICE_HOURS = {0: "07:30-11:30,13:30-16:00", "makeup": "07:30-11:30"}
    settings.TINHSO_PAPER_CUTOFF = ""
    hours = work_calendar(years=[2026]).hours
    assert hours.sessions[0] == ((time(7, 30), time(11, 30)), (time(13, 30), time(16)))
    assert hours.sessions[1] == ()
    assert hours.makeup_sessions == ((time(7, 30), time(11, 30)),)
    assert paper_cutoff() is None


# --- The services audit every change --------------------------------------------------------------------


def test_recording_changing_and_deleting_a_decided_day_are_audited() -> None:
    calendar_day_set(
        day=date(2026, 1, 2),
        kind=CalendarDay.Kind.DAY_OFF,
        name_vi="Nghỉ Tết Dương lịch (hoán đổi)",
        decision="Công văn 12729",
    )
    calendar_day_set(
        day=date(2026, 1, 2),
        kind=CalendarDay.Kind.DAY_OFF,
        name_vi="Nghỉ Tết Dương lịch (hoán đổi)",
        decision=NEW_YEAR_2026_DECISION,
    )
    # The same again: nothing changes, nothing is recorded.
    calendar_day_set(
        day=date(2026, 1, 2),
        kind=CalendarDay.Kind.DAY_OFF,
        name_vi="Nghỉ Tết Dương lịch (hoán đổi)",
        decision=NEW_YEAR_2026_DECISION,
    )
    assert calendar_day_delete(day=date(2026, 1, 2)) is True
    assert calendar_day_delete(day=date(2026, 1, 2)) is False

    entries = list(AuditEntry.objects.filter(target_type="core.calendarday").order_by("seq"))
    assert [e.event for e in entries] == [
        "calendar_day.created",
        "calendar_day.updated",
        "calendar_day.deleted",
    ]
    assert all(e.target_id == "2026-01-02" and e.actor_label == "system" for e in entries)
    assert entries[0].new == {
        "date": "2026-01-02",
        "kind": "day_off",
        "name_vi": "Nghỉ Tết Dương lịch (hoán đổi)",
        "decision": "Công văn 12729",
    }
    assert entries[1].old == {"decision": "Công văn 12729"}
    assert entries[1].new == {"decision": NEW_YEAR_2026_DECISION}
    assert entries[2].old is not None and entries[2].old["kind"] == "day_off"
    assert audit_verify().ok


def test_a_decided_day_without_its_decision_is_refused_and_not_audited() -> None:
    with pytest.raises(ValidationError):
        calendar_day_set(day=date(2026, 1, 2), kind="day_off", name_vi="Nghỉ", decision="  ")
    with pytest.raises(ValidationError):
        calendar_day_set(day=date(2026, 1, 2), kind="holiday", name_vi="Nghỉ", decision="CV 1")
    assert not CalendarDay.objects.exists()
    assert not AuditEntry.objects.filter(target_type="core.calendarday").exists()


# --- The admin ------------------------------------------------------------------------------------------


def test_a_system_administrator_adds_a_decided_day_in_the_admin_and_it_is_audited(
    client: Any, reference_data: None
) -> None:
    quantri = _official("quantri.thu", groups=("system_admin",))
    client.force_login(quantri)
    assert "/admin/core/calendarday/" in client.get("/admin/").content.decode()
    assert client.get("/admin/core/calendarday/add/").status_code == 200
    res = client.post(
        "/admin/core/calendarday/add/",
        {
            "date": "2026-01-10",
            "kind": "working_day",
            "name_vi": "Làm bù cho ngày 2/1/2026",
            "decision": NEW_YEAR_2026_DECISION,
        },
    )
    assert res.status_code == 302, res.context["adminform"].form.errors if res.context else res
    assert CalendarDay.objects.get(date=date(2026, 1, 10)).kind == "working_day"
    entry = AuditEntry.objects.get(event="calendar_day.created")
    assert (entry.actor_id, entry.actor_label, entry.target_id) == (quantri.pk, "quantri.thu", "2026-01-10")
    assert work_calendar(years=[2026]).is_working_day(date(2026, 1, 10))
    listing = client.get("/admin/core/calendarday/")
    assert listing.status_code == 200
    assert "Làm bù cho ngày 2/1/2026" in listing.content.decode()


def test_changing_and_deleting_in_the_admin_go_through_the_audited_services(
    client: Any, reference_data: None
) -> None:
    _decide_new_year_2026()
    admin_user = _official("sieu.quantri", superuser=True)
    client.force_login(admin_user)
    row = CalendarDay.objects.get(date=date(2026, 1, 2))
    page = client.get(f"/admin/core/calendarday/{row.pk}/change/")
    assert page.status_code == 200
    assert "Tết Dương lịch" in page.content.decode()
    res = client.post(
        f"/admin/core/calendarday/{row.pk}/change/",
        {"kind": "day_off", "name_vi": "Nghỉ bù Tết Dương lịch", "decision": NEW_YEAR_2026_DECISION},
    )
    assert res.status_code == 302
    updated = AuditEntry.objects.get(event="calendar_day.updated")
    assert updated.new == {"name_vi": "Nghỉ bù Tết Dương lịch"}
    assert updated.actor_label == "sieu.quantri"

    res = client.post(f"/admin/core/calendarday/{row.pk}/delete/", {"post": "yes"})
    assert res.status_code == 302
    assert not CalendarDay.objects.filter(date=date(2026, 1, 2)).exists()
    assert AuditEntry.objects.get(event="calendar_day.deleted").actor_id == admin_user.pk


def test_deleting_several_days_at_once_in_the_admin_audits_each(client: Any, reference_data: None) -> None:
    _decide_new_year_2026()
    client.force_login(_official("sieu.quantri", superuser=True))
    ids = list(CalendarDay.objects.values_list("pk", flat=True))
    res = client.post(
        "/admin/core/calendarday/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert res.status_code == 302
    assert not CalendarDay.objects.exists()
    assert AuditEntry.objects.filter(event="calendar_day.deleted").count() == 2


def test_an_official_who_is_not_a_system_administrator_cannot_edit_the_calendar(
    client: Any, reference_data: None
) -> None:
    client.force_login(_official("lanhdao", groups=("agency_leader",)))
    res = client.post(
        "/admin/core/calendarday/add/",
        {"date": "2026-01-02", "kind": "day_off", "name_vi": "Nghỉ", "decision": "CV 1"},
    )
    assert res.status_code == 403
    assert not CalendarDay.objects.exists()
