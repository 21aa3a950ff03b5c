"""Volume: realistic dossiers in bulk (`tinhso generate-dossiers N`), for statistics, load tests and demos.

Each generated dossier is the one the lifecycle in `transitions.py` would have left behind, replayed here
on plain Python objects with the same working-time functions (`tinhso.core.working_time`, on the real
calendar from `work_calendar`), so no field disagrees with what the transitions would have computed:
status and national status, received_at, clock_start, due_at and due_rule, finished_at, returned_at,
punctuality by `classify`, outcome, return method, holder, current step, the steps with their own due
times, and every event (`DossierEvent`) with the data the transition writes (the deadline record of
`receive`, Mẫu 01/02/03/05 on the events that issue them, the hand-over's step punctuality …). Nothing
happens after `now`: the lifecycle of a dossier received last week is cut where today stands, so recent
ones are still in process (some past their due time), a few online ones still await reception.

What is written, per dossier (`--history compact`, the default):

- one `Dossier` row;
- its events (`DossierEvent`), as the transitions wrote them: submit, receive (Mẫu 01) or refuse (Mẫu 03),
  then a supplement request (Mẫu 02) and its completion, a pause for payment and its end, hand-overs,
  approve or reject, return, withdraw, stop (Mẫu 05). Of a returned dossier (about 96 %) the hand-overs
  are left out and `seq` keeps the revision each event produced, so the gaps show where they were: about
  four events for a returned dossier, every event for any other;
- the internal-process steps (`DossierStep`, four in the seed's demo process) of every dossier received
  and not yet returned (in process, processed, paused, waiting for a supplement, withdrawn, stopped:
  their `current_step` points at one). `--history full` writes the steps and the hand-overs of returned
  dossiers too (about 11 rows a dossier instead of 5);
- no papers, files, consultations, extensions, outbox messages (no SMS to made-up phone numbers) nor an
  audit entry per dossier: one audit entry per batch (`dossier.generated`) says what was added;
- the officials the events need, where an agency has none of a role (a counter officer, a specialist, a
  leader, …), created once through `accounts.services.user_create_official`, without a password.

Applicants have no account (`applicant_user` is empty), as for a dossier taken in at the counter or from
the national portal; so the submit event of an online dossier has no actor and names the applicant in
its `actor_label` — the one place where a generated dossier differs from what `transitions.submit`
(which needs the citizen's account as actor) would write.

Codes (OS-ID1, OS-ID2) continue the `DossierCodeCounter` of each unit and day: the batch's transaction
adds its count to the day's counter (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), which locks the row as
`transitions.submit` does, and numbers the day's dossiers from the previous `last` + 1 in the order they
were submitted. So the codes stay gap-free and unique whatever the database already holds, a dossier
received later through the transitions takes the next number, a second run adds its dossiers after the
first run's on the same days, and a rolled-back batch gives its numbers back. (Within one day, a second
run's numbers follow the first run's even when its submission times are earlier.)

Content is a pure function of the seed, N, the date range, the database's bindings and officials, the
calendar, `now` and the number of dossiers already in the database (so a second run with the same seed
adds different people, not twins of the first run's).

On PostgreSQL the rows go in with `COPY` (psycopg 3 `cursor.copy`), one transaction per batch of whole
days, constraints and indexes intact, batches spread over worker processes (one per CPU) that each
generate and write; ids are reserved once per run from the tables' own sequences (unused ones are left
as gaps). On SQLite (tests, small N) the batches run in turn with `bulk_create`.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import datetime as dt
import itertools
import json
import multiprocessing
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, connections, models, transaction
from django.db.models import Count
from django.utils import timezone

from tinhso.accounts import services as accounts
from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.national_id import BIRTH_PROVINCE_CODES
from tinhso.core import working_time as wt
from tinhso.core.audit import audit_record
from tinhso.core.calendar import office_hours, paper_cutoff, work_calendar
from tinhso.core.rows import key_block_lock_sql
from tinhso.core.text import fold, fold_name
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import (
    NATIONAL_STATUS,
    PAPER_CHANNELS,
    Channel,
    Dossier,
    DossierCodeCounter,
    DossierEvent,
    DossierStep,
    Outcome,
    ReturnMethod,
    Status,
    catalog_channel,
)
from tinhso.procedures.models import Fee, LegalBasis, ProcedureBinding, ProcessStep, RequiredPaper

__all__ = ["VolumeError", "VolumeSummary", "dossiers_generate"]

DEFAULT_BATCH = 20_000
# What is written of a returned dossier: everything ("full"), or its dossier row and its events but the
# hand-overs, without steps ("compact": the row count of a million dossiers halves). Every other dossier
# is always written in full.
HISTORIES = ("compact", "full")
MAX_DAILY_SEQUENCE = 9999  # XXXX in the code (TT 01/2018 Art. 19)

# --- How a province's communes really work (weights, not law) -------------------------------------------

# Relative volume of the seed procedures at a commune: certified copies and birth registration lead, then
# residence, death registration, temporary absence. A procedure not listed weighs like the average.
PROCEDURE_WEIGHTS: dict[str, float] = {
    "2.000815": 40.0,  # Chứng thực bản sao từ bản chính
    "1.001193": 22.0,  # Đăng ký khai sinh
    "1.004194": 14.0,  # Đăng ký tạm trú
    "1.004222": 10.0,  # Đăng ký thường trú
    "1.000656": 8.0,  # Đăng ký khai tử
    "1.003677": 6.0,  # Khai báo tạm vắng
}
# Channel mix per procedure (counter, online, postal, national portal). With the weights above they add
# up to the province's mix: counter ~55 %, online ~35 %, postal ~5 %, national portal ~5 %. Certified
# copies need the original in hand: mostly at the counter; residence is mostly online.
CHANNEL_MIX: dict[str, tuple[float, float, float, float]] = {
    "2.000815": (0.80, 0.12, 0.05, 0.03),
    "1.001193": (0.45, 0.42, 0.05, 0.08),
    "1.004194": (0.30, 0.58, 0.04, 0.08),
    "1.004222": (0.35, 0.53, 0.05, 0.07),
    "1.000656": (0.55, 0.33, 0.06, 0.06),
    "1.003677": (0.25, 0.65, 0.03, 0.07),
}
DEFAULT_CHANNEL_MIX = (0.55, 0.35, 0.05, 0.05)
CHANNELS = (Channel.COUNTER, Channel.ONLINE, Channel.POSTAL, Channel.NATIONAL_PORTAL)
ONLINE_CHANNELS = frozenset({Channel.ONLINE, Channel.NATIONAL_PORTAL})

# More on Mondays; a make-up Saturday is quieter. Months: the rush before Tết, the lull of Tết, the
# certified copies of school enrolment in August–September.
WEEKDAY_WEIGHTS = (1.35, 1.05, 1.0, 0.95, 0.9, 0.7, 0.7)
MONTH_WEIGHTS = (1.1, 0.85, 1.0, 1.0, 1.0, 1.0, 1.05, 1.15, 1.1, 1.0, 1.0, 1.05)

# Fates, as cumulative probabilities over all dossiers.
P_REFUSED = 0.012  # Mẫu 03 at reception
P_WITHDRAWN = 0.005  # by the applicant, during processing
P_STOPPED = 0.0025  # Mẫu 05, by the leader
P_REJECTED = 0.010  # refused after appraisal (outcome "rejected"), then returned
P_SUPPLEMENT = 0.04  # Mẫu 02 within 3 working days: 80 % completed, 12 % never, 8 % then withdrawn
P_PAUSE = 0.03  # waiting for a fee, for procedures with one
P_NEVER_COLLECTED = 0.004
# Punctuality aimed at (the realised one is `classify`'s): early, on time, late.
P_EARLY, P_ON_TIME = 0.56, 0.375

HOUR = 3600.0
WORKING_DAY = 8 * HOUR

# --- Names ----------------------------------------------------------------------------------------------

# Kinh family names with their rough national frequency, and the Tày, Nùng, Dao and H'Mông names common
# in Tuyên Quang and former Hà Giang.
FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 30),
    ("Trần", 8),
    ("Lê", 7),
    ("Phạm", 5),
    ("Hoàng", 6),
    ("Vũ", 3),
    ("Đỗ", 2),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Ngô", 1.2),
    ("Dương", 1.2),
    ("Lý", 1),
    ("Phan", 1),
    ("Hà", 1.5),
    ("Ma", 2.5),
    ("Nông", 2),
    ("Lương", 1.2),
    ("Quan", 1),
    ("Triệu", 1.5),
    ("Bàn", 1.5),
    ("Lục", 0.8),
    ("Giàng", 1.5),
    ("Sùng", 1),
    ("Vàng", 1),
    ("Thào", 0.8),
    ("Lầu", 0.5),
)
HMONG_FAMILIES = frozenset({"Giàng", "Sùng", "Vàng", "Thào", "Lầu"})
MIDDLE_MALE = ("Văn", "Văn", "Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công", "Xuân", "Ngọc", "Quang")
MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Kim", "Phương")
GIVEN_MALE = (
    "An", "Anh", "Bảo", "Bình", "Cường", "Chiến", "Dũng", "Duy", "Đạt", "Đức", "Giang", "Hải", "Hiếu",
    "Hòa", "Hoàng", "Hùng", "Huy", "Khánh", "Khoa", "Kiên", "Lâm", "Long", "Mạnh", "Minh", "Nam", "Nghĩa",
    "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Thịnh", "Toàn", "Trung", "Tuấn",
    "Tùng", "Việt", "Vinh", "Vũ",
)  # fmt: skip
GIVEN_FEMALE = (
    "An", "Anh", "Châu", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng",
    "Huệ", "Hương", "Huyền", "Lan", "Liên", "Linh", "Loan", "Mai", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh",
    "Phương", "Quỳnh", "Tâm", "Thảo", "Thơm", "Thu", "Thủy", "Trang", "Tuyết", "Vân", "Xuân", "Yến",
)  # fmt: skip
HMONG_MIDDLE_MALE = ("Seo", "Mí", "A", "Văn")
HMONG_GIVEN_MALE = ("Chứ", "Dính", "Sính", "Pó", "Sử", "Páo", "Chúng", "Lử", "Vần", "Tủa")
HMONG_GIVEN_FEMALE = ("Mỷ", "Dở", "Sua", "Mai", "Súa", "Chá", "Dợ", "Pà", "Máy", "Xúa")

# Mobile prefixes by network (Viettel dominates in the mountains).
PHONE_PREFIXES: tuple[tuple[str, float], ...] = (
    *((p, 5.0) for p in ("086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039")),
    *((p, 3.1) for p in ("088", "091", "094", "081", "082", "083", "084", "085")),
    *((p, 1.5) for p in ("089", "090", "093", "070", "076", "077", "078", "079")),
    *((p, 1.0) for p in ("092", "056", "058")),
)

# --- Reasons written on the forms -----------------------------------------------------------------------

REFUSAL_REASONS = (
    "Yêu cầu không thuộc thẩm quyền giải quyết của Ủy ban nhân dân cấp xã.",
    "Người nộp hồ sơ không phải là người có quyền yêu cầu thực hiện thủ tục.",
    "Việc này đã được đăng ký tại cơ quan có thẩm quyền khác; hướng dẫn người dân cấp bản sao trích lục.",
    "Giấy tờ đề nghị chứng thực thuộc trường hợp không được chứng thực bản sao từ bản chính.",
)
SUPPLEMENT_REASONS = (
    "Bản chụp không rõ nét; đề nghị nộp bản rõ nét hoặc xuất trình bản chính để đối chiếu.",
    "Thông tin trên giấy tờ không khớp với Cơ sở dữ liệu quốc gia về dân cư.",
    "Giấy tờ còn thiếu chữ ký của người yêu cầu.",
    "Văn bản ủy quyền chưa được chứng thực theo quy định.",
    "Giấy tờ đã hết thời hạn sử dụng.",
)
STOP_REASONS = (
    "Phát sinh tranh chấp liên quan đến nội dung yêu cầu; chờ cơ quan có thẩm quyền giải quyết.",
    "Phát hiện giấy tờ có dấu hiệu giả mạo; đã chuyển cơ quan công an xác minh.",
    "Theo yêu cầu của cơ quan có thẩm quyền về việc tạm dừng giải quyết.",
)
REJECTION_REASONS = (
    "Kết quả xác minh cho thấy thông tin trong tờ khai không đúng sự thật.",
    "Người yêu cầu không đáp ứng điều kiện theo quy định.",
    "Chỗ ở đề nghị đăng ký không đáp ứng điều kiện theo quy định.",
)
WITHDRAWAL_REASONS = (
    "Người nộp hồ sơ có đơn đề nghị rút hồ sơ.",
    "Người yêu cầu không còn nhu cầu giải quyết.",
    "Người dân đề nghị rút hồ sơ để nộp lại tại nơi cư trú mới.",
)
PAYMENT_REASON = "Nộp phí, lệ phí theo quy định trước khi nhận kết quả."

# The staff an agency needs for the generated events: (role, how many to create when it has none, title).
STAFF_NEEDED: dict[str, tuple[int, str]] = {
    Role.COUNTER_OFFICER: (2, "Công chức Bộ phận Một cửa"),
    Role.SPECIALIST: (2, "Công chức chuyên môn"),
    Role.DEPARTMENT_HEAD: (1, "Trưởng phòng"),
    Role.AGENCY_LEADER: (1, "Phó Chủ tịch Ủy ban nhân dân"),
}
ROLE_USERNAMES: dict[str, str] = {
    Role.COUNTER_OFFICER: "motcua",
    Role.SPECIALIST: "chuyenvien",
    Role.DEPARTMENT_HEAD: "truongphong",
    Role.AGENCY_LEADER: "lanhdao",
}


class VolumeError(Exception):
    """The generation cannot start or go on (no usable binding, a range in the future, a full day)."""


# --- The plan: agencies, bindings, officials ------------------------------------------------------------


@dataclass(frozen=True)
class Official:
    id: int
    username: str
    full_name: str
    label: str  # the event's actor_label, as transitions write it


@dataclass(frozen=True)
class StepPlan:
    order: int
    name: str
    role: str
    budget_value: Decimal
    budget_unit: str


@dataclass
class BindingPlan:
    id: int
    procedure_id: int
    procedure_code: str
    version_id: int
    process_id: int
    summary: str
    steps: tuple[StepPlan, ...]
    leader_index: int  # the step ending with approve / reject
    legal: dict[str, tuple[Decimal, str]]  # per dossier channel, as `transitions.legal_time_for`
    fee_vnd: int
    papers: tuple[str, ...]
    legal_basis: str
    weight: float
    mix: tuple[float, float, float, float]


@dataclass
class AgencyPlan:
    id: int
    code: str
    phone: str
    place: str  # "xã Minh Quang, tỉnh Tuyên Quang"
    hamlet: str  # "Thôn" or "Tổ dân phố"
    home_province: str  # the birth-province code of most of its people's ID numbers
    weight: float
    bindings: list[BindingPlan]
    binding_cum: list[float] = field(default_factory=list)
    staff: dict[str, list[Official]] = field(default_factory=dict)


class _DescribedOnce(wt.OfficeHours):
    """The same office hours, describing themselves once: `describe()` is half the cost of a deadline and
    its text never changes (the deadline records stay identical)."""

    def describe(self) -> str:
        text: str | None = self.__dict__.get("_described")
        if text is None:
            text = super().describe()
            object.__setattr__(self, "_described", text)
        return text


@dataclass
class _Context:
    cal: wt.WorkCalendar
    cutoff: dt.time | None
    now: dt.datetime
    agencies: list[AgencyPlan]
    agency_cum: list[float]
    start: dt.date
    end: dt.date


def _official(user: User) -> Official:
    return Official(
        id=user.pk, username=user.get_username(), full_name=user.full_name, label=tr._actor_label(user)
    )


def _usable_bindings() -> list[ProcedureBinding]:
    """Active bindings of active agencies, with a current version and an internal process."""
    return list(
        ProcedureBinding.objects.filter(
            is_active=True,
            agency__is_active=True,
            current_process__isnull=False,
            procedure__current_version__isnull=False,
        )
        .select_related("procedure", "agency", "agency__commune__province", "current_process")
        .order_by("agency__path", "procedure__code")
    )


def _legal_times(
    binding: ProcedureBinding, cache: dict[tuple[Any, ...], tuple[Decimal, str]]
) -> dict[str, tuple[Decimal, str]]:
    """The statutory time per channel, by the transitions' own `legal_time_for`."""
    process = binding.current_process
    version_id = binding.procedure.current_version_id
    assert process is not None and version_id is not None
    out: dict[str, tuple[Decimal, str]] = {}
    for channel in CHANNELS:
        key = (
            version_id,
            catalog_channel(channel),
            process.total_value,
            process.total_unit,
        )
        if key not in cache:
            probe = Dossier(
                procedure=binding.procedure,
                procedure_version_id=version_id,
                process=process,
                channel=channel,
            )
            cache[key] = tr.legal_time_for(probe)
        out[channel] = cache[key]
    return out


