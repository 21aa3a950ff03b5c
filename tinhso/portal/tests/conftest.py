"""Fixtures of the portal's dossier pages: the dossiers tests' world (the shipped catalog's birth and
permanent-residence procedures bound to a real Tuyên Quang ward, officials of each role) and two citizens
with the details an account holds."""

from __future__ import annotations

import pytest

from tinhso.accounts.models import User
from tinhso.accounts.tests import factories as people
from tinhso.dossiers.tests.factories import World, world


@pytest.fixture
def w(reference_data: None) -> World:
    return world()


@pytest.fixture
def citizen_a(w: World) -> User:
    return people.citizen(
        full_name="Nguyễn Thị Hằng", phone="0912345678", national_id="008190012345", email="hang@example.vn"
    )


@pytest.fixture
def citizen_b(w: World) -> User:
    return people.citizen(full_name="Trần Văn Bình", phone="0987654321", national_id="008090054321")
