"""Test data for dossiers: real seed procedures bound to a real Tuyên Quang ward, officials of each role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.tests import factories as people
from tinhso.core.tests.threads import run_together  # noqa: F401 (used by the dossiers' tests)
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier
from tinhso.procedures import seed, services
from tinhso.procedures.models import Procedure, ProcedureBinding
from tinhso.procedures.tests.catalog_fixtures import BIRTH, PERMANENT_RESIDENCE, catalog_load

WARD = "000.00.30"  # Ủy ban nhân dân phường Hà Giang 2
OTHER_WARD = "000.00.31"  # Ủy ban nhân dân phường Hà Giang 1
TZ = dt.timezone(dt.timedelta(hours=7))


def at(text: str) -> dt.datetime:
    """A local Vietnamese instant: at("2026-03-02 09:00")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


@dataclass
class World:
    ward: Agency
    other_ward: Agency
    residence: ProcedureBinding  # Đăng ký thường trú: 7 working days
    birth: ProcedureBinding  # Đăng ký khai sinh: 1 working day (the seed's correction)
    counter: User
    head: User
    specialist: User
    leader: User
    other_counter: User  # a counter officer of another ward
    citizen: User

    def submit(
        self, *, when: str, channel: str = "counter", binding: ProcedureBinding | None = None
    ) -> Dossier:
        return tr.submit(
            binding=binding or self.residence,
            channel=channel,
            applicant=tr.Applicant(
                name="Nguyễn Thị Hằng", id_number="008190012345", phone="0912345678", email="hang@example.vn"
            ),
            actor=self.counter,
            on_behalf_consent="Bà Hằng đồng ý, ký giấy đề nghị nộp hộ" if channel == "online" else "",
            papers=[tr.PaperSpec(name="Tờ khai thay đổi thông tin cư trú (CT01)")],
            at=at(when),
        )

    def received(self, *, when: str, binding: ProcedureBinding | None = None) -> Dossier:
        d = self.submit(when=when, binding=binding)
        return tr.receive(d, actor=self.counter, at=at(when))


def bind(procedure: Procedure, agency: Agency) -> ProcedureBinding:
    binding, _ = services.binding_ensure(procedure=procedure, agency=agency, actor=None)
    legal = services.legal_time(procedure)
    assert legal is not None, procedure.code
    services.internal_process_create(binding=binding, steps=seed.demo_steps(*legal), actor=None)
    binding.refresh_from_db()
    return binding


def world() -> World:
    procedures = catalog_load([PERMANENT_RESIDENCE, BIRTH])
    seed._correct_time(procedures[BIRTH])
    birth = Procedure.objects.get(code=BIRTH)
    residence = procedures[PERMANENT_RESIDENCE]
    assert services.legal_time(residence) == (Decimal(7), "working_day")
    ward = people.agency(WARD)
    return World(
        ward=ward,
        other_ward=people.agency(OTHER_WARD),
        residence=bind(residence, ward),
        birth=bind(birth, ward),
        counter=people.official(roles=(Role.COUNTER_OFFICER,), full_name="Trần Thị Bình"),
        head=people.official(roles=(Role.DEPARTMENT_HEAD,), full_name="Phạm Thị Dung"),
        specialist=people.official(roles=(Role.SPECIALIST,), full_name="Lê Văn Cường"),
        leader=people.official(roles=(Role.AGENCY_LEADER,), full_name="Hoàng Văn Em"),
        other_counter=people.official(agency_prefix=OTHER_WARD, roles=(Role.COUNTER_OFFICER,)),
        citizen=people.citizen(full_name="Nguyễn Văn An"),
    )