def _name_rng(key: str) -> random.Random:
    return random.Random(f"tinhso-volume:{key}")


def staff_ensure(agencies: Iterable[Agency], roles: Iterable[str]) -> int:
    """Create the officials an agency lacks for the generated events (none where it has one of the role);
    returns how many were created. Names are a function of the agency's code, so a re-run finds them."""
    created = 0
    wanted = [r for r in STAFF_NEEDED if r in set(roles)]
    for agency in agencies:
        have = set(
            User.objects.filter(agency=agency, kind=User.Kind.OFFICIAL, is_active=True)
            .values_list("groups__name", flat=True)
            .distinct()
        )
        rng = _name_rng(agency.code)
        for role in wanted:
            if role in have:
                continue
            n, title = STAFF_NEEDED[role]
            for i in range(1, n + 1):
                username = f"{ROLE_USERNAMES[role]}.{agency.code.lower()}.{i}"
                if User.objects.filter(username=username).exists():
                    continue
                sex = rng.random() < 0.5
                accounts.user_create_official(
                    username=username,
                    password=None,
                    full_name=_person_name(rng, female=sex),
                    agency=agency,
                    roles=[role],
                    position=title,
                    actor=None,
                )
                created += 1
    return created


def _agency_weights() -> dict[int, float]:
    """A commune's size: how many pre-2025 communes went into it (OS-LG2's table), wards counting more."""
    weights: dict[int, float] = {}
    rows = Agency.objects.filter(commune__isnull=False).annotate(n=Count("commune__former_communes"))
    for a in rows.select_related("commune"):
        assert a.commune is not None
        factor = 1.6 if a.commune.division_type.lower().startswith("phường") else 1.0
        weights[a.pk] = max(1, a.n) * factor
    return weights


