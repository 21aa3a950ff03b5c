from __future__ import annotations

import pytest

from tinhso.payments.tests.factories import Money, money


@pytest.fixture
def m(reference_data: None) -> Money:
    return money()
