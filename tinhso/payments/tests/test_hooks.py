"""The settled hooks (`hooks.py`): called after the commit, each on its own — one that fails is logged and
the others still run, and the payment stays recorded."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tinhso.payments import hooks, services
from tinhso.payments.models import RequestStatus
from tinhso.payments.tests.factories import Money


def test_a_failing_callback_is_logged_and_the_others_still_run(
    m: Money,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    told: list[str] = []

    def broken(event: hooks.Settled) -> None:
        raise RuntimeError("a higher app's bug")

    monkeypatch.setattr(hooks, "_callbacks", [broken, lambda event: told.append(event.reference)])
    r = m.request(20_000)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        services.payment_request_exempt(r, ground="Điều 4 Thông tư 75/2022/TT-BTC", actor=m.counter)
    assert told == [r.reference]
    assert any("on_commit" in rec.getMessage() and rec.exc_info for rec in caplog.records)
    r.refresh_from_db()
    assert r.status == RequestStatus.EXEMPT
