from __future__ import annotations

import pytest

from tinhso.accounts.models import Role, User
from tinhso.accounts.tests import factories as people


@pytest.fixture
def alice(reference_data: None) -> User:
    return people.citizen(full_name="Nguyễn Thị An")


@pytest.fixture
def bob(reference_data: None) -> User:
    return people.citizen(full_name="Trần Văn Bình")


@pytest.fixture
def official(reference_data: None) -> User:
    return people.official(roles=(Role.COUNTER_OFFICER,))


@pytest.fixture
def sysadmin(reference_data: None) -> User:
    return people.official(roles=(Role.SYSTEM_ADMIN,))
