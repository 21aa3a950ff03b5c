"""Working time: clock starts, deadlines, pauses, supplements, extensions, early / on time / late.

Every expected value below was worked out by hand from docs/domain/one-stop.md §5 and the calendar, the
reasoning in the comment beside it. Default office hours: 07:00–11:30 (4.5 h) and 13:30–17:00 (3.5 h),
Monday to Friday, so a working day has 8 h.

Two calendars:
- PLAIN: no holidays at all (the domain doc's test vectors). The week used: Mon 5 – Fri 9 October 2026,
  Mon 12 – Fri 16 October 2026.
- VN: 2026 and 2027 as decided and as the holidays package gives them, listed by hand here (the Django
  side is checked against this same list in test_calendar.py):
  2026 — 1/1 Thu; 2/1 Fri off for Sat 10/1 worked (Công văn 12729/VPCP-KGVX, 25/12/2025); Tết Mon 16 –
  Fri 20/2 (the Prime Minister's decision of 13/10/2025, 9 days 14–22/2 with the weekends; the package has
  the same five days); Hùng Kings' day Sun 26/4 observed Mon 27/4; Thu 30/4, Fri 1/5; National Day Tue 1/9,
  Wed 2/9 and Mon 31/8 off for Sat 22/8 worked (same decision); Vietnam Cultural Day Tue 24/11.
  2027 — Fri 1/1; Tết Thu 4 – Wed 10/2 as the package moves the Lunar New Year off the weekend (no 2027
  decision found yet); Hùng Kings' day Fri 16/4; Fri 30/4; Sat 1/5 observed Mon 3/5; Thu 2/9, Fri 3/9;
  Wed 24/11.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from tinhso.core.working_time import (
    CLASSIFY_RULE,
    EXTENSION_RULE,
    RECEPTION_RULE,
    RESUME_RULE,
    SUPPLEMENT_RULE,
    VIETNAM_TZ,
    Deadline,
    ExtensionRefused,
    OfficeHours,
    WorkCalendar,
    add_working_time,
    as_time_unit,
    classify,
    clock_start,
    due_time,
    extend,
    extension_last_day,
    reception_deadline,
    resume,
    supplement_restart,
    working_time_between,
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM_TZ)


def _days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


VN_DAYS_OFF = frozenset(
    {
        date(2026, 1, 1),
        date(2026, 1, 2),
        *_days(date(2026, 2, 16), date(2026, 2, 20)),
        date(2026, 4, 26),
        date(2026, 4, 27),
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 8, 31),
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2026, 11, 24),
        date(2027, 1, 1),
        *_days(date(2027, 2, 4), date(2027, 2, 10)),
        date(2027, 4, 16),
        date(2027, 4, 30),
        date(2027, 5, 1),
        date(2027, 5, 3),
        date(2027, 9, 2),
        date(2027, 9, 3),
        date(2027, 11, 24),
    }
)
VN_MAKEUP_DAYS = frozenset({date(2026, 1, 10), date(2026, 8, 22)})

PLAIN = WorkCalendar()
PLAIN_MONDAY_12_OCTOBER_OFF = WorkCalendar(days_off=frozenset({date(2026, 10, 12)}))
VN = WorkCalendar(days_off=VN_DAYS_OFF, working_days=VN_MAKEUP_DAYS, years=frozenset({2026, 2027}))


# --- The table: reception → deadline --------------------------------------------------------------------
# (received_at, paper, value, unit, calendar, expected due). Each row goes through clock_start then
# due_time, as a dossier received at the counter (paper) or online would.

DEADLINE_CASES = [
    # ---- docs/domain/one-stop.md §5 test vectors ----
    # Mon 09:00 is in the morning; DL5: half a day received in the morning is returned that afternoon.
    pytest.param(
        at(2026, 10, 5, 9), False, "0.5", "working_day", PLAIN, at(2026, 10, 5, 17),
        id="half a day received monday 09:00 is due monday by 17:00",
    ),
    # Mon 14:00 is in the afternoon; DL5: half a day received in the afternoon is returned next morning.
    pytest.param(
        at(2026, 10, 5, 14), False, "0.5", "working_day", PLAIN, at(2026, 10, 6, 11, 30),
        id="half a day received monday 14:00 is due tuesday by 11:30",
    ),
    # Fri 10:00 has used 3 h of Friday; 3 working days later (Mon, Tue, Wed) at the same 3 h: Wed 10:00.
    # Hour model: Fri 5 h + Mon 8 h + Tue 8 h + Wed 3 h = 24 h = 3 × 8 h.
    pytest.param(
        at(2026, 10, 9, 10), False, 3, "working_day", PLAIN, at(2026, 10, 14, 10),
        id="three working days received friday 10:00 are due wednesday 10:00",
    ),
    # Same with Monday 12 October a holiday: Tue, Wed, Thu → Thu 10:00.
    pytest.param(
        at(2026, 10, 9, 10), False, 3, "working_day", PLAIN_MONDAY_12_OCTOBER_OFF, at(2026, 10, 15, 10),
        id="three working days received friday 10:00 with monday a holiday are due thursday 10:00",
    ),
    # Wed 1 April 2026 + 10 days = Sat 11 April, a weekend day: the next working day, Mon 13, at closing.
    pytest.param(
        at(2026, 4, 1, 9), False, 10, "day", VN, at(2026, 4, 13, 17),
        id="ten calendar days received wednesday 1st end saturday 11th so are due monday 13th",
    ),
    # ---- Tết 2026 (16–20 February off, 14–15 and 21–22 weekends) ----
    # Fri 13 Feb 10:00 (3 h used); the next working days are Mon 23, Tue 24, Wed 25 → Wed 25 at 10:00.
    pytest.param(
        at(2026, 2, 13, 10), False, 3, "working_day", VN, at(2026, 2, 25, 10),
        id="three working days from the friday before tet 2026 skip its five days off",
    ),
    # Online on Tue 17 Feb (Tết): the clock starts Mon 23 Feb 07:00; one day from an opening ends at that
    # day's close, 17:00 (the earliest instant 8 h have run, not Tue 07:00).
    pytest.param(
        at(2026, 2, 17, 9), False, 1, "working_day", VN, at(2026, 2, 23, 17),
        id="one working day received online during tet 2026 is due the monday after by its close",
    ),
    # Thu 12 Feb + 10 days = Sun 22 Feb → Mon 23 Feb, at closing.
    pytest.param(
        at(2026, 2, 12, 9), False, 10, "day", VN, at(2026, 2, 23, 17),
        id="ten calendar days ending on the sunday after tet 2026 are due monday",
    ),
    # Wed 11 Feb + 5 days = Mon 16 Feb, the first day of Tết → the first working day after it, Mon 23.
    pytest.param(
        at(2026, 2, 11, 9), False, 5, "day", VN, at(2026, 2, 23, 17),
        id="five calendar days ending inside tet 2026 move past the whole holiday",
    ),
    # Fri 13 Feb 14:00 is an afternoon; the next half-day is the morning of Mon 23 Feb → 11:30.
    pytest.param(
        at(2026, 2, 13, 14), False, "0.5", "working_day", VN, at(2026, 2, 23, 11, 30),
        id="half a day received the friday afternoon before tet 2026 is due the morning after it",
    ),
    # 24 office hours: Fri 13 Feb 10:00–17:00 = 5 h, Mon 23 = 8 h (13), Tue 24 = 8 h (21), Wed 25 07:00
    # + 3 h = 10:00. Same as three working days (8 h = 1 day).
    pytest.param(
        at(2026, 2, 13, 10), False, 24, "hour", VN, at(2026, 2, 25, 10),
        id="twenty four office hours across tet 2026 equal three working days",
    ),
    # ---- Tết 2027 (Thu 4 – Wed 10 February off) ----
    # Wed 3 Feb 14:00 has used 4.5 h + 0.5 h = 5 h. Next working days: Thu 11 (1), Fri 12 (2). Fri 12 at
    # 5 h: 07:00–11:30 is 4.5 h, then 13:30 + 0.5 h = 14:00.
    pytest.param(
        at(2027, 2, 3, 14), False, 2, "working_day", VN, at(2027, 2, 12, 14),
        id="two working days from the wednesday before tet 2027 are due friday 12 february 14:00",
    ),
    # Thu 5 Nov 2026 + 3 months = Fri 5 Feb 2027, Tết; the next working day is Thu 11 Feb 2027.
    pytest.param(
        at(2026, 11, 5, 9), False, 3, "month", VN, at(2027, 2, 11, 17),
        id="three months ending in tet 2027 are due the first working day after it",
    ),
    # ---- 30/4 – 1/5 and Hùng Kings' day 2026 ----
    # Wed 29 Apr 16:00 has used 7 h; Thu 30/4 and Fri 1/5 off, weekend; Mon 4 May at 7 h: 4.5 h in the
    # morning, 2.5 h after 13:30 → 16:00.
    pytest.param(
        at(2026, 4, 29, 16), False, 1, "working_day", VN, at(2026, 5, 4, 16),
        id="one working day received wednesday 29 april 16:00 is due monday 4 may 16:00",
    ),
    # Fri 24 Apr 10:00; Mon 27 off (Hùng Kings' day observed); Tue 28 (1), Wed 29 (2), Thu 30 and Fri 1
    # off, Mon 4 May (3) → 10:00.
    pytest.param(
        at(2026, 4, 24, 10), False, 3, "working_day", VN, at(2026, 5, 4, 10),
        id="three working days from friday 24 april 2026 skip hung kings day and 30 april to 1 may",
    ),
    # ---- National Day 2026 (Mon 31/8 swapped, Tue 1/9, Wed 2/9) ----
    # Fri 28 Aug 09:00 (2 h used); Thu 3 Sep (1), Fri 4 Sep (2) → Fri 4 Sep 09:00.
    pytest.param(
        at(2026, 8, 28, 9), False, 2, "working_day", VN, at(2026, 9, 4, 9),
        id="two working days from friday 28 august 2026 skip 31 august to 2 september",
    ),
    # Wed 26 Aug + 5 days = Mon 31 Aug, off; Tue 1 and Wed 2 off → Thu 3 Sep at closing.
    pytest.param(
        at(2026, 8, 26, 9), False, 5, "day", VN, at(2026, 9, 3, 17),
        id="five calendar days ending on the national day holiday 2026 are due thursday 3 september",
    ),
    # ---- Make-up Saturdays ----
    # Fri 21 Aug 10:00 (3 h used); Sat 22 Aug is a working day (swapped with Mon 31 Aug) → Sat 10:00.
    pytest.param(
        at(2026, 8, 21, 10), False, 1, "working_day", VN, at(2026, 8, 22, 10),
        id="one working day from friday 21 august 2026 ends on the make-up saturday",
    ),
    # Wed 12 Aug + 10 days = Sat 22 Aug, a working day: the deadline stays on it.
    pytest.param(
        at(2026, 8, 12, 9), False, 10, "day", VN, at(2026, 8, 22, 17),
        id="ten calendar days ending on a make-up saturday end that saturday",
    ),
    # Fri 9 Jan 14:00 (5 h used); Sat 10 Jan is the decided make-up day → Sat 10 Jan 14:00.
    pytest.param(
        at(2026, 1, 9, 14), False, 1, "working_day", VN, at(2026, 1, 10, 14),
        id="one working day from friday 9 january 2026 ends on the decided make-up saturday",
    ),
    # ---- New Year 2026 (Thu 1/1, and Fri 2/1 decided off) ----
    # Online on Thu 1 Jan: Fri 2 off too, then the weekend → clock Mon 5 Jan 07:00, due at its close.
    pytest.param(
        at(2026, 1, 1, 9), False, 1, "working_day", VN, at(2026, 1, 5, 17),
        id="one working day received on new year 2026 starts monday 5 january as 2 january is off",
    ),
    # ---- Vietnam Cultural Day (24/11, from 2026) ----
    # Mon 23 Nov 10:00; Tue 24 off → Wed 25 Nov 10:00.
    pytest.param(
        at(2026, 11, 23, 10), False, 1, "working_day", VN, at(2026, 11, 25, 10),
        id="one working day from monday 23 november 2026 skips vietnam cultural day",
    ),
    # Paper on Tue 23 Nov 2027 at 15:30, after the cut-off; Wed 24 off → clock Thu 25 07:00, a morning;
    # half a day → that afternoon, 17:00.
    pytest.param(
        at(2027, 11, 23, 15, 30), True, "0.5", "working_day", VN, at(2027, 11, 25, 17),
        id="half a day on paper after the cut-off the day before vietnam cultural day 2027 is due thursday",
    ),
    # ---- Submissions at 11:45, 14:59, 15:01, 16:55 (Tuesday 6 October 2026) ----
    # Online 11:45: lunch → clock 13:30, an afternoon; half a day → Wed morning, 11:30.
    pytest.param(
        at(2026, 10, 6, 11, 45), False, "0.5", "working_day", PLAIN, at(2026, 10, 7, 11, 30),
        id="half a day received online at 11:45 starts at 13:30 and is due next morning",
    ),
    # Paper 11:45: before the cut-off, lunch → 13:30 with 4.5 h used; Wed at 4.5 h = 11:30 (the earliest
    # instant: 13:30 is the same office time).
    pytest.param(
        at(2026, 10, 6, 11, 45), True, 1, "working_day", PLAIN, at(2026, 10, 7, 11, 30),
        id="one working day received on paper at 11:45 is due the next day at 11:30",
    ),
    # Paper 14:59: before the cut-off, starts at once → Wed 14:59.
    pytest.param(
        at(2026, 10, 6, 14, 59), True, 1, "working_day", PLAIN, at(2026, 10, 7, 14, 59),
        id="one working day received on paper at 14:59 is due the next day at 14:59",
    ),
    # Paper 15:01: after the cut-off → clock Wed 07:00; one day from an opening → Wed 17:00.
    pytest.param(
        at(2026, 10, 6, 15, 1), True, 1, "working_day", PLAIN, at(2026, 10, 7, 17),
        id="one working day received on paper at 15:01 counts from wednesday and is due wednesday 17:00",
    ),
    # Online 15:01: no cut-off → Wed 15:01.
    pytest.param(
        at(2026, 10, 6, 15, 1), False, 1, "working_day", PLAIN, at(2026, 10, 7, 15, 1),
        id="one working day received online at 15:01 is due the next day at 15:01",
    ),
    # Paper 16:55: after the cut-off → clock Wed 07:00, a morning → half a day ends Wed 17:00.
    pytest.param(
        at(2026, 10, 6, 16, 55), True, "0.5", "working_day", PLAIN, at(2026, 10, 7, 17),
        id="half a day received on paper at 16:55 is due wednesday 17:00",
    ),
    # Online 16:55: starts at once, in the afternoon → half a day ends Wed 11:30.
    pytest.param(
        at(2026, 10, 6, 16, 55), False, "0.5", "working_day", PLAIN, at(2026, 10, 7, 11, 30),
        id="half a day received online at 16:55 is due wednesday 11:30",
    ),
    # Paper on Fri 9 Oct at 15:01 → clock Mon 12 Oct 07:00; three days from an opening: Mon, Tue, Wed →
    # Wed 14 Oct 17:00.
    pytest.param(
        at(2026, 10, 9, 15, 1), True, 3, "working_day", PLAIN, at(2026, 10, 14, 17),
        id="three working days received on paper friday at 15:01 are due wednesday 17:00",
    ),
    # ---- Half days and zero days ----
    # Tue 09:00 (2 h used) + 1 day = Wed 09:00, inside the morning; half a day more ends Wed afternoon.
    pytest.param(
        at(2026, 10, 6, 9), False, "1.5", "working_day", PLAIN, at(2026, 10, 7, 17),
        id="one and a half days from tuesday 09:00 end wednesday afternoon",
    ),
    # Online on Sunday evening → clock Mon 07:00; 1 day ends Mon 17:00 (the afternoon closes); half a day
    # more is Tuesday morning → 11:30.
    pytest.param(
        at(2026, 10, 4, 20), False, "1.5", "working_day", PLAIN, at(2026, 10, 6, 11, 30),
        id="one and a half days from a monday opening end tuesday morning",
    ),
    # DL5: 0 days → the same half-day. Tue 09:00 → the end of the morning.
    pytest.param(
        at(2026, 10, 6, 9), False, 0, "working_day", PLAIN, at(2026, 10, 6, 11, 30),
        id="zero days received tuesday morning are due at the end of that morning",
    ),
    pytest.param(
        at(2026, 10, 6, 14), False, 0, "working_day", PLAIN, at(2026, 10, 6, 17),
        id="zero days received tuesday afternoon are due at the end of that afternoon",
    ),
    # At lunch the clock starts 13:30, an afternoon → 17:00.
    pytest.param(
        at(2026, 10, 6, 12), False, 0, "working_day", PLAIN, at(2026, 10, 6, 17),
        id="zero days received at lunch are due at the end of the afternoon",
    ),
    # Paper at 15:30 → clock Wed 07:00 → the end of Wednesday morning.
    pytest.param(
        at(2026, 10, 6, 15, 30), True, 0, "working_day", PLAIN, at(2026, 10, 7, 11, 30),
        id="zero days on paper after the cut-off are due at the end of the next morning",
    ),
    # Online on Saturday → clock Mon 07:00 → due at Monday's close.
    pytest.param(
        at(2026, 10, 10, 10), False, 1, "working_day", PLAIN, at(2026, 10, 12, 17),
        id="one working day received online on saturday is due monday by its close",
    ),
    # ---- Hours (office time only) ----
    # Tue 16:30: 30 min left today, 30 min tomorrow → Wed 07:30.
    pytest.param(
        at(2026, 10, 6, 16, 30), False, 1, "hour", PLAIN, at(2026, 10, 7, 7, 30),
        id="one hour from 16:30 ends at 07:30 the next morning",
    ),
    # Mon 09:00: 2.5 h to 11:30, then 1.5 h from 13:30 → 15:00.
    pytest.param(
        at(2026, 10, 5, 9), False, 4, "hour", PLAIN, at(2026, 10, 5, 15),
        id="four hours from monday 09:00 end at 15:00 after lunch",
    ),
    # Received 06:30 → clock 07:00; 4.5 h is the whole morning → 11:30 (not 13:30).
    pytest.param(
        at(2026, 10, 5, 6, 30), False, "4.5", "hour", PLAIN, at(2026, 10, 5, 11, 30),
        id="four and a half hours from the opening end at 11:30 not 13:30",
    ),
    # 8 h from Fri 10:00: 5 h on Friday, 3 h on Monday → Mon 10:00, as one working day.
    pytest.param(
        at(2026, 10, 9, 10), False, 8, "hour", PLAIN, at(2026, 10, 12, 10),
        id="eight hours from friday 10:00 end monday 10:00 like one working day",
    ),
    # 0.25 h from 11:20: 10 min to 11:30, 5 min after 13:30 → 13:35.
    pytest.param(
        at(2026, 10, 6, 11, 20), False, "0.25", "hour", PLAIN, at(2026, 10, 6, 13, 35),
        id="a quarter hour from 11:20 ends at 13:35 after lunch",
    ),
    pytest.param(
        at(2026, 10, 6, 12), False, 0, "hour", PLAIN, at(2026, 10, 6, 13, 30),
        id="zero hours received at lunch are due when the clock starts at 13:30",
    ),
    # ---- Months and years ----
    # Fri 30 Jan 2026 + 1 month: February has no 30th → Sat 28 Feb → Mon 2 Mar.
    pytest.param(
        at(2026, 1, 30, 9), False, 1, "month", VN, at(2026, 3, 2, 17),
        id="one month from 30 january 2026 ends on saturday 28 february so is due monday 2 march",
    ),
    pytest.param(
        at(2026, 11, 23, 9), False, 1, "year", VN, at(2027, 11, 23, 17),
        id="one year from monday 23 november 2026 is due tuesday 23 november 2027",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("received_at", "paper", "value", "unit", "cal", "expected"), DEADLINE_CASES)
def test_the_deadline_of_a_reception_matches_the_hand_computed_table(
    received_at: datetime, paper: bool, value: str | int, unit: str, cal: WorkCalendar, expected: datetime
) -> None:
    deadline = reception_deadline(received_at, Decimal(value), as_time_unit(unit), cal, paper=paper)
    assert deadline.due == expected
    assert deadline.due.tzinfo is not None and deadline.due.utcoffset() == timedelta(hours=7)


# --- The table: clock starts ----------------------------------------------------------------------------

CLOCK_START_CASES = [
    # docs §5 vectors: at lunch → 13:30; after closing → the next working morning (DL4).
    pytest.param(
        at(2026, 10, 5, 12), False, PLAIN, at(2026, 10, 5, 13, 30),
        id="received online at lunch starts at 13:30",
    ),
    pytest.param(
        at(2026, 10, 5, 17, 30), False, PLAIN, at(2026, 10, 6, 7),
        id="received online after closing starts next morning",
    ),
    # DL4 applies to paper too; the cut-off has not passed at 11:45.
    pytest.param(
        at(2026, 10, 6, 11, 45), True, PLAIN, at(2026, 10, 6, 13, 30),
        id="paper at 11:45 starts at 13:30",
    ),
    pytest.param(
        at(2026, 10, 6, 11, 45), False, PLAIN, at(2026, 10, 6, 13, 30),
        id="online at 11:45 starts at 13:30",
    ),
    pytest.param(
        at(2026, 10, 6, 14, 59), True, PLAIN, at(2026, 10, 6, 14, 59),
        id="paper at 14:59 starts at once",
    ),
    pytest.param(
        at(2026, 10, 6, 14, 59), False, PLAIN, at(2026, 10, 6, 14, 59),
        id="online at 14:59 starts at once",
    ),
    # DL6: paper after 15:00 → the start of the next working day.
    pytest.param(
        at(2026, 10, 6, 15, 1), True, PLAIN, at(2026, 10, 7, 7),
        id="paper at 15:01 starts next morning",
    ),
    pytest.param(
        at(2026, 10, 6, 15, 1), False, PLAIN, at(2026, 10, 6, 15, 1),
        id="online at 15:01 starts at once",
    ),
    pytest.param(
        at(2026, 10, 6, 16, 55), True, PLAIN, at(2026, 10, 7, 7),
        id="paper at 16:55 starts next morning",
    ),
    pytest.param(
        at(2026, 10, 6, 16, 55), False, PLAIN, at(2026, 10, 6, 16, 55),
        id="online at 16:55 starts at once",
    ),
    # "After 15:00": 15:00 itself is still in time.
    pytest.param(
        at(2026, 10, 6, 15), True, PLAIN, at(2026, 10, 6, 15),
        id="paper at exactly 15:00 starts at once",
    ),
    # Friday after the cut-off → Monday.
    pytest.param(
        at(2026, 10, 9, 15, 1), True, PLAIN, at(2026, 10, 12, 7),
        id="paper on friday at 15:01 starts monday morning",
    ),
    # Friday 13 Feb 2026 after the cut-off → after Tết, Mon 23 Feb.
    pytest.param(
        at(2026, 2, 13, 15, 1), True, VN, at(2026, 2, 23, 7),
        id="paper after the cut-off before tet 2026 starts after tet",
    ),
    pytest.param(
        at(2026, 10, 6, 6, 30), False, PLAIN, at(2026, 10, 6, 7),
        id="received before opening starts at 07:00",
    ),
    # 11:30 is the end of the morning: nothing of it is left.
    pytest.param(
        at(2026, 10, 6, 11, 30), False, PLAIN, at(2026, 10, 6, 13, 30),
        id="received at exactly 11:30 starts at 13:30",
    ),
    # Sat 22 Aug 2026 is a make-up working day with a weekday's hours.
    pytest.param(
        at(2026, 8, 22, 8), True, VN, at(2026, 8, 22, 8),
        id="paper on the make-up saturday starts at once",
    ),
    pytest.param(
        at(2026, 8, 23, 8), True, VN, at(2026, 8, 24, 7),
        id="paper on the sunday after it starts monday morning",
    ),
    # Tue 24 Nov 2026, Vietnam Cultural Day → Wed 25 Nov.
    pytest.param(
        at(2026, 11, 24, 9), False, VN, at(2026, 11, 25, 7),
        id="online on vietnam cultural day starts next morning",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("received_at", "paper", "cal", "expected"), CLOCK_START_CASES)
def test_the_clock_start_matches_the_hand_computed_table(
    received_at: datetime, paper: bool, cal: WorkCalendar, expected: datetime
) -> None:
    assert clock_start(received_at, cal, paper=paper) == expected


def test_a_procedure_without_cut_off_starts_paper_dossiers_at_once() -> None:
    assert clock_start(at(2026, 10, 6, 15, 1), PLAIN, paper=True, cutoff=None) == at(2026, 10, 6, 15, 1)


def test_a_procedure_with_an_earlier_cut_off_applies_it() -> None:
    assert clock_start(at(2026, 10, 6, 14, 1), PLAIN, paper=True, cutoff=time(14)) == at(2026, 10, 7, 7)


def test_a_reception_given_in_utc_is_read_in_vietnam_time() -> None:
    # 08:01 UTC is 15:01 in Hà Nội: after the cut-off.
    received = datetime(2026, 10, 6, 8, 1, tzinfo=UTC)
    assert clock_start(received, PLAIN, paper=True) == at(2026, 10, 7, 7)


# --- Supplements (DL9) ----------------------------------------------------------------------------------


def test_a_supplement_restarts_the_full_time_from_its_completion() -> None:
    # Received Mon 5 Oct 09:00 with 5 working days: due Mon 12 Oct 09:00. The supplement is complete on
    # Thu 8 Oct at 08:00 (§5 vector): the full 5 days run again from then → Thu 15 Oct 08:00, not the 3
    # days and a bit that were left.
    first = reception_deadline(at(2026, 10, 5, 9), 5, "working_day", PLAIN, paper=False)
    assert first.due == at(2026, 10, 12, 9)
    restarted = supplement_restart(at(2026, 10, 8, 8), 5, "working_day", PLAIN, paper=False)
    assert restarted.due == at(2026, 10, 15, 8)
    assert restarted.start == at(2026, 10, 8, 8)
    assert restarted.rule == SUPPLEMENT_RULE
    assert restarted.inputs["received_at"] == at(2026, 10, 8, 8).isoformat()
    assert restarted.inputs["due_rule"] == "due.working_day.v1"


def test_a_paper_supplement_completed_after_the_cut_off_restarts_the_next_morning() -> None:
    # Thu 8 Oct 15:30 on paper → clock Fri 9 Oct 07:00; 5 days from an opening: Fri, Mon, Tue, Wed, Thu
    # → Thu 15 Oct 17:00.
    restarted = supplement_restart(at(2026, 10, 8, 15, 30), 5, "working_day", PLAIN, paper=True)
    assert restarted.start == at(2026, 10, 9, 7)
    assert restarted.due == at(2026, 10, 15, 17)


# --- Pauses (DL10) --------------------------------------------------------------------------------------


def test_a_pause_for_a_financial_obligation_pushes_the_due_time_by_the_office_time_paused() -> None:
    # Due Wed 14 Oct 10:00 (three days from Fri 10:00). The applicant is asked to pay the fee Mon 12 Oct
    # 14:00 and pays Tue 13 Oct 09:00: paused 3 h (Mon 14:00–17:00) + 2 h (Tue 07:00–09:00) = 5 h.
    # Wed 10:00 + 5 h: 1.5 h to 11:30, 3.5 h from 13:30 → Wed 17:00.
    deadline = due_time(at(2026, 10, 9, 10), 3, "working_day", PLAIN)
    resumed = resume(deadline, at(2026, 10, 12, 14), at(2026, 10, 13, 9), PLAIN)
    assert resumed.due == at(2026, 10, 14, 17)
    assert resumed.rule == RESUME_RULE
    assert resumed.start == deadline.start
    assert resumed.inputs["paused_working_seconds"] == str(5 * 3600)
    assert resumed.inputs["previous_due"] == at(2026, 10, 14, 10).isoformat()
    assert resumed.inputs["previous_rule"] == "due.working_day.v1"


def test_a_pause_over_tet_2026_counts_only_office_time() -> None:
    # Paused Fri 13 Feb 16:00, resumed Mon 23 Feb 07:30: 1 h + 0.5 h. Due Wed 25 Feb 10:00 + 1.5 h → 11:30.
    deadline = due_time(at(2026, 2, 13, 10), 3, "working_day", VN)
    resumed = resume(deadline, at(2026, 2, 13, 16), at(2026, 2, 23, 7, 30), VN)
    assert resumed.due == at(2026, 2, 25, 11, 30)


def test_a_pause_outside_office_hours_moves_nothing() -> None:
    deadline = due_time(at(2026, 10, 9, 10), 3, "working_day", PLAIN)
    resumed = resume(deadline, at(2026, 10, 9, 17, 30), at(2026, 10, 12, 6, 45), PLAIN)
    assert resumed.due == deadline.due


def test_two_pauses_each_push_the_due_time() -> None:
    # Due Wed 14 Oct 10:00; paused 1 h on Monday and 1 h on Tuesday → 2 h of office time from Wed 10:00:
    # 1.5 h to 11:30, then 0.5 h after 13:30 → 14:00.
    deadline = due_time(at(2026, 10, 9, 10), 3, "working_day", PLAIN)
    once = resume(deadline, at(2026, 10, 12, 8), at(2026, 10, 12, 9), PLAIN)
    twice = resume(once, at(2026, 10, 13, 8), at(2026, 10, 13, 9), PLAIN)
    assert twice.due == at(2026, 10, 14, 14)


def test_resuming_before_pausing_is_refused() -> None:
    deadline = due_time(at(2026, 10, 9, 10), 3, "working_day", PLAIN)
    with pytest.raises(ValueError, match="before paused_at"):
        resume(deadline, at(2026, 10, 13, 9), at(2026, 10, 12, 9), PLAIN)


# --- Extension (DL11) -----------------------------------------------------------------------------------


def test_an_extension_signed_the_day_before_the_due_date_moves_it() -> None:
    deadline = due_time(at(2026, 10, 9, 10), 3, "working_day", PLAIN)  # due Wed 14 Oct 10:00
    extended = extend(
        deadline,
        signed_at=at(2026, 10, 13, 16),
        new_due=at(2026, 10, 16, 17),
        cal=PLAIN,
        already_extended=False,
    )
    assert extended.due == at(2026, 10, 16, 17)
    assert extended.rule == EXTENSION_RULE
    assert extended.inputs["previous_due"] == at(2026, 10, 14, 10).isoformat()


def test_an_extension_signed_on_the_due_date_is_rejected() -> None:
    deadline = due_time(at(2026, 10, 9, 10), 3, "working_day", PLAIN)
    with pytest.raises(ExtensionRefused, match="at least one day before"):
        extend(
            deadline,
            signed_at=at(2026, 10, 14, 8),
            new_due=at(2026, 10, 16, 17),
            cal=PLAIN,
            already_extended=False,
        )


def test_a_second_extension_is_rejected() -> None:
    deadline = due_time(at(2026, 10, 9, 10), 3, "working_day", PLAIN)
    with pytest.raises(ExtensionRefused, match="once only"):
        extend(
            deadline,
            signed_at=at(2026, 10, 12, 8),
            new_due=at(2026, 10, 16, 17),
            cal=PLAIN,
            already_extended=True,
        )


# --- Working time between two instants ------------------------------------------------------------------

BETWEEN_CASES = [
    # 09:00–11:30 = 2.5 h, 13:30–15:00 = 1.5 h.
    pytest.param(
        at(2026, 10, 5, 9), at(2026, 10, 5, 15), PLAIN, timedelta(hours=4),
        id="monday 09:00 to 15:00 is four office hours",
    ),
    pytest.param(
        at(2026, 10, 5, 11, 30), at(2026, 10, 5, 13, 30), PLAIN, timedelta(),
        id="lunch is no office time",
    ),
    # Fri 16:00–17:00 and Mon 07:00–08:00.
    pytest.param(
        at(2026, 10, 9, 16), at(2026, 10, 12, 8), PLAIN, timedelta(hours=2),
        id="friday 16:00 to monday 08:00 is two office hours",
    ),
    pytest.param(
        at(2026, 2, 13, 16), at(2026, 2, 23, 8), VN, timedelta(hours=2),
        id="friday 16:00 before tet 2026 to monday 08:00 after it is two office hours",
    ),
    # Make-up Saturday 22 Aug 2026 is a full working day: 8 h.
    pytest.param(
        at(2026, 8, 22, 0), at(2026, 8, 23, 0), VN, timedelta(hours=8),
        id="the make-up saturday has eight office hours",
    ),
    pytest.param(
        at(2026, 10, 5, 15), at(2026, 10, 5, 9), PLAIN, timedelta(hours=-4),
        id="backwards the office time is negative",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b", "cal", "expected"), BETWEEN_CASES)
def test_working_time_between_two_instants_counts_office_time_only(
    a: datetime, b: datetime, cal: WorkCalendar, expected: timedelta
) -> None:
    assert working_time_between(a, b, cal) == expected


# --- Early, on time, late (OS-ET1) ----------------------------------------------------------------------

CLASSIFY_CASES = [
    # Due Wed 14 Oct 2026 10:00; the rule compares dates in Vietnam.
    pytest.param(at(2026, 10, 13, 16), "early", id="finished the day before the due date is early"),
    pytest.param(
        at(2026, 10, 14, 9), "on_time",
        id="finished before the due time on the due date is on time",
    ),
    pytest.param(
        at(2026, 10, 14, 16, 30), "on_time",
        id="finished after the due time on the due date is still on time",
    ),
    pytest.param(at(2026, 10, 15, 7), "late", id="finished the day after the due date is late"),
    # 17:30 UTC on the 14th is 00:30 on the 15th in Hà Nội.
    pytest.param(
        datetime(2026, 10, 14, 17, 30, tzinfo=UTC), "late",
        id="the date is taken in vietnam time not utc",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("finished_at", "expected"), CLASSIFY_CASES)
def test_a_dossier_is_early_on_time_or_late_by_the_date_processing_finished(
    finished_at: datetime, expected: str
) -> None:
    assert classify(finished_at, at(2026, 10, 14, 10)) == expected


def test_classify_names_its_one_rule_and_refuses_another() -> None:
    assert CLASSIFY_RULE == "punctuality.finished_date.v1"
    with pytest.raises(ValueError, match="one rule"):
        classify(at(2026, 10, 14, 9), at(2026, 10, 14, 10), rule="half_day.v1")


# --- What a deadline carries (OS-DL1) -------------------------------------------------------------------


def test_a_deadline_carries_its_rule_and_inputs_as_strings() -> None:
    deadline = reception_deadline(at(2026, 2, 13, 15, 30), 3, "working_day", VN, paper=True)
    # After the cut-off on the Friday before Tết: clock Mon 23 Feb 07:00; three days from an opening end
    # Wed 25 Feb at its close.
    assert deadline.start == at(2026, 2, 23, 7)
    assert deadline.due == at(2026, 2, 25, 17)
    assert deadline.rule == RECEPTION_RULE
    record = deadline.as_record()
    assert record["rule"] == RECEPTION_RULE
    assert record["due_rule"] == "due.working_day.v1"
    assert record["paper"] == "true"
    assert record["cutoff"] == "15:00"
    assert record["value"] == "3"
    assert record["unit"] == "working_day"
    assert record["received_at"] == "2026-02-13T15:30:00+07:00"
    assert record["office_hours"].startswith("mon=07:00-11:30,13:30-17:00;")
    assert all(isinstance(v, str) for v in record.values())


def test_a_deadline_lists_the_days_off_it_skipped() -> None:
    deadline = due_time(at(2026, 2, 13, 10), 3, "working_day", VN)
    assert deadline.inputs["days_off"] == "2026-02-16,2026-02-17,2026-02-18,2026-02-19,2026-02-20"
    makeup = due_time(at(2026, 8, 21, 10), 1, "working_day", VN)
    assert makeup.inputs["makeup_days"] == "2026-08-22"


def test_a_deadline_is_a_frozen_value() -> None:
    deadline = due_time(at(2026, 10, 9, 10), 3, "working_day", PLAIN)
    assert isinstance(deadline, Deadline)
    with pytest.raises(AttributeError):
        deadline.due = at(2026, 10, 20)  # type: ignore[misc]


# --- Office hours ---------------------------------------------------------------------------------------


def test_an_agency_with_shorter_days_still_counts_a_working_day_as_a_day() -> None:
    # EPAR's hours, 07:30–11:30 and 13:30–16:00 (6.5 h). Fri 10:00 has used 2.5 h; one working day later
    # is Mon at 2.5 h → 10:00, where an 8-hour day would have run into Monday afternoon.
    epar = OfficeHours.parse(dict.fromkeys(range(5), "07:30-11:30,13:30-16:00"))
    cal = WorkCalendar(hours=epar)
    assert due_time(at(2026, 10, 9, 10), 1, "working_day", cal).due == at(2026, 10, 12, 10)
    assert clock_start(at(2026, 10, 6, 16, 30), cal, paper=False) == at(2026, 10, 7, 7, 30)


def test_office_hours_read_back_what_they_describe() -> None:
    hours = OfficeHours.default()
    text = "mon=07:00-11:30,13:30-17:00;tue=07:00-11:30,13:30-17:00;wed=07:00-11:30,13:30-17:00;"
    assert hours.describe().startswith(text)
    spec: dict[int | str, str] = {"mon": "07:00-11:30, 13:30-17:00", 1: "07:00-11:30,13:30-17:00"}
    parsed = OfficeHours.parse(spec)
    assert parsed.sessions[0] == ((time(7), time(11, 30)), (time(13, 30), time(17)))
    assert parsed.sessions[1] == parsed.sessions[0]
    assert parsed.sessions[5] == ()


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({0: "11:30-07:00"}, id="a session that ends before it starts"),
        pytest.param({0: "07:00-12:00,11:30-17:00"}, id="overlapping sessions"),
        pytest.param({7: "07:00-11:30"}, id="a weekday that does not exist"),
        pytest.param({0: "07:00"}, id="a session without its end"),
    ],
)
def test_office_hours_refuse_impossible_sessions(spec: dict[int, str]) -> None:
    with pytest.raises(ValueError, match="office hours"):
        OfficeHours.parse(spec)


# --- Refusals -------------------------------------------------------------------------------------------


def test_a_naive_datetime_is_refused_with_a_clear_message() -> None:
    naive = datetime(2026, 10, 6, 9)
    with pytest.raises(ValueError, match="naive datetime"):
        clock_start(naive, PLAIN, paper=False)
    with pytest.raises(ValueError, match="naive datetime"):
        due_time(naive, 1, "working_day", PLAIN)
    with pytest.raises(ValueError, match="naive datetime"):
        working_time_between(at(2026, 10, 6, 9), naive, PLAIN)
    with pytest.raises(ValueError, match="naive datetime"):
        classify(naive, at(2026, 10, 6, 9))


@pytest.mark.parametrize(
    ("value", "unit", "error"),
    [
        pytest.param(Decimal("0.3"), "working_day", ValueError, id="a third of a working day"),
        pytest.param(Decimal("1.5"), "day", ValueError, id="half a calendar day"),
        pytest.param(Decimal("-1"), "working_day", ValueError, id="a negative time"),
        pytest.param(Decimal("NaN"), "hour", ValueError, id="not a number"),
        pytest.param(0.5, "working_day", TypeError, id="a float"),
    ],
)
def test_times_the_rules_cannot_count_are_refused(value: object, unit: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        due_time(at(2026, 10, 6, 9), value, as_time_unit(unit), PLAIN)  # type: ignore[arg-type]


def test_an_unknown_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time unit"):
        as_time_unit("week")


def test_a_deadline_beyond_the_years_of_the_calendar_is_refused() -> None:
    # VN covers 2026–2027; 30 working days from mid-December 2027 run into 2028, whose holidays it lacks.
    with pytest.raises(ValueError, match="outside the years"):
        due_time(at(2027, 12, 15, 9), 30, "working_day", VN)


def test_a_day_cannot_be_both_off_and_worked() -> None:
    with pytest.raises(ValueError, match="both a day off and a working day"):
        WorkCalendar(days_off=frozenset({date(2026, 8, 22)}), working_days=frozenset({date(2026, 8, 22)}))


# --- Properties over every start (OS-DL1: holiday bugs are what peers got wrong) -------------------------


def test_every_deadline_around_tet_2026_holds_exactly_its_office_time() -> None:
    # For every half hour from 9 to 26 February 2026 (Tết in the middle) and 1 to 5 working days, on the
    # default 8-hour days: the due time is exactly n × 8 h of office time after the clock start, equals the
    # same time in hours, falls on a working day, and no earlier instant would do.
    t = at(2026, 2, 9)
    while t < at(2026, 2, 27):
        start = clock_start(t, VN, paper=False)
        for n in range(1, 6):
            due = due_time(start, n, "working_day", VN).due
            assert working_time_between(start, due, VN) == timedelta(hours=8 * n), (t, n)
            assert due_time(start, 8 * n, "hour", VN).due == due, (t, n)
            assert VN.is_working_day(due.date()), (t, n)
            assert working_time_between(start, due - timedelta(minutes=1), VN) < timedelta(hours=8 * n)
        t += timedelta(minutes=30)


def test_adding_office_time_and_measuring_it_agree() -> None:
    start = at(2026, 8, 20, 9, 15)
    for minutes in range(0, 8 * 60 * 4, 25):
        end = add_working_time(start, timedelta(minutes=minutes), VN)
        assert working_time_between(start, end, VN) == timedelta(minutes=minutes)


def test_an_extension_for_a_monday_due_date_is_signed_by_the_friday_not_on_the_weekend() -> None:
    # Due Monday 12/10/2026 10:00 (3 working days from Wednesday 7/10 10:00): the last day is Friday 9/10.
    deadline = due_time(at(2026, 10, 7, 10), 3, "working_day", PLAIN)
    assert deadline.due == at(2026, 10, 12, 10)
    assert extension_last_day(deadline.due, PLAIN) == date(2026, 10, 9)
    with pytest.raises(ExtensionRefused, match="by 2026-10-09"):
        extend(
            deadline,
            signed_at=at(2026, 10, 10, 9),
            new_due=at(2026, 10, 16, 17),
            cal=PLAIN,
            already_extended=False,
        )
    signed = extend(
        deadline,
        signed_at=at(2026, 10, 9, 16),
        new_due=at(2026, 10, 16, 17),
        cal=PLAIN,
        already_extended=False,
    )
    assert signed.inputs["last_day_to_extend"] == "2026-10-09"
