"""Demo dossiers for `make run`: a dozen dossiers at the demo ward, at every stage, made through the real
transitions (so codes, deadlines, events and forms are what the system would make), dated over the last
working days so that the worklists have something due today, due soon and overdue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tinhso.accounts.models import Agency, User
from tinhso.core.calendar import work_calendar
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier
from tinhso.payments.models import CollectionAccount
from tinhso.procedures.models import ProcedureBinding, RequiredPaper

DEMO_WARD = "000.00.30"


@dataclass(frozen=True)
class _People:
    counter: User
    head: User
    specialist: User
    leader: User
    citizen: User


APPLICANTS = [
    ("Nguyễn Thị Hằng", "008190012345", "0912345678"),
    ("Trần Văn Minh", "008088001234", "0987123456"),
    ("Lò Thị Mai", "008195004321", "0974555111"),
    ("Hoàng Văn Páo", "008079002468", "0913222333"),
    ("Vàng Thị Dín", "008301001357", "0966777888"),
    ("Phạm Quốc Huy", "008092009876", "0905111222"),
    ("Đặng Thị Thu", "008185006543", "0938444555"),
    ("Ma Văn Sình", "008070003210", "0918999000"),
]


def _working_days_back(n: int) -> list[dt.date]:
    cal = work_calendar()
    day = timezone.localdate()
    out: list[dt.date] = []
    while len(out) < n:
        day -= dt.timedelta(days=1)
        if cal.is_working_day(day):
            out.append(day)
    return out


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@transaction.atomic
def demo_dossiers_ensure() -> list[Dossier]:
    """Create the demo dossiers unless the demo ward already has dossiers; returns those created."""
    if not settings.DEBUG:
        raise RuntimeError("Demo dossiers are for development only (DEBUG is off).")
    ward_code = f"{DEMO_WARD}.{settings.TINHSO_AGENCY_LEVEL1_CODE}"
    if Dossier.objects.filter(agency__code=ward_code).exists():
        return []
    bindings = {
        b.procedure.code: b
        for b in ProcedureBinding.objects.select_related("procedure").filter(
            agency__code=ward_code, current_process__isnull=False
        )
    }
    _demo_collection_account()
    people = _People(
        counter=User.objects.get(username="motcua"),
        head=User.objects.get(username="truongphong"),
        specialist=User.objects.get(username="chuyenvien"),
        leader=User.objects.get(username="lanhdao"),
        citizen=User.objects.get(username="congdan"),
    )
    d3, d2, d1 = reversed(_working_days_back(3))  # three working days ago, two, yesterday
    residence, birth, copies = bindings["1.004222"], bindings["1.001193"], bindings["2.000815"]
    temporary = bindings["1.004194"]
    made: list[Dossier] = []
    names = iter(APPLICANTS)

    def received(binding: ProcedureBinding, at: dt.datetime) -> Dossier:
        name, id_number, phone = next(names)
        d = tr.receive_at_counter(
            binding=binding,
            applicant=tr.Applicant(name=name, id_number=id_number, phone=phone),
            actor=people.counter,
            papers=[tr.PaperSpec(required_paper_id=p.pk) for p in _first_papers(binding)],
            at=at,
        )
        made.append(d)
        return d

    # Returned early: the whole path in one morning.
    d = received(copies, _at(d3, 8))
    d = tr.hand_over(d, actor=people.counter, to=people.head, at=_at(d3, 8, 30))
    d = tr.assign(d, actor=people.head, assignee=people.specialist, at=_at(d3, 9))
    d = tr.hand_over(d, actor=people.specialist, to=people.leader, at=_at(d3, 10))
    d = tr.approve(d, actor=people.leader, result_note="Đã chứng thực 03 bản sao", at=_at(d3, 10, 30))
    tr.return_result(d, actor=people.counter, method="counter", at=_at(d3, 14))
    # Approved, waiting to be returned.
    d = received(birth, _at(d2, 8))
    d = tr.hand_over(d, actor=people.counter, to=people.specialist, at=_at(d2, 8, 20))
    d = tr.hand_over(d, actor=people.specialist, to=people.leader, at=_at(d2, 9, 30))
    tr.approve(d, actor=people.leader, result_note="Cấp Giấy khai sinh", at=_at(d2, 10))
    # At the leader's, for approval.
    d = received(residence, _at(d3, 9))
    d = tr.hand_over(d, actor=people.counter, to=people.head, at=_at(d3, 10))
    d = tr.assign(d, actor=people.head, assignee=people.specialist, at=_at(d3, 10, 30))
    tr.hand_over(d, actor=people.specialist, to=people.leader, at=_at(d1, 15))
    # With the specialist.
    d = received(temporary, _at(d2, 14))
    d = tr.hand_over(d, actor=people.counter, to=people.head, at=_at(d2, 15))
    tr.assign(d, actor=people.head, assignee=people.specialist, at=_at(d1, 8))
    # With the department head, to assign: a one-day procedure received three days ago is overdue.
    d = received(birth, _at(d3, 10))
    tr.hand_over(d, actor=people.counter, to=people.head, at=_at(d3, 11))
    # Just received at the counter, yesterday.
    received(residence, _at(d1, 9))
    # Waiting for a supplement.
    d = received(residence, _at(d2, 10))
    tr.request_supplement(
        d,
        actor=people.counter,
        items=[
            tr.MissingItem("Giấy tờ chứng minh chỗ ở hợp pháp", "Bản chụp mờ, không đọc được số thửa đất")
        ],
        at=_at(d1, 9),
    )
    # Online, by the demo citizen: awaiting reception.
    made.append(
        tr.submit(
            binding=birth,
            channel="online",
            applicant=tr.Applicant(
                name=people.citizen.full_name,
                id_number=people.citizen.national_id or "",
                phone=people.citizen.phone or "",
                user=people.citizen,
            ),
            actor=people.citizen,
            at=_at(d1, 20),
        )
    )
    return made


def _demo_collection_account() -> None:
    """A collection account for the province's People's Committee, which its units collect into when they
    have none (`payments.services.collection_account_for`), so the demo's fees show their VietQR code. The
    account is made up: a demo must never send anyone's money to a real account."""
    root = Agency.objects.filter(parent__isnull=True).order_by("path").first()
    if root is None or CollectionAccount.objects.filter(agency=root).exists():
        return
    CollectionAccount.objects.create(
        agency=root,
        bank_bin="970405",  # a real bank's BIN (Agribank), so banking apps read the code
        bank_name="Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam (tài khoản thử nghiệm)",
        account_number="000000000000",
        account_name="TAI KHOAN THU NGHIEM TINH SO",
    )


def _first_papers(binding: ProcedureBinding) -> list[RequiredPaper]:
    return list(
        RequiredPaper.objects.filter(version_id=binding.procedure.current_version_id).order_by("order")[:2]
    )
