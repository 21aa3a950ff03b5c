"""The hook through which payments tells a higher app that an amount due is settled (DESIGN.md: "Where a
lower app must tell a higher one something (a payment arrived), it calls a hook the higher app registered
explicitly at start-up; no `post_save` receivers for domain logic").

`on_paid(callback)` registers a callback, from the higher app's `AppConfig.ready()` (dossiers registers the
one that resumes a dossier paused for payment). When a request becomes paid or exempt, each callback is
called with a `Settled` **after the transaction commits** (`transaction.on_commit`), so it never acts on a
payment that rolled back, and it runs in its own transaction. A failing callback is logged and does not
disturb the others (`robust=True`): the payment stays recorded whatever a higher app does with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settled:
    request_id: int
    reference: str
    subject_key: str
    kind: str
    status: str  # "paid" or "exempt"


Callback = Callable[[Settled], None]
_callbacks: list[Callback] = []


def on_paid(callback: Callback) -> Callback:
    """Register `callback` (once: registering it again changes nothing, as `ready()` may run twice)."""
    if callback not in _callbacks:
        _callbacks.append(callback)
    return callback


def registered() -> tuple[Callback, ...]:
    return tuple(_callbacks)


def settled(event: Settled) -> None:
    """Schedule every registered callback for when the current transaction commits."""
    for callback in _callbacks:
        transaction.on_commit(_runner(callback, event), robust=True)


def _runner(callback: Callback, event: Settled) -> Callable[[], None]:
    # A function, not a `functools.partial`: Django logs a failing robust callback by its `__qualname__`,
    # which a partial lacks — the logging itself then raised, past every callback still to run.
    def run() -> None:
        logger.info("payment %s settled (%s): calling %s", event.reference, event.status, name)
        callback(event)

    name = getattr(callback, "__qualname__", repr(callback))
    run.__qualname__ = f"payments.hooks:{name}"
    return run
