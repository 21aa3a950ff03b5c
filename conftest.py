"""Repository-wide pytest settings (the shared fixtures are in tinhso/conftest.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with test-sized cost (same algorithm and hash format; production keeps Django's costs)."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["conftest.FastArgon2PasswordHasher"]
