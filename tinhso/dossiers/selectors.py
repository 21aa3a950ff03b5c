"""Reads of dossiers, with the permission scoping in one place.

- Officials see the dossiers received by their agency or a unit under it; system administrators all of
  them; a citizen only the dossiers they applied for (`applicant_user`).
- `dossier_get_for_user` is the permission-checked loader every page and endpoint uses (STYLE.md rule 6).
- Worklists (*danh sách công việc*): what each role has to do, with counts, in one query for the counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.selectors import user_sees_everything
from tinhso.core import working_time as wt
from tinhso.core.calendar import work_calendar
from tinhso.dossiers.models import Dossier, Status

RUNNING = (Status.RECEIVED, Status.IN_PROCESS)
# Every worklist holds dossiers in one of these states (see `_conditions`): the counts look at them alone,
# which the (agency, status, due_at) index finds without reading the closed dossiers, nearly all of a unit's.
WORKLIST_STATES = (Status.SUBMITTED, *RUNNING, Status.PROCESSED, Status.SUPPLEMENT, Status.PAUSED)


class DossierNotFound(LookupError):
    pass


def dossiers_visible_to(user: User) -> QuerySet[Dossier]:
    qs = Dossier.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user_sees_everything(user):
        return qs
    if user.is_official:
        if user.agency is None:
            return qs.none()
        return qs.filter(agency__in=Agency.objects.subtree_of(user.agency).values("pk"))
    return qs.filter(applicant_user=user)


def dossier_get_for_user(user: User, code: str) -> Dossier:
    """The dossier if the user may see it. An unknown code and a forbidden one look the same to the
    caller's caller (404), so codes cannot be probed; the distinction is kept for logs."""
    d = (
        Dossier.objects.select_related(
            "agency",
            "agency__parent",
            "agency__commune",
            "procedure",
            "procedure_version",
            "holder",
            "current_step",
            "received_by",
        )
        .filter(code=code)
        .first()
    )
    if d is None:
        raise DossierNotFound(code)
    if not dossiers_visible_to(user).filter(pk=d.pk).exists():
        raise PermissionDenied
    return d


@dataclass(frozen=True)
class Worklist:
    key: str
    label: str | Promise
    roles: tuple[str, ...]  # the roles the list is meant for; empty: every official


WORKLISTS: tuple[Worklist, ...] = (
    Worklist("new", _("Chờ tiếp nhận"), (Role.COUNTER_OFFICER,)),
    Worklist("mine", _("Tôi đang xử lý"), ()),
    Worklist("to_assign", _("Chờ phân công"), (Role.DEPARTMENT_HEAD,)),
    Worklist("to_approve", _("Chờ phê duyệt"), (Role.AGENCY_LEADER,)),
    Worklist("to_return", _("Chờ trả kết quả"), (Role.COUNTER_OFFICER,)),
    Worklist("due_today", _("Đến hạn hôm nay"), ()),
    Worklist("due_soon", _("Đến hạn trong 2 ngày làm việc"), ()),
    Worklist("overdue", _("Quá hạn"), ()),
    Worklist("supplement", _("Chờ bổ sung"), ()),
    Worklist("paused", _("Tạm dừng (nghĩa vụ tài chính)"), ()),
)
WORKLIST_KEYS = tuple(w.key for w in WORKLISTS)


@dataclass(frozen=True)
class _Bounds:
    now: dt.datetime
    end_of_today: dt.datetime
    end_of_second_working_day: dt.datetime


def _bounds(now: dt.datetime, cal: wt.WorkCalendar) -> _Bounds:
    local = timezone.localtime(now, cal.tz)
    end_of_today = local.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    # "Due within 2 working days": by the end of the second working day counting today when it is one.
    day = local.date()
    if not cal.is_working_day(day):
        day = cal.next_working_day(day)
    second = cal.next_working_day(day)
    end_second = dt.datetime.combine(second + dt.timedelta(days=1), dt.time(0), tzinfo=cal.tz)
    return _Bounds(now=now, end_of_today=end_of_today, end_of_second_working_day=end_second)


