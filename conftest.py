"""Project-wide pytest fixtures.

The reference data (34 provinces, 3,321 communes, the old→new table, Tuyên Quang's agencies and the role
groups) is loaded once into the test database; tests that flush the database (transaction=True) and
need it again ask for the `reference_data` fixture, which reloads it only when it is gone.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    from tinhso.accounts.services import reference_data_load

    with django_db_blocker.unblock():
        reference_data_load()


@pytest.fixture
def reference_data(db):  # type: ignore[no-untyped-def]
    from tinhso.accounts.models import Province
    from tinhso.accounts.services import reference_data_load

    if not Province.objects.exists():
        reference_data_load()


try:
    from django.contrib.auth.hashers import Argon2PasswordHasher
except ImportError:  # pragma: no cover - Django is always there in this project
    Argon2PasswordHasher = object  # type: ignore[misc,assignment]


class FastArgon2PasswordHasher(Argon2PasswordHasher):  # type: ignore[misc,valid-type]
    """Argon2 with test-sized cost (same algorithm and hash format; production keeps Django's costs)."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["conftest.FastArgon2PasswordHasher"]