def _home_provinces() -> dict[int, str]:
    """Former Hà Giang communes' people mostly hold 002 numbers, former Tuyên Quang's 008."""
    out: dict[int, str] = {}
    rows = Agency.objects.filter(commune__isnull=False).values_list(
        "pk", "commune__former_communes__old_province"
    )
    votes: dict[int, Counter[str]] = {}
    for pk, old in rows:
        votes.setdefault(pk, Counter())[fold(old or "")] += 1
    for pk, c in votes.items():
        top = c.most_common(1)[0][0] if c else ""
        out[pk] = "002" if "ha giang" in top else "008"
    return out


def _context(*, start: dt.date, end: dt.date, now: dt.datetime, log: Callable[[str], None]) -> _Context:
    bindings = _usable_bindings()
    if not bindings:
        raise VolumeError(
            "No active procedure binding with a current version and an internal process: run "
            "`tinhso load-catalog` first (it binds the seed procedures to the communes)."
        )
    steps_by_process: dict[int, tuple[StepPlan, ...]] = {}
    for st in ProcessStep.objects.filter(process_id__in=[b.current_process_id for b in bindings]).order_by(
        "order"
    ):
        steps_by_process[st.process_id] = (
            *steps_by_process.get(st.process_id, ()),
            StepPlan(st.order, st.name, st.role, st.duration_value, st.duration_unit),
        )
    # Staff first: the plan needs their ids.
    roles = {s.role for steps in steps_by_process.values() for s in steps}
    roles |= {Role.COUNTER_OFFICER, Role.AGENCY_LEADER}
    agencies_by_id = {b.agency_id: b.agency for b in bindings}
    created = staff_ensure(agencies_by_id.values(), roles)
    if created:
        log(f"Created {created} officials for agencies that had none of a role (without a password).")

    # The years of the range, and two more for deadlines running past its end.
    cal = _MemoCalendar.of(
        work_calendar(years=range(start.year, max(end.year, now.year) + 3), hours=_described_hours())
    )
    legal_cache: dict[tuple[Any, ...], tuple[Decimal, str]] = {}
    version_ids = {b.procedure.current_version_id for b in bindings}
    fees: dict[int, int] = {}
    for vid, amount in Fee.objects.filter(
        rule__version_id__in=version_ids, currency=Fee.Currency.VND
    ).values_list("rule__version_id", "amount_vnd"):
        fees[vid] = max(fees.get(vid, 0), amount)
    papers: dict[int, list[str]] = {}
    for vid, name in RequiredPaper.objects.filter(version_id__in=version_ids).values_list(
        "version_id", "name"
    ):
        papers.setdefault(vid, []).append(" ".join(name.split())[:300].strip())
    bases: dict[int, str] = {}
    for vid, number in (
        LegalBasis.objects.filter(version_id__in=version_ids)
        .order_by("order")
        .values_list("version_id", "number")
    ):
        bases.setdefault(vid, number)
    officials: dict[int, dict[str, list[Official]]] = {}
    for u in (
        User.objects.filter(agency_id__in=agencies_by_id, kind=User.Kind.OFFICIAL, is_active=True)
        .prefetch_related("groups")
        .order_by("pk")
    ):
        for g in u.groups.all():
            officials.setdefault(u.agency_id, {}).setdefault(g.name, []).append(_official(u))  # type: ignore[arg-type]

    weights = _agency_weights()
    homes = _home_provinces()
    mean_weight = sum(PROCEDURE_WEIGHTS.values()) / len(PROCEDURE_WEIGHTS)
    plans: dict[int, AgencyPlan] = {}
    skipped: list[str] = []
    for b in bindings:
        steps = steps_by_process.get(b.current_process_id or 0, ())
        leaders = [i for i, s in enumerate(steps) if s.role == Role.AGENCY_LEADER]
        staff = officials.get(b.agency_id, {})
        if (
            not leaders
            or len(steps) - leaders[-1] > 2
            or leaders[-1] == 0
            or steps[0].role != Role.COUNTER_OFFICER
        ):
            skipped.append(f"{b.local_code}: internal process without a leader's decision step")
            continue
        if any(not staff.get(s.role) for s in steps) or not staff.get(Role.COUNTER_OFFICER):
            skipped.append(f"{b.local_code}: no official for one of its steps")
            continue
        agency = b.agency
        if b.agency_id not in plans:
            commune = agency.commune
            ward = bool(commune and commune.division_type.lower().startswith("phường"))
            place = commune.name if commune else agency.name
            if commune:
                place = f"{place}, {commune.province.name}"
            plans[b.agency_id] = AgencyPlan(
                id=agency.pk,
                code=agency.code,
                phone=agency.phone,
                place=place,
                hamlet="Tổ dân phố" if ward else "Thôn",
                home_province=homes.get(agency.pk, "008"),
                weight=weights.get(agency.pk, 1.0),
                bindings=[],
                staff=staff,
            )
        version = b.procedure.current_version_id
        assert version is not None and b.current_process_id is not None
        plans[b.agency_id].bindings.append(
            BindingPlan(
                id=b.pk,
                procedure_id=b.procedure_id,
                procedure_code=b.procedure.code,
                version_id=version,
                process_id=b.current_process_id,
                summary=b.procedure.name[:500],
                steps=steps,
                leader_index=leaders[-1],
                legal=_legal_times(b, legal_cache),
                fee_vnd=fees.get(version, 0),
                papers=tuple(papers.get(version, [])) or ("Tờ khai",),
                legal_basis=bases.get(version, ""),
                weight=PROCEDURE_WEIGHTS.get(b.procedure.code, mean_weight),
                mix=CHANNEL_MIX.get(b.procedure.code, DEFAULT_CHANNEL_MIX),
            )
        )
    for line in skipped[:5]:
        log(f"Skipped {line}")
    if len(skipped) > 5:
        log(f"… and {len(skipped) - 5} more bindings skipped")
    agencies = [p for p in plans.values() if p.bindings]
    if not agencies:
        raise VolumeError("No binding can be generated for (see the skipped ones above).")
    for a in agencies:
        a.binding_cum = list(itertools.accumulate(b.weight for b in a.bindings))
    return _Context(
        cal=cal,
        cutoff=paper_cutoff(),
        now=now,
        agencies=agencies,
        agency_cum=list(itertools.accumulate(a.weight for a in agencies)),
        start=start,
        end=end,
    )


def _described_hours() -> wt.OfficeHours:
    base = office_hours()
    return _DescribedOnce(dict(base.sessions), base.makeup_sessions)


class _MemoCalendar(wt.WorkCalendar):
    """The same calendar, remembering its answers per date: it is frozen, so they cannot change, and the
    working-time functions ask about the same few hundred dates millions of times."""

    _working: dict[dt.date, bool]
    _open: dict[dt.date, Any]
    _next: dict[dt.date, dt.date]

    @classmethod
    def of(cls, cal: wt.WorkCalendar) -> _MemoCalendar:
        memo = cls(**{f.name: getattr(cal, f.name) for f in dataclasses.fields(cal)})
        for name in ("_working", "_open", "_next"):
            object.__setattr__(memo, name, {})
        return memo

    def is_working_day(self, day: dt.date) -> bool:
        answer = self._working.get(day)
        if answer is None:
            answer = self._working[day] = super().is_working_day(day)
        return answer

    def next_working_day(self, day: dt.date) -> dt.date:
        answer = self._next.get(day)
        if answer is None:
            answer = self._next[day] = super().next_working_day(day)
        return answer

    def _intervals(self, day: dt.date) -> Any:
        answer = self._open.get(day)
        if answer is None:
            answer = self._open[day] = tuple(super()._intervals(day))
        return answer


# --- People ---------------------------------------------------------------------------------------------

_FAMILY = [n for n, _ in FAMILY_NAMES]
_FAMILY_CUM = list(itertools.accumulate(w for _, w in FAMILY_NAMES))
_PHONE = [p for p, _ in PHONE_PREFIXES]
_PHONE_CUM = list(itertools.accumulate(w for _, w in PHONE_PREFIXES))
_OTHER_PROVINCES = sorted(BIRTH_PROVINCE_CODES)


def _pick(rng: random.Random, items: Sequence[Any], cum: Sequence[float]) -> Any:
    return items[bisect.bisect(cum, rng.random() * cum[-1])]