def _conditions(user: User, b: _Bounds) -> dict[str, Q]:
    running = Q(status__in=RUNNING)
    return {
        "new": Q(status=Status.SUBMITTED),
        "mine": Q(holder=user, status__in=[*RUNNING, Status.PROCESSED]),
        # A department head holding a specialist's step has to give it to a specialist.
        "to_assign": Q(holder=user, status__in=RUNNING, current_step__role=Role.SPECIALIST)
        if user.has_role(Role.DEPARTMENT_HEAD)
        else Q(pk__in=[]),
        "to_approve": Q(holder=user, status=Status.IN_PROCESS, current_step__role=Role.AGENCY_LEADER),
        "to_return": Q(status=Status.PROCESSED),
        "due_today": running & Q(due_at__gte=b.now, due_at__lt=b.end_of_today),
        "due_soon": running & Q(due_at__gte=b.now, due_at__lt=b.end_of_second_working_day),
        "overdue": running & Q(due_at__lt=b.now),
        "supplement": Q(status=Status.SUPPLEMENT),
        "paused": Q(status=Status.PAUSED),
    }


def worklist(
    user: User, key: str, *, now: dt.datetime | None = None, cal: wt.WorkCalendar | None = None
) -> QuerySet[Dossier]:
    """One worklist of the user, most urgent first (by due time, then by reception)."""
    if key not in WORKLIST_KEYS:
        raise ValueError(f"unknown worklist {key!r}")
    b = _bounds(now or timezone.now(), cal or work_calendar())
    qs = dossiers_visible_to(user).filter(_conditions(user, b)[key])
    order = ["submitted_at", "pk"] if key == "new" else ["due_at", "pk"]
    return qs.select_related("procedure", "procedure_version", "holder", "agency").order_by(*order)


def worklist_counts(
    user: User, *, now: dt.datetime | None = None, cal: wt.WorkCalendar | None = None
) -> dict[str, int]:
    """The size of every worklist: one query reading four columns of the unit's open dossiers (hundreds,
    by the (agency, status, due_at) index), counted here by the same rules as `_conditions` — compiling ten
    filtered aggregates cost more than running them. `test_worklists` checks both agree on every list."""
    b = _bounds(now or timezone.now(), cal or work_calendar())
    head = user.has_role(Role.DEPARTMENT_HEAD)
    counts = dict.fromkeys(WORKLIST_KEYS, 0)
    rows = (
        dossiers_visible_to(user)
        .filter(status__in=WORKLIST_STATES)
        .order_by()  # counted, not listed: no sort
        .values_list("status", "holder_id", "due_at", "current_step__role")
    )
    for status, holder_id, due_at, step_role in rows:
        mine = holder_id == user.pk
        if status == Status.SUBMITTED:
            counts["new"] += 1
        elif status == Status.PROCESSED:
            counts["to_return"] += 1
            counts["mine"] += mine
        elif status == Status.SUPPLEMENT:
            counts["supplement"] += 1
        elif status == Status.PAUSED:
            counts["paused"] += 1
        elif status in RUNNING:
            counts["mine"] += mine
            counts["to_assign"] += mine and head and step_role == Role.SPECIALIST
            counts["to_approve"] += mine and status == Status.IN_PROCESS and step_role == Role.AGENCY_LEADER
            if due_at is not None:
                if due_at < b.now:
                    counts["overdue"] += 1
                elif due_at < b.end_of_second_working_day:
                    counts["due_soon"] += 1
                    counts["due_today"] += due_at < b.end_of_today
    return counts


def worklists_for(user: User) -> list[Worklist]:
    """The worklists shown to the user: those of their roles and the common ones."""
    return [w for w in WORKLISTS if not w.roles or user.has_role(*w.roles)]
