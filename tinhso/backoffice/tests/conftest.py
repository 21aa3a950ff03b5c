from __future__ import annotations

import pytest

from tinhso.dossiers.tests.factories import World, world


@pytest.fixture
def w(reference_data: None) -> World:
    return world()