def _person_name(rng: random.Random, *, female: bool) -> str:
    family = _pick(rng, _FAMILY, _FAMILY_CUM)
    if family in HMONG_FAMILIES:
        middle = "Thị" if female else rng.choice(HMONG_MIDDLE_MALE)
        given = rng.choice(HMONG_GIVEN_FEMALE if female else HMONG_GIVEN_MALE)
    else:
        middle = rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE)
        given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
    return f"{family} {middle} {given}"


@dataclass(frozen=True)
class _Person:
    name: str
    id_number: str
    phone: str
    email: str
    address: str


def _person(rng: random.Random, agency: AgencyPlan, *, procedure: str, on: dt.date, online: bool) -> _Person:
    female = rng.random() < (0.6 if procedure == "1.001193" else 0.5)
    name = _person_name(rng, female=female)
    low, high = (19, 42) if procedure == "1.001193" else (18, 75)
    born = on.year - rng.randint(low, high)
    # Decree 137/2015 Art. 13: province of birth registration, century and sex, year, six digits.
    province = agency.home_province if rng.random() < 0.85 else rng.choice(_OTHER_PROVINCES)
    century_sex = (born // 100 - 19) * 2 + int(female)
    id_number = f"{province}{century_sex}{born % 100:02d}{rng.randrange(1_000_000):06d}"
    phone = f"{_pick(rng, _PHONE, _PHONE_CUM)}{rng.randrange(10_000_000):07d}"
    email = ""
    if online and rng.random() < 0.4:
        parts = fold(name).split()
        email = f"{parts[-1]}{parts[0]}{rng.randrange(100, 10_000)}@gmail.com"
    address = f"{agency.hamlet} {rng.randint(1, 24)}, {agency.place}"
    return _Person(name, id_number, phone, email, address)


# --- One dossier's life ---------------------------------------------------------------------------------


class _Future(Exception):
    """The next transition would happen after `now`: the dossier stays where it is."""


def _utc(value: dt.datetime) -> dt.datetime:
    # What a datetime read back from the database looks like (Django hands them out in UTC): transitions
    # write some of those into event data (`step_due`, `due`, a resume's previous deadline).
    return value.astimezone(dt.UTC)


def _seconds(delta: dt.timedelta) -> float:
    return delta.total_seconds()


class _Step:
    __slots__ = ("assignee", "due_at", "finished_at", "finished_by", "plan", "punctuality", "started_at")

    def __init__(self, plan: StepPlan) -> None:
        self.plan = plan
        self.assignee: Official | None = None
        self.started_at: dt.datetime | None = None
        self.due_at: dt.datetime | None = None
        self.finished_at: dt.datetime | None = None
        self.finished_by: Official | None = None
        self.punctuality = ""


class _Life:
    """One dossier replayed through the transitions' rules, stopping at `now`."""

    def __init__(
        self,
        ctx: _Context,
        rng: random.Random,
        agency: AgencyPlan,
        binding: BindingPlan,
        channel: str,
        person: _Person,
        submitted_at: dt.datetime,
        *,
        detailed: bool = True,
    ) -> None:
        self.ctx, self.rng, self.agency, self.binding, self.channel = ctx, rng, agency, binding, channel
        # Without detail, the due times of the steps before the leader's are not computed: nothing that
        # is written of a returned dossier in compact history needs them (see `_generate_day`).
        self.detailed = detailed
        self.person = person
        self.paper = channel in PAPER_CHANNELS
        self.submitted_at = submitted_at
        self.status = ""
        self.revision = 0
        self.events: list[tuple[Any, ...]] = []
        self.steps: list[_Step] = []
        self.current: int | None = None
        self.holder: Official | None = None
        self.received_by: Official | None = None
        self.received_at: dt.datetime | None = None
        self.legal_value: Decimal | None = None
        self.legal_unit = ""
        self.clock_start: dt.datetime | None = None
        self.due_at: dt.datetime | None = None
        self.due_rule = ""
        self.paused_at: dt.datetime | None = None
        self.resume_status = ""
        self.supplement_requests = 0
        self.fee_due_vnd = 0
        self.finished_at: dt.datetime | None = None
        self.returned_at: dt.datetime | None = None
        self.closed_at: dt.datetime | None = None
        self.outcome = ""
        self.outcome_note = ""
        self.return_method = ""
        self.punctuality = ""
        self.seq = 0  # the code's daily sequence, set when the codes are given out

    # --- the transitions, as transitions.py does them ---------------------------------------------------

    def _at(self, at: dt.datetime) -> dt.datetime:
        if at > self.ctx.now:
            raise _Future
        return at

    def _record(
        self,
        at: dt.datetime,
        action: str,
        actor: Official | None,
        from_status: str,
        *,
        form: str = "",
        note: str = "",
        data: dict[str, Any] | None = None,
        label: str | None = None,
    ) -> None:
        self.revision += 1
        self.events.append(
            (
                self.revision,
                action,
                from_status,
                self.status,
                NATIONAL_STATUS[self.status],
                label if label is not None else (actor.label if actor else "system"),
                at,
                form,
                note,
                data or {},
                actor.id if actor else None,
            )
        )

    def _start_step(self, index: int, at: dt.datetime, assignee: Official | None) -> None:
        step = self.steps[index]
        step.started_at, step.assignee = at, assignee
        step.finished_at, step.finished_by, step.punctuality = None, None, ""
        if self.detailed or index >= self.binding.leader_index:
            step.due_at = tr._step_due(at, step.plan.budget_value, step.plan.budget_unit, self.ctx.cal)
        self.current, self.holder = index, assignee

    def _finish_step(self, index: int, at: dt.datetime, actor: Official) -> str:
        step = self.steps[index]
        step.finished_at, step.finished_by = at, actor
        step.punctuality = wt.classify(at, step.due_at) if step.due_at else ""
        return step.punctuality

    def submit(self, actor: Official | None) -> None:
        at = self._at(self.submitted_at)
        self.status = Status.SUBMITTED
        # A citizen's own online submission has the citizen's account as actor; generated applicants have
        # none (see the module's docstring), so the label names them instead.
        label = None if actor else f"{self.person.name} (công dân, trực tuyến)"
        self._record(at, "submit", actor, "", data={"channel": self.channel, "on_behalf": False}, label=label)

    def receive(self, at: dt.datetime, actor: Official) -> None:
        self._at(at)
        value, unit = self.binding.legal[self.channel]
        deadline = wt.reception_deadline(
            at, value, wt.as_time_unit(unit), self.ctx.cal, paper=self.paper, cutoff=self.ctx.cutoff
        )
        self.status = Status.RECEIVED
        self.received_at, self.received_by = at, actor
        self.legal_value, self.legal_unit = value, unit
        self.clock_start, self.due_at, self.due_rule = deadline.start, deadline.due, deadline.rule
        self.steps = [_Step(p) for p in self.binding.steps]
        self._start_step(0, deadline.start, actor)
        self._record(
            at, "receive", actor, Status.SUBMITTED, form="01", data={"deadline": deadline.as_record()}
        )

    def refuse(self, at: dt.datetime, actor: Official, reason: str) -> None:
        self._at(at)
        self.status = Status.REFUSED
        self.closed_at, self.outcome_note = at, reason
        self._record(at, "refuse", actor, Status.SUBMITTED, form="03", note=reason, data={"reason": reason})

    def hand_over(self, at: dt.datetime, to: Official) -> None:
        self._at(at)
        assert self.current is not None and self.holder is not None
        index = self.current
        step, following = self.steps[index], self.steps[index + 1]
        result = self._finish_step(index, at, self.holder)
        actor = self.holder
        self._start_step(index + 1, at, to)
        from_status = self.status
        self.status = Status.IN_PROCESS
        self._record(
            at,
            "hand_over",
            actor,
            from_status,
            data={
                "from_step": step.plan.order,
                "to_step": following.plan.order,
                "to": to.username,
                "to_name": to.full_name,
                "step_due": _utc(step.due_at).isoformat() if step.due_at else "",
                "punctuality": result,
                "next_due": following.due_at.isoformat() if following.due_at else "",
            },
        )

    def request_supplement(self, at: dt.datetime, actor: Official) -> None:
        self._at(at)
        assert self.clock_start is not None
        spent = wt.working_time_between(self.clock_start, at, self.ctx.cal)
        assert spent <= dt.timedelta(hours=int(tr.HOURS_PER_WORKING_DAY) * tr.SUPPLEMENT_WINDOW_DAYS)
        papers = self.binding.papers
        items = [
            {"paper": papers[self.rng.randrange(len(papers))], "reason": self.rng.choice(SUPPLEMENT_REASONS)}
            for _ in range(1 + int(self.rng.random() < 0.3))
        ]
        from_status = self.status
        self.resume_status, self.status = from_status, Status.SUPPLEMENT
        self.paused_at = at
        self.supplement_requests += 1
        self._record(
            at,
            "request_supplement",
            actor,
            from_status,
            form="02",
            data={"items": items, "contact": actor.full_name, "contact_phone": self.agency.phone},
        )

    def supplement_complete(self, at: dt.datetime, actor: Official) -> None:
        self._at(at)
        back = self.resume_status or Status.SUBMITTED
        data: dict[str, Any] = {}
        if back != Status.SUBMITTED:
            assert self.legal_value is not None
            deadline = wt.supplement_restart(
                at,
                self.legal_value,
                wt.as_time_unit(self.legal_unit),
                self.ctx.cal,
                paper=self.paper,  # the actor is an official
                cutoff=self.ctx.cutoff,
            )
            self.clock_start, self.due_at, self.due_rule = deadline.start, deadline.due, deadline.rule
            data["deadline"] = deadline.as_record()
            if self.current is not None:
                self._start_step(self.current, deadline.start, self.steps[self.current].assignee)
        self.status, self.resume_status, self.paused_at = back, "", None
        self._record(at, "supplement_complete", actor, Status.SUPPLEMENT, data=data)

    def pause(self, at: dt.datetime, actor: Official, amount: int) -> None:
        self._at(at)
        from_status = self.status
        self.resume_status, self.status = from_status, Status.PAUSED
        self.paused_at, self.fee_due_vnd = at, amount
        self._record(
            at,
            "pause_for_payment",
            actor,
            from_status,
            note=PAYMENT_REASON,
            data={"reason": PAYMENT_REASON, "amount_vnd": amount},
        )

    def resume(self, at: dt.datetime, actor: Official) -> None:
        self._at(at)
        assert self.paused_at and self.due_at and self.clock_start
        cal = self.ctx.cal
        previous = wt.Deadline(
            due=_utc(self.due_at), start=_utc(self.clock_start), rule=self.due_rule, inputs={}
        )
        deadline = wt.resume(previous, _utc(self.paused_at), at, cal)
        if self.current is not None:
            step = self.steps[self.current]
            if step.due_at is not None:
                step.due_at = wt.resume(
                    wt.Deadline(
                        due=_utc(step.due_at),
                        start=_utc(step.started_at or self.clock_start),
                        rule="step",
                        inputs={},
                    ),
                    _utc(self.paused_at),
                    at,
                    cal,
                ).due
        self.due_at, self.due_rule = deadline.due, deadline.rule
        self.status = self.resume_status or Status.IN_PROCESS
        self.resume_status, self.paused_at = "", None
        self._record(
            at, "resume_after_payment", actor, Status.PAUSED, data={"deadline": deadline.as_record()}
        )

    def stop(self, at: dt.datetime, actor: Official, reason: str) -> None:
        self._at(at)
        from_status = self.status
        self.status, self.closed_at, self.outcome_note, self.holder = Status.STOPPED, at, reason, None
        self._record(
            at,
            "stop",
            actor,
            from_status,
            form="05",
            note=reason,
            data={"reason": reason, "legal_basis": self.binding.legal_basis},
        )

    def withdraw(self, at: dt.datetime, actor: Official, reason: str) -> None:
        self._at(at)
        from_status = self.status
        self.status, self.closed_at, self.outcome_note, self.holder = Status.WITHDRAWN, at, reason, None
        self._record(at, "withdraw", actor, from_status, note=reason)

    def decide(self, at: dt.datetime, outcome: str, note: str) -> None:
        self._at(at)
        assert self.current is not None and self.holder is not None and self.due_at is not None
        actor = self.holder
        result = self._finish_step(self.current, at, actor)
        self.status, self.outcome, self.outcome_note = Status.PROCESSED, outcome, note
        self.finished_at = at
        self.punctuality = wt.classify(at, self.due_at)
        if self.current + 1 < len(self.steps):
            self._start_step(self.current + 1, at, self.received_by)
        else:
            self.current = None
        self.holder = self.received_by
        self._record(
            at,
            "approve" if outcome == Outcome.APPROVED else "reject",
            actor,
            Status.IN_PROCESS,
            note=note,
            data={
                "punctuality": self.punctuality,
                "step_punctuality": result,
                "due": _utc(self.due_at).isoformat(),
            },
        )

    def return_result(self, at: dt.datetime, actor: Official, method: str) -> None:
        self._at(at)
        result = self._finish_step(self.current, at, actor) if self.current is not None else ""
        self.status, self.returned_at, self.return_method = Status.RETURNED, at, method
        self.current, self.holder = None, None
        self._record(
            at, "return_result", actor, Status.PROCESSED, data={"method": method, "step_punctuality": result}
        )

    # --- the story ---------------------------------------------------------------------------------------

    def staff(self, role: str) -> Official:
        people = self.agency.staff[role]
        return people[self.rng.randrange(len(people))] if len(people) > 1 else people[0]

    def later(self, t: dt.datetime, seconds: float) -> dt.datetime:
        return wt.add_working_time(t, dt.timedelta(seconds=round(max(seconds, 0.0))), self.ctx.cal)

    def run(self, received_at: dt.datetime) -> None:
        with contextlib.suppress(_Future):
            self._run(received_at)

    def _run(self, received_at: dt.datetime) -> None:
        rng = self.rng
        counter = self.staff(Role.COUNTER_OFFICER)
        self.submit(None if self.channel == Channel.ONLINE else counter)
        fate = rng.random()
        if fate < P_REFUSED:
            at = self.later(self.submitted_at, rng.uniform(180, 1500)) if self.paper else received_at
            self.refuse(at, counter, rng.choice(REFUSAL_REASONS))
            return
        self.receive(received_at, counter)
        klass = rng.random()
        supplement = rng.random() < P_SUPPLEMENT
        pause = self.binding.fee_vnd > 0 and rng.random() < P_PAUSE
        if fate < P_REFUSED + P_WITHDRAWN:
            ending = "withdraw"
        elif fate < P_REFUSED + P_WITHDRAWN + P_STOPPED:
            ending = "stop"
        elif fate < P_REFUSED + P_WITHDRAWN + P_STOPPED + P_REJECTED:
            ending = "reject"
        else:
            ending = "approve"
        if supplement and not self._supplement():
            return
        self._process(klass, pause, ending)

    def _finish_offset(self, base: dt.datetime, klass: float) -> float:
        """Office seconds from `base` to the decision, aimed at early, on time or late by date (§6)."""
        assert self.due_at is not None
        cal, rng = self.ctx.cal, self.rng
        due = self.due_at.astimezone(cal.tz)
        sessions = cal.sessions_on(due.date())
        day_open = dt.datetime.combine(due.date(), sessions[0][0], tzinfo=cal.tz) if sessions else due
        day_close = dt.datetime.combine(due.date(), sessions[-1][1], tzinfo=cal.tz) if sessions else due
        total = _seconds(wt.working_time_between(base, due, cal))
        to_open = max(0.0, _seconds(wt.working_time_between(base, day_open, cal)))
        to_close = max(total, _seconds(wt.working_time_between(base, day_close, cal)))
        if klass < P_EARLY and to_open > 1800:
            return rng.triangular(600, to_open - 60, 0.7 * to_open)
        if klass < P_EARLY + P_ON_TIME:  # on time, or early where the due date leaves no earlier day
            low = max(to_open, min(600.0, total / 2))
            if rng.random() < 0.85 or to_close - total < 120:
                return rng.uniform(low, max(low, total - 60))
            return rng.uniform(total, to_close - 60)
        return to_close + 300 + rng.expovariate(1 / (1.2 * WORKING_DAY))

    def _plan(self, base: dt.datetime, klass: float) -> list[float]:
        """Office-second offsets from `base` of the hand-overs left and of the decision (the last)."""
        assert self.current is not None
        steps = self.binding.steps[self.current : self.binding.leader_index + 1]
        finish = self._finish_offset(base, klass)
        shares = [float(s.budget_value) * self.rng.uniform(0.5, 1.5) for s in steps]
        total = sum(shares) or 1.0
        return [finish * c / total for c in itertools.accumulate(shares)]

    def _supplement(self) -> bool:
        """A supplement asked within 3 working days of the clock start (DL9); False when the dossier's story
        ends there (never supplied, or withdrawn)."""
        assert self.clock_start is not None
        rng = self.rng
        base = self.clock_start
        offsets = self._plan(base, rng.random())
        window = min(tr.SUPPLEMENT_WINDOW_DAYS * WORKING_DAY, offsets[min(1, len(offsets) - 1)])
        at_offset = rng.uniform(0.1, 0.9) * window
        for off in offsets[:-1]:
            if off >= at_offset:
                break
            assert self.current is not None
            self.hand_over(self.later(base, off), self.staff(self.steps[self.current + 1].plan.role))
        holder = self.holder
        role = self.steps[self.current or 0].plan.role
        actor = holder if holder and role in (Role.COUNTER_OFFICER, Role.SPECIALIST) else None
        asked = self.later(base, at_offset)
        self.request_supplement(asked, actor or self.staff(Role.COUNTER_OFFICER))
        r = rng.random()
        if r < 0.12:
            return False
        if r < 0.20:
            self.withdraw(
                self.later(asked, rng.uniform(5, 30) * WORKING_DAY),
                self.staff(Role.COUNTER_OFFICER),
                rng.choice(WITHDRAWAL_REASONS),
            )
            return False
        gap = 2 * HOUR + rng.expovariate(1 / (2 * WORKING_DAY))
        self.supplement_complete(self.later(asked, gap), self.staff(Role.COUNTER_OFFICER))
        return True

    def _process(self, klass: float, pause: bool, ending: str) -> None:
        assert self.clock_start is not None and self.current is not None
        rng = self.rng
        base = self.clock_start
        offsets = self._plan(base, klass)
        # Moments of the story, as office-second offsets from base: hand-overs, maybe a pause and its
        # resumption, maybe a withdrawal or a stop, then the decision.
        first_in_process = offsets[0] if self.status == Status.RECEIVED else 0.0
        actions: list[tuple[float, str]] = [(off, "hand_over") for off in offsets[:-1]]
        decision = offsets[-1]
        if pause and decision > first_in_process:
            paused = rng.uniform(first_in_process, decision)
            length = 1800 + rng.expovariate(1 / WORKING_DAY)
            actions = [(o + length if o > paused else o, k) for o, k in actions]
            decision += length
            actions += [(paused, "pause"), (paused + length, "resume")]
        if ending in ("withdraw", "stop"):
            cut = rng.uniform(0.05, 0.95) * decision
            # Whatever was due after the cut never happens (a pause may be left unresolved: both
            # transitions allow a paused dossier).
            actions = [(o, k) for o, k in actions if o < cut]
            actions.append((cut, ending))
        else:
            actions.append((decision, ending))
        actions.sort(key=lambda a: a[0])
        for off, kind in actions:
            at = self.later(base, off)
            current = self.current
            assert current is not None
            if kind == "hand_over":
                self.hand_over(at, self.staff(self.steps[current + 1].plan.role))
            elif kind == "pause":
                holder = self.holder
                allowed = holder and self.steps[current].plan.role in (
                    Role.COUNTER_OFFICER,
                    Role.SPECIALIST,
                    Role.DEPARTMENT_HEAD,
                )
                amount = self.binding.fee_vnd * (1 + int(rng.random() < 0.3))
                self.pause(at, holder if allowed and holder else self.staff(Role.COUNTER_OFFICER), amount)
            elif kind == "resume":
                self.resume(at, self.staff(Role.COUNTER_OFFICER))
            elif kind == "withdraw":
                self.withdraw(at, self.staff(Role.COUNTER_OFFICER), rng.choice(WITHDRAWAL_REASONS))
                return
            elif kind == "stop":
                self.stop(at, self.staff(Role.AGENCY_LEADER), rng.choice(STOP_REASONS))
                return
            elif kind == "approve":
                self.decide(at, Outcome.APPROVED, "")
            else:
                self.decide(at, Outcome.REJECTED, rng.choice(REJECTION_REASONS))
        if rng.random() < P_NEVER_COLLECTED:
            return
        method = self._return_method()
        assert self.finished_at is not None
        if method == ReturnMethod.ONLINE:
            lag = rng.uniform(60, 1800)
        elif method == ReturnMethod.POST:
            lag = rng.uniform(2 * HOUR, 2 * WORKING_DAY)
        else:
            r = rng.random()
            lag = (
                rng.uniform(300, 4 * HOUR)
                if r < 0.6
                else rng.uniform(4 * HOUR, 2 * WORKING_DAY)
                if r < 0.9
                else rng.uniform(2, 10) * WORKING_DAY
            )
        returner = (
            self.received_by if self.received_by and rng.random() < 0.8 else self.staff(Role.COUNTER_OFFICER)
        )
        self.return_result(self.later(self.finished_at, lag), returner, method)

    def _return_method(self) -> str:
        r = self.rng.random()
        if self.channel == Channel.COUNTER:
            return ReturnMethod.COUNTER if r < 0.95 else ReturnMethod.POST
        if self.channel == Channel.POSTAL:
            return ReturnMethod.POST if r < 0.8 else ReturnMethod.COUNTER
        return ReturnMethod.ONLINE if r < 0.55 else ReturnMethod.COUNTER if r < 0.9 else ReturnMethod.POST

    # --- rows --------------------------------------------------------------------------------------------

    def dossier_row(
        self, dossier_id: int, code: str, current_step_id: int | None, form_data: Any
    ) -> tuple[Any, ...]:
        """The dossier's row, in DOSSIER_COLUMNS' order."""
        person = self.person
        return (
            dossier_id,
            code,
            self.channel,
            self.status,
            self.revision,
            "citizen",  # applicant_kind
            person.name,
            fold_name(person.name),  # applicant_name_folded
            person.id_number,
            person.phone,
            person.email,
            person.address,
            "",  # authorised_name
            "",  # authorised_id_number
            "",  # on_behalf_consent
            self.binding.summary,
            form_data,
            1,  # sets
            self.fee_due_vnd,
            self.submitted_at,
            self.received_at,
            self.legal_value,
            self.legal_unit,
            self.clock_start,
            self.due_at,
            self.due_rule,
            self.paused_at,
            self.resume_status,
            self.supplement_requests,
            0,  # extensions
            self.finished_at,
            self.returned_at,
            self.closed_at,
            self.outcome,
            self.outcome_note,
            self.return_method,
            self.punctuality,
            self.ctx.now,  # created_at: the row's own creation (auto_now_add, as bulk_create would set it)
            self.agency.id,
            None,  # applicant_user_id: generated applicants have no account
            self.binding.id,
            self.holder.id if self.holder else None,
            None,  # on_behalf_by_id
            self.binding.procedure_id,
            self.binding.version_id,
            self.binding.process_id,
            self.received_by.id if self.received_by else None,
            current_step_id,
        )


# --- Days and batches -----------------------------------------------------------------------------------


def _day_weight(day: dt.date) -> float:
    return WEEKDAY_WEIGHTS[day.weekday()] * MONTH_WEIGHTS[day.month - 1]


def _office_seconds(day: dt.date, cal: wt.WorkCalendar, until: dt.datetime | None) -> float:
    total = 0.0
    for a, b in cal.sessions_on(day):
        start = dt.datetime.combine(day, a, tzinfo=cal.tz)
        end = dt.datetime.combine(day, b, tzinfo=cal.tz)
        if until is not None:
            end = min(end, until)
        total += max(0.0, (end - start).total_seconds())
    return total


def day_counts(
    count: int, *, start: dt.date, end: dt.date, now: dt.datetime, cal: wt.WorkCalendar, rng: random.Random
) -> list[tuple[dt.date, int]]:
    """`count` dossiers spread over the working days of [start, end], by weekday, month and a little noise;
    today only for the office time already gone."""
    today = timezone.localtime(now, cal.tz).date()
    days: list[dt.date] = []
    weights: list[float] = []
    day = start
    while day <= end:
        if cal.is_working_day(day):
            share = 1.0
            if day == today:
                full = _office_seconds(day, cal, None)
                share = _office_seconds(day, cal, now) / full if full else 0.0
            if share > 0:
                days.append(day)
                weights.append(_day_weight(day) * share * rng.lognormvariate(0, 0.15))
        day += dt.timedelta(days=1)
    if not days:
        raise VolumeError(f"No working day between {start} and {end} (up to now).")
    total = sum(weights)
    exact = [count * w / total for w in weights]
    counts = [int(x) for x in exact]
    short = count - sum(counts)
    for i in sorted(range(len(days)), key=lambda i: counts[i] - exact[i])[:short]:
        counts[i] += 1
    return [(d, n) for d, n in zip(days, counts, strict=True) if n]


def _instant(
    rng: random.Random, day: dt.date, cal: wt.WorkCalendar, *, online: bool, until: dt.datetime | None
) -> dt.datetime:
    """A moment of the day (not after `until`): at the counter within office hours, mornings busier;
    online from 06:00 to 22:30, mostly in office hours."""
    for _attempt in range(50):
        t = _any_instant(rng, day, cal, online=online)
        if until is None or t <= until:
            return t
    # Today, early: the opening of the office (the day only has dossiers once it has opened).
    return dt.datetime.combine(day, cal.sessions_on(day)[0][0], tzinfo=cal.tz)


def _any_instant(rng: random.Random, day: dt.date, cal: wt.WorkCalendar, *, online: bool) -> dt.datetime:
    sessions = cal.sessions_on(day)
    if online and rng.random() < 0.3:
        seconds = rng.uniform(6 * HOUR, 22.5 * HOUR)
        return dt.datetime.combine(day, dt.time(), tzinfo=cal.tz) + dt.timedelta(seconds=int(seconds))
    weights = [
        (dt.datetime.combine(day, b) - dt.datetime.combine(day, a)).total_seconds() * (1.5 if i == 0 else 1.0)
        for i, (a, b) in enumerate(sessions)
    ]
    a, b = sessions[_pick_index(rng, weights)]
    start = dt.datetime.combine(day, a, tzinfo=cal.tz)
    length = (dt.datetime.combine(day, b) - dt.datetime.combine(day, a)).total_seconds()
    return start + dt.timedelta(seconds=int(rng.triangular(0, length - 1, 0.3 * length)))


def _pick_index(rng: random.Random, weights: Sequence[float]) -> int:
    x = rng.random() * sum(weights)
    for i, w in enumerate(weights):
        x -= w
        if x < 0:
            return i
    return len(weights) - 1


def _channel(rng: random.Random, binding: BindingPlan, trend: float) -> str:
    # Online grows over the two years (×0.7 at the start, ×1.3 at the end): the average mix is the target.
    c, o, p, n = binding.mix
    factor = 0.7 + 0.6 * trend
    return CHANNELS[_pick_index(rng, (c, o * factor, p, n * factor))]


def _generate_day(
    ctx: _Context, day: dt.date, count: int, rng: random.Random, *, compact: bool = False
) -> list[_Life]:
    cal = ctx.cal
    span = max(1, (ctx.end - ctx.start).days)
    trend = (day - ctx.start).days / span
    until = ctx.now if day == timezone.localtime(ctx.now, cal.tz).date() else None
    lives: list[_Life] = []
    for _ in range(count):
        agency = _pick(rng, ctx.agencies, ctx.agency_cum)
        binding = _pick(rng, agency.bindings, agency.binding_cum)
        channel = _channel(rng, binding, trend)
        online = channel in ONLINE_CHANNELS
        submitted = _instant(rng, day, cal, online=online, until=until)
        received = submitted
        if online:
            # The counter officer opens it within minutes to hours, in office time (possibly the next day).
            received = wt.add_working_time(
                submitted, dt.timedelta(seconds=int(300 + rng.expovariate(1 / 5400))), cal
            )
        person = _person(rng, agency, procedure=binding.procedure_code, on=day, online=online)
        state = rng.getstate()
        life = _Life(ctx, rng, agency, binding, channel, person, submitted, detailed=not compact)
        life.run(received)
        if not life.detailed and life.status != Status.RETURNED:
            # Its steps and hand-overs will be written after all: the same story again, in detail.
            rng.setstate(state)
            life = _Life(ctx, rng, agency, binding, channel, person, submitted)
            life.run(received)
        lives.append(life)
    return lives


@dataclass(frozen=True)
class _Batch:
    """Whole days (a unit's day is never split: its codes are numbered in one transaction), with where
    its ids start in the run's reserved blocks."""

    number: int
    days: tuple[tuple[dt.date, int], ...]
    dossier_id: int
    step_id: int
    event_id: int

    @property
    def size(self) -> int:
        return sum(n for _, n in self.days)


def _batches(
    days: list[tuple[dt.date, int]], size: int, *, ids: tuple[int, int, int], per_dossier: tuple[int, int]
) -> list[_Batch]:
    groups: list[list[tuple[dt.date, int]]] = [[]]
    n = 0
    for day, count in days:
        groups[-1].append((day, count))
        n += count
        if n >= size:
            groups.append([])
            n = 0
    batches = []
    before = 0
    for number, group in enumerate((g for g in groups if g), 1):
        batches.append(
            _Batch(
                number=number,
                days=tuple(group),
                dossier_id=ids[0] + before,
                step_id=ids[1] + before * per_dossier[0],
                event_id=ids[2] + before * per_dossier[1],
            )
        )
        before += sum(c for _, c in group)
    return batches


# --- Writing ------------------------------------------------------------------------------------------


def _columns(model: type[models.Model]) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


DOSSIER_COLUMNS = [
    "id",
    "code",
    "channel",
    "status",
    "revision",
    "applicant_kind",
    "applicant_name",
    "applicant_name_folded",
    "applicant_id_number",
    "applicant_phone",
    "applicant_email",
    "applicant_address",
    "authorised_name",
    "authorised_id_number",
    "on_behalf_consent",
    "summary",
    "form_data",
    "sets",
    "fee_due_vnd",
    "submitted_at",
    "received_at",
    "legal_value",
    "legal_unit",
    "clock_start",
    "due_at",
    "due_rule",
    "paused_at",
    "resume_status",
    "supplement_requests",
    "extensions",
    "finished_at",
    "returned_at",
    "closed_at",
    "outcome",
    "outcome_note",
    "return_method",
    "punctuality",
    "created_at",
    "agency_id",
    "applicant_user_id",
    "binding_id",
    "holder_id",
    "on_behalf_by_id",
    "procedure_id",
    "procedure_version_id",
    "process_id",
    "received_by_id",
    "current_step_id",
]
STEP_COLUMNS = [
    "id",
    "order",
    "name",
    "role",
    "budget_value",
    "budget_unit",
    "started_at",
    "due_at",
    "finished_at",
    "punctuality",
    "note",
    "agency_id",
    "assignee_id",
    "dossier_id",
    "finished_by_id",
]
EVENT_COLUMNS = [
    "id",
    "seq",
    "action",
    "from_status",
    "to_status",
    "national_status",
    "actor_label",
    "at",
    "form",
    "note",
    "data",
    "actor_id",
    "dossier_id",
]


def _check_columns() -> None:
    # Rows are written by position: a column added to these models must be added here (and to the rows).
    for model, columns in (
        (Dossier, DOSSIER_COLUMNS),
        (DossierStep, STEP_COLUMNS),
        (DossierEvent, EVENT_COLUMNS),
    ):
        if sorted(columns) != sorted(_columns(model)):
            raise VolumeError(
                f"{model.__name__} has columns {sorted(_columns(model))}; volume.py writes {columns}"
            )


def _allocate_codes(lives: list[_Life]) -> None:
    """Number each unit's dossiers of each day after the counter's `last`, in submission order, and move
    the counter on, in the batch's transaction: the counter rows stay locked until it commits, as
    `transitions.submit` keeps them (OS-ID2)."""
    groups: dict[tuple[int, dt.date], list[_Life]] = {}
    for life in lives:
        groups.setdefault((life.agency.id, timezone.localtime(life.submitted_at).date()), []).append(life)
    keys = list(groups)
    table = connection.ops.quote_name(DossierCodeCounter._meta.db_table)
    lasts: dict[tuple[int, dt.date], int] = {}
    with connection.cursor() as cursor:
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            params: list[Any] = []
            for agency_id, day in chunk:
                params += [agency_id, day, len(groups[(agency_id, day)])]
            rows = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                # The table name is the model's; every value is a parameter.
                f"INSERT INTO {table} (agency_id, day, last) VALUES {rows} "  # noqa: S608
                f"ON CONFLICT (agency_id, day) DO UPDATE SET last = {table}.last + excluded.last "
                "RETURNING agency_id, day, last",
                params,
            )
            for agency_id, day, last in cursor.fetchall():
                lasts[(agency_id, dt.date.fromisoformat(day) if isinstance(day, str) else day)] = last
    for key, group in groups.items():
        last = lasts[key]
        if last > MAX_DAILY_SEQUENCE:
            raise VolumeError(
                f"{group[0].agency.code} would number {last} dossiers on {key[1]}: the code has four digits "
                "(TT 01/2018 Art. 19). Generate fewer, or over more days."
            )
        group.sort(key=lambda life: life.submitted_at)
        first = last - len(group) + 1
        for i, life in enumerate(group):
            life.seq = first + i


def _reserve_ids(model: type[models.Model], n: int) -> int:
    """The first of `n` consecutive ids for `model`'s rows, taken from its own sequence so that rows the
    application adds meanwhile or later never collide with them."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The locks keep out, for these statements, inserts (which draw from the sequence: the table
            # lock) and keys drawn ahead of their rows (counter reception: the advisory lock, taken first
            # as they take it); a sequence moves outside transactions, so the block stays reserved once
            # the locks are gone.
            with transaction.atomic():
                cursor.execute(f"SELECT {key_block_lock_sql(model, shared=False)}")
                cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
                sequence = cursor.fetchone()[0]
                cursor.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [sequence, sequence, n])
                return int(cursor.fetchone()[0]) - n + 1
        # SQLite (tests, small N): the next free id; a row added by someone else meanwhile would make the
        # batch fail on the primary key, not corrupt anything.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 (the model's table)
        return int(cursor.fetchone()[0]) + 1


Rows = list[tuple[Any, ...]]


def _rows(lives: list[_Life], batch: _Batch, *, as_json: bool, compact: bool) -> tuple[Rows, Rows, Rows]:
    def dump(value: Any) -> Any:
        if not as_json:
            return value
        return json.dumps(value, ensure_ascii=False) if value else "{}"

    dossiers: Rows = []
    steps: Rows = []
    events: Rows = []
    prefixes: dict[tuple[str, dt.date], str] = {}
    step_id, event_id = batch.step_id, batch.event_id
    for i, life in enumerate(lives):
        dossier_id = batch.dossier_id + i
        key = (life.agency.code, timezone.localtime(life.submitted_at).date())
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = prefixes[key] = f"{key[0]}-{key[1]:%y%m%d}-"
        current = step_id + life.current if life.current is not None else None
        dossiers.append(life.dossier_row(dossier_id, f"{prefix}{life.seq:04d}", current, dump({})))
        brief = compact and life.status == Status.RETURNED
        for step in () if brief else life.steps:
            p = step.plan
            steps.append(
                (
                    step_id,
                    p.order,
                    p.name,
                    p.role,
                    p.budget_value,
                    p.budget_unit,
                    step.started_at,
                    step.due_at,
                    step.finished_at,
                    step.punctuality,
                    "",
                    life.agency.id,
                    step.assignee.id if step.assignee else None,
                    dossier_id,
                    step.finished_by.id if step.finished_by else None,
                )
            )
            step_id += 1
        for seq, action, before, after, national, label, at, form, note, data, actor_id in life.events:
            if brief and action == "hand_over":
                continue
            events.append(
                (
                    event_id,
                    seq,
                    action,
                    before,
                    after,
                    national,
                    label,
                    at,
                    form,
                    note,
                    dump(data),
                    actor_id,
                    dossier_id,
                )
            )
            event_id += 1
    return dossiers, steps, events


def _copy(table: str, columns: list[str], rows: Rows) -> None:
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _bulk(model: type[models.Model], columns: list[str], rows: Rows) -> None:
    attnames = {f.column: f.attname for f in model._meta.concrete_fields}
    names = [attnames[c] for c in columns]
    model._default_manager.bulk_create(
        [model(**dict(zip(names, row, strict=True))) for row in rows], batch_size=500
    )


def _write(lives: list[_Life], batch: _Batch, *, seed: int, compact: bool) -> tuple[int, int, int]:
    """One transaction: the day counters, the rows, one audit entry."""
    postgres = connection.vendor == "postgresql"
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        _allocate_codes(lives)
        dossiers, steps, events = _rows(lives, batch, as_json=postgres, compact=compact)
        if postgres:
            _copy(Dossier._meta.db_table, DOSSIER_COLUMNS, dossiers)
            _copy(DossierStep._meta.db_table, STEP_COLUMNS, steps)
            _copy(DossierEvent._meta.db_table, EVENT_COLUMNS, events)
            if outermost:
                # Run the deferred foreign-key checks now rather than at commit, so that the audit chain's
                # head (locked from audit_record to commit) is held for the commit alone. (Not inside a
                # caller's transaction: the setting would last until its end.)
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        else:
            # current_step points at steps inserted after the dossiers: set it once they exist.
            at = DOSSIER_COLUMNS.index("current_step_id")
            current = {row[0]: row[at] for row in dossiers if row[at] is not None}
            _bulk(Dossier, DOSSIER_COLUMNS, [(*row[:at], None, *row[at + 1 :]) for row in dossiers])
            _bulk(DossierStep, STEP_COLUMNS, steps)
            _bulk(DossierEvent, EVENT_COLUMNS, events)
            for dossier_id, step_id in current.items():
                Dossier.objects.filter(pk=dossier_id).update(current_step_id=step_id)
        audit_record(
            event="dossier.generated",
            target_type="dossiers.dossier",
            target_id=f"{batch.dossier_id}-{batch.dossier_id + len(lives) - 1}",
            new={
                "dossiers": len(dossiers),
                "steps": len(steps),
                "events": len(events),
                "days": f"{batch.days[0][0].isoformat()}..{batch.days[-1][0].isoformat()}",
                "seed": seed,
                "history": "compact" if compact else "full",
            },
        )
    return len(dossiers), len(steps), len(events)


# --- Running the batches --------------------------------------------------------------------------------


@dataclass
class BatchResult:
    number: int
    first_day: dt.date
    last_day: dt.date
    dossiers: int = 0
    steps: int = 0
    events: int = 0
    status: Counter[str] = field(default_factory=Counter)
    channel: Counter[str] = field(default_factory=Counter)
    punctuality: Counter[str] = field(default_factory=Counter)
    outcome: Counter[str] = field(default_factory=Counter)
    overdue_open: int = 0


@dataclass
class _Run:
    ctx: _Context
    batches: list[_Batch]
    salt: str
    seed: int
    compact: bool
    per_dossier: tuple[int, int]  # the most steps and events one dossier can have


# The run a forked worker process inherits (fork copies it: nothing to pickle but a batch number).
_RUN: _Run | None = None


def _run_batch(number: int) -> BatchResult:
    run = _RUN
    assert run is not None
    batch = run.batches[number - 1]
    lives: list[_Life] = []
    for day, n in batch.days:
        rng = random.Random(f"{run.salt}:{day.isoformat()}")
        lives += _generate_day(run.ctx, day, n, rng, compact=run.compact)
    for life in lives:
        assert len(life.steps) <= run.per_dossier[0] and len(life.events) <= run.per_dossier[1]
    result = BatchResult(number=number, first_day=batch.days[0][0], last_day=batch.days[-1][0])
    result.dossiers, result.steps, result.events = _write(lives, batch, seed=run.seed, compact=run.compact)
    for life in lives:
        result.status[life.status] += 1
        result.channel[life.channel] += 1
        if life.punctuality:
            result.punctuality[life.punctuality] += 1
        if life.outcome:
            result.outcome[life.outcome] += 1
        # In process and past its due time (a paused or supplement-waiting clock is stopped).
        if life.status in (Status.RECEIVED, Status.IN_PROCESS) and life.due_at and life.due_at < run.ctx.now:
            result.overdue_open += 1
    return result


def _worker_init() -> None:
    # A forked worker must never use the parent's database connections (closed before the fork anyway).
    for conn in connections.all(initialized_only=True):
        conn.connection = None


# --- The service ----------------------------------------------------------------------------------------


@dataclass
class VolumeSummary:
    dossiers: int = 0
    steps: int = 0
    events: int = 0
    seconds: float = 0.0
    workers: int = 1
    start: dt.date | None = None
    end: dt.date | None = None
    status: Counter[str] = field(default_factory=Counter)
    channel: Counter[str] = field(default_factory=Counter)
    punctuality: Counter[str] = field(default_factory=Counter)
    outcome: Counter[str] = field(default_factory=Counter)
    overdue_open: int = 0

    @property
    def per_second(self) -> float:
        return self.dossiers / self.seconds if self.seconds else 0.0

    def add(self, r: BatchResult) -> None:
        self.dossiers += r.dossiers
        self.steps += r.steps
        self.events += r.events
        self.status.update(r.status)
        self.channel.update(r.channel)
        self.punctuality.update(r.punctuality)
        self.outcome.update(r.outcome)
        self.overdue_open += r.overdue_open


@dataclass(frozen=True)
class Progress:
    done: int  # batches done
    batches: int
    last: BatchResult
    dossiers: int
    total: int
    seconds: float


def dossiers_generate(
    *,
    count: int,
    seed: int = 0,
    start: dt.date | None = None,
    end: dt.date | None = None,
    batch: int = DEFAULT_BATCH,
    history: str = "compact",
    workers: int | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[Progress], None] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> VolumeSummary:
    """Generate `count` dossiers received over [start, end] (default: the two years ending today) at the
    province's bound procedures, as the lifecycle would have left them at `now` (default: now).

    On PostgreSQL, outside a transaction, `workers` processes (default: one per CPU) each generate and
    write whole batches, in their own connection and transaction; otherwise the batches run here, one
    after the other. Each batch commits on its own: an interrupted run leaves whole days behind.
    """
    global _RUN
    began = time.perf_counter()
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    end = end or today
    start = start or end.replace(year=end.year - 2) + dt.timedelta(days=1)
    if count < 1:
        raise VolumeError("Generate at least one dossier.")
    if end > today:
        raise VolumeError(
            f"The range ends on {end}, after today ({today}): no dossier is received in the future."
        )
    if start > end:
        raise VolumeError(f"The range starts ({start}) after it ends ({end}).")
    if batch < 1:
        raise VolumeError("A batch holds at least one dossier.")
    if history not in HISTORIES:
        raise VolumeError(f"History is one of {', '.join(HISTORIES)}, not {history!r}.")
    _check_columns()
    before = Dossier.objects.count()
    ctx = _context(start=start, end=end, now=now, log=log)
    salt = f"{seed}:{before}"
    days = day_counts(count, start=start, end=end, now=now, cal=ctx.cal, rng=random.Random(f"{salt}:days"))
    longest = max(len(b.steps) for a in ctx.agencies for b in a.bindings)
    # submit, receive, a supplement asked and completed, a pause and its end, a hand-over per step, the
    # decision (or a withdrawal or stop), the return.
    per_dossier = (longest, 8 + longest)
    total = sum(n for _, n in days)
    ids = (
        _reserve_ids(Dossier, total),
        _reserve_ids(DossierStep, total * per_dossier[0]),
        _reserve_ids(DossierEvent, total * per_dossier[1]),
    )
    batches = _batches(days, batch, ids=ids, per_dossier=per_dossier)
    _RUN = _Run(
        ctx=ctx, batches=batches, salt=salt, seed=seed, compact=history == "compact", per_dossier=per_dossier
    )
    parallel = connection.vendor == "postgresql" and not connection.in_atomic_block
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(batches))) if parallel else 1
    summary = VolumeSummary(start=start, end=end, workers=n_workers)

    def done(result: BatchResult, number: int) -> None:
        summary.add(result)
        if progress:
            progress(
                Progress(
                    done=number,
                    batches=len(batches),
                    last=result,
                    dossiers=summary.dossiers,
                    total=total,
                    seconds=time.perf_counter() - began,
                )
            )

    try:
        if n_workers == 1:
            for b in batches:
                done(_run_batch(b.number), b.number)
        else:
            connections.close_all()  # the workers open their own
            with multiprocessing.get_context("fork").Pool(n_workers, initializer=_worker_init) as pool:
                numbers = [b.number for b in batches]
                for i, result in enumerate(pool.imap_unordered(_run_batch, numbers), 1):
                    done(result, i)
    finally:
        _RUN = None
    summary.seconds = time.perf_counter() - began
    return summary
